import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { checkSession } from './api.ts';
import { Chart } from './components/chart.tsx';
import { ResourcesPanel } from './components/resources-panel.tsx';
import { BenchPanel } from './components/bench-panel.tsx';
import { WorkloadDetail } from './components/workload-detail.tsx';
import { WorkloadList } from './components/workload-list.tsx';
import { formatBytes, formatPercent, formatRate } from './format.ts';
import { StatsHistory } from './stats-history.ts';
import { followStream, type ConnectionState } from './stream-client.ts';
import { groupByProject, listItems, type Workload } from './workloads.ts';

/** How the page talks about its connection to the daemon. */
function connectionText(c: ConnectionState, now: number): string {
  switch (c.kind) {
    case 'connecting': return 'connecting to the daemon…';
    case 'live': return 'live';
    case 'retrying': return `${c.reason}; retrying in ${Math.max(0, Math.ceil((c.retryAt - now) / 1000))} s (attempt ${c.attempt})`;
    case 'unauthorized': return `refused: ${c.reason}`;
  }
}

/**
 * The dashboard: a header with the connection's state and the host's
 * charts, the workload list, and the selected workload's detail (or the
 * images and volumes).
 */
export function App() {
  const [session, setSession] = useState<{ state: 'checking' | 'ok' | 'unauthorized' | 'unreachable'; message: string }>({ state: 'checking', message: '' });
  const [connection, setConnection] = useState<ConnectionState>({ kind: 'connecting' });
  const [workloads, setWorkloads] = useState<Workload[] | undefined>();
  const [statsVersion, setStatsVersion] = useState(0);
  const [selected, setSelected] = useState<string | undefined>();
  const [view, setView] = useState<'workloads' | 'resources' | 'bench'>('workloads');
  const [now, setNow] = useState(Date.now());
  const lastKnown = useRef(new Map<string, Workload>());
  const stats = useMemo(() => new StatsHistory(120), []);

  useEffect(() => {
    void checkSession().then(setSession);
  }, []);

  useEffect(() => {
    if (session.state !== 'ok') return;
    return followStream({
      workloads: (list) => {
        setWorkloads(list);
        for (const w of list) lastKnown.current.set(w.id, w);
      },
      stats: (frame) => {
        stats.push(frame);
        setStatsVersion(stats.version);
        setNow(Date.now());
      },
      connection: setConnection,
    });
  }, [session.state]);

  useEffect(() => {
    // The retry countdown and uptimes move even while no frame comes.
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);

  const items = useMemo(() => listItems(groupByProject(workloads ?? [])), [workloads]);

  useEffect(() => {
    // When the list was first on screen (read by bench/dashboard.ts): after this commit, before any stats need to arrive.
    if (workloads && performance.getEntriesByName('janus:list-rendered').length === 0) performance.mark('janus:list-rendered');
  }, [workloads]);

  if (session.state === 'checking') return <main class="notice"><p>Checking access…</p></main>;
  if (session.state !== 'ok') {
    return (
      <main class="notice">
        <h1>Janus dashboard</h1>
        <p role="alert">{session.state === 'unauthorized'
          ? <>This dashboard needs its token: run <code>janus dashboard</code> on the daemon's host and open the link it prints. ({session.message})</>
          : <>The daemon cannot be reached: {session.message}. <button type="button" onClick={() => void checkSession().then(setSession)}>Try again</button></>}
        </p>
      </main>
    );
  }

  const current = selected ? workloads?.find((w) => w.id === selected) : undefined;
  const shown = current ?? (selected ? lastKnown.current.get(selected) : undefined);
  const running = (workloads ?? []).filter((w) => w.state === 'running').length;

  return (
    <div class="app">
      <header class="top">
        <h1>Janus</h1>
        <nav aria-label="Views">
          <button type="button" aria-pressed={view === 'workloads'} onClick={() => setView('workloads')}>Workloads</button>
          <button type="button" aria-pressed={view === 'resources'} onClick={() => setView('resources')}>Images and volumes</button>
          <button type="button" aria-pressed={view === 'bench'} onClick={() => setView('bench')}>Bench</button>
        </nav>
        <p class={`connection conn-${connection.kind}`} role="status" aria-live="polite">
          Daemon: {connectionText(connection, now)}
        </p>
      </header>
      <section class="host" aria-label="Host">
        <Chart title="Host CPU (% of all cores)" series={stats.host} version={statsVersion} format={formatPercent} height={100} lines={[{ field: 'cpu', label: 'CPU', color: '#1f5fbf' }]} />
        <Chart title="Host memory" series={stats.host} version={statsVersion} format={formatBytes} height={100} lines={[{ field: 'mem', label: 'used', color: '#8a3ab9' }]} />
        <Chart title="Host network" series={stats.host} version={statsVersion} format={formatRate} height={100} lines={[{ field: 'rx', label: 'received', color: '#0b7a3e' }, { field: 'tx', label: 'sent', color: '#b35900' }]} />
        <Chart title="Host disks" series={stats.host} version={statsVersion} format={formatRate} height={100} lines={[{ field: 'read', label: 'read', color: '#0b6f7a' }, { field: 'write', label: 'written', color: '#b3261e' }]} />
      </section>
      {view === 'resources' ? <main><ResourcesPanel /></main> : view === 'bench' ? <main><BenchPanel /></main> : (
        <main class="split">
          <section class="list-pane" aria-labelledby="list-title">
            <h2 id="list-title">Workloads <span class="count">{workloads ? `${workloads.length} (${running} running)` : 'loading…'}</span></h2>
            {workloads && workloads.length === 0 ? <p>No workloads yet: <code>janus run</code> one.</p> : null}
            <WorkloadList items={items} stats={stats} statsVersion={statsVersion} selected={selected} onSelect={setSelected} now={now} />
          </section>
          <div class="detail-pane">
            {shown
              ? <WorkloadDetail key={shown.id} workload={shown} exists={current !== undefined} stats={stats} statsVersion={statsVersion} now={now} onRemoved={() => {}} />
              : <p class="hint">Select a workload to see its charts, log and terminal.</p>}
          </div>
        </main>
      )}
    </div>
  );
}
