/**
 * Progress of a long image operation (pull, push, load), per item (usually a
 * layer, keyed by its short digest). The API turns these into Docker's JSON
 * progress messages; the CLI into bars or lines.
 */
export interface ProgressEvent {
  /** Short ID of the item (12 hex chars of a digest), or undefined for whole-operation messages. */
  id?: string;
  /** Docker's status words: "Pulling fs layer", "Downloading", "Verifying Checksum", "Download complete", "Extracting", "Pull complete", "Already exists", "Waiting", "Preparing", "Pushing", "Pushed", "Layer already exists", "Mounted from …", or a free message such as "Digest: sha256:…". */
  status: string;
  current?: number;
  total?: number;
}

/** A sink for progress events. Must not throw and must be cheap. */
export type ProgressSink = (event: ProgressEvent) => void;
