// Pull benchmark: janus pull vs skopeo copy from a local docker-registry.
// Usage: node bench/pull.ts [--runs N] [--size MB] [--layers N]
// Prints figures only; there is no pass/fail threshold.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { NodeExec } from '../src/util/exec.ts';
import { startDaemon } from '../test/support/daemon.ts';
import { skipUnlessRegistry, startRegistry } from '../test/support/registry.ts';
import { writeOciImage, type LayerFiles } from '../test/e2e/oci-layout.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    size: { type: 'string', default: '220' },
    layers: { type: 'string', default: '5' },
  },
});
const runs = Math.max(1, Number(values.runs));
const totalMb = Math.max(1, Number(values.size));
const layerCount = Math.max(1, Number(values.layers));

const why = skipUnlessRegistry() ?? (process.getuid?.() === 0 ? undefined : 'needs root');
if (why) {
  console.error(`bench/pull: cannot run: ${why}`);
  process.exit(1);
}

const exec = new NodeExec();
const MB = 1 << 20;

/**
 * One layer of about `bytes`: files of 1–8 MB, alternating random (does not
 * compress) and repetitive text with random words (compresses ~5–10×), so
 * both the network and the decompressor are exercised.
 */
function makeLayerFiles(index: number, bytes: number): LayerFiles {
  const files: LayerFiles = { [`layer${index}/`]: '' };
  let left = bytes;
  let n = 0;
  while (left > 0) {
    const size = Math.min(left, (1 + ((index * 7 + n * 3) % 8)) * MB);
    let content: Buffer;
    if (n % 2 === 0) {
      content = randomBytes(size);
    } else {
      // A small random vocabulary drawn once per file keeps generation fast
      // while the line numbers keep the text from compressing to nothing.
      const vocab = randomBytes(256 * 4).toString('hex').match(/.{8}/g)!;
      const lines: string[] = [];
      let len = 0;
      for (let i = 0; len < size; i++) {
        const line = `${vocab[(i * 31 + n) & 255]} ${vocab[(i * 17 + index) & 255]} line ${i} of file ${n} in layer ${index}\n`;
        lines.push(line);
        len += line.length;
      }
      content = Buffer.from(lines.join('')).subarray(0, size);
    }
    files[`layer${index}/file${n}.bin`] = content;
    left -= size;
    n++;
  }
  return files;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

const work = await mkdtemp(join(tmpdir(), 'janus-bench-pull-'));
const registry = await startRegistry();
const daemon = await startDaemon();
try {
  console.log(`bench/pull: building a ${layerCount}-layer image of about ${totalMb} MB …`);
  const layout = join(work, 'layout');
  const perLayer = Math.ceil((totalMb * MB) / layerCount);
  const layers: LayerFiles[] = [];
  for (let i = 0; i < layerCount; i++) layers.push(makeLayerFiles(i, perLayer));
  const image = await writeOciImage(layout, 'bench', { layers, gzipLevel: 6 });
  layers.length = 0;
  const ref = `${registry.host}/bench/big:1`;
  await exec.run('skopeo', ['copy', '--dest-tls-verify=false', `oci:${layout}:bench`, `docker://${ref}`]);
  await rm(layout, { recursive: true, force: true });
  console.log(`bench/pull: pushed ${ref}: ${(image.uncompressedSize / MB).toFixed(1)} MB uncompressed, ${(image.compressedSize / MB).toFixed(1)} MB compressed, ${layerCount} layers`);

  const janusTimes: number[] = [];
  const skopeoTimes: number[] = [];
  for (let i = 0; i < runs; i++) {
    // Nothing cached: no image, no blobs, no unpacked layers.
    await daemon.janus(['rmi', '-f', ref]);
    const prune = await daemon.janus(['image', 'prune', '-a', '-f']);
    if (prune.code !== 0) throw new Error(`janus image prune failed: ${prune.stderr}`);
    const tj = await timed(async () => {
      const r = await daemon.janus(['pull', '-q', ref]);
      if (r.code !== 0) throw new Error(`janus pull failed: ${r.stderr}`);
    });
    janusTimes.push(tj);

    const dest = join(work, `skopeo-${i}`);
    const ts = await timed(() => exec.run('skopeo', ['copy', '--src-tls-verify=false', `docker://${ref}`, `dir:${dest}`]));
    skopeoTimes.push(ts);
    await rm(dest, { recursive: true, force: true });
    console.log(`run ${i + 1}/${runs}: janus pull ${fmt(tj)}, skopeo copy ${fmt(ts)}`);
  }

  const mj = median(janusTimes);
  const ms = median(skopeoTimes);
  console.log('');
  console.log(`image: ${layerCount} layers, ${(image.uncompressedSize / MB).toFixed(1)} MB uncompressed, ${(image.compressedSize / MB).toFixed(1)} MB compressed; ${runs} runs each, alternating`);
  console.log(`janus pull (download + verify + unpack): median ${fmt(mj)}  min ${fmt(Math.min(...janusTimes))}  max ${fmt(Math.max(...janusTimes))}`);
  console.log(`skopeo copy to dir (download + verify):   median ${fmt(ms)}  min ${fmt(Math.min(...skopeoTimes))}  max ${fmt(Math.max(...skopeoTimes))}`);
  console.log(`ratio janus/skopeo (medians): ${(mj / ms).toFixed(2)}`);
  console.log(`janus unpack throughput: ${(image.uncompressedSize / MB / (mj / 1000)).toFixed(1)} MB/s uncompressed (${(image.compressedSize / MB / (mj / 1000)).toFixed(1)} MB/s compressed) over the whole pull`);
  console.log(`skopeo transfer throughput: ${(image.compressedSize / MB / (ms / 1000)).toFixed(1)} MB/s compressed`);
} finally {
  await daemon.stop();
  await registry.stop();
  await rm(work, { recursive: true, force: true });
}
