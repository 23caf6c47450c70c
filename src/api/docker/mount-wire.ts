import { invalidArgument, notImplemented } from '../../core/errors.ts';
import type { MountPropagation, RunMount } from '../../core/run-options.ts';
import type { VolumeMountRequest } from '../../engine/container-service.ts';
import { WireObject } from './wire-object.ts';

/** One parsed `-v`/`--mount`: a host-path mount for RunOptions, or a volume for the engine to create and mount. */
export type ParsedMount = { kind: 'run'; mount: RunMount } | { kind: 'volume'; volume: VolumeMountRequest };

const PROPAGATIONS: readonly string[] = ['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'];
/** Docker Desktop's consistency hints; meaningless on Linux, where docker ignores them too. */
const CONSISTENCIES: readonly string[] = ['consistent', 'cached', 'delegated', 'default'];
const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** Whether `driver` means docker's local volume driver (the only one Janus has). */
export function isLocalVolumeDriver(driver: string | undefined): boolean {
  return driver === undefined || driver === '' || driver === 'local';
}

function checkVolumeDriver(driver: string | undefined, field: string): void {
  if (!isLocalVolumeDriver(driver)) {
    throw notImplemented(`${field}: volume driver ${JSON.stringify(driver)} is not supported: Janus has only the local volume driver (volume plugins are not offered)`);
  }
}

function checkTarget(target: string, spec: string): void {
  if (!target.startsWith('/')) throw invalidArgument(`invalid mount config for ${spec}: mount path ${JSON.stringify(target)} must be absolute`);
  if (target.replace(/\/+$/, '') === '') throw invalidArgument(`invalid mount config for ${spec}: destination can't be '/'`);
}

/**
 * One `HostConfig.Binds` entry in docker's Linux syntax: `DEST` (an
 * anonymous volume), `SRC:DEST` or `SRC:DEST:OPTIONS`, where SRC is an
 * absolute host path (a bind mount) or a volume name, and OPTIONS is a
 * comma list of `ro`/`rw`, `z`/`Z` (SELinux relabelling: Janus applies no
 * SELinux labels, so like docker on a host without SELinux it has nothing
 * to do), `nocopy` (volumes), a propagation (binds) and docker's
 * consistency hints. InvalidArgument names the entry; a volume driver
 * other than local is NotImplemented.
 */
export function parseBind(spec: string, field: string, volumeDriver?: string): ParsedMount {
  const parts = spec.split(':');
  const bad = (why: string) => invalidArgument(`invalid ${field} ${JSON.stringify(spec)}: ${why}`);
  if (parts.length > 3) throw bad('too many colons (want SRC:DEST[:OPTIONS])');
  if (parts.some((p) => p === '')) throw bad('empty part (want SRC:DEST[:OPTIONS] or DEST)');
  let source = '';
  let target: string;
  let mode = '';
  if (parts.length === 1) {
    target = parts[0];
  } else {
    [source, target] = parts;
    mode = parts[2] ?? '';
  }
  if (parts.length === 2 && isModeList(target)) throw bad(`invalid mode ${JSON.stringify(target)} for an anonymous volume`);
  checkTarget(target, `${field} ${JSON.stringify(spec)}`);

  let readOnly: boolean | undefined;
  let propagation: MountPropagation | undefined;
  let noCopy = false;
  let label = false;
  let consistency = false;
  for (const opt of mode === '' ? [] : mode.split(',')) {
    if (opt === 'ro' || opt === 'rw') {
      if (readOnly !== undefined) throw bad(`${opt}: more than one of ro and rw`);
      readOnly = opt === 'ro';
    } else if (PROPAGATIONS.includes(opt)) {
      if (propagation !== undefined) throw bad(`${opt}: more than one propagation mode`);
      propagation = opt as MountPropagation;
    } else if (opt === 'z' || opt === 'Z') {
      if (label) throw bad(`${opt}: more than one of z and Z`);
      label = true;
    } else if (opt === 'nocopy') {
      if (noCopy) throw bad('nocopy given twice');
      noCopy = true;
    } else if (CONSISTENCIES.includes(opt)) {
      if (consistency) throw bad(`${opt}: more than one consistency mode`);
      consistency = true;
    } else {
      throw bad(`invalid mode ${JSON.stringify(opt)}`);
    }
  }

  if (source.startsWith('/')) {
    if (noCopy) throw bad('nocopy applies to volumes, not to a host path');
    return {
      kind: 'run',
      mount: { type: 'bind', source, destination: target, ...(readOnly ? { readOnly } : {}), ...(propagation ? { propagation } : {}) },
    };
  }
  if (propagation) throw bad(`propagation ${propagation} applies to host paths, not to volumes`);
  if (source !== '' && !VOLUME_NAME.test(source)) {
    throw bad(`${JSON.stringify(source)} includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use an absolute path`);
  }
  checkVolumeDriver(volumeDriver, 'HostConfig.VolumeDriver');
  return {
    kind: 'volume',
    volume: { ...(source ? { name: source } : {}), destination: target, ...(readOnly ? { readOnly } : {}), ...(noCopy ? { noCopy } : {}) },
  };
}

function isModeList(s: string): boolean {
  return s.split(',').every((o) => ['ro', 'rw', 'z', 'Z', 'nocopy', ...PROPAGATIONS, ...CONSISTENCIES].includes(o));
}

/**
 * One `HostConfig.Mounts` entry (`--mount`): types bind, volume and tmpfs
 * with their options. Options that would change behaviour and that Janus
 * cannot honour (non-recursive binds, creating a missing bind source,
 * forced recursive read-only, volume subpaths, image/npipe/cluster mounts,
 * volume plugins) are NotImplemented naming the field; malformed entries
 * are InvalidArgument.
 */
export function parseMount(value: unknown, field: string): ParsedMount {
  const m = WireObject.from(value, field);
  if (!m) throw invalidArgument(`invalid ${field}: want a mount object`);
  const type = m.string('Type');
  const source = m.string('Source') ?? '';
  const target = m.string('Target') ?? '';
  const readOnly = m.bool('ReadOnly') ?? false;
  m.string('Consistency');
  if (type === undefined || type === '') throw invalidArgument(`invalid ${m.field('Type')}: the mount type is required (bind, volume or tmpfs)`);
  if (target === '') throw invalidArgument(`invalid ${m.field('Target')}: the mount target is required`);
  checkTarget(target, field);
  const bind = m.object('BindOptions');
  const vol = m.object('VolumeOptions');
  const tmpfs = m.object('TmpfsOptions');
  m.unsupported('ImageOptions', 'image mounts are not offered');
  m.unsupported('ClusterOptions', 'cluster volumes need swarm mode, which Janus does not offer');
  const misplaced = (o: WireObject | undefined, name: string, owner: string) => {
    if (o && type !== owner) throw invalidArgument(`invalid ${field}: ${name} must not be specified on mount type ${JSON.stringify(type)}`);
  };
  misplaced(bind, 'BindOptions', 'bind');
  misplaced(vol, 'VolumeOptions', 'volume');
  misplaced(tmpfs, 'TmpfsOptions', 'tmpfs');

  let out: ParsedMount;
  switch (type) {
    case 'bind': {
      if (source === '') throw invalidArgument(`invalid mount config for type "bind": ${m.field('Source')} must not be empty`);
      if (!source.startsWith('/')) throw invalidArgument(`invalid mount config for type "bind": ${m.field('Source')} ${JSON.stringify(source)} must be an absolute host path`);
      let propagation: MountPropagation | undefined;
      if (bind) {
        const p = bind.string('Propagation');
        if (p !== undefined && p !== '') {
          if (!PROPAGATIONS.includes(p)) throw invalidArgument(`invalid ${bind.field('Propagation')}: ${JSON.stringify(p)} (want one of ${PROPAGATIONS.join(', ')})`);
          propagation = p as MountPropagation;
        }
        bind.unsupported('NonRecursive', 'Janus always mounts binds recursively');
        bind.unsupported('CreateMountpoint', 'the bind source must exist on the host');
        bind.unsupported('ReadOnlyForceRecursive', 'Janus cannot promise a recursively read-only mount');
        // Asking for a read-only mount that is not recursive: Janus's read-only bind is at least that.
        bind.bool('ReadOnlyNonRecursive');
        bind.rejectUnknown();
      }
      out = { kind: 'run', mount: { type: 'bind', source, destination: target, ...(readOnly ? { readOnly } : {}), ...(propagation ? { propagation } : {}) } };
      break;
    }
    case 'volume': {
      if (source !== '' && !VOLUME_NAME.test(source)) {
        throw invalidArgument(`invalid ${m.field('Source')}: ${JSON.stringify(source)} is not a valid volume name (only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed)`);
      }
      const volume: VolumeMountRequest = { ...(source ? { name: source } : {}), destination: target, ...(readOnly ? { readOnly } : {}) };
      if (vol) {
        if (vol.bool('NoCopy')) volume.noCopy = true;
        const labels = vol.stringMap('Labels');
        if (labels && Object.keys(labels).length > 0) volume.labels = labels;
        vol.unsupported('Subpath', 'mounting part of a volume is not offered');
        const driver = vol.object('DriverConfig');
        if (driver) {
          const name = driver.string('Name');
          checkVolumeDriver(name, driver.field('Name'));
          const options = driver.stringMap('Options');
          if (options && Object.keys(options).length > 0) volume.driverOptions = options;
          driver.rejectUnknown();
        }
        vol.rejectUnknown();
      }
      out = { kind: 'volume', volume };
      break;
    }
    case 'tmpfs': {
      if (source !== '') throw invalidArgument(`invalid mount config for type "tmpfs": ${m.field('Source')} must not be given`);
      const options: string[] = [];
      if (tmpfs) {
        const size = tmpfs.int('SizeBytes', { min: 0 });
        if (size) options.push(`size=${size}`);
        const mode = tmpfs.int('Mode', { min: 0 });
        if (mode) options.push(`mode=${mode.toString(8)}`);
        const list = tmpfs.array('Options') ?? [];
        list.forEach((o, i) => {
          if (!Array.isArray(o) || o.length < 1 || o.length > 2 || o.some((s) => typeof s !== 'string')) {
            throw invalidArgument(`invalid ${tmpfs.field('Options')}[${i}]: want ["flag"] or ["key", "value"]`);
          }
          options.push(o.length === 1 ? o[0] : `${o[0]}=${o[1]}`);
        });
        tmpfs.rejectUnknown();
      }
      out = { kind: 'run', mount: { type: 'tmpfs', source: '', destination: target, ...(readOnly ? { readOnly } : {}), ...(options.length > 0 ? { tmpfsOptions: options } : {}) } };
      break;
    }
    case 'image':
    case 'npipe':
    case 'cluster':
      throw notImplemented(`${m.field('Type')}: mount type ${JSON.stringify(type)} is not supported (bind, volume and tmpfs are)`);
    default:
      throw invalidArgument(`invalid ${m.field('Type')}: unknown mount type ${JSON.stringify(type)} (want bind, volume or tmpfs)`);
  }
  m.rejectUnknown();
  return out;
}
