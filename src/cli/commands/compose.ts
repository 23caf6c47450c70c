import { existsSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { JanusError, invalidArgument, isJanusError, notFound } from '../../core/errors.ts';
import type { ComposeProject } from '../../compose/model.ts';
import { formatHelp, parseArgs, type CommandSpec, type ParsedArgs } from '../args.ts';
import type { CliContext, Command } from '../command.ts';
import { UsageError } from '../usage-error.ts';
import { COMPOSE_VERBS, type ComposeSession } from './compose-verbs.ts';

const GLOBAL: CommandSpec = {
  name: 'compose',
  usage: '[OPTIONS] COMMAND',
  description: [
    'Define and run multi-container applications, each service at the isolation level it asks for (x-janus: {isolation})',
    '',
    'Commands:',
    ...Object.entries(COMPOSE_VERBS).map(([name, v]) => `  ${name.padEnd(10)}${v.spec.description}`),
    '',
    "Run 'janus compose COMMAND --help' for more information on a command.",
  ].join('\n'),
  args: { min: 0 },
  interspersed: false,
  flags: [
    { name: 'file', short: 'f', type: 'list', valueName: 'stringArray', description: 'Compose configuration files' },
    { name: 'project-name', short: 'p', type: 'string', valueName: 'string', description: 'Project name' },
    { name: 'env-file', type: 'list', valueName: 'stringArray', description: 'Specify an alternate environment file' },
    { name: 'profile', type: 'list', valueName: 'stringArray', description: 'Specify a profile to enable' },
    { name: 'project-directory', type: 'string', valueName: 'string', description: 'Specify an alternate working directory (default: the path of the first specified Compose file)' },
  ],
};

// What docker compose looks for when no -f is given, in order; the override file is merged after it.
const DEFAULT_FILES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'];
const OVERRIDE_FILES: Readonly<Record<string, string[]>> = {
  'compose.yaml': ['compose.override.yaml', 'compose.override.yml'],
  'compose.yml': ['compose.override.yaml', 'compose.override.yml'],
  'docker-compose.yaml': ['docker-compose.override.yaml', 'docker-compose.override.yml'],
  'docker-compose.yml': ['docker-compose.override.yaml', 'docker-compose.override.yml'],
};

/**
 * The compose files to load: `-f` (several, merged in order), else
 * COMPOSE_FILE, else compose.yaml (or its older names) in the project
 * directory or the nearest parent, with its override file. Empty when none
 * is found.
 */
export function findComposeFiles(given: readonly string[], env: Record<string, string | undefined>, cwd: string): string[] {
  if (given.length > 0) return given.map((f) => resolve(cwd, f));
  const fromEnv = env.COMPOSE_FILE;
  if (fromEnv) return fromEnv.split(env.COMPOSE_PATH_SEPARATOR || delimiter).filter(Boolean).map((f) => resolve(cwd, f));
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    for (const name of DEFAULT_FILES) {
      const file = join(dir, name);
      if (existsSync(file)) {
        const override = (OVERRIDE_FILES[name] ?? []).map((o) => join(dir, o)).find((o) => existsSync(o));
        return override ? [file, override] : [file];
      }
    }
    if (dirname(dir) === dir) return [];
  }
}

/**
 * `janus compose`: docker compose's verbs over the Engine API. The global
 * flags come before the verb; each verb parses its own flags. Verbs that
 * only look at what runs (`ps`, `logs`, `down`, …) work with `-p NAME`
 * alone, without any file, as docker compose does.
 */
export const composeCommand: Command = {
  spec: GLOBAL,
  async run(ctx, globals) {
    const [verb, ...words] = globals.positionals;
    if (verb === undefined) {
      ctx.stdout.write(composeHelp());
      return;
    }
    const entry = Object.hasOwn(COMPOSE_VERBS, verb) ? COMPOSE_VERBS[verb] : undefined;
    if (!entry) throw new UsageError(`unknown compose command: "janus compose ${verb}"`, { command: 'compose' });
    const args = parseArgs(entry.spec, words);
    if (args.help) {
      ctx.stdout.write(formatHelp(entry.spec));
      return;
    }
    let project: ComposeProject | undefined;
    const session: ComposeSession = {
      globals,
      project: async () => (project ??= await loadFor(ctx, globals, entry.needsFiles)),
      projectName: async () => (project ?? (await loadFor(ctx, globals, false))).name,
    };
    await entry.run(ctx, args, session);
  },
};

/** Loads the project the global flags describe; without files, an empty project named by -p (unless files are needed). */
async function loadFor(ctx: CliContext, globals: ParsedArgs, needsFiles: boolean): Promise<ComposeProject> {
  const projectDirectory = globals.string('project-directory');
  const cwd = process.cwd();
  const files = findComposeFiles(globals.list('file'), ctx.env, projectDirectory ? resolve(cwd, projectDirectory) : cwd);
  const projectName = globals.string('project-name') || ctx.env.COMPOSE_PROJECT_NAME || undefined;
  if (files.length === 0) {
    if (needsFiles || projectName === undefined) throw notFound('no configuration file provided: not found');
    return emptyProject(projectName, cwd);
  }
  const profiles = [...globals.list('profile'), ...(ctx.env.COMPOSE_PROFILES ? ctx.env.COMPOSE_PROFILES.split(',').filter(Boolean) : [])];
  const { loadProject } = await import('../../compose/load-project.ts');
  try {
    const project = await loadProject({
      files, environment: ctx.env, profiles,
      ...(projectName ? { projectName } : {}),
      ...(projectDirectory ? { projectDirectory: resolve(cwd, projectDirectory) } : {}),
      ...(globals.list('env-file').length > 0 ? { envFiles: globals.list('env-file').map((f) => resolve(cwd, f)) } : {}),
    });
    for (const w of project.warnings ?? []) ctx.stderr.write(`WARN ${w}\n`);
    return project;
  } catch (err) {
    if (isJanusError(err)) throw err;
    throw new JanusError('InvalidArgument', `loading ${files.join(', ')}: ${(err as Error).message}`, { cause: err });
  }
}

/** A project known only by name (`-p NAME` without files): its objects are found by their labels. */
function emptyProject(name: string, cwd: string): ComposeProject {
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(name)) throw invalidArgument(`invalid project name ${JSON.stringify(name)}: must consist only of lowercase alphanumeric characters, hyphens, and underscores as well as start with a letter or number`);
  return { name, workingDir: cwd, files: [], services: {}, networks: {}, volumes: {}, disabledServices: {} };
}

function composeHelp(): string {
  return formatHelp(GLOBAL);
}
