/** The media types of docker's raw streams (attach, exec start, logs). */
export const RAW_STREAM = 'application/vnd.docker.raw-stream';
export const MULTIPLEXED_STREAM = 'application/vnd.docker.multiplexed-stream';

const STREAM_TYPE = { stdin: 0, stdout: 1, stderr: 2 } as const;

/** The most bytes one frame carries; its header holds a uint32 length, larger chunks become several frames. */
const MAX_FRAME = 0xffff_ffff;

/**
 * Docker's multiplexed-stream framing (its stdcopy): each chunk as an
 * 8-byte header `[type, 0, 0, 0, size (uint32, big-endian)]` followed by
 * the bytes, type 1 for stdout and 2 for stderr. Empty chunks give no
 * frame. Pure.
 */
export function muxFrame(stream: 'stdin' | 'stdout' | 'stderr', data: Buffer): Buffer {
  if (data.length === 0) return Buffer.alloc(0);
  const parts: Buffer[] = [];
  for (let at = 0; at < data.length; at += MAX_FRAME) {
    const piece = data.subarray(at, Math.min(data.length, at + MAX_FRAME));
    const header = Buffer.alloc(8);
    header[0] = STREAM_TYPE[stream];
    header.writeUInt32BE(piece.length, 4);
    parts.push(header, piece);
  }
  return Buffer.concat(parts);
}
