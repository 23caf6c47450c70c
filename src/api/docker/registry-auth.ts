import { invalidArgument } from '../../core/errors.ts';
import type { RegistryCredentials } from '../../core/registry.ts';

/**
 * Credentials from docker's auth JSON (the body of `/auth`, or the decoded
 * `X-Registry-Auth` header): `username`, `password`, `auth` (base64
 * `user:password`), `identitytoken`, `registrytoken`. Keys match without
 * regard to case, as docker's Go decoder does. Undefined when none is set.
 * `what` names the source in errors.
 */
export function credentialsFromAuthJson(value: unknown, what: string): RegistryCredentials | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw invalidArgument(`invalid ${what}: want a JSON object`);
  const fields: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === null || v === undefined) continue;
    if (typeof v !== 'string') throw invalidArgument(`invalid ${what}: field ${k} must be a string`);
    fields[k.toLowerCase()] = v;
  }
  let username = fields.username || undefined;
  let password = fields.password || undefined;
  if (fields.auth && !username && !password) {
    const decoded = Buffer.from(fields.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) throw invalidArgument(`invalid ${what}: field auth is not base64 of user:password`);
    username = decoded.slice(0, colon);
    password = decoded.slice(colon + 1);
  }
  const creds: RegistryCredentials = {
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    ...(fields.identitytoken ? { identityToken: fields.identitytoken } : {}),
    ...(fields.registrytoken ? { registryToken: fields.registrytoken } : {}),
  };
  return Object.keys(creds).length > 0 ? creds : undefined;
}

/**
 * Decodes an `X-Registry-Auth` header: base64url (or standard base64) of
 * the auth JSON. Absent or empty → undefined; anything undecodable is
 * InvalidArgument naming the header (docker silently drops it, which turns
 * a client bug into a confusing "unauthorized" later).
 */
export function decodeRegistryAuth(header: string | string[] | undefined): RegistryCredentials | undefined {
  const value = Array.isArray(header) ? header[header.length - 1] : header;
  if (value === undefined || value.trim() === '') return undefined;
  if (!/^[A-Za-z0-9+/_-]+=*$/.test(value.trim())) throw invalidArgument('invalid X-Registry-Auth header: not base64');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value.trim(), 'base64url').toString('utf8'));
  } catch {
    throw invalidArgument('invalid X-Registry-Auth header: not base64-encoded JSON');
  }
  return credentialsFromAuthJson(parsed, 'X-Registry-Auth header');
}

/**
 * The registry host a login's `serveraddress` names: scheme and path
 * dropped, Docker Hub's legacy addresses mapped to `docker.io`, empty meaning
 * Docker Hub. Pure.
 */
export function registryFromServerAddress(address: string | undefined): string {
  let a = (address ?? '').trim();
  if (a === '') return 'docker.io';
  a = a.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  const slash = a.indexOf('/');
  if (slash >= 0) a = a.slice(0, slash);
  a = a.toLowerCase();
  if (a === 'index.docker.io' || a === 'registry-1.docker.io' || a === 'registry.hub.docker.com') return 'docker.io';
  if (a === '') throw invalidArgument(`invalid serveraddress ${JSON.stringify(address)}`);
  return a;
}
