/*
 * The workload list as the page models it: the daemon's wire form, how it
 * groups by compose project, and the words for isolation, state and ports.
 * Pure.
 */

/** A published or exposed port (the daemon's WorkloadPort). */
export interface Port {
  ip: string;
  private: number;
  public?: number;
  type: string;
}

/** One workload as `/dashboard/stream` sends it (src/api/dashboard/workload-wire.ts). */
export interface Workload {
  id: string;
  name: string;
  image: string;
  project: string;
  service: string;
  isolation: string;
  runtime: string;
  accelerator: string;
  state: string;
  health: '' | 'starting' | 'healthy' | 'unhealthy';
  exitCode: number;
  startedAt: number;
  finishedAt: number;
  created: number;
  ports: Port[];
  tty: boolean;
}

/** A compose project's workloads (project '' gathers those outside compose). */
export interface WorkloadGroup {
  project: string;
  workloads: Workload[];
}

/**
 * Workloads grouped by compose project: projects by name, then the
 * workloads outside any project; within a group by service, then name.
 */
export function groupByProject(list: readonly Workload[]): WorkloadGroup[] {
  const groups = new Map<string, Workload[]>();
  for (const w of list) {
    const g = groups.get(w.project);
    if (g) g.push(w);
    else groups.set(w.project, [w]);
  }
  const names = [...groups.keys()].sort((a, b) => (a === '' ? 1 : b === '' ? -1 : a.localeCompare(b)));
  return names.map((project) => ({
    project,
    workloads: groups.get(project)!.sort((a, b) => a.service.localeCompare(b.service) || a.name.localeCompare(b.name)),
  }));
}

/** One line of the virtualised list: a project heading or a workload. */
export type ListItem = { kind: 'group'; project: string; count: number } | { kind: 'workload'; workload: Workload };

/** The groups flattened into list lines, a heading before each group. */
export function listItems(groups: readonly WorkloadGroup[]): ListItem[] {
  const out: ListItem[] = [];
  for (const g of groups) {
    out.push({ kind: 'group', project: g.project, count: g.workloads.length });
    for (const w of g.workloads) out.push({ kind: 'workload', workload: w });
  }
  return out;
}

/** The isolation level in plain words: `container`, `sandbox (gVisor)`, `vm (tcg)`. */
export function isolationLabel(w: Pick<Workload, 'isolation' | 'accelerator' | 'runtime'>): string {
  if (w.isolation === 'vm') return w.accelerator ? `vm (${w.accelerator})` : 'vm';
  if (w.isolation === 'sandbox') return 'sandbox (gVisor)';
  return w.isolation || 'container';
}

/** The state as a short phrase: `running`, `exited (137)`, `paused`, …. */
export function stateLabel(w: Pick<Workload, 'state' | 'exitCode'>): string {
  return w.state === 'exited' || w.state === 'dead' ? `${w.state} (${w.exitCode})` : w.state;
}

/** How long it has been up (running) or since it stopped, or '' when it never started. */
export function uptimeLabel(w: Pick<Workload, 'state' | 'startedAt' | 'finishedAt'>, now: number, format: (ms: number) => string): string {
  if (w.state === 'running' || w.state === 'paused') return w.startedAt ? `up ${format(now - w.startedAt)}` : '';
  if (w.finishedAt && w.startedAt) return `stopped ${format(now - w.finishedAt)} ago`;
  return '';
}

/**
 * The link of a published port, or undefined for one only exposed: the
 * host is the address it was published on, or (for every address) the
 * host name the page was opened with.
 */
export function portLink(p: Port, pageHost: string): string | undefined {
  if (p.public === undefined || p.type !== 'tcp') return undefined;
  const host = p.ip === '' || p.ip === '0.0.0.0' || p.ip === '::' ? pageHost : p.ip;
  return `http://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${p.public}/`;
}

/** A port as docker prints it: `0.0.0.0:8080->80/tcp` or `80/tcp`. */
export function portLabel(p: Port): string {
  return p.public === undefined ? `${p.private}/${p.type}` : `${p.ip}:${p.public}->${p.private}/${p.type}`;
}

/** Whether the page can run a terminal in it (exec needs a running workload). */
export function canExec(w: Pick<Workload, 'state'>): boolean {
  return w.state === 'running';
}
