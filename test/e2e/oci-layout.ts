import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync, zstdCompressSync } from 'node:zlib';
import tar from 'tar-stream';

/** Files of one layer: path inside the image → content (a string ending in `/` as key makes a directory). */
export type LayerFiles = Record<string, string | Buffer>;

/** One platform image to write into an OCI layout. */
export interface ImageSpec {
  layers: LayerFiles[];
  architecture?: string;
  os?: string;
  variant?: string;
  env?: string[];
  cmd?: string[];
  /** gzip level 0–9 (default 6); 1 makes big benchmark layers quick to build. */
  gzipLevel?: number;
  /** How each layer is compressed, by index; gzip where not given. */
  compression?: Array<'gzip' | 'zstd'>;
}

/** What `writeOciImage` wrote. */
export interface WrittenImage {
  manifestDigest: string;
  manifestSize: number;
  configDigest: string;
  /** Digests of the compressed layer blobs, in order. */
  layerDigests: string[];
  /** Digests of the uncompressed layer tars (the config's rootfs.diff_ids). */
  diffIds: string[];
  /** Sum of the uncompressed layer tar sizes. */
  uncompressedSize: number;
  /** Sum of the compressed blob sizes. */
  compressedSize: number;
}

const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** Docker's platform name of this host (`amd64`, `arm64`, …). */
export function hostArchitecture(): string {
  const map: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
  return map[process.arch] ?? process.arch;
}

/** An uncompressed tar of `files`, entries in the given order, owned by root, mtime fixed so builds are reproducible. */
export async function makeTar(files: LayerFiles): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    pack.on('data', (c: unknown) => { chunks.push(c as Buffer); });
    pack.on('end', () => resolve());
    pack.on('error', reject);
  });
  const mtime = new Date('2024-01-01T00:00:00Z');
  for (const [name, content] of Object.entries(files)) {
    if (name.endsWith('/')) {
      pack.entry({ name, type: 'directory', mode: 0o755, uid: 0, gid: 0, mtime });
    } else {
      pack.entry({ name, type: 'file', mode: 0o644, uid: 0, gid: 0, mtime }, typeof content === 'string' ? Buffer.from(content) : content);
    }
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

async function putBlob(dir: string, data: Buffer): Promise<string> {
  const digest = sha256(data);
  const path = join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length));
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  await writeFile(path, data);
  return digest;
}

/** Writes the image's blobs (layers, config, manifest) into the OCI layout at `dir`; does not touch index.json. */
async function writeImageBlobs(dir: string, spec: ImageSpec): Promise<WrittenImage> {
  const layers: Array<{ digest: string; size: number }> = [];
  const diffIds: string[] = [];
  let uncompressedSize = 0;
  let compressedSize = 0;
  const mediaTypes: string[] = [];
  for (const [i, files] of spec.layers.entries()) {
    const raw = await makeTar(files);
    const zstd = spec.compression?.[i] === 'zstd';
    const packed = zstd ? zstdCompressSync(raw) : gzipSync(raw, { level: spec.gzipLevel ?? 6 });
    mediaTypes.push(`application/vnd.oci.image.layer.v1.tar+${zstd ? 'zstd' : 'gzip'}`);
    diffIds.push(sha256(raw));
    uncompressedSize += raw.length;
    compressedSize += packed.length;
    layers.push({ digest: await putBlob(dir, packed), size: packed.length });
  }
  const config = Buffer.from(JSON.stringify({
    created: '2024-01-01T00:00:00Z',
    architecture: spec.architecture ?? hostArchitecture(),
    os: spec.os ?? 'linux',
    ...(spec.variant ? { variant: spec.variant } : {}),
    config: { Env: spec.env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: spec.cmd ?? ['/bin/sh'] },
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: spec.layers.map((_, i) => ({ created: '2024-01-01T00:00:00Z', created_by: `test layer ${i}` })),
  }));
  const configDigest = await putBlob(dir, config);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
    layers: layers.map((l, i) => ({ mediaType: mediaTypes[i], digest: l.digest, size: l.size })),
  }));
  const manifestDigest = await putBlob(dir, manifest);
  return {
    manifestDigest,
    manifestSize: manifest.length,
    configDigest,
    layerDigests: layers.map((l) => l.digest),
    diffIds,
    uncompressedSize,
    compressedSize,
  };
}

async function writeLayoutIndex(dir: string, entry: object): Promise<void> {
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  let existing: { manifests: object[] } = { manifests: [] };
  try {
    existing = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as { manifests: object[] };
  } catch {
    // a new layout
  }
  existing.manifests.push(entry);
  await writeFile(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: existing.manifests }));
}

/**
 * Builds one image by hand into the OCI layout at `dir` (created if needed),
 * named `tag` in the layout's index.json, so `skopeo copy oci:DIR:TAG …` can
 * push it.
 */
export async function writeOciImage(dir: string, tag: string, spec: ImageSpec): Promise<WrittenImage> {
  await mkdir(dir, { recursive: true });
  const image = await writeImageBlobs(dir, spec);
  await writeLayoutIndex(dir, {
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest: image.manifestDigest,
    size: image.manifestSize,
    annotations: { 'org.opencontainers.image.ref.name': tag },
  });
  return image;
}

/**
 * Builds a multi-platform image: one manifest per spec and an OCI image index
 * over them, named `tag` in the layout (push with `skopeo copy --all`).
 */
export async function writeOciIndex(dir: string, tag: string, specs: ImageSpec[]): Promise<{ indexDigest: string; images: WrittenImage[] }> {
  await mkdir(dir, { recursive: true });
  const images: WrittenImage[] = [];
  for (const spec of specs) images.push(await writeImageBlobs(dir, spec));
  const index = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: images.map((img, i) => ({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: img.manifestDigest,
      size: img.manifestSize,
      platform: {
        architecture: specs[i].architecture ?? hostArchitecture(),
        os: specs[i].os ?? 'linux',
        ...(specs[i].variant ? { variant: specs[i].variant } : {}),
      },
    })),
  }));
  const indexDigest = await putBlob(dir, index);
  await writeLayoutIndex(dir, {
    mediaType: 'application/vnd.oci.image.index.v1+json',
    digest: indexDigest,
    size: index.length,
    annotations: { 'org.opencontainers.image.ref.name': tag },
  });
  return { indexDigest, images };
}
