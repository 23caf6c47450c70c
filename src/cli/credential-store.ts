import { chmod, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { JanusError } from '../core/errors.ts';
import { writeFileAtomic } from '../util/atomic-file.ts';
import type { AuthConfig } from '../api/client/types.ts';
import { DOCKER_HUB_AUTH_KEY } from './image-name.ts';

interface ConfigFile {
  auths?: Record<string, { auth?: string; identitytoken?: string; [key: string]: unknown }>;
  [key: string]: unknown;
}

/**
 * Registry credentials in docker's `config.json` format, in the CLI's config
 * directory (`--config`, else `$JANUS_CONFIG`, else `~/.janus`):
 * `{"auths": {"127.0.0.1:5000": {"auth": base64("user:pass")}}}`. Other keys
 * of the file are kept. Every write replaces the file atomically with mode
 * 0600 (the directory is created 0700), so a crash never leaves a torn file
 * and other users never read the secrets.
 */
export class CredentialStore {
  /** The config.json path. */
  readonly path: string;
  readonly #dir: string;

  constructor(options: { configDir: string }) {
    this.path = join(options.configDir, 'config.json');
    this.#dir = options.configDir;
  }

  /** The credentials stored for `serverKey` (a registry host or docker's Hub URL), or undefined. */
  async get(serverKey: string): Promise<AuthConfig | undefined> {
    const config = await this.#read();
    const entry = config.auths?.[serverKey] ?? (serverKey === DOCKER_HUB_AUTH_KEY ? undefined : config.auths?.[`https://${serverKey}`]);
    if (!entry) return undefined;
    if (entry.identitytoken) return { identitytoken: entry.identitytoken, serveraddress: serverKey };
    if (!entry.auth) return undefined;
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new JanusError('InvalidArgument', `${this.path}: the stored credentials for ${serverKey} are malformed; run janus logout ${serverKey}`);
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), serveraddress: serverKey };
  }

  /** Stores credentials for `serverKey`: an identity token when the registry issued one, else user and password. */
  async set(serverKey: string, creds: { username: string; password?: string; identitytoken?: string }): Promise<void> {
    const config = await this.#read();
    config.auths ??= {};
    config.auths[serverKey] = creds.identitytoken
      ? { auth: Buffer.from(`${creds.username}:`).toString('base64'), identitytoken: creds.identitytoken }
      : { auth: Buffer.from(`${creds.username}:${creds.password ?? ''}`).toString('base64') };
    await this.#write(config);
  }

  /** Removes the credentials for `serverKey`; false when there were none. */
  async erase(serverKey: string): Promise<boolean> {
    const config = await this.#read();
    if (!config.auths?.[serverKey]) return false;
    delete config.auths[serverKey];
    await this.#write(config);
    return true;
  }

  async #read(): Promise<ConfigFile> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new JanusError('Unavailable', `cannot read ${this.path}: ${(err as Error).message}`, { cause: err });
    }
    try {
      const parsed = JSON.parse(text) as unknown;
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object');
      return parsed as ConfigFile;
    } catch (err) {
      throw new JanusError('InvalidArgument', `${this.path} is not valid JSON: ${(err as Error).message}`, { cause: err });
    }
  }

  async #write(config: ConfigFile): Promise<void> {
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(this.path, `${JSON.stringify(config, null, '\t')}\n`, { mode: 0o600 });
    // The umask may have narrowed the mode further; make it exactly 0600.
    await chmod(this.path, 0o600);
  }
}
