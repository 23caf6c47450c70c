import { conflict, invalidArgument, isJanusError } from '../../core/errors.ts';
import type { ContainerCreateRequest, ContainerService } from '../../engine/container-service.ts';

/** One legacy link: the container linked to, the name it gets, and on which network (undefined: the one the container joins first). */
export interface LegacyLink {
  container: string;
  alias: string;
  network?: string;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Takes the legacy links out of a `POST /containers/create` body:
 * `HostConfig.Links` (docker-compose v1, older CLIs) and
 * `NetworkingConfig.EndpointsConfig.NET.Links` (the docker CLI puts
 * `--link` there on a user network). Returns the body without them (a
 * copy; the argument is not changed) and the links (`NAME` or
 * `NAME:ALIAS`, a leading `/` dropped as docker does). A body that is not
 * an object, or has no links, comes back as it was. Pure.
 */
export function takeLegacyLinks(body: unknown): { body: unknown; links: LegacyLink[] } {
  if (!isObject(body)) return { body, links: [] };
  const links: LegacyLink[] = [];
  let out: Json = body;
  const hc = body.HostConfig;
  if (isObject(hc) && hc.Links !== undefined && hc.Links !== null) {
    links.push(...parseLinks(hc.Links, 'HostConfig.Links'));
    const { Links: _links, ...rest } = hc;
    out = { ...out, HostConfig: rest };
  }
  const nc = body.NetworkingConfig;
  const eps = isObject(nc) ? nc.EndpointsConfig : undefined;
  if (isObject(nc) && isObject(eps)) {
    let changed = false;
    const endpoints: Json = {};
    for (const [network, ep] of Object.entries(eps)) {
      if (isObject(ep) && ep.Links !== undefined && ep.Links !== null) {
        links.push(...parseLinks(ep.Links, `NetworkingConfig.EndpointsConfig.${network}.Links`).map((l) => ({ ...l, network })));
        const { Links: _links, ...rest } = ep;
        endpoints[network] = rest;
        changed = true;
      } else {
        endpoints[network] = ep;
      }
    }
    if (changed) out = { ...out, NetworkingConfig: { ...nc, EndpointsConfig: endpoints } };
  }
  return { body: out, links };
}

function parseLinks(raw: unknown, field: string): LegacyLink[] {
  if (!Array.isArray(raw) || raw.some((l) => typeof l !== 'string')) throw invalidArgument(`invalid ${field}: want an array of strings NAME:ALIAS`);
  return (raw as string[]).map((entry) => {
    const [name = '', alias, ...rest] = entry.split(':');
    const container = name.replace(/^\//, '');
    // docker's own inspect output (`/db:/web/db`) names the alias by its full path; the last segment is the alias.
    const linkAlias = (alias ?? container).split('/').pop() ?? '';
    if (container === '' || linkAlias === '' || rest.length > 0) throw invalidArgument(`invalid ${field} entry ${JSON.stringify(entry)}: want NAME or NAME:ALIAS`);
    return { container, alias: linkAlias };
  });
}

/**
 * Turns legacy links into `/etc/hosts` entries of the new container: each
 * alias names the linked container's current address on the network the
 * new container joins first (its NetworkMode; the default bridge when it
 * has none). That is what links amount to on a user network (a name only
 * this container resolves; docker-compose v1 links `run` containers to the
 * service's containers) and the hosts entries docker writes on the default
 * bridge. Unlike docker, no link environment variables are set, and the
 * entry keeps the address the linked container had at create time.
 *
 * The linked container must exist (InvalidArgument, as docker), run (Conflict: it has no
 * address otherwise) and be on that network (InvalidArgument); host, none
 * and container: network modes cannot have links (InvalidArgument, docker's
 * wording). Returns the request with the entries added to extraHosts.
 */
export async function resolveLegacyLinks(request: ContainerCreateRequest, links: LegacyLink[], containers: ContainerService): Promise<ContainerCreateRequest> {
  if (links.length === 0) return request;
  const mode = request.network;
  if (mode && mode.mode !== 'network') throw invalidArgument(`conflicting options: ${mode.mode} type networking can't be used with links. This would result in undefined behavior`);
  const primary = mode?.mode === 'network' ? mode.name : 'bridge';
  const hosts: string[] = [];
  for (const link of links) {
    const network = link.network === undefined || link.network === 'default' ? primary : link.network;
    let target;
    try {
      target = await containers.inspect(link.container);
    } catch (err) {
      // docker: linking to a container that does not exist is a bad parameter (a 404 would make the CLI pull the image).
      if (isJanusError(err, 'NotFound')) throw invalidArgument(`could not get container for ${link.container}`, err);
      throw err;
    }
    const endpoint = Object.entries(target.networks).find(([name, ep]) => name === network || (network.length >= 12 && ep.networkId.startsWith(network)))?.[1];
    if (!endpoint) throw invalidArgument(`cannot link to ${target.name}: it is not on network ${network}`);
    if (target.state.status !== 'running' || endpoint.ipAddress === '') throw conflict(`Cannot link to a non running container: /${target.name} AS /${request.name ?? ''}/${link.alias}`);
    hosts.push(`${link.alias}:${endpoint.ipAddress}`);
    if (network === 'bridge' && link.alias !== target.name) hosts.push(`${target.name}:${endpoint.ipAddress}`);
  }
  return { ...request, extraHosts: [...(request.extraHosts ?? []), ...hosts] };
}
