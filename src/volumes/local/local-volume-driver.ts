import { lstat, mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { conflict, invalidArgument, isJanusError, JanusError, notFound, unavailable } from '../../core/errors.ts';
import type { VolumeDriver, VolumeInfo } from '../../core/volume-driver.ts';
import { writeFileAtomic } from '../../util/atomic-file.ts';
import type { Exec } from '../../util/exec.ts';

/** docker's rule for volume names. */
const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
/** The local driver's options, as docker's local driver takes them (`--opt type=tmpfs --opt device=tmpfs --opt o=size=64m`). */
const KNOWN_OPTIONS = new Set(['type', 'device', 'o']);
const META_FILE = 'volume.json';

interface StoredVolume {
  name: string;
  createdAt: string;
  labels: Record<string, string>;
  options: Record<string, string>;
}

/** Options of the local driver. */
export interface LocalVolumeDriverOptions {
  /** Where volumes live: `<root>/<name>/_data` (docker's layout) and `<root>/<name>/volume.json`. */
  root: string;
  exec: Exec;
}

/**
 * docker's `local` volume driver: a directory per volume, or — with the
 * `type`/`device`/`o` options — a file system the driver mounts there while
 * the volume is in use (tmpfs, a bind of a host directory, any `mount -t`).
 * Users (containers) are counted in memory: after a daemon restart the engine
 * mounts the volumes of the containers it re-adopts again.
 */
export class LocalVolumeDriver implements VolumeDriver {
  readonly name = 'local';
  readonly #root: string;
  readonly #exec: Exec;
  readonly #users = new Map<string, Set<string>>();
  /** Serializes every mutation: volume operations are rare and must not interleave. */
  #tail: Promise<unknown> = Promise.resolve();

  constructor(options: LocalVolumeDriverOptions) {
    this.#root = options.root;
    this.#exec = options.exec;
  }

  async create(name: string, options: { labels?: Record<string, string>; driverOptions?: Record<string, string> } = {}): Promise<VolumeInfo> {
    checkName(name);
    const driverOptions = { ...options.driverOptions };
    checkOptions(name, driverOptions);
    return this.#serial(async () => {
      const existing = await this.#read(name).catch((err: unknown) => {
        if (isJanusError(err, 'NotFound')) return undefined;
        throw err;
      });
      if (existing) {
        if (!sameOptions(existing.options, driverOptions)) {
          throw conflict(`volume ${name} already exists with other driver options (${formatOptions(existing.options)})`);
        }
        return this.#info(existing);
      }
      const stored: StoredVolume = { name, createdAt: new Date().toISOString(), labels: { ...options.labels }, options: driverOptions };
      await mkdir(this.#dataDir(name), { recursive: true, mode: 0o755 });
      // The metadata file is written last: a crash before it leaves a directory `list` ignores.
      await writeFileAtomic(join(this.#root, name, META_FILE), JSON.stringify(stored));
      return this.#info(stored);
    });
  }

  async get(name: string): Promise<VolumeInfo> {
    checkName(name);
    return this.#info(await this.#read(name));
  }

  async list(): Promise<VolumeInfo[]> {
    let names: string[];
    try {
      names = await readdir(this.#root);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const out: VolumeInfo[] = [];
    for (const name of names.sort()) {
      if (!NAME_RE.test(name)) continue;
      try {
        out.push(this.#info(await this.#read(name)));
      } catch (err) {
        if (!isJanusError(err, 'NotFound')) throw err;
      }
    }
    return out;
  }

  mount(name: string, user: string): Promise<string> {
    return this.#serial(async () => {
      const vol = await this.#read(name);
      const users = this.#users.get(name) ?? new Set<string>();
      if (users.size === 0 && vol.options.type !== undefined) {
        const args = mountArgs(vol.options, this.#dataDir(name));
        await this.#exec.run('mount', args).catch((err: unknown) => {
          throw unavailable(`volume ${name}: mount ${args.join(' ')} failed: ${(err as Error).message}`, err);
        });
      }
      users.add(user);
      this.#users.set(name, users);
      return this.#dataDir(name);
    });
  }

  unmount(name: string, user: string): Promise<void> {
    return this.#serial(async () => {
      const vol = await this.#read(name);
      const users = this.#users.get(name);
      if (!users?.delete(user)) return;
      if (users.size === 0) {
        this.#users.delete(name);
        if (vol.options.type !== undefined) await this.#exec.run('umount', [this.#dataDir(name)]);
      }
    });
  }

  async users(name: string): Promise<string[]> {
    await this.#read(name);
    return [...(this.#users.get(name) ?? [])].sort();
  }

  async remove(name: string, options: { force?: boolean } = {}): Promise<void> {
    checkName(name);
    return this.#serial(async () => {
      const vol = await this.#read(name);
      const users = this.#users.get(name);
      if (users && users.size > 0) {
        if (!options.force) throw conflict(`remove ${name}: volume is in use - [${[...users].sort().join(', ')}]`);
        if (vol.options.type !== undefined) await this.#exec.run('umount', [this.#dataDir(name)], { check: false });
        this.#users.delete(name);
      }
      // The metadata goes first, so a crash midway leaves no half-removed volume in `list`.
      await rm(join(this.#root, name, META_FILE), { force: true });
      await rm(join(this.#root, name), { recursive: true, force: true });
    });
  }

  async usage(name: string): Promise<number> {
    const vol = await this.#read(name);
    if (vol.options.type !== undefined) return -1;
    return diskUsage(this.#dataDir(name));
  }

  #dataDir(name: string): string {
    return join(this.#root, name, '_data');
  }

  async #read(name: string): Promise<StoredVolume> {
    checkName(name);
    const path = join(this.#root, name, META_FILE);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(`get ${name}: no such volume`);
      throw err;
    }
    return parseStored(text, path, name);
  }

  #info(v: StoredVolume): VolumeInfo {
    return {
      name: v.name, driver: this.name, mountpoint: this.#dataDir(v.name), createdAt: new Date(v.createdAt),
      labels: { ...v.labels }, options: { ...v.options }, scope: 'local',
    };
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(fn, fn);
    this.#tail = run.catch(() => {});
    return run;
  }
}

function checkName(name: string): void {
  if (!NAME_RE.test(name)) {
    throw invalidArgument(`invalid volume name ${JSON.stringify(name)}: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed, at least 2 characters`);
  }
}

function checkOptions(name: string, options: Record<string, string>): void {
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) throw invalidArgument(`volume ${name}: invalid option ${JSON.stringify(key)} for the local driver (known: type, device, o)`);
  }
  if (options.type === undefined && (options.device !== undefined || options.o !== undefined)) {
    throw invalidArgument(`volume ${name}: the local driver needs --opt type=… with device or o`);
  }
  if (options.type !== undefined && options.device === undefined) {
    throw invalidArgument(`volume ${name}: --opt type=${options.type} needs --opt device=… (e.g. device=tmpfs)`);
  }
  const bind = (options.o ?? '').split(',').includes('bind');
  if (bind && !isAbsolute(options.device ?? '')) {
    throw invalidArgument(`volume ${name}: a bind volume needs an absolute host path as device, got ${JSON.stringify(options.device)}`);
  }
}

/** The `mount` argument list for a volume with driver options (pure, so tests can check it). */
export function mountArgs(options: Record<string, string>, target: string): string[] {
  const args = ['-t', options.type!];
  if (options.o) args.push('-o', options.o);
  args.push(options.device!, target);
  return args;
}

function sameOptions(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}

function formatOptions(o: Record<string, string>): string {
  const parts = Object.entries(o).map(([k, v]) => `${k}=${v}`);
  return parts.length > 0 ? parts.join(', ') : 'none';
}

function parseStored(text: string, path: string, name: string): StoredVolume {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new JanusError('DataLoss', `volume metadata ${path} is not valid JSON; the volume's data in ${join(path, '..', '_data')} is untouched`, { cause: err });
  }
  const r = v as Partial<StoredVolume>;
  const isStringMap = (m: unknown) => typeof m === 'object' && m !== null && Object.values(m).every((x) => typeof x === 'string');
  if (r?.name !== name || typeof r.createdAt !== 'string' || !isStringMap(r.labels) || !isStringMap(r.options)) {
    throw new JanusError('DataLoss', `volume metadata ${path} is malformed; the volume's data is untouched`);
  }
  return r as StoredVolume;
}

/** Bytes of the blocks under `dir`, hard-linked files counted once. */
async function diskUsage(dir: string): Promise<number> {
  const seen = new Set<bigint>();
  let total = 0;
  const walk = async (d: string): Promise<void> => {
    for (const entry of await readdir(d)) {
      const st = await lstat(join(d, entry), { bigint: true });
      if (!seen.has(st.ino)) {
        seen.add(st.ino);
        total += Number(st.blocks) * 512;
      }
      if (st.isDirectory()) await walk(join(d, entry));
    }
  };
  await walk(dir);
  return total;
}
