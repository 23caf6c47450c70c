import { randomBytes } from 'node:crypto';
import { invalidArgument, isJanusError, notFound } from '../core/errors.ts';
import type { EventSink } from '../core/events.ts';
import type { VolumeDriver } from '../core/volume-driver.ts';
import type { VolumeFilters, VolumeService, VolumeView } from './volume-service.ts';

/** docker's label on volumes made without a name. */
export const ANONYMOUS_LABEL = 'com.docker.volume.anonymous';

/** Volume use cases over the configured drivers (today: `local`). */
export class VolumeEngine implements VolumeService {
  readonly #drivers: ReadonlyMap<string, VolumeDriver>;
  readonly #events: EventSink;

  constructor(options: { drivers: VolumeDriver[]; events: EventSink }) {
    this.#drivers = new Map(options.drivers.map((d) => [d.name, d]));
    this.#events = options.events;
  }

  async create(
    name: string | undefined,
    options: { driver?: string; labels?: Record<string, string>; driverOptions?: Record<string, string> } = {},
  ): Promise<VolumeView> {
    const driver = this.#driver(options.driver ?? 'local');
    const anonymous = name === undefined || name === '';
    const labels = { ...options.labels, ...(anonymous ? { [ANONYMOUS_LABEL]: '' } : {}) };
    const info = await driver.create(anonymous ? randomBytes(32).toString('hex') : name, { labels, driverOptions: options.driverOptions });
    this.#events.publish({ type: 'volume', action: 'create', id: info.name, attributes: { driver: driver.name } });
    return this.#view(driver, info.name);
  }

  async inspect(name: string): Promise<VolumeView> {
    for (const driver of this.#drivers.values()) {
      try {
        return await this.#view(driver, name);
      } catch (err) {
        if (!isJanusError(err, 'NotFound')) throw err;
      }
    }
    throw notFound(`get ${name}: no such volume`);
  }

  async list(options: { filters?: VolumeFilters } = {}): Promise<VolumeView[]> {
    const out: VolumeView[] = [];
    for (const driver of this.#drivers.values()) {
      for (const info of await driver.list()) out.push(await this.#view(driver, info.name));
    }
    return out.filter((v) => matches(v, options.filters ?? {})).sort((a, b) => a.name.localeCompare(b.name));
  }

  async usage(name: string): Promise<number> {
    const view = await this.inspect(name);
    return this.#driver(view.driver).usage(name);
  }

  async remove(name: string, options: { force?: boolean } = {}): Promise<void> {
    const view = await this.inspect(name);
    await this.#driver(view.driver).remove(name, options);
    this.#events.publish({ type: 'volume', action: 'destroy', id: name, attributes: { driver: view.driver } });
  }

  async acquire(name: string, user: string): Promise<string> {
    const view = await this.inspect(name);
    return this.#driver(view.driver).mount(name, user);
  }

  async release(name: string, user: string): Promise<void> {
    let view: VolumeView;
    try {
      view = await this.inspect(name);
    } catch (err) {
      if (isJanusError(err, 'NotFound')) return;
      throw err;
    }
    await this.#driver(view.driver).unmount(name, user);
  }

  async prune(options: { all?: boolean; filters?: VolumeFilters } = {}): Promise<{ deleted: string[]; spaceReclaimed: number }> {
    const deleted: string[] = [];
    let spaceReclaimed = 0;
    for (const v of await this.list({ filters: { ...options.filters, dangling: true } })) {
      if (!options.all && !v.anonymous) continue;
      const driver = this.#driver(v.driver);
      const size = await driver.usage(v.name).catch(() => -1);
      try {
        await driver.remove(v.name);
      } catch (err) {
        // Taken into use since we listed it: not unused any more.
        if (isJanusError(err, 'Conflict') || isJanusError(err, 'NotFound')) continue;
        throw err;
      }
      deleted.push(v.name);
      if (size > 0) spaceReclaimed += size;
      this.#events.publish({ type: 'volume', action: 'destroy', id: v.name, attributes: { driver: v.driver } });
    }
    return { deleted, spaceReclaimed };
  }

  #driver(name: string): VolumeDriver {
    const d = this.#drivers.get(name);
    if (!d) throw invalidArgument(`volume driver ${JSON.stringify(name)} is not available (available: ${[...this.#drivers.keys()].join(', ')})`);
    return d;
  }

  async #view(driver: VolumeDriver, name: string): Promise<VolumeView> {
    const info = await driver.get(name);
    return { ...info, anonymous: ANONYMOUS_LABEL in info.labels, users: await driver.users(name) };
  }
}

function matches(v: VolumeView, f: VolumeFilters): boolean {
  if (f.dangling !== undefined && f.dangling !== (v.users.length === 0)) return false;
  if (f.driver && f.driver.length > 0 && !f.driver.includes(v.driver)) return false;
  if (f.name && f.name.length > 0 && !f.name.some((n) => v.name.includes(n))) return false;
  for (const want of f.label ?? []) {
    const eq = want.indexOf('=');
    if (eq < 0 ? !(want in v.labels) : v.labels[want.slice(0, eq)] !== want.slice(eq + 1)) return false;
  }
  return true;
}
