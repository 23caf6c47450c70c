import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, stat, statfs, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Digest } from '../core/digest.ts';
import { asJanusError, conflict, notFound } from '../core/errors.ts';
import { fsyncDir, writeFileAtomic } from '../util/atomic-file.ts';
import type { Exec } from '../util/exec.ts';
import type { Logger } from '../util/logger.ts';
import type { IsolationLevel } from './container-service.ts';

/** What is kept of one snapshot (its `meta.json`); the data sits beside it. */
export interface SnapshotRecord {
  name: string;
  containerId: string;
  created: string;
  isolation: IsolationLevel;
  image: string;
  imageId: Digest;
  vmKernel: string;
  kernelRelease: string;
  /** Named volumes copied, each in `volumes/<name>`. */
  volumes: string[];
  /** `layer/`: a copy of the container's writable layer (container and sandbox levels). */
  layer: boolean;
  /** `disk.qcow2`: a copy of the VM's disk; false for a VM snapshotted before its first start (restoring it gives a fresh disk). */
  disk: boolean;
  size: number;
  copyMode: 'reflink' | 'copy';
  /** The compose project it was taken with (`compose snapshot create`), when it was. */
  project?: string;
  /** `memory/`: the processes' state (`--memory`), and what the workload they continue in must still be. */
  memory?: MemorySnapshotMachine;
}

/** What a workload must still have for saved processes to continue in it. */
export interface MemorySnapshotMachine {
  /** Bytes (0: none). */
  memoryLimit: number;
  cpuQuota: number;
  cpuPeriod: number;
  /** `network address mac` of each network joined, sorted. */
  networks: string[];
}

/** Argument list of the copy that keeps owners, modes, xattrs (overlay whiteouts) and holes, sharing blocks where the file system can; pure. */
export function copyArgs(src: string, dst: string): string[] {
  return ['-a', '--reflink=auto', '--sparse=always', '-T', src, dst];
}

/**
 * The on-disk store of workload snapshots: `<dir>/<container id>/<name>/`
 * holding `meta.json` beside the copies. A snapshot is staged in a
 * `.tmp-*` directory, synced, then renamed into place, so a crash leaves
 * either a whole snapshot or a staging directory `init` removes. Used only
 * by the container engine, under the container's lock.
 */
export class WorkloadSnapshots {
  readonly #dir: string;
  readonly #exec: Exec;
  readonly #log: Logger;
  #mode: Promise<'reflink' | 'copy'> | undefined;

  constructor(options: { dir: string; exec: Exec; logger: Logger }) {
    this.#dir = options.dir;
    this.#exec = options.exec;
    this.#log = options.logger;
  }

  /** Removes staging leftovers and the snapshots of containers that no longer exist. Call once at start-up. */
  async init(known: ReadonlySet<string>): Promise<void> {
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    for (const cid of await readdir(this.#dir).catch(() => [] as string[])) {
      const cdir = join(this.#dir, cid);
      if (cid.startsWith('.') || !known.has(cid)) {
        this.#log.info('removing snapshots no container owns', { container: cid });
        await rm(cdir, { recursive: true, force: true });
        continue;
      }
      for (const n of await readdir(cdir).catch(() => [] as string[])) {
        if (n.startsWith('.') || !(await exists(join(cdir, n, 'meta.json')))) await rm(join(cdir, n), { recursive: true, force: true });
      }
    }
  }

  /** The snapshots of one container or of all, oldest first. */
  async list(containerId?: string): Promise<SnapshotRecord[]> {
    const cids = containerId ? [containerId] : await readdir(this.#dir).catch(() => [] as string[]);
    const out: SnapshotRecord[] = [];
    for (const cid of cids) {
      if (cid.startsWith('.')) continue;
      for (const n of await readdir(join(this.#dir, cid)).catch(() => [] as string[])) {
        if (n.startsWith('.')) continue;
        const rec = await this.#read(cid, n).catch(() => undefined);
        if (rec) out.push(rec);
      }
    }
    return out.sort((a, b) => a.created.localeCompare(b.created) || a.name.localeCompare(b.name));
  }

  /** NotFound when the container has no snapshot `name`. */
  async get(containerId: string, name: string, containerName = containerId): Promise<SnapshotRecord> {
    try {
      return await this.#read(containerId, name);
    } catch {
      throw notFound(`No such snapshot: ${name} of container ${containerName}`);
    }
  }

  async #read(containerId: string, name: string): Promise<SnapshotRecord> {
    return JSON.parse(await readFile(join(this.pathOf(containerId, name), 'meta.json'), 'utf8')) as SnapshotRecord;
  }

  /** The directory of a (published) snapshot. */
  pathOf(containerId: string, name: string): string {
    return join(this.#dir, containerId, name);
  }

  /** Where the store lives (for free-space checks). */
  get dir(): string {
    return this.#dir;
  }

  /** A new staging directory for snapshot `name`. Conflict when the container already has a snapshot of that name. */
  async stage(containerId: string, name: string, containerName: string): Promise<string> {
    if (await exists(this.pathOf(containerId, name))) throw conflict(`container ${containerName} already has a snapshot named ${name}`);
    const staging = join(this.#dir, containerId, `.tmp-${name}-${randomBytes(4).toString('hex')}`);
    await mkdir(staging, { recursive: true, mode: 0o700 });
    return staging;
  }

  /** Syncs the staged copies, measures them, writes the record and renames the staging directory into place. */
  async publish(staging: string, record: Omit<SnapshotRecord, 'size' | 'copyMode'>): Promise<SnapshotRecord> {
    await this.#exec.run('sync', ['-f', staging]);
    const full: SnapshotRecord = { ...record, size: await this.sizeOf(staging), copyMode: await this.copyMode() };
    await writeFileAtomic(join(staging, 'meta.json'), JSON.stringify(full));
    const final = this.pathOf(record.containerId, record.name);
    try {
      await rename(staging, final);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOTEMPTY' || (err as NodeJS.ErrnoException).code === 'EEXIST') throw conflict(`a snapshot named ${record.name} was made meanwhile`);
      throw err;
    }
    await fsyncDir(dirname(final));
    return full;
  }

  /** Removes a staging (or restore) directory; never throws. */
  async discard(path: string): Promise<void> {
    await rm(path, { recursive: true, force: true }).catch((err: unknown) => this.#log.warn('cannot remove a staging directory', { path, error: err }));
  }

  /** Removes one snapshot. NotFound when absent. */
  async remove(containerId: string, name: string, containerName = containerId): Promise<void> {
    await this.get(containerId, name, containerName);
    // Renamed first, so a crash during the slow delete leaves a staging name `init` removes, never half a snapshot.
    const doomed = join(this.#dir, containerId, `.rm-${name}-${randomBytes(4).toString('hex')}`);
    await rename(this.pathOf(containerId, name), doomed);
    await rm(doomed, { recursive: true, force: true });
  }

  /** Removes every snapshot of a container. */
  async removeAll(containerId: string): Promise<void> {
    const doomed = join(this.#dir, `.rm-${containerId}-${randomBytes(4).toString('hex')}`);
    try {
      await rename(join(this.#dir, containerId), doomed);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    await rm(doomed, { recursive: true, force: true });
  }

  /**
   * Copies a file or directory tree to `dst` (which must not exist),
   * keeping owners, modes, xattrs and holes; reflinked where the file
   * system supports it. ENOSPC becomes ResourceExhausted.
   */
  async copy(src: string, dst: string): Promise<void> {
    try {
      await this.#exec.run('cp', copyArgs(src, dst));
    } catch (err) {
      const stderr = String((err as { stderr?: string }).stderr ?? '');
      if (/No space left/i.test(stderr)) throw asJanusError(Object.assign(new Error(stderr), { code: 'ENOSPC' }), `copying ${src}`);
      throw err;
    }
  }

  /** Whether copies here share blocks (`reflink`) or are full copies: probed once with `cp --reflink=always`. */
  copyMode(): Promise<'reflink' | 'copy'> {
    this.#mode ??= (async () => {
      await mkdir(this.#dir, { recursive: true, mode: 0o700 });
      const probe = join(this.#dir, `.probe-${randomBytes(4).toString('hex')}`);
      try {
        await writeFile(probe, 'reflink probe\n');
        const r = await this.#exec.run('cp', ['--reflink=always', probe, `${probe}.copy`], { check: false });
        return r.code === 0 ? 'reflink' : 'copy';
      } finally {
        await rm(probe, { force: true });
        await rm(`${probe}.copy`, { force: true });
      }
    })();
    return this.#mode;
  }

  /** Bytes free for an unprivileged writer on the file system holding `path`. */
  async freeBytes(path: string): Promise<number> {
    const s = await statfs(path);
    return Number(s.bavail) * Number(s.bsize);
  }

  /** Allocated bytes of a file or tree (what it costs on disk; holes are free). */
  async sizeOf(path: string): Promise<number> {
    if (!(await exists(path))) return 0;
    const { stdout } = await this.#exec.run('du', ['-s', '-B1', path]);
    return Number(stdout.split(/\s/)[0]) || 0;
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}
