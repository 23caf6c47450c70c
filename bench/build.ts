// Build benchmark: the multi-stage example (examples/build) built by
// `janus build` and by `podman build` (when installed), alternating:
//   - a full build (`--no-cache`: every step runs; the base image is present),
//   - a fully cached rebuild (nothing runs; the same image ID),
//   - a rebuild after one copied file changed (the steps after it run).
// Both build with RUN on network none. Prints medians, min/max and the
// janus/podman ratios; there is no pass/fail threshold.
// Usage: node bench/build.ts [--runs N]
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { NodeExec } from '../src/util/exec.ts';
import { JANUS_BIN, startDaemon } from '../test/support/daemon.ts';
import { median, preparePodman, timed } from './bench-support.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
const runs = Math.max(1, Number(values.runs));

if (process.getuid?.() !== 0) {
  console.error('bench/build: cannot run: needs root');
  process.exit(1);
}
const exec = new NodeExec();
const progress = (text: string): void => { process.stderr.write(`bench/build: ${text}\n`); };
const s = (x: number): string => `${(x / 1000).toFixed(2)} s`;
const EXAMPLE = resolve(import.meta.dirname, '../examples/build');

const d = await startDaemon();
const work = await mkdtemp(join(tmpdir(), 'janus-bench-build-'));
try {
  const env = { ...process.env, JANUS_HOST: d.host, JANUS_CONFIG: d.configDir };
  progress('bootstrapping busybox');
  await exec.run(JANUS_BIN, ['image', 'bootstrap', 'busybox'], { env });
  const prepared = await preparePodman(work, { env });
  if (!prepared) progress('podman is not installed: janus only');

  // Each builder gets its own copy of the context, so changing a file for one never touches the other's cache.
  // podman 4.3 (buildah 1.28) has no here-documents: both build a variant whose README comes from the context instead.
  const contexts: Record<string, string> = {};
  const original = await readFile(join(EXAMPLE, 'Dockerfile'), 'utf8');
  const heredoc = /^COPY --chown=nobody:nogroup <<EOF \/data\/README\n([\s\S]*?)^EOF\n/m;
  const body = heredoc.exec(original)?.[1];
  if (body === undefined) throw new Error('bench/build: the example no longer has the here-document this benchmark replaces');
  for (const name of ['janus', 'podman']) {
    contexts[name] = join(work, `ctx-${name}`);
    await cp(EXAMPLE, contexts[name], { recursive: true });
    await writeFile(join(contexts[name], 'Dockerfile'), original.replace(heredoc, 'COPY --chown=nobody:nogroup app/README /data/README\n'));
    await writeFile(join(contexts[name], 'app', 'README'), body);
  }
  let version = 1;
  const changeOne = async (name: string): Promise<void> => {
    version++;
    await writeFile(join(contexts[name]!, 'app', 'VERSION'), `1.${version}\n`);
  };
  const janus = (args: string[]) => timed(JANUS_BIN, ['build', '-q', ...args, contexts.janus!], env);
  const podman = prepared && ((args: string[]) => timed(prepared.podman, ['build', '-q', '--layers', '--format', 'docker', '--network', 'none', ...args, contexts.podman!], prepared.env));

  // A first build of each checks that the builder can build the example at all (podman's may not know a feature).
  progress('warming up');
  await janus(['-t', 'bench-example']);
  let podmanOk = false;
  if (podman) {
    const r = await exec.run(prepared.podman, ['build', '-q', '--layers', '--format', 'docker', '--network', 'none', '-t', 'bench-example', contexts.podman!], { env: prepared.env, check: false });
    podmanOk = r.code === 0;
    if (!podmanOk) progress(`podman cannot build the example, janus only: ${r.stderr.trim().split('\n').slice(-2).join(' ')}`);
  }

  const kinds: Array<{ what: string; janus: () => Promise<number>; podman?: () => Promise<number> }> = [
    { what: 'full build (--no-cache)', janus: () => janus(['--no-cache', '-t', 'bench-example']), ...(podmanOk ? { podman: () => podman!(['--no-cache', '-t', 'bench-example']) } : {}) },
    { what: 'cached rebuild', janus: () => janus(['-t', 'bench-example']), ...(podmanOk ? { podman: () => podman!(['-t', 'bench-example']) } : {}) },
    {
      what: 'rebuild, one file changed',
      janus: async () => { await changeOne('janus'); return janus(['-t', 'bench-example']); },
      ...(podmanOk ? { podman: async () => { await changeOne('podman'); return podman!(['-t', 'bench-example']); } } : {}),
    },
  ];
  progress(`${runs} alternating runs of each`);
  const times = kinds.map(() => ({ janus: [] as number[], podman: [] as number[] }));
  for (let i = 0; i < runs; i++) {
    for (const [k, kind] of kinds.entries()) {
      times[k]!.janus.push(await kind.janus());
      if (kind.podman) times[k]!.podman.push(await kind.podman());
    }
  }
  console.log(`bench/build: examples/build (19 steps in the 2 of its 3 stages the target needs; the here-document as a context file), ${runs} runs each, alternating; podman: ${podmanOk ? (await exec.run(prepared!.podman, ['--version'])).stdout.trim() : 'not measured'}`);
  console.log(`  ${''.padEnd(28)} ${'janus'.padStart(24)}   ${'podman'.padStart(24)}   janus/podman`);
  for (const [k, kind] of kinds.entries()) {
    const j = times[k]!.janus;
    const p = times[k]!.podman;
    const col = (xs: number[]) => (xs.length === 0 ? '—'.padStart(24) : `${s(median(xs))} (${s(Math.min(...xs))}–${s(Math.max(...xs))})`.padStart(24));
    console.log(`  ${kind.what.padEnd(28)} ${col(j)}   ${col(p)}   ${p.length > 0 ? (median(j) / median(p)).toFixed(2) : '—'}`);
  }
  if (prepared) await exec.run(prepared.podman, ['system', 'reset', '-f'], { env: prepared.env, check: false });
} finally {
  await d.stop();
  await rm(work, { recursive: true, force: true });
}
