import { invalidArgument } from '../core/errors.ts';
import { VM_STACK_LABEL, VM_STACK_SHARE } from '../core/vm-stack.ts';
import type { ComposeProject, ServiceConfig, ServiceNetwork } from './model.ts';

/** The service `--isolation vm-stack` adds: the stack VM every other service runs in. */
export const VM_STACK_SERVICE = 'janus-vm-stack';

/**
 * Refuses a project whose services cannot share one network namespace:
 * in a vm-stack every service listens in the stack VM's (the pod model),
 * so two services declaring the same container port and protocol would
 * conflict. Checked before anything is created.
 */
export function checkStackPorts(project: ComposeProject): void {
  const owner = new Map<string, string>();
  for (const s of Object.values(project.services)) {
    for (const p of s.ports) {
      const key = `${p.target}/${p.protocol}`;
      const other = owner.get(key);
      if (other !== undefined && other !== s.name) {
        throw invalidArgument(`services ${JSON.stringify(other)} and ${JSON.stringify(s.name)} both use container port ${key}: with --isolation vm-stack every service shares the stack VM's network, so each container port may be used by one service only`);
      }
      owner.set(key, s.name);
    }
  }
}

/**
 * The project `janus compose up --isolation vm-stack` runs (docs/vm-stack.md):
 * one more service, `janus-vm-stack`, is the stack VM — a vm-level container
 * that only pauses (`catatonit -P` as its init), joins every network of the
 * project under every service's name and aliases, publishes every service's
 * ports and mounts the stack's share volume at `/janus-stack`. Every other
 * service becomes a workload inside it: vm isolation labelled with the
 * stack VM's container, its network namespace (`network_mode:
 * service:janus-vm-stack`), its ports moved to the stack VM, and the names
 * of all services resolving to 127.0.0.1 (they share the stack VM's
 * network namespace). Pure; refuses what the model cannot express.
 */
export function vmStackProject(project: ComposeProject): ComposeProject {
  const services = Object.values(project.services);
  if (services.length === 0) throw invalidArgument('--isolation vm-stack: the project has no services');
  if (Object.hasOwn(project.services, VM_STACK_SERVICE)) throw invalidArgument(`--isolation vm-stack: the service name ${VM_STACK_SERVICE} is reserved for the stack VM`);
  for (const s of services) {
    if (s.networkMode !== undefined) throw invalidArgument(`--isolation vm-stack: service ${JSON.stringify(s.name)} sets network_mode ${s.networkMode}; every service of a vm-stack uses the stack VM's network`);
    if (s.janus.isolation !== undefined && s.janus.isolation !== 'vm') throw invalidArgument(`--isolation vm-stack: service ${JSON.stringify(s.name)} asks for x-janus isolation ${s.janus.isolation}; a vm-stack runs every service in its VM`);
    const limits = Object.entries(s.resources).filter(([, v]) => v !== undefined).map(([k]) => k);
    if (limits.length) throw invalidArgument(`--isolation vm-stack: service ${JSON.stringify(s.name)} sets resource limits (${limits.join(', ')}); the services of a vm-stack share the stack VM's memory and CPUs and have no limits of their own`);
    for (const [key, n] of Object.entries(s.networks)) {
      if (n.ipv4Address) throw invalidArgument(`--isolation vm-stack: service ${JSON.stringify(s.name)} asks for the address ${n.ipv4Address} on network ${key}; the services of a vm-stack share the stack VM's address`);
    }
  }
  checkStackPorts(project);
  const base = services.find((s) => s.image) ?? services[0];
  if (!base.image) throw invalidArgument('--isolation vm-stack: the stack VM needs an image, and no service names one');

  const networks: Record<string, ServiceNetwork> = {};
  const names = new Set<string>();
  for (const s of services) {
    names.add(s.name);
    for (const [key, n] of Object.entries(s.networks)) {
      const net = (networks[key] ??= { aliases: [] });
      for (const a of [s.name, ...n.aliases]) {
        if (!net.aliases.includes(a)) net.aliases.push(a);
        names.add(a);
      }
    }
  }
  const volumeKey = VM_STACK_SERVICE;
  const stackContainer = `${project.name}-${VM_STACK_SERVICE}-1`;
  const stackVm: ServiceConfig = {
    ...base,
    name: VM_STACK_SERVICE,
    image: base.image,
    build: undefined,
    entrypoint: ['/sbin/docker-init'],
    command: ['-P'],
    init: true,
    environment: {},
    ports: services.flatMap((s) => s.ports),
    expose: [],
    volumes: [{ type: 'volume', source: volumeKey, target: VM_STACK_SHARE, readOnly: false }],
    tmpfs: [],
    networks,
    networkMode: undefined,
    dependsOn: {},
    healthcheck: undefined,
    restart: undefined,
    resources: {},
    user: undefined,
    workingDir: undefined,
    labels: {},
    hostname: undefined,
    domainname: undefined,
    containerName: undefined,
    stopSignal: undefined,
    stopGracePeriod: undefined,
    capAdd: [],
    capDrop: [],
    privileged: false,
    readOnly: false,
    securityOpt: [],
    ulimits: {},
    extraHosts: [],
    dns: [],
    dnsSearch: [],
    tty: false,
    stdinOpen: false,
    profiles: [],
    scale: 1,
    janus: { isolation: 'vm' },
  };
  const hosts = [...names].map((n) => `${n}:127.0.0.1`);
  const out: Record<string, ServiceConfig> = { [VM_STACK_SERVICE]: stackVm };
  for (const s of services) {
    out[s.name] = {
      ...s,
      ports: [],
      networks: {},
      networkMode: `service:${VM_STACK_SERVICE}`,
      labels: { ...s.labels, [VM_STACK_LABEL]: stackContainer },
      janus: { ...s.janus, isolation: 'vm' },
      dependsOn: { [VM_STACK_SERVICE]: { condition: 'service_started', required: true, restart: true }, ...s.dependsOn },
      extraHosts: [...s.extraHosts, ...hosts.filter((h) => !s.extraHosts.some((e) => e.split(':')[0] === h.split(':')[0]))],
    };
  }
  return {
    ...project,
    services: out,
    volumes: { ...project.volumes, [volumeKey]: { name: `${project.name}_${volumeKey}`, external: false, driverOpts: {}, labels: {} } },
  };
}
