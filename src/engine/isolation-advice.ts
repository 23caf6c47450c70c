import type { ContainerCreateRequest, IsolationLevel } from './container-service.ts';
import type { AdviceReason } from './isolation-choice.ts';

export type { AdviceReason, IsolationChoice } from './isolation-choice.ts';

/** Another level than the recommended one, and whether it works on this host. */
export interface AdviceAlternative {
  level: IsolationLevel;
  works: boolean;
  /** Why it does not work here, or what it would mean for this workload. */
  note: string;
}

/**
 * The advisor's answer for one workload. `level` is always a level that works
 * on this host when one does; `unevaluated` lists the facts that could not
 * be gathered (a missing image, a backend that does not work), so the
 * answer never silently rests on a guess.
 */
export interface WorkloadAdvice {
  name: string;
  level: IsolationLevel;
  /** The level the rules asked for before what works on this host was considered. */
  wanted: IsolationLevel;
  reasons: AdviceReason[];
  alternatives: AdviceAlternative[];
  /** What would change the answer (`without --privileged: container`). */
  changes: string[];
  /** Facts the advice could not check, each saying what and why. */
  unevaluated: string[];
}

/** Annotations that are not part of docker's create request (compose's `x-janus`). */
export interface WorkloadAnnotations {
  trust?: string;
  compliance?: string;
}

/**
 * Host requests Janus does not offer at any level (`--device`, `--gpus`,
 * `--pid host`, …), passed to the advisor so it can say what they would
 * need instead of refusing the whole command line.
 */
export interface UnofferedRequests {
  devices?: string[];
  gpus?: string;
  pidMode?: string;
  ipcMode?: string;
  utsMode?: string;
}

/** The host as the advisor sees it: which levels work, the VM accelerator, and free memory (for the trade-off). */
export interface AdviceHost {
  levels: Record<IsolationLevel, { works: boolean; why?: string }>;
  accelerator?: 'kvm' | 'tcg';
  /** MemAvailable in bytes; absent when it could not be read. */
  memAvailable?: number;
  memTotal?: number;
}

/**
 * Chooses an isolation level for a workload from its request, its image and
 * the host. Implemented by the advisor (src/advisor/), wired in
 * daemon/main.ts; the engine calls `choose` for `--isolation auto` before it
 * picks a runtime, and the API serves `advise`. Never throws for a fact it
 * cannot gather (that becomes `unevaluated`); NotFound only from
 * `adviseContainer` for an unknown container.
 */
export interface IsolationAdviser {
  /** Advice for a workload about to be created (its isolation request is ignored). */
  advise(
    request: ContainerCreateRequest,
    options?: { name?: string; annotations?: WorkloadAnnotations; unoffered?: UnofferedRequests; signal?: AbortSignal },
  ): Promise<WorkloadAdvice>;
  /** Advice for an existing container, from what it was created with. */
  adviseContainer(nameOrId: string, options?: { signal?: AbortSignal }): Promise<WorkloadAdvice>;
  /** The host facts the advice rests on. */
  host(): Promise<AdviceHost>;
}
