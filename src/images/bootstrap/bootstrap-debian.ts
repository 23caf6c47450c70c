import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ContentStore } from '../../core/content-store.ts';
import { asJanusError, invalidArgument, isJanusError, unavailable } from '../../core/errors.ts';
import type { Descriptor, ImageConfig, Platform } from '../../core/oci.ts';
import { hostPlatform } from '../../registry/platform.ts';
import { ExecError, type Exec } from '../../util/exec.ts';
import { storeGzipLayer } from '../import/gzip-layer.ts';
import { storeImage } from '../import/store-image.ts';
import { configuredDebianMirror } from './apt-sources.ts';
import { DEFAULT_PATH } from './bootstrap-busybox.ts';
import { tarDirectory } from './tar-directory.ts';

/** Options of `bootstrapDebian`. */
export interface DebianOptions {
  exec: Exec;
  /** Only bookworm is built and tested. */
  suite?: 'bookworm';
  /** Default: the mirror this machine's apt is configured with for the suite. */
  mirror?: string;
  variant?: 'minbase';
  signal?: AbortSignal;
  /** Scratch space (a few hundred MB); a private directory under it is removed afterwards. */
  workDir: string;
  /** The time recorded in the config and the latest mtime in the layer; now by default. */
  created?: Date;
  /** Where apt's sources are read when no mirror is given; default /etc/apt. */
  aptDir?: string;
  platform?: Platform;
}

/** What `debootstrap` leaves that an image should not carry (paths relative to the root). */
const CLEAN_DIRS_CONTENT = ['var/lib/apt/lists', 'var/cache/apt/archives', 'var/cache/apt', 'var/log', 'tmp', 'var/tmp'];

/**
 * Builds a minimal Debian image: `debootstrap --variant=minbase SUITE DIR
 * MIRROR` (needs root and the debootstrap package; takes minutes), then
 * removes apt lists, package caches and logs, and stores the tree as one
 * reproducibly ordered gzip layer (sorted, numeric owners, device nodes
 * kept, xattrs skipped); config Cmd ["bash"], docker's PATH, the host's
 * platform. The scratch directory is removed afterwards, after unmounting
 * anything debootstrap left mounted in it. Unavailable when debootstrap is
 * missing or fails (with the end of its log); Canceled when `signal` aborts.
 */
export async function bootstrapDebian(store: ContentStore, options: DebianOptions): Promise<{ manifest: Descriptor; config: Descriptor }> {
  const suite = options.suite ?? 'bookworm';
  const variant = options.variant ?? 'minbase';
  if (suite !== 'bookworm') throw invalidArgument(`cannot bootstrap Debian ${JSON.stringify(suite)}: only bookworm is supported`);
  if (variant !== 'minbase') throw invalidArgument(`cannot bootstrap Debian variant ${JSON.stringify(variant)}: only minbase is supported`);
  const mirror = options.mirror ?? (await configuredDebianMirror(suite, { aptDir: options.aptDir }));
  if (!/^https?:\/\/\S+$/.test(mirror)) throw invalidArgument(`invalid Debian mirror ${JSON.stringify(mirror)}: want an http(s) URL`);
  const platform = options.platform ?? hostPlatform();
  const created = options.created ?? new Date();

  await mkdir(options.workDir, { recursive: true });
  const scratch = await mkdtemp(join(resolve(options.workDir), 'debootstrap-'));
  const rootfs = join(scratch, 'rootfs');
  try {
    try {
      await options.exec.run('debootstrap', [`--variant=${variant}`, suite, rootfs, mirror], { signal: options.signal });
    } catch (err) {
      options.signal?.throwIfAborted();
      const log = await readFile(join(rootfs, 'debootstrap', 'debootstrap.log'), 'utf8').catch(() => '');
      const tail = log.trim().split('\n').slice(-15).join('\n');
      const why = err instanceof ExecError ? err.message : String(err);
      throw unavailable(`debootstrap ${suite} from ${mirror} failed: ${why}${tail ? `\n--- end of debootstrap.log ---\n${tail}` : ''}`, err);
    }
    await unmountUnder(rootfs, options.exec);
    for (const dir of CLEAN_DIRS_CONTENT) await emptyDirectory(join(rootfs, dir));
    const stored = await storeGzipLayer(tarDirectory(rootfs, { clampMtime: created, signal: options.signal }), store, {
      what: `debian:${suite} layer`, signal: options.signal,
    });
    const when = created.toISOString();
    const config: ImageConfig = {
      architecture: platform.architecture,
      os: platform.os,
      ...(platform.variant ? { variant: platform.variant } : {}),
      created: when,
      config: { Env: [DEFAULT_PATH], Cmd: ['bash'] },
      rootfs: { type: 'layers', diff_ids: [stored.diffId] },
      history: [{ created: when, created_by: `debootstrap --variant=${variant} ${suite} / ${mirror}` }],
    };
    return await storeImage(store, { config, layers: [stored.layer] });
  } catch (err) {
    throw isJanusError(err) ? err : asJanusError(err, `bootstrap debian:${suite}`);
  } finally {
    await unmountUnder(rootfs, options.exec).catch(() => {});
    // Never delete through a mount that would not go away: that would reach the host's /proc or /sys.
    if ((await mountsUnder(rootfs)).length === 0) await rm(scratch, { recursive: true, force: true, maxRetries: 2 });
  }
}

/**
 * Removes the entries inside `dir`, keeping `dir` itself and its
 * subdirectories (apt expects `lists/partial`, `archives/partial`).
 */
async function emptyDirectory(dir: string): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    if (e.isDirectory()) await emptyDirectory(join(dir, e.name));
    else await rm(join(dir, e.name), { force: true });
  }
}

/**
 * debootstrap mounts /proc and /sys in the target and an interrupted run can
 * leave them mounted; deleting through such a mount would reach the host.
 */
async function unmountUnder(dir: string, exec: Exec): Promise<void> {
  for (const p of await mountsUnder(dir)) await exec.run('umount', ['-l', p], { check: false });
}

/** Mount points at or below `dir`, deepest first. */
async function mountsUnder(dir: string): Promise<string[]> {
  const mountinfo = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  return mountinfo.split('\n')
    .map((l) => l.split(' ')[4])
    .filter((p): p is string => p !== undefined)
    .map((p) => p.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((p) => p === dir || p.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}
