import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  answers, buildProblemResponse, buildQuery, buildResponse, DNS_TYPE, encodeName, isQuery, isTruncated, parseQuery, parseResponse,
  RCODE, responseCode, reverseIpv4, withId, type DnsQuery,
} from './dns-message.ts';

function query(buf: Buffer): DnsQuery {
  const q = parseQuery(buf);
  assert.ok(isQuery(q), 'a query');
  return q;
}

test('a stub resolver\'s query reads back: ID, name lower-cased without the dot, type, UDP size from EDNS0', () => {
  const q = query(buildQuery(0x1234, 'Web.Example.', DNS_TYPE.AAAA));
  assert.equal(q.id, 0x1234);
  assert.equal(q.question.name, 'web.example');
  assert.equal(q.question.type, DNS_TYPE.AAAA);
  assert.equal(q.rd, true);
  assert.equal(q.maxUdpSize, 512);
  assert.equal(query(buildQuery(1, 'a', DNS_TYPE.A, { udpSize: 1232 })).maxUdpSize, 1232);
  // An OPT asking for less than 512 still gets 512 (RFC 6891).
  assert.equal(query(buildQuery(1, 'a', DNS_TYPE.A, { udpSize: 100 })).maxUdpSize, 512);
});

test('answers echo the question as sent (case kept) and point their names at it', () => {
  const q = query(buildQuery(7, 'DB', DNS_TYPE.A));
  const res = buildResponse(q, { rcode: RCODE.NOERROR, answers: [{ type: 'A', ip: '172.18.0.2' }, { type: 'A', ip: '172.18.0.3' }], ttl: 600 });
  assert.equal(res.subarray(13, 15).toString(), 'DB');
  const r = parseResponse(res);
  assert.equal(r.id, 7);
  assert.equal(r.rcode, RCODE.NOERROR);
  assert.equal(r.authoritative, true);
  assert.equal(r.truncated, false);
  assert.deepEqual(r.answers, [
    { name: 'db', type: DNS_TYPE.A, ttl: 600, data: '172.18.0.2' },
    { name: 'db', type: DNS_TYPE.A, ttl: 600, data: '172.18.0.3' },
  ]);
  // RD echoed, RA set, QR set.
  assert.equal(res.readUInt16BE(2) & 0x8180, 0x8180);

  const ptr = query(buildQuery(8, '2.0.18.172.in-addr.arpa', DNS_TYPE.PTR));
  const p = parseResponse(buildResponse(ptr, { rcode: RCODE.NOERROR, answers: [{ type: 'PTR', name: 'web' }] }));
  assert.deepEqual(p.answers.map((a) => [a.type, a.data]), [[DNS_TYPE.PTR, 'web']]);
});

test('records that do not fit a UDP client are left out and TC is set', () => {
  const q = query(buildQuery(9, 'many', DNS_TYPE.A));
  const ips = Array.from({ length: 40 }, (_, i) => ({ type: 'A' as const, ip: `10.0.0.${i + 1}` }));
  const res = buildResponse(q, { rcode: RCODE.NOERROR, answers: ips, maxSize: 512 });
  assert.ok(res.length <= 512);
  assert.equal(isTruncated(res), true);
  assert.ok(parseResponse(res).answers.length < 40);
  assert.equal(parseResponse(buildResponse(q, { rcode: RCODE.NOERROR, answers: ips })).answers.length, 40);
});

test('what is not a single standard query: dropped, FORMERR or NOTIMP', () => {
  assert.deepEqual(parseQuery(Buffer.alloc(5)), { drop: true });
  const response = buildResponse(query(buildQuery(1, 'a', DNS_TYPE.A)), { rcode: RCODE.NOERROR });
  assert.deepEqual(parseQuery(response), { drop: true }, 'a response is never answered');

  const two = buildQuery(2, 'a', DNS_TYPE.A);
  two.writeUInt16BE(2, 4);
  assert.deepEqual(parseQuery(two), { drop: false, id: 2, opcode: 0, rd: true, rcode: RCODE.FORMERR });

  const status = buildQuery(3, 'a', DNS_TYPE.A);
  status.writeUInt16BE(status.readUInt16BE(2) | (2 << 11), 2);
  const p = parseQuery(status);
  assert.ok(!isQuery(p) && !p.drop);
  assert.equal(p.rcode, RCODE.NOTIMP);
  const reply = buildProblemResponse(p);
  assert.equal(reply.length, 12);
  assert.equal(reply.readUInt16BE(0), 3);
  assert.equal(responseCode(reply), RCODE.NOTIMP);

  const loop = Buffer.concat([buildQuery(4, 'a', DNS_TYPE.A).subarray(0, 12), Buffer.from([0xc0, 12, 0, 1, 0, 1])]);
  assert.equal((parseQuery(loop) as { rcode: number }).rcode, RCODE.FORMERR, 'a pointer loop');
  const cut = buildQuery(5, 'example', DNS_TYPE.A).subarray(0, 16);
  assert.equal((parseQuery(cut) as { rcode: number }).rcode, RCODE.FORMERR, 'a name running past the end');
});

test('a relayed answer keeps every byte but the ID, compression pointers included', () => {
  const q = buildQuery(0xbeef, 'www.example.org', DNS_TYPE.A);
  // An upstream answer: CNAME www → web (pointer into the question), then A for web.
  const cname = Buffer.concat([Buffer.from([0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 6, 3]), Buffer.from('web'), Buffer.from([0xc0, 16])]);
  const webAt = 12 + encodeName('www.example.org').length + 4 + 12;
  const a = Buffer.from([0xc0, webAt, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1]);
  const head = Buffer.from(q.subarray(0, 12));
  head.writeUInt16BE(0x8180, 2);
  head.writeUInt16BE(2, 6);
  const upstream = Buffer.concat([head, q.subarray(12), cname, a]);
  assert.equal(answers(q, upstream), true);
  const relayed = withId(upstream, 0x0102);
  assert.equal(relayed.readUInt16BE(0), 0x0102);
  assert.deepEqual(relayed.subarray(2), upstream.subarray(2));
  assert.deepEqual(parseResponse(relayed).answers.map((r) => [r.name, r.data]), [['www.example.org', 'web.example.org'], ['web.example.org', '192.0.2.1']]);

  assert.equal(answers(q, withId(upstream, 1)), false, 'another ID');
  assert.equal(answers(q, q), false, 'not a response');
  const otherName = Buffer.concat([head, buildQuery(0xbeef, 'www.example.net', DNS_TYPE.A).subarray(12)]);
  assert.equal(answers(q, otherName), false, 'another question');
  const upper = Buffer.concat([head, buildQuery(0xbeef, 'WWW.example.ORG', DNS_TYPE.A).subarray(12)]);
  assert.equal(answers(q, upper), true, 'case changed by the resolver');
});

test('PTR names of IPv4 addresses', () => {
  assert.equal(reverseIpv4('4.3.2.1.in-addr.arpa'), '1.2.3.4');
  assert.equal(reverseIpv4('256.3.2.1.in-addr.arpa'), undefined);
  assert.equal(reverseIpv4('3.2.1.in-addr.arpa'), undefined);
  assert.equal(reverseIpv4('web'), undefined);
});

test('names: labels over 63 bytes are refused', () => {
  assert.throws(() => encodeName(`${'a'.repeat(64)}.b`), RangeError);
  assert.deepEqual(encodeName('.'), Buffer.from([0]));
});
