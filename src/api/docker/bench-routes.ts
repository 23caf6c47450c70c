import type { BenchService } from '../../engine/bench-service.ts';
import { parseBenchResults } from './bench-wire.ts';
import type { Router } from './router.ts';

/** Options of `registerBenchRoutes`. */
export interface BenchRoutesOptions {
  bench: BenchService;
}

/**
 * Janus's own endpoints for the host's latest `janus bench` figures (docker
 * has none like them): `PUT /janus/bench` with the JSON `janus bench
 * --format json` prints → 204 (InvalidArgument → 400 naming the field for
 * anything else), `GET /janus/bench` → 200 with that JSON, or 404 when no
 * bench was recorded. The CLI measures and hands the figures over; the
 * advisor (`janus advise`) and the dashboard read them here.
 */
export function registerBenchRoutes(router: Router, options: BenchRoutesOptions): void {
  const { bench } = options;
  router.add('GET', '/janus/bench', async (r) => {
    r.send(200, await bench.latest());
  });
  router.add('PUT', '/janus/bench', async (r) => {
    await bench.record(parseBenchResults(await r.jsonBody()));
    r.sendEmpty(204);
  });
}
