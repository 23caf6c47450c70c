import { access, unlink, writeFile } from 'node:fs/promises';
import { isJanusError } from '../core/errors.ts';
import type { CliContext } from './command.ts';
import type { ContainerConfig } from './container-config.ts';
import { splitImageName } from './image-name.ts';
import { ProgressRenderer } from './progress-renderer.ts';
import { registryAuthFor } from './registry-auth.ts';
import { UsageError } from './usage-error.ts';

/**
 * Creates the container a `run`/`create` command line describes, as
 * docker's CLI does: refuses an existing `--cidfile` before anything is
 * sent; with `--pull always` pulls first; with `missing` (the default)
 * creates, and when the daemon has no such image says "Unable to find
 * image 'x:latest' locally" on stderr, pulls (progress on stderr, unless
 * `-q`) and creates again; with `never` only creates. The daemon's
 * warnings go to stderr. Writes the ID to the cidfile. Resolves with the
 * container's ID; the daemon's errors pass through unchanged.
 */
export async function createContainer(ctx: CliContext, config: ContainerConfig, command: string): Promise<string> {
  if (config.cidfile !== undefined) {
    const exists = await access(config.cidfile).then(() => true, () => false);
    if (exists) throw new UsageError(`container ID file found, make sure the other container isn't running or delete ${config.cidfile}`, { command });
  }
  const client = ctx.client();
  const create = () => client.containerCreate(config.body, { name: config.name, platform: config.platform, signal: ctx.signal });
  let created;
  if (config.pull === 'always') {
    await pull(ctx, config);
    created = await create();
  } else {
    try {
      created = await create();
    } catch (err) {
      if (config.pull === 'never' || !isJanusError(err, 'NotFound')) throw err;
      ctx.stderr.write(`Unable to find image '${withTag(config.image)}' locally\n`);
      await pull(ctx, config);
      created = await create();
    }
  }
  for (const w of created.Warnings ?? []) ctx.stderr.write(`WARNING: ${w}\n`);
  if (config.cidfile !== undefined) {
    try {
      await writeFile(config.cidfile, created.Id, { flag: 'wx' });
    } catch (err) {
      await unlink(config.cidfile).catch(() => {});
      throw new UsageError(`failed to write the container ID to the file: ${(err as Error).message}`, { command });
    }
  }
  return created.Id;
}

/** `busybox` → `busybox:latest`, as docker names an image it is about to pull. */
function withTag(image: string): string {
  const s = splitImageName(image);
  return s.tag === undefined && s.digest === undefined ? `${image}:latest` : image;
}

async function pull(ctx: CliContext, config: ContainerConfig): Promise<void> {
  const ref = withTag(config.image);
  const auth = await registryAuthFor(ctx, ref);
  const stream = ctx.client().pullImage(ref, { platform: config.platform, auth, signal: ctx.signal });
  if (config.quiet) {
    for await (const _ of stream) { /* drain: errors still throw */ }
    return;
  }
  const err = ctx.stderr as NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  await new ProgressRenderer({ out: err, tty: err.isTTY === true, columns: err.columns }).consume(stream);
}
