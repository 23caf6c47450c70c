import { release } from 'node:os';
import { unavailable, type JanusError } from '../../core/errors.ts';
import { ExecError, type Exec } from '../../util/exec.ts';

/** What `probeCriu` found out about CRIU on this host. */
export interface CriuProbe {
  /** `criu check` passed: runc and crun can checkpoint here. */
  ok: boolean;
  /** `3.17.1`, when criu runs at all. */
  version?: string;
  /** criu is not installed (or cannot be started). */
  missing?: boolean;
  /** criu's own first error line, when `criu check` failed. */
  error?: string;
}

/**
 * criu's first error line without its source location: `Error
 * (criu/vdso.c:381): vdso: Unexpected rt vDSO area bounds` → `vdso:
 * Unexpected rt vDSO area bounds`. Falls back to the first non-empty line.
 */
export function firstCriuError(text: string): string | undefined {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  const err = lines.find((l) => /^Error\b/.test(l)) ?? lines[0];
  return err?.replace(/^Error\s*(\([^)]*\))?:\s*/, '');
}

/**
 * Asks criu whether it can checkpoint on this host (`criu check`, which
 * detects the kernel features a dump needs). Never throws. A criu that is
 * older than the kernel fails here (criu 3.17 does not know 6.x's vDSO
 * layout), which is why the answer is probed, not assumed from the binary.
 */
export async function probeCriu(exec: Exec, options: { criu?: string } = {}): Promise<CriuProbe> {
  const criu = options.criu ?? 'criu';
  let version: string | undefined;
  try {
    const v = await exec.run(criu, ['--version'], { check: false });
    version = /Version:\s*(\S+)/.exec(v.stdout)?.[1];
  } catch (err) {
    if (err instanceof ExecError && err.result === undefined) return { ok: false, missing: true };
    return { ok: false, error: (err as Error).message };
  }
  try {
    const r = await exec.run(criu, ['check'], { check: false });
    if (r.code === 0) return { ok: true, ...(version ? { version } : {}) };
    return { ok: false, ...(version ? { version } : {}), error: firstCriuError(`${r.stderr}\n${r.stdout}`) ?? `exit status ${r.code}` };
  } catch (err) {
    return { ok: false, ...(version ? { version } : {}), error: (err as Error).message };
  }
}

/**
 * The Unavailable error `snapshot create --memory` gets when CRIU cannot
 * checkpoint a container of `runtime` here, naming criu and its reason in
 * its own words. Undefined when the probe passed.
 */
export function criuRefusal(probe: CriuProbe, runtime: string, kernel: string = release()): JanusError | undefined {
  if (probe.ok) return undefined;
  const head = `--memory is not supported for containers run by ${runtime} on this host: it needs a CRIU checkpoint and`;
  if (probe.missing) return unavailable(`${head} criu is not installed (Debian package criu); snapshot without --memory`);
  const criu = probe.version ? `criu ${probe.version}` : 'criu';
  return unavailable(`${head} ${criu} cannot checkpoint on this host (kernel ${kernel}): criu check: ${probe.error ?? 'failed'}; snapshot without --memory`);
}
