import { invalidArgument } from '../../core/errors.ts';
import type { ContainerService, ExecCreateRequest, ExecView } from '../../engine/container-service.ts';
import { ProcessStartError } from '../../runtimes/oci/process-start-error.ts';
import type { Logger } from '../../util/logger.ts';
import { compareApiVersions } from './api-version.ts';
import { streamMediaType, ttySize } from './container-routes.ts';
import { errorResponse } from './errors.ts';
import type { HijackedConnection } from './api-request.ts';
import type { Router } from './router.ts';
import { serveStreamSession } from './serve-stream-session.ts';
import { muxFrame } from './stream-frames.ts';
import { WireObject } from './wire-object.ts';

/** What the exec routes need. */
export interface ExecRoutesOptions {
  containers: ContainerService;
  logger: Logger;
}

/** `[height, width]` of ConsoleSize, or undefined when absent or all zero. */
function consoleSize(o: WireObject): { rows: number; cols: number } | undefined {
  const v = o.array('ConsoleSize');
  if (v === undefined) return undefined;
  if (v.length !== 2 || v.some((n) => typeof n !== 'number' || !Number.isInteger(n) || n < 0)) {
    throw invalidArgument(`invalid ${o.field('ConsoleSize')}: want [height, width] as two non-negative integers`);
  }
  const [rows, cols] = v as [number, number];
  return rows === 0 && cols === 0 ? undefined : { rows, cols };
}

/** The body of `POST /containers/{id}/exec` as the engine's request. Pure. */
export function parseExecCreate(body: unknown): ExecCreateRequest {
  const o = WireObject.from(body, '');
  if (!o) throw invalidArgument('POST /containers/{id}/exec needs a JSON body with Cmd');
  const cmd = o.strSlice('Cmd');
  if (!cmd || cmd.length === 0) throw invalidArgument('No exec command specified');
  const request: ExecCreateRequest = { cmd };
  const env = o.strings('Env');
  if (env && env.length > 0) request.env = env;
  const workingDir = o.string('WorkingDir');
  if (workingDir) request.workingDir = workingDir;
  const user = o.string('User');
  if (user) request.user = user;
  const detachKeys = o.string('DetachKeys');
  if (detachKeys) request.detachKeys = detachKeys;
  for (const [k, f] of [['Tty', 'tty'], ['AttachStdin', 'attachStdin'], ['AttachStdout', 'attachStdout'], ['AttachStderr', 'attachStderr'], ['Privileged', 'privileged']] as const) {
    const v = o.bool(k);
    if (v !== undefined) request[f] = v;
  }
  // The initial size is applied by exec start (which gets it again); Detach is a client-side choice.
  consoleSize(o);
  o.bool('Detach');
  // docker-py names the container in the body too (a field of docker's old ExecConfig).
  o.ignore('Container');
  o.rejectUnknown();
  return request;
}

/** `GET /exec/{id}/json` (docker's ExecInspect). */
export function execInspectWire(e: ExecView): Record<string, unknown> {
  const p = e.processConfig;
  return {
    ID: e.id,
    Running: e.running,
    ExitCode: e.exitCode ?? null,
    ProcessConfig: {
      tty: p.tty,
      entrypoint: p.entrypoint,
      arguments: p.arguments,
      privileged: p.privileged,
      ...(p.user ? { user: p.user } : {}),
    },
    OpenStdin: e.openStdin,
    OpenStderr: e.openStderr,
    OpenStdout: e.openStdout,
    CanRemove: e.canRemove,
    ContainerID: e.containerId,
    DetachKeys: e.detachKeys,
    Pid: e.pid,
  };
}

/** Adds docker's exec endpoints: create, start (hijacked), resize, inspect. */
export function registerExecRoutes(router: Router, options: ExecRoutesOptions): void {
  const { containers, logger } = options;

  router.add('POST', '/containers/{id}/exec', async (r) => {
    const request = parseExecCreate(await r.jsonBody());
    const id = await containers.execCreate(r.param('id'), request);
    r.send(201, { Id: id });
  });

  router.add('POST', '/exec/{id}/start', async (r) => {
    const body = WireObject.from(await r.jsonBody(), '') ?? WireObject.from({}, '')!;
    const detach = body.bool('Detach') ?? false;
    const tty = body.bool('Tty');
    let size = consoleSize(body);
    // dockerode sends its own options (hijack, stdin) in the body beside docker's; docker's decoder ignores them.
    body.ignore('hijack', 'stdin');
    body.rejectUnknown();
    // docker: no initial console size before API 1.42, nor without a TTY.
    if (compareApiVersions(r.apiVersion, '1.42') < 0) size = undefined;
    const execId = r.param('id');
    // Like dockerd, the connection is taken over just before the process starts (after the checks that answer
    // 404/409): output that came before the upgrade's response could reach the client in one read with its
    // headers, and docker-py reads the stream from under http.client's buffer, losing what that buffer took.
    const taken: { conn?: HijackedConnection } = {};
    const beforeStart = detach ? undefined : (withTty: boolean): void => { taken.conn = r.hijack(streamMediaType(withTty, r.apiVersion)); };
    let session;
    try {
      session = await containers.execStart(execId, { detach, ...(tty !== undefined ? { tty } : {}), signal: r.signal, ...(beforeStart ? { beforeStart } : {}) });
    } catch (err) {
      // docker starts the process after taking over the connection: a command that cannot run is told on the
      // stream's stdout and the exec records 126/127, which the docker CLI then reads as its own exit code
      // (an error status instead makes it say "unable to upgrade to tcp, received 400" and exit 1).
      if (detach || (!taken.conn && !(err instanceof ProcessStartError))) throw err;
      const withTty = tty ?? (await containers.execInspect(execId)).processConfig.tty;
      const conn = taken.conn ?? r.hijack(streamMediaType(withTty, r.apiVersion));
      if (!(err instanceof ProcessStartError)) logger.error('exec start failed after the upgrade', { exec: execId, error: err });
      const text = Buffer.from(`${(err as Error).message}\r\n`);
      conn.output.end(withTty ? text : muxFrame('stdout', text));
      return;
    }
    if (detach) {
      session.close();
      r.sendEmpty(200);
      return;
    }
    const conn = taken.conn ?? r.hijack(streamMediaType(session.tty, r.apiVersion));
    if (size && session.tty) {
      await containers.execResize(execId, size).catch((err: unknown) => logger.debug('initial exec resize failed', { exec: execId, error: err }));
    }
    // Without an upgrade there is no channel for stdin: the process reads end-of-file.
    if (!conn.input) session.stdin?.end();
    await serveStreamSession(session, conn, {
      multiplex: !session.tty,
      // docker: the end of the client's stdin closes the process's stdin, unless it has a TTY (then it detaches).
      onInputEnd: session.tty ? 'detach' : 'close-stdin',
      onError: (err) => {
        const { error, status } = errorResponse(err);
        logger[status >= 500 ? 'error' : 'info']('exec stream failed', { exec: execId, status, error });
      },
    });
  });

  router.add('POST', '/exec/{id}/resize', async (r) => {
    await containers.execResize(r.param('id'), ttySize(r));
    r.sendEmpty(200);
  });

  router.add('GET', '/exec/{id}/json', async (r) => {
    r.send(200, execInspectWire(await containers.execInspect(r.param('id'))));
  });
}
