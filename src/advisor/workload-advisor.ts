import { isJanusError } from '../core/errors.ts';
import type { ContainerCreateRequest, ContainerService } from '../engine/container-service.ts';
import type { ImageDetail, ImageService } from '../engine/image-service.ts';
import type { AdviceHost, IsolationAdviser, UnofferedRequests, WorkloadAdvice, WorkloadAnnotations } from '../engine/isolation-advice.ts';
import { adviseWorkload } from './advise-workload.ts';
import { findInitSystemFiles } from './image-init-files.ts';
import { workloadFactsOf } from './workload-facts-of.ts';

/** Options of `WorkloadAdvisor`. */
export interface WorkloadAdvisorOptions {
  images: ImageService;
  containers: ContainerService;
  /** The host now: which levels work (and why not), the accelerator, free memory. */
  host: () => Promise<AdviceHost>;
  /** GOOS / GOARCH of the host kernel. */
  os: string;
  architecture: string;
  /** Reads the image's files for an init system; injectable so tests need no layers on disk. */
  initFiles?: (layerDirs: readonly string[]) => Promise<string[]>;
}

/**
 * The advisor behind `janus advise` and `--isolation auto`: gathers a
 * workload's facts (its request, its image's config and files, its
 * annotations, the host) and runs the rules table on them. A fact it cannot
 * gather (an image that is not here, layers it cannot read) becomes an
 * `unevaluated` line of the advice, never a guess and never an error.
 */
export class WorkloadAdvisor implements IsolationAdviser {
  readonly #o: WorkloadAdvisorOptions;

  constructor(options: WorkloadAdvisorOptions) {
    this.#o = options;
  }

  async advise(
    request: ContainerCreateRequest,
    options: { name?: string; annotations?: WorkloadAnnotations; unoffered?: UnofferedRequests; signal?: AbortSignal } = {},
  ): Promise<WorkloadAdvice> {
    let image: ImageDetail | undefined;
    let imageProblem: string | undefined;
    try {
      image = await this.#o.images.inspect(request.image);
    } catch (err) {
      if (!isJanusError(err)) throw err;
      imageProblem = err.kind === 'NotFound' ? 'not on this host (pull it to have it checked)' : err.message;
    }
    let initSystemFiles: string[] | undefined;
    let initProblem: string | undefined;
    if (image) {
      try {
        initSystemFiles = await (this.#o.initFiles ?? findInitSystemFiles)(image.layerDirs.filter((d) => d !== ''));
      } catch (err) {
        initProblem = (err as Error).message;
      }
    }
    const host = await this.#o.host();
    const facts = workloadFactsOf({
      name: options.name ?? request.name ?? request.image,
      request,
      ...(image ? { image } : {}),
      ...(imageProblem ? { imageProblem } : {}),
      ...(initSystemFiles ? { initSystemFiles } : {}),
      ...(initProblem ? { initProblem } : {}),
      ...(options.annotations ? { annotations: options.annotations } : {}),
      ...(options.unoffered ? { unoffered: options.unoffered } : {}),
    });
    const advice = adviseWorkload(facts, { os: this.#o.os, architecture: this.#o.architecture, levels: host.levels, ...(host.accelerator ? { accelerator: host.accelerator } : {}) });
    for (const [level, state] of Object.entries(host.levels)) {
      if (!state.works && level !== advice.level) advice.unevaluated.push(`the ${level} level does not work on this host (${state.why ?? 'no backend'}): it was not considered`);
    }
    return advice;
  }

  async adviseContainer(nameOrId: string, options: { signal?: AbortSignal } = {}): Promise<WorkloadAdvice> {
    const view = await this.#o.containers.inspect(nameOrId);
    const advice = await this.advise({ ...view.request, image: view.image }, { name: view.name, ...(options.signal ? { signal: options.signal } : {}) });
    if (view.isolation !== advice.level) advice.changes.unshift(`it runs at the ${view.isolation} level now: recreate it with --isolation ${advice.level} to follow this advice`);
    return advice;
  }

  host(): Promise<AdviceHost> {
    return this.#o.host();
  }
}
