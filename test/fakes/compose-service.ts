import type { ServiceConfig } from '../../src/compose/model.ts';

/** A normalised compose service on busybox with every list and map empty, for unit tests; `extra` overrides fields. */
export function composeService(name: string, extra: Partial<ServiceConfig> = {}): ServiceConfig {
  return {
    name, image: 'busybox', environment: {}, ports: [], expose: [], volumes: [], tmpfs: [], networks: { default: { aliases: [] } }, dependsOn: {},
    resources: {}, labels: {}, capAdd: [], capDrop: [], privileged: false, readOnly: false, securityOpt: [], ulimits: {}, extraHosts: [], dns: [],
    dnsSearch: [], tty: false, stdinOpen: false, profiles: [], scale: 1, janus: {}, ...extra,
  };
}
