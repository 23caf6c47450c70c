import type { VolumeInfo } from '../core/volume-driver.ts';

/** Filters of `volume ls` and `volume prune` (docker's names). */
export interface VolumeFilters {
  /** Volumes no container uses. */
  dangling?: boolean;
  driver?: string[];
  /** `key` or `key=value`; all must match. */
  label?: string[];
  /** Substrings of the name. */
  name?: string[];
}

/** A volume as `volume ls` and `volume inspect` show it. */
export interface VolumeView extends VolumeInfo {
  /** Whether the volume was created without a name (a container's anonymous volume). */
  anonymous: boolean;
  /** Containers (or other users) holding it now. */
  users: string[];
}

/**
 * The volume use cases (docker's `volume` commands). Implemented by
 * `VolumeEngine`; only the Docker API calls it.
 */
export interface VolumeService {
  /** Creates a named volume, or an anonymous one when `name` is absent. Idempotent for the same name and options. */
  create(name: string | undefined, options?: { driver?: string; labels?: Record<string, string>; driverOptions?: Record<string, string> }): Promise<VolumeView>;
  inspect(name: string): Promise<VolumeView>;
  list(options?: { filters?: VolumeFilters }): Promise<VolumeView[]>;
  /** Bytes the volume's data uses; -1 when its driver cannot tell (a mounted file system). */
  usage(name: string): Promise<number>;
  /** Conflict while in use unless `force`. */
  remove(name: string, options?: { force?: boolean }): Promise<void>;
  /**
   * Takes the volume into use by `user` (a container ID) and returns its host
   * path; the volume counts as in use until `release`. For the container
   * engine, at container create and again when a restarted daemon re-adopts
   * its containers (use is not persisted by drivers).
   */
  acquire(name: string, user: string): Promise<string>;
  /** Ends `user`'s use of the volume; unknown users and volumes are ignored. */
  release(name: string, user: string): Promise<void>;
  /** Removes unused volumes: anonymous ones only, or all with `all` (docker ≥ 23). */
  prune(options?: { all?: boolean; filters?: VolumeFilters }): Promise<{ deleted: string[]; spaceReclaimed: number }>;
}
