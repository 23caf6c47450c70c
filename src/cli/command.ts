import type { DockerClient } from '../api/client/docker-client.ts';
import type { CommandSpec, ParsedArgs } from './args.ts';
import type { CredentialStore } from './credential-store.ts';
import type { SignalSource } from './signal-source.ts';

/** The process's streams and environment, injected so tests can run the CLI in-process. */
export interface CliIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream;
  env: Record<string, string | undefined>;
}

/** What a command runs with: the streams, the resolved global options, and lazily made services. */
export interface CliContext extends CliIo {
  /** The daemon address in use (`--host`, `JANUS_HOST`, or the default). */
  host: string;
  /** The CLI's config directory (`--config`, `JANUS_CONFIG`, or `~/.janus`). */
  configDir: string;
  /** The API client; made on first call, so commands that need no daemon never touch the socket. */
  client(): DockerClient;
  /** The stored registry credentials; its module is loaded on first call (only login, logout, pull and push need it). */
  credentials(): Promise<CredentialStore>;
  /** Aborted on SIGINT/SIGTERM (unless a command intercepts them through `signals`). */
  signal: AbortSignal;
  /** The process's signals, for commands that forward them to a container (absent in tests and embedders). */
  signals?: SignalSource;
}

/**
 * One CLI command: its spec (flags, arguments, help) and what it does. Each
 * lives in its own module under commands/, loaded only when invoked, so
 * start-up parses one command's code, not all of them. `run` throws
 * JanusErrors; the entry point prints them and picks the exit code.
 */
export interface Command {
  spec: CommandSpec;
  run(ctx: CliContext, args: ParsedArgs): Promise<void>;
}
