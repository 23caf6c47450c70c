import { lstat, readlink, realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, posix, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { ContainerPathStat } from '../../api/client/types.ts';
import { JanusError, invalidArgument, isJanusError } from '../../core/errors.ts';
import type { CliContext, Command } from '../command.ts';
import { getRebaseName, prepareArchiveCopy, splitCpArg, splitPathDirEntry, type CopyInfo } from '../cp-paths.ts';
import { humanSize } from '../human-size.ts';
import { extractToLocal, packLocalPath, type Rebase } from '../local-archive.ts';
import { UsageError } from '../usage-error.ts';

/** Go's os.FileMode type bits, as the daemon's path stat carries them (dir, symlink, device, pipe, socket, char device, irregular). */
const MODE_DIR = 2 ** 31;
const MODE_SYMLINK = 2 ** 27;
const TYPE_BITS = [31, 27, 26, 25, 24, 21, 19].map((b) => 2 ** b);

const bit = (mode: number, b: number): boolean => Math.floor(mode / b) % 2 === 1;
const isDirMode = (mode: number): boolean => bit(mode, MODE_DIR);
const isSymlinkMode = (mode: number): boolean => bit(mode, MODE_SYMLINK);
const isRegularMode = (mode: number): boolean => !TYPE_BITS.some((b) => bit(mode, b));

/** An absolute local path that keeps a trailing `/` or `/.` (they change what cp does). */
function resolveLocal(path: string): string {
  const abs = resolve(path);
  if (path.endsWith('/.') || path === '.') return abs === '/' ? '/.' : `${abs}/.`;
  if (path.endsWith('/') && abs !== '/') return `${abs}/`;
  return abs;
}

/** docker's CopyInfoDestinationPath on the local side: follows symlinks; a missing path needs an existing parent directory. */
async function localDestination(path: string): Promise<CopyInfo> {
  let p = path;
  for (let n = 0; ; n++) {
    const st = await lstat(p).catch(() => undefined);
    if (!st) break;
    if (!st.isSymbolicLink()) return { path: p, exists: true, isDir: st.isDirectory() };
    if (n > 10) throw invalidArgument(`too many symlinks in ${path}`);
    const target = await readlink(p);
    p = isAbsolute(target) ? target : join(splitPathDirEntry(p).dir, target);
  }
  const parent = splitPathDirEntry(p).dir;
  const pst = await stat(parent).catch(() => undefined);
  if (!pst) throw new JanusError('NotFound', `stat ${parent}: no such file or directory`);
  if (!pst.isDirectory()) throw invalidArgument(`stat ${parent}: not a directory`);
  return { path: p, exists: false, isDir: false };
}

/** docker's CopyInfoSourcePath on the local side: the last component followed only with `-L`. */
async function localSource(path: string, followLink: boolean): Promise<CopyInfo> {
  let resolved: string;
  let rebaseName: string | undefined;
  try {
    if (followLink) {
      const r = getRebaseName(path, await realpath(path));
      resolved = r.resolved;
      rebaseName = r.rebaseName;
    } else {
      const { dir, base } = splitPathDirEntry(path);
      resolved = posix.join(await realpath(dir), base) + (path.endsWith('/') && base !== '.' ? '/' : '');
      if (base === '.') resolved = `${await realpath(dir)}/.`;
    }
    const st = await lstat(resolved.replace(/\/\.$/, '') || '/');
    if (resolved.endsWith('/') && !st.isDirectory()) throw invalidArgument(`lstat ${path}: not a directory`);
    return { path: resolved, exists: true, isDir: st.isDirectory(), ...(rebaseName ? { rebaseName } : {}) };
  } catch (err) {
    if (isJanusError(err)) throw err;
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') throw new JanusError('NotFound', `lstat ${path}: no such file or directory`);
    if (e.code === 'ENOTDIR') throw invalidArgument(`lstat ${path}: not a directory`);
    throw new JanusError('InvalidArgument', `${path}: ${e.message}`);
  }
}

function success(ctx: CliContext, quiet: boolean, bytes: number, where: string): void {
  const err = ctx.stderr as NodeJS.WritableStream & { isTTY?: boolean };
  if (!quiet && err.isTTY === true) err.write(`Successfully copied ${humanSize(bytes)} to ${where}\n`);
}

async function copyFromContainer(ctx: CliContext, container: string, srcPath: string, dstArg: string, options: { followLink: boolean; quiet: boolean }): Promise<void> {
  const client = ctx.client();
  const dst = dstArg === '-' ? '-' : resolveLocal(dstArg);
  if (dst !== '-') {
    const parent = dirname(posix.normalize(dst).replace(/\/+$/, '') || '/');
    if (!(await stat(parent).catch(() => undefined))) throw invalidArgument(`invalid output path: directory ${JSON.stringify(parent)} does not exist`);
  }
  let path = srcPath;
  let rebaseName: string | undefined;
  if (options.followLink) {
    const st = await client.containerStatPath(container, path, { signal: ctx.signal }).catch(() => undefined);
    if (st && isSymlinkMode(st.mode)) {
      const target = posix.isAbsolute(st.linkTarget) ? st.linkTarget : posix.join(splitPathDirEntry(path).dir, st.linkTarget);
      const r = getRebaseName(path, target);
      path = r.resolved;
      rebaseName = r.rebaseName;
    }
  }
  const { stat: st, archive } = await client.containerGetArchive(container, path, { signal: ctx.signal });
  if (dst === '-') {
    await pipeline(archive, ctx.stdout, { end: false });
    return;
  }
  const src: CopyInfo = { path, exists: true, isDir: isDirMode(st.mode), ...(rebaseName ? { rebaseName } : {}) };
  let plan;
  try {
    plan = prepareArchiveCopy(src, await localDestination(dst), dstArg);
  } catch (err) {
    archive.destroy();
    throw err;
  }
  const top = splitPathDirEntry(path).base;
  const to = plan.rebase?.to ?? rebaseName;
  const rebase: Rebase = to !== undefined && to !== top ? { from: top, to } : undefined;
  const bytes = await extractToLocal(archive as Readable & AsyncIterable<Buffer>, plan.dstDir, rebase);
  success(ctx, options.quiet, bytes, dstArg);
}

async function copyToContainer(ctx: CliContext, container: string, srcArg: string, dstPath: string, options: { followLink: boolean; copyUidGid: boolean; quiet: boolean }): Promise<void> {
  const client = ctx.client();
  const where = `${container}:${dstPath}`;
  const dst: CopyInfo = { path: dstPath, exists: false, isDir: false };
  const statPath = (p: string): Promise<ContainerPathStat | undefined> => client.containerStatPath(container, p, { signal: ctx.signal }).catch((err: unknown) => {
    if (isJanusError(err, 'NotFound')) return undefined;
    throw err;
  });
  let st = await statPath(dstPath);
  if (st && isSymlinkMode(st.mode)) {
    dst.path = posix.isAbsolute(st.linkTarget) ? st.linkTarget : posix.join(splitPathDirEntry(dstPath).dir, st.linkTarget);
    st = await statPath(dst.path);
  }
  if (st) {
    if (!isDirMode(st.mode) && !isRegularMode(st.mode)) throw invalidArgument(`destination "${where}" must be a directory or a regular file`);
    dst.exists = true;
    dst.isDir = isDirMode(st.mode);
  }
  let content: Readable;
  let dstDir: string;
  const counted = { bytes: 0 };
  if (srcArg === '-') {
    if (!dst.isDir) throw invalidArgument(`destination "${where}" must be a directory`);
    content = ctx.stdin as unknown as Readable;
    dstDir = dst.path;
  } else {
    const src = await localSource(resolveLocal(srcArg), options.followLink);
    const plan = prepareArchiveCopy(src, dst, where);
    const top = splitPathDirEntry(src.path).base;
    const to = plan.rebase?.to ?? src.rebaseName;
    content = packLocalPath(src.path, to !== undefined && to !== top ? { from: top, to } : undefined, counted);
    dstDir = plan.dstDir;
  }
  await client.containerPutArchive(container, dstDir, content, { noOverwriteDirNonDir: true, copyUidGid: options.copyUidGid, signal: ctx.signal });
  success(ctx, options.quiet, counted.bytes, where);
}

/**
 * `janus cp` / `container cp`: copies between a container and the local
 * filesystem in either direction, with docker cp's rules for directories,
 * trailing slashes and `/.` (see cp-paths.ts); `-` streams a tar on stdin
 * or stdout instead of a local path.
 */
export function cpCommand(name: string): Command {
  return {
    spec: {
      name,
      usage: '[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tjanus cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH',
      description: "Copy files/folders between a container and the local filesystem\n\nUse '-' as the source to read a tar archive from stdin\nand extract it to a directory destination in a container.\nUse '-' as the destination to stream a tar archive of a\ncontainer source to stdout.",
      aliases: ['container cp', 'cp'].filter((a) => a !== name),
      args: { min: 2, max: 2 },
      flags: [
        { name: 'archive', short: 'a', type: 'bool', description: 'Archive mode (copy all uid/gid information)' },
        { name: 'follow-link', short: 'L', type: 'bool', description: 'Always follow symbol link in SRC_PATH' },
        { name: 'quiet', short: 'q', type: 'bool', description: 'Suppress progress output during copy. Progress output is automatically suppressed if no terminal is attached' },
      ],
    },
    async run(ctx, args) {
      const [source, destination] = args.positionals;
      const src = splitCpArg(source);
      const dst = splitCpArg(destination);
      const fromContainer = src.container !== undefined && src.container !== '';
      const toContainer = dst.container !== undefined && dst.container !== '';
      if (fromContainer && toContainer) throw new UsageError('copying between containers is not supported', { command: name });
      if (!fromContainer && !toContainer) throw new UsageError('must specify at least one container source', { command: name });
      if (src.path === '' && !fromContainer) throw new UsageError('source path cannot be empty', { command: name });
      if (dst.path === '' && !toContainer) throw new UsageError('destination path cannot be empty', { command: name });
      const options = { followLink: args.bool('follow-link'), copyUidGid: args.bool('archive'), quiet: args.bool('quiet') };
      if (fromContainer) await copyFromContainer(ctx, src.container!, src.path || '.', dst.path, options);
      else await copyToContainer(ctx, dst.container!, src.path, dst.path || '.', options);
    },
  };
}
