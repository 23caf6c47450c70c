import type { Readable } from 'node:stream';
import type { DockerClient } from '../api/client/docker-client.ts';
import type { AuthConfig, ContainerInspect, ContainerSummary, IpamConfigWire } from '../api/client/types.ts';
import { JanusError, conflict, invalidArgument, isJanusError, notFound } from '../core/errors.ts';
import { COMPOSE_LABELS, projectFilter } from './labels.ts';
import type { ComposeProject, ServiceConfig } from './model.ts';
import { serviceCreateBody, serviceImage } from './service-create-body.ts';
import { VM_STACK_SERVICE } from './vm-stack-project.ts';
import { serviceOrder } from './service-order.ts';

/** What the engine is built with; injected by the CLI (or a test). */
export interface ComposeEngineOptions {
  client: DockerClient;
  /** Written in com.docker.compose.version. */
  version: string;
  /** The config hash of a service (the loader's `configHash`). */
  configHash: (service: ServiceConfig) => string;
  /** One progress line (` Container p-web-1  Started`), for stderr. */
  progress: (line: string) => void;
  /** Packs a build context (`build:`); without it, building is refused. */
  packContext?: (context: string, dockerfile: string | undefined) => Promise<{ tar: Readable; dockerfile: string }>;
  /** Registry credentials for an image reference, when the caller has any. */
  authFor?: (image: string) => Promise<AuthConfig | undefined>;
  /** How often readiness (health, completion) is polled, ms. Default 200. */
  pollMs?: number;
}

/** Options of `up`. */
export interface UpOptions {
  /** Services named on the command line (all when empty). */
  services: string[];
  noDeps?: boolean;
  forceRecreate?: boolean;
  build?: boolean;
  /** `--scale SVC=N`. */
  scale?: Record<string, number>;
  removeOrphans?: boolean;
  /** Create, do not start. */
  noStart?: boolean;
  /** `--wait`: return once every container runs (healthy when it has a healthcheck). */
  wait?: boolean;
  signal?: AbortSignal;
}

/** Options of `down`. */
export interface DownOptions {
  volumes?: boolean;
  rmi?: 'local' | 'all';
  removeOrphans?: boolean;
  /** Seconds before SIGKILL. */
  timeout?: number;
  signal?: AbortSignal;
}

/** Which containers `containers` lists. */
export interface ContainerQuery {
  services?: readonly string[];
  /** Stopped ones too. */
  all?: boolean;
  /** One-off (`run`) containers: left out (default), included, or only those. */
  oneoff?: 'exclude' | 'include' | 'only';
}

/** The label value of a container, or ''. */
export const labelOf = (c: { Labels: Record<string, string> | null }, key: string): string => c.Labels?.[key] ?? '';

/** The container's name without the leading slash. */
export const nameOf = (c: ContainerSummary): string => (c.Names?.[0] ?? c.Id.slice(0, 12)).replace(/^\//, '');

/**
 * docker compose's engine over the Engine API: it creates, converges and
 * removes a project's networks, volumes and containers, finding them again
 * by compose's labels only (there is no other state). Every call goes
 * through `DockerClient`, so it works against Janus or any
 * Docker-compatible daemon. Progress goes to `options.progress`; failures
 * are JanusErrors naming the service or container at fault, and whatever
 * was created before a failure keeps its labels, so `down` removes it.
 */
export class ComposeEngine {
  readonly #client: DockerClient;
  readonly #o: ComposeEngineOptions;

  constructor(options: ComposeEngineOptions) {
    this.#client = options.client;
    this.#o = options;
  }

  /** The project's containers, by service (file order unknown here: by name) then replica number. */
  async containers(project: string, query: ContainerQuery = {}, signal?: AbortSignal): Promise<ContainerSummary[]> {
    const list = await this.#client.containerList({ all: query.all ?? false, filters: projectFilter(project), signal });
    const oneoff = query.oneoff ?? 'exclude';
    return list
      .filter((c) => !query.services?.length || query.services.includes(labelOf(c, COMPOSE_LABELS.service)))
      .filter((c) => {
        const isOneoff = labelOf(c, COMPOSE_LABELS.oneoff) === 'True';
        return oneoff === 'include' || (oneoff === 'only') === isOneoff;
      })
      .sort((a, b) => labelOf(a, COMPOSE_LABELS.service).localeCompare(labelOf(b, COMPOSE_LABELS.service))
        || Number(labelOf(a, COMPOSE_LABELS.containerNumber)) - Number(labelOf(b, COMPOSE_LABELS.containerNumber))
        || nameOf(a).localeCompare(nameOf(b)));
  }

  /**
   * `compose up`: networks, volumes, images, then each service once its
   * dependencies are up and their conditions hold (started, healthy, or
   * completed with exit 0 — a non-zero exit fails naming the service and
   * code). A service is recreated when its config hash or image changed
   * (or `forceRecreate`), its dependents with `restart: true` restarted;
   * replicas above the scale are removed, missing ones created.
   */
  async up(project: ComposeProject, o: UpOptions): Promise<void> {
    const order = serviceOrder(project, o.services, !o.noDeps);
    const all = { ...project.disabledServices, ...project.services };
    const services = order.map((n) => all[n]!);
    for (const s of services) {
      const want = o.scale?.[s.name] ?? s.scale;
      if (s.containerName && want > 1) throw invalidArgument(`service ${JSON.stringify(s.name)}: container_name ${JSON.stringify(s.containerName)} allows one replica, not ${want}`);
    }
    for (const name of Object.keys(o.scale ?? {})) if (!order.includes(name)) throw invalidArgument(`no such service: ${name}`);

    await this.#ensureNetworks(project, services, o.signal);
    await this.#ensureVolumes(project, o.signal);
    const images = await this.#ensureImages(project, services, { build: o.build ?? false, signal: o.signal });

    const existing = await this.containers(project.name, { all: true }, o.signal);
    const snapshots = existing.length > 0 ? await this.#snapshotsByContainer(o.signal) : new Map<string, string[]>();
    const orphans = existing.filter((c) => !Object.hasOwn(all, labelOf(c, COMPOSE_LABELS.service)));
    if (orphans.length > 0) {
      if (o.removeOrphans) for (const c of orphans) await this.#remove(c, { stop: true, snapshots, signal: o.signal });
      else this.#o.progress(`WARN Found orphan containers (${orphans.map(nameOf).join(', ')}) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.`);
    }

    const recreated = new Set<string>();
    const inner = new AbortController();
    const signal = o.signal ? AbortSignal.any([o.signal, inner.signal]) : inner.signal;
    const done = new Map<string, Promise<void>>();
    for (const s of services) {
      const deps = Object.entries(s.dependsOn).filter(([d]) => done.has(d));
      done.set(s.name, (async () => {
        await Promise.all(deps.map(([d]) => done.get(d)));
        if (!o.noStart) await Promise.all(deps.map(([d, dep]) => this.#waitCondition(project, d, dep.condition, signal)));
        const restart = deps.some(([d, dep]) => dep.restart && recreated.has(d));
        await this.#converge(project, s, {
          want: o.scale?.[s.name] ?? s.scale,
          existing: existing.filter((c) => labelOf(c, COMPOSE_LABELS.service) === s.name),
          imageId: images.get(s.name),
          // A container in another's network namespace loses it when that one is recreated.
          force: (o.forceRecreate ?? false) || (s.networkMode?.startsWith('service:') === true && recreated.has(s.networkMode.slice(8))),
          noStart: o.noStart ?? false,
          restart,
          recreated,
          snapshots,
          signal,
        });
      })());
    }
    try {
      await Promise.all(done.values());
    } catch (err) {
      inner.abort();
      // Let the other services' steps settle before reporting, so no create races the caller's cleanup.
      await Promise.allSettled(done.values());
      throw err;
    }
    if (o.wait && !o.noStart) await this.waitReady(project, order, o.signal);
  }

  /**
   * `--wait`: resolves once every container of `services` runs and, when it
   * has a healthcheck, is healthy. A container that exited is an error,
   * unless it exited 0 and another service waits for its completion.
   */
  async waitReady(project: ComposeProject, services: readonly string[], signal?: AbortSignal): Promise<void> {
    const oneShots = new Set(Object.values(project.services).flatMap((s) => Object.entries(s.dependsOn).filter(([, d]) => d.condition === 'service_completed_successfully').map(([n]) => n)));
    const containers = await this.containers(project.name, { all: true, services }, signal);
    await Promise.all(containers.map(async (c) => {
      const name = nameOf(c);
      for (;;) {
        const info = await this.#client.containerInspect(c.Id, { signal });
        const st = info.State;
        if (st.Status === 'exited' || st.Status === 'dead') {
          if (st.ExitCode === 0 && oneShots.has(labelOf(c, COMPOSE_LABELS.service))) return;
          throw conflict(`container ${name} exited (${st.ExitCode})`);
        }
        if (st.Running && !st.Restarting) {
          const health = st.Health?.Status;
          if (health === undefined || health === 'healthy' || health === '') {
            this.#o.progress(` Container ${name}  ${health === 'healthy' ? 'Healthy' : 'Running'}`);
            return;
          }
          if (health === 'unhealthy') throw conflict(`container ${name} is unhealthy`);
        }
        await this.#sleep(signal);
      }
    }));
  }

  /**
   * `compose down`: stops and removes the project's containers (one-offs
   * too; orphans only with `removeOrphans` when the project has services),
   * then the networks it labelled, its volumes with `volumes`, and with
   * `rmi` its services' images (`local`: only those built without an
   * `image:` name). Works from the labels alone, so a project that is no
   * longer in any file, or half made by a failed `up`, goes completely.
   */
  async down(project: ComposeProject, o: DownOptions = {}): Promise<void> {
    const signal = o.signal;
    const known = { ...project.disabledServices, ...project.services };
    const haveFile = Object.keys(known).length > 0;
    const containers = await this.containers(project.name, { all: true, oneoff: 'include' }, signal);
    // The stack VM of `up --isolation vm-stack` belongs to the project whether or not this command transformed it.
    const orphans = containers.filter((c) => !Object.hasOwn(known, labelOf(c, COMPOSE_LABELS.service)) && labelOf(c, COMPOSE_LABELS.service) !== VM_STACK_SERVICE);
    let targets = containers;
    if (haveFile && !o.removeOrphans && orphans.length > 0) {
      this.#o.progress(`WARN Found orphan containers (${orphans.map(nameOf).join(', ')}) for this project. To remove them, run this command with the --remove-orphans flag.`);
      targets = containers.filter((c) => !orphans.includes(c));
    }
    // A container with snapshots cannot be removed (the daemon refuses it): say so before anything is stopped or
    // removed, rather than leave the project half taken down.
    if (targets.length > 0) {
      const snapshots = await this.#snapshotsByContainer(signal);
      const held = targets.filter((c) => snapshots.has(c.Id));
      if (held.length > 0) {
        throw conflict(`cannot take project ${project.name} down: ${held.map((c) => `container ${nameOf(c)} has snapshots (${snapshots.get(c.Id)!.join(', ')})`).join('; ')}; remove them first (janus compose snapshot rm NAME)`);
      }
    }
    // Dependents stop before what they depend on.
    const order = haveFile ? serviceOrder(project, [], true).reverse() : [];
    const rank = (c: ContainerSummary): number => {
      // The stack VM goes last: every other service runs inside it.
      if (labelOf(c, COMPOSE_LABELS.service) === VM_STACK_SERVICE) return order.length + 1;
      const i = order.indexOf(labelOf(c, COMPOSE_LABELS.service));
      return i < 0 ? -1 : i;
    };
    const ranks = [...new Set(targets.map(rank))].sort((a, b) => a - b);
    for (const r of ranks) {
      await Promise.all(targets.filter((c) => rank(c) === r).map((c) => this.#remove(c, { stop: true, timeout: o.timeout, volumes: o.volumes, signal })));
    }
    const networks = await this.#client.listNetworks({ filters: projectFilter(project.name), signal });
    for (const n of networks) {
      this.#o.progress(` Network ${n.Name}  Removing`);
      try {
        await this.#client.removeNetwork(n.Id, { signal });
        this.#o.progress(` Network ${n.Name}  Removed`);
      } catch (err) {
        if (isJanusError(err, 'NotFound')) continue;
        if (isJanusError(err, 'Conflict')) this.#o.progress(`WARN Network ${n.Name}: ${err.message}`);
        else throw err;
      }
    }
    if (o.volumes) {
      const vols = (await this.#client.listVolumes({ filters: projectFilter(project.name), signal })).Volumes ?? [];
      for (const v of vols) {
        this.#o.progress(` Volume ${v.Name}  Removing`);
        try {
          await this.#client.removeVolume(v.Name, { signal });
          this.#o.progress(` Volume ${v.Name}  Removed`);
        } catch (err) {
          if (!isJanusError(err, 'NotFound')) throw err;
        }
      }
    }
    if (o.rmi) {
      const images = new Set<string>();
      for (const s of Object.values(known)) {
        if (o.rmi === 'all' || (s.build && !s.image)) images.add(serviceImage(project, s));
      }
      if (o.rmi === 'all') for (const c of containers) images.add(c.Image);
      for (const image of images) {
        try {
          await this.#client.removeImage(image, { signal });
          this.#o.progress(` Image ${image}  Removed`);
        } catch (err) {
          if (!isJanusError(err, 'NotFound')) throw err;
        }
      }
    }
  }

  /** Stops and removes one container, saying so; one with snapshots (in `o.snapshots`) is refused before it is stopped. */
  async #remove(c: ContainerSummary, o: { stop: boolean; timeout?: number; volumes?: boolean; snapshots?: ReadonlyMap<string, string[]>; signal?: AbortSignal }): Promise<void> {
    const name = nameOf(c);
    const held = o.snapshots?.get(c.Id);
    if (held) throw conflict(`container ${name} has snapshots (${held.join(', ')}) and cannot be removed or recreated; remove them first (janus compose snapshot rm NAME)`);
    if (o.stop && (c.State === 'running' || c.State === 'paused' || c.State === 'restarting')) {
      this.#o.progress(` Container ${name}  Stopping`);
      await this.#client.containerStop(c.Id, { timeout: o.timeout, signal: o.signal }).catch((err: unknown) => {
        if (!isJanusError(err, 'NotFound') && !isJanusError(err, 'Conflict')) throw err;
      });
      this.#o.progress(` Container ${name}  Stopped`);
    }
    this.#o.progress(` Container ${name}  Removing`);
    try {
      await this.#client.containerRemove(c.Id, { force: true, volumes: o.volumes, signal: o.signal });
    } catch (err) {
      if (!isJanusError(err, 'NotFound')) throw err;
    }
    this.#o.progress(` Container ${name}  Removed`);
  }

  async #ensureNetworks(project: ComposeProject, services: ServiceConfig[], signal?: AbortSignal): Promise<void> {
    const used = new Set(services.filter((s) => s.networkMode === undefined).flatMap((s) => Object.keys(s.networks)));
    for (const key of used) {
      const net = project.networks[key];
      if (!net) throw invalidArgument(`service uses undefined network ${JSON.stringify(key)}`);
      let exists = true;
      try {
        const found = await this.#client.inspectNetwork(net.name, { signal });
        const owner = found.Labels?.[COMPOSE_LABELS.project];
        if (!net.external && owner !== undefined && owner !== project.name) {
          this.#o.progress(`WARN a network with name ${net.name} exists but was not created for project ${JSON.stringify(project.name)}`);
        }
      } catch (err) {
        if (!isJanusError(err, 'NotFound')) throw err;
        exists = false;
      }
      if (exists) continue;
      if (net.external) throw notFound(`network ${net.name} declared as external, but could not be found`);
      this.#o.progress(` Network ${net.name}  Creating`);
      const ipam: IpamConfigWire[] = net.ipam.map((i) => ({ ...(i.subnet ? { Subnet: i.subnet } : {}), ...(i.gateway ? { Gateway: i.gateway } : {}), ...(i.ipRange ? { IPRange: i.ipRange } : {}) }));
      await this.#client.createNetwork({
        Name: net.name,
        ...(net.driver ? { Driver: net.driver } : {}),
        ...(net.internal ? { Internal: true } : {}),
        ...(Object.keys(net.driverOpts).length > 0 ? { Options: net.driverOpts } : {}),
        ...(ipam.length > 0 ? { IPAM: { Config: ipam } } : {}),
        Labels: { ...net.labels, [COMPOSE_LABELS.project]: project.name, [COMPOSE_LABELS.network]: key, [COMPOSE_LABELS.version]: this.#o.version },
      }, { signal });
      this.#o.progress(` Network ${net.name}  Created`);
    }
  }

  async #ensureVolumes(project: ComposeProject, signal?: AbortSignal): Promise<void> {
    for (const [key, vol] of Object.entries(project.volumes)) {
      try {
        await this.#client.inspectVolume(vol.name, { signal });
        continue;
      } catch (err) {
        if (!isJanusError(err, 'NotFound')) throw err;
      }
      if (vol.external) throw notFound(`external volume ${JSON.stringify(vol.name)} not found`);
      this.#o.progress(` Volume ${vol.name}  Creating`);
      await this.#client.createVolume({
        Name: vol.name,
        ...(vol.driver ? { Driver: vol.driver } : {}),
        ...(Object.keys(vol.driverOpts).length > 0 ? { DriverOpts: vol.driverOpts } : {}),
        Labels: { ...vol.labels, [COMPOSE_LABELS.project]: project.name, [COMPOSE_LABELS.volume]: key, [COMPOSE_LABELS.version]: this.#o.version },
      }, { signal });
      this.#o.progress(` Volume ${vol.name}  Created`);
    }
  }

  /** Pulls or builds what is missing (as the pull policy says); returns each service's image ID. */
  async #ensureImages(project: ComposeProject, services: ServiceConfig[], o: { build: boolean; signal?: AbortSignal }): Promise<Map<string, string>> {
    const ids = new Map<string, string>();
    for (const s of services) {
      const image = serviceImage(project, s);
      const policy = s.pullPolicy ?? 'missing';
      let id = await this.#imageId(image, o.signal);
      if (s.build && (o.build || policy === 'build' || id === undefined)) {
        await this.buildService(project, s, o.signal);
        id = await this.#imageId(image, o.signal);
      } else if (policy === 'always' || (id === undefined && policy !== 'never')) {
        await this.pullService(project, s, o.signal);
        id = await this.#imageId(image, o.signal);
      }
      if (id === undefined) throw notFound(`service ${JSON.stringify(s.name)}: image ${image} not found${policy === 'never' ? ' (pull_policy: never)' : ''}`);
      ids.set(s.name, id);
    }
    return ids;
  }

  async #imageId(image: string, signal?: AbortSignal): Promise<string | undefined> {
    try {
      return (await this.#client.inspectImage(image, { signal })).Id;
    } catch (err) {
      if (isJanusError(err, 'NotFound')) return undefined;
      throw err;
    }
  }

  /** Pulls a service's image (`compose pull`, and `up` for a missing one). */
  async pullService(project: ComposeProject, s: ServiceConfig, signal?: AbortSignal): Promise<void> {
    const image = serviceImage(project, s);
    this.#o.progress(` ${s.name} Pulling`);
    const auth = await this.#o.authFor?.(image);
    for await (const _ of this.#client.pullImage(image, { ...(auth ? { auth } : {}), signal })) { /* progress is summarised */ }
    this.#o.progress(` ${s.name} Pulled`);
  }

  /** Pushes a service's image (`compose push`). */
  async pushService(project: ComposeProject, s: ServiceConfig, signal?: AbortSignal): Promise<void> {
    const image = serviceImage(project, s);
    this.#o.progress(` ${s.name} Pushing`);
    const auth = await this.#o.authFor?.(image);
    for await (const _ of this.#client.pushImage(image, { ...(auth ? { auth } : {}), signal })) { /* progress is summarised */ }
    this.#o.progress(` ${s.name} Pushed`);
  }

  /** Builds a service's image with the daemon's `POST /build` (`compose build`, `up --build`). */
  async buildService(project: ComposeProject, s: ServiceConfig, signal?: AbortSignal, onOutput?: (text: string) => void): Promise<void> {
    if (!s.build) throw invalidArgument(`service ${JSON.stringify(s.name)} has no build section`);
    if (!this.#o.packContext) throw new JanusError('NotImplemented', 'building is not available in this client');
    const packed = await this.#o.packContext(s.build.context, s.build.dockerfile);
    this.#o.progress(` ${s.name} Building`);
    for await (const m of this.#client.buildImage(packed.tar, {
      tags: [serviceImage(project, s)], dockerfile: packed.dockerfile, buildArgs: s.build.args,
      ...(s.build.target ? { target: s.build.target } : {}), labels: s.build.labels, signal,
    })) {
      if (m.stream && onOutput) onOutput(m.stream);
    }
    this.#o.progress(` ${s.name} Built`);
  }

  /** Waits until dependency `name` meets `condition`. */
  async #waitCondition(project: ComposeProject, name: string, condition: string, signal: AbortSignal): Promise<void> {
    if (condition === 'service_started') return;
    const containers = await this.containers(project.name, { all: true, services: [name] }, signal);
    await Promise.all(containers.map(async (c) => {
      const cname = nameOf(c);
      if (condition === 'service_completed_successfully') {
        this.#o.progress(` Container ${cname}  Waiting`);
        const { result } = await this.#client.containerWait(c.Id, { condition: 'not-running', signal });
        const r = await result;
        if (r.StatusCode !== 0) throw conflict(`service ${JSON.stringify(name)} didn't complete successfully: exit ${r.StatusCode}`);
        this.#o.progress(` Container ${cname}  Exited`);
        return;
      }
      this.#o.progress(` Container ${cname}  Waiting`);
      for (;;) {
        const info: ContainerInspect = await this.#client.containerInspect(c.Id, { signal });
        const health = info.State.Health?.Status;
        if (health === undefined || health === '') throw conflict(`dependency ${JSON.stringify(name)} is depended on with service_healthy but container ${cname} has no healthcheck`);
        if (health === 'healthy') break;
        if (health === 'unhealthy') throw conflict(`dependency failed to start: container ${cname} is unhealthy`);
        if (!info.State.Running) throw conflict(`dependency failed to start: container ${cname} exited (${info.State.ExitCode})`);
        await this.#sleep(signal);
      }
      this.#o.progress(` Container ${cname}  Healthy`);
    }));
  }

  async #converge(project: ComposeProject, s: ServiceConfig, o: {
    want: number; existing: ContainerSummary[]; imageId: string | undefined; force: boolean; noStart: boolean; restart: boolean; recreated: Set<string>;
    snapshots: ReadonlyMap<string, string[]>; signal: AbortSignal;
  }): Promise<void> {
    const hash = this.#o.configHash(s);
    const byNumber = new Map(o.existing.map((c) => [Number(labelOf(c, COMPOSE_LABELS.containerNumber)), c]));
    // Scale down: the highest numbers go.
    for (const [n, c] of [...byNumber].sort((a, b) => b[0] - a[0])) {
      if (n > o.want) {
        await this.#remove(c, { stop: true, timeout: stopSeconds(s), snapshots: o.snapshots, signal: o.signal });
        byNumber.delete(n);
      }
    }
    const start = async (id: string, name: string): Promise<void> => {
      if (o.noStart) return;
      this.#o.progress(` Container ${name}  Starting`);
      await this.#client.containerStart(id, { signal: o.signal });
      this.#o.progress(` Container ${name}  Started`);
    };
    for (let n = 1; n <= o.want; n++) {
      const c = byNumber.get(n);
      const name = s.containerName ?? `${project.name}-${s.name}-${n}`;
      const stale = c !== undefined && (o.force || labelOf(c, COMPOSE_LABELS.configHash) !== hash
        || (o.imageId !== undefined && labelOf(c, COMPOSE_LABELS.image) !== '' && labelOf(c, COMPOSE_LABELS.image) !== o.imageId));
      if (c && !stale) {
        if (c.State === 'running') {
          if (o.restart && !o.noStart) {
            this.#o.progress(` Container ${name}  Restarting`);
            await this.#client.containerRestart(c.Id, { timeout: stopSeconds(s), signal: o.signal });
            this.#o.progress(` Container ${name}  Restarted`);
          } else {
            this.#o.progress(` Container ${name}  Running`);
          }
        } else if (c.State === 'paused') {
          this.#o.progress(` Container ${name}  Running`);
        } else {
          await start(c.Id, name);
        }
        continue;
      }
      if (c) {
        this.#o.progress(` Container ${name}  Recreate`);
        await this.#remove(c, { stop: true, timeout: stopSeconds(s), snapshots: o.snapshots, signal: o.signal });
        o.recreated.add(s.name);
      } else {
        this.#o.progress(` Container ${name}  Creating`);
      }
      const body = serviceCreateBody(project, s, {
        name, number: n, configHash: hash, version: this.#o.version, ...(o.imageId ? { imageId: o.imageId } : {}),
        serviceContainer: (svc) => `${project.name}-${svc}-1`,
      });
      const { Id } = await this.#client.containerCreate(body, { name, signal: o.signal });
      this.#o.progress(` Container ${name}  ${c ? 'Recreated' : 'Created'}`);
      await start(Id, name);
    }
  }

  /**
   * Creates a one-off container of `service` (`compose run`), named
   * `<project>-<service>-run-<hex>` unless `name` is given, labelled
   * oneoff=True; `publishPorts` follows `--service-ports`. `patch` edits the
   * body last (the command line's overrides). Returns its ID and name; the
   * caller attaches and starts it.
   */
  async createOneOff(project: ComposeProject, service: ServiceConfig, o: {
    name?: string; publishPorts: boolean; patch: (body: ReturnType<typeof serviceCreateBody>) => void; signal?: AbortSignal;
  }): Promise<{ id: string; name: string }> {
    const [imageId] = (await this.#ensureImages(project, [service], { build: false, signal: o.signal })).values();
    const name = o.name ?? `${project.name}-${service.name}-run-${Math.random().toString(16).slice(2, 14).padEnd(12, '0')}`;
    const body = serviceCreateBody(project, service, {
      name, number: 1, configHash: this.#o.configHash(service), version: this.#o.version, oneoff: true, publishPorts: o.publishPorts,
      ...(imageId ? { imageId } : {}), serviceContainer: (svc) => `${project.name}-${svc}-1`,
    });
    o.patch(body);
    const { Id } = await this.#client.containerCreate(body, { name, signal: o.signal });
    return { id: Id, name };
  }

  /** Waits until every dependency of `service` that has containers meets its condition (what `run` does before its container starts). */
  async waitDependencies(project: ComposeProject, service: ServiceConfig, signal?: AbortSignal): Promise<void> {
    const s = signal ?? new AbortController().signal;
    await Promise.all(Object.entries(service.dependsOn).map(([d, dep]) => this.#waitCondition(project, d, dep.condition, s)));
  }

  /** Makes sure the project's networks and volumes exist for `services` (what `run` needs before its container). */
  async prepare(project: ComposeProject, services: string[], signal?: AbortSignal): Promise<void> {
    const all = { ...project.disabledServices, ...project.services };
    await this.#ensureNetworks(project, services.map((n) => all[n]!), signal);
    await this.#ensureVolumes(project, signal);
  }

  /** Container ID → the names of its snapshots (Janus's GET /janus/snapshots); empty from a daemon that has no snapshots (docker). */
  async #snapshotsByContainer(signal?: AbortSignal): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    let list: Array<{ Name: string; ContainerID: string }>;
    try {
      list = await this.#client.snapshotList(undefined, { signal });
    } catch (err) {
      if (isJanusError(err, 'NotFound') || isJanusError(err, 'NotImplemented')) return out;
      throw err;
    }
    for (const snap of list) out.set(snap.ContainerID, [...(out.get(snap.ContainerID) ?? []), snap.Name]);
    return out;
  }

  #sleep(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(new JanusError('Canceled', 'canceled'));
        return;
      }
      const t = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, this.#o.pollMs ?? 200);
      const onAbort = (): void => {
        clearTimeout(t);
        reject(new JanusError('Canceled', 'canceled'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/** A service's stop_grace_period in whole seconds, or undefined for the container's default. */
function stopSeconds(s: ServiceConfig): number | undefined {
  return s.stopGracePeriod === undefined ? undefined : Math.ceil(s.stopGracePeriod / 1e9);
}
