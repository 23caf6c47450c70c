import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import { invalidArgument, notFound } from '../core/errors.ts';
import { DockerIgnore } from '../util/dockerignore.ts';

/** A build context ready to send, and the Dockerfile path inside it. */
export interface PackedContext {
  tar: Readable;
  /** The Dockerfile's path inside the context (may be a generated name when it lives outside). */
  dockerfile: string;
}

/**
 * The tar `docker build DIR` sends: every file under `dir` not excluded by
 * its `.dockerignore` (excluded directories not even read), named relative
 * to `dir`, owned by 0:0, modes and times kept, symlinks as links, other
 * special files left out. The Dockerfile and `.dockerignore` are always
 * sent (the daemon hides them from COPY if they are excluded). A
 * Dockerfile outside `dir` (or given as text, from `-f -`) is added under a
 * generated name. NotFound when `dir` or the Dockerfile is missing.
 */
export async function packContext(dir: string, options: { dockerfile?: string; dockerfileText?: string } = {}): Promise<PackedContext> {
  const root = resolve(dir);
  const st = await lstat(root).catch(() => undefined);
  if (!st?.isDirectory()) throw notFound(`unable to prepare context: path ${JSON.stringify(dir)} not found`);
  const ignoreText = await readFile(join(root, '.dockerignore'), 'utf8').catch(() => undefined);
  const ignore = DockerIgnore.parse(ignoreText);
  let dockerfileRel: string | undefined;
  let extra: { name: string; body: Buffer } | undefined;
  if (options.dockerfileText !== undefined) {
    extra = { name: `.dockerfile.${randomBytes(10).toString('hex')}`, body: Buffer.from(options.dockerfileText) };
  } else {
    const given = options.dockerfile ?? join(root, 'Dockerfile');
    const abs = isAbsolute(given) ? given : options.dockerfile ? resolve(given) : given;
    const rel = relative(root, abs);
    if (!(await lstat(abs).catch(() => undefined))) throw notFound(`unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat ${abs}: no such file or directory`);
    if (rel.startsWith('..') || isAbsolute(rel)) extra = { name: `.dockerfile.${randomBytes(10).toString('hex')}`, body: await readFile(abs) };
    else dockerfileRel = rel.split(sep).join('/');
  }
  const always = new Set(['.dockerignore', ...(dockerfileRel ? [dockerfileRel] : [])]);
  const pack = tar.pack();
  const put = (header: Partial<tar.Header> & { name: string }, body?: Buffer | Readable): Promise<void> => new Promise((done, fail) => {
    if (body === undefined) {
      pack.entry(header, (err) => (err ? fail(err) : done()));
    } else if (Buffer.isBuffer(body)) {
      pack.entry({ ...header, size: body.length }, body, (err) => (err ? fail(err) : done()));
    } else {
      const sink = pack.entry(header, (err) => (err ? fail(err) : done()));
      body.on('error', fail);
      body.pipe(sink);
    }
  });
  const walk = async (rel: string): Promise<void> => {
    const names = (await readdir(join(root, rel))).sort();
    for (const name of names) {
      const childRel = rel === '' ? name : `${rel}/${name}`;
      const path = join(root, childRel);
      const s = await lstat(path);
      const excluded = !always.has(childRel) && ignore.excludes(childRel);
      if (s.isDirectory()) {
        if (excluded && ignore.canSkipDir(childRel)) continue;
        if (!excluded) await put({ name: `${childRel}/`, type: 'directory', mode: s.mode & 0o7777, mtime: s.mtime, uid: 0, gid: 0 });
        await walk(childRel);
        continue;
      }
      if (excluded) continue;
      const header = { name: childRel, mode: s.mode & 0o7777, mtime: s.mtime, uid: 0, gid: 0 };
      if (s.isFile()) await put({ ...header, type: 'file', size: s.size }, createReadStream(path));
      else if (s.isSymbolicLink()) await put({ ...header, type: 'symlink', linkname: await readlink(path) });
    }
  };
  void (async () => {
    try {
      await walk('');
      if (extra) await put({ name: extra.name, type: 'file', mode: 0o644, mtime: new Date(), uid: 0, gid: 0 }, extra.body);
      pack.finalize();
    } catch (err) {
      pack.destroy(invalidArgument(`cannot read the build context: ${(err as Error).message}`, err));
    }
  })();
  return { tar: pack as unknown as Readable, dockerfile: dockerfileRel ?? extra!.name };
}
