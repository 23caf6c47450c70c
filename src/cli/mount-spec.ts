import { invalidArgument } from '../core/errors.ts';
import type { MountWire } from '../api/client/types.ts';
import { parseRamSize } from './ram-size.ts';

/** Go's strconv.ParseBool, which docker uses for `--mount` flags given a value. */
function parseBool(key: string, value: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  throw invalidArgument(`invalid value for ${key}: ${value}`);
}

/** One CSV record (docker parses `--mount` with encoding/csv): commas split, double quotes protect them. */
function csvFields(text: string): string[] {
  const fields: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cur += '"'; i++; } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"' && cur === '') quoted = true;
    else if (c === ',') { fields.push(cur); cur = ''; } else cur += c;
  }
  if (quoted) throw invalidArgument(`extraneous or missing " in quoted-field`);
  fields.push(cur);
  return fields;
}

const FLAG_KEYS = ['readonly', 'ro', 'volume-nocopy', 'bind-nonrecursive', 'bind-create-src'];

/**
 * One `--mount` value in docker's syntax — comma-separated `key=value`
 * fields (`type=bind,source=/src,target=/dst,readonly`) — as the
 * `HostConfig.Mounts` entry docker's CLI sends. The type defaults to
 * `volume`; `target` is required; options of another mount type are
 * refused. Whether the daemon can honour a field is its own decision.
 * InvalidArgument naming the field otherwise. Pure.
 */
export function parseMountSpec(text: string): MountWire {
  const mount: MountWire = { Type: 'volume', Target: '' };
  const volume = (): NonNullable<MountWire['VolumeOptions']> => (mount.VolumeOptions ??= {});
  const bind = (): NonNullable<MountWire['BindOptions']> => (mount.BindOptions ??= {});
  const tmpfs = (): NonNullable<MountWire['TmpfsOptions']> => (mount.TmpfsOptions ??= {});
  for (const field of csvFields(text)) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? undefined : field.slice(eq + 1);
    if (value === undefined && !FLAG_KEYS.includes(key)) throw invalidArgument(`invalid field '${field}' must be a key=value pair`);
    const v = value ?? '';
    switch (key) {
      case 'type':
        if (!['bind', 'volume', 'tmpfs', 'image', 'npipe', 'cluster'].includes(v)) throw invalidArgument(`unknown mount type ${JSON.stringify(v)} (want bind, volume or tmpfs)`);
        mount.Type = v as MountWire['Type'];
        break;
      case 'source': case 'src':
        mount.Source = v;
        break;
      case 'target': case 'dst': case 'destination':
        mount.Target = v;
        break;
      case 'readonly': case 'ro':
        mount.ReadOnly = value === undefined ? true : parseBool(key, v);
        break;
      case 'consistency':
        mount.Consistency = v;
        break;
      case 'bind-propagation':
        bind().Propagation = v.toLowerCase();
        break;
      case 'bind-nonrecursive':
        bind().NonRecursive = value === undefined ? true : parseBool(key, v);
        break;
      case 'bind-create-src':
        bind().CreateMountpoint = value === undefined ? true : parseBool(key, v);
        break;
      case 'volume-nocopy':
        volume().NoCopy = value === undefined ? true : parseBool(key, v);
        break;
      case 'volume-label': {
        const [k, ...rest] = v.split('=');
        (volume().Labels ??= {})[k] = rest.join('=');
        break;
      }
      case 'volume-driver':
        (volume().DriverConfig ??= {}).Name = v;
        break;
      case 'volume-opt': {
        const i = v.indexOf('=');
        if (i < 0) throw invalidArgument(`invalid volume-opt '${v}': want key=value`);
        ((volume().DriverConfig ??= {}).Options ??= {})[v.slice(0, i)] = v.slice(i + 1);
        break;
      }
      case 'volume-subpath':
        volume().Subpath = v;
        break;
      case 'tmpfs-size':
        tmpfs().SizeBytes = parseRamSize(v);
        break;
      case 'tmpfs-mode': {
        if (!/^[0-7]+$/.test(v)) throw invalidArgument(`invalid value for tmpfs-mode: ${v} (want an octal mode like 1777)`);
        tmpfs().Mode = parseInt(v, 8);
        break;
      }
      case 'image-subpath':
        mount.ImageOptions = { Subpath: v };
        break;
      default:
        throw invalidArgument(`unexpected key '${key}' in '${field}'`);
    }
  }
  if (mount.Target === '') throw invalidArgument('target is required');
  for (const [options, owner, prefix] of [[mount.BindOptions, 'bind', 'bind'], [mount.VolumeOptions, 'volume', 'volume'], [mount.TmpfsOptions, 'tmpfs', 'tmpfs']] as const) {
    if (options && mount.Type !== owner) throw invalidArgument(`cannot mix '${prefix}-*' options with mount type '${mount.Type}'`);
  }
  return mount;
}
