import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ExecError, type Exec, type ExecResult } from '../../util/exec.ts';
import { criuRefusal, firstCriuError, probeCriu } from './criu-probe.ts';

/** An Exec that answers from a table keyed by `file arg…`, and records what ran. */
function fakeExec(answers: Record<string, Partial<ExecResult> | 'missing'>): Exec & { ran: string[] } {
  const ran: string[] = [];
  return {
    ran,
    async run(file, args) {
      const key = [file, ...args].join(' ');
      ran.push(key);
      const a = answers[key];
      if (a === 'missing' || a === undefined) throw new ExecError(key, undefined, `${file}: spawn ${file} ENOENT`);
      return { code: 0, signal: null, stdout: '', stderr: '', ...a };
    },
  };
}

// What criu 3.17.1 prints on kernel 6.18, whose vDSO layout it does not know.
const VDSO_FAILURE = [
  'Error (criu/vdso.c:381): vdso: Unexpected rt vDSO area bounds',
  'Error (criu/vdso.c:613): vdso: Failed to fill self vdso symtable',
  'Error (criu/kerndat.c:1615): kerndat_vdso_fill_symtable failed when initializing kerndat.',
  'Error (criu/crtools.c:260): Could not initialize kernel features detection.',
].join('\n');

describe('criu probe', () => {
  it('takes criu\'s first error line without its source location', () => {
    assert.equal(firstCriuError(VDSO_FAILURE), 'vdso: Unexpected rt vDSO area bounds');
    assert.equal(firstCriuError('\nsomething odd\n'), 'something odd');
    assert.equal(firstCriuError(''), undefined);
  });

  it('passes when criu check does', async () => {
    const exec = fakeExec({ 'criu --version': { stdout: 'Version: 3.19\n' }, 'criu check': { stdout: 'Looks good.\n' } });
    assert.deepEqual(await probeCriu(exec), { ok: true, version: '3.19' });
    assert.deepEqual(exec.ran, ['criu --version', 'criu check']);
  });

  it('says why criu cannot checkpoint here, in criu\'s words, with its version and the kernel', async () => {
    const exec = fakeExec({ '/x/criu --version': { stdout: 'Version: 3.17.1\n' }, '/x/criu check': { code: 1, stderr: VDSO_FAILURE } });
    const probe = await probeCriu(exec, { criu: '/x/criu' });
    assert.deepEqual(probe, { ok: false, version: '3.17.1', error: 'vdso: Unexpected rt vDSO area bounds' });
    const err = criuRefusal(probe, 'runc', '6.18.44');
    assert.equal(err?.kind, 'Unavailable');
    assert.equal(err?.message, '--memory is not supported for containers run by runc on this host: it needs a CRIU checkpoint and criu 3.17.1 cannot checkpoint on this host (kernel 6.18.44): criu check: vdso: Unexpected rt vDSO area bounds; snapshot without --memory');
  });

  it('says when criu is not installed', async () => {
    const probe = await probeCriu(fakeExec({ 'criu --version': 'missing' }));
    assert.deepEqual(probe, { ok: false, missing: true });
    assert.match(criuRefusal(probe, 'crun')!.message, /run by crun .*criu is not installed \(Debian package criu\); snapshot without --memory$/);
  });

  it('refuses nothing when the probe passed', () => {
    assert.equal(criuRefusal({ ok: true }, 'runc'), undefined);
  });
});
