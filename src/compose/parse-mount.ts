import { isAbsolute, join, resolve } from 'node:path';
import { ramSizeOrUndefined } from '../util/ram-size.ts';
import type { ServiceMount } from './model.ts';
import { describe, read } from './node-reader.ts';
import type { ComposeNode, MapNode } from './yaml-nodes.ts';

/** What resolving a mount needs from the project. */
export interface MountContext {
  /** Relative bind sources resolve against this directory. */
  projectDir: string;
  /** `~` expands to this. */
  home: string;
}

const SHORT_MODES = new Set(['ro', 'rw', 'consistent', 'cached', 'delegated']);
const UNSUPPORTED_MODES = new Set(['z', 'Z', 'nocopy', 'shared', 'rshared', 'slave', 'rslave', 'private', 'rprivate']);

/**
 * One service `volumes:` item, short (`./data:/data:ro`, `cache:/c`, `/anon`)
 * or long syntax, as a ServiceMount: bind sources absolute (relative ones
 * against the project directory, `~` expanded), volume sources as the
 * top-level key. Whether a named volume is declared is checked by the caller.
 * Throws InvalidArgument naming the file, line and `path`.
 */
export function parseMount(node: ComposeNode, path: string, ctx: MountContext): ServiceMount {
  if (node.kind === 'map') return parseLong(node, path, ctx);
  const spec = read.str(node, path);
  const parts = spec.split(':');
  if (parts.length > 3 || parts.some((p) => p === '')) throw read.fail(node, path, `${JSON.stringify(spec)} is not a volume (SOURCE:TARGET[:MODE] or TARGET)`);
  if (parts.length === 1) return checkTarget({ type: 'volume', target: parts[0], readOnly: false }, node, path);
  const [source, target, modes = ''] = parts;
  let readOnly = false;
  for (const mode of modes ? modes.split(',') : []) {
    if (UNSUPPORTED_MODES.has(mode)) throw read.fail(node, path, `volume option "${mode}" is not supported by Janus`);
    if (!SHORT_MODES.has(mode)) throw read.fail(node, path, `unknown volume option ${JSON.stringify(mode)} in ${JSON.stringify(spec)}`);
    if (mode === 'ro') readOnly = true;
  }
  if (isPath(source)) {
    return checkTarget({ type: 'bind', source: hostPath(source, ctx), target, readOnly, createHostPath: true }, node, path);
  }
  return checkTarget({ type: 'volume', source, target, readOnly }, node, path);
}

function parseLong(map: MapNode, path: string, ctx: MountContext): ServiceMount {
  read.keys(map, path, ['type', 'source', 'target', 'read_only', 'bind', 'volume', 'tmpfs', 'consistency'], ['image']);
  const typeNode = map.entries.get('type');
  if (!typeNode) throw read.fail(map, path, 'a mount in long syntax needs a type (volume, bind or tmpfs)');
  const type = read.str(typeNode, `${path}.type`);
  if (type === 'npipe' || type === 'cluster' || type === 'image') throw read.fail(typeNode, `${path}.type`, `mount type ${type} is not supported by Janus`);
  if (type !== 'volume' && type !== 'bind' && type !== 'tmpfs') throw read.fail(typeNode, `${path}.type`, `${describe(typeNode)} is not a mount type (volume, bind or tmpfs)`);
  const targetNode = map.entries.get('target');
  if (!targetNode) throw read.fail(map, path, 'a mount needs a target');
  const target = read.str(targetNode, `${path}.target`);
  const source = read.optStr(map, 'source', path);
  const readOnly = read.optBool(map, 'read_only', path) ?? false;
  read.optStr(map, 'consistency', path);
  const mount: ServiceMount = { type, target, readOnly };
  for (const sub of ['bind', 'volume', 'tmpfs'] as const) {
    if (map.entries.has(sub) && sub !== type && read.optMap(map.entries.get(sub), `${path}.${sub}`)) {
      throw read.fail(map.entries.get(sub)!, `${path}.${sub}`, `only applies to mounts of type ${sub}`);
    }
  }
  if (type === 'bind') {
    if (!source) throw read.fail(map, path, 'a bind mount needs a source');
    mount.source = hostPath(source, ctx);
    const bind = read.optMap(map.entries.get('bind'), `${path}.bind`);
    mount.createHostPath = false;
    if (bind) {
      read.keys(bind, `${path}.bind`, ['create_host_path'], ['propagation', 'selinux', 'recursive']);
      mount.createHostPath = read.optBool(bind, 'create_host_path', `${path}.bind`) ?? false;
    }
  } else if (type === 'volume') {
    if (source) mount.source = source;
    const vol = read.optMap(map.entries.get('volume'), `${path}.volume`);
    if (vol) {
      read.keys(vol, `${path}.volume`, ['nocopy'], ['subpath']);
      if (read.optBool(vol, 'nocopy', `${path}.volume`)) throw read.fail(vol.entries.get('nocopy')!, `${path}.volume.nocopy`, 'not supported by Janus');
    }
  } else {
    if (source) throw read.fail(map.entries.get('source')!, `${path}.source`, 'a tmpfs mount has no source');
    const tmpfs = read.optMap(map.entries.get('tmpfs'), `${path}.tmpfs`);
    if (tmpfs) {
      read.keys(tmpfs, `${path}.tmpfs`, ['size'], ['mode']);
      const sizeNode = tmpfs.entries.get('size');
      if (sizeNode) mount.tmpfsSize = sizeOf(sizeNode, `${path}.tmpfs.size`);
    }
  }
  return checkTarget(mount, targetNode, `${path}.target`);
}

function checkTarget(mount: ServiceMount, node: ComposeNode, path: string): ServiceMount {
  if (!mount.target.startsWith('/')) throw read.fail(node, path, `the container path ${JSON.stringify(mount.target)} must be absolute`);
  return mount;
}

function sizeOf(node: ComposeNode, path: string): number {
  if (node.kind === 'scalar' && typeof node.value === 'number') return read.int(node, path, 0);
  const s = read.str(node, path);
  const v = ramSizeOrUndefined(s);
  if (v === undefined) throw read.fail(node, path, `${JSON.stringify(s)} is not a size (e.g. 64m, 1g)`);
  return v;
}

function isPath(source: string): boolean {
  return source.startsWith('.') || source.startsWith('/') || source.startsWith('~');
}

/** A host path as an absolute path: `~` expanded, relative ones against the project directory. */
export function hostPath(source: string, ctx: MountContext): string {
  if (source === '~' || source.startsWith('~/')) return join(ctx.home, source.slice(1));
  return isAbsolute(source) ? resolve(source) : resolve(ctx.projectDir, source);
}
