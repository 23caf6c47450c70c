import { invalidArgument } from '../../../core/errors.ts';
import type { OciSeccomp } from '../../../core/oci-runtime-spec.ts';
import { resolveSeccompProfile } from './seccomp-rules.ts';
import type { SeccompCondition, SeccompRule, SeccompTarget } from './seccomp-rules.ts';

const ACTIONS = new Set([
  'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP', 'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRACE', 'SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_NOTIFY',
]);
const OPS = new Set(['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ']);

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function fail(source: string, what: string): never {
  throw invalidArgument(`seccomp profile ${source}: ${what}`);
}

function strings(source: string, where: string, v: unknown): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) fail(source, `${where} must be a list of strings`);
  return v as string[];
}

function uint(source: string, where: string, v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) fail(source, `${where} must be a non-negative integer`);
  return v;
}

function action(source: string, where: string, v: unknown): string {
  if (typeof v !== 'string' || !ACTIONS.has(v)) fail(source, `${where} ${JSON.stringify(v)} is not a seccomp action (SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, …)`);
  return v;
}

function condition(source: string, where: string, v: unknown): SeccompCondition | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) fail(source, `${where} must be an object`);
  const c: SeccompCondition = {};
  const caps = strings(source, `${where}.caps`, v.caps);
  if (caps?.length) c.caps = caps;
  const arches = strings(source, `${where}.arches`, v.arches);
  if (arches?.length) c.arches = arches;
  if (v.minKernel !== undefined && v.minKernel !== null && v.minKernel !== '') {
    if (typeof v.minKernel !== 'string' || !/^\d+\.\d+$/.test(v.minKernel) || /^0+\.0+$/.test(v.minKernel)) {
      fail(source, `${where}.minKernel ${JSON.stringify(v.minKernel)} must be "<kernel>.<major>", e.g. "4.8"`);
    }
    c.minKernel = v.minKernel;
  }
  return c;
}

function rule(source: string, index: number, v: unknown): SeccompRule {
  const where = `syscalls[${index}]`;
  if (!isObject(v)) fail(source, `${where} must be an object`);
  let names = strings(source, `${where}.names`, v.names);
  if (typeof v.name === 'string' && v.name !== '') {
    if (names?.length) fail(source, `${where} gives both 'name' and 'names'; use 'names'`);
    names = [v.name];
  }
  if (!names?.length) fail(source, `${where} names no syscall`);
  const r: SeccompRule = { names, action: action(source, `${where}.action`, v.action) };
  const errnoRet = uint(source, `${where}.errnoRet`, v.errnoRet);
  if (errnoRet !== undefined) r.errnoRet = errnoRet;
  if (v.args !== undefined && v.args !== null) {
    if (!Array.isArray(v.args)) fail(source, `${where}.args must be a list`);
    r.args = v.args.map((a: unknown, i: number) => {
      const at = `${where}.args[${i}]`;
      if (!isObject(a)) fail(source, `${at} must be an object`);
      const op = a.op;
      if (typeof op !== 'string' || !OPS.has(op)) fail(source, `${at}.op ${JSON.stringify(op)} is not a comparison (SCMP_CMP_EQ, …)`);
      const arg: { index: number; value: number; valueTwo?: number; op: string } = {
        index: uint(source, `${at}.index`, a.index) ?? 0,
        value: uint(source, `${at}.value`, a.value) ?? 0,
        op,
      };
      const two = uint(source, `${at}.valueTwo`, a.valueTwo);
      if (two !== undefined) arg.valueTwo = two;
      return arg;
    });
  }
  const includes = condition(source, `${where}.includes`, v.includes);
  if (includes) r.includes = includes;
  const excludes = condition(source, `${where}.excludes`, v.excludes);
  if (excludes) r.excludes = excludes;
  return r;
}

/**
 * Reads a seccomp profile in Docker's format (what `--security-opt
 * seccomp=FILE` names: `defaultAction`, `defaultErrnoRet`, `architectures` or
 * `archMap`, `flags`, `syscalls[]` with `names`/`name`, `action`, `errnoRet`,
 * `args`, `includes`/`excludes` on `caps`/`arches`/`minKernel`) and fits it
 * to the container described by `target`. Syscall names are not checked:
 * names the host's libseccomp does not know are skipped by the runtime, as
 * with Docker. Returns undefined for a profile with neither a default action
 * nor rules, which Docker takes as "no seccomp". Throws InvalidArgument whose
 * message names `source` (a file name or the flag) and the faulty field.
 */
export function parseSeccompProfile(json: string, source: string, target: SeccompTarget): OciSeccomp | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch (err) {
    throw invalidArgument(`seccomp profile ${source}: invalid JSON: ${(err as Error).message}`, err);
  }
  if (!isObject(doc)) fail(source, 'must be a JSON object');
  const rawRules = doc.syscalls ?? [];
  if (!Array.isArray(rawRules)) fail(source, 'syscalls must be a list');
  if ((doc.defaultAction === undefined || doc.defaultAction === '') && rawRules.length === 0) return undefined;
  for (const unsupported of ['listenerPath', 'listenerMetadata']) {
    if (doc[unsupported] !== undefined && doc[unsupported] !== '') fail(source, `'${unsupported}' (seccomp notify) is not supported by Janus`);
  }
  if (Array.isArray(doc.architectures) && doc.architectures.length && Array.isArray(doc.archMap) && doc.archMap.length) {
    fail(source, "gives both 'architectures' and 'archMap'; use one of them");
  }
  let archMap: Array<{ architecture: string; subArchitectures: string[] }> | undefined;
  if (doc.archMap !== undefined && doc.archMap !== null) {
    if (!Array.isArray(doc.archMap)) fail(source, 'archMap must be a list');
    archMap = doc.archMap.map((a: unknown, i: number) => {
      if (!isObject(a) || typeof a.architecture !== 'string') fail(source, `archMap[${i}] needs an 'architecture'`);
      return { architecture: a.architecture, subArchitectures: strings(source, `archMap[${i}].subArchitectures`, a.subArchitectures) ?? [] };
    });
  }
  return resolveSeccompProfile(
    {
      defaultAction: action(source, 'defaultAction', doc.defaultAction),
      defaultErrnoRet: uint(source, 'defaultErrnoRet', doc.defaultErrnoRet),
      architectures: strings(source, 'architectures', doc.architectures),
      archMap,
      flags: strings(source, 'flags', doc.flags),
      rules: rawRules.map((r: unknown, i: number) => rule(source, i, r)),
    },
    target,
  );
}
