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
  sandbox: 'gVisor\'s user-space kernel between the workload and the host kernel: slower syscalls, more memory than a container; on a network its sockets are the host kernel\'s, in a network namespace of its own (gVisor\'s host networking)',
  vm: 'its own guest kernel behind a hypervisor: the strongest boundary, the slowest start and the most memory',
};

/**
 * What Janus cannot run at a level whatever the host (limits of its
 * backends today), so the advice never names a level whose create would be
 * refused. `applies` returns the offending setting as the user wrote it.
 */
const LEVEL_LIMITS: readonly { level: IsolationLevel; applies: (w: WorkloadFacts) => string | undefined; why: string }[] = [
  {
    level: 'sandbox',
    applies: (w) => (w.networkMode === 'host' ? '--network host' : w.networkMode?.startsWith('container:') ? `--network ${w.networkMode}` : undefined),
    why: 'gVisor takes over the interfaces of the network namespace it runs in: a sandbox has a namespace of its own',
  },
  {
    level: 'vm',
    applies: (w) => (w.networkMode === 'host' ? '--network host' : w.networkMode?.startsWith('container:') ? `--network ${w.networkMode}` : undefined),
    why: 'a VM has its own kernel and network stack: it cannot share a namespace of the host\'s or another container\'s',
  },
];

/**
 * Evaluates every rule on one workload and picks its level: the highest any
 * rule asks for; when that level cannot run the workload here (its backend
 * does not work, or Janus's limits at that level), the next stronger level
 * that can, else the strongest weaker one — with a `fallback` reason saying
 * which and why. Pure: the same facts give the same advice.
 */
export function adviseWorkload(w: WorkloadFacts, host: HostAdviceFacts, rules: readonly AdvisorRule[] = RULES, options: { hypothetical?: boolean } = {}): WorkloadAdvice {
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

  const unevaluated = [...w.unevaluated];
  /** Why level `l` cannot run this workload here (its backend does not work, or Janus's limits at that level), or undefined. */
  const blocked = (l: IsolationLevel): string | undefined => {
    if (!host.levels[l].works) return `the ${l} level does not work on this host: ${host.levels[l].why ?? 'no backend'}`;
    const limit = LEVEL_LIMITS.find((x) => x.level === l && x.applies(w));
    return limit ? `the ${l} level cannot run ${limit.applies(w)} here: ${limit.why}` : undefined;
  };
  // The level asked for, else the next stronger one that can run the workload, else the strongest weaker one.
  const candidates = [wanted, ...LEVELS.filter((l) => rank(l) > rank(wanted)), ...[...LEVELS].reverse().filter((l) => rank(l) < rank(wanted))];
  let level = candidates.find((l) => !blocked(l));
  if (level === undefined) {
    level = wanted;
    unevaluated.push(`no isolation level can run this workload on this host (${LEVELS.map((l) => blocked(l)).join('; ')}); ${wanted} is what the rules ask for`);
  } else if (level !== wanted) {
    const skipped = candidates.slice(0, candidates.indexOf(level)).map((l) => blocked(l)!);
    const weaker = rank(level) < rank(wanted);
    const unmet = weaker ? [...new Set(fired.filter((r) => r.level === wanted && NEEDS_OWN_KERNEL.has(r.rule)).map((r) => r.rule))] : [];
    reasons.unshift({
      rule: 'fallback',
      level,
      evidence: skipped.join('; '),
      detail: `${level} is the ${weaker ? 'strongest level' : 'next stronger level'} that can run it here (${WHAT_LEVEL_GIVES[level]})${unmet.length > 0 ? `; it does not meet what ${unmet.join(', ')} asked for: that needs a kernel of the workload's own` : ''}`,
    });
  }

  if (level === 'sandbox' && w.networkMode === undefined) {
    reasons.push({ rule: 'fallback', evidence: 'no --network given', detail: 'a sandbox joins a network only when --network names one (gVisor then uses host networking, which cannot be memory-snapshotted): without it the workload has no network' });
  }

  const alternatives: AdviceAlternative[] = LEVELS.filter((l) => l !== level).map((l) => {
    const state = host.levels[l];
    if (!state.works) return { level: l, works: false, note: `does not work on this host: ${state.why ?? 'no backend'}` };
    const why = blocked(l);
    if (why) return { level: l, works: true, note: `cannot run this workload: ${why}` };
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
  if (wanted === 'container' && !options.hypothetical) {
    // What typical additions would give this very workload on this host (a level may be out of reach here).
    const what: [string, Partial<WorkloadFacts>][] = [
      ['label janus.trust=untrusted', { trust: { value: 'untrusted', source: 'label janus.trust' } }],
      ['--privileged', { privileged: true }],
      ['--cap-add SYS_ADMIN', { capAdd: [...w.capAdd, 'SYS_ADMIN'] }],
    ];
    for (const [evidence, over] of what) {
      changes.push(`with ${evidence}: ${adviseWorkload({ ...w, ...over }, host, rules, { hypothetical: true }).level}`);
    }
  }
  if (level !== wanted) {
    const limit = LEVEL_LIMITS.find((x) => x.level === wanted && x.applies(w));
    changes.push(limit && host.levels[wanted].works ? `without ${limit.applies(w)}: ${wanted}` : `a working ${wanted} level on this host: ${wanted}`);
  }
  return { name: w.name, level, wanted, reasons, alternatives, changes, unevaluated };
}
