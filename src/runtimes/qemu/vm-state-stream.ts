import { createReadStream, createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { internal } from '../../core/errors.ts';
import type { QmpClient } from './qmp-client.ts';

/**
 * Moving a VM's state (QEMU's migration stream) to and from files. The
 * stream goes over a unix socket: QEMU's seccomp sandbox forbids the
 * `exec:` transport and QEMU 7.2 has no `file:` one. `ignoreShared`
 * (QEMU's `x-ignore-shared`) leaves RAM that is a shared file out of the
 * stream; both ends must agree on it, as the stream's layout depends on it.
 */

/** Bytes per second: as fast as the socket takes it. */
const UNTHROTTLED = 64 * 1024 ** 3;

/** Polls `query-migrate` until the migration ended; throws unless it completed. */
async function migrationDone(qmp: QmpClient, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = await qmp.execute<{ status?: string; 'error-desc'?: string }>('query-migrate');
    if (r.status === 'completed') return;
    if (r.status === 'failed' || r.status === 'cancelled') throw internal(`the VM's migration ${r.status}${r['error-desc'] ? `: ${r['error-desc']}` : ''}`);
    if (Date.now() > until) throw internal(`the VM's migration did not finish within ${timeoutMs} ms (status ${r.status ?? 'none'})`);
    await new Promise((res) => setTimeout(res, 20));
  }
}

async function setIgnoreShared(qmp: QmpClient, on: boolean): Promise<void> {
  await qmp.execute('migrate-set-capabilities', { capabilities: [{ capability: 'x-ignore-shared', state: on }] });
}

/**
 * Saves the state of the stopped VM behind `qmp` into `file` through a
 * socket at `socketPath`. QEMU leaves the VM in `postmigrate` (its disks
 * handed over); `cont` takes them back and runs it again. On failure the
 * migration is cancelled and `file` removed.
 */
export async function saveVmState(qmp: QmpClient, file: string, socketPath: string, options: { ignoreShared: boolean; timeoutMs?: number }): Promise<void> {
  const server = createServer();
  try {
    await rm(socketPath, { force: true });
    const received = new Promise<void>((resolve, reject) => {
      server.once('connection', (sock) => { pipeline(sock, createWriteStream(file)).then(resolve, reject); });
      server.once('error', reject);
    });
    // A write error (a full disk) may come while the migration is still being awaited: it is awaited below, not lost.
    received.catch(() => {});
    await new Promise<void>((resolve, reject) => server.listen(socketPath, resolve).once('error', reject));
    await setIgnoreShared(qmp, options.ignoreShared);
    // QEMU throttles a migration to 128 MiB/s by default (it is meant to run beside a live guest); a stopped guest's
    // state going to a local file should go as fast as it can be written.
    await qmp.execute('migrate-set-parameters', { 'max-bandwidth': UNTHROTTLED });
    await qmp.execute('migrate', { uri: `unix:${socketPath}` });
    await migrationDone(qmp, options.timeoutMs ?? 60_000);
    await received;
  } catch (err) {
    await qmp.execute('migrate_cancel').catch(() => {});
    await rm(file, { force: true });
    throw err;
  } finally {
    server.close();
    await rm(socketPath, { force: true });
  }
}

/**
 * Loads `file` into a QEMU started with `-incoming defer`: asks it to
 * listen on `socketPath`, streams the state in, and waits until the guest
 * runs again (a state saved from a stopped guest arrives stopped: it is
 * continued).
 */
export async function loadVmState(qmp: QmpClient, file: string, socketPath: string, options: { ignoreShared: boolean; timeoutMs?: number }): Promise<void> {
  await rm(socketPath, { force: true });
  await setIgnoreShared(qmp, options.ignoreShared);
  await qmp.execute('migrate-incoming', { uri: `unix:${socketPath}` });
  for (let i = 0; i < 500 && !(await stat(socketPath).then(() => true, () => false)); i++) await new Promise((r) => setTimeout(r, 5));
  const sock = createConnection(socketPath);
  await new Promise<void>((resolve, reject) => { sock.once('connect', resolve); sock.once('error', reject); });
  // QEMU closes its end as soon as it has read the stream's end marker, which can be before this side's own end is
  // acknowledged ("Premature close", EPIPE): whether the load worked is QEMU's to say, below.
  await pipeline(createReadStream(file), sock).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ERR_STREAM_PREMATURE_CLOSE' && err.code !== 'EPIPE' && err.code !== 'ECONNRESET') throw err;
  });
  const until = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    const s = await qmp.execute<{ status: string }>('query-status');
    if (s.status === 'running') break;
    if (s.status === 'paused' || s.status === 'postmigrate') {
      await qmp.execute('cont');
      continue;
    }
    if (s.status === 'internal-error' || s.status === 'shutdown' || Date.now() > until) throw internal(`the VM did not resume from its saved state (status ${s.status})`);
    await new Promise((r) => setTimeout(r, 5));
  }
  await rm(socketPath, { force: true });
}
