import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/*
 * The guest agent's protocol parser (agent/protocol.c): its C unit test on
 * known frames, and a bounded libFuzzer run over it, both built here from
 * source so they always test the current code.
 */

const here = dirname(fileURLToPath(import.meta.url));
const FUZZ_RUNS = 100_000;

interface Run {
  code: number | null;
  out: string;
}

function run(cmd: string, args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') return reject(err);
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

async function have(cmd: string): Promise<boolean> {
  try {
    return (await run(cmd, ['--version'], here)).code === 0;
  } catch {
    return false;
  }
}

test('the protocol parser passes its unit test on known frames and records', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'janus-agent-test-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const bin = join(dir, 'protocol-test');
  const build = await run('gcc', ['-std=gnu11', '-O1', '-g', '-Wall', '-Wextra', '-Werror', '-fsanitize=address,undefined',
    '-fno-sanitize-recover=undefined', '-o', bin, 'protocol-test.c', 'protocol.c'], here);
  assert.equal(build.code, 0, `building protocol-test failed:\n${build.out}`);
  const res = await run(bin, [], here);
  assert.match(res.out, /protocol: \d+ passed, 0 failed/, res.out);
  assert.equal(res.code, 0, res.out);
});

test(`the protocol parser survives ${FUZZ_RUNS} fuzzed inputs (libFuzzer, ASan, UBSan)`, async (t) => {
  if (!(await have('clang'))) {
    t.skip('clang is missing (Debian packages clang and libclang-rt-14-dev; scripts/setup installs them)');
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'janus-agent-fuzz-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const bin = join(dir, 'fuzz-protocol');
  const build = await run('clang', ['-g', '-O1', '-Wall', '-Wextra', '-Werror', '-fsanitize=fuzzer,address,undefined',
    '-fno-sanitize-recover=undefined', '-o', bin, 'fuzz-protocol.c', 'protocol.c'], here);
  assert.equal(build.code, 0, `building the fuzzer failed:\n${build.out}`);
  // Seeds: well-formed frames and payloads of each host message, so the
  // fuzzer starts from the protocol's shapes rather than from nothing.
  const corpus = join(dir, 'corpus');
  await mkdir(corpus);
  const rec = (...kv: [string, string][]) => Buffer.from(kv.map(([k, v]) => `${k}=${v}\0`).join(''));
  const frame = (type: number, channel: number, payload: Buffer) => {
    const h = Buffer.alloc(9);
    h.writeUInt32BE(payload.length + 5, 0);
    h.writeUInt8(type, 4);
    h.writeUInt32BE(channel, 5);
    return Buffer.concat([h, payload]);
  };
  const seeds: Record<string, Buffer> = {
    hello: frame(1, 0, rec(['version', '1'])),
    config: rec(['hostname', 'web'], ['iface', 'eth0\t02:42:ac:11:00:02\t172.17.0.2/16\t1500'], ['route', '0.0.0.0/0\t172.17.0.1'],
      ['disk', '/dev/vda\text4'], ['mount', '9p\tj0\tvolumes/x\t/data\tro'], ['mount', 'tmpfs\t/run\tsize=64k'],
      ['sysctl', 'net.ipv4.ip_forward\t1'], ['now', '1764900000000000000']),
    start: frame(3, 1, rec(['arg', 'sh'], ['arg', '-c'], ['env', 'PATH=/bin'], ['cwd', '/w'], ['uid', '1'], ['gid', '1'],
      ['groups', '1,2'], ['tty', '1'], ['rows', '24'], ['cols', '80'], ['stdin', '1'], ['init', '1'], ['caps', 'a80425fb'],
      ['rlimit', 'nofile\t1024\t-1'], ['nonewprivs', '1'])),
    stream: Buffer.concat([frame(4, 1, Buffer.from('input')), frame(5, 1, rec(['signal', '15'], ['all', '1'])),
      frame(6, 1, rec(['rows', '50'], ['cols', '132'])), frame(7, 0, Buffer.alloc(0)), frame(8, 1, Buffer.alloc(0)),
      frame(10, 0, rec(['now', '1'], ['seed', '00ff00ff'])), frame(9, 0, Buffer.alloc(0))]),
  };
  for (const [name, data] of Object.entries(seeds)) await writeFile(join(corpus, name), data);
  const res = await run(bin, [`-runs=${FUZZ_RUNS}`, '-seed=1', '-max_len=4096', '-rss_limit_mb=1024',
    `-artifact_prefix=${dir}/`, corpus], dir);
  assert.equal(res.code, 0, `the fuzzer found a failure:\n${res.out.slice(-6000)}`);
  assert.match(res.out, new RegExp(`Done ${FUZZ_RUNS} runs`), res.out.slice(-2000));
});
