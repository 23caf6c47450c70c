// The level is spelled out rather than imported: container-service.ts imports this file (no type cycle).

/** One reason for (or against) an isolation level: the advisor's rule, what it saw, and what that means. */
export interface AdviceReason {
  /** The rule's id in src/advisor/rules.ts (`untrusted-code`, `dangerous-capability`, …). */
  rule: string;
  /** The level the rule pushes toward; absent for rules that only inform (hardware Janus cannot pass through). */
  level?: 'container' | 'sandbox' | 'vm';
  /** What was seen, quoted from the workload (`--cap-add SYS_ADMIN`, `label janus.trust=untrusted`). */
  evidence: string;
  /** The risk or need it shows, and what the level does about it. */
  detail: string;
}

/** What `--isolation auto` resolved to, kept on the container and shown by inspect (`Janus.Advice`). */
export interface IsolationChoice {
  requested: 'auto';
  level: 'container' | 'sandbox' | 'vm';
  reasons: AdviceReason[];
  unevaluated: string[];
}

