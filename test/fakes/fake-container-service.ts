import { randomBytes } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { conflict, invalidArgument, notFound } from '../../src/core/errors.ts';
import type { Digest } from '../../src/core/digest.ts';
import type {
  AttachOptions, ChangeEntry, ContainerCreateRequest, ContainerFilters, ContainerService, ContainerStatsSample, ContainerStatus,
  ContainerView, ExecCreateRequest, ExecView, LogEntry, LogsOptions, PathStat, ResourceUpdate, StreamSession,
} from '../../src/engine/container-service.ts';
import { matchesContainerFilters } from '../../src/engine/container-filters.ts';

/** One recorded call of the fake. */
export interface FakeContainerCall {
  method: keyof ContainerService;
  args: unknown[];
}

type Chunk = { stream: 'stdout' | 'stderr'; data: Buffer };

/** An async queue of chunks: pushed by a "process", read by sessions and followers. */
class ChunkQueue implements AsyncIterable<Chunk> {
  readonly #items: Chunk[] = [];
  #ended = false;
  #wake: (() => void) | undefined;

  push(c: Chunk): void {
    if (this.#ended) return;
    this.#items.push(c);
    this.#wake?.();
  }

  end(): void {
    this.#ended = true;
    this.#wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Chunk> {
    for (;;) {
      const next = this.#items.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.#ended) return;
      await new Promise<void>((resolve) => { this.#wake = resolve; });
      this.#wake = undefined;
    }
  }
}

function ended(): ChunkQueue {
  const q = new ChunkQueue();
  q.end();
  return q;
}

/**
 * Pretend processes, chosen by the command: `echo ARGS…` prints its
 * arguments and exits 0; `echo-err ARGS…` prints them on stderr; `exit N`
 * exits N; `cat` copies stdin to stdout until stdin ends, then exits 0;
 * anything else (`sh`, `sleep`, `top`) runs until stopped or killed.
 */
interface FakeContainer {
  view: ContainerView;
  log: LogEntry[];
  /** Listeners for new log entries and for the end of the current run. */
  followers: Set<(e: LogEntry | undefined) => void>;
  /** The main process's stdin (containers with OpenStdin): what attach sessions write, kept until a process reads it. */
  stdin?: PassThrough;
  /** Resolvers of next-exit and removed waits. */
  exitWaiters: ((code: number) => void)[];
  removeWaiters: ((code: number) => void)[];
  resizes: { rows: number; cols: number }[];
}

interface FakeExec {
  id: string;
  containerId: string;
  request: ExecCreateRequest;
  started: boolean;
  running: boolean;
  exitCode?: number;
  resizes: { rows: number; cols: number }[];
}

const ZERO_DIGEST = `sha256:${'1'.repeat(64)}` as Digest;

/**
 * An in-memory ContainerService for API tests: containers run pretend
 * processes (see FakeProcess), logs are kept in memory, exec and attach
 * sessions stream what those processes write, and every call is recorded
 * with its arguments. Images named `nosuch…` do not exist. A test may
 * replace any method (`fake.stats = async () => { throw … }`). Not for
 * production use.
 */
export class FakeContainerService implements ContainerService {
  readonly calls: FakeContainerCall[] = [];
  readonly containers = new Map<string, FakeContainer>();
  readonly execs = new Map<string, FakeExec>();
  /** Files `statPath`/`getArchive` know, by path (any container). */
  readonly files = new Map<string, PathStat>([['/etc/hostname', { name: 'hostname', size: 13, mode: 0o644, mtime: new Date('2024-01-02T03:04:05.5Z'), linkTarget: '' }]]);
  /** What `putArchive` received, by `id:path`. */
  readonly archives = new Map<string, Buffer>();
  #pid = 1000;
  #clock = Date.parse('2024-01-01T00:00:00Z');

  #call(method: keyof ContainerService, ...args: unknown[]): void {
    this.calls.push({ method, args });
  }

  /** Finds a container by full ID, unique ID prefix or name (with or without a slash). */
  record(ref: string): FakeContainer {
    const name = ref.replace(/^\//, '');
    const byName = [...this.containers.values()].find((r) => r.view.name === name);
    if (byName) return byName;
    const exact = this.containers.get(ref);
    if (exact) return exact;
    const prefixed = ref.length > 0 ? [...this.containers.values()].filter((r) => r.view.id.startsWith(ref)) : [];
    if (prefixed.length > 1) throw invalidArgument(`multiple IDs found with provided prefix: ${ref}`);
    if (prefixed.length === 1) return prefixed[0];
    throw notFound(`No such container: ${ref}`);
  }

  /** Appends output of a container's main process to its log (and to followers). */
  emit(ref: string, stream: 'stdout' | 'stderr', text: string | Buffer): void {
    const rec = this.record(ref);
    const t = new Date(this.#clock += 1000);
    // conmon's layout: nanoseconds and a zone offset.
    const entry: LogEntry = { stream, timestamp: `${t.toISOString().slice(0, 19)}.123456789+00:00`, data: Buffer.from(text) };
    rec.log.push(entry);
    for (const f of rec.followers) f(entry);
  }

  async create(request: ContainerCreateRequest): Promise<{ id: string; warnings: string[] }> {
    this.#call('create', request);
    if (request.image.startsWith('nosuch')) throw notFound(`No such image: ${request.image}`);
    const id = randomBytes(32).toString('hex');
    const name = request.name ?? `fake_${id.slice(0, 6)}`;
    if ([...this.containers.values()].some((r) => r.view.name === name)) {
      throw conflict(`Conflict. The container name "/${name}" is already in use by container "${this.record(name).view.id}". You have to remove (or rename) that container to be able to reuse that name.`);
    }
    const run = request.run;
    const entrypoint = run.entrypoint && run.entrypoint.length > 0 && run.entrypoint[0] !== '' ? run.entrypoint : null;
    const cmd = run.cmd && run.cmd.length > 0 ? run.cmd : entrypoint ? [] : ['sh'];
    const argv = [...(entrypoint ?? []), ...cmd];
    const view: ContainerView = {
      id,
      name,
      created: new Date(this.#clock += 1000),
      image: request.image,
      imageId: ZERO_DIGEST,
      path: argv[0] ?? '',
      args: argv.slice(1),
      config: {
        hostname: run.hostname ?? id.slice(0, 12),
        domainname: run.domainname ?? '',
        user: run.user ?? '',
        env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', ...(run.env ?? [])],
        cmd,
        entrypoint,
        workingDir: run.workingDir ?? '',
        labels: run.labels ?? {},
        tty: !!run.tty,
        openStdin: !!run.openStdin,
        stdinOnce: !!request.stdinOnce,
        attachStdin: !!request.attachStdin,
        attachStdout: request.attachStdout ?? true,
        attachStderr: request.attachStderr ?? true,
        stopSignal: run.stopSignal ?? 'SIGTERM',
        ...(run.stopTimeout !== undefined ? { stopTimeout: run.stopTimeout } : {}),
        exposedPorts: request.exposedPorts ?? [],
        volumes: (request.volumes ?? []).filter((v) => !v.name).map((v) => v.destination),
        ...(request.healthcheck ? { healthcheck: request.healthcheck } : {}),
      },
      request,
      state: { status: 'created', running: false, paused: false, restarting: false, oomKilled: false, dead: false, pid: 0, exitCode: 0, error: '' },
      restartCount: 0,
      // The fake has no advisor: `auto` is recorded as the container level it would run at here.
      isolation: request.isolation === 'auto' || request.isolation === undefined ? 'container' : request.isolation,
      ...(request.isolation === 'auto' ? { isolationChoice: { requested: 'auto' as const, level: 'container' as const, reasons: [], unevaluated: ['the fake container service has no advisor'] } } : {}),
      runtime: request.runtime ?? 'runc',
      restartPolicy: request.restartPolicy ?? { name: 'no', maximumRetryCount: 0 },
      autoRemove: !!request.autoRemove,
      logConfig: { type: request.logConfig?.type ?? 'json-file', maxSize: request.logConfig?.maxSize ?? 0, maxFiles: request.logConfig?.maxFiles ?? 1 },
      logPath: `/fake/containers/${id}/container.log`,
      hostnamePath: `/fake/containers/${id}/hostname`,
      hostsPath: `/fake/containers/${id}/hosts`,
      resolvConfPath: `/fake/containers/${id}/resolv.conf`,
      mounts: [
        ...(request.volumes ?? []).map((v) => ({ type: 'volume' as const, name: v.name ?? randomBytes(32).toString('hex'), source: `/fake/volumes/${v.name ?? 'anon'}/_data`, destination: v.destination, driver: 'local', mode: v.readOnly ? 'ro' : '', rw: !v.readOnly, propagation: '' })),
        ...(run.mounts ?? []).map((m) => ({ type: m.type, source: m.source, destination: m.destination, mode: m.readOnly ? 'ro' : '', rw: !m.readOnly, propagation: m.type === 'bind' ? (m.propagation ?? 'rprivate') : '' })),
      ],
      graphDriver: { name: 'overlay2', data: { UpperDir: `/fake/overlay/${id}/fs`, WorkDir: `/fake/overlay/${id}/work` } },
      networkMode: request.network ? (request.network.mode === 'container' ? `container:${request.network.container}` : request.network.mode === 'network' ? request.network.name : request.network.mode) : 'none',
      networks: {},
      ports: {},
      sandboxKey: '',
      warnings: [],
      execIds: [],
    };
    this.containers.set(id, { view, log: [], followers: new Set(), exitWaiters: [], removeWaiters: [], resizes: [], ...(run.openStdin ? { stdin: new PassThrough() } : {}) });
    return { id, warnings: [] };
  }

  #setStatus(rec: FakeContainer, status: ContainerStatus): void {
    const s = rec.view.state;
    s.status = status;
    s.running = status === 'running' || status === 'paused';
    s.paused = status === 'paused';
    s.restarting = status === 'restarting';
    s.dead = status === 'dead';
  }

  /** Ends the current run with `code` (as if the main process exited). */
  exit(ref: string, code: number): void {
    const rec = this.record(ref);
    if (!rec.view.state.running) return;
    this.#setStatus(rec, 'exited');
    rec.view.state.exitCode = code;
    rec.view.state.pid = 0;
    rec.view.state.finishedAt = new Date(this.#clock += 1000);
    for (const f of rec.followers) f(undefined);
    for (const w of rec.exitWaiters.splice(0)) w(code);
    if (rec.view.autoRemove) this.#removeNow(rec);
  }

  #removeNow(rec: FakeContainer): void {
    this.containers.delete(rec.view.id);
    for (const w of rec.removeWaiters.splice(0)) w(rec.view.state.exitCode);
  }

  async start(ref: string): Promise<{ started: boolean }> {
    this.#call('start', ref);
    const rec = this.record(ref);
    const s = rec.view.state;
    if (s.status === 'running') return { started: false };
    if (s.status === 'paused') throw conflict(`cannot start a paused container ${rec.view.name}, try unpause instead`);
    this.#setStatus(rec, 'running');
    s.pid = ++this.#pid;
    s.exitCode = 0;
    s.startedAt = new Date(this.#clock += 1000);
    delete s.finishedAt;
    const [prog, ...args] = [rec.view.path, ...rec.view.args];
    // Pretend processes: they act on the next turn, as a real one would after start returns.
    setImmediate(() => {
      if (!rec.view.state.running) return;
      if (prog === 'echo') {
        this.emit(rec.view.id, 'stdout', `${args.join(' ')}\n`);
        this.exit(rec.view.id, 0);
      } else if (prog === 'echo-err') {
        this.emit(rec.view.id, 'stderr', `${args.join(' ')}\n`);
        this.exit(rec.view.id, 0);
      } else if (prog === 'exit') {
        this.exit(rec.view.id, Number(args[0] ?? 0));
      } else if (prog === 'cat') {
        if (!rec.stdin) return this.exit(rec.view.id, 0);
        rec.stdin.on('data', (c: Buffer) => this.emit(rec.view.id, 'stdout', c));
        rec.stdin.on('end', () => this.exit(rec.view.id, 0));
      }
    });
    return { started: true };
  }

  async stop(ref: string, options: { timeout?: number; signal?: string } = {}): Promise<{ stopped: boolean }> {
    this.#call('stop', ref, options);
    const rec = this.record(ref);
    if (!rec.view.state.running) return { stopped: false };
    this.exit(rec.view.id, 143);
    return { stopped: true };
  }

  async restart(ref: string, options: { timeout?: number; signal?: string } = {}): Promise<void> {
    this.#call('restart', ref, options);
    const rec = this.record(ref);
    this.exit(rec.view.id, 143);
    rec.view.restartCount++;
    await this.start(rec.view.id);
  }

  async kill(ref: string, signal?: string): Promise<void> {
    this.#call('kill', ref, signal);
    const rec = this.record(ref);
    if (!rec.view.state.running) throw conflict(`Container ${rec.view.id} is not running`);
    this.exit(rec.view.id, 137);
  }

  async remove(ref: string, options: { force?: boolean; volumes?: boolean } = {}): Promise<void> {
    this.#call('remove', ref, options);
    const rec = this.record(ref);
    if (rec.view.state.running && !options.force) {
      throw conflict(`You cannot remove a running container ${rec.view.id}. Stop the container before attempting removal or force remove`);
    }
    if (rec.view.state.running) this.exit(rec.view.id, 137);
    if (this.containers.has(rec.view.id)) this.#removeNow(rec);
  }

  async wait(ref: string, options: { condition?: 'not-running' | 'next-exit' | 'removed'; signal?: AbortSignal } = {}): Promise<{ statusCode: number; error?: string }> {
    this.#call('wait', ref, { condition: options.condition });
    const rec = this.record(ref);
    const condition = options.condition ?? 'not-running';
    if (condition === 'not-running' && !rec.view.state.running) return { statusCode: rec.view.state.exitCode };
    return new Promise((resolve, reject) => {
      const list = condition === 'removed' ? rec.removeWaiters : rec.exitWaiters;
      const waiter = (code: number) => resolve({ statusCode: code });
      list.push(waiter);
      options.signal?.addEventListener('abort', () => {
        const i = list.indexOf(waiter);
        if (i >= 0) list.splice(i, 1);
        reject(options.signal?.reason);
      }, { once: true });
    });
  }

  async pause(ref: string): Promise<void> {
    this.#call('pause', ref);
    const rec = this.record(ref);
    if (rec.view.state.status !== 'running') throw conflict(`Container ${rec.view.id} is not running`);
    this.#setStatus(rec, 'paused');
  }

  async unpause(ref: string): Promise<void> {
    this.#call('unpause', ref);
    const rec = this.record(ref);
    if (rec.view.state.status !== 'paused') throw conflict(`Container ${rec.view.id} is not paused`);
    this.#setStatus(rec, 'running');
  }

  async rename(ref: string, name: string): Promise<void> {
    this.#call('rename', ref, name);
    const rec = this.record(ref);
    const clean = name.replace(/^\//, '');
    if ([...this.containers.values()].some((r) => r !== rec && r.view.name === clean)) throw conflict(`Conflict. The container name "/${clean}" is already in use`);
    rec.view.name = clean;
  }

  async list(options: { all?: boolean; limit?: number; size?: boolean; filters?: ContainerFilters } = {}): Promise<ContainerView[]> {
    this.#call('list', options);
    let views = [...this.containers.values()].map((r) => r.view).sort((a, b) => b.created.getTime() - a.created.getTime());
    const all = options.all || (options.limit ?? 0) > 0;
    if (!all) views = views.filter((v) => v.state.running);
    views = views.filter((v) => matchesContainerFilters(v, options.filters ?? {}));
    if ((options.limit ?? 0) > 0) views = views.slice(0, options.limit);
    return views.map((v) => (options.size ? { ...v, sizeRw: 12, sizeRootFs: 4_261_562 } : { ...v }));
  }

  async inspect(ref: string, options: { size?: boolean } = {}): Promise<ContainerView> {
    this.#call('inspect', ref, options);
    const rec = this.record(ref);
    const execIds = [...this.execs.values()].filter((e) => e.containerId === rec.view.id).map((e) => e.id);
    return { ...rec.view, execIds, ...(options.size ? { sizeRw: 12, sizeRootFs: 4_261_562 } : {}) };
  }

  logs(ref: string, options: LogsOptions = {}): AsyncIterable<LogEntry> {
    this.#call('logs', ref, options);
    const rec = this.record(ref);
    if (rec.view.logConfig.type === 'none') throw invalidArgument(`configured logging driver does not support reading: container ${rec.view.name} logs with driver "none"`);
    const want = (e: LogEntry) => (e.stream === 'stdout' ? options.stdout !== false : options.stderr !== false);
    const past = rec.log.filter(want);
    const backlog = options.tail !== undefined ? past.slice(Math.max(0, past.length - options.tail)) : past;
    const follow = !!options.follow && rec.view.state.running;
    return (async function* () {
      yield* backlog;
      if (!follow) return;
      const queue: (LogEntry | undefined)[] = [];
      let wake: (() => void) | undefined;
      const listener = (e: LogEntry | undefined) => { queue.push(e); wake?.(); };
      rec.followers.add(listener);
      const onAbort = () => { queue.push(undefined); wake?.(); };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      try {
        for (;;) {
          if (queue.length === 0) await new Promise<void>((resolve) => { wake = resolve; });
          const e = queue.shift();
          if (e === undefined) {
            if (queue.length === 0) return;
            continue;
          }
          if (want(e)) yield e;
        }
      } finally {
        rec.followers.delete(listener);
        options.signal?.removeEventListener('abort', onAbort);
      }
    })();
  }

  async attach(ref: string, options: AttachOptions = {}): Promise<StreamSession> {
    this.#call('attach', ref, { ...options, signal: undefined });
    const rec = this.record(ref);
    const out = new ChunkQueue();
    const want = (s: 'stdout' | 'stderr') => (s === 'stdout' ? !!options.stdout : !!options.stderr && !rec.view.config.tty);
    if (options.logs) for (const e of rec.log) if (want(e.stream)) out.push({ stream: e.stream, data: e.data });
    let listener: ((e: LogEntry | undefined) => void) | undefined;
    if (options.stream) {
      listener = (e) => {
        if (e === undefined) out.end();
        else if (want(e.stream)) out.push({ stream: rec.view.config.tty ? 'stdout' : e.stream, data: e.data });
      };
      rec.followers.add(listener);
    } else {
      out.end();
    }
    let stdin: PassThrough | undefined;
    if (options.stdin && rec.view.config.openStdin) {
      stdin = new PassThrough();
      stdin.on('data', (c: Buffer) => rec.stdin?.write(c));
      stdin.on('end', () => rec.stdin?.end());
    }
    const session: StreamSession = {
      tty: rec.view.config.tty,
      output: out,
      ...(stdin ? { stdin } : {}),
      close: () => {
        if (listener) rec.followers.delete(listener);
        out.end();
        stdin?.destroy();
      },
    };
    return session;
  }

  async resize(ref: string, size: { rows: number; cols: number }): Promise<void> {
    this.#call('resize', ref, size);
    const rec = this.record(ref);
    if (!rec.view.state.running) throw conflict(`Container ${rec.view.id} is not running`);
    if (!rec.view.config.tty) throw conflict(`container ${rec.view.name} has no TTY to resize`);
    rec.resizes.push(size);
  }

  async execCreate(ref: string, request: ExecCreateRequest): Promise<string> {
    this.#call('execCreate', ref, request);
    const rec = this.record(ref);
    if (rec.view.state.status !== 'running') throw conflict(`Container ${rec.view.id} is not running`);
    const id = randomBytes(32).toString('hex');
    this.execs.set(id, { id, containerId: rec.view.id, request, started: false, running: false, resizes: [] });
    return id;
  }

  async execStart(execId: string, options: { detach?: boolean; tty?: boolean; signal?: AbortSignal; beforeStart?: (tty: boolean) => void } = {}): Promise<StreamSession> {
    this.#call('execStart', execId, { detach: options.detach, tty: options.tty });
    const e = this.execs.get(execId);
    if (!e) throw notFound(`No such exec instance: ${execId}`);
    if (e.started) throw conflict(`exec ${execId} has already been started`);
    const rec = this.record(e.containerId);
    if (!rec.view.state.running) throw conflict(`Container ${rec.view.id} is not running`);
    e.started = true;
    e.running = true;
    const tty = options.tty ?? !!e.request.tty;
    options.beforeStart?.(tty);
    const out = new ChunkQueue();
    const finish = (code: number) => {
      e.running = false;
      e.exitCode = code;
      out.end();
    };
    const [prog, ...args] = e.request.cmd;
    const send = (stream: 'stdout' | 'stderr', text: string | Buffer) => {
      if (options.detach) return;
      if (stream === 'stdout' ? e.request.attachStdout !== false : e.request.attachStderr !== false) out.push({ stream: tty ? 'stdout' : stream, data: Buffer.from(text) });
    };
    let stdin: PassThrough | undefined;
    if (e.request.attachStdin && !options.detach) stdin = new PassThrough();
    setImmediate(() => {
      if (prog === 'echo') {
        send('stdout', `${args.join(' ')}\n`);
        finish(0);
      } else if (prog === 'echo-err') {
        send('stderr', `${args.join(' ')}\n`);
        finish(0);
      } else if (prog === 'exit') {
        finish(Number(args[0] ?? 0));
      } else if (prog === 'cat') {
        if (!stdin) return finish(0);
        stdin.on('data', (c: Buffer) => send('stdout', c));
        stdin.on('end', () => finish(0));
        stdin.on('close', () => { if (e.running) finish(0); });
      }
      // Anything else runs until the container stops.
    });
    return {
      tty,
      output: options.detach ? ended() : out,
      ...(stdin ? { stdin } : {}),
      close: () => {
        out.end();
        stdin?.destroy();
      },
    };
  }

  async execInspect(execId: string): Promise<ExecView> {
    this.#call('execInspect', execId);
    const e = this.execs.get(execId);
    if (!e) throw notFound(`No such exec instance: ${execId}`);
    return {
      id: e.id,
      containerId: e.containerId,
      running: e.running,
      ...(e.exitCode !== undefined ? { exitCode: e.exitCode } : {}),
      pid: e.running ? 4242 : 0,
      openStdin: !!e.request.attachStdin,
      openStdout: e.request.attachStdout !== false,
      openStderr: e.request.attachStderr !== false,
      canRemove: false,
      detachKeys: e.request.detachKeys ?? '',
      processConfig: {
        tty: !!e.request.tty,
        entrypoint: e.request.cmd[0],
        arguments: e.request.cmd.slice(1),
        privileged: !!e.request.privileged,
        user: e.request.user ?? '',
        workingDir: e.request.workingDir ?? '',
        env: e.request.env ?? [],
      },
    };
  }

  async execResize(execId: string, size: { rows: number; cols: number }): Promise<void> {
    this.#call('execResize', execId, size);
    const e = this.execs.get(execId);
    if (!e) throw notFound(`No such exec instance: ${execId}`);
    if (!e.running) throw conflict(`exec ${execId} is not running`);
    e.resizes.push(size);
  }

  async top(ref: string, psArgs?: string): Promise<{ titles: string[]; processes: string[][] }> {
    this.#call('top', ref, psArgs);
    const rec = this.record(ref);
    if (!rec.view.state.running) throw conflict(`Container ${rec.view.id} is not running`);
    return { titles: ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD'], processes: [['root', String(rec.view.state.pid), '1', '0', '10:00', '?', '00:00:00', [rec.view.path, ...rec.view.args].join(' ')]] };
  }

  #statsCount = 0;

  async stats(ref: string): Promise<ContainerStatsSample> {
    this.#call('stats', ref);
    const rec = this.record(ref);
    if (!rec.view.state.running) throw conflict(`Container ${rec.view.id} is not running`);
    const n = ++this.#statsCount;
    return {
      read: new Date(Date.parse('2024-01-01T00:00:00Z') + n * 1000),
      cpuUsageNanos: BigInt(n) * 500_000_000n,
      systemCpuUsageNanos: BigInt(n) * 2_000_000_000n,
      onlineCpus: 2,
      memoryUsageBytes: 10_000_000,
      memoryLimitBytes: 100_000_000,
      // cgroup v2's names (a v1 host's would be total_inactive_file and friends).
      memoryStat: { anon: 8_000_000, file: 2_000_000, active_file: 1_000_000, inactive_file: 1_000_000 },
      pids: 3,
      blkioReadBytes: 4096,
      blkioWriteBytes: 8192,
      netRxBytes: 0,
      netTxBytes: 0,
    };
  }

  async changes(ref: string): Promise<ChangeEntry[]> {
    this.#call('changes', ref);
    this.record(ref);
    return [{ path: '/tmp', kind: 0 }, { path: '/tmp/new', kind: 1 }, { path: '/etc/motd', kind: 2 }];
  }

  async commit(ref: string, options: { reference?: string; message?: string; author?: string; changes?: string[]; pause?: boolean } = {}): Promise<{ id: Digest }> {
    this.#call('commit', ref, options);
    this.record(ref);
    return { id: `sha256:${'c'.repeat(64)}` as Digest };
  }

  async statPath(ref: string, path: string): Promise<PathStat> {
    this.#call('statPath', ref, path);
    this.record(ref);
    const s = this.files.get(path);
    if (!s) throw notFound(`Could not find the file ${path} in container ${ref}`);
    return s;
  }

  async getArchive(ref: string, path: string): Promise<{ stat: PathStat; archive: Readable }> {
    this.#call('getArchive', ref, path);
    const stat = await this.statPath(ref, path);
    return { stat, archive: Readable.from([Buffer.from(`fake tar of ${path}`)]) };
  }

  async putArchive(ref: string, path: string, archive: Readable, options: { noOverwriteDirNonDir?: boolean; copyUidGid?: boolean } = {}): Promise<void> {
    this.#call('putArchive', ref, path, { noOverwriteDirNonDir: options.noOverwriteDirNonDir, copyUidGid: options.copyUidGid });
    const rec = this.record(ref);
    const chunks: Buffer[] = [];
    for await (const c of archive) chunks.push(Buffer.from(c as Buffer));
    this.archives.set(`${rec.view.id}:${path}`, Buffer.concat(chunks));
  }

  async export(ref: string): Promise<Readable> {
    this.#call('export', ref);
    this.record(ref);
    return Readable.from([Buffer.from('fake rootfs tar')]);
  }

  async update(ref: string, update: ResourceUpdate): Promise<{ warnings: string[] }> {
    this.#call('update', ref, update);
    const rec = this.record(ref);
    if (update.restartPolicy) rec.view.restartPolicy = update.restartPolicy;
    return { warnings: [] };
  }

  async prune(options: { filters?: ContainerFilters } = {}): Promise<{ deleted: string[]; spaceReclaimed: number }> {
    this.#call('prune', options);
    const deleted: string[] = [];
    for (const rec of [...this.containers.values()]) {
      if (rec.view.state.running) continue;
      if (!matchesContainerFilters(rec.view, options.filters ?? {})) continue;
      this.#removeNow(rec);
      deleted.push(rec.view.id);
    }
    return { deleted, spaceReclaimed: deleted.length * 12 };
  }
}
