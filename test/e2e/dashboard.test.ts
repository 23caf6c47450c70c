// The dashboard end to end: a real daemon (in its own network namespace),
// real headless Chromium (Debian's package, driven by playwright-core) run
// inside that namespace so it reaches the dashboard on the namespace's
// loopback. What a user sees: a container and a VM listed with their
// isolation levels, charts that fill, a log that follows, stop and start
// that work, a terminal that runs a command, the page recovering from a
// daemon restart and telling that a workload was removed. Screenshots go to
// test/artifacts/ (git-ignored).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { contrastRatio, parseColor } from '../../dashboard/src/contrast.ts';
import { skipUnlessRoot, startDaemon, type TestDaemon } from '../support/daemon.ts';
import { eventually, ok } from './helpers.ts';

const run = promisify(execFile);

/**
 * Polls an expression in the page until it is true. (Playwright's
 * waitForFunction evaluates with eval, which the dashboard's CSP forbids.)
 */
async function waitInPage(page: Page, expression: string, what: string, timeoutMs = 30000): Promise<void> {
  await eventually(what, async () => ((await page.evaluate(expression)) === true ? true : undefined), timeoutMs);
}

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = resolve(import.meta.dirname, '../artifacts');
const BUILT = resolve(import.meta.dirname, '../../build/dashboard/index.html');

const skip = skipUnlessRoot()
  ?? (existsSync(CHROMIUM) ? undefined : `needs ${CHROMIUM} (Debian package chromium; scripts/setup installs it)`)
  ?? (existsSync(BUILT) ? undefined : 'needs the built dashboard (build/dashboard: scripts/setup builds it)');

// Scripts run in the page (strings: this project's TypeScript has no DOM types).

/** True once every chart under `scope` has at least `n` points. */
const chartsHavePoints = (scope: string, n: number): string =>
  `(() => { const b = [...document.querySelectorAll('${scope} .chart-box')]; return b.length === 4 && b.every((x) => Number(x.dataset.points) >= ${n}); })()`;

/** The controls (buttons, links, inputs) with no accessible name: their HTML. */
const UNNAMED_CONTROLS = `(() => {
  const name = (el) => {
    const aria = el.getAttribute('aria-label') || '';
    const by = el.getAttribute('aria-labelledby');
    const labelled = by ? by.split(' ').map((id) => (document.getElementById(id) || {}).textContent || '').join(' ') : '';
    const label = el.labels ? [...el.labels].map((l) => l.textContent || '').join(' ') : '';
    return (aria + labelled + label + (el.tagName === 'INPUT' ? '' : el.textContent || '')).trim();
  };
  return [...document.querySelectorAll('button, a[href], input, select, textarea:not(.xterm-helper-textarea)')]
    .filter((el) => name(el) === '').map((el) => el.outerHTML.slice(0, 120));
})()`;

/** Every visible element with text of its own: the text, its colour and the first opaque background behind it. */
const TEXT_COLOURS = `(() => {
  const bg = (el) => {
    for (; el; el = el.parentElement) {
      const c = getComputedStyle(el).backgroundColor;
      if (c && c !== 'transparent' && !/rgba\\(.*,\\s*0\\)$/.test(c)) return c;
    }
    return 'rgb(255, 255, 255)';
  };
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('.xterm, canvas, svg')) continue;
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim() !== '');
    if (!own || el.offsetParent === null) continue;
    out.push({ text: (el.textContent || '').trim().slice(0, 40), fg: getComputedStyle(el).color, bg: bg(el) });
  }
  return out;
})()`;

describe('the dashboard in a real browser', { skip }, () => {
  let d: TestDaemon;
  let browser: Browser;
  let page: Page;
  let url: string;
  let wrapperDir: string;
  const janus = (args: string[]) => d.janus(args);
  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `dashboard-${name}.png`), fullPage: true });
  const row = (name: string) => page.locator(`li.row[data-name="${name}"]`);

  before(async () => {
    d = await startDaemon();
    assert.ok(d.netns, 'the daemon runs in a network namespace of its own');
    ok(await janus(['image', 'bootstrap', 'busybox']), 'bootstrap busybox');
    ok(await janus(['run', '-d', '--name', 'web', '--label', 'com.docker.compose.project=shop', '--label', 'com.docker.compose.service=web', '-p', '8080:80',
      'busybox', 'sh', '-c', 'i=0; while true; do echo "tick $i"; i=$((i+1)); dd if=/dev/zero of=/tmp/f bs=64k count=16 2>/dev/null; sleep 1; done']), 'run the container');
    ok(await janus(['run', '-d', '--name', 'vm1', '--isolation', 'vm', 'busybox', 'sh', '-c', 'while true; do echo vm-alive; sleep 1; done']), 'run the VM');
    url = ok(await janus(['dashboard', '--print-url']), 'dashboard --print-url').trim();
    assert.match(url, /^http:\/\/127\.0\.0\.1:2380\/\?token=[A-Za-z0-9_-]{16,}$/);
    await mkdir(ARTIFACTS, { recursive: true });
    // Chromium joins the daemon's network namespace (nsenter --net keeps the mount namespace, as the daemon's launch does).
    wrapperDir = await mkdtemp(join(tmpdir(), 'janus-chromium-'));
    const wrapper = join(wrapperDir, 'chromium');
    await writeFile(wrapper, `#!/bin/sh\nexec nsenter --net=/run/netns/${d.netns} ${CHROMIUM} "$@"\n`);
    await chmod(wrapper, 0o755);
    browser = await chromium.launch({ executablePath: wrapper, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
    page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
  });

  after(async () => {
    await browser?.close();
    // Containers outlive their daemon: whatever a failed or filtered run left goes before it stops.
    if (d) await janus(['rm', '-f', 'web', 'vm1', 'chatty']);
    await d?.stop();
    if (wrapperDir) await rm(wrapperDir, { recursive: true, force: true });
  });

  test('without the token the page says how to get it; data needs the token, actions the page\'s own origin', async () => {
    const ctx = await browser.newContext();
    const p = await ctx.newPage();
    await p.goto(url.replace(/\?token=.*/, ''));
    await p.getByText('This dashboard needs its token').waitFor();
    assert.equal(await p.evaluate("fetch('/api/containers/json').then((r) => r.status)"), 401);
    await ctx.close();
    // Requests a browser would not let a page forge, made from the daemon's namespace.
    const token = new URL(url).searchParams.get('token')!;
    const probe = async (init: { method?: string; path: string; headers: Record<string, string> }) => {
      const script = [
        "import { request } from 'node:http';",
        'const o = JSON.parse(process.argv[2]);',
        "const req = request({ host: '127.0.0.1', port: 2380, path: process.argv[1], method: o.method, headers: o.headers }, (res) => {",
        "  console.log(res.statusCode, res.headers['access-control-allow-origin'] ?? null); res.resume(); });",
        'req.end();',
      ].join('\n');
      const r = await run('nsenter', [`--net=/run/netns/${d.netns}`, process.execPath, '--input-type=module', '-e', script, init.path, JSON.stringify({ method: init.method ?? 'GET', headers: init.headers })]);
      return r.stdout.trim();
    };
    const auth = { Authorization: `Bearer ${token}` };
    assert.equal(await probe({ path: '/api/containers/json', headers: auth }), '200 null', 'the token reads; no CORS header');
    assert.equal(await probe({ path: '/api/containers/json', headers: { Authorization: 'Bearer wrong-token-0123456789' } }), '401 null');
    assert.equal(await probe({ method: 'POST', path: '/api/containers/web/stop', headers: { ...auth, Origin: 'http://evil.example' } }), '403 null', 'a foreign origin cannot act');
    assert.equal(await probe({ method: 'POST', path: '/api/containers/web/stop', headers: auth }), '403 null', 'an action without an Origin is refused');
    assert.equal(await probe({ path: '/api/containers/json', headers: { ...auth, Host: 'evil.example:2380' } }), '403 null', 'another host name (DNS rebinding) is refused');
    assert.equal(await probe({ method: 'POST', path: '/api/containers/create', headers: { ...auth, Origin: 'http://127.0.0.1:2380' } }), '403 null', 'what the page does not use is not offered');
    assert.match(ok(await janus(['inspect', '--format', '{{.State.Status}}', 'web']), 'inspect'), /running/);
  });

  test('the page lists the container and the VM with their isolation levels, grouped by project', async () => {
    await page.goto(url);
    assert.equal(new URL(page.url()).search, '', 'the token leaves the address bar');
    await row('web').waitFor();
    await row('vm1').waitFor();
    assert.match(await row('web').locator('.badge').innerText(), /^container$/);
    assert.match(await row('vm1').locator('.badge').innerText(), /^vm \((tcg|kvm)\)$/);
    assert.match(await page.locator('li.group').first().innerText(), /project shop/);
    assert.match(await row('web').locator('.state').innerText(), /running/);
    assert.equal(await row('web').locator('.ports a').first().getAttribute('href'), 'http://127.0.0.1:8080/');
    await page.getByText('Daemon: live').waitFor();
    await shot('list');
  });

  test('the host and workload charts receive data; the log follows', async () => {
    await row('web').locator('button.row-main').click();
    await page.locator('#detail-title', { hasText: 'web' }).waitFor();
    // Four charts per workload plus four for the host, each with points.
    await waitInPage(page, chartsHavePoints('.detail', 3), 'the workload charts to have points');
    await waitInPage(page, chartsHavePoints('.host', 3), 'the host charts to have points');
    assert.ok(await page.locator('.detail canvas').count() >= 4, 'uPlot drew canvases');
    const first = await page.locator('.log-line', { hasText: /^tick \d+$/ }).last().innerText();
    const n = Number(first.split(' ')[1]);
    await page.locator('.log-line', { hasText: `tick ${n + 2}` }).waitFor({ timeout: 15000 });
    await page.locator('.logs input[type=search]').fill(`tick ${n + 1}`);
    await page.getByText(/1 of \d+ loaded lines match/).waitFor();
    await page.locator('.logs input[type=search]').fill('');
    await shot('container');
  });

  test('stop and start, each confirmed first', async () => {
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    assert.match(await page.locator('.detail .state-text').innerText(), /running/, 'cancel does nothing');
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    await dialog.getByRole('button', { name: 'Stop' }).click();
    await page.locator('.detail .state-text', { hasText: /exited/ }).waitFor({ timeout: 30000 });
    assert.match(ok(await janus(['inspect', '--format', '{{.State.Status}}', 'web']), 'inspect'), /exited/);
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await dialog.getByRole('button', { name: 'Start' }).click();
    await page.locator('.detail .state-text', { hasText: /^running$/ }).waitFor({ timeout: 30000 });
    assert.match(ok(await janus(['inspect', '--format', '{{.State.Status}}', 'web']), 'inspect'), /running/);
  });

  test('the isolation advisor\'s recommendation for the open workload', async () => {
    await page.getByRole('button', { name: 'Ask the advisor' }).click();
    await page.locator('.advice-level').waitFor({ timeout: 30000 });
    assert.match(await page.locator('.advice-body').innerText(), /Recommended level: (container|sandbox|vm)/);
  });

  const terminal = async (name: string): Promise<void> => {
    await row(name).locator('button.row-main').click();
    await page.locator('#detail-title', { hasText: name }).waitFor();
    await page.getByRole('button', { name: 'Open terminal' }).click();
    await page.locator('.terminal-status', { hasText: 'connected' }).waitFor({ timeout: 30000 });
    await page.locator('.xterm-box textarea').focus();
    await page.keyboard.type('echo out-$((6*7))-$(uname -s)\n');
    await page.locator('.xterm-rows', { hasText: 'out-42-Linux' }).waitFor({ timeout: 20000 });
  };

  test('the exec terminal runs a command in the container and in the VM', async () => {
    await terminal('web');
    await shot('terminal-container');
    await terminal('vm1');
    await waitInPage(page, chartsHavePoints('.detail', 2), 'the VM charts to have points');
    await page.locator('.log-line', { hasText: 'vm-alive' }).first().waitFor({ timeout: 15000 });
    await shot('terminal-vm');
  });

  test('accessibility basics: names on every control, keyboard navigation, contrast', async () => {
    const unnamed = await page.evaluate(UNNAMED_CONTROLS) as string[];
    assert.deepEqual(unnamed, [], 'every control has an accessible name');

    const pairs = await page.evaluate(TEXT_COLOURS) as { text: string; fg: string; bg: string }[];
    assert.ok(pairs.length > 20, 'text was found to check');
    const low = pairs.filter((p) => {
      const fg = parseColor(p.fg);
      const bg = parseColor(p.bg);
      return fg && bg && contrastRatio(fg, bg) < 4.5;
    }).map((p) => `${p.text}: ${p.fg} on ${p.bg}`);
    assert.deepEqual(low, [], 'text contrast is at least 4.5:1 (WCAG AA)');

    // From the top of the page, Tab reaches a workload row; Enter opens it.
    await page.locator('body').focus();
    await page.evaluate('document.activeElement && document.activeElement.blur()');
    let reached = false;
    for (let i = 0; i < 30 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate("document.activeElement !== null && document.activeElement.classList.contains('row-main')") as boolean;
    }
    assert.ok(reached, 'Tab reaches the workload list');
    await page.keyboard.press('ArrowDown');
    const focused = await page.evaluate("document.activeElement && document.activeElement.closest('li') && document.activeElement.closest('li').getAttribute('data-name')") as string | null;
    await page.keyboard.press('Enter');
    await page.locator('#detail-title', { hasText: focused ?? '' }).waitFor();
  });

  test('a huge log is paged: the last 500 lines, then 500 older ones on demand', async (t) => {
    ok(await janus(['run', '-d', '--name', 'chatty', 'busybox', 'sh', '-c', 'seq 1 30000; echo done; sleep 100000']), 'run chatty');
    t.after(async () => { await janus(['rm', '-f', 'chatty']); });
    // The whole log written first: the page must open on a log that no longer grows.
    await eventually('the log to be written', async () => (ok(await janus(['logs', '--tail', '1', 'chatty']), 'logs') === 'done\n' ? true : undefined), 60000);
    if (!page.url().startsWith('http')) await page.goto(url);
    await row('chatty').waitFor();
    await row('chatty').locator('button.row-main').click();
    await page.locator('#detail-title', { hasText: 'chatty' }).waitFor();
    // The daemon pages by log records; conmon may cut a line written in one burst into two records, so a
    // page of 500 records can hold a line or two fewer.
    const loaded = async (): Promise<number> => Number(/(\d+) lines loaded/.exec(await page.locator('.logs-status').innerText())?.[1] ?? 0);
    const first = await eventually('the last 500 lines', async () => {
      const n = await loaded();
      return n >= 490 && n <= 500 && (await page.locator('.log-line').last().innerText()) === 'done' ? n : undefined;
    }, 20000);
    await page.getByRole('button', { name: 'Load 500 older lines' }).click();
    const both = await eventually('500 older lines', async () => {
      const n = await loaded();
      return n >= first + 490 ? n : undefined;
    }, 20000);
    assert.ok(both <= first + 501, `${both} lines after paging back once from ${first}`);
    // The log view draws only the lines in view, after the scroll event has been handled: at the top, the first line
    // drawn sits at 0px (until then the window drawn may still be the one from before the scroll).
    let oldest = 0;
    await eventually('the top of the log', async () => {
      await page.locator('.log-lines').evaluate((el) => { el.scrollTop = 0; });
      const top = page.locator('.log-line').first();
      if ((await top.evaluate((el) => (el as { style: { top: string } }).style.top)) !== '0px') return undefined;
      oldest = Number(await top.innerText());
      return true;
    }, 10000).catch(async () => assert.fail(`the top of the log shows line ${oldest}: ${await page.evaluate("JSON.stringify({ top: document.querySelector('.log-lines').scrollTop, n: document.querySelectorAll('.log-line').length, firstTop: document.querySelector('.log-line').style.top, texts: [...document.querySelectorAll('.log-line')].slice(0, 3).map((e) => e.style.top + '=' + e.textContent) })")}`));
    // One page back from the last 500 lines of `seq 1 30000` (then `done`) reaches line 29001, give or take the odd
    // line conmon cut in two records — though the whole burst shares a handful of timestamps.
    assert.ok(oldest >= 28990 && oldest <= 29010, `one page back, the top of the log is about line 29001 (it shows ${oldest}, ${both} lines loaded)`);
    await shot('huge-log');
  });

  test('a daemon restart: the page says the connection is lost, then recovers', async () => {
    await d.kill9();
    await page.locator('.connection', { hasText: /retrying/ }).waitFor({ timeout: 20000 });
    await shot('daemon-down');
    await d.restart();
    await page.getByText('Daemon: live').waitFor({ timeout: 30000 });
    await row('web').waitFor();
  });

  test('a workload removed while shown: the page says so and stays usable', async () => {
    await row('web').locator('button.row-main').click();
    await page.locator('#detail-title', { hasText: 'web' }).waitFor();
    ok(await janus(['rm', '-f', 'web']), 'rm -f web');
    await page.getByText('This workload no longer exists').waitFor({ timeout: 15000 });
    // Gone from the list too: the list follows the daemon's events, which may come after the detail learnt of the removal.
    await row('web').waitFor({ state: 'detached', timeout: 15000 });
    await row('vm1').locator('button.row-main').click();
    await page.locator('#detail-title', { hasText: 'vm1' }).waitFor();
    await shot('removed');
    ok(await janus(['rm', '-f', 'vm1']), 'rm -f vm1');
  });
});
