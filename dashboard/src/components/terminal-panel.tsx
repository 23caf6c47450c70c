import { Terminal } from '@xterm/xterm';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, describeError } from '../api.ts';
import type { Workload } from '../workloads.ts';

const COLS = 100;
const ROWS = 24;

/** Props of TerminalPanel. */
export interface TerminalPanelProps {
  workload: Workload;
}

/** The words of a command line, split on blanks (no quoting: a shell does the rest). Pure. */
export function commandWords(text: string): string[] {
  return text.trim().split(/\s+/).filter(Boolean);
}

/**
 * A terminal in the workload (container, sandbox or VM alike): the Engine
 * API's exec with a TTY, its stream carried over a websocket to xterm.js.
 * Closing the panel or losing the connection ends the session; the page
 * says which.
 */
export function TerminalPanel({ workload }: TerminalPanelProps) {
  const [command, setCommand] = useState('/bin/sh');
  const [status, setStatus] = useState('');
  const [session, setSession] = useState(0);
  const box = useRef<HTMLDivElement>(null);
  const socket = useRef<WebSocket | null>(null);
  const term = useRef<Terminal | null>(null);

  useEffect(() => () => {
    socket.current?.close();
    term.current?.dispose();
  }, []);

  useEffect(() => {
    // Another workload: the old session ends.
    socket.current?.close();
    term.current?.dispose();
    term.current = null;
    setStatus('');
  }, [workload.id]);

  const open = async (): Promise<void> => {
    socket.current?.close();
    term.current?.dispose();
    const words = commandWords(command);
    if (words.length === 0) return;
    setStatus('starting…');
    let execId: string;
    try {
      ({ Id: execId } = await api<{ Id: string }>('POST', `/containers/${encodeURIComponent(workload.id)}/exec`, {
        AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: true, Cmd: words, Env: [`COLUMNS=${COLS}`, `LINES=${ROWS}`, 'TERM=xterm'],
      }));
    } catch (err) {
      setStatus(`cannot start ${words[0]}: ${describeError(err)}`);
      return;
    }
    const t = new Terminal({ cols: COLS, rows: ROWS, convertEol: false, fontSize: 13, scrollback: 2000, theme: { background: '#111', foreground: '#eee' } });
    term.current = t;
    t.open(box.current!);
    const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/dashboard/exec/${execId}`);
    ws.binaryType = 'arraybuffer';
    socket.current = ws;
    const encoder = new TextEncoder();
    ws.onopen = () => {
      setStatus(`connected: ${words.join(' ')}`);
      void api('POST', `/exec/${execId}/resize?h=${ROWS}&w=${COLS}`).catch(() => {});
      t.focus();
    };
    ws.onmessage = (e) => t.write(new Uint8Array(e.data as ArrayBuffer));
    ws.onclose = (e) => {
      if (socket.current !== ws) return;
      setStatus(e.wasClean || e.code === 1000 ? 'the session ended' : 'the connection was lost: the session ended (open a new one)');
    };
    t.onData((d) => { if (ws.readyState === WebSocket.OPEN) ws.send(encoder.encode(d)); });
    setSession((n) => n + 1);
  };

  return (
    <section class="terminal" aria-labelledby="terminal-title">
      <h3 id="terminal-title">Terminal</h3>
      <form class="terminal-form" onSubmit={(e) => { e.preventDefault(); void open(); }}>
        <label>Command <input type="text" value={command} onInput={(e) => setCommand((e.currentTarget as HTMLInputElement).value)} /></label>
        <button type="submit" disabled={workload.state !== 'running'}>{session > 0 ? 'Open a new session' : 'Open terminal'}</button>
        {workload.state !== 'running' ? <span> (the workload must be running)</span> : null}
      </form>
      <p role="status" class="terminal-status">{status}</p>
      <div ref={box} class="xterm-box" aria-label="Terminal output" />
    </section>
  );
}
