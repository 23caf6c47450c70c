import { readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { invalidArgument } from '../core/errors.ts';
import { applyExtends } from './apply-extends.ts';
import { applyIncludes, type IncludeContext } from './apply-includes.ts';
import { buildProject } from './build-project.ts';
import { parseDotenv } from './dotenv.ts';
import { interpolateNode } from './interpolate-node.ts';
import type { VariableLookup } from './interpolate.ts';
import { mergeComposeFiles } from './merge-nodes.ts';
import type { ComposeProject } from './model.ts';
import { read } from './node-reader.ts';
import { parseComposeYaml } from './yaml-nodes.ts';
import type { MapNode } from './yaml-nodes.ts';

/** What `loadProject` reads: the CLI's `-f`, `-p`, `--project-directory`, `--env-file`, `--profile` and the process environment. */
export interface LoadOptions {
  /** Compose files in merge order; empty: COMPOSE_FILE, else compose.yaml (and its override) found in the cwd or a parent. */
  files: string[];
  projectName?: string;
  projectDirectory?: string;
  /** Replace the project directory's `.env`; later files override earlier ones. */
  envFiles?: string[];
  /** Active profiles; empty or absent: COMPOSE_PROFILES. */
  profiles?: string[];
  /** The shell environment; it wins over `.env` and `--env-file` values. */
  environment: Record<string, string | undefined>;
  /** Where relative `files`, `projectDirectory` and `envFiles` resolve; default process.cwd(). */
  cwd?: string;
}

const CANDIDATES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'];
const OVERRIDES = ['compose.override.yaml', 'compose.override.yml', 'docker-compose.override.yaml', 'docker-compose.override.yml'];
const PROJECT_NAME = /^[a-z0-9][a-z0-9_-]*$/;

/**
 * Loads a compose project the way docker compose does: finds and reads the
 * files, reads `.env` / `--env-file`, interpolates each file, merges them in
 * order, picks the project name, applies profiles and validates everything
 * into a normalised ComposeProject. Reads files only; creates nothing.
 * Every problem is an InvalidArgument whose message names the file, line and
 * key path (`compose.yaml:12: services.web.ports[0]: "abc" is not a port`).
 */
export async function loadProject(options: LoadOptions): Promise<ComposeProject> {
  const cwd = resolve(options.cwd ?? process.cwd());
  const display = (abs: string) => {
    const rel = relative(cwd, abs);
    return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : abs;
  };
  const shell = options.environment;
  const warnings: string[] = [];

  const envFor = async (dir: string) => readEnvFiles(options.envFiles, dir, cwd, shell, display);
  if (options.files.includes('-')) throw invalidArgument('reading a compose file from standard input (-f -) is not supported by Janus; name a file');
  let files = options.files.map((f) => resolve(cwd, f));
  if (files.length === 0) {
    const early = await envFor(options.projectDirectory ? resolve(cwd, options.projectDirectory) : cwd);
    const fromEnv = shell.COMPOSE_FILE ?? early.get('COMPOSE_FILE');
    const sep = shell.COMPOSE_PATH_SEPARATOR || early.get('COMPOSE_PATH_SEPARATOR') || ':';
    const named = (fromEnv ?? '').split(sep).filter((f) => f !== '');
    if (named.length > 0) {
      files = named.map((f) => resolve(cwd, f));
    } else {
      files = discover(options.projectDirectory ? resolve(cwd, options.projectDirectory) : cwd);
    }
  }
  const workingDir = options.projectDirectory ? resolve(cwd, options.projectDirectory) : dirname(files[0]);
  const dotenv = await envFor(workingDir);
  const lookup: VariableLookup = (name) => shell[name] ?? dotenv.get(name);

  const unset = new Set<string>();
  const readText = (path: string): string | undefined => (isFile(path) ? readFileSync(path, 'utf8') : undefined);
  // Files read for extends come unresolved: applyExtends resolves them itself, keeping the chain that finds cycles across files.
  const readRaw = (vars: VariableLookup) => (path: string): MapNode | undefined => {
    const text = readText(path);
    if (text === undefined) return undefined;
    return interpolateNode(parseComposeYaml(text, display(path)), '', vars, unset) as MapNode;
  };
  const readWith = (vars: VariableLookup) => (path: string): MapNode | undefined => {
    const raw = readRaw(vars)(path);
    return raw && applyExtends(raw, path, readRaw(vars));
  };
  const includes: IncludeContext = { shell, parent: lookup, readText, readCompose: (path, vars) => readWith(vars)(path), display };
  let merged: MapNode | undefined;
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw invalidArgument(`compose file ${display(file)}: ${code === 'ENOENT' ? 'not found' : code === 'EISDIR' ? 'is a directory' : (err as Error).message}`, err);
    }
    const root = parseComposeYaml(text, display(file));
    const interpolated = applyIncludes(applyExtends(interpolateNode(root, '', lookup, unset) as MapNode, file, readRaw(lookup)), file, includes);
    merged = merged ? mergeComposeFiles(merged, interpolated) : interpolated;
  }
  const root = merged!;
  for (const name of unset) warnings.push(`The "${name}" variable is not set. Defaulting to a blank string.`);
  const version = root.entries.get('version');
  if (version) warnings.push(`${version.loc.file}: the attribute \`version\` is obsolete, it will be ignored, please remove it to avoid potential confusion`);

  const name = projectName(options, root, lookup, workingDir);
  const profileList = options.profiles?.length
    ? options.profiles
    : (lookup('COMPOSE_PROFILES') ?? '').split(',').map((p) => p.trim()).filter((p) => p !== '');
  const project = buildProject(root, {
    name,
    workingDir,
    files,
    profiles: profileList,
    lookup,
    home: shell.HOME ?? homedir(),
    readTextFile: (path) => {
      try {
        return statSync(path).isFile() ? readFileSync(path, 'utf8') : undefined;
      } catch {
        return undefined;
      }
    },
    display,
  });
  if (warnings.length) project.warnings = warnings;
  return project;
}

async function readEnvFiles(
  envFiles: string[] | undefined,
  dir: string,
  cwd: string,
  shell: Record<string, string | undefined>,
  display: (p: string) => string,
): Promise<Map<string, string>> {
  const vars = new Map<string, string>();
  const lookup: VariableLookup = (name) => shell[name] ?? vars.get(name);
  const explicit = envFiles && envFiles.length > 0;
  const paths = explicit ? envFiles.map((f) => resolve(cwd, f)) : [join(dir, '.env')];
  for (const path of paths) {
    let text: string;
    try {
      if (!statSync(path).isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
      text = await readFile(path, 'utf8');
    } catch (err) {
      if (!explicit) continue;
      const code = (err as NodeJS.ErrnoException).code;
      throw invalidArgument(`env file ${display(path)} ${code === 'ENOENT' ? 'not found' : `cannot be read: ${(err as Error).message}`}`, err);
    }
    for (const [k, v] of parseDotenv(text, display(path), lookup)) vars.set(k, v);
  }
  return vars;
}

/** The first directory from `start` upwards with a compose file: that file and its override. */
function discover(start: string): string[] {
  for (let dir = start; ; dir = dirname(dir)) {
    const found = CANDIDATES.map((c) => join(dir, c)).find(isFile);
    if (found) {
      const override = OVERRIDES.map((c) => join(dir, c)).find(isFile);
      return override ? [found, override] : [found];
    }
    if (dirname(dir) === dir) break;
  }
  throw invalidArgument(`no compose file found in ${start} or its parents (looked for ${CANDIDATES.join(', ')}); name one with -f`);
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function projectName(options: LoadOptions, root: MapNode, lookup: VariableLookup, workingDir: string): string {
  const check = (name: string, from: string) => {
    if (!PROJECT_NAME.test(name)) {
      throw invalidArgument(`${from}: ${JSON.stringify(name)} is not a valid project name: it must contain only lowercase letters, digits, dashes and underscores, and start with a letter or digit`);
    }
    return name;
  };
  const node = root.entries.get('name');
  let fromFile: string | undefined;
  if (node && !(node.kind === 'scalar' && node.value === null)) {
    fromFile = read.str(node, 'name');
    if (!PROJECT_NAME.test(fromFile)) throw read.fail(node, 'name', `${JSON.stringify(fromFile)} is not a valid project name: it must contain only lowercase letters, digits, dashes and underscores, and start with a letter or digit`);
  }
  if (options.projectName !== undefined && options.projectName !== '') return check(options.projectName, 'project name (-p)');
  const env = lookup('COMPOSE_PROJECT_NAME');
  if (env) return check(env, 'COMPOSE_PROJECT_NAME');
  if (fromFile !== undefined) return fromFile;
  const derived = basename(workingDir).toLowerCase().replace(/[^a-z0-9_-]/g, '').replace(/^[_-]+/, '');
  if (!derived) throw invalidArgument(`cannot make a project name of the directory ${JSON.stringify(basename(workingDir))}; give one with -p or name:`);
  return derived;
}
