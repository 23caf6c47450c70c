import { notFound, notImplemented } from '../../core/errors.ts';
import type { Router } from './router.ts';

/**
 * Engine API families Janus does not offer, and why. Each answers every
 * method under its path with 501 and docker's `{"message": …}` body, so a
 * client prints a sentence that says what is missing ("Error response from
 * daemon: swarm mode is not offered by Janus …") instead of "page not
 * found", and SDKs see an error rather than an empty list they would take
 * for "none yet".
 */
const NOT_OFFERED: ReadonlyArray<{ prefixes: string[]; message: string }> = [
  {
    prefixes: ['/swarm', '/nodes', '/services', '/tasks'],
    message: 'swarm mode is not offered by Janus: it runs workloads on this host only (use docker-compose for multi-service stacks)',
  },
  { prefixes: ['/secrets'], message: 'secrets are not offered by Janus: they belong to swarm mode, which Janus does not offer (mount a file or pass environment variables instead)' },
  { prefixes: ['/configs'], message: 'configs are not offered by Janus: they belong to swarm mode, which Janus does not offer (mount a file instead)' },
  { prefixes: ['/plugins'], message: 'plugins are not offered by Janus: its volume driver (local) and network drivers (bridge, host, null) are built in' },
  {
    prefixes: ['/distribution'],
    message: 'distribution inspect is not offered by Janus: pull the image and inspect it instead',
  },
  {
    prefixes: ['/session', '/grpc'],
    message: 'BuildKit sessions are not offered by Janus',
  },
  {
    prefixes: ['/build'],
    message: 'this build endpoint is not offered by Janus: its builder serves POST /build (the classic protocol) and POST /build/prune; build cancel and history belong to BuildKit',
  },
  { prefixes: ['/containers/{id}/checkpoints'], message: 'checkpoints are not offered by Janus (docker offers them only as an experimental feature)' },
];

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'] as const;

/**
 * Adds the families Janus does not offer (swarm, nodes, services, tasks,
 * secrets, configs, plugins, distribution, BuildKit sessions, checkpoints)
 * and `/build` until a builder registers it first.
 * Call after every real route: they match whole subtrees.
 */
export function registerNotOfferedRoutes(router: Router): void {
  // `docker inspect NAME` asks for a plugin of that name too and goes on only when told "not found":
  // with no plugins, none by any name exists.
  router.add('GET', '/plugins/{name...}/json', async (r) => {
    throw notFound(`plugin ${JSON.stringify(r.param('name'))} not found: Janus does not offer plugins`);
  });
  // Only cluster volumes can be updated.
  router.add('PUT', '/volumes/{name}', async () => {
    throw notImplemented('updating a volume is not offered by Janus: only cluster volumes can be updated, and they belong to swarm mode');
  });
  for (const { prefixes, message } of NOT_OFFERED) {
    const handler = async (): Promise<void> => { throw notImplemented(message); };
    for (const prefix of prefixes) {
      for (const method of METHODS) {
        router.add(method, prefix, handler);
        router.add(method, `${prefix}/{rest...}`, handler);
      }
    }
  }
}
