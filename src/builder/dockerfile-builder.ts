import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { Digest } from '../core/digest.ts';
import { asJanusError, invalidArgument, isJanusError, notFound, notImplemented } from '../core/errors.ts';
import type { ContainerDefaults, Platform } from '../core/oci.ts';
import type { Mount, Snapshotter } from '../core/snapshotter.ts';
import type { BuildNetwork, BuildOutput, BuildRequest, BuildResult, BuildService } from '../engine/build-service.ts';
import { RunStepFailed } from '../engine/build-service.ts';
import type { ContainerFiles } from '../engine/container-files.ts';
import type { ContainerService, NetworkModeRequest } from '../engine/container-service.ts';
import type { ImageService } from '../engine/image-service.ts';
import { ScopedRoot } from '../engine/container-archive-root.ts';
import { unpackInto } from '../engine/container-archive-unpack.ts';
import { detectCompression } from '../images/archive/sniff-compression.ts';
import { formatPlatform, hostPlatform, normalizePlatform, parsePlatform } from '../registry/platform.ts';
import { familiarName, parseReference } from '../registry/reference.ts';
import { resolveUser } from '../runtimes/oci/spec/resolve-user.ts';
import type { Exec } from '../util/exec.ts';
import type { Logger } from '../util/logger.ts';
import { stepCacheKey } from './cache-key.ts';
import { copyArchive, planCopy, type CopyEntry, type CopySource } from './copy-plan.ts';
import { DockerIgnore } from '../util/dockerignore.ts';
import { parseDockerfileStages, type Dockerfile, type Instruction, type Stage } from './dockerfile.ts';
import { processWord, expandVariables } from '../images/dockerfile-words.ts';
import { peekStream } from '../util/peek-stream.ts';
import { ContextTree, EMPTY_TREE, ImageTree, resolveInTree, type SourceTree } from './source-tree.ts';
import { applyConfigInstruction, commandArgs, DEFAULT_SHELL, isConfigInstruction, variablesOf, type StageFlags } from './stage-config.ts';

/** Build args docker accepts without an ARG (proxies); they reach RUN but never the history. */
const PREDEFINED_ARGS = new Set(['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy']);
/** The snapshot label the snapshotter's start-up cleanup removes unfinished work by. */
const TEMPORARY_LABEL = 'janus.temporary';
/** The label of RUN containers, by which a restarted daemon finds those a crash left. */
const BUILD_LABEL = 'org.janus.build';
/** Largest Dockerfile read. */
const MAX_DOCKERFILE = 4 * 1024 * 1024;

/** What a DockerfileBuilder needs; all constructed in daemon/main.ts. */
export interface DockerfileBuilderOptions {
  images: ImageService;
  containers: ContainerService;
  /** The builder's own ContainerFiles (its temporary views live apart from the container engine's). */
  files: ContainerFiles;
  snapshotter: Snapshotter;
  exec: Exec;
  logger: Logger;
  /** Working directory for build contexts; created when missing, emptied by `cleanup`. */
  dir: string;
  /** The platform RUN steps execute on (default: the host's). */
  platform?: Platform;
}

/** A stage's state between instructions. */
interface StageState {
  /** The image so far; undefined on `scratch` before the first step. */
  imageId: Digest | undefined;
  config: ContainerDefaults;
  flags: StageFlags;
  /** ARGs in scope: name → value (undefined: declared without a value). */
  args: Map<string, string | undefined>;
}

/** One build in progress. */
interface BuildRun {
  request: BuildRequest;
  dockerfile: Dockerfile;
  context: SourceTree;
  output: BuildOutput;
  signal?: AbortSignal;
  buildArgs: Map<string, string>;
  usedArgs: Set<string>;
  /** Global ARG values (build args applied), for FROM lines and bare ARGs in stages. */
  globals: Map<string, string | undefined>;
  /** Finished stages: image and config. */
  results: Map<number, { imageId: Digest | undefined; config: ContainerDefaults }>;
  step: number;
  total: number;
  network: BuildNetwork;
}

/**
 * docker's classic builder over Janus's engine: the context tar is
 * unpacked into a private directory, the Dockerfile parsed (parser of our
 * own, see dockerfile.ts), and the target stage built with the stages it
 * needs (FROM or COPY --from), in order. Each step's result is an image in
 * the build cache keyed by its parent image, its instruction (with build
 * args in effect) and the checksums of the files it copies, so an
 * unchanged rebuild runs nothing and ends at the same image ID. RUN runs
 * in a `container`-level container (network none unless asked) whose
 * writable layer becomes the step's layer; COPY and ADD unpack into a
 * snapshot over the parent image, whose writable layer becomes the
 * step's. Build containers, snapshots, mounts and the context copy are
 * removed whether the build succeeds or fails. Safe for concurrent builds.
 */
export class DockerfileBuilder implements BuildService {
  readonly #images: ImageService;
  readonly #containers: ContainerService;
  readonly #files: ContainerFiles;
  readonly #snapshots: Snapshotter;
  readonly #exec: Exec;
  readonly #log: Logger;
  readonly #dir: string;
  readonly #platform: Platform;

  constructor(options: DockerfileBuilderOptions) {
    this.#images = options.images;
    this.#containers = options.containers;
    this.#files = options.files;
    this.#snapshots = options.snapshotter;
    this.#exec = options.exec;
    this.#log = options.logger;
    this.#dir = options.dir;
    this.#platform = normalizePlatform(options.platform ?? hostPlatform());
  }

  /**
   * Removes what a crashed daemon left of builds: RUN containers (by their
   * label), views and context copies. Call at start-up, after the container
   * engine is up and before any build. Never throws.
   */
  async cleanup(): Promise<void> {
    await this.#files.cleanup();
    const left = await this.#containers.list({ all: true, filters: { label: [`${BUILD_LABEL}=run`] } }).catch(() => []);
    for (const c of left) {
      await this.#containers.remove(c.id, { force: true, volumes: true }).catch((err: unknown) => this.#log.warn('cannot remove a build container left by a crash', { id: c.id, err }));
    }
    if (left.length > 0) this.#log.info('removed build containers left by a crash', { ids: left.map((c) => c.id) });
    for (const name of await readdir(this.#dir).catch(() => [] as string[])) {
      if (name.startsWith('ctx-')) await rm(join(this.#dir, name), { recursive: true, force: true }).catch(() => {});
    }
  }

  async prune(options: { signal?: AbortSignal } = {}): Promise<{ deleted: string[]; spaceReclaimed: number }> {
    return this.#images.pruneBuildCache(options);
  }

  async build(request: BuildRequest, options: { output: BuildOutput; signal?: AbortSignal }): Promise<BuildResult> {
    const tags = (request.tags ?? []).map((t) => {
      try {
        const ref = parseReference(t);
        if (ref.digest) throw invalidArgument(`invalid tag ${JSON.stringify(t)}: a digest reference cannot be a tag`);
        return familiarName(ref);
      } catch (err) {
        throw invalidArgument(`invalid tag ${JSON.stringify(t)}: ${(err as Error).message}`, err);
      }
    });
    if (request.platform !== undefined) this.#checkPlatform(request.platform, 'the build');
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    const work = await mkdtemp(join(this.#dir, 'ctx-'));
    try {
      const bareDockerfile = await this.#unpackContext(request.context, work, options.signal);
      const raw = new ContextTree(work, DockerIgnore.parse(undefined));
      const text = bareDockerfile ?? (await this.#readDockerfile(raw, request.dockerfile));
      const ignoreFile = await resolveInTree(raw, '.dockerignore', false);
      const ignore = DockerIgnore.parse(ignoreFile.stat?.isFile() ? await readFile(await raw.hostPath('.dockerignore'), 'utf8') : undefined);
      const dockerfile = parseDockerfileStages(text);
      for (const w of dockerfile.warnings) options.output.text(`[Warning] Dockerfile ${w}\n`);
      const buildArgs = new Map<string, string>();
      for (const [k, v] of Object.entries(request.buildArgs ?? {})) if (v !== null && v !== undefined) buildArgs.set(k, v);
      const run: BuildRun = {
        request, dockerfile, context: new ContextTree(work, ignore), output: options.output, signal: options.signal,
        buildArgs, usedArgs: new Set(), globals: new Map(), results: new Map(), step: 0, total: 0,
        network: request.network ?? { mode: 'none' },
      };
      const automatic = this.#automaticArgs();
      for (const g of dockerfile.globalArgs) {
        run.usedArgs.add(g.name);
        const given = buildArgs.get(g.name) ?? automatic.get(g.name);
        run.globals.set(g.name, given ?? (g.value !== undefined ? processWord(g.value, definedOnly(run.globals), dockerfile.directives.escape) : undefined));
      }
      for (const [k, v] of automatic) if (!run.globals.has(k)) run.globals.set(k, v);
      const target = this.#targetStage(dockerfile, request.target);
      const needed = neededStages(dockerfile, target, run.globals);
      const labels = Object.entries(request.labels ?? {});
      run.total = needed.reduce((n, s) => n + 1 + dockerfile.stages[s]!.instructions.length, 0) + (labels.length > 0 ? 1 : 0);
      for (const index of needed) {
        options.signal?.throwIfAborted();
        const state = await this.#buildStage(run, dockerfile.stages[index]!);
        if (index === target.index && labels.length > 0) {
          this.#announce(run, `LABEL ${labels.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ')}`);
          const config = { ...state.config, Labels: { ...state.config.Labels, ...Object.fromEntries(labels) } };
          await this.#commit(run, state, `/bin/sh -c #(nop)  LABEL ${labels.map(([k, v]) => `${k}=${v}`).join(' ')}`, config);
        }
        run.results.set(index, { imageId: state.imageId, config: state.config });
      }
      const final = run.results.get(target.index)!;
      if (final.imageId === undefined) throw invalidArgument('No image was generated. Is your Dockerfile empty?');
      const unusedArgs = [...buildArgs.keys()].filter((k) => !run.usedArgs.has(k) && !PREDEFINED_ARGS.has(k)).sort();
      if (unusedArgs.length > 0) options.output.text(`[Warning] One or more build-args [${unusedArgs.join(' ')}] were not consumed\n`);
      for (const tag of tags) await this.#images.tag(final.imageId, tag);
      this.#log.info('image built', { id: final.imageId, tags, steps: run.total });
      return { id: final.imageId, tags, unusedArgs };
    } finally {
      await rm(work, { recursive: true, force: true }).catch((err: unknown) => this.#log.warn('cannot remove a build context', { dir: work, err }));
    }
  }

  // ------------------------------------------------------------------ context

  /**
   * Unpacks the context tar into `dir` (entries that leave it refused).
   * A body that is no archive is a bare Dockerfile (`docker build - <
   * Dockerfile`): returned as text, the context left empty.
   */
  async #unpackContext(body: Readable, dir: string, signal?: AbortSignal): Promise<string | undefined> {
    const { head: first, rest } = await peekStream(body, 512);
    if (first.length === 0) return undefined;
    const compressed = detectCompression(first) !== 'none';
    const isTar = first.length >= 512 && first.subarray(257, 262).toString('latin1') === 'ustar';
    const replay = Readable.from((async function* () {
      let total = first.length;
      yield first;
      for await (const chunk of rest()) {
        total += chunk.length;
        yield chunk;
      }
      // The docker CLI sends a context whose Dockerfile it added (`-f` outside the context) without the
      // last entry's padding and the end-of-archive blocks, which Go's reader tolerates: supply them
      // (zero blocks after the end are harmless).
      if (isTar) yield Buffer.alloc((512 - (total % 512)) % 512 + 1024);
    })(), { objectMode: false });
    if (!compressed && !isTar) {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const c of replay) {
        size += (c as Buffer).length;
        if (size > MAX_DOCKERFILE) throw invalidArgument('the build context is neither a tar archive nor a Dockerfile of at most 4 MiB');
        chunks.push(c as Buffer);
      }
      return Buffer.concat(chunks).toString('utf8');
    }
    const root = await ScopedRoot.open(dir, { context: 'build context' });
    try {
      await unpackInto(root, '/', replay, { exec: this.#exec, context: 'build context', signal });
    } finally {
      await root.close();
    }
    return undefined;
  }

  async #readDockerfile(tree: SourceTree, name: string | undefined): Promise<string> {
    const candidates = name ? [name] : ['Dockerfile', 'dockerfile'];
    for (const candidate of candidates) {
      const clean = posix.normalize(candidate.replace(/^\/+/, ''));
      if (clean === '..' || clean.startsWith('../')) throw invalidArgument(`the Dockerfile (${candidate}) must be within the build context`);
      const found = await resolveInTree(tree, clean, true);
      if (!found.stat?.isFile()) continue;
      if (found.stat.size > MAX_DOCKERFILE) throw invalidArgument(`the Dockerfile (${candidate}) is larger than 4 MiB`);
      return readFile(await tree.hostPath(found.rel), 'utf8');
    }
    throw notFound(`Cannot locate specified Dockerfile: ${name ?? 'Dockerfile'}`);
  }

  // ------------------------------------------------------------------ stages

  #automaticArgs(): Map<string, string> {
    const p = this.#platform;
    const text = formatPlatform(p);
    return new Map([
      ['TARGETPLATFORM', text], ['TARGETOS', p.os], ['TARGETARCH', p.architecture], ['TARGETVARIANT', p.variant ?? ''],
      ['BUILDPLATFORM', text], ['BUILDOS', p.os], ['BUILDARCH', p.architecture], ['BUILDVARIANT', p.variant ?? ''],
    ]);
  }

  #checkPlatform(text: string, what: string): void {
    let want: Platform;
    try {
      want = normalizePlatform(parsePlatform(text, { host: this.#platform }));
    } catch (err) {
      throw invalidArgument(`invalid platform ${JSON.stringify(text)} for ${what}: ${(err as Error).message}`, err);
    }
    if (formatPlatform(want) !== formatPlatform(this.#platform)) {
      throw notImplemented(`building for ${formatPlatform(want)} is not supported: RUN steps execute on this host, which is ${formatPlatform(this.#platform)} (${what})`);
    }
  }

  #targetStage(dockerfile: Dockerfile, target: string | undefined): Stage {
    if (target === undefined || target === '') return dockerfile.stages[dockerfile.stages.length - 1]!;
    const stage = dockerfile.stages.find((s) => s.name === target.toLowerCase());
    if (!stage) throw invalidArgument(`failed to reach build target ${target} in Dockerfile: target stage "${target}" could not be found`);
    return stage;
  }

  #announce(run: BuildRun, text: string): void {
    run.step++;
    run.output.text(`Step ${run.step}/${run.total} : ${text}\n`);
  }

  async #buildStage(run: BuildRun, stage: Stage): Promise<StageState> {
    const escape = run.dockerfile.directives.escape;
    this.#announce(run, stage.from.text);
    const globals = definedOnly(run.globals);
    const baseName = processWord(stage.base, globals, escape);
    if (stage.platform !== undefined) this.#checkPlatform(processWord(stage.platform, globals, escape), `FROM on line ${stage.from.line}`);
    const state: StageState = { imageId: undefined, config: {}, flags: { cmdSet: false }, args: new Map() };
    const earlier = stageByName(run.dockerfile, baseName, stage.index);
    if (earlier !== undefined) {
      const result = run.results.get(earlier)!;
      state.imageId = result.imageId;
      state.config = structuredClone(result.config);
    } else if (baseName.toLowerCase() !== 'scratch') {
      if (baseName === '') throw invalidArgument(`Dockerfile line ${stage.from.line}: FROM names no image (an empty build arg?)`);
      const detail = await this.#baseImage(run, baseName);
      state.imageId = detail.id;
      state.config = structuredClone(detail.config);
    }
    run.output.text(state.imageId ? ` ---> ${shortId(state.imageId)}\n` : ' ---> (scratch)\n');
    // ONBUILD triggers of the base run first, then are cleared, as docker does.
    const triggers = state.config.OnBuild ?? [];
    if (triggers.length > 0) {
      run.output.text(`# Executing ${triggers.length} build trigger${triggers.length === 1 ? '' : 's'}\n`);
      const parsed = parseDockerfileStages(`FROM scratch\n${triggers.join('\n')}\n`);
      for (const i of parsed.stages[0]!.instructions) await this.#dispatch(run, state, i, false);
    }
    delete state.config.OnBuild;
    for (const i of stage.instructions) {
      run.signal?.throwIfAborted();
      const started = performance.now();
      await this.#dispatch(run, state, i, true);
      this.#log.debug('build step', { step: run.step, instruction: i.kind, ms: Math.round(performance.now() - started) });
    }
    return state;
  }

  /** The base image of a FROM: present (pulled with --pull or when missing). */
  async #baseImage(run: BuildRun, name: string): Promise<{ id: Digest; config: ContainerDefaults }> {
    let ref;
    try {
      ref = familiarName(parseReference(name));
    } catch (err) {
      throw invalidArgument(`invalid base image name ${JSON.stringify(name)}: ${(err as Error).message}`, err);
    }
    if (!run.request.pull) {
      try {
        const d = await this.#images.inspect(ref);
        return { id: d.id, config: d.config };
      } catch (err) {
        if (!isJanusError(err, 'NotFound')) throw err;
      }
    }
    await this.#images.pull(ref, { progress: run.output.progress, signal: run.signal });
    const d = await this.#images.inspect(ref);
    return { id: d.id, config: d.config };
  }

  async #dispatch(run: BuildRun, state: StageState, i: Instruction, announce: boolean): Promise<void> {
    const escape = run.dockerfile.directives.escape;
    if (announce) this.#announce(run, i.text);
    const vars = variablesOf(state.config, state.args);
    if (isConfigInstruction(i)) {
      const { config, flags } = applyConfigInstruction(state.config, i, vars, escape, state.flags);
      state.flags = flags;
      if (i.kind === 'WORKDIR' && state.imageId !== undefined && config.WorkingDir && config.WorkingDir !== '/') {
        // WORKDIR makes its directory when the image lacks it (a layer with just that directory).
        const tree = await this.#imageTree(state.imageId, 'the image');
        const found = await resolveInTree(tree, config.WorkingDir, true);
        if (!found.stat) {
          const entries: CopyEntry[] = [{ dest: config.WorkingDir.slice(1), type: 'directory', mode: 0o755, mtime: new Date(0), size: 0 }];
          await this.#commit(run, state, `/bin/sh -c #(nop) WORKDIR ${config.WorkingDir}`, config, (key) => this.#layerStep(run, state, config, `/bin/sh -c #(nop) WORKDIR ${config.WorkingDir}`, key, entries, undefined));
          return;
        }
      }
      await this.#commit(run, state, `/bin/sh -c #(nop)  ${i.text}`, config);
      return;
    }
    switch (i.kind) {
      case 'ARG': {
        for (const a of i.args) {
          run.usedArgs.add(a.name);
          const given = run.buildArgs.get(a.name);
          const value = given ?? (a.value !== undefined ? processWord(a.value, vars, escape) : run.globals.get(a.name));
          state.args.set(a.name, value);
          vars.set(a.name, value ?? '');
        }
        const shown = i.args.map((a) => (state.args.get(a.name) !== undefined ? `${a.name}=${state.args.get(a.name)}` : a.name)).join(' ');
        await this.#commit(run, state, `/bin/sh -c #(nop)  ARG ${shown}`, state.config);
        return;
      }
      case 'MAINTAINER':
        await this.#commit(run, state, `/bin/sh -c #(nop)  MAINTAINER ${processWord(i.value, vars, escape)}`, state.config);
        return;
      case 'RUN':
        await this.#run(run, state, i);
        return;
      case 'COPY':
      case 'ADD':
        await this.#copy(run, state, i, vars);
        return;
    }
  }

  /**
   * Ends a step: the cached image for its identity when there is one (and
   * --no-cache is off), else what `produce` makes (default: a config-only
   * image), remembered under the step's cache key.
   */
  async #commit(run: BuildRun, state: StageState, createdBy: string, config: ContainerDefaults, produce?: (key: Digest) => Promise<Digest>, extra?: string): Promise<void> {
    const key = stepCacheKey({ parent: state.imageId, createdBy, config, ...(extra ? { extra } : {}) });
    if (!run.request.noCache) {
      const hit = await this.#images.buildCacheLookup(key);
      if (hit) {
        run.output.text(` ---> Using cache\n ---> ${shortId(hit)}\n`);
        state.imageId = hit;
        state.config = config;
        return;
      }
    }
    const id = produce
      ? await produce(key)
      : (await this.#images.buildStep(state.imageId, { config, createdBy, cacheKey: key, signal: run.signal })).id;
    state.imageId = id;
    state.config = config;
    run.output.text(` ---> ${shortId(id)}\n`);
  }

  // ------------------------------------------------------------------ RUN

  async #run(run: BuildRun, state: StageState, i: Extract<Instruction, { kind: 'RUN' }>): Promise<void> {
    const shell = state.config.Shell ?? DEFAULT_SHELL;
    let cmd: string[];
    if (i.command.form === 'shell' && i.heredocs.length > 0) {
      const only = i.heredocs.length === 1 && i.command.text.trim().replace(/^<<-?/, '').replace(/^(["'])(.*)\1$/, '$2') === i.heredocs[0]!.name;
      cmd = only
        ? [...shell, i.heredocs[0]!.content]
        : [...shell, `${i.command.text}\n${i.heredocs.map((h) => `${h.content}${h.name}\n`).join('')}`];
    } else {
      cmd = commandArgs(i.command, shell);
    }
    // Build args in scope reach the command as environment (ENV wins), and are part of what the step is.
    const envNames = new Set((state.config.Env ?? []).map((e) => e.slice(0, e.indexOf('=') < 0 ? e.length : e.indexOf('='))));
    const argEnv = [...state.args].filter(([k, v]) => v !== undefined && !envNames.has(k)).map(([k, v]) => `${k}=${v}`).sort();
    const proxies = [...run.buildArgs].filter(([k]) => PREDEFINED_ARGS.has(k) && !state.args.has(k)).map(([k, v]) => `${k}=${v}`);
    const createdBy = argEnv.length > 0 ? `|${argEnv.length} ${argEnv.join(' ')} ${cmd.join(' ')}` : cmd.join(' ');
    const network: BuildNetwork = i.network === 'none' ? { mode: 'none' } : i.network === 'host' ? { mode: 'host' } : run.network;
    if (state.imageId === undefined) throw invalidArgument(`Dockerfile line ${i.line}: RUN needs an image with a shell; this stage is still empty (FROM scratch)`);
    const parent = state.imageId;
    await this.#commit(run, state, createdBy, state.config, async (key) => {
      const request = {
        image: parent,
        run: {
          cmd,
          entrypoint: [],
          env: [...argEnv, ...proxies],
          ...(state.config.WorkingDir ? { workingDir: state.config.WorkingDir } : {}),
          ...(state.config.User ? { user: state.config.User } : {}),
          ...run.request.resources,
          labels: { [BUILD_LABEL]: 'run' },
        },
        ...(run.request.extraHosts && run.request.extraHosts.length > 0 ? { extraHosts: run.request.extraHosts } : {}),
        isolation: 'container' as const,
        network: networkRequest(network),
        healthcheck: { Test: ['NONE'] },
        logConfig: { type: 'json-file' as const },
      };
      const { id } = await this.#containers.create(request, { signal: run.signal });
      run.output.text(` ---> Running in ${id.slice(0, 12)}\n`);
      // A canceled build stops its command at once (as docker does), rather than waiting for it to end.
      const onAbort = () => { this.#containers.kill(id, 'SIGKILL').catch(() => {}); };
      run.signal?.addEventListener('abort', onAbort, { once: true });
      try {
        let started = false;
        try {
          await this.#containers.start(id, { signal: run.signal });
          started = true;
        } catch (err) {
          const e = asJanusError(err);
          throw new RunStepFailed(`The command '${cmd.join(' ')}' could not run: ${e.message}`, 127);
        }
        const decoder = new StringDecoder('utf8');
        if (started) {
          for await (const entry of this.#containers.logs(id, { follow: true, stdout: true, stderr: true, signal: run.signal })) {
            const text = decoder.write(entry.data);
            if (text) run.output.text(text);
          }
          const rest = decoder.end();
          if (rest) run.output.text(rest);
        }
        const { statusCode } = await this.#containers.wait(id, { signal: run.signal });
        run.signal?.throwIfAborted();
        if (statusCode !== 0) throw new RunStepFailed(`The command '${cmd.join(' ')}' returned a non-zero code: ${statusCode}`, statusCode);
        const view = await this.#containers.inspect(id);
        const rootfs = rootfsOf(view.graphDriver.data);
        const layer = await this.#files.writableLayer({ name: id.slice(0, 12), rootfs }, { signal: run.signal });
        const made = await this.#images.buildStep(parent, { layer, config: state.config, createdBy, cacheKey: key, signal: run.signal });
        return made.id;
      } finally {
        run.signal?.removeEventListener('abort', onAbort);
        await this.#containers.remove(id, { force: true, volumes: true }).then(
          () => run.output.text(` ---> Removed intermediate container ${id.slice(0, 12)}\n`),
          (err: unknown) => this.#log.warn('cannot remove a build container', { id, err }),
        );
      }
    }, `network=${network.mode === 'network' ? network.name : network.mode}`);
  }

  // ------------------------------------------------------------------ COPY / ADD

  async #copy(run: BuildRun, state: StageState, i: Extract<Instruction, { kind: 'COPY' | 'ADD' }>, vars: Map<string, string>): Promise<void> {
    const escape = run.dockerfile.directives.escape;
    const word = (text: string) => processWord(text, vars, escape);
    const line = `Dockerfile line ${i.line}: ${i.kind}`;
    // Where the files come from: the context, an earlier stage, or an image.
    let tree: SourceTree = run.context;
    let fromContext = true;
    if (i.from !== undefined) {
      fromContext = false;
      const from = word(i.from);
      const index = stageByName(run.dockerfile, from, run.dockerfile.stages.length);
      if (index !== undefined) {
        const result = run.results.get(index);
        if (!result) throw invalidArgument(`${line}: --from=${from} names a stage that is not built before this one`);
        tree = result.imageId ? await this.#imageTree(result.imageId, `stage ${from}`) : EMPTY_TREE;
      } else {
        const base = await this.#baseImage(run, from);
        tree = await this.#imageTree(base.id, `image ${from}`);
      }
    }
    const sources: CopySource[] = [];
    for (const raw of i.sources) {
      const heredoc = raw.startsWith('<<') ? i.heredocs.find((h) => raw.replace(/^<<-?/, '').replace(/^(["'])(.*)\1$/, '$2') === h.name) : undefined;
      if (heredoc) {
        sources.push({ inline: heredoc.name, content: Buffer.from(heredoc.expand ? expandVariables(heredoc.content, vars) : heredoc.content) });
        continue;
      }
      const path = word(raw);
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path) || /^git@/.test(path)) {
        if (i.kind === 'COPY') throw invalidArgument(`${line}: source can't be a URL for COPY (${path})`);
        throw notImplemented(`${line}: ${path}: remote URLs cannot be fetched: builds have no network access here; download the file into the build context and COPY it`);
      }
      sources.push({ path });
    }
    const destWord = word(i.dest);
    const destIsDirSpelled = destWord.endsWith('/') || destWord.endsWith('/.') || destWord === '.' || destWord === '';
    const dest = destWord.startsWith('/') ? posix.normalize(destWord) : posix.join('/', state.config.WorkingDir || '/', destWord);
    const target = state.imageId ? await this.#imageTree(state.imageId, 'the image') : EMPTY_TREE;
    const existing = dest === '/' ? { rel: '', stat: await target.lstat('') } : await resolveInTree(target, dest, true);
    const destIsDir = destIsDirSpelled || dest === '/' || existing.stat?.isDirectory() === true;
    let chmod: number | undefined;
    if (i.chmod !== undefined) {
      const text = word(i.chmod);
      if (!/^[0-7]{3,4}$/.test(text)) throw invalidArgument(`${line}: invalid --chmod=${text}: want octal permission bits such as 755 (symbolic modes are not supported)`);
      chmod = parseInt(text, 8);
    }
    const owner = i.chown !== undefined ? await this.#owner(target, word(i.chown), line) : undefined;
    const plan = await planCopy({
      instruction: i.kind, sources, tree, fromContext, dest: destIsDir ? dest : dest.replace(/\/+$/, ''), destIsDir,
      destExists: existing.stat !== undefined || dest === '/', ...(chmod !== undefined ? { chmod } : {}), signal: run.signal,
    });
    const flags = [i.chown !== undefined ? `--chown=${word(i.chown)}` : '', chmod !== undefined ? `--chmod=${chmod.toString(8)}` : '', i.from !== undefined ? `--from=${word(i.from)}` : ''].filter(Boolean);
    const createdBy = `/bin/sh -c #(nop) ${i.kind} ${[...flags, plan.describe].join(' ')} in ${destWord.startsWith('/') ? destWord : dest} `;
    await this.#commit(run, state, createdBy, state.config, (key) => this.#layerStep(run, state, state.config, createdBy, key, plan.entries, owner));
  }

  /** A step whose layer is `entries` unpacked over the parent image (in a snapshot removed afterwards). */
  async #layerStep(run: BuildRun, state: StageState, config: ContainerDefaults, createdBy: string, key: Digest, entries: CopyEntry[], owner: { uid: number; gid: number } | undefined): Promise<Digest> {
    const parentChain = state.imageId ? (await this.#images.inspect(state.imageId)).chainIds.at(-1) : undefined;
    const snapKey = `build-${randomBytes(8).toString('hex')}`;
    const rootfs = await this.#snapshots.prepare(snapKey, parentChain, { labels: { [TEMPORARY_LABEL]: 'true' } });
    try {
      const fs = { name: `build step ${run.step}`, rootfs, mounts: [], readOnlyRootfs: false, running: false };
      await this.#files.putArchive(fs, '/', copyArchive(entries, { ...(owner ? { owner } : {}), signal: run.signal }), { signal: run.signal });
      const layer = await this.#files.writableLayer(fs, { signal: run.signal });
      return (await this.#images.buildStep(state.imageId, { layer, config, createdBy, cacheKey: key, signal: run.signal })).id;
    } finally {
      await this.#snapshots.remove(snapKey).catch((err: unknown) => this.#log.warn('cannot remove a build snapshot', { key: snapKey, err }));
    }
  }

  async #imageTree(id: Digest, what: string): Promise<SourceTree> {
    const detail = await this.#images.inspect(id);
    if (detail.layerDirs.length === 0) return EMPTY_TREE;
    if (detail.layerDirs.some((d) => d === '')) throw notFound(`${what}: its layers are not unpacked on this host`);
    return new ImageTree(what, await this.#files.imageView(detail.layerDirs));
  }

  /** --chown's `user[:group]` as ids, names looked up in the image's /etc/passwd and /etc/group. */
  async #owner(tree: SourceTree, spec: string, line: string): Promise<{ uid: number; gid: number }> {
    const [user = '', group] = spec.split(':');
    if (user === '') throw invalidArgument(`${line}: invalid --chown=${spec}`);
    const read = async (path: string): Promise<string | undefined> => {
      const found = await resolveInTree(tree, path, true);
      return found.stat?.isFile() ? readFile(await tree.hostPath(found.rel), 'utf8') : undefined;
    };
    const numeric = (s: string) => /^\d+$/.test(s);
    const files = { passwd: numeric(user) && (group === undefined || numeric(group)) ? undefined : await read('etc/passwd'), group: group !== undefined && !numeric(group) ? await read('etc/group') : undefined };
    if (!numeric(user) && !new RegExp(`^${escapeRe(user)}:`, 'm').test(files.passwd ?? '')) throw invalidArgument(`${line}: unable to find user ${user}: no matching entries in passwd file`);
    if (group !== undefined && !numeric(group) && !new RegExp(`^${escapeRe(group)}:`, 'm').test(files.group ?? '')) throw invalidArgument(`${line}: unable to find group ${group}: no matching entries in group file`);
    const resolved = resolveUser(group !== undefined ? `${user}:${group}` : user, files).user;
    // docker: a user without a group gets its uid as gid.
    return { uid: resolved.uid, gid: group === undefined ? resolved.uid : resolved.gid };
  }
}

/** The stages `target` needs (FROM another stage, COPY --from a stage), itself included, in file order. Pure. */
export function neededStages(dockerfile: Dockerfile, target: Stage, globals: ReadonlyMap<string, string | undefined>): number[] {
  const needed = new Set<number>();
  const escape = dockerfile.directives.escape;
  const vars = definedOnly(globals);
  const visit = (stage: Stage) => {
    if (needed.has(stage.index)) return;
    needed.add(stage.index);
    const refs: string[] = [];
    try {
      refs.push(processWord(stage.base, vars, escape));
    } catch {
      // reported when the stage is built
    }
    for (const i of stage.instructions) {
      if ((i.kind === 'COPY') && i.from !== undefined) {
        try {
          refs.push(processWord(i.from, vars, escape));
        } catch {
          refs.push(i.from);
        }
      }
    }
    for (const ref of refs) {
      const index = stageByName(dockerfile, ref, stage.index);
      if (index !== undefined) visit(dockerfile.stages[index]!);
    }
  };
  visit(target);
  return [...needed].sort((a, b) => a - b);
}

/** The index of the stage `name` (a stage name or number) before stage `before`, if any. Pure. */
function stageByName(dockerfile: Dockerfile, name: string, before: number): number | undefined {
  const lower = name.toLowerCase();
  const byName = dockerfile.stages.find((s) => s.index < before && s.name === lower);
  if (byName) return byName.index;
  if (/^\d+$/.test(name) && Number(name) < before) return Number(name);
  return undefined;
}

function definedOnly(args: ReadonlyMap<string, string | undefined>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of args) if (v !== undefined) out.set(k, v);
  return out;
}

function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

function escapeRe(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A build network as the container request's network mode. */
function networkRequest(network: BuildNetwork): NetworkModeRequest {
  return network.mode === 'network' ? { mode: 'network', name: network.name } : { mode: network.mode };
}

/** A stopped container's root file system mounts, from its graph driver data (overlay dirs, or one directory). */
function rootfsOf(data: Record<string, string>): Mount[] {
  if (!data.UpperDir) throw invalidArgument('build container has no writable layer');
  if (!data.LowerDir) return [{ type: 'bind', source: data.UpperDir, options: ['rbind', 'rw'] }];
  return [{ type: 'overlay', source: 'overlay', options: [`lowerdir=${data.LowerDir}`, `upperdir=${data.UpperDir}`, `workdir=${data.WorkDir ?? ''}`] }];
}
