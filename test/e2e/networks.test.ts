// Networks end to end: the real janus CLI and daemon, bridges, veths and
// nftables rules made by the daemon inside a network namespace this test
// creates (startDaemon runs it there), busybox clients and servers. What
// users see: addresses, names that resolve, networks that cannot reach
// each other, published ports reachable from the host's side, clear
// errors — and after removal nothing of a network on the host.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { skipUnlessRoot, startDaemon, type TestDaemon } from '../support/daemon.ts';
import { findContainerLeaks } from '../support/leaks.ts';
import { eventually, fails, ok } from './helpers.ts';

const run = promisify(execFile);

/** A command in the daemon's network namespace (the host side of its bridges). */
async function inNetns(netns: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run('nsenter', [`--net=/run/netns/${netns}`, ...args], { timeout: 20000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const SERVE = (text: string) => ['sh', '-c', `mkdir -p /www && echo ${text} > /www/index.html && exec httpd -f -p 80 -h /www`];

describe('networks end to end', { skip: skipUnlessRoot() }, () => {
  let d: TestDaemon;
  let netns: string;
  const janus = (args: string[]) => d.janus(args);
  const inspect = async (ref: string, format: string) => ok(await janus(['inspect', '--format', format, ref]), `inspect ${format}`).trim();

  before(async () => {
    d = await startDaemon();
    assert.ok(d.netns, 'the test daemon runs in a network namespace of its own');
    netns = d.netns;
    ok(await janus(['image', 'bootstrap', 'busybox']), 'bootstrap busybox');
  });
  after(async () => { await d?.stop(); });

  test('the default bridge: an address, a default route, the host\'s resolvers; network ls lists the predefined networks', async () => {
    const out = ok(await janus(['run', '--rm', 'busybox', 'sh', '-c', 'ip -4 -o addr show eth0; ip route']), 'run on bridge');
    assert.match(out, /eth0\s+inet (172\.\d+\.0\.\d+)\/16/);
    assert.match(out, /default via 172\.\d+\.0\.1 dev eth0/);
    const ls = ok(await janus(['network', 'ls', '--format', '{{.Name}} {{.Driver}}']), 'network ls');
    assert.deepEqual(ls.trim().split('\n').sort(), ['bridge bridge', 'host host', 'none null']);
    fails(await janus(['network', 'rm', 'bridge']), /pre-defined network/, 'rm bridge');
  });

  test('a user network: containers reach each other by name and alias; the network\'s DNS answers', async () => {
    ok(await janus(['network', 'create', '--subnet', '10.77.0.0/24', 'app']), 'network create');
    ok(await janus(['run', '-d', '--name', 'web', '--network', 'app', '--network-alias', 'www', 'busybox', ...SERVE('hello')]), 'run web');
    const ip = await inspect('web', '{{.NetworkSettings.Networks.app.IPAddress}}');
    assert.match(ip, /^10\.77\.0\.\d+$/);
    for (const name of ['web', 'www', 'WEB']) {
      const got = ok(await janus(['run', '--rm', '--network', 'app', 'busybox', 'timeout', '10', 'wget', '-qO-', `http://${name}/`]), `wget ${name}`);
      assert.equal(got, 'hello\n');
    }
    const resolv = ok(await janus(['run', '--rm', '--network', 'app', 'busybox', 'cat', '/etc/resolv.conf']), 'resolv.conf');
    assert.match(resolv, /^nameserver 10\.77\.0\.1$/m);
    const lookup = await janus(['run', '--rm', '--network', 'app', 'busybox', 'nslookup', 'nosuchname.invalid']);
    assert.notEqual(lookup.code, 0, 'an unknown name does not resolve');
    const netInspect = JSON.parse(ok(await janus(['network', 'inspect', 'app']), 'network inspect')) as Array<{ Containers: Record<string, { Name: string; IPv4Address: string }> }>;
    assert.deepEqual(Object.values(netInspect[0]!.Containers).map((c) => [c.Name, c.IPv4Address]), [['web', `${ip}/24`]]);
    fails(await janus(['network', 'rm', 'app']), /active endpoints/, 'rm a network in use');
  });

  test('isolation: another network cannot reach it; connect makes it reachable; internal networks stay inside', async () => {
    ok(await janus(['network', 'create', 'other']), 'network create other');
    const ip = await inspect('web', '{{.NetworkSettings.Networks.app.IPAddress}}');
    // --init: as PID 1 wget would ignore timeout's SIGTERM and wait out the kernel's connect timeout.
    const blocked = await janus(['run', '--rm', '--init', '--network', 'other', 'busybox', 'timeout', '3', 'wget', '-qO-', `http://${ip}/`]);
    assert.notEqual(blocked.code, 0, `a container on another network reached ${ip}: ${blocked.stdout}`);
    ok(await janus(['run', '-d', '--name', 'client', '--network', 'other', 'busybox', 'sleep', '300']), 'run client');
    ok(await janus(['network', 'connect', 'app', 'client']), 'network connect');
    assert.equal(ok(await janus(['exec', 'client', 'timeout', '10', 'wget', '-qO-', 'http://web/']), 'wget after connect'), 'hello\n');
    ok(await janus(['network', 'disconnect', 'app', 'client']), 'network disconnect');
    const again = await janus(['exec', 'client', 'timeout', '3', 'wget', '-qO-', `http://${ip}/`]);
    assert.notEqual(again.code, 0, 'disconnected again');
    ok(await janus(['rm', '-f', 'client']), 'rm client');
    // A container of the default bridge (host resolvers) switches to the network's DNS when connected.
    ok(await janus(['run', '-d', '--name', 'plain', 'busybox', 'sleep', '300']), 'run on the default bridge');
    ok(await janus(['network', 'connect', 'app', 'plain']), 'connect plain');
    assert.equal(ok(await janus(['exec', 'plain', 'timeout', '10', 'wget', '-qO-', 'http://web/']), 'wget by name after connect'), 'hello\n');
    ok(await janus(['rm', '-f', 'plain']), 'rm plain');

    ok(await janus(['network', 'create', '--internal', 'closed']), 'network create --internal');
    const gw = await inspect('web', '{{.NetworkSettings.Networks.app.Gateway}}');
    const out = await janus(['run', '--rm', '--init', '--network', 'closed', 'busybox', 'timeout', '3', 'wget', '-qO-', `http://${gw}/`]);
    assert.notEqual(out.code, 0, 'an internal network reaches nothing outside its subnet');
    ok(await janus(['network', 'rm', 'other', 'closed']), 'network rm');
  });

  test('static addresses: --ip is honoured, a taken one is refused and nothing is left of the refused container', async () => {
    ok(await janus(['run', '-d', '--name', 'fixed', '--network', 'app', '--ip', '10.77.0.50', 'busybox', 'sleep', '300']), 'run --ip');
    assert.equal(await inspect('fixed', '{{.NetworkSettings.Networks.app.IPAddress}}'), '10.77.0.50');
    fails(await janus(['run', '--rm', '--name', 'dup', '--network', 'app', '--ip', '10.77.0.50', 'busybox', 'true']), /10\.77\.0\.50/, 'duplicate --ip');
    assert.equal(ok(await janus(['ps', '-aq', '--filter', 'name=dup']), 'ps dup').trim(), '');
    fails(await janus(['run', '--rm', '--network', 'app', '--ip', '10.99.0.5', 'busybox', 'true']), /not in network app/, '--ip outside the subnet');
    fails(await janus(['network', 'create', '--subnet', '10.77.0.0/16', 'overlap']), /overlap/i, 'overlapping subnet');
    fails(await janus(['network', 'create', '--subnet', '10.88.0.0/33', 'bad']), /10\.88\.0\.0\/33/, 'invalid CIDR');
    ok(await janus(['rm', '-f', 'fixed']), 'rm fixed');
  });

  test('published ports: reachable at 127.0.0.1 and the host\'s address, a port in use is refused, port lists them, stop releases them', async () => {
    ok(await janus(['run', '-d', '--name', 'pub', '-p', '18080:80', '-p', '127.0.0.1::80', 'busybox', ...SERVE('published')]), 'run -p');
    const port = ok(await janus(['port', 'pub']), 'port').trim().split('\n').sort();
    assert.equal(port.length, 2);
    assert.ok(port.includes('80/tcp -> 0.0.0.0:18080'), port.join('\n'));
    const ephemeral = /127\.0\.0\.1:(\d+)/.exec(port.join('\n'))?.[1];
    assert.ok(ephemeral, 'an ephemeral port on 127.0.0.1');
    const wget = (url: string) => inNetns(netns, ['busybox', 'timeout', '10', 'wget', '-qO-', url]);
    assert.equal((await wget('http://127.0.0.1:18080/')).stdout, 'published\n');
    assert.equal((await wget(`http://127.0.0.1:${ephemeral}/`)).stdout, 'published\n');
    // From another container, through the host's address (the bridge gateway is one of them).
    const gw = await inspect('pub', '{{.NetworkSettings.Networks.bridge.Gateway}}');
    assert.equal(ok(await janus(['run', '--rm', 'busybox', 'timeout', '10', 'wget', '-qO-', `http://${gw}:18080/`]), 'hairpin'), 'published\n');

    fails(await janus(['run', '-d', '--name', 'clash', '-p', '18080:80', 'busybox', 'sleep', '300']), /port is already allocated/, 'port in use');
    assert.equal(await inspect('clash', '{{.State.Status}}'), 'created');
    ok(await janus(['rm', 'clash']), 'rm clash');

    ok(await janus(['stop', '-t', '1', 'pub']), 'stop');
    assert.notEqual((await wget('http://127.0.0.1:18080/')).code, 0, 'the port is released on stop');
    ok(await janus(['start', 'pub']), 'start again');
    assert.equal((await wget('http://127.0.0.1:18080/')).stdout, 'published\n');
    const id = await inspect('pub', '{{.Id}}');
    ok(await janus(['rm', '-f', 'pub']), 'rm pub');
    assert.deepEqual(await findContainerLeaks(d.root, id), []);
  });

  test('-P publishes the exposed ports; --network none and host have no published ports', async () => {
    ok(await janus(['run', '-d', '--name', 'all', '--expose', '80', '-P', 'busybox', ...SERVE('all')]), 'run -P');
    const line = ok(await janus(['port', 'all', '80']), 'port all 80').trim();
    assert.match(line, /^0\.0\.0\.0:\d+$/);
    ok(await janus(['rm', '-f', 'all']), 'rm all');
    fails(await janus(['run', '--rm', '--network', 'none', '-p', '80:80', 'busybox', 'true']), /port publishing/, '-p with none');
    const none = ok(await janus(['run', '--rm', '--network', 'none', 'busybox', 'ip', '-o', 'link']), 'none');
    assert.deepEqual(none.trim().split('\n').map((l) => l.split(':')[1]?.trim()), ['lo']);
  });

  test('live restore: published ports, names and addresses survive kill -9 of the daemon', async () => {
    ok(await janus(['run', '-d', '--name', 'lasting', '--network', 'app', '-p', '18090:80', 'busybox', ...SERVE('still')]), 'run lasting');
    const ip = await inspect('lasting', '{{.NetworkSettings.Networks.app.IPAddress}}');
    await d.kill9();
    await d.restart();
    const wget = (url: string) => inNetns(netns, ['busybox', 'timeout', '10', 'wget', '-qO-', url]);
    assert.equal((await wget('http://127.0.0.1:18090/')).stdout, 'still\n');
    assert.equal(await inspect('lasting', '{{.NetworkSettings.Networks.app.IPAddress}}'), ip);
    assert.equal(ok(await janus(['run', '--rm', '--network', 'app', 'busybox', 'timeout', '10', 'wget', '-qO-', 'http://lasting/']), 'by name after restart'), 'still\n');
    fails(await janus(['run', '-d', '--name', 'taker', '-p', '18090:80', 'busybox', 'true']), /port is already allocated/, 'the port is reserved again');
    ok(await janus(['rm', '-f', 'taker', 'lasting']), 'rm');
    const other = ok(await janus(['run', '-d', '--network', 'app', 'busybox', 'sleep', '300']), 'run after restart').trim();
    assert.notEqual(await inspect(other, '{{.NetworkSettings.Networks.app.IPAddress}}'), await inspect('web', '{{.NetworkSettings.Networks.app.IPAddress}}'), 'no address is handed out twice');
    ok(await janus(['rm', '-f', other]), 'rm other');
  });

  test('the sandbox level on networks: reached by name and on a published port, reaches containers by name; it cannot share a namespace', async (t) => {
    const levels = JSON.parse(ok(await janus(['info', '--format', '{{json .Janus.IsolationLevels}}']), 'info')) as { Name: string; Unavailable?: string }[];
    const why = levels.find((l) => l.Name === 'sandbox')?.Unavailable;
    if (why) return t.skip(`the sandbox level does not work here: ${why}`);
    ok(await janus(['run', '-d', '--name', 'sbx-web', '--isolation', 'sandbox', '--network', 'app', '--network-alias', 'gvisor', '-p', '18095:80', 'busybox', ...SERVE('from-gvisor')]), 'run a sandbox on app');
    const ip = await inspect('sbx-web', '{{.NetworkSettings.Networks.app.IPAddress}}');
    assert.match(ip, /^\d+\.\d+\.\d+\.\d+$/);
    assert.match(ok(await janus(['exec', 'sbx-web', 'ip', 'addr']), 'ip addr in the sandbox'), new RegExp(`inet ${ip.replace(/\./g, '\\.')}/`), 'gVisor has the address Janus gave it');
    // gVisor's httpd may still be starting: the first answer is waited for.
    await eventually('the sandbox\'s server', async () => ((await janus(['run', '--rm', '--network', 'app', 'busybox', 'timeout', '10', 'wget', '-qO-', 'http://sbx-web/'])).stdout === 'from-gvisor\n' ? true : undefined), 30000);
    assert.equal(ok(await janus(['run', '--rm', '--network', 'app', 'busybox', 'timeout', '10', 'wget', '-qO-', 'http://gvisor/']), 'wget by alias'), 'from-gvisor\n');
    assert.equal((await inNetns(netns, ['busybox', 'timeout', '10', 'wget', '-qO-', 'http://127.0.0.1:18095/'])).stdout, 'from-gvisor\n', 'its published port');
    // The other way: from inside gVisor to a container, by name (nc: busybox's wget fails under gVisor's host networking, see docs/networking.md).
    const got = ok(await janus(['exec', 'sbx-web', 'sh', '-c', 'printf "GET / HTTP/1.0\\r\\n\\r\\n" | nc web 80']), 'nc web from the sandbox');
    assert.match(got, /200 OK[\s\S]*hello/);
    // runsc cannot checkpoint its host networking: --memory is refused before anything happens, and the sandbox serves on.
    fails(await janus(['snapshot', 'create', '--memory', 'sbx-web', 'm']), /--memory is not supported for a sandbox on a network: it uses gVisor's host networking/, '--memory of a networked sandbox');
    assert.equal((await inNetns(netns, ['busybox', 'timeout', '10', 'wget', '-qO-', 'http://127.0.0.1:18095/'])).stdout, 'from-gvisor\n', 'still serving');
    fails(await janus(['run', '--rm', '--isolation', 'sandbox', '--network', 'host', 'busybox', 'true']), /--network host is not available at the sandbox level: gVisor's network stack takes over/, 'host networking in a sandbox');
    fails(await janus(['run', '--rm', '--isolation', 'sandbox', '--network', 'container:web', 'busybox', 'true']), /--network container:web is not available at the sandbox level/, 'another container\'s namespace');
    const none = ok(await janus(['run', '--rm', '--isolation', 'sandbox', '--network', 'none', 'busybox', 'ip', '-o', 'link']), 'a sandbox with --network none');
    assert.deepEqual(none.trim().split('\n').map((l) => l.split(':')[1]?.trim()), ['lo']);
    const id = await inspect('sbx-web', '{{.Id}}');
    ok(await janus(['rm', '-f', 'sbx-web']), 'rm sbx-web');
    assert.deepEqual(await findContainerLeaks(d.root, id), []);
  });

  test('after removal nothing of a network or its containers is left: no veth, bridge, rule or netns file', async () => {
    const id = await inspect('web', '{{.Id}}');
    const net = ok(await janus(['network', 'inspect', '--format', '{{.Id}}', 'app']), 'network id').trim();
    ok(await janus(['rm', '-f', 'web']), 'rm web');
    assert.deepEqual(await findContainerLeaks(d.root, id), []);
    ok(await janus(['network', 'rm', 'app']), 'network rm app');
    const links = (await inNetns(netns, ['ip', '-o', 'link'])).stdout;
    assert.doesNotMatch(links, new RegExp(net.slice(0, 10)), 'the bridge of app is gone');
    assert.doesNotMatch(links, /\bjv[0-9a-f]/, 'no container veth is left');
    const rules = (await inNetns(netns, ['nft', 'list', 'ruleset'])).stdout;
    assert.doesNotMatch(rules, new RegExp(net.slice(0, 10)), 'no rule of app is left');
    ok(await janus(['network', 'create', 'gone']), 'create');
    const pruned = ok(await janus(['network', 'prune', '-f']), 'network prune');
    assert.match(pruned, /gone/);
  });
});
