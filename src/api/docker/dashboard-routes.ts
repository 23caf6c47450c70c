import { notFound, unavailable } from '../../core/errors.ts';
import type { Router } from './router.ts';

/** Where the daemon's dashboard is, as `GET /janus/dashboard` reports it. */
export type DashboardStatus =
  | { state: 'off' }
  | { state: 'failed'; reason: string }
  | { state: 'listening'; url: string; token: string };

/**
 * `GET /janus/dashboard` (Janus extension): the dashboard's address with
 * its token, for `janus dashboard`. Only callers of this API (root and the
 * socket's group) learn the token this way. NotFound when the dashboard is
 * off, Unavailable when it could not listen.
 */
export function registerDashboardRoutes(router: Router, options: { dashboard: () => DashboardStatus }): void {
  router.add('GET', '/janus/dashboard', async (r) => {
    const s = options.dashboard();
    if (s.state === 'off') throw notFound('the dashboard is off (the daemon was started with --dashboard off)');
    if (s.state === 'failed') throw unavailable(`the dashboard is not listening: ${s.reason}`);
    r.send(200, { URL: s.url, Token: s.token });
  });
}
