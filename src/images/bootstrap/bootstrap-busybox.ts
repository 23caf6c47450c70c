import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import type { ContentStore } from '../../core/content-store.ts';
import { invalidArgument, unavailable } from '../../core/errors.ts';
import type { Descriptor, ImageConfig, Platform } from '../../core/oci.ts';
import { hostPlatform } from '../../registry/platform.ts';
import type { Exec } from '../../util/exec.ts';
import { normalizeEntryName } from '../archive/entry-name.ts';
import { addTarEntry } from '../archive/pack-entry.ts';
import { storeGzipLayer } from '../import/gzip-layer.ts';
import { storeImage } from '../import/store-image.ts';
import { readElfInfo } from './elf-info.ts';

/** Options of `bootstrapBusybox`. */
export interface BusyboxOptions {
  exec: Exec;
  /** A statically linked busybox; default /bin/busybox (Debian's busybox-static). */
  busyboxPath?: string;
  signal?: AbortSignal;
  /** The time recorded in the config and on every entry; default the binary's mtime. */
  created?: Date;
  /** The platform the host runs; default this host's. The binary's ELF architecture must match it. */
  platform?: Platform;
}

/** The PATH docker's official images set. */
export const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const PASSWD = [
  'root:x:0:0:root:/root:/bin/sh',
  'daemon:x:1:1:daemon:/usr/sbin:/bin/false',
  'bin:x:2:2:bin:/bin:/bin/false',
  'sys:x:3:3:sys:/dev:/bin/false',
  'sync:x:4:100:sync:/bin:/bin/sync',
  'mail:x:8:8:mail:/var/spool/mail:/bin/false',
  'www-data:x:33:33:www-data:/var/www:/bin/false',
  'operator:x:37:37:Operator:/var:/bin/false',
  'nobody:x:65534:65534:nobody:/home:/bin/false',
];
const GROUP = [
  'root:x:0:', 'daemon:x:1:', 'bin:x:2:', 'sys:x:3:', 'adm:x:4:', 'tty:x:5:', 'disk:x:6:', 'lp:x:7:', 'mail:x:8:',
  'kmem:x:9:', 'wheel:x:10:root', 'cdrom:x:11:', 'dialout:x:18:', 'floppy:x:19:', 'video:x:28:', 'audio:x:29:',
  'tape:x:32:', 'www-data:x:33:', 'operator:x:37:', 'utmp:x:43:', 'plugdev:x:46:', 'staff:x:50:', 'lock:x:54:',
  'netdev:x:82:', 'users:x:100:', 'nogroup:x:65534:',
];
/** Directories of the image and their modes; applet directories are added to these. */
const DIRS: Record<string, number> = {
  bin: 0o755, dev: 0o755, etc: 0o755, home: 0o755, proc: 0o555, root: 0o700, sbin: 0o755, sys: 0o555, tmp: 0o1777,
  usr: 0o755, 'usr/bin': 0o755, 'usr/sbin': 0o755, var: 0o755, 'var/spool': 0o755, 'var/spool/mail': 0o755, 'var/www': 0o755,
};

/**
 * Builds `busybox:latest` from the host's statically linked busybox: one
 * gzip layer holding /bin/busybox, a hard link to it for every applet
 * `busybox --list-full` names, /etc/passwd, /etc/group and /etc/shadow
 * (root, daemon, …, nobody 65534; all passwords locked) and the usual
 * directories (/root 0700, /tmp 1777); config Cmd ["sh"] and docker's
 * default PATH, the host's platform. Deterministic: entries in a fixed
 * order, owned by 0:0, stamped with `created` (default the binary's
 * mtime), so the same busybox always yields the same image ID.
 * InvalidArgument when the binary is dynamically linked or for another
 * architecture; Unavailable when it cannot be run.
 */
export async function bootstrapBusybox(store: ContentStore, options: BusyboxOptions): Promise<{ manifest: Descriptor; config: Descriptor }> {
  const path = options.busyboxPath ?? '/bin/busybox';
  const platform = options.platform ?? hostPlatform();
  const st = await stat(path).catch((err: unknown) => {
    throw unavailable(`${path} not found: install busybox-static`, err);
  });
  const elf = await readElfInfo(path);
  if (elf.interpreter !== undefined) {
    throw invalidArgument(`${path} is dynamically linked (interpreter ${elf.interpreter}); an image needs a static busybox: install busybox-static`);
  }
  if (elf.architecture !== undefined && elf.architecture !== platform.architecture) {
    throw invalidArgument(`${path} is built for ${elf.architecture}, but the image is for ${platform.architecture}`);
  }
  const run = async (args: string[]) => {
    try {
      return await options.exec.run(path, args, { signal: options.signal, check: false });
    } catch (err) {
      throw unavailable(`cannot run ${path}: ${(err as Error).message}`, err);
    }
  };
  const listing = await run(['--list-full']);
  if (listing.code !== 0) throw unavailable(`${path} --list-full failed (exit ${listing.code}): ${listing.stderr.trim()}`);
  const applets = [...new Set(listing.stdout.split('\n').map((l) => l.trim()).filter((l) => l !== '')
    .map((l) => normalizeEntryName(l, `${path} --list-full`)))].filter((a) => a !== 'bin/busybox').sort();
  if (applets.length === 0) throw unavailable(`${path} --list-full named no applets`);
  const banner = (await run([])).stdout.split('\n')[0]?.trim() ?? '';
  const version = /^BusyBox (v\S+)/.exec(banner)?.[1];

  const created = options.created ?? st.mtime;
  const mtime = new Date(Math.floor(created.getTime() / 1000) * 1000);
  const dirs = { ...DIRS };
  for (const a of applets) {
    for (let d = posix.dirname(a); d !== '.'; d = posix.dirname(d)) dirs[d] ??= 0o755;
  }
  const pack = tar.pack();
  const layerStream = Readable.from(pack, { objectMode: false });
  const writing = (async () => {
    for (const d of Object.keys(dirs).sort()) await addTarEntry(pack, { name: `${d}/`, type: 'directory', mode: dirs[d], mtime });
    await addTarEntry(pack, { name: 'bin/busybox', type: 'file', mode: 0o755, size: st.size, mtime }, createReadStream(path), options.signal);
    await addTarEntry(pack, { name: 'etc/group', mode: 0o644, mtime }, Buffer.from(`${GROUP.join('\n')}\n`));
    await addTarEntry(pack, { name: 'etc/passwd', mode: 0o644, mtime }, Buffer.from(`${PASSWD.join('\n')}\n`));
    const shadow = PASSWD.map((l) => `${l.split(':')[0]}:*:0:0:99999:7:::`);
    await addTarEntry(pack, { name: 'etc/shadow', mode: 0o640, mtime }, Buffer.from(`${shadow.join('\n')}\n`));
    // Hard links after their target: an extractor needs the target to exist.
    for (const a of applets) await addTarEntry(pack, { name: a, type: 'link', linkname: 'bin/busybox', mode: 0o755, mtime });
    pack.finalize();
  })();
  writing.catch((err: unknown) => pack.destroy(err as Error));
  const stored = await storeGzipLayer(layerStream, store, { what: 'busybox layer', signal: options.signal });
  await writing;

  const when = mtime.toISOString();
  const config: ImageConfig = {
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant ? { variant: platform.variant } : {}),
    created: when,
    config: { Env: [DEFAULT_PATH], Cmd: ['sh'] },
    rootfs: { type: 'layers', diff_ids: [stored.diffId] },
    history: [{ created: when, created_by: `janus image bootstrap busybox${version ? ` (BusyBox ${version}, ${applets.length} applets)` : ''}` }],
  };
  return storeImage(store, { config, layers: [stored.layer] });
}
