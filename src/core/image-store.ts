import type { Descriptor } from './oci.ts';

/**
 * One name in the image store: a normalised reference string (a tag like
 * `docker.io/library/busybox:latest`, or a digest reference like
 * `docker.io/library/busybox@sha256:…`) and the single-platform manifest it
 * resolves to on this host.
 */
export interface ImageRecord {
  name: string;
  /** The platform manifest (never an index) in the content store. */
  target: Descriptor;
  /** When this name was first set. */
  createdAt: Date;
  /** When this name last changed target. */
  updatedAt: Date;
}

/**
 * The names → manifests index. Durable: every mutation is on disk (atomic
 * replace + fsync) before it resolves; a crash leaves the old or the new state.
 */
export interface ImageStore {
  /** NotFound when `name` is not set. */
  get(name: string): Promise<ImageRecord>;
  /** All names. */
  list(): Promise<ImageRecord[]>;
  /** Creates or moves a name. */
  set(name: string, target: Descriptor): Promise<ImageRecord>;
  /** Removes a name; NotFound when it is not set. */
  delete(name: string): Promise<void>;
}
