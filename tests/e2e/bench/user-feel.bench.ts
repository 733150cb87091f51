/**
 * `make bench`: what users feel, measured with a real Chromium as the viewer, against a raw CDP
 * client on its own Chromium (the same binary) as the baseline. Our clicks and the baseline's are
 * interleaved one by one, so the machine's noise hits both. Writes bench/results/latest.json and
 * latest.md at the repository's root.
 */

import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { type Browser, type CDPSession, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CHROMIUM, launchBrowser } from '../helpers';
import { TestSite } from '../site';
import { REPO, type RunningStack, startStack } from '../stack';
import { type Summary, sleep, summarize } from './figures';
import { cpuTicks, pssKb, read, rssKb, runnerPidsOf, TICKS_PER_SECOND, treeOf } from './procfs';

const CLICKS = Number(process.env.BENCH_CLICKS ?? 20);
const STARTS = Number(process.env.BENCH_STARTS ?? 5);
const WINDOW_MS = Number(process.env.BENCH_WINDOW_MS ?? 8000);
const RESULTS = join(REPO, 'bench/results');

interface Row {
  measure: string;
  unit: string;
  summary?: Summary;
  value?: number | string;
  baseline?: { measure: string; summary: Summary };
  /** Ours over the baseline's, medians. */
  ratio?: number;
  note?: string;
}

const rows: Row[] = [];
let site: TestSite;
let viewerBrowser: Browser;
let baselineBrowser: Browser;

async function viewerPage(stack: RunningStack): Promise<Page> {
  const page = await viewerBrowser.newPage({ viewport: { width: 800, height: 600 } });
  await page.goto(`${stack.baseUrl}/readyz`);
  await page.addScriptTag({ path: join(import.meta.dirname, 'viewer.js') });
  return page;
}

/** POST /api/sessions → the first picture decoded in a WebSocket viewer of the page, in the browser's clock. */
async function timedStart(page: Page, stack: RunningStack, url: string): Promise<{ ms: number; id: string }> {
  return page.evaluate(
    async ({ token, url }) => {
      const bv = (window as any).benchViewer;
      const t0 = performance.now();
      const created = await bv.api('POST', '/api/sessions', token, { url });
      const key = await bv.openWs(created.sessionId, token);
      await bv.current(key);
      const ms = performance.now() - t0;
      bv.close(key);
      return { ms, id: created.sessionId as string };
    },
    { token: stack.apiToken, url },
  );
}

async function deleteSession(stack: RunningStack, id: string): Promise<void> {
  await fetch(`${stack.baseUrl}/api/sessions/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${stack.apiToken}` } });
}

async function createSession(stack: RunningStack, url: string): Promise<string> {
  const res = await fetch(`${stack.baseUrl}/api/sessions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.apiToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ url }),
  });
  const body = (await res.json()) as { sessionId: string };
  expect(res.status, JSON.stringify(body)).toBe(201);
  return body.sessionId;
}

async function awaitReady(stack: RunningStack, id: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const s = (await (await fetch(`${stack.baseUrl}/api/sessions/${id}`, { headers: { authorization: `Bearer ${stack.apiToken}` } })).json()) as {
      status: string;
      error: string;
    };
    if (s.status === 'ready') return;
    if (s.status === 'error' || s.status === 'terminated') throw new Error(`session ${id} ended: ${s.error}`);
    await sleep(100);
  }
  throw new Error(`session ${id} not ready within 60 s`);
}

/** The control plane's warm pool gauge, from its metrics port. */
async function poolWaiting(metricsPort: number): Promise<number> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const m = /^browser_warm_pool_runners\{[^}]*state="waiting"[^}]*\} ([0-9.]+)/m.exec(text);
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

// ---- per-process CPU, from /proc, over one window for every process at once

/** The session's processes (its runner and everything it started: Chromium and its helpers, Xvfb), by role. */
function processesOf(sessionId: string): Map<number, string> {
  const roots = runnerPidsOf(sessionId);
  const tree: number[] = [...xvfbOf(roots), ...roots.flatMap(treeOf)];
  const found = new Map<number, string>();
  for (const pid of tree) {
    const entry = String(pid);
    const cmdline = read(`/proc/${entry}/cmdline`).split('\0').join(' ');
    const type = /--type=([a-z-]+)/.exec(cmdline)?.[1];
    const role = cmdline.includes('runner.jar')
      ? 'runner JVM'
      : cmdline.includes('Xvfb')
        ? 'Xvfb'
        : cmdline.includes('chromium')
          ? type
            ? `Chromium ${type === 'gpu-process' ? 'GPU' : type}`
            : 'Chromium browser'
          : null;
    if (role) found.set(Number(entry), role);
  }
  return found;
}

/** The Xvfb that serves a runner's DISPLAY (the display capture): the one holding that display's socket. */
function xvfbOf(runners: number[]): number[] {
  const found: number[] = [];
  for (const runner of runners) {
    const display = /(?:^|\0)DISPLAY=:(\d+)/.exec(read(`/proc/${runner}/environ`))?.[1];
    if (!display) continue;
    const socketPath = `/tmp/.X11-unix/X${display}`;
    const inodes = new Set(
      read('/proc/net/unix').split('\n').filter((l) => l.trim().endsWith(` ${socketPath}`)).map((l) => l.trim().split(/\s+/)[6]),
    );
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry) || !/^(\/usr\/bin\/)?Xvfb\0/.test(read(`/proc/${entry}/cmdline`))) continue;
      try {
        const holds = readdirSync(`/proc/${entry}/fd`).some((fd) => {
          try {
            return inodes.has(/socket:\[(\d+)]/.exec(readlinkSync(`/proc/${entry}/fd/${fd}`))?.[1] ?? '');
          } catch {
            return false;
          }
        });
        if (holds) found.push(Number(entry));
      } catch {
        // gone meanwhile
      }
    }
  }
  return found;
}

/** CPU per role over a window, in cores (1.0 = one core busy), measured for all processes over the same window. */
async function cpuOver(sessionId: string, windowMs: number): Promise<Record<string, number>> {
  const processes = processesOf(sessionId);
  const before = new Map([...processes.keys()].map((pid) => [pid, cpuTicks(pid)]));
  const t0 = performance.now();
  await sleep(windowMs);
  const seconds = (performance.now() - t0) / 1000;
  const byRole: Record<string, number> = {};
  for (const [pid, role] of processes) {
    const used = (cpuTicks(pid) - before.get(pid)!) / TICKS_PER_SECOND;
    if (Number.isFinite(used)) byRole[role] = (byRole[role] ?? 0) + used / seconds;
  }
  return byRole;
}

/**
 * The viewer's session on the animated page for one window: pictures shown, bitrate received and
 * the CPU of the session's processes, as one row; the session goes back to the still page after.
 */
async function animatedRow(page: Page, key: string, sessionId: string, label: string): Promise<Row> {
  const go = (url: string) => page.evaluate(({ k, url }) => (window as any).benchViewer.navigate(k, url), { k: key, url });
  await go(site.url('/animated'));
  await sleep(2000);
  const before = await page.evaluate((k) => (window as any).benchViewer.counts(k), key);
  const t0 = performance.now();
  const cpu = await cpuOver(sessionId, WINDOW_MS);
  const after = await page.evaluate((k) => (window as any).benchViewer.counts(k), key);
  const seconds = (performance.now() - t0) / 1000;
  const total = Object.values(cpu).reduce((a, c) => a + c, 0);
  await go(site.url('/toggle'));
  return {
    measure: `animated page over ${label}: pictures shown in the browser viewer, received bitrate, CPU of the session's processes over the same window (cores; this machine has ${cpus().length})`,
    unit: '',
    value: `${((after.frames - before.frames) / seconds).toFixed(1)} fps, ${Math.round(((after.bytes - before.bytes) * 8) / seconds / 1000)} kbit/s, ${total.toFixed(2)} cores`,
    note: Object.entries(cpu).map(([role, c]) => `${role} ${c.toFixed(2)}`).join(', '),
  };
}

// ---- the baseline: a raw CDP client on its own Chromium, no relay

interface BaselineFrame {
  /** Arrival, performance.now() of this process. */
  at: number;
  data: string;
  /** When Chromium captured it (its screencast metadata), epoch ms. */
  capturedMs?: number;
}

interface Baseline {
  page: Page;
  cdp: CDPSession;
  frames: BaselineFrame[];
  waiters: ((f: BaselineFrame) => void)[];
}

async function openBaseline(url: string): Promise<Baseline> {
  const page = await baselineBrowser.newPage({ viewport: { width: 1280, height: 720 } });
  await page.goto(url);
  const cdp = await page.context().newCDPSession(page);
  const b: Baseline = { page, cdp, frames: [], waiters: [] };
  cdp.on('Page.screencastFrame', (f) => {
    const frame: BaselineFrame = { at: performance.now(), data: f.data, capturedMs: typeof f.metadata?.timestamp === 'number' ? f.metadata.timestamp * 1000 : undefined };
    void cdp.send('Page.screencastFrameAck', { sessionId: f.sessionId }).catch(() => undefined);
    b.frames.push(frame);
    b.waiters.splice(0).forEach((w) => w(frame));
  });
  await cdp.send('Page.startScreencast', { format: 'jpeg', quality: 70, maxWidth: 1280, maxHeight: 720, everyNthFrame: 1 });
  return b;
}

/**
 * A click through CDP → the first screencast frame after it, plus that frame's decode in the viewer
 * page. With {@code hops}: click → Chromium captured it, captured → arrived, arrived → decoded are added to it.
 */
async function baselineClick(b: Baseline, decoder: Page, hops?: number[][]): Promise<number> {
  const next = new Promise<BaselineFrame>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the baseline sent no frame within 5 s')), 5000);
    b.waiters.push((f) => {
      clearTimeout(timer);
      resolve(f);
    });
  });
  const t0 = performance.now();
  await b.cdp.send('Input.dispatchMouseEvent', { type: 'mousePressed', x: 640, y: 360, button: 'left', clickCount: 1 });
  void b.cdp.send('Input.dispatchMouseEvent', { type: 'mouseReleased', x: 640, y: 360, button: 'left', clickCount: 1 });
  const frame = await next;
  const decode = await decoder.evaluate((data) => (window as any).benchViewer.decodeMs(data), frame.data);
  if (hops && frame.capturedMs !== undefined) {
    const epoch = (t: number) => performance.timeOrigin + t;
    [frame.capturedMs - epoch(t0), epoch(frame.at) - frame.capturedMs, decode.ms].forEach((ms, h) => hops[h].push(ms));
  }
  return frame.at - t0 + decode.ms;
}

beforeAll(async () => {
  site = await TestSite.start();
  viewerBrowser = await launchBrowser();
  baselineBrowser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
});

afterAll(async () => {
  await viewerBrowser?.close();
  await baselineBrowser?.close();
  await site?.close();
  writeResults();
});

const BENCH_ENV = { FALLBACK_FPS: '30', SESSION_TIMEOUT: '10m' };

/** Debian's chromium-headless-shell, which CHROMIUM_PATH may name instead of Chromium. */
const HEADLESS_SHELL = '/usr/bin/chromium-headless-shell';

it('session start, cold: POST → first picture at a WebSocket viewer in a browser', async () => {
  // Two stacks, one with CHROMIUM_PATH naming the headless shell; their starts alternate.
  const stacks = [
    await startStack({ maxSessions: 3, controlPlaneEnv: { ...BENCH_ENV }, logName: 'bench-cold.log' }),
    await startStack({ maxSessions: 3, controlPlaneEnv: { ...BENCH_ENV, CHROMIUM_PATH: HEADLESS_SHELL }, logName: 'bench-cold-shell.log' }),
  ];
  try {
    const pages = [await viewerPage(stacks[0]), await viewerPage(stacks[1])];
    // One start each first, untimed: the runners' class-data archive is made when a runner first exits,
    // as on any machine that has run a session before.
    for (const k of [0, 1]) await deleteSession(stacks[k], (await timedStart(pages[k], stacks[k], site.url('/toggle'))).id);
    await sleep(4000);
    const times: number[][] = [[], []];
    for (let i = 0; i < STARTS; i++) {
      for (const k of i % 2 ? [1, 0] : [0, 1]) {
        const { ms, id } = await timedStart(pages[k], stacks[k], site.url('/toggle'));
        times[k].push(ms);
        await deleteSession(stacks[k], id);
        await sleep(1500);
      }
    }
    const cold = { measure: 'session start, cold (no warm pool): POST /api/sessions → first picture decoded in a browser viewer', summary: summarize(times[0]) };
    rows.push({ ...cold, unit: 'ms' });
    const shell = summarize(times[1]);
    rows.push({
      measure: `the same with CHROMIUM_PATH=${HEADLESS_SHELL} (the headless shell), starts interleaved with the row above`,
      unit: 'ms',
      summary: shell,
      baseline: cold,
      ratio: Math.round((shell.p50 / cold.summary.p50) * 100) / 100,
    });
    for (const page of pages) await page.close();
  } finally {
    for (const stack of stacks) await stack.stop();
  }
});

it('session start, warm: a runner waits in the pool (WARM_POOL_SIZE=1)', async () => {
  const metricsPort = 19464 + Math.floor(Math.random() * 500);
  const stack = await startStack({
    maxSessions: 3,
    controlPlaneEnv: { ...BENCH_ENV, WARM_POOL_SIZE: '1', METRICS_PORT: String(metricsPort) },
    logName: 'bench-warm.log',
  });
  try {
    const page = await viewerPage(stack);
    const times: number[] = [];
    for (let i = 0; i < STARTS; i++) {
      const deadline = Date.now() + 60_000;
      while ((await poolWaiting(metricsPort)) < 1) {
        if (Date.now() > deadline) throw new Error('no runner waiting in the warm pool within 60 s');
        await sleep(200);
      }
      await sleep(1000); // the refill's start-up is over: the machine is as quiet as for a cold start
      const { ms, id } = await timedStart(page, stack, site.url('/toggle'));
      times.push(ms);
      await deleteSession(stack, id);
    }
    rows.push({ measure: 'session start, warm (a runner waiting in the pool): POST → first picture decoded in a browser viewer', unit: 'ms', summary: summarize(times) });
    await page.close();
  } finally {
    await stack.stop();
  }
});

/** Resident memory of each role of the session's processes, in MiB: RSS for the runner JVM, PSS (shared pages split) for the rest. */
function memoryOf(sessionId: string): Record<string, number> {
  const byRole: Record<string, number> = {};
  for (const [pid, role] of processesOf(sessionId)) {
    const kb = role === 'runner JVM' ? rssKb(pid) : pssKb(pid);
    byRole[role] = (byRole[role] ?? 0) + kb / 1024;
  }
  return byRole;
}

/** A session on the toggle page, ready, with a WebSocket viewer in the page that has clicked three times. */
async function watchedSession(stack: RunningStack, page: Page): Promise<{ id: string; ws: unknown }> {
  const id = await createSession(stack, site.url('/toggle'));
  await awaitReady(stack, id);
  const ws = await page.evaluate(({ id, token }) => (window as any).benchViewer.openWs(id, token), { id, token: stack.apiToken });
  for (let c = 0; c < 3; c++) {
    await page.evaluate((k) => (window as any).benchViewer.click(k), ws);
    await sleep(200);
  }
  return { id, ws };
}

it('memory of one session on a simple page, and with a viewer of each kind', async () => {
  const stack = await startStack({ maxSessions: 3, controlPlaneEnv: { ...BENCH_ENV }, logName: 'bench-memory.log' });
  const shellStack = await startStack({ maxSessions: 3, controlPlaneEnv: { ...BENCH_ENV, CHROMIUM_PATH: HEADLESS_SHELL }, logName: 'bench-memory-shell.log' });
  try {
    // The headless shell's memory, on the same page with a WebSocket viewer (before the other stack's sessions: nothing else runs).
    const shellPage = await viewerPage(shellStack);
    const shellPss: number[] = [];
    for (let i = 0; i < 3; i++) {
      const { id, ws } = await watchedSession(shellStack, shellPage);
      await sleep(Number(process.env.BENCH_MEMORY_SETTLE_MS ?? 3000));
      shellPss.push(Object.entries(memoryOf(id)).filter(([role]) => role.startsWith('Chromium')).reduce((a, [, v]) => a + v, 0));
      await shellPage.evaluate((k) => (window as any).benchViewer.close(k), ws);
      await deleteSession(shellStack, id);
      await sleep(1000);
    }
    await shellPage.close();

    const page = await viewerPage(stack);
    const runnerRss: number[] = [];
    const wsOnly: number[] = [];
    const chromiumPss: number[] = [];
    for (let i = 0; i < 3; i++) {
      const { id, ws } = await watchedSession(stack, page);
      await sleep(2000);
      wsOnly.push(memoryOf(id)['runner JVM'] ?? 0);
      const rtc = await page.evaluate(({ id, token }) => (window as any).benchViewer.openRtc(id, token), { id, token: stack.apiToken });
      await sleep(1000); // the WebRTC view has caught up with the WebSocket's clicks
      for (let c = 0; c < 5; c++) {
        // Only to exercise the path: a click that shows nothing in time costs nothing here.
        await page.evaluate((k) => (window as any).benchViewer.click(k), rtc).catch(() => undefined);
        await sleep(200);
      }
      await sleep(Number(process.env.BENCH_MEMORY_SETTLE_MS ?? 3000));
      const memory = memoryOf(id);
      runnerRss.push(memory['runner JVM'] ?? 0);
      chromiumPss.push(Object.entries(memory).filter(([role]) => role.startsWith('Chromium')).reduce((a, [, v]) => a + v, 0));
      await page.evaluate((k) => (window as any).benchViewer.close(k), ws);
      await page.evaluate((k) => (window as any).benchViewer.close(k), rtc);
      await deleteSession(stack, id);
      await sleep(1000);
    }
    rows.push({ measure: 'runner JVM resident memory (RSS), one session on a simple page with a WebSocket viewer', unit: 'MiB', summary: summarize(wsOnly) });
    rows.push({ measure: 'the same once a WebRTC viewer joined (libwebrtc loaded)', unit: 'MiB', summary: summarize(runnerRss) });
    const full = { measure: "its Chromium's memory (PSS, all processes)", summary: summarize(chromiumPss) };
    rows.push({ ...full, unit: 'MiB' });
    const shell = summarize(shellPss);
    rows.push({
      measure: `the same with CHROMIUM_PATH=${HEADLESS_SHELL} (the headless shell), a WebSocket viewer`,
      unit: 'MiB',
      summary: shell,
      baseline: full,
      ratio: Math.round((shell.p50 / full.summary.p50) * 100) / 100,
    });
    await page.close();
  } finally {
    await shellStack.stop();
    await stack.stop();
  }
});

/** Resident memory of a process by what its mappings hold (file name, or "anonymous"), in KiB, largest first. */
function residentByMapping(pid: number): [string, number][] {
  const by = new Map<string, number>();
  let name = '';
  for (const line of read(`/proc/${pid}/smaps`).split('\n')) {
    const header = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (header) {
      name = header[1] ? header[1].split('/').pop()! : 'anonymous';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) by.set(name, (by.get(name) ?? 0) + Number(rss[1]));
  }
  return [...by].sort((a, b) => b[1] - a[1]);
}

it("the runner JVM's memory, by what holds it (Native Memory Tracking and its mappings)", async () => {
  const stack = await startStack({
    maxSessions: 1,
    controlPlaneEnv: { ...BENCH_ENV, RUNNER_JAVA_OPTIONS: '-XX:NativeMemoryTracking=summary' },
    logName: 'bench-memory-nmt.log',
  });
  try {
    const page = await viewerPage(stack);
    const { id, ws } = await watchedSession(stack, page);
    await sleep(2000);
    const [pid] = [...processesOf(id)].find(([, role]) => role === 'runner JVM') ?? [];
    expect(pid, 'the runner of the session').toBeDefined();
    const jcmd = join(execFileSync(join(REPO, 'scripts/java-home.sh'), { encoding: 'utf8' }).trim(), 'bin/jcmd');
    const nmt = execFileSync(jcmd, [String(pid), 'VM.native_memory', 'summary'], { encoding: 'utf8' });
    const mappings = residentByMapping(pid!);
    const total = mappings.reduce((a, [, kb]) => a + kb, 0);
    expect(total).toBeGreaterThan(0);
    writeFileSync(
      join(RESULTS, 'runner-memory.md'),
      [
        `The runner JVM of one session on a simple page with a WebSocket viewer (Native Memory Tracking on, which adds a little): ${Math.round(total / 1024)} MiB resident.`,
        '',
        'Resident memory by mapping (MiB; "anonymous" is the heap, thread stacks, the code cache and native allocations):',
        '',
        ...mappings.filter(([, kb]) => kb >= 512).map(([what, kb]) => `- ${what}: ${(kb / 1024).toFixed(1)}`),
        '',
        '```',
        nmt.trim(),
        '```',
        '',
      ].join('\n'),
    );
    await page.evaluate((k) => (window as any).benchViewer.close(k), ws);
    await deleteSession(stack, id);
    await page.close();
  } finally {
    await stack.stop();
  }
});

it('input-to-photon in a browser, WebSocket JPEG and WebRTC, against raw CDP; then an animated page', async () => {
  // The runners record a JFR profile (written when they exit), summarized below as their hot methods.
  mkdirSync(RESULTS, { recursive: true });
  for (const old of readdirSync(RESULTS).filter((f) => f.endsWith('.jfr'))) {
    rmSync(join(RESULTS, old));
  }
  const stack = await startStack({
    maxSessions: 3,
    controlPlaneEnv: { ...BENCH_ENV, RUNNER_JAVA_OPTIONS: `-XX:StartFlightRecording=settings=profile,filename=${RESULTS}/runner-%p.jfr` },
    logName: 'bench-latency.log',
  });
  try {
    const page = await viewerPage(stack);
    const wsSession = await createSession(stack, site.url('/toggle'));
    const rtcSession = await createSession(stack, site.url('/toggle'));
    await awaitReady(stack, wsSession);
    await awaitReady(stack, rtcSession);
    const ws = await page.evaluate(({ id, token }) => (window as any).benchViewer.openWs(id, token), { id: wsSession, token: stack.apiToken });
    const rtc = await page.evaluate(({ id, token }) => (window as any).benchViewer.openRtc(id, token), { id: rtcSession, token: stack.apiToken });
    const baseline = await openBaseline(site.url('/toggle'));
    await sleep(2000); // WebRTC's bandwidth estimate settles

    const times: Record<'ws' | 'rtc' | 'cdp', number[]> = { ws: [], rtc: [], cdp: [] };
    // Click → the rendering step that paints the picture runs its callbacks: requestAnimationFrame's
    // after the WebSocket path's picture is drawn, requestVideoFrameCallback's for the video frame.
    const painted: Record<'ws' | 'rtc', number[]> = { ws: [], rtc: [] };
    // WebRTC: click → the video frame's last packet arrived, for every click.
    const rtcArrived: number[] = [];
    // The WebRTC path hop by hop, for the clicks whose frame was matched to the runner's timing of it
    // (by its RTP timestamp, see viewer.js); in epoch ms, one clock: everything runs on this machine.
    const RTC_HOPS = [
      ['click → Chromium captured the changed page (input over the DataChannel to the runner; the page renders)', 'sent', 'captured'],
      ['captured → the runner pushed it to the VP8 encoder (screencast event, JPEG decode, I420 conversion, throttle)', 'captured', 'pushed'],
      ["pushed → the frame's last packet arrived in the browser (VP8 encode, pacing, network; rVFC receiveTime)", 'pushed', 'arrived'],
      ['last packet → frame ready to show (jitter buffer, decode)', 'arrived', 'shown'],
    ] as const;
    const perRtcHop: number[][] = RTC_HOPS.map(() => []);
    const unaligned: string[] = [];
    const agreement: number[] = [];
    // The WebSocket path hop by hop, from the times each frame carries (one clock: everything runs on this machine).
    const HOPS = [
      ['click → Chromium captured the changed page (input through edge, control plane, runner; the page renders)', 'sentUs', 'capturedUs'],
      ['captured → the runner sent it (screencast event, decode, throttle)', 'capturedUs', 'runnerSentUs'],
      ['runner → control plane relayed it (gRPC)', 'runnerSentUs', 'relayedUs'],
      ['control plane → the edge made its message (gRPC)', 'relayedUs', 'edgeUs'],
      ['edge → the browser received it (WebSocket)', 'edgeUs', 'receivedUs'],
      ['received → decoded (createImageBitmap)', 'receivedUs', 'shownUs'],
    ] as const;
    const perHop: number[][] = HOPS.map(() => []);
    // The baseline's own: its frames carry Chromium's capture time too.
    const BASELINE_HOPS = [
      'click → Chromium captured the changed page (Input.dispatchMouseEvent; the page renders)',
      'captured → the raw CDP client received it (JPEG encoding, DevTools message)',
      'received → decoded (createImageBitmap in the viewer page)',
    ];
    const perBaselineHop: number[][] = BASELINE_HOPS.map(() => []);
    const failures: string[] = [];
    const order: ('ws' | 'rtc' | 'cdp')[] = ['ws', 'rtc', 'cdp'];
    for (let i = 0; i < CLICKS; i++) {
      // Rotated each round, so no path always goes first.
      for (const path of [...order.slice(i % 3), ...order.slice(0, i % 3)]) {
        try {
          if (path === 'cdp') {
            times.cdp.push(await baselineClick(baseline, page, perBaselineHop));
          } else {
            const key = path === 'ws' ? ws : rtc;
            const r = await page.evaluate((k) => (window as any).benchViewer.click(k), key);
            times[path].push(r.ms);
            if (typeof r.paintedMs === 'number') painted[path].push(r.paintedMs);
            if (path === 'ws' && r.picture.timing) {
              const at: Record<string, number> = { sentUs: r.sentUs, receivedUs: r.picture.receivedUs, shownUs: r.picture.shownUs, ...r.picture.timing };
              HOPS.forEach(([, from, to], h) => perHop[h].push((at[to] - at[from]) / 1000));
            }
            if (path === 'rtc' && typeof r.picture.receiveTime === 'number') {
              rtcArrived.push(r.picture.receiveTime - r.sentAt);
              if (r.runner?.timing) {
                const at: Record<string, number> = { ...r.epochMs, captured: r.runner.timing.capturedAt, pushed: r.runner.timing.pushedAt };
                RTC_HOPS.forEach(([, from, to], h) => perRtcHop[h].push(at[to] - at[from]));
                agreement.push(r.runner.agree / r.runner.of);
              } else {
                unaligned.push(r.runner?.reason ?? 'no alignment');
              }
            }
          }
        } catch (e) {
          failures.push(`${path}: ${(e as Error).message}`);
        }
        await sleep(250);
      }
    }
    const cdp = summarize(times.cdp);
    const base = { measure: 'raw CDP client, own Chromium (Page.startScreencast + Input.dispatchMouseEvent), JPEG decoded in the browser', summary: cdp };
    for (const [path, label] of [['ws', 'WebSocket JPEG (createImageBitmap)'], ['rtc', 'WebRTC VP8 (DataChannel click, requestVideoFrameCallback)']] as const) {
      const s = summarize(times[path]);
      rows.push({
        measure: `input-to-photon in a browser viewer, ${label}, screencast capture`,
        unit: 'ms',
        summary: s,
        baseline: base,
        ratio: Math.round((s.p50 / cdp.p50) * 100) / 100,
        note: failures.filter((f) => f.startsWith(path)).length ? `${failures.filter((f) => f.startsWith(path)).length} clicks without a picture` : undefined,
      });
    }
    rows.push({ measure: 'baseline: ' + base.measure, unit: 'ms', summary: cdp });
    if (painted.ws.length && painted.rtc.length) {
      const ws = summarize(painted.ws);
      const rtc = summarize(painted.rtc);
      rows.push({
        measure: "input-to-photon to the paint, WebSocket JPEG path: click → the rendering step after the decoded picture is drawn on a canvas runs its requestAnimationFrame callback",
        unit: 'ms',
        summary: ws,
      });
      rows.push({
        measure: 'input-to-photon to the paint, WebRTC VP8: click → the rendering step that shows the video frame runs its requestVideoFrameCallback callback',
        unit: 'ms',
        summary: rtc,
        note: `WebRTC over the WebSocket path, both to the paint, medians: ${Math.round((rtc.p50 / ws.p50) * 100) / 100}`,
      });
    }
    HOPS.forEach(([label], h) => {
      if (perHop[h].length) rows.push({ measure: `WebSocket path hop by hop: ${label}`, unit: 'ms', summary: summarize(perHop[h]) });
    });
    BASELINE_HOPS.forEach((label, h) => {
      if (perBaselineHop[h].length) rows.push({ measure: `baseline hop by hop: ${label}`, unit: 'ms', summary: summarize(perBaselineHop[h]) });
    });
    if (rtcArrived.length) {
      rows.push({ measure: "WebRTC: click → the video frame's last packet arrives (rVFC receiveTime)", unit: 'ms', summary: summarize(rtcArrived) });
    }
    // Clicks whose frame could not be matched to the runner's timing are counted, not estimated.
    const alignedNote = () => {
      const reasons = [...new Set(unaligned)].map((why) => `${unaligned.filter((u) => u === why).length}× ${why}`);
      const agreed = agreement.length ? `; the stream's RTP constant was shared by ${Math.round(Math.min(...agreement) * 100)}–${Math.round(Math.max(...agreement) * 100)}% of the recently shown frames` : '';
      return `${perRtcHop[0].length} of ${rtcArrived.length} clicks matched to the runner's frame timing${unaligned.length ? ` (not matched: ${reasons.join(', ')})` : ''}${agreed}`;
    };
    RTC_HOPS.forEach(([label], h) => {
      if (perRtcHop[h].length) {
        rows.push({ measure: `WebRTC path hop by hop: ${label}`, unit: 'ms', summary: summarize(perRtcHop[h]), note: h === 0 ? alignedNote() : undefined });
      }
    });
    if (rtcArrived.length && !perRtcHop[0].length) {
      rows.push({ measure: 'WebRTC path hop by hop', unit: '', value: 'none', note: alignedNote() });
    }
    await baseline.page.close();

    // An animated page, one transport at a time.
    rows.push(await animatedRow(page, ws, wsSession, 'WebSocket JPEG, screencast capture'));
    rows.push(await animatedRow(page, rtc, rtcSession, 'WebRTC VP8, screencast capture'));
    for (const f of failures) console.warn(`bench: ${f}`);
    profiled = [wsSession, rtcSession];
    expect(times.ws.length, failures.join('; ')).toBeGreaterThan(CLICKS / 2);
    expect(times.rtc.length, failures.join('; ')).toBeGreaterThan(CLICKS / 2);
  } finally {
    await stack.stop();
  }
  summarizeProfiles();
});

let profiled: string[] = [];

/** The runners' hot methods (JFR's own view), next to the results; the recordings stay there too. */
function summarizeProfiles(): void {
  const jfr = join(execFileSync(join(REPO, 'scripts/java-home.sh'), { encoding: 'utf8' }).trim(), 'bin/jfr');
  const deadline = Date.now() + 10_000;
  let files: string[] = [];
  while (Date.now() < deadline) {
    files = readdirSync(RESULTS).filter((f) => f.endsWith('.jfr'));
    if (files.length >= profiled.length) break;
    execFileSync('sleep', ['0.5']);
  }
  const parts = files.map((f) => {
    try {
      return `## ${f}\n\n${execFileSync(jfr, ['view', '--width', '160', 'hot-methods', join(RESULTS, f)], { encoding: 'utf8' })}`;
    } catch (e) {
      return `## ${f}\n\n(no summary: ${(e as Error).message})`;
    }
  });
  writeFileSync(join(RESULTS, 'runner-profile.txt'),
    `Hot methods of the runners of the input-to-photon and animated-page runs (one WebSocket viewer, one WebRTC viewer), from JFR.\n\n${parts.join('\n')}`);
  rows.push({ measure: 'runner profile (JFR, hot methods)', unit: '', value: `bench/results/runner-profile.txt (${files.length} recording(s))` });
}

it('input-to-photon over WebRTC with the display capture (RUNNER_CAPTURE=desktop), against raw CDP', async () => {
  const stack = await startStack({ maxSessions: 2, controlPlaneEnv: { ...BENCH_ENV, RUNNER_CAPTURE: 'desktop' }, logName: 'bench-desktop.log' });
  try {
    const page = await viewerPage(stack);
    const id = await createSession(stack, site.url('/toggle'));
    await awaitReady(stack, id);
    const rtc = await page.evaluate(({ id, token }) => (window as any).benchViewer.openRtc(id, token), { id, token: stack.apiToken });
    const baseline = await openBaseline(site.url('/toggle'));
    await sleep(2000);
    const ours: number[] = [];
    const theirs: number[] = [];
    for (let i = 0; i < CLICKS; i++) {
      // Alternating which goes first, so neither always meets a quieter machine.
      for (const path of i % 2 ? ['cdp', 'rtc'] : ['rtc', 'cdp']) {
        try {
          if (path === 'cdp') theirs.push(await baselineClick(baseline, page));
          else ours.push((await page.evaluate((k) => (window as any).benchViewer.click(k), rtc)).ms);
        } catch (e) {
          console.warn(`bench (desktop capture): ${path}: ${(e as Error).message}`);
        }
        await sleep(250);
      }
    }
    const s = summarize(ours);
    const b = summarize(theirs);
    rows.push({
      measure: 'input-to-photon in a browser viewer, WebRTC VP8, display capture (headful Chromium on Xvfb)',
      unit: 'ms',
      summary: s,
      baseline: { measure: 'raw CDP client, own Chromium', summary: b },
      ratio: Math.round((s.p50 / b.p50) * 100) / 100,
    });
    await baseline.page.close();
    rows.push(await animatedRow(page, rtc, id, 'WebRTC VP8, display capture'));
    await page.close();
  } finally {
    await stack.stop();
  }
});

const DENSITY_MAX = Number(process.env.BENCH_DENSITY_MAX ?? 10);

it('density: sessions this machine holds before a viewer\'s input-to-photon p95 doubles', async () => {
  const stack = await startStack({ maxSessions: DENSITY_MAX + 2, controlPlaneEnv: { ...BENCH_ENV }, logName: 'bench-density.log' });
  try {
    const page = await viewerPage(stack);
    const probe = await createSession(stack, site.url('/toggle'));
    await awaitReady(stack, probe);
    const ws = await page.evaluate(({ id, token }) => (window as any).benchViewer.openWs(id, token), { id: probe, token: stack.apiToken });
    const p95 = async () => {
      const times: number[] = [];
      for (let i = 0; i < 12; i++) {
        try {
          times.push((await page.evaluate((k) => (window as any).benchViewer.click(k), ws)).ms);
        } catch {
          times.push(5000);
        }
        await sleep(250);
      }
      return summarize(times).p95;
    };
    await p95(); // warms up the path (the first clicks of a session are slower)
    const alone = await p95();
    for (const [kind, path] of [['idle', '/toggle'], ['animated', '/animated']] as const) {
      const others: string[] = [];
      let held = 0;
      let last = alone;
      while (others.length < DENSITY_MAX) {
        try {
          const id = await createSession(stack, site.url(path));
          others.push(id);
          await awaitReady(stack, id);
        } catch {
          break;
        }
        await sleep(1000);
        last = await p95();
        if (last > 2 * alone) break;
        held = others.length;
      }
      rows.push({
        measure: `density, ${kind} sessions (no viewer of their own) beside one watched session, before its input-to-photon p95 doubles (${alone} ms alone)`,
        unit: 'sessions',
        value: held + 1,
        note: `p95 ${last} ms with ${others.length + 1} sessions${others.length >= DENSITY_MAX ? ' (the bench\'s limit)' : ''}`,
      });
      for (const id of others) await deleteSession(stack, id);
      await sleep(3000);
    }
    await page.close();
  } finally {
    await stack.stop();
  }
});

function writeResults(): void {
  mkdirSync(RESULTS, { recursive: true });
  let chromiumVersion = '';
  try {
    chromiumVersion = execFileSync(CHROMIUM, ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    // not fatal for the results
  }
  const machine = { cores: cpus().length, cpu: cpus()[0]?.model ?? '', memoryGiB: Math.round(totalmem() / 2 ** 30), chromium: chromiumVersion, node: process.version };
  writeFileSync(join(RESULTS, 'latest.json'), JSON.stringify({ when: new Date().toISOString(), machine, rows }, null, 2) + '\n');
  const fmt = (s?: Summary) => (s ? `${s.p50} / ${s.p95} (min ${s.min}, max ${s.max}, n=${s.n})` : '');
  const lines = [
    `Machine: ${machine.cores} cores (${machine.cpu}), ${machine.memoryGiB} GiB, ${machine.chromium}. Medians and 95th percentiles of one run; ratios against the baseline measured in the same run, interleaved.`,
    '',
    '| measure | p50 / p95 (min, max, n) or value | baseline p50 / p95 | ratio (p50) | note |',
    '|---|---|---|---|---|',
    ...rows.map((r) =>
      `| ${r.measure} | ${r.summary ? fmt(r.summary) + ' ' + r.unit : `${r.value} ${r.unit}`} | ${r.baseline ? `${r.baseline.summary.p50} / ${r.baseline.summary.p95} ${r.unit}` : ''} | ${r.ratio ?? ''} | ${r.note ?? ''} |`,
    ),
  ];
  writeFileSync(join(RESULTS, 'latest.md'), lines.join('\n') + '\n');
  console.log(lines.join('\n'));
}
