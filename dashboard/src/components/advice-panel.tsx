import { useEffect, useState } from 'preact/hooks';
import { api, describeError } from '../api.ts';
import type { Workload } from '../workloads.ts';

/** The advisor's answer for one workload (POST /janus/advise; camelCase, Janus's own shape). */
interface Advice {
  name: string;
  level: string;
  wanted: string;
  reasons: { rule: string; level?: string; evidence: string; detail: string }[];
  alternatives: { level: string; works: boolean; note: string }[];
  changes: string[];
  unevaluated: string[];
}

/**
 * The isolation advisor's recommendation for this workload (`janus
 * advise`, through the Engine API's /janus/advise), asked on demand: the
 * level it would pick and why, beside the level the workload runs at.
 */
export function AdvicePanel({ workload }: { workload: Workload }) {
  const [advice, setAdvice] = useState<Advice | undefined>();
  const [status, setStatus] = useState('');
  useEffect(() => {
    setAdvice(undefined);
    setStatus('');
  }, [workload.id]);
  const ask = async (): Promise<void> => {
    setStatus('asking the advisor…');
    try {
      const r = await api<{ Workloads: Advice[] }>('POST', '/janus/advise', { Containers: [workload.id] });
      setAdvice(r.Workloads[0]);
      setStatus('');
    } catch (err) {
      setStatus(`the advisor could not answer: ${describeError(err)}`);
    }
  };
  return (
    <section class="advice" aria-labelledby="advice-title">
      <div class="section-head">
        <h3 id="advice-title">Isolation advice</h3>
        <button type="button" onClick={() => void ask()}>{advice ? 'Ask again' : 'Ask the advisor'}</button>
        <span role="status">{status}</span>
      </div>
      {advice ? (
        <div class="advice-body">
          <p>
            Recommended level: <strong class="advice-level">{advice.level}</strong>
            {advice.wanted && advice.wanted !== advice.level ? ` (wanted ${advice.wanted}, not available here)` : ''}
            {advice.level === workload.isolation ? ' — the level it runs at.' : ` — it runs at ${workload.isolation}.`}
          </p>
          {advice.reasons.length ? (
            <ul>{advice.reasons.map((r) => <li key={r.rule + r.evidence}><strong>{r.rule}</strong>{r.level ? ` → ${r.level}` : ''}: {r.evidence}. {r.detail}</li>)}</ul>
          ) : null}
          {advice.alternatives.length ? (
            <p>Alternatives: {advice.alternatives.map((a) => `${a.level} (${a.works ? 'works' : 'does not work'}${a.note ? `: ${a.note}` : ''})`).join('; ')}</p>
          ) : null}
          {advice.changes.length ? <p>What would change the answer: {advice.changes.join('; ')}</p> : null}
        </div>
      ) : null}
    </section>
  );
}
