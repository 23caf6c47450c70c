/**
 * One line of conmon's `k8s-file` log. Janus keeps container logs in this
 * format because conmon, the supervisor that outlives the daemon, writes it
 * natively and cheaply (no JSON escaping in the hot path, partial lines
 * marked); the Docker API's json-file view (`{"log","stream","time"}`) is
 * produced from these records when `logs` is read, so nothing is lost: the
 * stream, the nanosecond timestamp and the partial flag are all here.
 */
export interface K8sLogLine {
  /** The timestamp as written (RFC 3339 with nanoseconds and a zone offset); kept as text so no precision is lost. */
  time: string;
  /** The same instant as a Date (millisecond precision). */
  date: Date;
  stream: 'stdout' | 'stderr';
  /** False for a `P` record: the program wrote no newline yet, the next record continues this one. */
  full: boolean;
  /** The text, without the trailing newline conmon strips. */
  text: string;
}

const LINE = /^(\S+) (stdout|stderr) ([FP])(?: (.*))?$/s;

/**
 * Parses one line of a k8s-file log (`<RFC3339Nano> stdout|stderr F|P <text>`,
 * without its `\n`). Returns undefined for a line that is not such a record
 * (a torn last line of a log being written, or garbage), so readers can skip it.
 */
export function parseK8sLogLine(line: string): K8sLogLine | undefined {
  const m = LINE.exec(line.endsWith('\n') ? line.slice(0, -1) : line);
  if (!m) return undefined;
  const date = new Date(m[1]);
  if (Number.isNaN(date.getTime())) return undefined;
  return { time: m[1], date, stream: m[2] as 'stdout' | 'stderr', full: m[3] === 'F', text: m[4] ?? '' };
}
