import type { ContainerCreateRequest } from '../engine/container-service.ts';
import type { ImageDetail } from '../engine/image-service.ts';
import type { UnofferedRequests, WorkloadAnnotations } from '../engine/isolation-advice.ts';
import type { WorkloadFacts } from './workload-facts.ts';

/** What `workloadFactsOf` combines: the request, what could be read of its image, and annotations. */
export interface WorkloadSources {
  name: string;
  request: ContainerCreateRequest;
  /** Absent when the image could not be read; `imageProblem` says why. */
  image?: ImageDetail;
  imageProblem?: string;
  /** Systemd files found in the image; absent with `initProblem` when its files could not be read. */
  initSystemFiles?: string[];
  initProblem?: string;
  annotations?: WorkloadAnnotations;
  unoffered?: UnofferedRequests;
}

const mark = (request: Record<string, string> | undefined, annotation: string | undefined, image: Record<string, string> | undefined, key: string, ext: string): { value: string; source: string } | undefined => {
  if (annotation) return { value: annotation, source: `x-janus ${ext}` };
  if (request?.[key]) return { value: request[key], source: `label ${key}` };
  if (image?.[key]) return { value: image[key], source: `image label ${key}` };
  return undefined;
};

/**
 * The facts the rules look at, from a create request (as the API edge
 * parsed it), its image and annotations. Pure. The effective process
 * follows docker's rules: `--entrypoint` replaces the image's entrypoint
 * and drops its Cmd; otherwise the given command replaces only the Cmd.
 * Trust and compliance come from the compose annotations first (compose
 * also writes them as labels), then the workload's labels, then the
 * image's labels.
 */
export function workloadFactsOf(s: WorkloadSources): WorkloadFacts {
  const { request, image } = s;
  const run = request.run;
  const cfg = image?.config;
  const entrypoint = run.entrypoint !== undefined ? run.entrypoint.filter((x) => x !== '') : (cfg?.Entrypoint ?? []);
  const cmd = run.cmd && run.cmd.length > 0 ? run.cmd : run.entrypoint !== undefined && run.entrypoint.length > 0 ? [] : (cfg?.Cmd ?? []);
  const labels = { ...(cfg?.Labels ?? {}), ...(run.labels ?? {}) };
  const unevaluated: string[] = [];
  if (!image) unevaluated.push(`image ${request.image}: ${s.imageProblem ?? 'not read'}; its platform, entrypoint, user, labels and init system were not checked`);
  else if (!s.initSystemFiles) unevaluated.push(`image ${request.image}: its files could not be read (${s.initProblem ?? 'unknown reason'}); whether it holds an init system was not checked`);
  const ports = new Set<string>([
    ...(request.publish ?? []).map((p) => `${p.containerPort}/${p.protocol}`),
    ...(request.exposedPorts ?? []).map((p) => (p.includes('/') ? p : `${p}/tcp`)),
    ...Object.keys(cfg?.ExposedPorts ?? {}),
  ]);
  const user = run.user ?? cfg?.User;
  const u = s.unoffered ?? {};
  return {
    name: s.name,
    image: request.image,
    ...(image && cfg
      ? {
          imageConfig: {
            os: image.os,
            architecture: image.architecture,
            ...(image.variant ? { variant: image.variant } : {}),
            entrypoint: cfg.Entrypoint ?? [],
            cmd: cfg.Cmd ?? [],
            user: cfg.User ?? '',
            labels: cfg.Labels ?? {},
          },
        }
      : {}),
    ...(s.initSystemFiles ? { initSystemFiles: s.initSystemFiles } : {}),
    process: [...entrypoint, ...cmd],
    ...(user ? { user } : {}),
    labels,
    ...(() => {
      const trust = mark(run.labels, s.annotations?.trust, cfg?.Labels, 'janus.trust', 'trust');
      const compliance = mark(run.labels, s.annotations?.compliance, cfg?.Labels, 'janus.compliance', 'compliance');
      return { ...(trust ? { trust } : {}), ...(compliance ? { compliance } : {}) };
    })(),
    privileged: !!run.privileged,
    capAdd: (run.capAdd ?? []).map((c) => c.toUpperCase().replace(/^CAP_/, '')),
    securityOpt: run.securityOpt ?? [],
    ...(request.network ? { networkMode: request.network.mode === 'network' ? request.network.name : request.network.mode === 'container' ? `container:${request.network.container}` : request.network.mode } : {}),
    ...((request.publish?.length ?? 0) > 0 || request.publishAll ? { publishes: true } : {}),
    ...(u.pidMode ? { pidMode: u.pidMode } : {}),
    ...(u.ipcMode ? { ipcMode: u.ipcMode } : {}),
    ...(u.utsMode ? { utsMode: u.utsMode } : {}),
    devices: u.devices ?? [],
    ...(u.gpus ? { gpus: u.gpus } : {}),
    binds: (run.mounts ?? []).filter((m) => m.type === 'bind').map((m) => ({ source: m.source, destination: m.destination, readOnly: !!m.readOnly })),
    ...(request.platform ? { platform: request.platform } : {}),
    ...(request.vmKernel ? { kernel: request.vmKernel } : {}),
    sysctls: Object.keys(run.sysctls ?? {}),
    ports: [...ports],
    unevaluated,
  };
}
