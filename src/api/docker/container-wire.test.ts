import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isJanusError, type ErrorKind } from '../../core/errors.ts';
import type { Digest } from '../../core/digest.ts';
import type { ContainerView } from '../../engine/container-service.ts';
import { containerInspectWire, containerStatusText, containerSummaryWire, parseContainerCreate } from './container-wire.ts';

const parse = (body: Record<string, unknown>, query: { name?: string; platform?: string } = {}, apiVersion = '1.50') =>
  parseContainerCreate({ Image: 'busybox', ...body }, query, apiVersion);
const host = (hc: Record<string, unknown>) => parse({ HostConfig: hc });

/** Asserts that `fn` throws a JanusError of `kind` whose message matches `message`. */
function refuses(fn: () => unknown, kind: ErrorKind, message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isJanusError(err, kind), `want ${kind}, got ${String(err)}`);
    assert.match(err.message, message);
    return true;
  });
}

describe('parseContainerCreate', () => {
  test('the body docker 28 sends for a plain `docker create busybox` gives an empty request', () => {
    const body = {
      Hostname: '', Domainname: '', User: '', AttachStdin: false, AttachStdout: true, AttachStderr: true, Tty: false, OpenStdin: false,
      StdinOnce: false, Env: [], Cmd: null, Image: 'busybox', Volumes: {}, WorkingDir: '', Entrypoint: null, OnBuild: null, Labels: {},
      HostConfig: {
        Binds: null, ContainerIDFile: '', LogConfig: { Type: '', Config: {} }, NetworkMode: 'default', PortBindings: {},
        RestartPolicy: { Name: 'no', MaximumRetryCount: 0 }, AutoRemove: false, VolumeDriver: '', VolumesFrom: null, ConsoleSize: [0, 0],
        CapAdd: null, CapDrop: null, CgroupnsMode: '', Dns: [], DnsOptions: [], DnsSearch: [], ExtraHosts: null, GroupAdd: null,
        IpcMode: '', Cgroup: '', Links: null, OomScoreAdj: 0, PidMode: '', Privileged: false, PublishAllPorts: false, ReadonlyRootfs: false,
        SecurityOpt: null, UTSMode: '', UsernsMode: '', ShmSize: 0, Isolation: '', CpuShares: 0, Memory: 0, NanoCpus: 0, CgroupParent: '',
        BlkioWeight: 0, BlkioWeightDevice: [], BlkioDeviceReadBps: [], BlkioDeviceWriteBps: [], BlkioDeviceReadIOps: [], BlkioDeviceWriteIOps: [],
        CpuPeriod: 0, CpuQuota: 0, CpuRealtimePeriod: 0, CpuRealtimeRuntime: 0, CpusetCpus: '', CpusetMems: '', Devices: [],
        DeviceCgroupRules: null, DeviceRequests: null, MemoryReservation: 0, MemorySwap: 0, MemorySwappiness: null, OomKillDisable: false,
        PidsLimit: null, Ulimits: [], CpuCount: 0, CpuPercent: 0, IOMaximumIOps: 0, IOMaximumBandwidth: 0, MaskedPaths: null, ReadonlyPaths: null,
      },
      NetworkingConfig: { EndpointsConfig: {} },
    };
    assert.deepEqual(parseContainerCreate(body, {}, '1.50'), {
      image: 'busybox',
      run: {},
      restartPolicy: { name: 'no', maximumRetryCount: 0 },
      attachStdin: false,
      attachStdout: true,
      attachStderr: true,
      stdinOnce: false,
    });
  });

  test('Config fields map to run options and request fields', () => {
    const r = parse({
      Cmd: ['sh', '-c', 'echo hi'], Env: ['A=1', 'B'], WorkingDir: '/w', User: '1000:1000', Hostname: 'h1', Domainname: 'example.org',
      Labels: { a: 'b' }, Tty: true, OpenStdin: true, StdinOnce: true, AttachStdin: true, StopSignal: 'SIGINT', StopTimeout: 5,
      ExposedPorts: { '80/tcp': {}, '53/udp': {}, 8080: {} }, Volumes: { '/data': {} },
      Healthcheck: { Test: ['CMD-SHELL', 'true'], Interval: 2_000_000_000, Retries: 3, StartInterval: 5_000_000 },
    }, { name: '/web', platform: 'linux/amd64' });
    assert.deepEqual(r.run, {
      cmd: ['sh', '-c', 'echo hi'], env: ['A=1', 'B'], workingDir: '/w', user: '1000:1000', hostname: 'h1', domainname: 'example.org',
      labels: { a: 'b' }, tty: true, openStdin: true, stopSignal: 'SIGINT', stopTimeout: 5,
    });
    assert.equal(r.name, 'web');
    assert.equal(r.platform, 'linux/amd64');
    assert.deepEqual(r.exposedPorts, ['8080/tcp', '80/tcp', '53/udp'], 'JSON integer keys come first');
    assert.deepEqual(r.volumes, [{ destination: '/data' }]);
    assert.deepEqual(r.healthcheck, { Test: ['CMD-SHELL', 'true'], Interval: 2_000_000_000, StartInterval: 5_000_000, Retries: 3 });
    assert.equal(r.stdinOnce, true);
    assert.equal(r.attachStdin, true);
    assert.deepEqual(parse({ Healthcheck: { StartInterval: 5_000_000 } }, {}, '1.43').healthcheck, {}, 'StartInterval is ignored before API 1.44');
  });

  test('Entrypoint and Cmd keep docker\'s null / [] / [""] / string meanings', () => {
    assert.equal(parse({ Entrypoint: null }).run.entrypoint, undefined);
    assert.deepEqual(parse({ Entrypoint: [] }).run.entrypoint, []);
    assert.deepEqual(parse({ Entrypoint: [''] }).run.entrypoint, ['']);
    assert.deepEqual(parse({ Entrypoint: '' }).run.entrypoint, ['']);
    assert.deepEqual(parse({ Entrypoint: 'top' }).run.entrypoint, ['top']);
    assert.deepEqual(parse({ Cmd: 'ls' }).run.cmd, ['ls']);
    assert.deepEqual(parse({ Cmd: [] }).run.cmd, []);
  });

  test('Binds: host paths become bind mounts, names and bare paths volumes, with their options', () => {
    const r = host({ Binds: ['/srv:/srv:ro,rslave', 'data:/data:nocopy', '/anon', 'cache:/cache:rw,z', '/tmp:/t:consistent'] });
    assert.deepEqual(r.run.mounts, [
      { type: 'bind', source: '/srv', destination: '/srv', readOnly: true, propagation: 'rslave' },
      { type: 'bind', source: '/tmp', destination: '/t' },
    ]);
    assert.deepEqual(r.volumes, [{ name: 'data', destination: '/data', noCopy: true }, { destination: '/anon' }, { name: 'cache', destination: '/cache' }]);
    refuses(() => host({ Binds: ['rel/dir:/x'] }), 'InvalidArgument', /Binds\[0\].*use an absolute path/);
    refuses(() => host({ Binds: ['/a:/b:nocopy'] }), 'InvalidArgument', /nocopy applies to volumes/);
    refuses(() => host({ Binds: ['v1:/b:rshared'] }), 'InvalidArgument', /propagation rshared applies to host paths/);
    refuses(() => host({ Binds: ['/a:/b:c:d'] }), 'InvalidArgument', /too many colons/);
    refuses(() => host({ Binds: ['/a:/b:ro,rw'] }), 'InvalidArgument', /more than one of ro and rw/);
    refuses(() => host({ Binds: ['/a:/b:fast'] }), 'InvalidArgument', /invalid mode "fast"/);
    refuses(() => host({ Binds: ['/a:relative'] }), 'InvalidArgument', /must be absolute/);
    refuses(() => host({ Binds: ['/x:ro'] }), 'InvalidArgument', /invalid mode "ro" for an anonymous volume/);
    refuses(() => host({ Binds: ['/a:/b', 'v1:/b'] }), 'InvalidArgument', /Duplicate mount point: \/b/);
    refuses(() => host({ Binds: ['v1:/b'], VolumeDriver: 'nfs' }), 'NotImplemented', /volume driver "nfs"/);
    assert.deepEqual(host({ Binds: ['v1:/b'], VolumeDriver: 'local' }).volumes, [{ name: 'v1', destination: '/b' }]);
  });

  test('Mounts: bind, volume and tmpfs with their options; Config.Volumes a bind covers are not anonymous volumes', () => {
    const r = parse({
      Volumes: { '/v': {}, '/data': {} },
      HostConfig: {
        Mounts: [
          { Type: 'bind', Source: '/srv', Target: '/srv', ReadOnly: true, BindOptions: { Propagation: 'shared' } },
          { Type: 'volume', Source: 'data', Target: '/data', VolumeOptions: { NoCopy: true, Labels: { x: 'y' }, DriverConfig: { Name: 'local', Options: { type: 'tmpfs' } } } },
          { Type: 'volume', Target: '/scratch' },
          { Type: 'tmpfs', Target: '/run', TmpfsOptions: { SizeBytes: 65536, Mode: 0o1777, Options: [['noexec'], ['uid', '1000']] } },
        ],
      },
    });
    assert.deepEqual(r.run.mounts, [
      { type: 'bind', source: '/srv', destination: '/srv', readOnly: true, propagation: 'shared' },
      { type: 'tmpfs', source: '', destination: '/run', tmpfsOptions: ['size=65536', 'mode=1777', 'noexec', 'uid=1000'] },
    ]);
    assert.deepEqual(r.volumes, [
      { name: 'data', destination: '/data', noCopy: true, labels: { x: 'y' }, driverOptions: { type: 'tmpfs' } },
      { destination: '/scratch' },
      { destination: '/v' },
    ]);
    refuses(() => host({ Mounts: [{ Type: 'image', Source: 'busybox', Target: '/i' }] }), 'NotImplemented', /Mounts\[0\]\.Type: mount type "image"/);
    refuses(() => host({ Mounts: [{ Type: 'bind', Source: '/a', Target: '/b', BindOptions: { NonRecursive: true } }] }), 'NotImplemented', /BindOptions\.NonRecursive/);
    refuses(() => host({ Mounts: [{ Type: 'bind', Source: '/a', Target: '/b', BindOptions: { CreateMountpoint: true } }] }), 'NotImplemented', /CreateMountpoint/);
    refuses(() => host({ Mounts: [{ Type: 'volume', Source: 'v1', Target: '/b', VolumeOptions: { Subpath: 'x' } }] }), 'NotImplemented', /VolumeOptions\.Subpath/);
    refuses(() => host({ Mounts: [{ Type: 'volume', Target: '/b', VolumeOptions: { DriverConfig: { Name: 'rexray' } } }] }), 'NotImplemented', /volume driver "rexray"/);
    refuses(() => host({ Mounts: [{ Type: 'bind', Target: '/b' }] }), 'InvalidArgument', /Source must not be empty/);
    refuses(() => host({ Mounts: [{ Type: 'tmpfs', Source: '/x', Target: '/b' }] }), 'InvalidArgument', /must not be given/);
    refuses(() => host({ Mounts: [{ Type: 'volume', Target: '/b', BindOptions: {} }] }), 'InvalidArgument', /BindOptions must not be specified on mount type "volume"/);
    refuses(() => host({ Mounts: [{ Type: 'disk', Target: '/b' }] }), 'InvalidArgument', /unknown mount type "disk"/);
    refuses(() => host({ Mounts: [{ Type: 'bind', Source: '/a', Target: '/b', Color: 'red' }] }), 'InvalidArgument', /unknown field HostConfig\.Mounts\[0\]\.Color/);
  });

  test('resources: NanoCpus or CpuQuota/CpuPeriod become cpus; PidsLimit <= 0 is unlimited; limits are validated', () => {
    const r = host({ Memory: 64 << 20, MemorySwap: 128 << 20, CpuShares: 512, NanoCpus: 1_500_000_000, PidsLimit: 100, ShmSize: 1 << 20, Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 2048 }] });
    assert.deepEqual(r.run, { memory: 64 << 20, memorySwap: 128 << 20, cpuShares: 512, cpus: 1.5, pidsLimit: 100, shmSize: 1 << 20, ulimits: [{ name: 'nofile', soft: 1024, hard: 2048 }] });
    assert.equal(host({ CpuQuota: 50_000, CpuPeriod: 100_000 }).run.cpus, 0.5);
    assert.equal(host({ CpuQuota: 150_000 }).run.cpus, 1.5);
    assert.equal(host({ PidsLimit: -1 }).run.pidsLimit, undefined);
    assert.equal(host({ MemorySwappiness: -1 }).run.memory, undefined);
    refuses(() => host({ NanoCpus: 1e9, CpuQuota: 50_000 }), 'InvalidArgument', /Nano CPUs and CPU Quota cannot both be set/);
    refuses(() => host({ CpuPeriod: 100_000 }), 'NotImplemented', /CpuPeriod without CpuQuota/);
    refuses(() => host({ CpuPeriod: 10 , CpuQuota: 5000 }), 'InvalidArgument', /CPU cfs period/);
    refuses(() => host({ Memory: 1024 }), 'InvalidArgument', /--memory: minimum memory limit allowed is 6MB/);
    refuses(() => host({ MemorySwap: 1 << 30 }), 'InvalidArgument', /--memory-swap/);
    refuses(() => host({ Ulimits: [{ Name: 'bogus', Soft: 1, Hard: 1 }] }), 'InvalidArgument', /invalid ulimit type: bogus/);
    refuses(() => host({ CapAdd: ['NOT_A_CAP'] }), 'InvalidArgument', /--cap-add/);
    refuses(() => host({ Sysctls: { 'kernel.panic': '1' } }), 'InvalidArgument', /--sysctl/);
    refuses(() => parse({ StopSignal: 'SIGBOGUS' }), 'InvalidArgument', /--stop-signal/);
    refuses(() => parse({ WorkingDir: 'relative' }), 'InvalidArgument', /--workdir/);
    refuses(() => host({ SecurityOpt: ['apparmor=docker-default'] }), 'NotImplemented', /AppArmor/);
  });

  test('process, security and lifecycle fields', () => {
    const r = host({
      CapAdd: ['NET_ADMIN'], CapDrop: ['MKNOD'], Privileged: true, ReadonlyRootfs: true, SecurityOpt: ['no-new-privileges'], Init: true,
      Sysctls: { 'net.ipv4.ip_forward': '1' }, Tmpfs: { '/run': 'size=1m' }, AutoRemove: true, RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 },
      LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3', labels: 'a' } }, Isolation: 'sandbox', Runtime: 'runsc',
      ExtraHosts: ['db:10.0.0.2', 'v6:::1'], Dns: ['1.1.1.1'], DnsSearch: ['example.org'], DnsOptions: ['ndots:2'], UsernsMode: 'host', IpcMode: 'shareable',
    });
    assert.deepEqual(r.run, {
      capAdd: ['NET_ADMIN'], capDrop: ['MKNOD'], privileged: true, readOnly: true, securityOpt: ['no-new-privileges'], init: true,
      sysctls: { 'net.ipv4.ip_forward': '1' }, tmpfs: { '/run': 'size=1m' },
    });
    assert.equal(r.autoRemove, true);
    assert.deepEqual(r.restartPolicy, { name: 'on-failure', maximumRetryCount: 3 });
    assert.deepEqual(r.logConfig, { type: 'json-file', maxSize: 10_000_000, maxFiles: 3 });
    assert.equal(r.isolation, 'sandbox');
    assert.equal(r.runtime, 'runsc');
    assert.deepEqual(r.extraHosts, ['db:10.0.0.2', 'v6:::1']);
    assert.deepEqual([r.dns, r.dnsSearch, r.dnsOptions], [['1.1.1.1'], ['example.org'], ['ndots:2']]);
    assert.deepEqual(host({ LogConfig: { Type: 'none', Config: {} } }).logConfig, { type: 'none' });
    assert.equal(parseContainerCreate({ Image: 'x', HostConfig: { AutoRemove: true } }, {}, '1.24').autoRemove, undefined, 'API 1.24: the client removes');
    for (const level of ['', 'default', 'container', 'vm']) assert.doesNotThrow(() => host({ Isolation: level }));
    assert.equal(host({ Isolation: 'auto' }).isolation, 'auto', 'auto: the advisor chooses at create');
    refuses(() => host({ Isolation: 'hyperv' }), 'InvalidArgument', /Windows isolation/);
    refuses(() => host({ Isolation: 'process' }), 'InvalidArgument', /Windows isolation/);
    refuses(() => host({ LogConfig: { Type: 'syslog' } }), 'InvalidArgument', /logging driver "syslog"/);
    refuses(() => host({ LogConfig: { Type: 'json-file', Config: { 'max-size': 'huge' } } }), 'InvalidArgument', /max-size/);
    refuses(() => host({ LogConfig: { Type: 'json-file', Config: { color: 'red' } } }), 'InvalidArgument', /unknown log opt 'color'/);
    refuses(() => host({ RestartPolicy: { Name: 'always', MaximumRetryCount: 2 } }), 'InvalidArgument', /only be used with 'on-failure'/);
    refuses(() => host({ RestartPolicy: { Name: 'sometimes' } }), 'InvalidArgument', /unknown policy 'sometimes'/);
    refuses(() => host({ ExtraHosts: ['db'] }), 'InvalidArgument', /want HOST:IP/);
    refuses(() => host({ ExtraHosts: ['db:nowhere'] }), 'InvalidArgument', /not an IP address/);
    refuses(() => host({ Dns: ['dns.example'] }), 'InvalidArgument', /HostConfig\.Dns/);
  });

  test('networking: NetworkMode values, ports, endpoints', () => {
    assert.equal(host({ NetworkMode: 'default' }).network, undefined);
    assert.deepEqual(host({ NetworkMode: 'host' }).network, { mode: 'host' });
    assert.deepEqual(host({ NetworkMode: 'none' }).network, { mode: 'none' });
    assert.deepEqual(host({ NetworkMode: 'container:db' }).network, { mode: 'container', container: 'db' });
    assert.deepEqual(host({ NetworkMode: 'bridge' }).network, { mode: 'network', name: 'bridge' });
    assert.deepEqual(host({ NetworkMode: 'backend' }).network, { mode: 'network', name: 'backend' });
    assert.deepEqual(parse({ NetworkDisabled: true }).network, { mode: 'none' });
    refuses(() => host({ NetworkMode: 'container:' }), 'InvalidArgument', /name the container/);
    const p = host({ PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }], 53: [{ HostPort: '' }] }, PublishAllPorts: true });
    assert.deepEqual(p.publish, [
      { hostIp: '', hostPort: '', containerPort: '53', protocol: 'tcp' },
      { hostIp: '127.0.0.1', hostPort: '8080', containerPort: '80', protocol: 'tcp' },
    ]);
    assert.equal(p.publishAll, true);
    refuses(() => host({ PortBindings: { http: [] } }), 'InvalidArgument', /not a port/);
    refuses(() => host({ PortBindings: { '80/tcp': [{ HostIp: 'localhost' }] } }), 'InvalidArgument', /HostIp/);
    assert.equal(parse({ HostConfig: { NetworkMode: 'none' }, NetworkingConfig: { EndpointsConfig: { none: { IPAMConfig: null, Aliases: null } } } }).endpoints, undefined);
    refuses(() => parse({ HostConfig: { NetworkMode: 'host' }, NetworkingConfig: { EndpointsConfig: { host: { Aliases: ['web'] } } } }), 'InvalidArgument', /conflicting options/);
    refuses(() => parse({ HostConfig: { NetworkMode: 'none' }, NetworkingConfig: { EndpointsConfig: { net2: {} } } }), 'InvalidArgument', /net2/);
    refuses(() => parse({ MacAddress: '02:42:ac:11:00:02' }), 'NotImplemented', /MacAddress/);
  });

  test('networking: EndpointsConfig as docker 28\'s CLI sends it becomes per-network endpoint requests', () => {
    const empty = { IPAMConfig: null, Links: null, Aliases: null, MacAddress: '', DriverOpts: null, GwPriority: 0, NetworkID: '', EndpointID: '', Gateway: '', IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, DNSNames: null };
    // `docker create busybox`: the default network, nothing to say about it.
    const plain = parse({ HostConfig: { NetworkMode: 'default' }, NetworkingConfig: { EndpointsConfig: { default: empty } } });
    assert.equal(plain.network, undefined);
    assert.equal(plain.endpoints, undefined);
    // `--network name=a,alias=q,ip=10.0.0.3 --network b`.
    const two = parse({
      HostConfig: { NetworkMode: 'a' },
      NetworkingConfig: { EndpointsConfig: { a: { ...empty, IPAMConfig: { IPv4Address: '10.0.0.3' }, Aliases: ['q'] }, b: empty } },
    });
    assert.deepEqual(two.network, { mode: 'network', name: 'a' });
    assert.deepEqual(two.endpoints, { a: { aliases: ['q'], ipv4Address: '10.0.0.3' }, b: {} });
    // `--network-alias` on the default network: its entry is `default`, which is `bridge`.
    assert.deepEqual(parse({ NetworkingConfig: { EndpointsConfig: { default: { Aliases: ['x'] } } } }).endpoints, { bridge: { aliases: ['x'] } });
    assert.deepEqual(parse({ HostConfig: { NetworkMode: 'bridge' }, NetworkingConfig: { EndpointsConfig: { bridge: {} } } }).endpoints, undefined);
    refuses(() => parse({ HostConfig: { NetworkMode: 'a' }, NetworkingConfig: { EndpointsConfig: { a: { IPAMConfig: { IPv4Address: '10.0.0' } } } } }), 'InvalidArgument', /EndpointsConfig\.a\.IPAMConfig\.IPv4Address/);
    refuses(() => parse({ HostConfig: { NetworkMode: 'a' }, NetworkingConfig: { EndpointsConfig: { a: { MacAddress: '02:42:0a:00:00:03' } } } }), 'NotImplemented', /EndpointsConfig\.a\.MacAddress/);
    refuses(() => parse({ HostConfig: { NetworkMode: 'a' }, NetworkingConfig: { EndpointsConfig: { a: { Alias: ['x'] } } } }), 'InvalidArgument', /unknown field NetworkingConfig\.EndpointsConfig\.a\.Alias/);
    refuses(() => parse({ NetworkingConfig: { Endpoints: { a: { Aliases: ['x'] } } } }), 'InvalidArgument', /unknown field NetworkingConfig\.Endpoints/);
  });

  test('every HostConfig field Janus cannot honour is refused by name', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ VolumesFrom: ['other'] }, /VolumesFrom/],
      [{ Annotations: { a: 'b' } }, /Annotations/],
      [{ Cgroup: 'container:x' }, /HostConfig\.Cgroup /],
      [{ CgroupParent: '/mine' }, /CgroupParent/],
      [{ CgroupnsMode: 'host' }, /CgroupnsMode/],
      [{ GroupAdd: ['audio'] }, /GroupAdd/],
      [{ OomScoreAdj: 500 }, /OomScoreAdj/],
      [{ Links: ['db:db'] }, /Links/],
      [{ StorageOpt: { size: '1G' } }, /StorageOpt/],
      [{ Capabilities: ['CAP_NET_ADMIN'] }, /Capabilities/],
      [{ IpcMode: 'host' }, /IpcMode "host"/],
      [{ PidMode: 'host' }, /PidMode "host"/],
      [{ PidMode: 'container:db' }, /PidMode/],
      [{ UTSMode: 'host' }, /UTSMode/],
      [{ UsernsMode: 'private' }, /UsernsMode/],
      [{ MaskedPaths: [] }, /MaskedPaths/],
      [{ BlkioWeight: 300 }, /BlkioWeight/],
      [{ BlkioDeviceReadBps: [{ Path: '/dev/sda', Rate: 1 }] }, /BlkioDeviceReadBps/],
      [{ CpuRealtimeRuntime: 1000 }, /CpuRealtimeRuntime/],
      [{ CpusetCpus: '0-1' }, /CpusetCpus/],
      [{ CpusetMems: '0' }, /CpusetMems/],
      [{ Devices: [{ PathOnHost: '/dev/kvm', PathInContainer: '/dev/kvm', CgroupPermissions: 'rwm' }] }, /Devices/],
      [{ DeviceCgroupRules: ['c 1:3 mr'] }, /DeviceCgroupRules/],
      [{ DeviceRequests: [{ Driver: 'nvidia', Count: -1 }] }, /DeviceRequests/],
      [{ KernelMemoryTCP: 1 << 20 }, /KernelMemoryTCP/],
      [{ MemoryReservation: 1 << 20 }, /MemoryReservation/],
      [{ MemorySwappiness: 60 }, /MemorySwappiness/],
      [{ OomKillDisable: true }, /OomKillDisable/],
      [{ CpuCount: 2 }, /CpuCount/],
      [{ IOMaximumBandwidth: 100 }, /IOMaximumBandwidth/],
    ];
    for (const [hc, message] of cases) refuses(() => host(hc), 'NotImplemented', message);
    // KernelMemory: removed in API 1.42 and ignored from then on, as docker does.
    assert.doesNotThrow(() => host({ KernelMemory: 1 << 20 }));
    refuses(() => parseContainerCreate({ Image: 'x', HostConfig: { KernelMemory: 1 << 20 } }, {}, '1.41'), 'NotImplemented', /KernelMemory/);
  });

  test('malformed bodies and wrong types are InvalidArgument naming the field path', () => {
    refuses(() => parseContainerCreate(undefined, {}, '1.50'), 'InvalidArgument', /EOF/);
    refuses(() => parseContainerCreate([], {}, '1.50'), 'InvalidArgument', /JSON object/);
    refuses(() => parseContainerCreate({}, {}, '1.50'), 'InvalidArgument', /Image is required/);
    refuses(() => parse({ Cmd: 5 }), 'InvalidArgument', /invalid Cmd: want a list of strings/);
    refuses(() => parse({ Env: ['A=1', 2] }), 'InvalidArgument', /invalid Env/);
    refuses(() => parse({ Tty: 'yes' }), 'InvalidArgument', /invalid Tty: want true or false/);
    refuses(() => parse({ Labels: { a: 1 } }), 'InvalidArgument', /invalid Labels/);
    refuses(() => parse({ HostConfig: [] }), 'InvalidArgument', /invalid HostConfig: want a JSON object/);
    refuses(() => host({ Memory: 1.5 }), 'InvalidArgument', /invalid HostConfig\.Memory: want an integer/);
    refuses(() => host({ RestartPolicy: { Name: 1 } }), 'InvalidArgument', /HostConfig\.RestartPolicy\.Name/);
    refuses(() => host({ Ulimits: [{ Name: 'nofile', Soft: 'x' }] }), 'InvalidArgument', /HostConfig\.Ulimits\[0\]\.Soft/);
    refuses(() => parse({ Cmmd: ['sh'] }), 'InvalidArgument', /unknown field Cmmd/);
    refuses(() => host({ Memroy: 5 }), 'InvalidArgument', /unknown field HostConfig\.Memroy/);
    assert.doesNotThrow(() => parse({ SomeFutureField: null, HostConfig: { AnotherOne: false } }), 'unknown fields without a value pass');
    assert.doesNotThrow(() => parse({ name: 'web', platform: 'linux' }), 'dockerode repeats the query (name, platform) in the body');
    refuses(() => parse({ Healthcheck: { Interval: 500_000 } }), 'InvalidArgument', /cannot be less than 1ms/);
    refuses(() => parse({ Healthcheck: { Test: ['RUN', 'x'] } }), 'InvalidArgument', /NONE, CMD or CMD-SHELL/);
    refuses(() => parse({ Healthcheck: { Retries: -1 } }), 'InvalidArgument', /cannot be negative/);
    refuses(() => parse({ ExposedPorts: { 'http/tcp': {} } }), 'InvalidArgument', /ExposedPorts/);
    refuses(() => parse({ Volumes: { relative: {} } }), 'InvalidArgument', /must be absolute/);
    refuses(() => parse({}, { name: 'bad name' }), 'InvalidArgument', /Invalid container name/);
    refuses(() => parse({}, { platform: 'linux/amd64/v9/x' }), 'InvalidArgument', /platform/);
  });
});

const ID = 'a'.repeat(64);

function makeView(over: Partial<ContainerView> = {}, state: Partial<ContainerView['state']> = {}): ContainerView {
  return {
    id: ID,
    name: 'web',
    created: new Date('2024-01-02T03:04:05.678Z'),
    image: 'busybox',
    imageId: `sha256:${'1'.repeat(64)}` as Digest,
    path: 'sh',
    args: ['-c', 'echo hi there'],
    config: {
      hostname: 'aaaaaaaaaaaa', domainname: '', user: '', env: ['PATH=/bin'], cmd: ['sh', '-c', 'echo hi there'], entrypoint: null,
      workingDir: '', labels: { a: 'b' }, tty: false, openStdin: false, stdinOnce: false, attachStdin: false, attachStdout: true,
      attachStderr: true, stopSignal: 'SIGTERM', exposedPorts: [], volumes: [],
    },
    request: { image: 'busybox', run: {} },
    state: { status: 'created', running: false, paused: false, restarting: false, oomKilled: false, dead: false, pid: 0, exitCode: 0, error: '', ...state },
    restartCount: 0,
    isolation: 'container',
    runtime: 'runc',
    restartPolicy: { name: 'no', maximumRetryCount: 0 },
    autoRemove: false,
    logConfig: { type: 'json-file', maxSize: 0, maxFiles: 1 },
    logPath: `/var/lib/janus/containers/${ID}/container.log`,
    hostnamePath: `/var/lib/janus/containers/${ID}/hostname`,
    hostsPath: `/var/lib/janus/containers/${ID}/hosts`,
    resolvConfPath: `/var/lib/janus/containers/${ID}/resolv.conf`,
    mounts: [],
    graphDriver: { name: 'overlay2', data: { UpperDir: '/u', WorkDir: '/w' } },
    networkMode: 'none',
    networks: {},
    ports: {},
    sandboxKey: '',
    warnings: [],
    execIds: [],
    ...over,
  };
}

describe('container inspect and list wire', () => {
  test('inspect has docker\'s keys in docker\'s order, zero times, nulls, and the Janus extension', () => {
    const i = containerInspectWire(makeView());
    assert.deepEqual(Object.keys(i), [
      'Id', 'Created', 'Path', 'Args', 'State', 'Image', 'ResolvConfPath', 'HostnamePath', 'HostsPath', 'LogPath', 'Name', 'RestartCount',
      'Driver', 'Platform', 'MountLabel', 'ProcessLabel', 'AppArmorProfile', 'ExecIDs', 'HostConfig', 'GraphDriver', 'Mounts', 'Config',
      'NetworkSettings', 'Janus',
    ]);
    assert.equal(i.Created, '2024-01-02T03:04:05.678Z');
    assert.equal(i.Name, '/web');
    assert.equal(i.Image, `sha256:${'1'.repeat(64)}`);
    assert.deepEqual(i.State, {
      Status: 'created', Running: false, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: 0, ExitCode: 0, Error: '',
      StartedAt: '0001-01-01T00:00:00Z', FinishedAt: '0001-01-01T00:00:00Z',
    });
    assert.equal(i.ExecIDs, null);
    assert.equal(i.Driver, 'overlay2');
    assert.equal(i.Platform, 'linux');
    assert.deepEqual(i.GraphDriver, { Data: { UpperDir: '/u', WorkDir: '/w' }, Name: 'overlay2' });
    assert.deepEqual(i.Janus, { Isolation: 'container', Runtime: 'runc', Accelerator: '' });
    const c = i.Config as Record<string, unknown>;
    assert.equal(c.Image, 'busybox');
    assert.equal(c.Entrypoint, null);
    assert.equal(c.Volumes, null);
    assert.equal(c.OnBuild, null);
    assert.equal('ExposedPorts' in c, false);
    assert.equal(c.StopSignal, 'SIGTERM');
    const net = i.NetworkSettings as { Networks: Record<string, { NetworkID: string }>; SandboxKey: string };
    assert.deepEqual(Object.keys(net.Networks), ['none']);
    assert.match(net.Networks.none.NetworkID, /^[0-9a-f]{64}$/);
    assert.equal(net.SandboxKey, '');
  });

  test('HostConfig is rebuilt from the request with docker\'s defaults', () => {
    const view = makeView({
      request: {
        image: 'busybox',
        run: { memory: 64 << 20, cpus: 0.5, capAdd: ['NET_ADMIN'], mounts: [{ type: 'bind', source: '/srv', destination: '/srv', readOnly: true }], init: true, pidsLimit: 50 },
        volumes: [{ name: 'data', destination: '/data' }, { destination: '/anon' }],
        extraHosts: ['db:10.0.0.2'],
      },
      restartPolicy: { name: 'always', maximumRetryCount: 0 },
      logConfig: { type: 'json-file', maxSize: 1_000_000, maxFiles: 1 },
      networkMode: 'host',
      runtime: 'crun',
    });
    const hc = containerInspectWire(view).HostConfig as Record<string, unknown>;
    assert.deepEqual(hc.Binds, ['data:/data', '/srv:/srv:ro']);
    assert.deepEqual(hc.LogConfig, { Type: 'json-file', Config: { 'max-size': '1000000' } });
    assert.equal(hc.NetworkMode, 'host');
    assert.deepEqual(hc.RestartPolicy, { Name: 'always', MaximumRetryCount: 0 });
    assert.equal(hc.Memory, 64 << 20);
    assert.equal(hc.NanoCpus, 500_000_000);
    assert.deepEqual(hc.CapAdd, ['NET_ADMIN']);
    assert.equal(hc.CapDrop, null);
    assert.equal(hc.ShmSize, 64 * 1024 * 1024);
    assert.equal(hc.Runtime, 'crun');
    assert.equal(hc.Isolation, 'container');
    assert.equal(hc.PidsLimit, 50);
    assert.equal(hc.Init, true);
    assert.deepEqual(hc.ExtraHosts, ['db:10.0.0.2']);
    assert.deepEqual(hc.Dns, []);
    assert.equal(hc.MemorySwappiness, null);
    assert.ok(Array.isArray(hc.MaskedPaths) && (hc.MaskedPaths as string[]).includes('/proc/kcore'));
    assert.deepEqual(Object.keys((containerInspectWire(view).NetworkSettings as { Networks: object }).Networks), ['host']);
    assert.deepEqual((containerInspectWire(makeView({ networkMode: 'container:db' })).NetworkSettings as { Networks: object }).Networks, {});
  });

  test('a running container shows its times, pid, sandbox key, health and mounts', () => {
    const view = makeView({
      mounts: [
        { type: 'volume', name: 'data', source: '/v/data/_data', destination: '/data', driver: 'local', mode: '', rw: true, propagation: '' },
        { type: 'bind', source: '/srv', destination: '/srv', mode: 'ro', rw: false, propagation: 'rprivate' },
      ],
      execIds: ['e1'],
      sizeRw: 5,
      sizeRootFs: 10,
    }, {
      status: 'running', running: true, pid: 4242, startedAt: new Date('2024-01-02T03:04:06Z'),
      health: { status: 'healthy', failingStreak: 0, log: [{ start: new Date('2024-01-02T03:04:07.1Z'), end: new Date('2024-01-02T03:04:07.2Z'), exitCode: 0, output: 'ok\n' }] },
    });
    const i = containerInspectWire(view);
    const state = i.State as Record<string, unknown>;
    assert.equal(state.StartedAt, '2024-01-02T03:04:06Z');
    assert.equal(state.Pid, 4242);
    assert.deepEqual(state.Health, { Status: 'healthy', FailingStreak: 0, Log: [{ Start: '2024-01-02T03:04:07.1Z', End: '2024-01-02T03:04:07.2Z', ExitCode: 0, Output: 'ok\n' }] });
    assert.equal((i.NetworkSettings as { SandboxKey: string }).SandboxKey, '/proc/4242/ns/net');
    assert.deepEqual(i.ExecIDs, ['e1']);
    assert.equal(i.SizeRw, 5);
    assert.equal(i.SizeRootFs, 10);
    assert.deepEqual(i.Mounts, [
      { Type: 'volume', Name: 'data', Source: '/v/data/_data', Destination: '/data', Driver: 'local', Mode: '', RW: true, Propagation: '' },
      { Type: 'bind', Source: '/srv', Destination: '/srv', Mode: 'ro', RW: false, Propagation: 'rprivate' },
    ]);
  });

  test('summaries have docker\'s ContainerSummary shape and Command quoting', () => {
    const s = containerSummaryWire(makeView({}, { status: 'exited', startedAt: new Date(1000), finishedAt: new Date(2000), exitCode: 1 }), 2000 + 120_000);
    assert.deepEqual(s, {
      Id: ID,
      Names: ['/web'],
      Image: 'busybox',
      ImageID: `sha256:${'1'.repeat(64)}`,
      Command: "sh -c 'echo hi there'",
      Created: 1704164645,
      Ports: [],
      Labels: { a: 'b' },
      State: 'exited',
      Status: 'Exited (1) 2 minutes ago',
      HostConfig: { NetworkMode: 'none' },
      NetworkSettings: { Networks: { none: (s.NetworkSettings as { Networks: { none: object } }).Networks.none } },
      Mounts: [],
    });
    assert.deepEqual(Object.keys((s.NetworkSettings as { Networks: { none: object } }).Networks.none), [
      'IPAMConfig', 'MacAddress', 'GwPriority', 'NetworkID', 'EndpointID', 'Gateway', 'IPAddress', 'IPPrefixLen', 'IPv6Gateway', 'GlobalIPv6Address', 'GlobalIPv6PrefixLen',
    ]);
    const sized = containerSummaryWire(makeView({ sizeRw: 1, sizeRootFs: 2 }));
    assert.equal(sized.SizeRw, 1);
    assert.equal(sized.SizeRootFs, 2);
  });

  test('a container on bridge networks shows its endpoints, published ports and sandbox key like docker', () => {
    const bridge = { networkId: 'b'.repeat(64), endpointId: 'e'.repeat(64), aliases: [], ipamAddress: '', ipAddress: '172.17.0.2', prefixLen: 16, gateway: '172.17.0.1', macAddress: '02:42:ac:11:00:02' };
    const web = { networkId: 'c'.repeat(64), endpointId: 'f'.repeat(64), aliases: ['www'], ipamAddress: '10.5.0.9', ipAddress: '10.5.0.9', prefixLen: 24, gateway: '10.5.0.1', macAddress: '02:42:0a:05:00:09' };
    const view = makeView({
      networkMode: 'bridge',
      networks: { bridge, web },
      ports: { '80/tcp': [{ hostIp: '0.0.0.0', hostPort: '8080' }, { hostIp: '127.0.0.1', hostPort: '8081' }], '53/udp': [] },
      sandboxKey: '/run/janus/netns/abc',
    }, { status: 'running', running: true, pid: 77, startedAt: new Date() });
    const ns = containerInspectWire(view).NetworkSettings as Record<string, any>;
    assert.equal(ns.SandboxKey, '/run/janus/netns/abc');
    assert.deepEqual(ns.Ports, { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }, { HostIp: '127.0.0.1', HostPort: '8081' }], '53/udp': null });
    assert.deepEqual([ns.IPAddress, ns.IPPrefixLen, ns.Gateway, ns.MacAddress, ns.EndpointID], ['172.17.0.2', 16, '172.17.0.1', '02:42:ac:11:00:02', 'e'.repeat(64)]);
    assert.deepEqual(Object.keys(ns.Networks), ['bridge', 'web']);
    assert.deepEqual(ns.Networks.web, {
      IPAMConfig: { IPv4Address: '10.5.0.9' }, Links: null, Aliases: ['www'], MacAddress: '02:42:0a:05:00:09', DriverOpts: null, GwPriority: 0,
      NetworkID: 'c'.repeat(64), EndpointID: 'f'.repeat(64), Gateway: '10.5.0.1', IPAddress: '10.5.0.9', IPPrefixLen: 24,
      IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, DNSNames: ['web', 'www'],
    });
    assert.equal(ns.Networks.bridge.IPAMConfig, null);
    assert.equal(ns.Networks.bridge.Aliases, null);
    assert.equal(ns.Networks.bridge.DNSNames, null, 'the default bridge has no DNS');

    const s = containerSummaryWire(view);
    assert.deepEqual(s.Ports, [
      { IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
      { IP: '127.0.0.1', PrivatePort: 80, PublicPort: 8081, Type: 'tcp' },
      { PrivatePort: 53, Type: 'udp' },
    ]);
    const nets = (s.NetworkSettings as { Networks: Record<string, Record<string, unknown>> }).Networks;
    assert.deepEqual(Object.keys(nets), ['bridge', 'web']);
    assert.equal(nets.web.IPAddress, '10.5.0.9');
    assert.equal('Aliases' in nets.web, false);

    // A stopped container on a network: its networks with empty addresses, no ports, no sandbox.
    const stopped = containerInspectWire(makeView({ networkMode: 'web', networks: { web: { ...web, endpointId: '', ipAddress: '', gateway: '', macAddress: '', prefixLen: 0 } } })).NetworkSettings as Record<string, any>;
    assert.deepEqual(stopped.Ports, {});
    assert.equal(stopped.SandboxKey, '');
    assert.equal(stopped.IPAddress, '');
    assert.equal(stopped.Networks.web.NetworkID, 'c'.repeat(64));
  });

  test('Status text reads like docker ps', () => {
    const now = Date.parse('2024-01-01T01:00:00Z');
    const ago = (ms: number) => new Date(now - ms);
    const status = (state: Partial<ContainerView['state']>) => containerStatusText(makeView({}, state), now);
    assert.equal(status({}), 'Created');
    assert.equal(status({ status: 'running', running: true, startedAt: ago(3000) }), 'Up 3 seconds');
    assert.equal(status({ status: 'running', running: true, startedAt: ago(1000) }), 'Up 1 second');
    assert.equal(status({ status: 'running', running: true, startedAt: ago(200) }), 'Up Less than a second');
    assert.equal(status({ status: 'running', running: true, startedAt: ago(65_000) }), 'Up About a minute');
    assert.equal(status({ status: 'running', running: true, startedAt: ago(3 * 3_600_000) }), 'Up 3 hours');
    assert.equal(status({ status: 'running', running: true, startedAt: ago(120_000), health: { status: 'healthy', failingStreak: 0, log: [] } }), 'Up 2 minutes (healthy)');
    assert.equal(status({ status: 'running', running: true, startedAt: ago(5000), health: { status: 'starting', failingStreak: 0, log: [] } }), 'Up 5 seconds (health: starting)');
    assert.equal(status({ status: 'paused', running: true, paused: true, startedAt: ago(1000) }), 'Up 1 second (Paused)');
    assert.equal(status({ status: 'restarting', restarting: true, exitCode: 1, startedAt: ago(9000), finishedAt: ago(4000) }), 'Restarting (1) 4 seconds ago');
    assert.equal(status({ status: 'exited', exitCode: 0, startedAt: ago(300_000), finishedAt: ago(120_000) }), 'Exited (0) 2 minutes ago');
    assert.equal(status({ status: 'exited', exitCode: 137, startedAt: ago(3 * 86_400_000), finishedAt: ago(3 * 86_400_000) }), 'Exited (137) 3 days ago');
    assert.equal(status({ status: 'removing', startedAt: ago(1) }), 'Removal In Progress');
    assert.equal(status({ status: 'dead', dead: true, startedAt: ago(1) }), 'Dead');
  });
});
