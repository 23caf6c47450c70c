// `janus network …` end to end against a fake Docker API on a unix socket:
// what a user types, what the daemon receives, what the user sees.
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeApi, type FakeApi } from '../../../test/support/fake-api.ts';
import type { NetworkResource } from '../../api/client/types.ts';
import { ipamConfigFromFlags } from '../network-flags.ts';
import { networkRows } from './network.ts';

let api: FakeApi;

const network = (name: string, over: Partial<NetworkResource> = {}): NetworkResource => ({
  Name: name, Id: `${name.charCodeAt(0).toString(16).padStart(2, '0')}`.repeat(32), Created: '2024-05-06T07:08:09.5Z', Scope: 'local', Driver: 'bridge',
  EnableIPv4: true, EnableIPv6: false, IPAM: { Driver: 'default', Options: null, Config: [] }, Internal: false, Attachable: false, Ingress: false,
  Containers: {}, Options: {}, Labels: {}, ...over,
});

before(async () => { api = await startFakeApi(); });
beforeEach(() => { api.seen = []; });
after(() => api.close());

test('network create sends docker\'s body and prints the ID', async () => {
  api.answer = () => ({ status: 201, body: { Id: 'f'.repeat(64), Warning: '' } });
  const r = await api.cli([
    'network', 'create', '-d', 'bridge', '--subnet', '10.1.0.0/24', '--gateway', '10.1.0.1', '--ip-range', '10.1.0.128/25', '--internal', '--attachable',
    '--label', 'app=web', '--label', 'flag', '-o', 'com.docker.network.bridge.enable_icc=false', 'web',
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `${'f'.repeat(64)}\n`);
  assert.equal(api.seen[0].path, '/networks/create');
  assert.deepEqual(JSON.parse(api.seen[0].body), {
    Name: 'web', Driver: 'bridge', Internal: true, Attachable: true,
    IPAM: { Driver: 'default', Config: [{ Subnet: '10.1.0.0/24', IPRange: '10.1.0.128/25', Gateway: '10.1.0.1' }], Options: {} },
    Options: { 'com.docker.network.bridge.enable_icc': 'false' }, Labels: { app: 'web', flag: '' },
  });

  api.answer = () => ({ status: 409, body: { message: 'network with name web already exists' } });
  const dup = await api.cli(['network', 'create', 'web']);
  assert.equal(dup.code, 1);
  assert.equal(dup.stderr, 'Error response from daemon: network with name web already exists\n');
});

test('network create refuses bad and unsupported flags before sending anything (exit 125)', async () => {
  const cases: [string[], RegExp][] = [
    [['--ipv6'], /^Error: --ipv6 is not supported: Janus networks are IPv4 networks\n/],
    [['--gateway', '10.0.0.1'], /every ip-range or gateway must have a corresponding subnet/],
    [['--subnet', '10.0.0.0/33'], /invalid CIDR address: 10\.0\.0\.0\/33/],
    [['--subnet', '10.0.0.0/24', '--gateway', '10.9.0.1'], /no matching subnet for gateway 10\.9\.0\.1/],
    [['--subnet', 'fd00::/64'], /IPv6 is not supported/],
    [['--aux-address', 'a=10.0.0.5'], /--aux-address is not supported/],
    [['--scope', 'swarm'], /--scope is not supported/],
    [['-o', 'novalue'], /invalid argument "novalue" for "-o, --opt" flag/],
  ];
  for (const [flags, message] of cases) {
    const r = await api.cli(['network', 'create', ...flags, 'n']);
    assert.equal(r.code, 125, `${flags.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.match(r.stderr, /See 'janus network create --help'\./);
  }
  assert.equal(api.seen.length, 0);
});

test('network ls: docker\'s table sorted by name, -q, --no-trunc, --format, filters', async () => {
  const list = [network('web2', { Labels: { b: '2', a: '1' } }), network('bridge'), network('web10'), network('host', { Driver: 'host' }), network('none', { Driver: 'null' })];
  api.answer = () => ({ status: 200, body: list });
  const table = await api.cli(['network', 'ls']);
  assert.equal(table.code, 0, table.stderr);
  const id = (n: string) => network(n).Id.slice(0, 12);
  assert.equal(table.stdout, [
    'NETWORK ID     NAME      DRIVER    SCOPE',
    `${id('bridge')}   bridge    bridge    local`,
    `${id('host')}   host      host      local`,
    `${id('none')}   none      null      local`,
    `${id('web2')}   web2      bridge    local`,
    `${id('web10')}   web10     bridge    local`,
    '',
  ].join('\n'));
  assert.equal((await api.cli(['network', 'ls', '-q'])).stdout, ['bridge', 'host', 'none', 'web2', 'web10'].map((n) => `${id(n)}\n`).join(''));
  assert.equal((await api.cli(['network', 'ls', '-q', '--no-trunc'])).stdout.split('\n')[0], network('bridge').Id);
  assert.equal((await api.cli(['network', 'ls', '--format', '{{.Name}} {{.Labels}} {{.Label "a"}} {{.IPv6}} {{.Internal}} {{.CreatedAt}}'])).stdout.split('\n')[3], 'web2 a=1,b=2 1 false false 2024-05-06 07:08:09.5 +0000 UTC');
  const json = (await api.cli(['network', 'ls', '--format', 'json'])).stdout.split('\n')[0];
  assert.deepEqual(JSON.parse(json), { ID: id('bridge'), Name: 'bridge', Driver: 'bridge', Scope: 'local', IPv6: 'false', Internal: 'false', Labels: '', CreatedAt: '2024-05-06 07:08:09.5 +0000 UTC' });
  api.seen = [];
  await api.cli(['network', 'ls', '--filter', 'driver=bridge', '-f', 'label=a']);
  assert.deepEqual(JSON.parse(api.seen[0].query.get('filters') ?? ''), { driver: { bridge: true }, label: { a: true } });
});

test('network inspect prints docker\'s JSON array or --format per network; a missing one fails after', async () => {
  api.answer = (s) => (s.path === '/networks/nosuch' ? { status: 404, body: { message: 'network nosuch not found' } } : { status: 200, body: network(s.path.split('/')[2]) });
  const r = await api.cli(['network', 'inspect', 'web', 'nosuch', 'bridge']);
  assert.equal(r.code, 1);
  const printed = JSON.parse(r.stdout) as NetworkResource[];
  assert.deepEqual(printed.map((n) => n.Name), ['web', 'bridge']);
  assert.match(r.stdout, /^\[\n {4}\{\n {8}"Name": "web",/);
  assert.equal(r.stderr, 'Error response from daemon: network nosuch not found\n');
  const f = await api.cli(['network', 'inspect', '-f', '{{.Name}} {{.Driver}}', 'web']);
  assert.equal(f.stdout, 'web bridge\n');
  assert.equal(api.seen.at(-1)?.query.get('verbose'), null);
  await api.cli(['network', 'inspect', '-v', 'web']);
  assert.equal(api.seen.at(-1)?.query.get('verbose'), '1');
});

test('network rm removes each, reports failures at the end; -f ignores missing networks', async () => {
  api.answer = (s) => {
    if (s.path === '/networks/nosuch') return { status: 404, body: { message: 'network nosuch not found' } };
    if (s.path === '/networks/bridge') return { status: 403, body: { message: 'bridge is a pre-defined network and cannot be removed' } };
    return { status: 204 };
  };
  const r = await api.cli(['network', 'rm', 'a', 'nosuch', 'bridge', 'b']);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, 'a\nb\n');
  assert.equal(r.stderr, 'Error response from daemon: network nosuch not found\nError response from daemon: bridge is a pre-defined network and cannot be removed\n');
  const forced = await api.cli(['network', 'remove', '-f', 'nosuch', 'a']);
  assert.equal(forced.code, 0, forced.stderr);
  assert.equal(forced.stdout, 'a\n');
  assert.deepEqual(api.seen.filter((s) => s.method === 'DELETE').map((s) => s.path), ['/networks/a', '/networks/nosuch', '/networks/bridge', '/networks/b', '/networks/nosuch', '/networks/a']);
});

test('network prune asks first, sends filters and lists what went', async () => {
  api.answer = () => ({ status: 200, body: { NetworksDeleted: ['old', 'older'] } });
  const no = await api.cli(['network', 'prune'], 'n\n');
  assert.equal(no.stdout, 'WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue? [y/N] ');
  assert.equal(api.seen.length, 0);
  const yes = await api.cli(['network', 'prune', '--filter', 'until=24h'], 'y\n');
  assert.equal(yes.code, 0, yes.stderr);
  assert.match(yes.stdout, /\[y\/N\] Deleted Networks:\nold\nolder\n\n$/);
  assert.deepEqual(JSON.parse(api.seen[0].query.get('filters') ?? ''), { until: { '24h': true } });
  api.answer = () => ({ status: 200, body: { NetworksDeleted: null } });
  assert.equal((await api.cli(['network', 'prune', '-f'])).stdout, '');
});

test('network connect and disconnect send docker\'s bodies', async () => {
  api.answer = () => ({ status: 200 });
  assert.equal((await api.cli(['network', 'connect', '--alias', 'db', '--alias', 'pg', '--ip', '10.1.0.7', 'web', 'c1'])).code, 0);
  assert.equal((await api.cli(['network', 'connect', 'web', 'c2'])).code, 0);
  assert.equal((await api.cli(['network', 'disconnect', '-f', 'web', 'c1'])).code, 0);
  assert.deepEqual(api.seen.map((s) => [s.path, JSON.parse(s.body)]), [
    ['/networks/web/connect', { Container: 'c1', EndpointConfig: { Aliases: ['db', 'pg'], IPAMConfig: { IPv4Address: '10.1.0.7' } } }],
    ['/networks/web/connect', { Container: 'c2', EndpointConfig: {} }],
    ['/networks/web/disconnect', { Container: 'c1', Force: true }],
  ]);
  const refused = await api.cli(['network', 'connect', '--ip6', 'fd00::2', 'web', 'c1']);
  assert.equal(refused.code, 125);
  assert.match(refused.stderr, /--ip6 is not supported/);
  api.answer = () => ({ status: 404, body: { message: 'No such container: c9' } });
  const missing = await api.cli(['network', 'connect', 'web', 'c9']);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, 'Error response from daemon: No such container: c9\n');
  assert.equal((await api.cli(['network', 'connect', 'web'])).code, 125);
});

test('network help lists the subcommands', async () => {
  const r = await api.cli(['network', '--help']);
  assert.equal(r.code, 0);
  for (const c of ['connect', 'create', 'disconnect', 'inspect', 'ls', 'prune', 'rm']) assert.match(r.stdout, new RegExp(`\\n  ${c} `));
});

test('IPAM flags pair gateways and ranges with the subnet holding them', () => {
  assert.deepEqual(ipamConfigFromFlags(['10.1.0.0/24', '10.2.0.0/16'], ['10.2.0.254', '10.1.0.1'], ['10.2.1.0/24']), [
    { Subnet: '10.1.0.0/24', Gateway: '10.1.0.1' },
    { Subnet: '10.2.0.0/16', IPRange: '10.2.1.0/24', Gateway: '10.2.0.254' },
  ]);
  assert.deepEqual(ipamConfigFromFlags([], [], []), []);
  assert.throws(() => ipamConfigFromFlags(['10.1.0.0/24', '10.1.0.0/16'], ['10.1.0.1', '10.1.0.2'], []), /cannot configure multiple gateways/);
  assert.throws(() => ipamConfigFromFlags(['10.1.0.0/24'], [], ['10.3.0.0/24']), /no matching subnet for range 10\.3\.0\.0\/24/);
});

test('network rows: natural name order, booleans as docker prints them', () => {
  const rows = networkRows([network('n10'), network('n9', { Internal: true })], { noTrunc: true });
  assert.deepEqual(rows.map((r) => [r.Name, r.Internal, r.ID.length]), [['n9', 'true', 64], ['n10', 'false', 64]]);
});
