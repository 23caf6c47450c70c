import type { ServiceConfig, PortConfig } from './model.ts';
import { read } from './node-reader.ts';
import { parsePorts, range } from './parse-ports.ts';
import type { ComposeNode, MapNode } from './yaml-nodes.ts';

/**
 * The checks across services, once each is parsed: depends_on names
 * services that exist (and, for an enabled service, are enabled) and has no
 * cycle; no host port is published twice among enabled services (same
 * protocol and overlapping host addresses) or by several replicas;
 * container names are unique. `nodes` are the services' mappings, for
 * locating errors. Throws InvalidArgument with the file, line and key path.
 */
export function checkReferences(all: Record<string, ServiceConfig>, enabled: Record<string, ServiceConfig>, nodes: Record<string, MapNode>): void {
  checkDependencies(all, enabled, nodes);
  checkPorts(enabled, nodes);
  checkContainerNames(all, nodes);
}

function checkDependencies(all: Record<string, ServiceConfig>, enabled: Record<string, ServiceConfig>, nodes: Record<string, MapNode>): void {
  const depNode = (name: string, dep: string): [ComposeNode, string] => {
    const node = nodes[name].entries.get('depends_on');
    if (node?.kind === 'map' && node.entries.has(dep)) return [node.entries.get(dep)!, `services.${name}.depends_on.${dep}`];
    if (node?.kind === 'seq') {
      const i = node.items.findIndex((it) => it.kind === 'scalar' && it.value === dep);
      if (i >= 0) return [node.items[i], `services.${name}.depends_on[${i}]`];
    }
    const nm = nodes[name].entries.get('network_mode');
    if (nm) return [nm, `services.${name}.network_mode`];
    return [nodes[name], `services.${name}`];
  };
  for (const [name, s] of Object.entries(all)) {
    for (const [dep, d] of Object.entries(s.dependsOn)) {
      if (dep === name) {
        const [n, at] = depNode(name, dep);
        throw read.fail(n, at, `service "${name}" depends on itself`);
      }
      if (!Object.hasOwn(all, dep)) {
        if (!d.required) continue;
        const [n, at] = depNode(name, dep);
        throw read.fail(n, at, `service "${name}" depends on undefined service "${dep}"`);
      }
      if (Object.hasOwn(enabled, name) && !Object.hasOwn(enabled, dep) && d.required) {
        const [n, at] = depNode(name, dep);
        throw read.fail(n, at, `service "${name}" depends on "${dep}", which is disabled by profiles [${all[dep].profiles.join(', ')}] (activate one with --profile)`);
      }
    }
  }
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): void => {
    state.set(name, 'visiting');
    stack.push(name);
    for (const dep of Object.keys(all[name].dependsOn)) {
      if (!Object.hasOwn(all, dep)) continue;
      if (state.get(dep) === 'visiting') {
        const cycle = [...stack.slice(stack.indexOf(dep)), dep];
        const [n, at] = depNode(name, dep);
        throw read.fail(n, at, `dependency cycle: ${cycle.join(' -> ')}`);
      }
      if (!state.has(dep)) visit(dep);
    }
    stack.pop();
    state.set(name, 'done');
  };
  for (const name of Object.keys(all)) if (!state.has(name)) visit(name);
}

function checkPorts(services: Record<string, ServiceConfig>, nodes: Record<string, MapNode>): void {
  const taken: { service: string; port: PortConfig; lo: number; hi: number }[] = [];
  const anyIp = (ip?: string) => ip === undefined || ip === '0.0.0.0' || ip === '::';
  for (const [name, s] of Object.entries(services)) {
    const portsNode = nodes[name].entries.get('ports');
    if (!portsNode || portsNode.kind !== 'seq') continue;
    portsNode.items.forEach((item, i) => {
      const at = `services.${name}.ports[${i}]`;
      for (const port of parsePorts(item, at)) {
        if (port.published === undefined) continue;
        const r = range(port.published);
        if (!r || r[0] === 0) continue;
        const fixed = r[0] === r[1];
        if (fixed && s.scale > 1) {
          throw read.fail(item, at, `host port ${port.published}/${port.protocol} is published by ${s.scale} replicas of "${name}"; only one can have it`);
        }
        for (const t of taken) {
          if (t.port.protocol !== port.protocol) continue;
          if (!(anyIp(t.port.hostIp) || anyIp(port.hostIp) || t.port.hostIp === port.hostIp)) continue;
          if (!fixed || t.lo !== t.hi || t.lo !== r[0]) continue;
          if (t.service === name && samePort(t.port, port)) continue;
          const ip = port.hostIp ? `${port.hostIp.includes(':') ? `[${port.hostIp}]` : port.hostIp}:` : '';
          const by = t.service === name ? 'another port of this service' : `service "${t.service}"`;
          throw read.fail(item, at, `host port ${ip}${port.published}/${port.protocol} is already published by ${by}`);
        }
        taken.push({ service: name, port, lo: r[0], hi: r[1] });
      }
    });
  }
}

function checkContainerNames(all: Record<string, ServiceConfig>, nodes: Record<string, MapNode>): void {
  const seen = new Map<string, string>();
  for (const [name, s] of Object.entries(all)) {
    if (s.containerName === undefined) continue;
    const other = seen.get(s.containerName);
    if (other) throw read.fail(nodes[name].entries.get('container_name')!, `services.${name}.container_name`, `"${s.containerName}" is already the container name of service "${other}"`);
    seen.set(s.containerName, name);
  }
}

function samePort(a: PortConfig, b: PortConfig): boolean {
  return a.target === b.target && a.published === b.published && a.hostIp === b.hostIp && a.protocol === b.protocol;
}
