import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { promisify } from 'node:util';
import { isJanusError } from '../../core/errors.ts';
import { buildQuery, DNS_TYPE, isQuery, parseQuery, parseResponse, RCODE, withId, buildResponse } from './dns-message.ts';
import { EmbeddedNameServer } from './embedded-name-server.ts';

/*
 * Everything runs in this process on loopback addresses (127.0.0.x, high
 * ports): the server under test, a fake upstream resolver, and the clients.
 * Nothing leaves the machine.
 */

type Handler = (query: Buffer, transport: 'udp' | 'tcp') => Buffer | undefined;

/** A resolver on 127.0.0.1 with one port for UDP and TCP, answering through `handler` (undefined: silence). */
class FakeUpstream {
  handler: Handler = () => undefined;
  readonly seen: { transport: 'udp' | 'tcp'; name: string }[] = [];
  udp!: UdpSocket;
  tcp!: Server;
  port = 0;

  async start(): Promise<this> {
    for (;;) {
      this.udp = createSocket('udp4');
      await new Promise<void>((resolve) => this.udp.bind(0, '127.0.0.1', resolve));
      this.port = this.udp.address().port;
      this.tcp = createServer();
      const ok = await new Promise<boolean>((resolve) => {
        this.tcp.once('error', () => resolve(false));
        this.tcp.listen(this.port, '127.0.0.1', () => resolve(true));
      });
      if (ok) break;
      this.udp.close();
    }
    this.udp.on('message', (msg, rinfo) => {
      const reply = this.#reply(msg, 'udp');
      if (reply) this.udp.send(reply, rinfo.port, rinfo.address);
    });
    this.tcp.on('connection', (s) => {
      let buf = Buffer.alloc(0);
      s.on('error', () => {});
      s.on('data', (c: Buffer) => {
        buf = Buffer.concat([buf, c]);
        if (buf.length < 2 || buf.length < 2 + buf.readUInt16BE(0)) return;
        const reply = this.#reply(buf.subarray(2, 2 + buf.readUInt16BE(0)), 'tcp');
        if (!reply) return;
        const len = Buffer.alloc(2);
        len.writeUInt16BE(reply.length);
        s.end(Buffer.concat([len, reply]));
      });
    });
    return this;
  }

  #reply(msg: Buffer, transport: 'udp' | 'tcp'): Buffer | undefined {
    const q = parseQuery(msg);
    if (isQuery(q)) this.seen.push({ transport, name: q.question.name });
    return this.handler(msg, transport);
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    this.udp.close();
    await new Promise<void>((resolve) => this.tcp.close(() => resolve()));
  }
}

/** An upstream answer to `query` with a CNAME into the question (a compression pointer) and an A record. */
function upstreamAnswer(query: Buffer, options: { rcode?: number; truncated?: boolean; padding?: number } = {}): Buffer {
  const q = parseQuery(query);
  assert.ok(isQuery(q));
  const qEnd = 12 + q.question.labels.reduce((n, l) => n + l.length + 1, 1) + 4;
  const head = Buffer.from(query.subarray(0, 12));
  head.writeUInt16BE(0x8180 | (options.truncated ? 0x0200 : 0) | (options.rcode ?? 0), 2);
  head.writeUInt16BE(options.rcode ? 0 : 2, 6);
  head.writeUInt16BE(0, 10);
  if (options.rcode) return Buffer.concat([head, query.subarray(12, qEnd)]);
  const cname = Buffer.concat([Buffer.from([0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 8, 5]), Buffer.from('alias'), Buffer.from([0xc0, 12])]);
  const a = Buffer.from([0xc0, qEnd + 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 7]);
  const pad = options.padding ? Buffer.from([0xc0, 12, 0, 16, 0, 1, 0, 0, 0, 60, options.padding >> 8, options.padding & 0xff, ...Buffer.alloc(options.padding)]) : Buffer.alloc(0);
  if (options.padding) head.writeUInt16BE(3, 6);
  return Buffer.concat([head, query.subarray(12, qEnd), cname, a, pad]);
}

function udpAsk(address: string, port: number, query: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.on('error', reject);
    s.on('message', (m) => {
      s.close();
      resolve(m);
    });
    s.send(query, port, address);
  });
}

function tcpAsk(address: string, port: number, queries: Buffer[]): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: address, port });
    const out: Buffer[] = [];
    let buf = Buffer.alloc(0);
    s.on('error', reject);
    s.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        out.push(Buffer.from(buf.subarray(2, 2 + buf.readUInt16BE(0))));
        buf = buf.subarray(2 + buf.readUInt16BE(0));
      }
      if (out.length === queries.length) {
        s.destroy();
        resolve(out);
      }
    });
    // Both queries in one write: pipelined, as RFC 7766 lets clients send them.
    s.write(Buffer.concat(queries.map((q) => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(q.length);
      return Buffer.concat([len, q]);
    })));
  });
}

let nextHost = 2 + (process.pid % 200);

/** A server on a fresh 127.0.0.x and a high port, retried when the port happens to be taken. */
async function startServer(upstreams: string[], networkId = 'net1'): Promise<{ server: EmbeddedNameServer; address: string; port: number }> {
  for (let attempt = 0; ; attempt++) {
    const address = `127.0.0.${(nextHost++ % 250) + 2}`;
    const port = 20000 + Math.floor(Math.random() * 30000);
    const server = new EmbeddedNameServer({ upstreams, port, upstreamTimeoutMs: 300 });
    try {
      await server.serve(networkId, address);
      return { server, address, port };
    } catch (err) {
      await server.close();
      if (attempt > 20 || !isJanusError(err, 'Unavailable')) throw err;
    }
  }
}

test('known names answer A records (case-insensitive, trailing dot or not); AAAA and other types answer NOERROR without records', async (t) => {
  const upstream = await new FakeUpstream().start();
  const { server, address, port } = await startServer([upstream.address]);
  t.after(async () => { await server.close(); await upstream.close(); });
  server.setNames('net1', new Map([['web', ['172.18.0.2']], ['api', ['172.18.0.3', '172.18.0.4']], ['web-alias', ['172.18.0.2']]]));

  const a = parseResponse(await udpAsk(address, port, buildQuery(11, 'WEB.', DNS_TYPE.A)));
  assert.equal(a.id, 11);
  assert.equal(a.rcode, RCODE.NOERROR);
  assert.deepEqual(a.answers.map((r) => r.data), ['172.18.0.2']);
  assert.deepEqual(parseResponse(await udpAsk(address, port, buildQuery(12, 'api', DNS_TYPE.A))).answers.map((r) => r.data), ['172.18.0.3', '172.18.0.4']);

  const aaaa = parseResponse(await udpAsk(address, port, buildQuery(13, 'web', DNS_TYPE.AAAA)));
  assert.equal(aaaa.rcode, RCODE.NOERROR);
  assert.deepEqual(aaaa.answers, []);

  const ptr = parseResponse(await udpAsk(address, port, buildQuery(14, '2.0.18.172.in-addr.arpa', DNS_TYPE.PTR)));
  assert.deepEqual(ptr.answers.map((r) => r.data), ['web'], 'the first name given for the address');

  // setNames replaces: a container gone no longer resolves locally (the upstream is asked and is silent).
  server.setNames('net1', new Map([['api', ['172.18.0.3']]]));
  assert.equal(parseResponse(await udpAsk(address, port, buildQuery(15, 'web', DNS_TYPE.A))).rcode, RCODE.SERVFAIL);
  assert.deepEqual(upstream.seen, [{ transport: 'udp', name: 'web' }]);
  assert.equal(upstream.seen.length, 1, 'known names never went upstream');
});

test('other names go upstream and come back byte for byte with the client\'s ID; TCP clients too', async (t) => {
  const upstream = await new FakeUpstream().start();
  const { server, address, port } = await startServer([upstream.address]);
  t.after(async () => { await server.close(); await upstream.close(); });
  let sent: Buffer | undefined;
  upstream.handler = (q) => (sent = upstreamAnswer(q));

  const query = buildQuery(0x4242, 'www.example.org', DNS_TYPE.A, { udpSize: 1232 });
  const reply = await udpAsk(address, port, query);
  assert.ok(sent);
  assert.equal(reply.readUInt16BE(0), 0x4242);
  assert.deepEqual(reply, withId(sent, 0x4242), 'the upstream answer, pointers and all');
  assert.deepEqual(parseResponse(reply).answers.map((r) => r.data), ['alias.www.example.org', '192.0.2.7']);

  server.setNames('net1', new Map([['db', ['172.18.0.9']]]));
  const [r1, r2] = await tcpAsk(address, port, [buildQuery(1, 'db', DNS_TYPE.A), buildQuery(2, 'www.example.org', DNS_TYPE.A)]);
  const byId = new Map([r1, r2].map((r) => [r.readUInt16BE(0), parseResponse(r)]));
  assert.deepEqual(byId.get(1)?.answers.map((r) => r.data), ['172.18.0.9']);
  assert.deepEqual(byId.get(2)?.answers.map((r) => r.data), ['alias.www.example.org', '192.0.2.7']);
  assert.deepEqual(upstream.seen.map((s) => s.transport), ['udp', 'tcp'], 'a TCP client is forwarded over TCP');
});

test('a truncated upstream answer is fetched again over TCP; one too big for the client stays truncated', async (t) => {
  const upstream = await new FakeUpstream().start();
  const { server, address, port } = await startServer([upstream.address]);
  t.after(async () => { await server.close(); await upstream.close(); });
  upstream.handler = (q, transport) => (transport === 'udp' ? upstreamAnswer(q, { truncated: true }) : upstreamAnswer(q, { padding: 600 }));

  const fits = parseResponse(await udpAsk(address, port, buildQuery(5, 'big.example', DNS_TYPE.A, { udpSize: 1232 })));
  assert.equal(fits.truncated, false);
  assert.equal(fits.answers.length, 3);

  const tooBig = parseResponse(await udpAsk(address, port, buildQuery(6, 'big.example', DNS_TYPE.A)));
  assert.equal(tooBig.truncated, true, 'the client (512 bytes) is told to ask over TCP');
  assert.deepEqual(upstream.seen.map((s) => s.transport), ['udp', 'tcp', 'udp', 'tcp']);
});

test('SERVFAIL when no upstream answers; an upstream\'s SERVFAIL or REFUSED passes the question to the next', async (t) => {
  const silent = await new FakeUpstream().start();
  const failing = await new FakeUpstream().start();
  const good = await new FakeUpstream().start();
  failing.handler = (q) => upstreamAnswer(q, { rcode: RCODE.REFUSED });
  good.handler = (q) => upstreamAnswer(q);
  const { server, address, port } = await startServer([silent.address, failing.address, good.address]);
  const lonely = await startServer([silent.address], 'net2');
  const none = await startServer([], 'net3');
  t.after(async () => {
    await Promise.all([server.close(), lonely.server.close(), none.server.close()]);
    await Promise.all([silent.close(), failing.close(), good.close()]);
  });

  assert.deepEqual(parseResponse(await udpAsk(address, port, buildQuery(1, 'x.example', DNS_TYPE.A))).answers.map((r) => r.data), ['alias.x.example', '192.0.2.7']);
  assert.equal(silent.seen.length + failing.seen.length + good.seen.length, 3);

  const dead = parseResponse(await udpAsk(lonely.address, lonely.port, buildQuery(2, 'x.example', DNS_TYPE.A)));
  assert.equal(dead.id, 2);
  assert.equal(dead.rcode, RCODE.SERVFAIL);
  assert.equal(parseResponse(await udpAsk(none.address, none.port, buildQuery(3, 'x.example', DNS_TYPE.A))).rcode, RCODE.SERVFAIL);

  // Every upstream refusing: the refusal is relayed rather than a made-up SERVFAIL.
  good.handler = (q) => upstreamAnswer(q, { rcode: RCODE.REFUSED });
  assert.equal(parseResponse(await udpAsk(address, port, buildQuery(4, 'y.example', DNS_TYPE.A))).rcode, RCODE.REFUSED);
});

test('malformed queries get FORMERR, other opcodes NOTIMP, responses nothing', async (t) => {
  const { server, address, port } = await startServer([]);
  t.after(() => server.close());
  const two = buildQuery(21, 'a', DNS_TYPE.A);
  two.writeUInt16BE(2, 4);
  const formerr = await udpAsk(address, port, two);
  assert.equal(formerr.readUInt16BE(0), 21);
  assert.equal(parseResponse(formerr).rcode, RCODE.FORMERR);
  const notify = buildQuery(22, 'a', DNS_TYPE.A);
  notify.writeUInt16BE(notify.readUInt16BE(2) | (4 << 11), 2);
  assert.equal(parseResponse(await udpAsk(address, port, notify)).rcode, RCODE.NOTIMP);
  // A response sent to the server is ignored; the next query is still answered.
  const q = parseQuery(buildQuery(23, 'a', DNS_TYPE.A));
  assert.ok(isQuery(q));
  const s = createSocket('udp4');
  s.send(buildResponse(q, { rcode: RCODE.NOERROR }), port, address, () => s.close());
  assert.equal(parseResponse(await udpAsk(address, port, buildQuery(24, 'a', DNS_TYPE.A))).id, 24);
});

test('serve is idempotent, a taken port is Unavailable, stop frees the port and close stops every network', async (t) => {
  const { server, address, port } = await startServer([]);
  t.after(() => server.close());
  await server.serve('net1', address);
  const other = new EmbeddedNameServer({ upstreams: [], port });
  await assert.rejects(other.serve('netX', address), (err: unknown) => isJanusError(err, 'Unavailable') && /netX/.test(err.message) && err.message.includes(`${address}:${port}`));
  await server.stop('net1');
  await server.stop('unknown');
  await other.serve('netX', address);
  server.setNames('netX', new Map([['a', ['10.0.0.1']]]));
  other.setNames('netX', new Map([['b', ['10.0.0.2']]]));
  assert.deepEqual(parseResponse(await udpAsk(address, port, buildQuery(1, 'b', DNS_TYPE.A))).answers.map((r) => r.data), ['10.0.0.2']);
  await other.close();
  await server.serve('net1', address);
  await server.close();
  await other.serve('netX', address);
  await other.close();
  assert.throws(() => new EmbeddedNameServer({ upstreams: ['not-an-ip'] }), RangeError);
});

test('busybox nslookup resolves a container name and an upstream name through the server', { skip: existsSync('/usr/bin/busybox') ? false : 'needs /usr/bin/busybox (busybox-static, installed by scripts/setup)' }, async (t) => {
  const upstream = await new FakeUpstream().start();
  upstream.handler = (q) => {
    const p = parseQuery(q);
    return upstreamAnswer(q, isQuery(p) && p.question.name === 'nothing.invalid' ? { rcode: RCODE.NXDOMAIN } : {});
  };
  const { server, address, port } = await startServer([upstream.address]);
  t.after(async () => { await server.close(); await upstream.close(); });
  server.setNames('net1', new Map([['web', ['172.18.0.2']]]));
  const run = promisify(execFile);
  // Without -type busybox asks A and AAAA: the empty AAAA answer must not hide the A record.
  const local = await run('/usr/bin/busybox', ['nslookup', 'Web', `${address}:${port}`]);
  assert.match(local.stdout, /Name:\s+web\nAddress: 172\.18\.0\.2/i);
  const remote = await run('/usr/bin/busybox', ['nslookup', '-type=a', 'www.example.org', `${address}:${port}`]);
  assert.match(remote.stdout, /192\.0\.2\.7/);
  const missing = await run('/usr/bin/busybox', ['nslookup', '-type=a', 'nothing.invalid', `${address}:${port}`]).then(() => undefined, (e: { stdout: string }) => e);
  assert.match(missing?.stdout ?? '', /can't find nothing\.invalid: NXDOMAIN/i);
});
