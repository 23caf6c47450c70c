import type { IsolationLevel } from '../engine/container-service.ts';
import type { AdviceAlternative, AdviceReason, WorkloadAdvice } from '../engine/isolation-advice.ts';
import { RULES, type AdvisorRule } from './rules.ts';
import type { HostAdviceFacts, WorkloadFacts } from './workload-facts.ts';

const LEVELS: readonly IsolationLevel[] = ['container', 'sandbox', 'vm'];
const rank = (l: IsolationLevel): number => LEVELS.indexOf(l);
const DEFAULT_RULE = 'fast-density-default';
/** Rules whose need a sandbox does not meet (gVisor is not a kernel of the workload's choosing). */
const NEEDS_OWN_KERNEL = new Set(['foreign-platform', 'own-kernel', 'full-os-init']);

const WHAT_LEVEL_GIVES: Record<IsolationLevel, string> = {
  container: 'namespaces and cgroups on the shared host kernel: fastest start, least memory',
  sandbox: 'gVisor\'s user-space kernel between the workload and the host kernel: slower syscalls, more memory than a container',
  vm: 'its own guest kernel behind a hypervisor: the strongest boundary, the slowest start and the most memory',
};

/**
 * Evaluates every rule on one workload and picks its level: the highest any
 * rule asks for, lowered to the strongest level that works on this host
 * when that one does not (with a `fallback` reason saying so, and what the
 * lower level does not give). Pure: the same facts give the same advice.
 */
export function adviseWorkload(w: WorkloadFacts, host: HostAdviceFacts, rules: readonly AdvisorRule[] = RULES): WorkloadAdvice {
  const fired: AdviceReason[] = [];
  for (const r of rules) {
    if (r.id === DEFAULT_RULE) continue;
    for (const f of r.check(w, host)) fired.push({ rule: r.id, ...(r.level ? { level: r.level } : {}), evidence: f.evidence, detail: f.detail });
  }
  const wantedOf = (reasons: AdviceReason[]): IsolationLevel =>
    reasons.reduce<IsolationLevel>((acc, r) => (r.level && rank(r.level) > rank(acc) ? r.level : acc), 'container');
  const wanted = wantedOf(fired);
  const reasons = [...fired].sort((a, b) => rank(b.level ?? 'container') - rank(a.level ?? 'container'));
  if (wanted === 'container') {
    const def = rules.find((r) => r.id === DEFAULT_RULE);
    for (const f of def?.check(w, host) ?? []) reasons.push({ rule: DEFAULT_RULE, level: 'container', evidence: f.evidence, detail: f.detail });
  }

  let level = wanted;
  const unevaluated = [...w.unevaluated];
  if (!host.levels[wanted].works) {
    const lower = [...LEVELS].reverse().find((l) => rank(l) < rank(wanted) && host.levels[l].works);
    if (lower) {
      level = lower;
      const unmet = [...new Set(fired.filter((r) => r.level === wanted && NEEDS_OWN_KERNEL.has(r.rule)).map((r) => r.rule))];
      reasons.unshift({
        rule: 'fallback',
        level: lower,
        evidence: `the ${wanted} level does not work on this host: ${host.levels[wanted].why ?? 'no backend'}`,
        detail: `${lower} is the strongest level that works here (${WHAT_LEVEL_GIVES[lower]})${unmet.length > 0 ? `; it does not meet what ${unmet.join(', ')} asked for: that needs a kernel of the workload's own` : ''}`,
      });
    } else {
      unevaluated.push(`no isolation level works on this host, so none could be checked against it; ${wanted} is what the rules ask for`);
    }
  }

  const alternatives: AdviceAlternative[] = LEVELS.filter((l) => l !== level).map((l) => {
    const state = host.levels[l];
    if (!state.works) return { level: l, works: false, note: `does not work on this host: ${state.why ?? 'no backend'}` };
    if (rank(l) < rank(wanted)) {
      const unmet = reasons.filter((r) => r.level && rank(r.level) > rank(l)).map((r) => r.evidence);
      return { level: l, works: true, note: `weaker than the rules ask: leaves ${unmet.join('; ')} unaddressed` };
    }
    return { level: l, works: true, note: `${WHAT_LEVEL_GIVES[l]}; nothing here requires it` };
  });

  const changes: string[] = [];
  const byRule = new Map<string, AdviceReason[]>();
  for (const r of fired) if (r.level) byRule.set(r.rule, [...(byRule.get(r.rule) ?? []), r]);
  for (const [rule, rs] of byRule) {
    const without = wantedOf(fired.filter((r) => r.rule !== rule));
    if (without !== wanted) changes.push(`without ${rs.map((r) => r.evidence).join(' and ')} (${rule}): ${without}`);
  }
  if (wanted === 'container') {
    changes.push('marking it untrusted (label janus.trust=untrusted), a compliance regime, --privileged, an init system or a foreign platform: vm');
    changes.push('--cap-add SYS_ADMIN (or another dangerous capability), --network host or seccomp=unconfined: sandbox');
  }
  if (level !== wanted) changes.push(`a working ${wanted} level on this host: ${wanted}`);
  return { name: w.name, level, wanted, reasons, alternatives, changes, unevaluated };
}
