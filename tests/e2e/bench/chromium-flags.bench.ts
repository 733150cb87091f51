/**
 * `make bench`: Chromium's flags, measured one at a time. The baseline is the exact command line a
 * runner gives its Chromium (read from a real session's browser process); each variant adds one
 * flag to it. For every start: spawn → the first screencast frame of a page (as a runner opens its
 * session's page), the memory of all Chromium's processes (PSS) on a still page, and their CPU and
 * the screencast's frames per second on an animated page. Variants are interleaved round by round,
 * in a rotated order, so the machine's noise hits all of them. Writes
 * bench/results/chromium-flags.md and .json.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TestSite } from '../site';
import { REPO, startStack } from '../stack';
import { type Summary, sleep, summarize } from './figures';
import { commandLine, cpuTicks, pssKb, runnerPidsOf, TICKS_PER_SECOND, treeOf } from './procfs';

const ROUNDS = Number(process.env.BENCH_FLAG_ROUNDS ?? 3);
const WINDOW_MS = Number(process.env.BENCH_FLAG_WINDOW_MS ?? 4000);
const RESULTS = join(REPO, 'bench/results');
const WRAPPER = '/usr/bin/chromium';
const BINARY = '/usr/lib/chromium/chromium';
/** Debian's chromium-headless-shell: the old headless mode, a build without the browser's windowing and UI. */
const HEADLESS_SHELL = '/usr/lib/chromium/chromium-headless-shell';

interface Variant {
  name: string;
  /** Flags added to the runner's. */
  add: string[];
  /** A feature the runner enables, taken out of its --enable-features list. */
  withoutFeature?: string;
  /** Starts this file instead of Chromium's binary, which the runner starts. */
  executable?: string;
  /** What it changes about isolation between the page and the rest. */
  isolation: string;
  /** Page.startScreencast's everyNthFrame on the animated page, 1 unless given. */
  everyNthFrame?: number;
  /**
   * No screencast: the page is a target whose frames the client drives (the headless shell's
   * begin-frame control, which needs every compositor stage run before a frame is drawn), asking
   * for one frame with a JPEG of it every 1/30 s.
   */
  beginFrames?: boolean;
}

/** Frames a second the begin-frame variant asks for: the runner's own rate. */
const BEGIN_FRAME_FPS = 30;

const ALL_VARIANTS: Variant[] = [
  { name: "the runner's flags (baseline)", add: [], isolation: '' },
  { name: `started through Debian's wrapper script ${WRAPPER}`, add: [], executable: WRAPPER, isolation: 'none' },
  { name: `the headless shell ${HEADLESS_SHELL}, same flags`, add: [], executable: HEADLESS_SHELL, isolation: 'none (the same renderer and site isolation; no windowing or browser UI)' },
  {
    name: `the headless shell, frames driven by the client at ${BEGIN_FRAME_FPS} a second (HeadlessExperimental.beginFrame with a JPEG; no screencast)`,
    add: ['--enable-begin-frame-control', '--run-all-compositor-stages-before-draw'],
    executable: HEADLESS_SHELL,
    beginFrames: true,
    isolation: 'none',
  },
  { name: '--in-process-gpu', add: ['--in-process-gpu'], isolation: "the compositor moves into the browser process; pages' renderers stay separate" },
  {
    name: 'without NetworkServiceInProcess2 (the runner enables it)',
    add: [],
    withoutFeature: 'NetworkServiceInProcess2',
    isolation: "with it, the network service runs in the browser process: no change while the sandbox is off (the runner's container is the boundary)",
  },
  { name: '--disable-features=AudioServiceOutOfProcess', add: ['--disable-features=AudioServiceOutOfProcess'], isolation: 'the audio service runs in the browser process' },
  { name: '--disable-features=SpareRendererForSitePerProcess', add: ['--disable-features=SpareRendererForSitePerProcess'], isolation: 'none (no renderer started ahead for the next site: a new site starts its own)' },
  {
    name: 'screencast everyNthFrame: 2 on the animated page (not a flag)',
    add: [],
    everyNthFrame: 2,
    isolation: "none; but a still page's one new frame can be the skipped one, and a change is then never shown",
  },
  { name: '--no-zygote', add: ['--no-zygote'], isolation: 'none while the sandbox is off (the zygote is what the sandbox forks from)' },
  { name: '--enable-low-end-device-mode', add: ['--enable-low-end-device-mode'], isolation: 'none (smaller caches, 16-bit tiles)' },
  { name: '--js-flags=--lite-mode', add: ['--js-flags=--lite-mode'], isolation: "none (V8 without its optimising compilers: pages' scripts run slower)" },
  { name: '--num-raster-threads=1', add: ['--num-raster-threads=1'], isolation: 'none' },
  { name: '--disable-features=BackForwardCache', add: ['--disable-features=BackForwardCache'], isolation: 'none' },
];

/** BENCH_FLAG_VARIANTS (a regular expression) keeps the baseline and the variants whose names match. */
const only = process.env.BENCH_FLAG_VARIANTS ? new RegExp(process.env.BENCH_FLAG_VARIANTS) : undefined;
const VARIANTS = ALL_VARIANTS.filter((v, i) => i === 0 || !only || only.test(v.name));

interface Start {
  startMs: number;
  pssMiB: number;
  /** PSS by process type (browser, renderer, gpu-process, utility: its sub-type), MiB. */
  pssByType: Record<string, number>;
  processes: number;
  cores: number;
  fps: number;
}

let site: TestSite;
let runnerArgs: string[] = [];
const results = new Map<string, Start[]>(VARIANTS.map((v) => [v.name, []]));

beforeAll(async () => {
  site = await TestSite.start();
  runnerArgs = await runnersChromiumArguments();
});

afterAll(async () => {
  await site?.close();
});

/** The arguments a runner starts its Chromium with, without what belongs to that one session. */
async function runnersChromiumArguments(): Promise<string[]> {
  const stack = await startStack({ maxSessions: 1, controlPlaneEnv: {}, logName: 'bench-flags.log' });
  try {
    const headers = { authorization: `Bearer ${stack.apiToken}`, 'content-type': 'application/json' };
    const res = await fetch(`${stack.baseUrl}/api/sessions`, { method: 'POST', headers, body: JSON.stringify({ url: 'about:blank' }) });
    const { sessionId } = (await res.json()) as { sessionId: string };
    expect(res.status).toBe(201);
    const deadline = Date.now() + 60_000;
    let browser: string[] | undefined;
    while (!browser && Date.now() < deadline) {
      await sleep(200);
      browser = runnerChromiumOf(sessionId);
    }
    await fetch(`${stack.baseUrl}/api/sessions/${sessionId}`, { method: 'DELETE', headers });
    if (!browser) throw new Error(`no Chromium of session ${sessionId} within 60 s`);
    return browser.slice(1).filter((a) => !/^--(user-data-dir|remote-debugging-pipe|proxy-server|proxy-bypass-list)\b/.test(a) && !/^[a-z]+:/.test(a));
  } finally {
    await stack.stop();
  }
}

/** The browser process (no --type) under the runner of the session, by its command line. */
function runnerChromiumOf(sessionId: string): string[] | undefined {
  for (const pid of runnerPidsOf(sessionId)) {
    for (const child of treeOf(pid)) {
      const args = commandLine(child);
      if (args[0]?.endsWith('/chromium') && !args.some((a) => a.startsWith('--type='))) return args;
    }
  }
  return undefined;
}

/** The runner's flags plus the variant's; a feature list is merged into the one already given, as Chromium honours only the last. */
function argumentsOf(variant: Variant, profile: string): string[] {
  const args = runnerArgs.map((a) =>
    variant.withoutFeature && a.startsWith('--enable-features=')
      ? '--enable-features=' + a.slice(18).split(',').filter((f) => f !== variant.withoutFeature).join(',')
      : a,
  );
  for (const flag of variant.add) {
    const list = /^(--(?:enable|disable)-features=)(.*)$/.exec(flag);
    const at = list ? args.findIndex((a) => a.startsWith(list[1])) : -1;
    if (list && at >= 0) args[at] = `${args[at]},${list[2]}`;
    else args.push(flag);
  }
  return [...args, `--user-data-dir=${profile}`, '--remote-debugging-pipe', 'about:blank'];
}

/** DevTools over Chromium's pipe (descriptors 3 and 4), as the runner speaks it. */
class PipeClient {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  private readonly listeners = new Map<string, ((params: any, sessionId?: string) => void)[]>();

  constructor(
    private readonly out: Writable,
    input: Readable,
  ) {
    let buffered: Buffer[] = [];
    input.on('data', (chunk: Buffer) => {
      for (let end = chunk.indexOf(0); end >= 0; end = chunk.indexOf(0)) {
        buffered.push(chunk.subarray(0, end));
        this.dispatch(JSON.parse(Buffer.concat(buffered).toString('utf8')));
        buffered = [];
        chunk = chunk.subarray(end + 1);
      }
      if (chunk.length) buffered.push(chunk);
    });
  }

  send(method: string, params: object = {}, sessionId?: string): Promise<any> {
    const id = this.nextId++;
    this.out.write(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }) + '\0');
    return within(new Promise((resolve, reject) => this.pending.set(id, { resolve, reject })), `no answer to ${method}`);
  }

  on(method: string, listener: (params: any, sessionId?: string) => void): void {
    this.listeners.set(method, [...(this.listeners.get(method) ?? []), listener]);
  }

  private dispatch(message: any): void {
    if (message.id !== undefined) {
      const waiter = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.error) waiter?.reject(new Error(`${message.error.message} (${message.error.code})`));
      else waiter?.resolve(message.result);
    } else {
      for (const listener of this.listeners.get(message.method) ?? []) listener(message.params, message.sessionId);
    }
  }
}

/** The promise, or an error naming what did not happen within 15 s. */
function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} within 15 s`)), 15_000)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** One start of Chromium with the variant's flags: its start to the first frame, its memory, its CPU on an animated page. */
async function measure(variant: Variant): Promise<Start> {
  const profile = mkdtempSync(join(tmpdir(), 'mbi-bench-flags-'));
  const t0 = performance.now();
  const chromium: ChildProcess = spawn(variant.executable ?? BINARY, argumentsOf(variant, profile), {
    stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'],
    detached: true,
  });
  // Killing it at the end resets the pipe: nothing to report.
  for (const stream of [chromium.stdio[3], chromium.stdio[4]]) stream?.on('error', () => undefined);
  try {
    const cdp = new PipeClient(chromium.stdio[3] as Writable, chromium.stdio[4] as Readable);
    let frames = 0;
    let firstFrame: () => void = () => undefined;
    let first = new Promise<void>((resolve) => (firstFrame = resolve));
    cdp.on('Page.screencastFrame', (params, sessionId) => {
      frames++;
      firstFrame();
      void cdp.send('Page.screencastFrameAck', { sessionId: params.sessionId }, sessionId).catch(() => undefined);
    });
    let loaded: () => void = () => undefined;
    cdp.on('Page.loadEventFired', () => loaded());
    let target: { targetId: string } | undefined;
    while (!target && performance.now() - t0 < 15_000) {
      if (variant.beginFrames) {
        // Only a target made with begin-frame control has its frames driven by the client.
        target = await cdp
          .send('Target.createTarget', { url: 'about:blank', enableBeginFrameControl: true, width: 1280, height: 720 })
          .catch(() => undefined);
      } else {
        target = ((await cdp.send('Target.getTargets')).targetInfos as { type: string; targetId: string }[]).find((t) => t.type === 'page');
      }
      if (!target) await sleep(10);
    }
    if (!target) throw new Error(`${variant.name}: no page within 15 s`);
    const { sessionId } = await cdp.send('Target.attachToTarget', { targetId: target.targetId, flatten: true });
    await cdp.send('Page.enable', {}, sessionId);
    const load = () => new Promise<void>((resolve) => (loaded = resolve));
    let loading = load();
    let driving = variant.beginFrames;
    const drive = async () => {
      // One frame every 1/30 s, its JPEG taken as it is drawn; a frame with nothing new has no picture.
      for (let next = performance.now(); driving; next += 1000 / BEGIN_FRAME_FPS) {
        const shot = await cdp
          .send('HeadlessExperimental.beginFrame', { screenshot: { format: 'jpeg', quality: 70 } }, sessionId)
          .catch(() => undefined);
        if (shot?.screenshotData) {
          frames++;
          firstFrame();
        }
        await sleep(Math.max(0, next + 1000 / BEGIN_FRAME_FPS - performance.now()));
      }
    };
    const driver = variant.beginFrames ? drive() : undefined;
    await cdp.send('Page.navigate', { url: site.url('/toggle') }, sessionId);
    await within(loading, `${variant.name}: the page did not load`);
    first = new Promise<void>((resolve) => (firstFrame = resolve)); // the page's first frame, not a blank one before it
    if (!variant.beginFrames) {
      await cdp.send('Page.startScreencast', { format: 'jpeg', quality: 70, maxWidth: 1280, maxHeight: 720, everyNthFrame: 1 }, sessionId);
    }
    await within(first, `${variant.name}: no screencast frame`);
    const startMs = performance.now() - t0;
    await sleep(1500);
    const processes = treeOf(chromium.pid!);
    const pssByType: Record<string, number> = {};
    for (const pid of processes) {
      // Chromium rewrites its helpers' arguments into one string: read them as one.
      const line = commandLine(pid).join(' ');
      const type = /--type=(\S+)/.exec(line)?.[1] ?? (/crashpad/.test(line) ? 'crashpad' : 'browser');
      const sub = /--utility-sub-type=(\S+)/.exec(line)?.[1].replace(/^.*\.mojom\./, '');
      const key = sub ? `${type} (${sub})` : type;
      pssByType[key] = (pssByType[key] ?? 0) + pssKb(pid) / 1024;
    }
    const pssMiB = Object.values(pssByType).reduce((a, b) => a + b, 0);

    loading = load();
    await cdp.send('Page.navigate', { url: site.url('/animated') }, sessionId);
    await within(loading, `${variant.name}: the animated page did not load`);
    if (variant.everyNthFrame) {
      await cdp.send('Page.stopScreencast', {}, sessionId);
      await cdp.send('Page.startScreencast', { format: 'jpeg', quality: 70, maxWidth: 1280, maxHeight: 720, everyNthFrame: variant.everyNthFrame }, sessionId);
    }
    await sleep(1500);
    const busy = treeOf(chromium.pid!);
    const before = new Map(busy.map((pid) => [pid, cpuTicks(pid)]));
    const framesBefore = frames;
    const w0 = performance.now();
    await sleep(WINDOW_MS);
    const seconds = (performance.now() - w0) / 1000;
    const ticks = busy.reduce((sum, pid) => sum + Math.max(0, cpuTicks(pid) - before.get(pid)!), 0);
    driving = false;
    await driver;
    return { startMs, pssMiB, pssByType, processes: processes.length, cores: ticks / TICKS_PER_SECOND / seconds, fps: (frames - framesBefore) / seconds };
  } finally {
    try {
      process.kill(-chromium.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
    await new Promise((resolve) => (chromium.exitCode !== null ? resolve(null) : chromium.once('exit', resolve)));
    await sleep(300);
    rmSync(profile, { recursive: true, force: true });
  }
}

it("Chromium's flags one by one: start, memory, CPU", async () => {
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < VARIANTS.length; i++) {
      const variant = VARIANTS[(i + round) % VARIANTS.length];
      results.get(variant.name)!.push(await measure(variant));
    }
  }
  writeFlagResults();
  for (const starts of results.values()) expect(starts.every((s) => s.fps > 0 && s.pssMiB > 0)).toBe(true);
});

function writeFlagResults(): void {
  const base = results.get(VARIANTS[0].name)!;
  const median = (starts: Start[], pick: (s: Start) => number) => summarize(starts.map(pick));
  const baseline = { start: median(base, (s) => s.startMs), pss: median(base, (s) => s.pssMiB), cores: median(base, (s) => s.cores * 1000) };
  const rows = VARIANTS.map((v) => {
    const starts = results.get(v.name)!;
    const types = [...new Set(starts.flatMap((s) => Object.keys(s.pssByType)))].sort();
    const pssByType = Object.fromEntries(types.map((t) => [t, Math.round(median(starts, (s) => s.pssByType[t] ?? 0).p50)]));
    return {
      variant: v.name,
      pssByType,
      flags: v.add,
      isolation: v.isolation,
      start: median(starts, (s) => s.startMs),
      pss: median(starts, (s) => s.pssMiB),
      processes: median(starts, (s) => s.processes),
      // In thousandths: summaries round to a tenth.
      cores: median(starts, (s) => s.cores * 1000),
      fps: median(starts, (s) => s.fps),
    };
  });
  const ratio = (s: Summary, b: Summary) => (b.p50 ? (s.p50 / b.p50).toFixed(2) : '');
  const lines = [
    `${cpus().length} cores; ${ROUNDS} starts per variant, interleaved; medians (min–max). The baseline is the runner's own command line:`,
    '',
    '```',
    runnerArgs.join(' '),
    '```',
    '',
    '| variant | start → first frame, ms (ratio) | memory, PSS MiB (ratio) | processes | animated page: cores (ratio) | fps | isolation |',
    '|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.variant} | ${r.start.p50} (${r.start.min}–${r.start.max}) ${ratio(r.start, baseline.start)} | ${r.pss.p50.toFixed(0)} (${r.pss.min.toFixed(0)}–${r.pss.max.toFixed(0)}) ${ratio(r.pss, baseline.pss)} | ${r.processes.p50} | ${(r.cores.p50 / 1000).toFixed(2)} (${(r.cores.min / 1000).toFixed(2)}–${(r.cores.max / 1000).toFixed(2)}) ${ratio(r.cores, baseline.cores)} | ${r.fps.p50.toFixed(1)} | ${r.isolation} |`,
    ),
    '',
    'Memory by process (PSS MiB, medians):',
    '',
    ...rows.map((r) => `- ${r.variant}: ${Object.entries(r.pssByType).map(([t, m]) => `${t} ${m}`).join(', ')}`),
  ];
  writeFileSync(join(RESULTS, 'chromium-flags.json'), JSON.stringify({ when: new Date().toISOString(), cores: cpus().length, runnerArgs, rows }, null, 2) + '\n');
  writeFileSync(join(RESULTS, 'chromium-flags.md'), lines.join('\n') + '\n');
  console.log(lines.join('\n'));
}
