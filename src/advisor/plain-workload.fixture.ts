import type { WorkloadFacts } from './workload-facts.ts';

/** A plain, trusted web service: no rule but the default applies to it. */
export function plainWorkload(over: Partial<WorkloadFacts> = {}): WorkloadFacts {
  return {
    name: 'web',
    image: 'busybox',
    imageConfig: { os: 'linux', architecture: 'amd64', entrypoint: [], cmd: ['sh'], user: '', labels: {} },
    initSystemFiles: [],
    process: ['httpd', '-f'],
    labels: {},
    privileged: false,
    capAdd: [],
    securityOpt: [],
    devices: [],
    binds: [],
    sysctls: [],
    ports: ['80/tcp'],
    unevaluated: [],
    ...over,
  };
}
