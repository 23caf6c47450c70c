/**
 * The `janus` CLI entry point (`bin/janus` runs `node src/cli/main.ts "$@"`).
 * It only wires the process to `runCli`: streams, environment, signals and
 * the exit status. Exit statuses are documented in exit-codes.ts: 0 success,
 * 1 any failure of the request (daemon errors of every kind, an unreachable
 * daemon), 125 usage errors (unknown command or flag, bad arguments, a
 * template that does not parse), 130/143 when interrupted by SIGINT/SIGTERM.
 */
import { runCli } from './run-cli.ts';
import { ProcessSignals } from './signal-source.ts';

const controller = new AbortController();
let interrupted: number | undefined;
// While a command forwards signals to a container (run, attach), they go there instead.
const signals = new ProcessSignals(process, (sig) => {
  const code = sig === 'SIGINT' ? 130 : 143;
  // A second signal means the user wants out now, whatever is in flight.
  if (interrupted !== undefined) process.exit(code);
  interrupted = code;
  controller.abort();
});
// A closed pipe (`janus images | head -1`) is not an error worth a trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const code = await runCli(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env }, { signal: controller.signal, signals });
process.exitCode = interrupted ?? code;
