import { invalidArgument } from '../../core/errors.ts';
import type { IsolationAdviser, UnofferedRequests, WorkloadAdvice, WorkloadAnnotations } from '../../engine/isolation-advice.ts';
import { parseContainerCreate } from './container-wire.ts';
import type { Router } from './router.ts';
import { WireObject } from './wire-object.ts';

/** Options of `registerAdviseRoutes`. */
export interface AdviseRoutesOptions {
  adviser: IsolationAdviser;
}

/**
 * `POST /janus/advise` — Janus's own endpoint (docker has none like it):
 * the advisor's level, reasons, alternatives and what would change the
 * answer, for workloads described as create bodies and for existing
 * containers. Body: `{"Workloads": [{"Name", "Config": <the body of POST
 * /containers/create>, "Platform", "Annotations": {"Trust", "Compliance"},
 * "Unoffered": {"Devices", "Gpus", "PidMode", "IpcMode", "UtsMode"}}],
 * "Containers": ["name or id"]}`. Each Config is parsed exactly as create
 * parses it, so a body create would refuse is refused here too
 * (InvalidArgument). Answer: `{"Workloads": [advice…], "Host": {…}}` with
 * the advice in the advisor's own (camelCase) shape, workloads first, then
 * containers, in the order given.
 */
export function registerAdviseRoutes(router: Router, options: AdviseRoutesOptions): void {
  const { adviser } = options;
  router.add('POST', '/janus/advise', async (r) => {
    const body = await r.jsonBody();
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw invalidArgument('advise: the body must be a JSON object');
    const o = body as Record<string, unknown>;
    for (const k of Object.keys(o)) if (k !== 'Workloads' && k !== 'Containers') throw invalidArgument(`advise: unknown field ${JSON.stringify(k)}`);
    const workloads = Array.isArray(o.Workloads) ? o.Workloads : o.Workloads === undefined ? [] : undefined;
    const containers = Array.isArray(o.Containers) ? o.Containers : o.Containers === undefined ? [] : undefined;
    if (!workloads || !containers) throw invalidArgument('advise: Workloads and Containers must be arrays');
    const out: WorkloadAdvice[] = [];
    for (const [i, w] of workloads.entries()) {
      const wo = WireObject.from(w, `Workloads[${i}]`);
      if (!wo) throw invalidArgument(`advise: Workloads[${i}] is empty`);
      const name = wo.string('Name');
      const request = parseContainerCreate(wo.raw('Config'), { name: undefined, platform: wo.string('Platform') || undefined }, r.apiVersion);
      const a = wo.object('Annotations');
      const annotations: WorkloadAnnotations = {
        ...(a?.string('Trust') ? { trust: a.string('Trust') } : {}),
        ...(a?.string('Compliance') ? { compliance: a.string('Compliance') } : {}),
      };
      const u = wo.object('Unoffered');
      const unoffered: UnofferedRequests = {
        ...((u?.strings('Devices')?.length ?? 0) > 0 ? { devices: u!.strings('Devices')! } : {}),
        ...(u?.string('Gpus') ? { gpus: u.string('Gpus') } : {}),
        ...(u?.string('PidMode') ? { pidMode: u.string('PidMode') } : {}),
        ...(u?.string('IpcMode') ? { ipcMode: u.string('IpcMode') } : {}),
        ...(u?.string('UtsMode') ? { utsMode: u.string('UtsMode') } : {}),
      };
      wo.rejectUnknown();
      a?.rejectUnknown();
      u?.rejectUnknown();
      out.push(await adviser.advise(request, { name: name || request.image, annotations, unoffered, signal: r.signal }));
    }
    for (const c of containers) {
      if (typeof c !== 'string' || c === '') throw invalidArgument('advise: Containers must hold names or IDs');
      out.push(await adviser.adviseContainer(c, { signal: r.signal }));
    }
    r.send(200, { Workloads: out, Host: await adviser.host() });
  });
}
