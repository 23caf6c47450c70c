import type { ContainerDefaults, HealthConfig } from '../../core/oci.ts';
import type { HistoryItem, ImageDetail, ImageSummary, RemovedItem } from '../../engine/image-service.ts';
import { compareApiVersions } from './api-version.ts';

/*
 * Engine image types → Docker Engine API JSON (PascalCase, docker's nulls and
 * omissions). Pure functions; `apiVersion` selects what older clients were
 * sent, where docker changed the shape.
 */

/** Docker's zero time, which it prints for times it does not know. */
const ZERO_TIME = '0001-01-01T00:00:00Z';

/** One entry of `GET /images/json`. */
export function imageSummaryWire(s: ImageSummary, apiVersion: string): Record<string, unknown> {
  return {
    Id: s.id,
    ParentId: s.parentId,
    RepoTags: s.repoTags,
    RepoDigests: s.repoDigests,
    Created: s.created,
    Size: s.size,
    // -1 unless asked for (shared-size=1, or /system/df), as docker sends it.
    SharedSize: s.sharedSize ?? -1,
    // Removed in API 1.44; older clients still read it.
    ...(compareApiVersions(apiVersion, '1.44') < 0 ? { VirtualSize: s.size } : {}),
    Labels: Object.keys(s.labels).length > 0 ? s.labels : null,
    Containers: s.containers,
  };
}

/**
 * `GET /images/{name}/json`. `withContainerConfig` adds the Container and
 * ContainerConfig fields docker dropped in API 1.45 whatever the version
 * (they are always there below 1.45).
 */
export function imageInspectWire(d: ImageDetail, apiVersion: string, options: { withContainerConfig?: boolean } = {}): Record<string, unknown> {
  const legacy = compareApiVersions(apiVersion, '1.50') < 0;
  return {
    Id: d.id,
    RepoTags: d.repoTags,
    RepoDigests: d.repoDigests,
    Parent: d.parentId,
    Comment: d.comment,
    Created: d.createdIso || ZERO_TIME,
    DockerVersion: '',
    Author: d.author,
    Config: legacy ? legacyConfigWire(d.config) : ociConfigWire(d.config),
    // Before API 1.45 docker also sent the config of the container an image was made from; docker-compose v1
    // reads ContainerConfig.Volumes when it recreates a container and fails without it. The image's own config
    // stands in for it (what that container ran with, as far as anyone can tell now).
    ...(options.withContainerConfig || compareApiVersions(apiVersion, '1.45') < 0 ? { Container: '', ContainerConfig: legacyConfigWire(d.config) } : {}),
    Architecture: d.architecture,
    ...(d.variant ? { Variant: d.variant } : {}),
    Os: d.os,
    Size: d.size,
    ...(compareApiVersions(apiVersion, '1.44') < 0 ? { VirtualSize: d.size } : {}),
    GraphDriver: graphDriverWire(d.layerDirs),
    RootFS: { Type: 'layers', Layers: d.layers },
    Metadata: { LastTagTime: ZERO_TIME },
  };
}

/**
 * Docker describes an image's layers as the overlay2 mount it would make:
 * the top layer as UpperDir, the others top-first as LowerDir.
 */
function graphDriverWire(layerDirs: string[]): Record<string, unknown> {
  const data: Record<string, string> = {};
  if (layerDirs.length > 0) {
    const lower = layerDirs.slice(0, -1).reverse();
    if (lower.length > 0) data.LowerDir = lower.join(':');
    data.UpperDir = layerDirs[layerDirs.length - 1];
  }
  return { Name: 'overlay2', Data: data };
}

function healthWire(h: HealthConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (h.Test !== undefined) out.Test = h.Test;
  if (h.Interval) out.Interval = h.Interval;
  if (h.Timeout) out.Timeout = h.Timeout;
  if (h.StartPeriod) out.StartPeriod = h.StartPeriod;
  if (h.StartInterval) out.StartInterval = h.StartInterval;
  if (h.Retries) out.Retries = h.Retries;
  return out;
}

const nonEmpty = (v: unknown): boolean =>
  v !== undefined && v !== null && v !== '' && v !== false &&
  !(Array.isArray(v) && v.length === 0) &&
  !(typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0);

/** API ≥ 1.50: only the OCI image-config fields, empty ones omitted (docker 28's shape). */
function ociConfigWire(c: ContainerDefaults): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const put = (k: string, v: unknown) => { if (nonEmpty(v)) out[k] = v; };
  put('User', c.User);
  put('ExposedPorts', c.ExposedPorts);
  put('Env', c.Env);
  put('Entrypoint', c.Entrypoint);
  put('Cmd', c.Cmd);
  put('Volumes', c.Volumes);
  put('WorkingDir', c.WorkingDir);
  put('Labels', c.Labels);
  put('StopSignal', c.StopSignal);
  put('ArgsEscaped', c.ArgsEscaped);
  if (c.Healthcheck) put('Healthcheck', healthWire(c.Healthcheck));
  put('OnBuild', c.OnBuild);
  put('Shell', c.Shell);
  return out;
}

/** API < 1.50: docker's container-config shape, with its empty strings, falses and nulls. */
function legacyConfigWire(c: ContainerDefaults): Record<string, unknown> {
  const orNull = <T>(v: T | undefined | null): T | null =>
    v === undefined || v === null || (Array.isArray(v) && v.length === 0) ? null : v;
  const mapOrNull = (v: Record<string, unknown> | undefined): Record<string, unknown> | null =>
    v && Object.keys(v).length > 0 ? v : null;
  return {
    Hostname: '',
    Domainname: '',
    User: c.User ?? '',
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    ...(c.ExposedPorts && Object.keys(c.ExposedPorts).length > 0 ? { ExposedPorts: c.ExposedPorts } : {}),
    Tty: false,
    OpenStdin: false,
    StdinOnce: false,
    Env: orNull(c.Env),
    Cmd: orNull(c.Cmd),
    ...(c.Healthcheck ? { Healthcheck: healthWire(c.Healthcheck) } : {}),
    ...(c.ArgsEscaped ? { ArgsEscaped: true } : {}),
    Image: '',
    Volumes: mapOrNull(c.Volumes),
    WorkingDir: c.WorkingDir ?? '',
    Entrypoint: orNull(c.Entrypoint),
    OnBuild: orNull(c.OnBuild),
    Labels: mapOrNull(c.Labels),
    ...(c.StopSignal ? { StopSignal: c.StopSignal } : {}),
    ...(c.Shell && c.Shell.length > 0 ? { Shell: c.Shell } : {}),
  };
}

/** One row of `GET /images/{name}/history`. */
export function historyItemWire(h: HistoryItem): Record<string, unknown> {
  return {
    Id: h.id,
    Created: h.created,
    CreatedBy: h.createdBy,
    Tags: h.tags.length > 0 ? h.tags : null,
    Size: h.size,
    Comment: h.comment,
  };
}

/** One entry of a `DELETE /images/{name}` or prune answer. */
export function removedItemWire(r: RemovedItem): { Untagged: string } | { Deleted: string } {
  return 'untagged' in r ? { Untagged: r.untagged } : { Deleted: r.deleted };
}
