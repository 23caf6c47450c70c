import type { ContainerView } from '../../engine/container-service.ts';

/** A published or exposed port as the dashboard shows it. */
export interface WorkloadPort {
  /** Host address ('' when only exposed). */
  ip: string;
  private: number;
  /** Host port, when published. */
  public?: number;
  type: string;
}

/**
 * One workload as the dashboard lists it: what the page needs to draw a row
 * and nothing that changes by itself every second (uptime is computed by
 * the page from `startedAt`), so an unchanged list serialises the same.
 */
export interface WorkloadWire {
  id: string;
  name: string;
  image: string;
  /** `com.docker.compose.project`, '' outside compose. */
  project: string;
  /** `com.docker.compose.service`, ''. */
  service: string;
  isolation: string;
  runtime: string;
  /** `kvm` or `tcg` for a VM, '' otherwise. */
  accelerator: string;
  /** docker's state: created, running, paused, restarting, removing, exited, dead. */
  state: string;
  health: '' | 'starting' | 'healthy' | 'unhealthy';
  exitCode: number;
  /** Milliseconds since the epoch, 0 when never started. */
  startedAt: number;
  finishedAt: number;
  created: number;
  ports: WorkloadPort[];
  tty: boolean;
}

/** The dashboard's view of a container. Pure. */
export function workloadWire(view: ContainerView): WorkloadWire {
  const labels = view.config.labels ?? {};
  const ports: WorkloadPort[] = [];
  for (const [key, bindings] of Object.entries(view.ports)) {
    const [port, type = 'tcp'] = key.split('/');
    const priv = Number(port);
    if (!Number.isInteger(priv)) continue;
    if (bindings.length === 0) ports.push({ ip: '', private: priv, type });
    for (const b of bindings) {
      const pub = Number(b.hostPort);
      ports.push({ ip: b.hostIp || '0.0.0.0', private: priv, ...(Number.isInteger(pub) && pub > 0 ? { public: pub } : {}), type });
    }
  }
  const s = view.state;
  return {
    id: view.id,
    name: view.name,
    image: view.image,
    project: labels['com.docker.compose.project'] ?? '',
    service: labels['com.docker.compose.service'] ?? '',
    isolation: view.isolation,
    runtime: view.runtime,
    accelerator: view.vm?.accelerator ?? '',
    state: s.status,
    health: s.health?.status ?? '',
    exitCode: s.exitCode,
    startedAt: s.startedAt?.getTime() ?? 0,
    finishedAt: s.finishedAt?.getTime() ?? 0,
    created: view.created.getTime(),
    ports,
    tty: view.config.tty,
  };
}
