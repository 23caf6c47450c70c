import { readFile, readdir } from 'node:fs/promises';

/** Resident and proportional memory of one process, bytes (0 when it is gone or unreadable). */
export async function processMemory(pid: number): Promise<{ rss: number; pss: number }> {
  const text = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8').catch(() => '');
  const kib = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0) * 1024;
  return { rss: kib('Rss'), pss: kib('Pss') };
}

/** The parent pid and command name of `pid` (undefined when it is gone). */
async function statOf(pid: number): Promise<{ ppid: number; comm: string } | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const close = stat.lastIndexOf(')');
  if (close < 0) return undefined;
  return { comm: stat.slice(stat.indexOf('(') + 1, close), ppid: Number(stat.slice(close + 2).split(' ')[1]) };
}

/**
 * Host memory (PSS, so shared pages are split fairly) of a workload whose
 * main process is `pid`: the whole process tree of its supervisor when
 * that is conmon (conmon, the runtime's shim such as gVisor's sandbox and
 * gofer, the workload), else the tree under `pid` itself (QEMU and its
 * helpers). Must run on the daemon's host with the rights to read
 * /proc/PID/smaps_rollup; returns 0 when it cannot.
 */
export async function workloadPss(pid: number): Promise<{ pss: number; processes: number }> {
  const self = await statOf(pid);
  if (!self) return { pss: 0, processes: 0 };
  const parent = await statOf(self.ppid);
  const root = parent?.comm === 'conmon' ? self.ppid : pid;
  const children = new Map<number, number[]>();
  for (const name of await readdir('/proc').catch(() => [] as string[])) {
    const p = Number(name);
    if (!Number.isInteger(p)) continue;
    const s = await statOf(p);
    if (s) children.set(s.ppid, [...(children.get(s.ppid) ?? []), p]);
  }
  let pss = 0;
  let processes = 0;
  const queue = [root];
  while (queue.length > 0) {
    const p = queue.shift()!;
    pss += (await processMemory(p)).pss;
    processes++;
    queue.push(...(children.get(p) ?? []));
  }
  return { pss, processes };
}
