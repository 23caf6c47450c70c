// run/create flags → the create request, flag by flag, and every bad value
// refused before anything is sent. The expectations are what docker 28's
// CLI sends for the same command lines (captured against a recording server).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs } from './args.ts';
import { buildContainerConfig, type ContainerConfig } from './container-config.ts';
import { createFlagSpecs } from './create-flags.ts';
import { UsageError } from './usage-error.ts';

const FILES: Record<string, string> = {
  '/work/env.list': '# comment\n  A=1\nB\nHOME\n\nC= spaced \n',
  '/work/labels.list': 'l1=a\nl2\n',
  '/work/sec.json': '{ "defaultAction": "SCMP_ACT_ALLOW",\n  "syscalls": [] }\n',
  '/work/bad.json': '{ nope',
};

const host = {
  env: { HOME: '/root' } as Record<string, string | undefined>,
  cwd: '/work',
  readFile: async (p: string): Promise<Buffer> => {
    const path = p.startsWith('/') ? p : `/work/${p}`;
    if (FILES[path] === undefined) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${p}'`), { code: 'ENOENT' });
    return Buffer.from(FILES[path]);
  },
};

function config(argv: string[], command: 'run' | 'create' = 'run'): Promise<ContainerConfig> {
  const spec = { name: command, usage: 'IMAGE', description: '', args: { min: 1 }, interspersed: false, flags: createFlagSpecs(command === 'run') };
  return buildContainerConfig(command, parseArgs(spec, argv), host);
}

const hc = async (argv: string[]) => (await config([...argv, 'busybox'])).body.HostConfig;

test('no flags: docker\'s attach defaults, the default network, restart no', async () => {
  const c = await config(['busybox']);
  assert.deepEqual(c.body, { Image: 'busybox', AttachStdout: true, AttachStderr: true, HostConfig: { NetworkMode: 'default', RestartPolicy: { Name: 'no', MaximumRetryCount: 0 } } });
  assert.equal(c.pull, 'missing');
  assert.equal(c.quiet, false);
  assert.equal(c.name, undefined);
});

test('the command after the image is the container\'s, flags included', async () => {
  const c = await config(['-t', 'busybox', 'ls', '-l', '--', '-t']);
  assert.deepEqual(c.body.Cmd, ['ls', '-l', '--', '-t']);
  assert.equal(c.body.Tty, true);
});

test('streams: -i, -a, -d and StdinOnce as docker sets them', async () => {
  const pick = (c: ContainerConfig) => ({ in: !!c.body.AttachStdin, out: !!c.body.AttachStdout, err: !!c.body.AttachStderr, open: !!c.body.OpenStdin, once: !!c.body.StdinOnce });
  assert.deepEqual(pick(await config(['-i', 'busybox'])), { in: true, out: true, err: true, open: true, once: true });
  assert.deepEqual(pick(await config(['-d', '-i', 'busybox'])), { in: false, out: false, err: false, open: true, once: false });
  assert.deepEqual(pick(await config(['-a', 'stdout', 'busybox'])), { in: false, out: true, err: false, open: false, once: false });
  assert.deepEqual(pick(await config(['-a', 'STDIN', 'busybox'])), { in: true, out: false, err: false, open: false, once: false });
  assert.deepEqual(pick(await config(['-i', 'busybox'], 'create')), { in: true, out: true, err: true, open: true, once: true });
});

test('process flags: entrypoint, env (files first, host lookups), labels, user, workdir, names, stop settings', async () => {
  const c = await config([
    '--entrypoint', '/bin/sh -c', '--env-file', 'env.list', '-e', 'D=4', '-e', 'B', '-e', 'HOME', '--label-file', '/work/labels.list', '-l', 'l3=c', '-l', 'bare',
    '-u', '1:2', '-w', '/w', '-h', 'myhost', '--domainname', 'd', '--name', 'nm', '--platform', 'linux/amd64', '--stop-signal', 'USR1', '--stop-timeout', '-1',
    '--cidfile', '/tmp/cid', '-q', 'busybox', 'a', 'b',
  ]);
  assert.deepEqual(c.body.Entrypoint, ['/bin/sh -c']);
  assert.deepEqual(c.body.Cmd, ['a', 'b']);
  assert.deepEqual(c.body.Env, ['A=1', 'HOME=/root', 'C= spaced ', 'D=4', 'B', 'HOME=/root']);
  assert.deepEqual(c.body.Labels, { l1: 'a', l2: '', l3: 'c', bare: '' });
  assert.equal(c.body.User, '1:2');
  assert.equal(c.body.WorkingDir, '/w');
  assert.equal(c.body.Hostname, 'myhost');
  assert.equal(c.body.Domainname, 'd');
  assert.equal(c.body.StopSignal, 'USR1');
  assert.equal(c.body.StopTimeout, -1);
  assert.equal(c.name, 'nm');
  assert.equal(c.platform, 'linux/amd64');
  assert.equal(c.cidfile, '/tmp/cid');
  assert.equal(c.quiet, true);
  assert.deepEqual((await config(['--entrypoint', '', 'busybox'])).body.Entrypoint, [''], 'an empty entrypoint resets the image\'s');
});

test('mounts: -v binds (relative made absolute), named and anonymous volumes; --mount; --tmpfs; --volume-driver', async () => {
  const c = await config(['-v', '/tmp:/x:ro', '-v', './rel:/y', '-v', 'named:/z', '-v', '/anon', '--mount', 'type=bind,src=/tmp,dst=/m,readonly', '--tmpfs', '/t', '--tmpfs', '/u:size=1m', '--volume-driver', 'local', 'busybox']);
  assert.deepEqual(c.body.HostConfig?.Binds, ['/tmp:/x:ro', '/work/rel:/y', 'named:/z']);
  assert.deepEqual(c.body.Volumes, { '/anon': {} });
  assert.deepEqual(c.body.HostConfig?.Mounts, [{ Type: 'bind', Source: '/tmp', Target: '/m', ReadOnly: true }]);
  assert.deepEqual(c.body.HostConfig?.Tmpfs, { '/t': '', '/u': 'size=1m' });
  assert.equal(c.body.HostConfig?.VolumeDriver, 'local');
});

test('resources: human sizes in powers of 1024, CPUs as nano CPUs, ulimits', async () => {
  const h = await hc(['-m', '16m', '--memory-swap', '-1', '--cpus', '1.5', '-c', '512', '--pids-limit', '10', '--shm-size', '64m', '--ulimit', 'nofile=10:20', '--ulimit', 'nproc=5', '--cpu-quota', '50000', '--cpu-period', '100000', '--memory-swappiness', '-1']);
  assert.equal(h?.Memory, 16 << 20);
  assert.equal(h?.MemorySwap, -1);
  assert.equal(h?.NanoCpus, 1_500_000_000);
  assert.equal(h?.CpuShares, 512);
  assert.equal(h?.PidsLimit, 10);
  assert.equal(h?.ShmSize, 64 << 20);
  assert.equal(h?.CpuQuota, 50000);
  assert.equal(h?.CpuPeriod, 100000);
  assert.deepEqual(h?.Ulimits, [{ Name: 'nofile', Soft: 10, Hard: 20 }, { Name: 'nproc', Soft: 5, Hard: 5 }]);
  assert.equal((await hc(['--memory-swap', '1g', '-m', '1g']))?.MemorySwap, 1 << 30);
  assert.equal((await hc(['--pids-limit', '-1']))?.PidsLimit, -1);
  assert.equal((await hc(['--cpus', '0.001']))?.NanoCpus, 1_000_000);
  const zero = await hc(['-m', '0', '--cpus', '0', '--pids-limit', '0']);
  assert.equal(zero?.Memory, undefined);
  assert.equal(zero?.NanoCpus, undefined);
  assert.equal(zero?.PidsLimit, undefined);
});

test('security: capabilities normalised, seccomp profiles inlined, systempaths, privileged, read-only, init, namespaces', async () => {
  const h = await hc([
    '--cap-add', 'net_admin', '--cap-add', 'CAP_SYS_ADMIN', '--cap-add', 'all', '--cap-drop', 'chown', '--security-opt', 'seccomp=sec.json', '--security-opt', 'label:disable',
    '--security-opt', 'no-new-privileges', '--security-opt', 'seccomp=unconfined', '--privileged', '--read-only', '--init', '--ipc', 'private', '--userns', 'host',
  ]);
  assert.deepEqual(h?.CapAdd, ['ALL', 'CAP_NET_ADMIN', 'CAP_SYS_ADMIN']);
  assert.deepEqual(h?.CapDrop, ['CAP_CHOWN']);
  assert.deepEqual(h?.SecurityOpt, ['seccomp={"defaultAction":"SCMP_ACT_ALLOW","syscalls":[]}', 'label:disable', 'no-new-privileges', 'seccomp=unconfined']);
  assert.equal(h?.Privileged, true);
  assert.equal(h?.ReadonlyRootfs, true);
  assert.equal(h?.Init, true);
  assert.equal(h?.IpcMode, 'private');
  assert.equal(h?.UsernsMode, 'host');
  assert.equal((await hc(['--init=false']))?.Init, false);
  assert.equal((await hc([]))?.Init, undefined);
  const paths = await hc(['--security-opt', 'systempaths=unconfined']);
  assert.deepEqual([paths?.MaskedPaths, paths?.ReadonlyPaths, paths?.SecurityOpt], [[], [], undefined]);
});

test('lifecycle: restart policies, --rm, healthchecks in nanoseconds, logging, isolation, runtime', async () => {
  assert.deepEqual((await hc(['--restart', 'on-failure:3']))?.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 3 });
  assert.deepEqual((await hc(['--restart', 'unless-stopped']))?.RestartPolicy, { Name: 'unless-stopped', MaximumRetryCount: 0 });
  assert.equal((await hc(['--rm']))?.AutoRemove, true);
  assert.deepEqual((await hc(['--rm', '--restart', 'no']))?.RestartPolicy, { Name: 'no', MaximumRetryCount: 0 });
  const health = await config(['--health-cmd', 'true', '--health-interval', '1s', '--health-timeout', '2s', '--health-retries', '3', '--health-start-period', '4s', '--health-start-interval', '500ms', 'busybox']);
  assert.deepEqual(health.body.Healthcheck, { Test: ['CMD-SHELL', 'true'], Interval: 1e9, Timeout: 2e9, StartPeriod: 4e9, StartInterval: 5e8, Retries: 3 });
  assert.deepEqual((await config(['--health-cmd', 'x', '--health-interval', '0s', 'busybox'])).body.Healthcheck, { Test: ['CMD-SHELL', 'x'] });
  assert.deepEqual((await config(['--no-healthcheck', 'busybox'])).body.Healthcheck, { Test: ['NONE'] });
  assert.deepEqual((await hc(['--log-driver', 'json-file', '--log-opt', 'max-size=1m']))?.LogConfig, { Type: 'json-file', Config: { 'max-size': '1m' } });
  assert.deepEqual((await hc(['--log-driver', 'none']))?.LogConfig, { Type: 'none', Config: {} });
  const placed = await hc(['--isolation', 'VM', '--runtime', 'runsc']);
  assert.equal(placed?.Isolation, 'vm');
  assert.equal(placed?.Runtime, 'runsc');
});

test('networking: one network, ports, extra hosts, DNS, sysctls', async () => {
  const c = await config([
    '--network', 'host', '-p', '8080:80', '-p', '127.0.0.1:9000:90/udp', '-P', '--expose', '3000', '--add-host', 'a:1.2.3.4', '--add-host', 'b=::1', '--add-host', 'h:[::2]',
    '--add-host', 'g:host-gateway', '--dns', '8.8.8.8', '--dns-search', 'x.org', '--dns-option', 'ndots:2', '--sysctl', 'net.ipv4.ip_forward=1', '--sysctl', 'kernel.shmmax=1', 'busybox',
  ]);
  const h = c.body.HostConfig;
  assert.equal(h?.NetworkMode, 'host');
  assert.deepEqual(c.body.ExposedPorts, { '80/tcp': {}, '90/udp': {}, '3000/tcp': {} });
  assert.deepEqual(h?.PortBindings, { '80/tcp': [{ HostIp: '', HostPort: '8080' }], '90/udp': [{ HostIp: '127.0.0.1', HostPort: '9000' }] });
  assert.equal(h?.PublishAllPorts, true);
  assert.deepEqual(h?.ExtraHosts, ['a:1.2.3.4', 'b:::1', 'h:::2', 'g:host-gateway']);
  assert.deepEqual(h?.Dns, ['8.8.8.8']);
  assert.deepEqual(h?.DnsSearch, ['x.org']);
  assert.deepEqual(h?.DnsOptions, ['ndots:2']);
  assert.deepEqual(h?.Sysctls, { 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '1' });
  assert.equal((await hc(['--net', 'none']))?.NetworkMode, 'none');
  assert.equal((await hc(['--network', 'name=x']))?.NetworkMode, 'x');
});

test('networking: several networks, --network-alias and --ip on the first, docker\'s advanced --network syntax', async () => {
  const plain = await config(['--network', 'web', 'busybox']);
  assert.equal(plain.body.HostConfig?.NetworkMode, 'web');
  assert.equal(plain.body.NetworkingConfig, undefined, 'one network without settings needs no endpoint entry');
  const two = await config(['--network', 'web', '--network-alias', 'www', '--ip', '10.1.0.9', '--network', 'name=db,alias=store,alias=pg,ip=10.2.0.3', 'busybox']);
  assert.equal(two.body.HostConfig?.NetworkMode, 'web');
  assert.deepEqual(two.body.NetworkingConfig, { EndpointsConfig: {
    web: { Aliases: ['www'], IPAMConfig: { IPv4Address: '10.1.0.9' } },
    db: { Aliases: ['store', 'pg'], IPAMConfig: { IPv4Address: '10.2.0.3' } },
  } });
  const both = await config(['--network', 'a', '--network', 'b', 'busybox']);
  assert.deepEqual(both.body.NetworkingConfig, { EndpointsConfig: { a: {}, b: {} } });
  // Without --network the alias belongs to the default network, as docker sends it.
  const dflt = await config(['--network-alias', 'x', 'busybox']);
  assert.equal(dflt.body.HostConfig?.NetworkMode, 'default');
  assert.deepEqual(dflt.body.NetworkingConfig, { EndpointsConfig: { default: { Aliases: ['x'] } } });
});

test('pull policies', async () => {
  assert.equal((await config(['--pull', 'always', 'busybox'])).pull, 'always');
  assert.equal((await config(['--pull', 'never', 'busybox'])).pull, 'never');
});

test('every bad value is a usage error naming the flag, before anything is sent', async () => {
  const bad: Array<[string[], RegExp]> = [
    [['--memory', 'lots'], /^invalid argument "lots" for "-m, --memory" flag: invalid size: 'lots'$/],
    [['-m', '-5'], /"-m, --memory" flag: invalid size: '-5'/],
    [['-m', '1x'], /"-m, --memory" flag: invalid suffix: 'x'/],
    [['--memory-swap', 'q'], /"--memory-swap" flag: invalid size/],
    [['--shm-size', 'q'], /"--shm-size" flag: invalid size: 'q'/],
    [['--cpus', 'abc'], /"--cpus" flag: failed to parse abc/],
    [['--cpus', '-1'], /"--cpus" flag/],
    [['--cpu-shares', 'x'], /"-c, --cpu-shares" flag: strconv\.ParseInt: parsing "x": invalid syntax/],
    [['--pids-limit', 'x'], /"--pids-limit" flag/],
    [['--cpu-quota', '1.5'], /"--cpu-quota" flag/],
    [['--stop-timeout', 'x'], /"--stop-timeout" flag/],
    [['--memory-swappiness', '10'], /--memory-swappiness 10 is not supported/],
    [['--restart', 'sometimes'], /"--restart" flag: unknown policy 'sometimes'/],
    [['--restart', 'on-failure:x'], /maximum retry count must be an integer/],
    [['--restart', 'on-failure:-1'], /maximum retry count cannot be negative/],
    [['--restart', ':3'], /no policy provided before colon/],
    [['--restart', 'always:3'], /maximum retry count can only be used with 'on-failure'/],
    [['--rm', '--restart', 'always'], /^conflicting options: cannot specify both --restart and --rm$/],
    [['--ulimit', 'nofile=10:5'], /"--ulimit" flag: ulimit soft limit must be less than or equal to hard limit: 10 > 5/],
    [['--ulimit', 'bogus=1'], /invalid ulimit type: bogus/],
    [['-p', '99999'], /"-p, --publish" flag: invalid containerPort: 99999/],
    [['-p', 'x:80'], /invalid hostPort: x/],
    [['-p', '80/xyz'], /invalid proto: xyz/],
    [['--expose', 'x'], /"--expose" flag: invalid range format for --expose: x/],
    [['--add-host', 'nocolon'], /bad format for add-host: "nocolon"/],
    [['--add-host', 'a:notip'], /invalid IP address in add-host: "notip"/],
    [['--dns', 'notip'], /"--dns" flag: IP address is not correctly formatted: notip/],
    [['--dns-search', 'bad_domain!'], /is not a valid domain/],
    [['--sysctl', 'vm.swappiness=1'], /sysctl 'vm\.swappiness=1' is not allowed/],
    [['--sysctl', 'x'], /sysctl 'x' is not allowed/],
    [['--health-interval', 'x'], /"--health-interval" flag: time: invalid duration "x"/],
    [['--health-timeout', '-1s'], /^--health-timeout cannot be negative$/],
    [['--health-retries', '-1'], /^--health-retries cannot be negative$/],
    [['--health-retries', 'x'], /"--health-retries" flag/],
    [['--no-healthcheck', '--health-cmd', 'x'], /--no-healthcheck conflicts with --health-\* options/],
    [['--log-opt', 'x'], /"--log-opt" flag: want key=value/],
    [['--log-driver', 'none', '--log-opt', 'a=b'], /invalid logging opts for driver none/],
    [['--env-file', '/nonexist'], /^open \/nonexist: no such file or directory$/],
    [['--label-file', 'nope'], /^open nope: no such file or directory$/],
    [['-e', '=x'], /"-e, --env" flag: invalid environment variable: =x/],
    [['-l', '=x'], /invalid label "=x"/],
    [['-a', 'foo'], /"-a, --attach" flag: valid streams are STDIN, STDOUT and STDERR/],
    [['-d', '-a', 'stdout'], /conflicting options: cannot specify both --attach and --detach/],
    [['--pull', 'sometimes'], /invalid pull option: 'sometimes': must be one of "always", "missing" or "never"/],
    [['--isolation', 'hyperv'], /"--isolation" flag: want container, sandbox or vm/],
    [['--security-opt', 'foo'], /Invalid --security-opt: "foo"/],
    [['--security-opt', 'seccomp=missing.json'], /opening seccomp profile \(missing\.json\) failed/],
    [['--security-opt', 'seccomp=bad.json'], /compacting json for seccomp profile \(bad\.json\) failed/],
    [['--tmpfs', 'rel'], /"--tmpfs" flag: the mount path must be absolute/],
    [['-v', '::'], /"-v, --volume" flag: invalid spec: ::: empty section between colons/],
    [['-v', 'a:b:c:d'], /too many colons/],
    [['--mount', 'src=/x'], /"--mount" flag: target is required/],
    [['--network', 'a', '--net', 'bridge'], /^conflicting options: cannot attach both user-defined and non-user-defined network-modes$/],
    [['--network', 'a', '--network', 'a'], /network "a" is specified multiple times/],
    [['--network', 'name=x,foo=y'], /^invalid argument "name=x,foo=y" for "--network" flag: invalid field key foo$/],
    [['--network', 'name=x,mac-address=02:42:00:00:00:01'], /mac-address is not supported/],
    [['--network', 'name=x,alias=y', '--network-alias', 'z'], /cannot specify both --network-alias and per-network alias/],
    [['--network', 'x', '--ip', '10.0.0'], /invalid IPv4 address: 10\.0\.0/],
    [['--ip6', 'fd00::1'], /^--ip6 is not supported: Janus networks are IPv4 networks$/],
    [['--ipc', 'host'], /--ipc host is not supported: every container has its own IPC namespace/],
    [['--pid', 'host'], /--pid host is not supported/],
    [['--device', '/dev/null'], /^--device is not supported: host devices are not offered$/],
    [['--gpus', 'all'], /^--gpus is not supported/],
    [['--oom-kill-disable'], /^--oom-kill-disable is not supported/],
    [['--volumes-from', 'x'], /^--volumes-from is not supported/],
    [['--disable-content-trust=false'], /signatures/],
  ];
  for (const [argv, re] of bad) {
    await assert.rejects(config([...argv, 'busybox']), (err: unknown) => {
      assert.ok(err instanceof UsageError, `${argv.join(' ')}: ${String(err)}`);
      assert.equal(err.command, 'run');
      assert.match(err.message, re, argv.join(' '));
      return true;
    });
  }
});
