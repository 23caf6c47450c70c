import { BENCH_LEVELS, type BenchLevel, type BenchResults, type LevelFigures } from '../../core/bench-results.ts';
import { invalidArgument, type JanusError } from '../../core/errors.ts';

type Obj = Record<string, unknown>;

const bad = (path: string, what: string): JanusError => invalidArgument(`bench results: ${path || 'the body'} ${what}`);
const at = (path: string, key: string): string => (path ? `${path}.${key}` : key);

function object(v: unknown, path: string, allowed: readonly string[]): Obj {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw bad(path, 'must be a JSON object');
  for (const k of Object.keys(v)) if (!allowed.includes(k)) throw bad(at(path, k), 'is not a field of bench results');
  return v as Obj;
}

function num(o: Obj, path: string, key: string, optional = false): number | undefined {
  const v = o[key];
  if (v === undefined && optional) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw bad(at(path, key), 'must be a non-negative number');
  return v;
}

function str(o: Obj, path: string, key: string, optional = false): string | undefined {
  const v = o[key];
  if (v === undefined && optional) return undefined;
  if (typeof v !== 'string') throw bad(at(path, key), 'must be a string');
  return v;
}

const FIGURES = ['coldStartMs', 'warmStartMs', 'execMs', 'idlePssBytes', 'fitInBudget', 'cpuMBps', 'ioMBps'] as const;

function level(v: unknown, path: string): LevelFigures {
  const o = object(v, path, ['works', 'why', ...FIGURES, 'notes']);
  if (typeof o.works !== 'boolean') throw bad(`${path}.works`, 'must be true or false');
  if (!Array.isArray(o.notes) || o.notes.some((n) => typeof n !== 'string')) throw bad(`${path}.notes`, 'must be an array of strings');
  const f: LevelFigures = { works: o.works, notes: [...(o.notes as string[])] };
  const why = str(o, path, 'why', true);
  if (why !== undefined) f.why = why;
  for (const k of FIGURES) {
    const n = num(o, path, k, true);
    if (n !== undefined) f[k] = n;
  }
  return f;
}

/**
 * Parses the body of `PUT /janus/bench` — the JSON `janus bench --format
 * json` prints — into BenchResults. Strict, because the daemon keeps what it
 * is given and the advisor and dashboard trust it: an unknown field, a wrong
 * type, a negative or non-finite figure, a missing level or an unparsable
 * time is InvalidArgument naming the field (`levels.vm.coldStartMs`).
 */
export function parseBenchResults(body: unknown): BenchResults {
  const o = object(body, '', ['version', 'measuredAt', 'quick', 'host', 'budgetBytes', 'iterations', 'levels']);
  if (o.version !== 1) throw bad('version', 'must be 1 (the only version this daemon reads)');
  const measuredAt = str(o, '', 'measuredAt')!;
  if (Number.isNaN(Date.parse(measuredAt))) throw bad('measuredAt', 'must be an RFC 3339 time');
  if (typeof o.quick !== 'boolean') throw bad('quick', 'must be true or false');
  const h = object(o.host, 'host', ['name', 'kernel', 'cpus', 'memTotal', 'accelerator']);
  const accelerator = str(h, 'host', 'accelerator', true);
  const it = object(o.iterations, 'iterations', ['start', 'exec']);
  const lv = object(o.levels, 'levels', BENCH_LEVELS);
  const levels = {} as Record<BenchLevel, LevelFigures>;
  for (const l of BENCH_LEVELS) {
    if (lv[l] === undefined) throw bad(`levels.${l}`, 'is missing');
    levels[l] = level(lv[l], `levels.${l}`);
  }
  return {
    version: 1,
    measuredAt,
    quick: o.quick,
    host: {
      name: str(h, 'host', 'name')!, kernel: str(h, 'host', 'kernel')!, cpus: num(h, 'host', 'cpus')!, memTotal: num(h, 'host', 'memTotal')!,
      ...(accelerator !== undefined ? { accelerator } : {}),
    },
    budgetBytes: num(o, '', 'budgetBytes')!,
    iterations: { start: num(it, 'iterations', 'start')!, exec: num(it, 'iterations', 'exec')! },
    levels,
  };
}
