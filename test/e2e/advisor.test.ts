// The advisor end to end: the real CLI and daemon, the busybox image, every
// level that works here (in CI: runc, runsc and QEMU under TCG). What users
// see: `janus advise` on a run line, on a container and on compose files
// (one that loads, one that does not), `--isolation auto` choosing and
// recording its reasons in inspect, and `janus bench --quick` whose figures
// are consistent with each other and feed the advice's trade-off.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DockerClient } from '../../src/api/client/docker-client.ts';
import { isJanusError } from '../../src/core/errors.ts';
import { skipUnlessRoot, startDaemon, type TestDaemon } from '../support/daemon.ts';
import { eventually, fails, ok } from './helpers.ts';

interface LevelInfo { Name: string; Backends: string[]; Unavailable?: string; Accelerator?: string }
interface Reason { rule: string; level?: string; evidence: string; detail: string }
interface Advice { name: string; level: string; wanted: string; reasons: Reason[]; alternatives: { level: string; works: boolean; note: string }[]; changes: string[]; unevaluated: string[]; tradeoff: { levels?: Record<string, { startMs?: number; memoryPerInstanceBytes?: number; fitInFreeMemory?: number }>; missing?: string } }

const rootSkip = skipUnlessRoot();
let d: TestDaemon | undefined;
let levels: LevelInfo[] = [];
let work = '';
if (!rootSkip) {
  d = await startDaemon();
  work = await mkdtemp(join(tmpdir(), 'janus-advisor-'));
  ok(await d.janus(['image', 'bootstrap', 'busybox']), 'bootstrap busybox');
}
after(async () => {
  await d?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the advisor end to end', { skip: rootSkip }, () => {
  // A private XDG_CACHE_HOME, so nothing of the user's is read or written.
  const env = (): Record<string, string> => ({ XDG_CACHE_HOME: join(work, 'cache') });
  const janus = (args: string[]) => d!.janus(args, { env: env(), timeoutMs: 600000 });
  const advise = async (args: string[]): Promise<Advice[]> => (JSON.parse(ok(await janus(['advise', '--format', 'json', ...args]), `advise ${args.join(' ')}`)) as { workloads: Advice[] }).workloads;
  const works = (name: string) => { const l = levels.find((x) => x.Name === name); return !!l && !l.Unavailable && l.Backends.length > 0; };

  before(async () => {
    // The vm level's accelerator is probed by booting a guest after start-up; wait for its outcome.
    levels = await eventually('the accelerator probe', async () => {
      const ls = JSON.parse(ok(await janus(['info', '--format', '{{json .Janus.IsolationLevels}}']), 'info')) as LevelInfo[];
      return ls.find((l) => l.Name === 'vm')?.Accelerator === 'probing' ? undefined : ls;
    }, 60000);
  });

  test('a plain run line gets container, for fast starts and density, with what would change it', async () => {
    const [a] = await advise(['--', 'run', '-p', '8080:80', 'busybox', 'httpd', '-f']);
    assert.equal(a.level, 'container');
    assert.deepEqual(a.reasons.map((r) => r.rule), ['fast-density-default']);
    assert.match(a.reasons[0].evidence, /serves 80\/tcp/);
    assert.ok(a.changes.includes(`with label janus.trust=untrusted: ${works('vm') ? 'vm' : works('sandbox') ? 'sandbox' : 'container'}`), a.changes.join('\n'));
  });

  test('privileges that weaken the shared kernel are named, each with its risk, and push above container', async () => {
    const [a] = await advise(['--', 'run', '--cap-add', 'SYS_ADMIN', '-v', '/var/run/docker.sock:/var/run/docker.sock', '--device', '/dev/fuse', 'busybox', 'true']);
    const rules = a.reasons.map((r) => r.rule);
    for (const rule of ['dangerous-capability', 'sensitive-bind', 'special-hardware']) assert.ok(rules.includes(rule), `${rule} in ${rules.join(', ')}`);
    assert.match(a.reasons.find((r) => r.rule === 'sensitive-bind')!.detail, /root on the host/);
    assert.match(a.reasons.find((r) => r.rule === 'dangerous-capability')!.detail, /container-escape/);
    assert.equal(a.wanted, 'vm', 'a docker.sock bind asks for a VM');
    assert.equal(a.level, works('vm') ? 'vm' : works('sandbox') ? 'sandbox' : 'container');
  });

  test('--network host asks for more than a container, but no stronger level can share it: the advice says so', async () => {
    const [a] = await advise(['--', 'run', '--network', 'host', 'busybox', 'true']);
    assert.equal(a.wanted, 'sandbox');
    assert.equal(a.level, 'container');
    assert.equal(a.reasons[0].rule, 'fallback');
    assert.match(a.reasons[0].evidence, /--network host/);
    assert.ok(a.reasons.some((r) => r.rule === 'host-namespace' && /host's localhost/.test(r.detail)));
  });

  test('a workload labelled untrusted gets vm when the vm level works, or a fallback that says so', async () => {
    const [a] = await advise(['--', 'run', '-l', 'janus.trust=untrusted', 'busybox', 'sh']);
    assert.equal(a.reasons.find((r) => r.level === 'vm')?.rule, 'untrusted-code');
    if (works('vm')) {
      assert.equal(a.level, 'vm');
    } else {
      assert.equal(a.reasons[0].rule, 'fallback');
      assert.match(a.reasons[0].evidence, /the vm level does not work on this host/);
    }
  });

  test('a missing image and a compose file that does not parse are reported as not evaluated, not guessed', async () => {
    const [a] = await advise(['--', 'run', 'no-such-image:1']);
    assert.match(a.unevaluated.join('\n'), /image no-such-image:1: not on this host/);
    const bad = join(work, 'bad.yaml');
    await writeFile(bad, 'services:\n  web: [unclosed\n');
    const r = await janus(['advise', '-f', bad]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /could not evaluate: compose project .*bad\.yaml/);
  });

  test('compose services are advised from their x-janus trust and compliance', async () => {
    const file = join(work, 'compose.yaml');
    await writeFile(file, [
      'services:',
      '  web:',
      '    image: busybox',
      '    command: ["httpd", "-f"]',
      '  payments:',
      '    image: busybox',
      '    x-janus: {compliance: pci-dss}',
      '  plugin:',
      '    image: busybox',
      '    x-janus: {trust: untrusted}',
      '',
    ].join('\n'));
    const byName = new Map((await advise(['-f', file])).map((a) => [a.name, a]));
    assert.equal(byName.get('web')?.level, 'container');
    assert.equal(byName.get('payments')?.reasons.find((r) => r.level === 'vm')?.evidence, 'x-janus compliance=pci-dss');
    assert.equal(byName.get('plugin')?.reasons.find((r) => r.level === 'vm')?.evidence, 'x-janus trust=untrusted');
  });

  test('advise on an existing privileged container: vm, and it says the container runs at another level now', async () => {
    ok(await janus(['create', '--name', 'adv-priv', '--privileged', 'busybox', 'sleep', '60']), 'create');
    try {
      const [a] = await advise(['adv-priv']);
      assert.equal(a.name, 'adv-priv');
      assert.equal(a.wanted, 'vm');
      assert.ok(a.reasons.some((r) => r.rule === 'privileged' && r.evidence === '--privileged'));
      if (a.level !== 'container') assert.match(a.changes[0], /runs at the container level now/);
    } finally {
      await janus(['rm', '-f', 'adv-priv']);
    }
    fails(await janus(['advise', 'no-such-container']), /no-such-container/, 'advise on a missing container');
  });

  test('--isolation auto picks vm for an untrusted workload and shows the reasons in inspect; a plain one gets container', async () => {
    const auto = async (name: string, extra: string[]) => {
      ok(await janus(['run', '-d', '--name', name, '--isolation', 'auto', ...extra, 'busybox', 'sleep', '60']), `run ${name}`);
      return JSON.parse(ok(await janus(['inspect', '--format', '{{json .}}', name]), 'inspect')) as { HostConfig: { Isolation: string }; Janus: { Isolation: string; Advice: { Requested: string; Level: string; Reasons: { Rule: string; Evidence: string }[] } } };
    };
    try {
      const u = await auto('adv-untrusted', ['-l', 'janus.trust=untrusted']);
      const want = works('vm') ? 'vm' : works('sandbox') ? 'sandbox' : 'container';
      assert.equal(u.HostConfig.Isolation, want);
      assert.equal(u.Janus.Advice.Requested, 'auto');
      assert.equal(u.Janus.Advice.Level, want);
      assert.ok(u.Janus.Advice.Reasons.some((r) => r.Rule === 'untrusted-code' && r.Evidence === 'label janus.trust=untrusted'));
      assert.equal(ok(await janus(['exec', 'adv-untrusted', 'echo', 'up']), 'exec').trim(), 'up');
      const p = await auto('adv-plain', []);
      assert.equal(p.Janus.Isolation, 'container');
      assert.deepEqual(p.Janus.Advice.Reasons.map((r) => r.Rule), ['fast-density-default']);
    } finally {
      await janus(['rm', '-f', 'adv-untrusted', 'adv-plain']);
    }
  });

  test('before any bench the daemon has no figures: GET /janus/bench is NotFound and advise says what is missing', async () => {
    const client = new DockerClient({ host: d!.host });
    await assert.rejects(client.bench(), (e) => isJanusError(e, 'NotFound') && /run janus bench/.test(e.message));
    const [a] = await advise(['--', 'run', 'busybox']);
    assert.match(a.tradeoff.missing ?? '', /the daemon has no bench results .*run janus bench/);
  });

  test('janus bench --quick: consistent figures, a self-contained chart, and advise uses them', async (t) => {
    const chart = join(work, 'bench.svg');
    const results = JSON.parse(ok(await janus(['bench', '--quick', '--format', 'json', '--chart', chart]), 'bench --quick')) as {
      levels: Record<string, { works: boolean; coldStartMs?: number; warmStartMs?: number; execMs?: number; idlePssBytes?: number; fitInBudget?: number; cpuMBps?: number; ioMBps?: number }>;
    };
    // The figures go to the test log (figures only: the assertions below compare levels, never against a threshold).
    t.diagnostic(`bench --quick: ${JSON.stringify(results.levels)}`);
    const c = results.levels.container;
    assert.ok(c.works && c.warmStartMs! > 0 && c.execMs! > 0 && c.idlePssBytes! > 0 && c.cpuMBps! > 0 && c.ioMBps! > 0, JSON.stringify(c));
    for (const level of ['sandbox', 'vm']) {
      const f = results.levels[level];
      assert.equal(f.works, works(level), `${level} measured exactly when it works`);
      if (!f.works) continue;
      // A VM's cold boot under TCG takes seconds against a container's tenths; the sandbox's and a template VM's
      // starts come close enough to a container's on a loaded host that their order is no fact to assert.
      if (level === 'vm') assert.ok(f.coldStartMs! > c.coldStartMs!, `a VM boots slower than a container starts (${f.coldStartMs} vs ${c.coldStartMs} ms)`);
      assert.ok(f.idlePssBytes! > c.idlePssBytes!, `${level} takes more memory than a container (${f.idlePssBytes} vs ${c.idlePssBytes})`);
      assert.ok(f.fitInBudget! < c.fitInBudget!, `fewer ${level} workloads fit than containers`);
    }
    const svg = await readFile(chart, 'utf8');
    assert.match(svg, /^<svg xmlns=/);
    assert.doesNotMatch(svg, /<script|href=|url\(/);

    // The daemon keeps exactly the figures the CLI printed, and refuses a body it does not know, naming the field.
    const client = new DockerClient({ host: d!.host });
    assert.deepEqual(await client.bench(), results);
    await assert.rejects(client.benchRecord({ ...results, levels: { ...results.levels, vm: { ...results.levels.vm, bootMs: 1 } } } as never),
      (e) => isJanusError(e, 'InvalidArgument') && /levels\.vm\.bootMs is not a field/.test(e.message));
    assert.deepEqual(await client.bench(), results);

    const [a] = await advise(['--', 'run', 'busybox']);
    assert.equal(a.tradeoff.missing, undefined, a.tradeoff.missing);
    assert.ok(a.tradeoff.levels!.container.memoryPerInstanceBytes! > 0);
    assert.ok(a.tradeoff.levels!.container.fitInFreeMemory! > 0);
  });
});
