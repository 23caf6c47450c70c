import { timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { invalidArgument } from '../../core/errors.ts';

/** The cookie that carries the dashboard's token after the first visit with `?token=`. */
export const TOKEN_COOKIE = 'janus_dashboard';

/** Where the dashboard listens. */
export interface ListenAddress {
  /** An IP address (v6 without brackets). */
  host: string;
  port: number;
}

/**
 * `--dashboard ADDR`: `HOST:PORT` or `[V6]:PORT`, HOST an IP address (a name
 * could resolve to anything; binding must be deliberate). InvalidArgument
 * otherwise. Pure.
 */
export function parseListenAddress(text: string): ListenAddress {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)):(\d{1,5})$/.exec(text);
  const host = m?.[1] ?? m?.[2];
  const port = Number(m?.[3]);
  if (!m || !host || isIP(host) === 0 || !(port >= 1 && port <= 65535)) {
    throw invalidArgument(`invalid --dashboard ${JSON.stringify(text)}: want IP:PORT (for example 127.0.0.1:2380 or [::1]:2380), or off`);
  }
  return { host, port };
}

/** Whether `host` (an IP address or name) is this machine's loopback. Pure. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** `http://HOST:PORT` of an address (brackets around v6). Pure. */
export function originOf(address: ListenAddress): string {
  return `http://${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
}

/**
 * The Host header values a request may carry: for a loopback or specific
 * address, that address and (on loopback) `localhost`, so a page on another
 * name that resolves here (DNS rebinding) is refused; undefined (any) when
 * listening on every address, where the name a user types is not known. Pure.
 */
export function allowedHosts(address: ListenAddress): Set<string> | undefined {
  if (address.host === '0.0.0.0' || address.host === '::') return undefined;
  const hosts = new Set([new URL(originOf(address)).host]);
  if (isLoopback(address.host)) {
    hosts.add(`localhost:${address.port}`);
    hosts.add(`127.0.0.1:${address.port}`);
    hosts.add(`[::1]:${address.port}`);
  }
  return hosts;
}

/** What a request carries that access depends on. */
export interface AccessRequest {
  method: string;
  headers: Record<string, string | string[] | undefined>;
  /** A websocket upgrade (state-changing whatever its method: it drives a process). */
  upgrade?: boolean;
}

/** The verdict on a request: allowed, or refused with a status and a reason the page can show. */
export type AccessVerdict = { ok: true } | { ok: false; status: number; message: string };

function header(h: AccessRequest['headers'], name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The token from the cookie or an `Authorization: Bearer` header, or undefined. Pure. */
export function presentedToken(headers: AccessRequest['headers']): string | undefined {
  const auth = header(headers, 'authorization');
  if (auth?.startsWith('Bearer ')) return auth.slice('Bearer '.length).trim();
  const cookie = header(headers, 'cookie');
  if (!cookie) return undefined;
  for (const part of cookie.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === TOKEN_COOKIE) {
      // Any page on any 127.0.0.1 port can set this cookie (cookies are not kept apart by port): a malformed one is no token.
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** Constant-time comparison of a presented token with the real one. Pure. */
export function tokenMatches(presented: string | undefined, token: string): boolean {
  if (presented === undefined) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Decides whether a request for the dashboard's data or actions may go on:
 * the Host must be one the dashboard answers to, the token must come with
 * it (cookie or bearer), and anything that changes state — any method but
 * GET and HEAD, and every websocket — must come from the dashboard's own
 * origin (Origin equal to http://Host, and no cross-site Sec-Fetch-Site),
 * which a page elsewhere cannot forge. Pure.
 */
export function checkAccess(req: AccessRequest, options: { token: string; hosts: Set<string> | undefined }): AccessVerdict {
  const host = header(req.headers, 'host') ?? '';
  if (options.hosts && !options.hosts.has(host.toLowerCase())) {
    return { ok: false, status: 403, message: `this dashboard does not answer to the host name ${JSON.stringify(host)}` };
  }
  if (!tokenMatches(presentedToken(req.headers), options.token)) {
    return { ok: false, status: 401, message: 'the dashboard token is missing or wrong: open the link `janus dashboard` prints' };
  }
  const changes = req.upgrade || (req.method !== 'GET' && req.method !== 'HEAD');
  if (changes) {
    const origin = header(req.headers, 'origin');
    const site = header(req.headers, 'sec-fetch-site');
    if (origin !== `http://${host}` || (site !== undefined && site !== 'same-origin')) {
      return { ok: false, status: 403, message: `cross-origin request refused (Origin ${JSON.stringify(origin ?? '')})` };
    }
  }
  return { ok: true };
}
