import { endianness } from 'node:os';
import { invalidArgument, notFound } from '../core/errors.ts';
import { isManifestMediaType, type Descriptor, type ImageIndex, type Platform } from '../core/oci.ts';

/** BuildKit marks attestation manifests in an index with this annotation; they are never runnable images. */
export const REFERENCE_TYPE_ANNOTATION = 'vnd.docker.reference.type';

const KNOWN_OS = new Set(['aix', 'android', 'darwin', 'dragonfly', 'freebsd', 'illumos', 'ios', 'js', 'linux', 'netbsd', 'openbsd', 'plan9', 'solaris', 'wasip1', 'windows']);
const KNOWN_ARCH = new Set([
  '386', 'amd64', 'amd64p32', 'arm', 'armbe', 'arm64', 'arm64be', 'loong64', 'mips', 'mipsle', 'mips64', 'mips64le', 'mips64p32', 'mips64p32le',
  'ppc', 'ppc64', 'ppc64le', 'riscv', 'riscv64', 's390', 's390x', 'sparc', 'sparc64', 'wasm',
]);
/** Architectures whose variants are ordered levels: an unknown variant of these must not be guessed to run. */
const LADDERED = new Set(['386', 'amd64', 'arm', 'arm64']);
const COMPONENT_RE = /^[A-Za-z0-9_.-]+$/;

/** Node's `process.arch` → GOARCH spelling. */
const NODE_ARCH: Record<string, string> = {
  x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', loong64: 'loong64', mips: 'mips', mipsel: 'mipsle',
  ppc: 'ppc', riscv64: 'riscv64', s390: 's390', s390x: 's390x',
};
/** Node's `process.platform` → GOOS spelling. */
const NODE_OS: Record<string, string> = { linux: 'linux', darwin: 'darwin', win32: 'windows', freebsd: 'freebsd', openbsd: 'openbsd', netbsd: 'netbsd', aix: 'aix', sunos: 'solaris', android: 'android' };

/**
 * Brings a platform to the canonical spelling the matcher compares:
 * `x86_64` → `amd64` (variant `v1` dropped, it is the baseline), `aarch64` →
 * `arm64` with variant `v8` by default, `armhf` → `arm/v7`, `arm` without a
 * variant → `arm/v7`, `i386` → `386`. Pure.
 */
export function normalizePlatform(p: Platform): Platform {
  const os = p.os.toLowerCase() === 'macos' ? 'darwin' : p.os.toLowerCase();
  let arch = p.architecture.toLowerCase();
  let variant = p.variant?.toLowerCase() ?? '';
  switch (arch) {
    case 'i386': case 'i486': case 'i586': case 'i686': case 'x86': case '386':
      arch = '386'; variant = '';
      break;
    case 'x86_64': case 'x86-64': case 'amd64':
      arch = 'amd64';
      if (variant === 'v1' || variant === '1') variant = '';
      else if (/^\d$/.test(variant)) variant = `v${variant}`;
      break;
    case 'aarch64': case 'arm64':
      arch = 'arm64';
      if (variant === '' || variant === '8' || variant === 'v8' || variant === 'v8.0') variant = 'v8';
      else if (/^\d/.test(variant)) variant = `v${variant}`;
      break;
    case 'armhf':
      arch = 'arm'; variant = 'v7';
      break;
    case 'armel':
      arch = 'arm'; variant = 'v6';
      break;
    case 'arm':
      if (variant === '') variant = 'v7';
      else if (/^\d$/.test(variant)) variant = `v${variant}`;
      break;
  }
  const out: Platform = { architecture: arch, os };
  if (variant !== '') out.variant = variant;
  if (p['os.version'] !== undefined) out['os.version'] = p['os.version'];
  if (p['os.features'] !== undefined) out['os.features'] = p['os.features'];
  return out;
}

/**
 * The platform of this host in OCI/GOARCH spelling (`linux/amd64`,
 * `linux/arm64/v8`, `linux/arm/v7`). `arch`, `platform` and `armVersion`
 * default to Node's `process` values; tests inject others. Pure apart from
 * reading those defaults.
 */
export function hostPlatform(options: { arch?: string; platform?: string; armVersion?: string; littleEndian?: boolean } = {}): Platform {
  const nodeArch = options.arch ?? process.arch;
  const nodeOs = options.platform ?? process.platform;
  const le = options.littleEndian ?? endianness() === 'LE';
  let architecture = NODE_ARCH[nodeArch] ?? nodeArch;
  if (nodeArch === 'ppc64') architecture = le ? 'ppc64le' : 'ppc64';
  let variant: string | undefined;
  if (architecture === 'arm') {
    const armVersion = options.armVersion ?? String((process.config.variables as Record<string, unknown>).arm_version ?? '7');
    variant = `v${armVersion}`;
  }
  return normalizePlatform({ architecture, os: NODE_OS[nodeOs] ?? nodeOs, ...(variant ? { variant } : {}) });
}

/**
 * Parses a `--platform` value: `os/arch[/variant]`, or just `arch` (os
 * linux) or just `os` (this host's architecture), as docker accepts. The
 * result is normalised (`linux/aarch64` → `linux/arm64/v8`). Pure apart from
 * the host default. InvalidArgument naming the value otherwise.
 */
export function parsePlatform(text: string, options: { host?: Platform } = {}): Platform {
  const bad = (why: string) => invalidArgument(`invalid platform ${JSON.stringify(text)}: ${why}`);
  const parts = text.split('/');
  if (parts.length > 3) throw bad('want os/arch[/variant]');
  for (const part of parts) {
    if (!COMPONENT_RE.test(part)) throw bad(part === '' ? 'empty component' : `invalid component ${JSON.stringify(part)}`);
  }
  if (parts.length === 1) {
    const only = parts[0].toLowerCase();
    const host = options.host ?? hostPlatform();
    if (KNOWN_OS.has(only)) {
      return normalizePlatform({ os: only, architecture: host.architecture, ...(host.variant ? { variant: host.variant } : {}) });
    }
    const arch = normalizePlatform({ os: 'linux', architecture: only });
    if (KNOWN_ARCH.has(arch.architecture)) return arch;
    throw bad('unknown operating system or architecture');
  }
  const os = parts[0].toLowerCase();
  if (!KNOWN_OS.has(os) && os !== 'macos') throw bad(`unknown operating system ${JSON.stringify(parts[0])}`);
  const p = normalizePlatform({ os, architecture: parts[1], ...(parts[2] ? { variant: parts[2] } : {}) });
  if (!KNOWN_ARCH.has(p.architecture)) throw bad(`unknown architecture ${JSON.stringify(parts[1])}`);
  return p;
}

/** `os/arch[/variant]`, the form docker prints. Pure. */
export function formatPlatform(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

/**
 * The platforms a host of `want` runs, best first: the exact one, then older
 * variants of the same architecture (arm/v7 also runs v6 and v5, amd64/v3
 * also runs v2 and the baseline), then 32-bit x86 on amd64.
 */
function compatible(want: Platform): Platform[] {
  const w = normalizePlatform(want);
  const list: Platform[] = [w];
  const level = (v: string | undefined): number => Number(/^v(\d+)$/.exec(v ?? '')?.[1] ?? NaN);
  if (w.architecture === 'arm') {
    for (let v = level(w.variant) - 1; v >= 5; v--) list.push({ os: w.os, architecture: 'arm', variant: `v${v}` });
  } else if (w.architecture === 'amd64') {
    const top = w.variant ? level(w.variant) : 1;
    for (let v = top - 1; v >= 1; v--) list.push(v === 1 ? { os: w.os, architecture: 'amd64' } : { os: w.os, architecture: 'amd64', variant: `v${v}` });
    list.push({ os: w.os, architecture: '386' });
  } else if (w.architecture === 'arm64' && w.variant !== 'v8') {
    list.push({ os: w.os, architecture: 'arm64', variant: 'v8' });
  }
  return list;
}

function rank(candidate: Platform, wanted: Platform[]): number {
  const c = normalizePlatform(candidate);
  for (let i = 0; i < wanted.length; i++) {
    const w = wanted[i];
    if (c.os === w.os && c.architecture === w.architecture && (c.variant ?? '') === (w.variant ?? '')) return i;
  }
  // An architecture without a variant ladder: asking without a variant accepts any, after exact ones.
  const w = wanted[0];
  if (!w.variant && !LADDERED.has(w.architecture) && c.os === w.os && c.architecture === w.architecture) return wanted.length;
  return -1;
}

function isAttestation(d: Descriptor): boolean {
  return d.annotations?.[REFERENCE_TYPE_ANNOTATION] !== undefined;
}

/**
 * Picks the manifest of `index` that runs on `want`, as docker/containerd do:
 * os and architecture must match (after normalisation); the exact variant is
 * preferred over older compatible ones (arm64 without variant is v8; arm/v7
 * also runs v6 and v5; amd64 also runs 386); attestation manifests
 * (`vnd.docker.reference.type`) and nested indexes are skipped; on a tie the
 * first entry wins. Entries without a platform are a last resort. Pure.
 * NotFound naming `want` and the platforms available when nothing fits.
 */
export function selectManifest(index: ImageIndex, want: Platform): Descriptor {
  const wanted = compatible(want);
  let best: Descriptor | undefined;
  let bestRank = Infinity;
  let unlabelled: Descriptor | undefined;
  for (const d of index.manifests) {
    if (!isManifestMediaType(d.mediaType) || isAttestation(d)) continue;
    if (!d.platform) {
      unlabelled ??= d;
      continue;
    }
    const r = rank(d.platform, wanted);
    if (r >= 0 && r < bestRank) {
      best = d;
      bestRank = r;
    }
  }
  const chosen = best ?? unlabelled;
  if (chosen) return chosen;
  const available = index.manifests
    .filter((d) => d.platform && !isAttestation(d))
    .map((d) => formatPlatform(normalizePlatform(d.platform as Platform)));
  throw notFound(`no matching manifest for ${formatPlatform(normalizePlatform(want))} in the manifest list entries (available: ${available.length ? [...new Set(available)].join(', ') : 'none'})`);
}
