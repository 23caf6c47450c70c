/** One entry of an initramfs. */
export type NewcEntry =
  | { type: 'dir'; path: string; mode?: number }
  | { type: 'file'; path: string; data: Uint8Array; mode?: number }
  | { type: 'char'; path: string; major: number; minor: number; mode?: number };

/**
 * Writes a cpio archive in the `newc` format the Linux kernel unpacks as an
 * initramfs. Entries are written in order (parents before children), owned
 * by root, with mtime 0 so the same inputs give the same bytes (the
 * initramfs cache is keyed by content). Paths are relative (`init`,
 * `lib/modules/x.ko`), as the kernel expects.
 */
export function writeNewcArchive(entries: readonly NewcEntry[]): Buffer {
  const parts: Buffer[] = [];
  let ino = 1;
  const push = (name: string, mode: number, data: Uint8Array, rdev: { major: number; minor: number } = { major: 0, minor: 0 }, nlink = 1): void => {
    const nameBytes = Buffer.from(`${name}\0`, 'utf8');
    const fields = [ino++, mode, 0, 0, nlink, 0, data.length, 0, 0, rdev.major, rdev.minor, nameBytes.length, 0];
    parts.push(Buffer.from(`070701${fields.map((f) => f.toString(16).padStart(8, '0')).join('')}`, 'ascii'));
    parts.push(nameBytes, pad(110 + nameBytes.length));
    parts.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength), pad(data.length));
  };
  for (const e of entries) {
    const path = e.path.replace(/^\/+/, '');
    if (path === '' || path.split('/').includes('..')) throw new Error(`invalid initramfs path ${JSON.stringify(e.path)}`);
    if (e.type === 'dir') push(path, 0o040000 | (e.mode ?? 0o755), new Uint8Array(0), undefined, 2);
    else if (e.type === 'file') push(path, 0o100000 | (e.mode ?? 0o644), e.data);
    else push(path, 0o020000 | (e.mode ?? 0o600), new Uint8Array(0), { major: e.major, minor: e.minor });
  }
  push('TRAILER!!!', 0, new Uint8Array(0), undefined, 1);
  return Buffer.concat(parts);
}

function pad(length: number): Buffer {
  return Buffer.alloc((4 - (length % 4)) % 4);
}
