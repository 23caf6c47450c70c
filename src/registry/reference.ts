import { isDigest, type Digest } from '../core/digest.ts';
import { invalidArgument, type JanusError } from '../core/errors.ts';
import type { ImageReference } from '../core/reference.ts';

/** The registry docker assumes when a name has none. */
export const DEFAULT_REGISTRY = 'docker.io';
/** The tag docker assumes when a reference has neither tag nor digest. */
export const DEFAULT_TAG = 'latest';
/** distribution's NameTotalLengthMax: registry + "/" + repository. */
export const NAME_TOTAL_LENGTH_MAX = 255;

// The grammar of github.com/distribution/reference, spelled out piece by piece.
const ALNUM = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|[-]+)';
const PATH_COMPONENT_RE = new RegExp(`^${ALNUM}(?:${SEPARATOR}${ALNUM})*$`);
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const IPV6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const DOMAIN_RE = new RegExp(`^(?:${IPV6}|${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*)(?::[0-9]+)?$`);
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const DIGEST_SHAPE_RE = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const IDENTIFIER_RE = /^[a-f0-9]{64}$/;
const IMAGE_ID_LIKE_RE = /^(?:sha256:)?[a-f0-9]{12,64}$/;

function bad(text: string, why: string): JanusError {
  return invalidArgument(`invalid reference format: ${JSON.stringify(text)}: ${why}`);
}

function make(registry: string, repository: string, tag: string | undefined, digest: Digest | undefined): ImageReference {
  const ref: { registry: string; repository: string; tag?: string; digest?: Digest } = { registry, repository };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return Object.freeze(ref);
}

/**
 * Parses an image reference the way `docker pull` does and normalises it:
 * `busybox` → `docker.io/library/busybox:latest`. The first path component is
 * a registry only when it contains `.` or `:`, is `localhost`, or has upper
 * case (which a repository never may); `index.docker.io` becomes `docker.io`.
 * A reference without tag and digest gets tag `latest`; `name:tag@digest`
 * keeps both. Safe to call anywhere; pure. Throws InvalidArgument
 * `invalid reference format: "<text>": <why>` on anything docker rejects.
 */
export function parseReference(text: string): ImageReference {
  if (text === '') throw bad(text, 'empty reference');
  if (IDENTIFIER_RE.test(text)) throw bad(text, 'cannot specify 64-byte hexadecimal strings as a repository name');

  let rest = text;
  let digest: Digest | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    const d = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST_SHAPE_RE.test(d)) throw bad(text, `invalid digest ${JSON.stringify(d)}`);
    if (!isDigest(d)) throw bad(text, `unsupported digest ${JSON.stringify(d)}: want sha256:<64 hex> or sha512:<128 hex>`);
    digest = d;
  }

  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tag)) throw bad(text, `invalid tag ${JSON.stringify(tag)}: a tag is 1–128 of [A-Za-z0-9_.-], not starting with . or -`);
  }
  if (rest === '') throw bad(text, 'empty repository name');

  let registry = DEFAULT_REGISTRY;
  let repository = rest;
  const slash = rest.indexOf('/');
  if (slash !== -1) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost' || first.toLowerCase() !== first) {
      registry = first;
      repository = rest.slice(slash + 1);
    }
  }
  if (repository.toLowerCase() !== repository) throw bad(text, 'repository name must be lowercase');
  if (!DOMAIN_RE.test(registry)) throw bad(text, `invalid registry ${JSON.stringify(registry)}`);
  if (registry === 'index.docker.io') registry = DEFAULT_REGISTRY;
  if (registry === DEFAULT_REGISTRY && !repository.includes('/')) repository = `library/${repository}`;
  for (const component of repository.split('/')) {
    if (!PATH_COMPONENT_RE.test(component)) {
      throw bad(text, component === ''
        ? 'empty path component in repository name'
        : `invalid repository path component ${JSON.stringify(component)}: want lowercase letters and digits, separated by ".", "_", "__" or dashes`);
    }
  }
  if (registry.length + 1 + repository.length > NAME_TOTAL_LENGTH_MAX) {
    throw bad(text, `repository name must not be longer than ${NAME_TOTAL_LENGTH_MAX} characters`);
  }
  if (tag === undefined && digest === undefined) tag = DEFAULT_TAG;
  return make(registry, repository, tag, digest);
}

function suffix(ref: ImageReference): string {
  return `${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

/** The fully qualified form, `docker.io/library/busybox:latest` (tag and/or digest as present). Pure. */
export function formatReference(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}${suffix(ref)}`;
}

/**
 * The repository in docker's short form, without tag or digest: `busybox`,
 * `user/app`, `127.0.0.1:5000/x`. Pure.
 */
export function repositoryName(ref: ImageReference): string {
  if (ref.registry !== DEFAULT_REGISTRY) return `${ref.registry}/${ref.repository}`;
  const rest = ref.repository.startsWith('library/') ? ref.repository.slice('library/'.length) : ref.repository;
  return rest.includes('/') ? ref.repository : rest;
}

/**
 * Docker's short form of the whole reference, as `docker images` and pull
 * messages show it: `busybox:latest`, `127.0.0.1:5000/x:1`,
 * `busybox@sha256:…`. Pure.
 */
export function familiarName(ref: ImageReference): string {
  return `${repositoryName(ref)}${suffix(ref)}`;
}

/** The same repository with `tag` (a digest, if any, is kept, as docker does). InvalidArgument on a malformed tag. */
export function withTag(ref: ImageReference, tag: string): ImageReference {
  if (!TAG_RE.test(tag)) {
    throw invalidArgument(`invalid tag ${JSON.stringify(tag)} for ${repositoryName(ref)}: a tag is 1–128 of [A-Za-z0-9_.-], not starting with . or -`);
  }
  return make(ref.registry, ref.repository, tag, ref.digest);
}

/** The same repository pinned to `digest` (a tag, if any, is kept, as docker does). InvalidArgument on a malformed digest. */
export function withDigest(ref: ImageReference, digest: string): ImageReference {
  if (!isDigest(digest)) {
    throw invalidArgument(`invalid digest ${JSON.stringify(digest)} for ${repositoryName(ref)}: want sha256:<64 hex> or sha512:<128 hex>`);
  }
  return make(ref.registry, ref.repository, ref.tag, digest);
}

/**
 * True when `text` could be an image ID or a prefix of one (12–64 lower-case
 * hex, optionally `sha256:`-prefixed) — the forms docker accepts in place of a
 * name in `rmi`, `inspect`, `tag`.
 */
export function isImageIdLike(text: string): boolean {
  return IMAGE_ID_LIKE_RE.test(text);
}
