import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Everything of container `id` still on the host: mounts, cgroup
 * directories, processes whose command line names it (conmon, runc,
 * helpers, QEMU), and files under the daemon's root. Empty means nothing leaked.
 * Reads /proc and /sys only, so it can run while the daemon is up.
 */
export async function findContainerLeaks(root: string, id: string): Promise<string[]> {
  const leaks: string[] = [];
  for (const line of (await readFile('/proc/self/mountinfo', 'utf8')).split('\n')) {
    if (line.includes(id)) leaks.push(`mount: ${line.split(' ')[4]}`);
  }
  for (const controller of await readdir('/sys/fs/cgroup').catch(() => [] as string[])) {
    for (const base of [join('/sys/fs/cgroup', controller, 'janus'), join('/sys/fs/cgroup', controller, 'janus.slice')]) {
      for (const name of await readdir(base).catch(() => [] as string[])) {
        if (name.includes(id)) leaks.push(`cgroup: ${join(base, name)}`);
      }
    }
  }
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    // A VM's QEMU is named janus-<id12> (its command line carries no full ID).
    if (cmd.includes(id) || cmd.includes(`janus-${id.slice(0, 12)}`)) leaks.push(`process ${pid}: ${cmd.split('\0').join(' ').slice(0, 200)}`);
  }
  const files = [
    join(root, 'containers', id),
    join(root, 'state', 'containers', `${id}.json`),
    ...['runc', 'crun', 'runsc'].flatMap((r) => [join(root, 'runtimes', r, id), join(root, 'runtimes', r, '.root', id)]),
    join(root, 'runtimes', 'qemu', id),
    ...['agent', 'qmp'].map((s) => join(root, 'runtimes', 'qemu', '.s', `${id.slice(0, 12)}.${s}`)),
  ];
  for (const f of files) {
    if (await stat(f).then(() => true, () => false)) leaks.push(`file: ${f}`);
  }
  const overlayMeta = await readFile(join(root, 'overlay', 'metadata.json'), 'utf8').catch(() => '');
  if (overlayMeta.includes(id)) leaks.push('snapshot: the overlay metadata still names the container');
  return leaks;
}

/**
 * Kills (SIGKILL) every process whose command line names the daemon root
 * `root` — QEMU and conmon outlive their daemon by design, so a test that
 * failed before removing its workloads would leave them running into the
 * next test file. Returns what was killed, for the test's output.
 */
export async function killProcessesUnder(root: string): Promise<string[]> {
  const killed: string[] = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (!cmd.includes(root)) continue;
    try {
      process.kill(Number(pid), 'SIGKILL');
      killed.push(`${pid}: ${cmd.split('\0').join(' ').slice(0, 120)}`);
    } catch { /* already gone */ }
  }
  return killed;
}
