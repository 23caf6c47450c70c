import type { Readable } from 'node:stream';
import type { Descriptor } from './oci.ts';
import type { ImageReference } from './reference.ts';

/**
 * Credentials for one registry, as Docker's X-Registry-Auth carries them.
 * `identityToken` is an OAuth refresh token; `registryToken` a bearer token.
 */
export interface RegistryCredentials {
  username?: string;
  password?: string;
  identityToken?: string;
  registryToken?: string;
}

/** Options for talking to one repository. */
export interface RepositoryOptions {
  credentials?: RegistryCredentials;
  signal?: AbortSignal;
}

/**
 * One repository on a registry, speaking the OCI distribution spec v2.
 * Handles auth challenges (bearer and basic), retries of idempotent requests,
 * and chooses https or (for 127.0.0.1/localhost and insecure registries) http.
 * It does NOT verify digests: callers stream into the ContentStore, which does.
 */
export interface RemoteRepository {
  readonly reference: ImageReference;
  /** Resolves a tag or digest to the descriptor of its manifest or index. NotFound when unknown. */
  resolve(tagOrDigest: string): Promise<Descriptor>;
  /** Streams a manifest or blob's bytes, starting at `offset` (for resumed downloads). */
  fetch(desc: Descriptor, options?: { offset?: number }): Promise<Readable>;
  /** True when the registry has the blob. */
  hasBlob(desc: Descriptor): Promise<boolean>;
  /** Asks the registry to mount the blob from `fromRepository` of the same registry; true when it did. */
  mountBlob(desc: Descriptor, fromRepository: string): Promise<boolean>;
  /** Uploads a blob; `open` is called again for every retry. */
  pushBlob(desc: Descriptor, open: () => Promise<Readable>): Promise<void>;
  /** Uploads a manifest or index under a tag or its digest. */
  pushManifest(tagOrDigest: string, desc: Descriptor, body: Uint8Array): Promise<void>;
}

/** Factory of repository clients; knows which registries are insecure. */
export interface Registry {
  repository(ref: ImageReference, options?: RepositoryOptions): RemoteRepository;
  /** Checks credentials against the registry (the `/v2/` endpoint). Unauthorized when rejected. */
  login(registry: string, credentials: RegistryCredentials, options?: { signal?: AbortSignal }): Promise<{ identityToken?: string }>;
}
