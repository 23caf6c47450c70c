/*
 * Docker Engine API wire types (API 1.50), PascalCase as on the wire. Only
 * what the client reads is declared; daemons may send more, and fields that
 * Docker marks `omitempty` are optional here.
 */

/** `GET /version`. */
export interface VersionResponse {
  Version: string;
  ApiVersion: string;
  MinAPIVersion?: string;
  GitCommit?: string;
  GoVersion?: string;
  Os: string;
  Arch: string;
  KernelVersion?: string;
  BuildTime?: string;
  Platform?: { Name: string };
  Components?: Array<{ Name: string; Version: string; Details?: Record<string, unknown> }>;
  [key: string]: unknown;
}

/** `GET /info`: shown as the daemon sends it, so everything but a few fields is open. */
export interface InfoResponse {
  ID?: string;
  Name?: string;
  ServerVersion?: string;
  DockerRootDir?: string;
  Images?: number;
  Containers?: number;
  Driver?: string;
  Runtimes?: Record<string, { path?: string; runtimeArgs?: string[] }>;
  DefaultRuntime?: string;
  [key: string]: unknown;
}

/** One element of `GET /images/json`. */
export interface ImageSummary {
  Id: string;
  ParentId: string;
  RepoTags: string[] | null;
  RepoDigests: string[] | null;
  /** Seconds since the epoch. */
  Created: number;
  Size: number;
  SharedSize: number;
  VirtualSize?: number;
  Labels: Record<string, string> | null;
  Containers: number;
}

/** The container defaults of an image (`Config` in `GET /images/{name}/json`). */
export interface ImageConfigWire {
  User?: string;
  Env?: string[] | null;
  Cmd?: string[] | null;
  Entrypoint?: string[] | null;
  WorkingDir?: string;
  Labels?: Record<string, string> | null;
  ExposedPorts?: Record<string, object> | null;
  Volumes?: Record<string, object> | null;
  StopSignal?: string;
  [key: string]: unknown;
}

/** `GET /images/{name}/json`. */
export interface ImageInspect {
  Id: string;
  RepoTags: string[] | null;
  RepoDigests: string[] | null;
  Parent?: string;
  Comment?: string;
  Created?: string;
  Author?: string;
  Config?: ImageConfigWire | null;
  Architecture: string;
  Variant?: string;
  Os: string;
  Size: number;
  RootFS: { Type: string; Layers?: string[] };
  [key: string]: unknown;
}

/** One element of `GET /images/{name}/history`. */
export interface HistoryResponseItem {
  Id: string;
  /** Seconds since the epoch. */
  Created: number;
  CreatedBy: string;
  Tags: string[] | null;
  Size: number;
  Comment: string;
}

/** One element of `DELETE /images/{name}`: exactly one of the two is set. */
export interface ImageDeleteResponseItem {
  Untagged?: string;
  Deleted?: string;
}

/** `POST /images/prune`. */
export interface ImagesPruneReport {
  ImagesDeleted: ImageDeleteResponseItem[] | null;
  SpaceReclaimed: number;
}

/** Credentials as `X-Registry-Auth` and `POST /auth` carry them (lower case, as docker sends them). */
export interface AuthConfig {
  username?: string;
  password?: string;
  /** `POST /auth` only: the registry, e.g. `127.0.0.1:5000` or `https://index.docker.io/v1/`. */
  serveraddress?: string;
  identitytoken?: string;
  registrytoken?: string;
}

/** `POST /auth`. */
export interface AuthResponse {
  Status: string;
  IdentityToken?: string;
}

/** One message of a JSON progress stream (docker's jsonmessage). */
export interface JsonMessage {
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  stream?: string;
  /** `{"ID": …}` in `aux` carries results such as a push's digest or a loaded image. */
  aux?: Record<string, unknown>;
  error?: string;
  errorDetail?: { code?: number; message?: string };
}

/** What `/_ping` tells about the daemon (from its headers). */
export interface PingResponse {
  apiVersion: string | undefined;
  osType: string | undefined;
}

/** One message of `GET /events`. */
export interface EventMessage {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope?: string;
  time: number;
  timeNano: number;
  /** Legacy fields (API < 1.22 shapes, still sent). */
  status?: string;
  id?: string;
  from?: string;
}

/** Docker's Volume object. */
export interface Volume {
  Name: string;
  Driver: string;
  Mountpoint: string;
  CreatedAt?: string;
  Labels: Record<string, string> | null;
  Options: Record<string, string> | null;
  Scope: string;
}

/** The body of `POST /volumes/create`. */
export interface VolumeCreateRequest {
  Name?: string;
  Driver?: string;
  DriverOpts?: Record<string, string>;
  Labels?: Record<string, string>;
}

/** `GET /volumes`. */
export interface VolumeListResponse {
  Volumes: Volume[] | null;
  Warnings: string[] | null;
}

/** `POST /volumes/prune`. */
export interface VolumesPruneReport {
  VolumesDeleted: string[] | null;
  SpaceReclaimed: number;
}

/** `GET /system/df`. */
export interface DiskUsage {
  LayersSize?: number;
  Images?: ImageSummary[] | null;
  Containers?: unknown[] | null;
  Volumes?: Array<Volume & { UsageData?: { Size: number; RefCount: number } | null }> | null;
  BuildCache?: unknown[] | null;
}
