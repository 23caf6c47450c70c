// A fake Docker API on a unix socket for the CLI's tests: it records what the
// CLI sends and answers what the test says, and runs the CLI against it.
import { createServer } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { runCli } from '../../src/cli/run-cli.ts';

/** Runs the CLI in-process (`runCli`) with `stdin` as its input and `env` as its environment; what it printed and its exit code. */
export async function captureCli(argv: string[], options: { stdin?: string; env: Record<string, string> }): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (b: Buffer) => { out += b.toString(); });
  stderr.on('data', (b: Buffer) => { err += b.toString(); });
  const input = Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)]);
  const code = await runCli(argv, { stdin: input, stdout, stderr, env: options.env });
  return { code, stdout: out, stderr: err };
}

/** One request the fake API received (the `/v1.50` prefix taken off the path). */
export interface SeenRequest { method: string; path: string; query: URLSearchParams; body: string }

/** A running fake API. `answer` may be replaced at any time; `seen` fills as requests come. */
export interface FakeApi {
  seen: SeenRequest[];
  answer: (s: SeenRequest) => { status: number; body?: unknown };
  /** Runs the CLI (`runCli`) against the fake with `stdin` as its input. */
  cli(argv: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }>;
  close(): Promise<void>;
}

/** Starts a fake API that answers `/_ping` (API 1.50) and 404 to everything else until told otherwise. */
export async function startFakeApi(): Promise<FakeApi> {
  const dir = await mkdtemp(join(tmpdir(), 'janus-fake-api-'));
  const socket = join(dir, 'daemon.sock');
  const api: FakeApi = {
    seen: [],
    answer: () => ({ status: 404, body: { message: 'page not found' } }),
    cli(argv, stdin) {
      return captureCli(argv, { ...(stdin === undefined ? {} : { stdin }), env: { JANUS_HOST: `unix://${socket}`, JANUS_CONFIG: join(dir, 'config') } });
    },
    async close() {
      await new Promise((r) => server.close(r));
      await rm(dir, { recursive: true, force: true });
    },
  };
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (req.url === '/_ping') {
      res.setHeader('API-Version', '1.50');
      res.end('OK');
      return;
    }
    const url = new URL(req.url ?? '/', 'http://daemon');
    const s = { method: req.method ?? '', path: url.pathname.replace(/^\/v1\.50/, ''), query: url.searchParams, body: Buffer.concat(chunks).toString('utf8') };
    api.seen.push(s);
    const { status, body } = api.answer(s);
    res.statusCode = status;
    res.setHeader('Content-Type', 'application/json');
    res.end(body === undefined ? undefined : JSON.stringify(body));
  });
  await new Promise<void>((r) => server.listen(socket, r));
  return api;
}
