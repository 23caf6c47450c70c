import type { FlagSpec } from './args.ts';

/**
 * docker's flags that Janus does not offer, and why. They are declared (so
 * `--help` lists them and the error names the flag rather than calling it
 * unknown) and refused when given.
 */
export const UNSUPPORTED_CREATE_FLAGS: Readonly<Record<string, { type: FlagSpec['type']; why: string }>> = {
  annotation: { type: 'list', why: 'OCI annotations are not passed to the runtime' },
  'blkio-weight': { type: 'string', why: 'block I/O limits are not offered' },
  'blkio-weight-device': { type: 'list', why: 'block I/O limits are not offered' },
  'cgroup-parent': { type: 'string', why: 'Janus places every container in its own cgroup' },
  'cpu-count': { type: 'string', why: 'it applies to Windows containers only' },
  'cpu-percent': { type: 'string', why: 'it applies to Windows containers only' },
  'cpu-rt-period': { type: 'string', why: 'real-time scheduling is not offered' },
  'cpu-rt-runtime': { type: 'string', why: 'real-time scheduling is not offered' },
  'cpuset-cpus': { type: 'string', why: 'pinning to CPUs is not offered; limit CPU time with --cpus' },
  'cpuset-mems': { type: 'string', why: 'pinning to memory nodes is not offered' },
  device: { type: 'list', why: 'host devices are not offered' },
  'device-cgroup-rule': { type: 'list', why: 'device cgroup rules are not offered' },
  'device-read-bps': { type: 'list', why: 'block I/O limits are not offered' },
  'device-read-iops': { type: 'list', why: 'block I/O limits are not offered' },
  'device-write-bps': { type: 'list', why: 'block I/O limits are not offered' },
  'device-write-iops': { type: 'list', why: 'block I/O limits are not offered' },
  gpus: { type: 'string', why: 'GPU devices are not offered' },
  'group-add': { type: 'list', why: 'supplementary groups are not offered' },
  'io-maxbandwidth': { type: 'string', why: 'it applies to Windows containers only' },
  'io-maxiops': { type: 'string', why: 'it applies to Windows containers only' },
  ip6: { type: 'string', why: 'Janus networks are IPv4 networks' },
  'kernel-memory': { type: 'string', why: 'kernel memory limits are not offered' },
  link: { type: 'list', why: 'legacy container links are not offered' },
  'link-local-ip': { type: 'list', why: 'link-local addresses are not offered' },
  'mac-address': { type: 'string', why: 'a container\'s MAC address is derived from its IP address' },
  'memory-reservation': { type: 'string', why: 'memory soft limits are not offered' },
  'oom-kill-disable': { type: 'bool', why: 'disabling the OOM killer is not offered' },
  'oom-score-adj': { type: 'string', why: 'OOM score adjustment is not offered' },
  'storage-opt': { type: 'list', why: 'per-container storage options are not offered' },
  'use-api-socket': { type: 'bool', why: 'mounting the API socket into containers is not offered' },
  'volumes-from': { type: 'list', why: 'name the volumes instead' },
};

/**
 * Namespace flags whose only accepted values are the ones that keep
 * Janus's behaviour (a private namespace); each maps to its HostConfig field.
 */
export const NAMESPACE_FLAGS: Readonly<Record<string, { field: string; allowed: readonly string[]; why: string }>> = {
  cgroupns: { field: 'CgroupnsMode', allowed: ['', 'private'], why: 'Janus runs every container in its own cgroup namespace' },
  ipc: { field: 'IpcMode', allowed: ['', 'private', 'shareable'], why: 'every container has its own IPC namespace' },
  pid: { field: 'PidMode', allowed: [''], why: 'every container has its own PID namespace' },
  userns: { field: 'UsernsMode', allowed: ['', 'host'], why: 'Janus does not run containers in user namespaces' },
  uts: { field: 'UTSMode', allowed: [''], why: 'every container has its own UTS namespace' },
};

/**
 * The flags of `run` (with `forRun`) and `create`: docker's names,
 * shorthands and defaults. Values are strings here; container-config.ts
 * parses them.
 */
export function createFlagSpecs(forRun: boolean): FlagSpec[] {
  const flags: FlagSpec[] = [
    { name: 'add-host', type: 'list', valueName: 'list', description: 'Add a custom host-to-IP mapping (host:ip)' },
    { name: 'attach', short: 'a', type: 'list', valueName: 'list', description: 'Attach to STDIN, STDOUT or STDERR' },
    { name: 'cap-add', type: 'list', valueName: 'list', description: 'Add Linux capabilities' },
    { name: 'cap-drop', type: 'list', valueName: 'list', description: 'Drop Linux capabilities' },
    { name: 'cidfile', type: 'string', valueName: 'string', description: 'Write the container ID to the file' },
    { name: 'cpu-period', type: 'string', valueName: 'int', description: 'Limit CPU CFS (Completely Fair Scheduler) period' },
    { name: 'cpu-quota', type: 'string', valueName: 'int', description: 'Limit CPU CFS (Completely Fair Scheduler) quota' },
    { name: 'cpu-shares', short: 'c', type: 'string', valueName: 'int', description: 'CPU shares (relative weight)' },
    { name: 'cpus', type: 'string', valueName: 'decimal', description: 'Number of CPUs' },
    ...(forRun ? [
      { name: 'detach', short: 'd', type: 'bool', description: 'Run container in background and print container ID' } as FlagSpec,
      { name: 'detach-keys', type: 'string', valueName: 'string', description: 'Override the key sequence for detaching a container' } as FlagSpec,
    ] : []),
    { name: 'disable-content-trust', type: 'bool', default: 'true', description: 'Skip image verification (Janus never verifies signatures)' },
    { name: 'dns', type: 'list', valueName: 'list', description: 'Set custom DNS servers' },
    { name: 'dns-option', type: 'list', valueName: 'list', description: 'Set DNS options' },
    { name: 'dns-search', type: 'list', valueName: 'list', description: 'Set custom DNS search domains' },
    { name: 'domainname', type: 'string', valueName: 'string', description: 'Container NIS domain name' },
    { name: 'entrypoint', type: 'string', valueName: 'string', description: 'Overwrite the default ENTRYPOINT of the image' },
    { name: 'env', short: 'e', type: 'list', valueName: 'list', description: 'Set environment variables' },
    { name: 'env-file', type: 'list', valueName: 'list', description: 'Read in a file of environment variables' },
    { name: 'expose', type: 'list', valueName: 'list', description: 'Expose a port or a range of ports' },
    { name: 'health-cmd', type: 'string', valueName: 'string', description: 'Command to run to check health' },
    { name: 'health-interval', type: 'string', valueName: 'duration', description: 'Time between running the check (ms|s|m|h) (default 0s)' },
    { name: 'health-retries', type: 'string', valueName: 'int', description: 'Consecutive failures needed to report unhealthy' },
    { name: 'health-start-interval', type: 'string', valueName: 'duration', description: 'Time between running the check during the start period (ms|s|m|h) (default 0s)' },
    { name: 'health-start-period', type: 'string', valueName: 'duration', description: 'Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)' },
    { name: 'health-timeout', type: 'string', valueName: 'duration', description: 'Maximum time to allow one check to run (ms|s|m|h) (default 0s)' },
    { name: 'hostname', short: 'h', type: 'string', valueName: 'string', description: 'Container host name' },
    { name: 'init', type: 'bool', description: 'Run an init inside the container that forwards signals and reaps processes' },
    { name: 'interactive', short: 'i', type: 'bool', description: 'Keep STDIN open even if not attached' },
    { name: 'ip', type: 'string', valueName: 'string', description: 'IPv4 address (e.g., 172.30.100.104)' },
    { name: 'isolation', type: 'string', valueName: 'string', description: "Isolation level: 'container' (namespaces), 'sandbox' (gVisor), 'vm' (own kernel) or 'auto' (the advisor chooses; see janus advise)" },
    { name: 'kernel', type: 'string', valueName: 'path', description: "vm level: boot this Linux kernel (a bzImage on the daemon's host) instead of the default one" },
    { name: 'from-snapshot', type: 'string', valueName: 'container:snapshot', description: "Start from a snapshot's writable layer (a VM: its disk); same image and isolation level" },
    { name: 'label', short: 'l', type: 'list', valueName: 'list', description: 'Set meta data on a container' },
    { name: 'label-file', type: 'list', valueName: 'list', description: 'Read in a line delimited file of labels' },
    { name: 'log-driver', type: 'string', valueName: 'string', description: 'Logging driver for the container' },
    { name: 'log-opt', type: 'list', valueName: 'list', description: 'Log driver options' },
    { name: 'memory', short: 'm', type: 'string', valueName: 'bytes', description: 'Memory limit' },
    { name: 'memory-swap', type: 'string', valueName: 'bytes', description: "Swap limit equal to memory plus swap: '-1' to enable unlimited swap" },
    { name: 'memory-swappiness', type: 'string', valueName: 'int', description: 'Tune container memory swappiness (only -1, the default, is supported)' },
    { name: 'mount', type: 'list', valueName: 'mount', description: 'Attach a filesystem mount to the container' },
    { name: 'name', type: 'string', valueName: 'string', description: 'Assign a name to the container' },
    { name: 'network', type: 'list', valueName: 'network', description: 'Connect a container to a network' },
    { name: 'net', type: 'list', valueName: 'network', description: 'Connect a container to a network (same as --network)' },
    { name: 'network-alias', type: 'list', valueName: 'list', description: 'Add network-scoped alias for the container' },
    { name: 'no-healthcheck', type: 'bool', description: 'Disable any container-specified HEALTHCHECK' },
    { name: 'pids-limit', type: 'string', valueName: 'int', description: 'Tune container pids limit (set -1 for unlimited)' },
    { name: 'platform', type: 'string', valueName: 'string', description: 'Set platform if server is multi-platform capable' },
    { name: 'privileged', type: 'bool', description: 'Give extended privileges to this container' },
    { name: 'publish', short: 'p', type: 'list', valueName: 'list', description: "Publish a container's port(s) to the host" },
    { name: 'publish-all', short: 'P', type: 'bool', description: 'Publish all exposed ports to random ports' },
    { name: 'pull', type: 'string', valueName: 'string', default: 'missing', description: `Pull image before ${forRun ? 'running' : 'creating'} ("always", "missing", "never")` },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Suppress the pull output' },
    { name: 'read-only', type: 'bool', description: "Mount the container's root filesystem as read only" },
    { name: 'restart', type: 'string', valueName: 'string', default: 'no', description: 'Restart policy to apply when a container exits' },
    { name: 'rm', type: 'bool', description: 'Automatically remove the container and its associated anonymous volumes when it exits' },
    { name: 'runtime', type: 'string', valueName: 'string', description: 'Runtime to use for this container (runc, crun, runsc)' },
    { name: 'security-opt', type: 'list', valueName: 'list', description: 'Security Options' },
    { name: 'shm-size', type: 'string', valueName: 'bytes', description: 'Size of /dev/shm' },
    ...(forRun ? [{ name: 'sig-proxy', type: 'bool', default: 'true', description: 'Proxy received signals to the process' } as FlagSpec] : []),
    { name: 'stop-signal', type: 'string', valueName: 'string', description: 'Signal to stop the container' },
    { name: 'stop-timeout', type: 'string', valueName: 'int', description: 'Timeout (in seconds) to stop a container' },
    { name: 'sysctl', type: 'list', valueName: 'map', description: 'Sysctl options' },
    { name: 'tmpfs', type: 'list', valueName: 'list', description: 'Mount a tmpfs directory' },
    { name: 'tty', short: 't', type: 'bool', description: 'Allocate a pseudo-TTY' },
    { name: 'ulimit', type: 'list', valueName: 'ulimit', description: 'Ulimit options' },
    { name: 'user', short: 'u', type: 'string', valueName: 'string', description: 'Username or UID (format: <name|uid>[:<group|gid>])' },
    { name: 'volume', short: 'v', type: 'list', valueName: 'list', description: 'Bind mount a volume' },
    { name: 'volume-driver', type: 'string', valueName: 'string', description: 'Optional volume driver for the container (only local)' },
    { name: 'workdir', short: 'w', type: 'string', valueName: 'string', description: 'Working directory inside the container' },
  ];
  for (const [name, ns] of Object.entries(NAMESPACE_FLAGS)) {
    flags.push({ name, type: 'string', valueName: 'string', description: `${ns.field.replace(/Mode$/, '')} namespace to use (only ${ns.allowed.filter((a) => a).join(' or ') || 'the default'}: ${ns.why})` });
  }
  for (const [name, u] of Object.entries(UNSUPPORTED_CREATE_FLAGS)) {
    flags.push({ name, type: u.type, ...(u.type === 'bool' ? {} : { valueName: u.type === 'list' ? 'list' : 'string' }), description: `Not supported: ${u.why}` });
  }
  return flags.sort((a, b) => a.name.localeCompare(b.name));
}
