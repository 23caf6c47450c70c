import { isIP } from 'node:net';

/*
 * The parts of the DNS wire format (RFC 1035 §4, EDNS0 of RFC 6891) that an
 * embedded name server needs: reading one query, building answers for the
 * names it knows, and the few header edits that let it relay an upstream's
 * answer byte for byte (compression pointers and all). Pure functions over
 * Buffers; nothing here does I/O.
 */

/** Record types the server looks at. */
export const DNS_TYPE = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28, OPT: 41, ANY: 255 } as const;
/** The Internet class. */
export const DNS_CLASS_IN = 1;
/** Response codes used here. */
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

/** A plain DNS message over UDP may not exceed this without EDNS0 (RFC 1035 §4.2.1). */
export const CLASSIC_UDP_SIZE = 512;
const HEADER = 12;
const MAX_NAME = 255;
const MAX_POINTER_JUMPS = 32;

const QR = 0x8000;
const AA = 0x0400;
const TC = 0x0200;
const RD = 0x0100;
const RA = 0x0080;
const CD = 0x0010;

/** The single question of a query. */
export interface DnsQuestion {
  /** The labels as sent (case kept, so answers echo a client's 0x20 case mixing). */
  labels: Buffer[];
  /** Lower-case, dot-joined, without the trailing dot: the form names are looked up by. */
  name: string;
  type: number;
  class: number;
}

/** A query as `parseQuery` read it. */
export interface DnsQuery {
  id: number;
  opcode: number;
  /** Recursion desired (echoed in the answer). */
  rd: boolean;
  /** Checking disabled (echoed in the answer). */
  cd: boolean;
  question: DnsQuestion;
  /** The largest UDP answer the client takes: its EDNS0 payload size, else 512. */
  maxUdpSize: number;
}

/** Why `parseQuery` could not give a query: not worth an answer (`drop`), or answered with `rcode` and no question. */
export type DnsQueryProblem = { drop: true } | { drop: false; id: number; opcode: number; rd: boolean; rcode: number };

/** One answer record to build: `A` (an IPv4 address) or `PTR` (a name). */
export type DnsAnswer = { type: 'A'; ip: string } | { type: 'PTR'; name: string };

class WireError extends Error {}

/** Reads a (possibly compressed) name at `offset`; returns its labels and the offset after it in the message. */
function readName(buf: Buffer, offset: number): { labels: Buffer[]; end: number } {
  const labels: Buffer[] = [];
  let pos = offset;
  let end = -1;
  let jumps = 0;
  let length = 1;
  for (;;) {
    if (pos >= buf.length) throw new WireError('name runs past the message');
    const len = buf[pos];
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= buf.length) throw new WireError('compression pointer runs past the message');
      if (++jumps > MAX_POINTER_JUMPS) throw new WireError('compression pointer loop');
      if (end < 0) end = pos + 2;
      pos = ((len & 0x3f) << 8) | buf[pos + 1];
      continue;
    }
    if ((len & 0xc0) !== 0) throw new WireError('unknown label type');
    if (len === 0) break;
    length += len + 1;
    if (length > MAX_NAME) throw new WireError('name longer than 255 bytes');
    if (pos + 1 + len > buf.length) throw new WireError('label runs past the message');
    labels.push(buf.subarray(pos + 1, pos + 1 + len));
    pos += 1 + len;
  }
  return { labels, end: end < 0 ? pos + 1 : end };
}

/** The lookup form of a name: labels lower-cased (ASCII only, as DNS compares), joined by dots. */
function lookupName(labels: readonly Buffer[]): string {
  return labels.map((l) => l.toString('latin1').replace(/[A-Z]/g, (c) => c.toLowerCase())).join('.');
}

/**
 * Reads a query: the header, exactly one question, and an EDNS0 OPT record
 * among the additional records if there is one (for the client's UDP
 * size). Returns a DnsQueryProblem for what must not be answered normally:
 * too short to carry an ID or a response (dropped, so two servers never
 * answer each other forever), or a query that is malformed (FORMERR), not
 * a standard query (NOTIMP) or carries other than one question (FORMERR).
 */
export function parseQuery(buf: Buffer): DnsQuery | DnsQueryProblem {
  if (buf.length < HEADER) return { drop: true };
  const id = buf.readUInt16BE(0);
  const flags = buf.readUInt16BE(2);
  if (flags & QR) return { drop: true };
  const opcode = (flags >> 11) & 0x0f;
  const rd = (flags & RD) !== 0;
  const problem = (rcode: number): DnsQueryProblem => ({ drop: false, id, opcode, rd, rcode });
  if (opcode !== 0) return problem(RCODE.NOTIMP);
  const qd = buf.readUInt16BE(4);
  if (qd !== 1) return problem(RCODE.FORMERR);
  try {
    const { labels, end } = readName(buf, HEADER);
    if (end + 4 > buf.length) throw new WireError('question runs past the message');
    const question: DnsQuestion = { labels, name: lookupName(labels), type: buf.readUInt16BE(end), class: buf.readUInt16BE(end + 2) };
    let pos = end + 4;
    let maxUdpSize = CLASSIC_UDP_SIZE;
    const records = buf.readUInt16BE(6) + buf.readUInt16BE(8) + buf.readUInt16BE(10);
    for (let i = 0; i < records; i++) {
      pos = readName(buf, pos).end;
      if (pos + 10 > buf.length) throw new WireError('record runs past the message');
      const type = buf.readUInt16BE(pos);
      const cls = buf.readUInt16BE(pos + 2);
      const rdlength = buf.readUInt16BE(pos + 8);
      pos += 10 + rdlength;
      if (pos > buf.length) throw new WireError('record data runs past the message');
      // OPT's class is the requester's UDP payload size; below 512 it means 512 (RFC 6891 §6.2.5).
      if (type === DNS_TYPE.OPT) maxUdpSize = Math.max(CLASSIC_UDP_SIZE, cls);
    }
    return { id, opcode, rd, cd: (flags & CD) !== 0, question, maxUdpSize };
  } catch (err) {
    if (err instanceof WireError) return problem(RCODE.FORMERR);
    throw err;
  }
}

/** True when `parseQuery`'s result is a query to answer. */
export function isQuery(q: DnsQuery | DnsQueryProblem): q is DnsQuery {
  return 'question' in q;
}

function encodeLabels(labels: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [];
  for (const l of labels) parts.push(Buffer.from([l.length]), l);
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

/** A dotted name (no trailing dot needed) in wire form. Throws on a label over 63 bytes or an empty label. */
export function encodeName(name: string): Buffer {
  const trimmed = name.replace(/\.$/, '');
  if (trimmed === '') return Buffer.from([0]);
  const labels = trimmed.split('.').map((l) => Buffer.from(l, 'latin1'));
  if (labels.some((l) => l.length === 0 || l.length > 63)) throw new RangeError(`not a DNS name: ${JSON.stringify(name)}`);
  const out = encodeLabels(labels);
  if (out.length > MAX_NAME) throw new RangeError(`DNS name longer than 255 bytes: ${JSON.stringify(name)}`);
  return out;
}

function header(id: number, flags: number, counts: [number, number, number, number]): Buffer {
  const h = Buffer.alloc(HEADER);
  h.writeUInt16BE(id, 0);
  h.writeUInt16BE(flags, 2);
  counts.forEach((c, i) => h.writeUInt16BE(c, 4 + 2 * i));
  return h;
}

function responseFlags(opcode: number, rd: boolean, cd: boolean, rcode: number, authoritative: boolean): number {
  return QR | (opcode << 11) | (authoritative ? AA : 0) | (rd ? RD : 0) | RA | (cd ? CD : 0) | (rcode & 0x0f);
}

/**
 * The answer to `query` from this server's own data: `rcode`, and
 * `answers` as records for the question's name (class IN, `ttl`
 * seconds). Authoritative when there are records or the rcode is NOERROR
 * (the name is ours). With `maxSize` (a UDP client's limit), records that
 * do not fit are left out and the TC bit is set, so the client asks again
 * over TCP.
 */
export function buildResponse(query: DnsQuery, options: { rcode: number; answers?: readonly DnsAnswer[]; ttl?: number; maxSize?: number }): Buffer {
  const q = query.question;
  const question = Buffer.concat([encodeLabels(q.labels), Buffer.alloc(4)]);
  question.writeUInt16BE(q.type, question.length - 4);
  question.writeUInt16BE(q.class, question.length - 2);
  const ttl = options.ttl ?? 600;
  const records: Buffer[] = [];
  for (const a of options.answers ?? []) {
    if (a.type === 'A' && isIP(a.ip) !== 4) throw new RangeError(`not an IPv4 address: ${a.ip}`);
    const rdata = a.type === 'A' ? Buffer.from(a.ip.split('.').map(Number)) : encodeName(a.name);
    const rr = Buffer.alloc(12);
    // A pointer to the question's name at offset 12: the name every answer is for.
    rr.writeUInt16BE(0xc000 | HEADER, 0);
    rr.writeUInt16BE(a.type === 'A' ? DNS_TYPE.A : DNS_TYPE.PTR, 2);
    rr.writeUInt16BE(DNS_CLASS_IN, 4);
    rr.writeUInt32BE(ttl, 6);
    rr.writeUInt16BE(rdata.length, 10);
    records.push(Buffer.concat([rr, rdata]));
  }
  let size = HEADER + question.length;
  let fit = 0;
  for (const r of records) {
    if (options.maxSize !== undefined && size + r.length > options.maxSize) break;
    size += r.length;
    fit++;
  }
  const truncated = fit < records.length;
  let flags = responseFlags(query.opcode, query.rd, query.cd, options.rcode, options.rcode === RCODE.NOERROR || records.length > 0);
  if (truncated) flags |= TC;
  return Buffer.concat([header(query.id, flags, [1, fit, 0, 0]), question, ...records.slice(0, fit)]);
}

/** The answer to a query `parseQuery` could not take (FORMERR, NOTIMP): a header alone, echoing the ID. */
export function buildProblemResponse(problem: Extract<DnsQueryProblem, { drop: false }>): Buffer {
  return header(problem.id, responseFlags(problem.opcode, problem.rd, false, problem.rcode, false), [0, 0, 0, 0]);
}

/** A copy of `message` with its ID replaced: how a relayed answer keeps everything else byte for byte. */
export function withId(message: Buffer, id: number): Buffer {
  const out = Buffer.from(message);
  out.writeUInt16BE(id & 0xffff, 0);
  return out;
}

/** The ID of a message of at least 2 bytes. */
export function messageId(message: Buffer): number {
  return message.readUInt16BE(0);
}

/** Whether a response has the TC (truncated) bit set. */
export function isTruncated(message: Buffer): boolean {
  return message.length >= HEADER && (message.readUInt16BE(2) & TC) !== 0;
}

/** The RCODE of a message's header. */
export function responseCode(message: Buffer): number {
  return message.readUInt16BE(2) & 0x0f;
}

/** The question section's bytes (header excluded), names lower-cased; undefined when it cannot be read. */
function questionKey(message: Buffer): string | undefined {
  if (message.length < HEADER || message.readUInt16BE(4) !== 1) return undefined;
  try {
    const { labels, end } = readName(message, HEADER);
    if (end + 4 > message.length) return undefined;
    return `${lookupName(labels)}/${message.readUInt16BE(end)}/${message.readUInt16BE(end + 2)}`;
  } catch (err) {
    if (err instanceof WireError) return undefined;
    throw err;
  }
}

/**
 * Whether `response` answers `query`: a response (QR set) with the same ID
 * and the same question (names compared case-insensitively, as resolvers
 * may change case). Anything else arriving on a forwarding socket is
 * ignored, so a stray or spoofed datagram cannot become the answer.
 */
export function answers(query: Buffer, response: Buffer): boolean {
  if (response.length < HEADER || query.length < HEADER) return false;
  if ((response.readUInt16BE(2) & QR) === 0 || response.readUInt16BE(0) !== query.readUInt16BE(0)) return false;
  const q = questionKey(query);
  return q !== undefined && q === questionKey(response);
}

/** The IPv4 address a PTR name (`4.3.2.1.in-addr.arpa`) stands for, or undefined for any other name. */
export function reverseIpv4(name: string): string | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.in-addr\.arpa$/.exec(name);
  if (!m) return undefined;
  const ip = [m[4], m[3], m[2], m[1]].join('.');
  return isIP(ip) === 4 ? ip : undefined;
}

/**
 * A standard query for `name` and `type` (class IN), as a stub resolver
 * sends it: RD set, and an EDNS0 OPT record when `udpSize` is given. For
 * tests and probes.
 */
export function buildQuery(id: number, name: string, type: number, options: { udpSize?: number } = {}): Buffer {
  const q = Buffer.concat([encodeName(name), Buffer.alloc(4)]);
  q.writeUInt16BE(type, q.length - 4);
  q.writeUInt16BE(DNS_CLASS_IN, q.length - 2);
  const parts = [header(id, RD, [1, 0, 0, options.udpSize === undefined ? 0 : 1]), q];
  if (options.udpSize !== undefined) {
    const opt = Buffer.alloc(11);
    opt.writeUInt16BE(DNS_TYPE.OPT, 1);
    opt.writeUInt16BE(options.udpSize, 3);
    parts.push(opt);
  }
  return Buffer.concat(parts);
}

/** One resource record of a response, as `parseResponse` reads it (for tests and probes). */
export interface DnsRecord {
  name: string;
  type: number;
  ttl: number;
  /** A: the address; PTR/CNAME/NS: the name (lower-cased); other types: the raw data in hex. */
  data: string;
}

/** Reads a response's header flags and answer records, following compression pointers. For tests and probes. */
export function parseResponse(buf: Buffer): { id: number; rcode: number; truncated: boolean; authoritative: boolean; answers: DnsRecord[] } {
  if (buf.length < HEADER) throw new RangeError('DNS message shorter than its header');
  const flags = buf.readUInt16BE(2);
  let pos = HEADER;
  for (let i = 0; i < buf.readUInt16BE(4); i++) pos = readName(buf, pos).end + 4;
  const out: DnsRecord[] = [];
  for (let i = 0; i < buf.readUInt16BE(6); i++) {
    const { labels, end } = readName(buf, pos);
    const type = buf.readUInt16BE(end);
    const ttl = buf.readUInt32BE(end + 4);
    const len = buf.readUInt16BE(end + 8);
    const rdata = buf.subarray(end + 10, end + 10 + len);
    let data: string;
    if (type === DNS_TYPE.A && len === 4) data = [...rdata].join('.');
    else if (type === DNS_TYPE.PTR || type === DNS_TYPE.CNAME || type === DNS_TYPE.NS) data = lookupName(readName(buf, end + 10).labels);
    else data = rdata.toString('hex');
    out.push({ name: lookupName(labels), type, ttl, data });
    pos = end + 10 + len;
  }
  return { id: buf.readUInt16BE(0), rcode: flags & 0x0f, truncated: (flags & TC) !== 0, authoritative: (flags & AA) !== 0, answers: out };
}
