import type { IsolationLevel } from '../engine/container-service.ts';

/**
 * Everything the advisor's rules look at for one workload, gathered before
 * any rule runs (so the rules are pure functions of it). Facts that could
 * not be gathered are absent and named in `unevaluated`.
 */
export interface WorkloadFacts {
  name: string;
  /** The image as the workload names it. */
  image: string;
  /** What the image says about itself; absent when the image could not be read (see `unevaluated`). */
  imageConfig?: {
    os: string;
    /** GOARCH spelling. */
    architecture: string;
    variant?: string;
    entrypoint: string[];
    cmd: string[];
    user: string;
    labels: Record<string, string>;
  };
  /**
   * Paths of a full init system found in the image's filesystem (systemd's
   * binaries, `/sbin/init` when it is systemd's); absent when the image's
   * files could not be read.
   */
  initSystemFiles?: string[];
  /** The command that will run: the effective entrypoint followed by the effective command. */
  process: string[];
  /** The effective user ('' or absent: root, the image's default). */
  user?: string;
  /** The workload's own labels (`--label`, compose `labels:`), over the image's. */
  labels: Record<string, string>;
  /** Trust and compliance marks, with where each came from (for the evidence line). */
  trust?: { value: string; source: string };
  compliance?: { value: string; source: string };
  privileged: boolean;
  /** Capabilities added, upper case without `CAP_` (`SYS_ADMIN`); `ALL` as given. */
  capAdd: string[];
  /** `--security-opt` values as given. */
  securityOpt: string[];
  /** `--network` as given: `none`, `host`, `container:NAME` or a network's name; absent: the default (bridge). */
  networkMode?: string;
  /** Ports are published on the host (`-p`, `-P`, compose `ports:`). */
  publishes?: boolean;
  pidMode?: string;
  ipcMode?: string;
  utsMode?: string;
  /** Host devices asked for (`--device`), as given. */
  devices: string[];
  /** `--gpus` as given. */
  gpus?: string;
  /** Bind mounts: host path → path in the workload. */
  binds: { source: string; destination: string; readOnly: boolean }[];
  /** `--platform` asked for. */
  platform?: string;
  /** `--kernel`: a guest kernel the workload must boot. */
  kernel?: string;
  /** `--sysctl` keys. */
  sysctls: string[];
  /** Ports the workload publishes or exposes (`80/tcp`). */
  ports: string[];
  /** Facts that could not be gathered, each a sentence naming what and why. */
  unevaluated: string[];
}

/** What the advisor knows about the host. */
export interface HostAdviceFacts {
  /** GOOS spelling (`linux`). */
  os: string;
  /** GOARCH spelling (`amd64`). */
  architecture: string;
  /** Per level: works here, or why not. */
  levels: Record<IsolationLevel, { works: boolean; why?: string }>;
  /** The vm level's accelerator once probed. */
  accelerator?: 'kvm' | 'tcg';
}
