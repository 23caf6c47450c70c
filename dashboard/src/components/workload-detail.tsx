import { useState } from 'preact/hooks';
import { api, describeError } from '../api.ts';
import { formatBytes, formatDuration, formatPercent, formatRate } from '../format.ts';
import type { StatsHistory } from '../stats-history.ts';
import { isolationLabel, portLabel, portLink, stateLabel, uptimeLabel, type Workload } from '../workloads.ts';
import { AdvicePanel } from './advice-panel.tsx';
import { Chart } from './chart.tsx';
import { ConfirmDialog } from './confirm-dialog.tsx';
import { LogsPanel } from './logs-panel.tsx';
import { TerminalPanel } from './terminal-panel.tsx';

/** Props of WorkloadDetail. */
export interface WorkloadDetailProps {
  workload: Workload;
  /** False once the workload is gone from the daemon's list (removed while shown). */
  exists: boolean;
  stats: StatsHistory;
  statsVersion: number;
  now: number;
  onRemoved(): void;
}

type Action = 'start' | 'stop' | 'restart' | 'remove';

const ACTIONS: Readonly<Record<Action, { label: string; verb: string; when: (w: Workload) => boolean }>> = {
  start: { label: 'Start', verb: 'start', when: (w) => w.state !== 'running' && w.state !== 'paused' && w.state !== 'restarting' },
  stop: { label: 'Stop', verb: 'stop', when: (w) => w.state === 'running' || w.state === 'paused' || w.state === 'restarting' },
  restart: { label: 'Restart', verb: 'restart', when: (w) => w.state !== 'removing' },
  remove: { label: 'Remove', verb: 'remove', when: (w) => w.state !== 'removing' },
};

/**
 * One workload: what it is (isolation level and accelerator, state,
 * health, ports, image, uptime), its live charts, the lifecycle actions
 * (each confirmed first), its log and a terminal.
 */
export function WorkloadDetail(props: WorkloadDetailProps) {
  const w = props.workload;
  const [confirm, setConfirm] = useState<Action | undefined>();
  const [busy, setBusy] = useState<Action | undefined>();
  const [message, setMessage] = useState('');
  const series = props.stats.of(w.id);
  const running = w.state === 'running' || w.state === 'paused';

  const run = async (action: Action): Promise<void> => {
    setConfirm(undefined);
    setBusy(action);
    setMessage(`${ACTIONS[action].verb}: in progress…`);
    const id = encodeURIComponent(w.id);
    try {
      if (action === 'remove') {
        await api('DELETE', `/containers/${id}?force=${running ? 1 : 0}`);
        setMessage(`${w.name} was removed`);
        props.onRemoved();
      } else {
        await api('POST', `/containers/${id}/${action}`);
        setMessage(`${ACTIONS[action].verb}: done`);
      }
    } catch (err) {
      setMessage(`${ACTIONS[action].verb} failed: ${describeError(err)}`);
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <section class="detail" aria-labelledby="detail-title">
      <header class="detail-head">
        <h2 id="detail-title">{w.name}</h2>
        {!props.exists ? <p role="alert" class="gone">This workload no longer exists: it was removed while shown. What you see is its last known state.</p> : null}
        <dl class="facts">
          <dt>Isolation</dt><dd class="isolation">{isolationLabel(w)} <span class="muted">(runtime {w.runtime})</span></dd>
          <dt>State</dt><dd class="state-text">{stateLabel(w)}</dd>
          <dt>Health</dt><dd>{w.health || 'no healthcheck'}</dd>
          <dt>Image</dt><dd>{w.image}</dd>
          <dt>Uptime</dt><dd>{uptimeLabel(w, props.now, formatDuration) || '–'}</dd>
          <dt>Ports</dt>
          <dd>
            {w.ports.length === 0 ? 'none' : w.ports.map((p) => {
              const href = portLink(p, location.hostname);
              return href ? <a key={portLabel(p)} href={href} target="_blank" rel="noopener noreferrer">{portLabel(p)} </a> : <span key={portLabel(p)}>{portLabel(p)} </span>;
            })}
          </dd>
          {w.project ? (<><dt>Compose</dt><dd>{w.project} / {w.service}</dd></>) : null}
          <dt>ID</dt><dd class="mono">{w.id.slice(0, 12)}</dd>
        </dl>
      </header>
      <div class="actions" role="group" aria-label="Lifecycle actions">
        {(Object.keys(ACTIONS) as Action[]).map((a) => (
          <button key={a} type="button" class={a === 'remove' ? 'danger' : ''} disabled={!props.exists || busy !== undefined || !ACTIONS[a].when(w)} onClick={() => setConfirm(a)}>
            {busy === a ? `${ACTIONS[a].label}…` : ACTIONS[a].label}
          </button>
        ))}
        <span role="status" class="action-status">{message}</span>
      </div>
      {confirm ? (
        <ConfirmDialog
          title={`${ACTIONS[confirm].label} ${w.name}?`}
          message={confirm === 'remove'
            ? `This removes ${w.name}${running ? ' (it is running: it will be killed first)' : ''}. Its writable layer goes with it.`
            : `This will ${ACTIONS[confirm].verb} ${w.name} (${isolationLabel(w)}).`}
          confirmLabel={ACTIONS[confirm].label}
          onConfirm={() => void run(confirm)}
          onCancel={() => setConfirm(undefined)}
        />
      ) : null}
      <div class="charts" aria-label="Resource use">
        <Chart title="CPU (% of one core)" series={series} version={props.statsVersion} format={formatPercent} lines={[{ field: 'cpu', label: 'CPU', color: '#1f5fbf' }]} />
        <Chart title={`Memory${series?.last && 'memLimit' in series.last ? ` (limit ${formatBytes(series.last.memLimit)})` : ''}`} series={series} version={props.statsVersion} format={formatBytes} lines={[{ field: 'mem', label: 'used', color: '#8a3ab9' }]} />
        <Chart title="Network" series={series} version={props.statsVersion} format={formatRate} lines={[{ field: 'rx', label: 'received', color: '#0b7a3e' }, { field: 'tx', label: 'sent', color: '#b35900' }]} />
        <Chart title="Block I/O" series={series} version={props.statsVersion} format={formatRate} lines={[{ field: 'read', label: 'read', color: '#0b6f7a' }, { field: 'write', label: 'written', color: '#b3261e' }]} />
      </div>
      {props.exists ? <AdvicePanel workload={w} /> : null}
      {props.exists ? <LogsPanel workload={w} /> : null}
      {props.exists ? <TerminalPanel workload={w} /> : null}
    </section>
  );
}
