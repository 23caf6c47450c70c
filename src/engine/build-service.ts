import type { Readable } from 'node:stream';
import type { Digest } from '../core/digest.ts';
import { JanusError } from '../core/errors.ts';
import type { ProgressSink } from '../core/progress.ts';

/** Where RUN steps are connected: docker's build `--network`. `default` is `none` for Janus (builds have no network unless asked). */
export type BuildNetwork = { mode: 'none' } | { mode: 'host' } | { mode: 'network'; name: string };

/** One `docker build` in domain form (docker's POST /build query, parsed at the API edge). */
export interface BuildRequest {
  /** The build context: a tar (plain, gzip or zstd), or a bare Dockerfile (then the context is empty). */
  context: Readable;
  /** Path of the Dockerfile inside the context (default `Dockerfile`). */
  dockerfile?: string;
  /** `-t`: names to give the result. */
  tags?: string[];
  /** `--build-arg`: values for ARGs; null leaves an ARG at its default. */
  buildArgs?: Record<string, string | null>;
  /** `--target`: the stage to build (default: the last). */
  target?: string;
  /** `--no-cache`: run every step, ignoring (but refreshing) the cache. */
  noCache?: boolean;
  /** `--pull`: pull base images even when present. */
  pull?: boolean;
  /** `--label`: labels added to the result, as a last LABEL step. */
  labels?: Record<string, string>;
  /** `--network` of RUN steps (default none). */
  network?: BuildNetwork;
  /** `--platform`: only the host's platform can be built. */
  platform?: string;
  /** Limits of every RUN container (`--memory`, `--memory-swap`, `--cpu-shares`, `--cpu-quota`/`--cpu-period` as CPUs, `--shm-size`). */
  resources?: { memory?: number; memorySwap?: number; cpuShares?: number; cpus?: number; shmSize?: number };
  /** `--add-host name:ip` for RUN containers. */
  extraHosts?: string[];
}

/** What a build reports while it runs. */
export interface BuildOutput {
  /** Lines for the user (`Step 1/5 : FROM busybox`, a RUN's output), each ending in `\n` when complete. */
  text(chunk: string): void;
  /** Pull progress of base images. */
  progress: ProgressSink;
}

/** What a finished build made. */
export interface BuildResult {
  id: Digest;
  /** The names given (familiar form). */
  tags: string[];
  /** Build args given but used by no ARG, as docker warns about. */
  unusedArgs: string[];
}

/**
 * A RUN step's command exited non-zero: carries its exit code (docker's
 * classic builder reports it as the error's code, which `docker build`
 * exits with).
 */
export class RunStepFailed extends JanusError {
  readonly exitCode: number;

  constructor(message: string, exitCode: number) {
    super('InvalidArgument', message);
    this.name = 'RunStepFailed';
    this.exitCode = exitCode;
  }
}

/**
 * Images from Dockerfiles (`docker build` with the classic protocol). Implemented by
 * DockerfileBuilder (builder/); only the Docker API calls it.
 */
export interface BuildService {
  /**
   * Builds the target stage of the context's Dockerfile (and the stages it
   * needs), reporting through `output`, and names the result `tags`. Every
   * step's result is kept in the build cache. On failure (InvalidArgument
   * for a bad Dockerfile or source, RunStepFailed for a failing RUN,
   * NotFound for a missing base image, Canceled when `signal` aborts) no
   * build container, mount, snapshot or context copy is left behind.
   */
  build(request: BuildRequest, options: { output: BuildOutput; signal?: AbortSignal }): Promise<BuildResult>;
  /** Empties the build cache (`docker builder prune`). */
  prune(options?: { signal?: AbortSignal }): Promise<{ deleted: string[]; spaceReclaimed: number }>;
}
