/*
 * The recent stats of the host and of each workload, as the charts draw
 * them: per series a window of the last `capacity` samples. Pure.
 */

/** One workload's rates in a sample (src/api/dashboard/stats-sampler.ts). */
export interface WorkloadRates {
  cpu: number;
  mem: number;
  memLimit: number;
  rx: number;
  tx: number;
  read: number;
  write: number;
}

/** The host's rates in a sample. */
export interface HostRates {
  cpu: number;
  cpus: number;
  mem: number;
  memTotal: number;
  rx: number;
  tx: number;
  read: number;
  write: number;
}

/** One sample as `/dashboard/stream` sends it. */
export interface StatsFrame {
  time: number;
  host: HostRates;
  workloads: Record<string, WorkloadRates>;
}

/** The fields charted, in chart order. */
export const FIELDS = ['cpu', 'mem', 'rx', 'tx', 'read', 'write'] as const;
export type Field = (typeof FIELDS)[number];

/** A window of samples: times in seconds (uPlot's x) and one column per field. */
export interface Series {
  t: number[];
  cols: Record<Field, number[]>;
  /** The last sample as sent. */
  last?: WorkloadRates | HostRates;
}

function emptySeries(): Series {
  return { t: [], cols: { cpu: [], mem: [], rx: [], tx: [], read: [], write: [] } };
}

/**
 * Keeps the last `capacity` samples of the host and of every workload in
 * the frames; a workload that is in no frame for `capacity` samples is
 * forgotten, so removed workloads do not pile up.
 */
export class StatsHistory {
  readonly capacity: number;
  readonly host: Series = emptySeries();
  readonly #workloads = new Map<string, { series: Series; seen: number }>();
  #frames = 0;
  /** Increases with every frame: a cheap "changed" signal for views. */
  version = 0;

  constructor(capacity = 120) {
    this.capacity = capacity;
  }

  /** Adds one frame. */
  push(frame: StatsFrame): void {
    const t = frame.time / 1000;
    this.#frames++;
    this.version++;
    append(this.host, t, frame.host, this.capacity);
    for (const [id, rates] of Object.entries(frame.workloads)) {
      let entry = this.#workloads.get(id);
      if (!entry) {
        entry = { series: emptySeries(), seen: 0 };
        this.#workloads.set(id, entry);
      }
      entry.seen = this.#frames;
      append(entry.series, t, rates, this.capacity);
    }
    for (const [id, entry] of this.#workloads) if (this.#frames - entry.seen >= this.capacity) this.#workloads.delete(id);
  }

  /** A workload's window, or undefined when no frame had it. */
  of(id: string): Series | undefined {
    return this.#workloads.get(id)?.series;
  }

  /** The last rates of a workload, or undefined when it was not in the latest frame. */
  latest(id: string): WorkloadRates | undefined {
    const e = this.#workloads.get(id);
    return e && e.seen === this.#frames ? (e.series.last as WorkloadRates) : undefined;
  }

  /** Forgets everything (after a reconnect the rates restart). */
  clear(): void {
    this.#workloads.clear();
    this.host.t.length = 0;
    for (const f of FIELDS) this.host.cols[f].length = 0;
    this.version++;
  }
}

function append(s: Series, t: number, rates: WorkloadRates | HostRates, capacity: number): void {
  s.t.push(t);
  for (const f of FIELDS) s.cols[f].push(rates[f]);
  s.last = rates;
  if (s.t.length > capacity) {
    const drop = s.t.length - capacity;
    s.t.splice(0, drop);
    for (const f of FIELDS) s.cols[f].splice(0, drop);
  }
}
