/** Shared pieces of the end-to-end tests: the browser, the API, and where things are on screen. */

import { readdirSync, readFileSync } from 'node:fs';
import { type Browser, type BrowserContext, type BrowserContextOptions, chromium, type Page } from 'playwright-core';
import { join } from 'node:path';
import { inject } from 'vitest';
import { ARTIFACTS } from './stack';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      // Two pages of this browser talk WebRTC to each other in the WebRTC tests: plain host
      // candidates instead of mDNS names, which nothing here resolves.
      '--disable-features=WebRtcHideLocalIpsWithMdns',
    ],
  });
}

/** A tall window at device pixel ratio 2: the picture is letterboxed and pixels are dense. */
/**
 * Keeps the remote page at its 1280x720 in this context's views (the UI's "Fit page to my screen"
 * off), for tests about letterboxing and the coordinates of a fixed-size page.
 */
export async function pinRemotePageSize(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => localStorage.setItem('mbi.fitToScreen', 'off'));
}

export const LETTERBOXED: BrowserContextOptions = { viewport: { width: 900, height: 1000 }, deviceScaleFactor: 2 };
export const LAPTOP: BrowserContextOptions = { viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 };
export const PHONE: BrowserContextOptions = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, hasTouch: true, isMobile: true };

export interface ApiSession {
  sessionId: string;
  status: string;
  url: string;
  currentUrl: string;
  error: string;
  viewers: number;
}

/** The suite user's API token (the stack runs with token auth). */
export function apiToken(): string {
  return inject('apiToken');
}

/** The headers of an API call as the suite's user. */
export function authHeaders(): Record<string, string> {
  return { authorization: `Bearer ${apiToken()}` };
}

/** The UI's login link, as the edge prints it when it makes a token: the UI keeps the token and drops it from the address. */
export function loginUrl(baseUrl: string): string {
  return `${baseUrl}/?token=${encodeURIComponent(apiToken())}`;
}

export async function listSessions(baseUrl: string): Promise<ApiSession[]> {
  const res = await fetch(`${baseUrl}/api/sessions`, { headers: authHeaders() });
  return ((await res.json()) as { sessions: ApiSession[] }).sessions;
}

export async function getSession(baseUrl: string, id: string): Promise<ApiSession> {
  return (await (await fetch(`${baseUrl}/api/sessions/${id}`, { headers: authHeaders() })).json()) as ApiSession;
}

/** Ends every live session, so each test starts with the session limit free. */
export async function endAllSessions(baseUrl: string): Promise<void> {
  for (const s of await listSessions(baseUrl)) {
    if (s.status === 'pending' || s.status === 'ready') {
      await fetch(`${baseUrl}/api/sessions/${s.sessionId}`, { method: 'DELETE', headers: authHeaders() });
    }
  }
}

/** The session id in the UI's address (#/sessions/<id>). */
export function sessionIdOf(page: Page): string {
  const match = /#\/sessions\/([^/?#]+)/.exec(page.url());
  if (!match) {
    throw new Error(`the UI shows no session (address ${page.url()})`);
  }
  return decodeURIComponent(match[1]);
}

/**
 * Waits for the session view to show a status. Fails at once, with the reason the view shows, when
 * the session has ended otherwise (no use waiting for `ready` on a session already in `error`).
 */
export async function awaitSessionStatus(page: Page, wanted: string, timeoutMs = 60_000): Promise<void> {
  const status = page.getByTestId('session-status');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = await status.getAttribute('data-status', { timeout: 1_000 }).catch(() => null);
    if (now === wanted) {
      return;
    }
    if (now === 'error' || now === 'terminated') {
      throw new Error(`the session ended ${now} (the view says: ${await status.textContent()}), not ${wanted}`);
    }
    if (Date.now() > deadline) {
      throw new Error(`the session is ${now}, not ${wanted}, after ${timeoutMs} ms`);
    }
    await page.waitForTimeout(100);
  }
}

/** Starts a session from the start screen and waits for the session view to show it ready. */
export async function startSession(page: Page, url: string): Promise<string> {
  await page.locator('input[type="url"]').fill(url);
  await page.getByRole('button', { name: 'Start Session' }).click();
  await awaitSessionStatus(page, 'ready');
  return sessionIdOf(page);
}

/** Where a point of the remote page (frame pixels) appears on screen, computed from the shown element. */
export async function screenPointOf(page: Page, remote: { x: number; y: number }): Promise<{ x: number; y: number }> {
  return page.evaluate(({ x, y }) => {
    const view = document.querySelector<HTMLElement>('[data-testid="remote-view"]')!;
    const el =
      view.dataset.transport === 'webrtc'
        ? document.querySelector<HTMLVideoElement>('[data-testid="remote-video"]')!
        : document.querySelector<HTMLCanvasElement>('[data-testid="remote-canvas"]')!;
    const frameW = el instanceof HTMLVideoElement ? el.videoWidth : el.width;
    const frameH = el instanceof HTMLVideoElement ? el.videoHeight : el.height;
    const r = el.getBoundingClientRect();
    // object-fit: contain scales the picture to fit and centres it.
    const scale = Math.min(r.width / frameW, r.height / frameH);
    return {
      x: r.left + (r.width - frameW * scale) / 2 + x * scale,
      y: r.top + (r.height - frameH * scale) / 2 + y * scale,
    };
  }, remote);
}

export async function clickRemote(page: Page, remote: { x: number; y: number }, button: 'left' | 'right' = 'left') {
  const p = await screenPointOf(page, remote);
  await page.mouse.click(p.x, p.y, { button });
}

/** The remote page's viewport in CSS pixels (the stack's default VIEWPORT_WIDTH/HEIGHT). */
export const REMOTE_VIEWPORT = { width: 1280, height: 720 };

/**
 * One pixel of the picture the UI shows (canvas or video), at a point of the remote page in its
 * CSS pixels. Reads the element's own picture, so it proves what the UI received and drew.
 */
export async function remotePixel(page: Page, point: { x: number; y: number }): Promise<number[]> {
  return page.evaluate(
    ({ x, y, vw, vh }) => {
      const view = document.querySelector<HTMLElement>('[data-testid="remote-view"]')!;
      const el =
        view.dataset.transport === 'webrtc'
          ? document.querySelector<HTMLVideoElement>('[data-testid="remote-video"]')!
          : document.querySelector<HTMLCanvasElement>('[data-testid="remote-canvas"]')!;
      const w = el instanceof HTMLVideoElement ? el.videoWidth : el.width;
      const h = el instanceof HTMLVideoElement ? el.videoHeight : el.height;
      if (!w || !h) {
        return [];
      }
      const copy = document.createElement('canvas');
      copy.width = w;
      copy.height = h;
      const ctx = copy.getContext('2d')!;
      ctx.drawImage(el, 0, 0);
      return [...ctx.getImageData(Math.floor((x * w) / vw), Math.floor((y * h) / vh), 1, 1).data.slice(0, 3)];
    },
    { ...point, vw: REMOTE_VIEWPORT.width, vh: REMOTE_VIEWPORT.height },
  );
}

/** Samples a spot for a while and returns the distinct colours seen (coarsely rounded). */
export async function coloursSeen(page: Page, point: { x: number; y: number }, forMs: number): Promise<string[]> {
  const seen = new Set<string>();
  const end = Date.now() + forMs;
  while (Date.now() < end) {
    const px = await remotePixel(page, point);
    if (px.length === 3) {
      seen.add(px.map((v) => (v > 128 ? 1 : 0)).join(''));
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return [...seen];
}

export function near(actual: number[], expected: number[], tolerance = 40): boolean {
  return actual.length === 3 && actual.every((v, i) => Math.abs(v - expected[i]) <= tolerance);
}

/** The transport the UI says is live. */
export async function transportOf(page: Page): Promise<string | null> {
  return page.getByTestId('transport').getAttribute('data-transport');
}

export async function statValue(page: Page, name: string): Promise<string> {
  return (await page.locator(`[data-stat="${name}"] dd`).textContent()) ?? '';
}

/** What the view shows and what the server says about the session, in a line, for failure messages. */
export async function viewState(page: Page): Promise<string> {
  const id = /#\/sessions\/([^/?#]+)/.exec(page.url())?.[1];
  const server = id
    ? await page.evaluate(
        async ({ sid, token }) =>
          JSON.stringify((await (await fetch(`/api/sessions/${sid}`, { headers: { authorization: `Bearer ${token}` } })).json()).metrics),
        { sid: id, token: apiToken() },
      )
    : 'no session';
  const view = await page.evaluate(() => {
    const canvas = document.querySelector<HTMLCanvasElement>('[data-testid="remote-canvas"]');
    const video = document.querySelector<HTMLVideoElement>('[data-testid="remote-video"]');
    const transport = document.querySelector<HTMLElement>('[data-testid="transport"]');
    const banners = [...document.querySelectorAll('.banner, .toast, .overlay, .stats')].map((e) => e.textContent).join(' | ');
    return (
      `transport=${transport?.dataset.transport} phase=${transport?.dataset.phase} (${transport?.title}); ` +
      `canvas ${canvas?.width}x${canvas?.height} frame #${canvas?.dataset.frameSeq ?? '-'}; ` +
      `video ${video?.videoWidth}x${video?.videoHeight} t=${video?.currentTime}; status=` +
      `${document.querySelector<HTMLElement>('[data-testid="session-status"]')?.dataset.status}; ${banners}`
    );
  });
  return `${view}; server metrics ${server}`;
}

/**
 * Makes this context's pages note what the UI sends to a session (over the WebSocket and the
 * DataChannel) and the pointer events it sees, for {@link sentInput} to tell when input goes missing.
 */
export async function noteSentInput(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const notes: string[] = [];
    (window as unknown as { mbiSentInput: string[] }).mbiSentInput = notes;
    const note = (what: string) => notes.push(`${performance.now().toFixed(0)} ms ${what.slice(0, 160)}`);
    const socketSend = WebSocket.prototype.send;
    WebSocket.prototype.send = function (data) {
      note(`socket (${this.readyState}): ${String(data)}`);
      return socketSend.call(this, data);
    };
    const channelSend = RTCDataChannel.prototype.send;
    RTCDataChannel.prototype.send = function (this: RTCDataChannel, data: never) {
      note(`channel ${this.label} (${this.readyState}): ${String(data)}`);
      return channelSend.call(this, data);
    } as RTCDataChannel['send'];
    for (const type of ['pointerdown', 'pointerup', 'pointercancel']) {
      window.addEventListener(type, (e) => {
        const p = e as PointerEvent;
        note(`${type} ${p.pointerType} at ${p.clientX},${p.clientY} on ${(p.target as Element | null)?.getAttribute?.('data-testid') ?? (p.target as Element | null)?.tagName}`);
      }, true);
    }
  });
}

/** What a page of a {@link noteSentInput} context sent and saw, newest last. */
export async function sentInput(page: Page): Promise<string> {
  return page.evaluate(() => ((window as unknown as { mbiSentInput?: string[] }).mbiSentInput ?? ['(not noted)']).slice(-20).join('\n'));
}

/** The suite's stack log lines that name a session (its control plane, edge and runner), newest last. */
export function stackLogOf(sessionId: string, lines = 15): string {
  try {
    return readFileSync(join(ARTIFACTS, 'stack.log'), 'utf8').split('\n').filter((l) => l.includes(sessionId)).slice(-lines).join('\n');
  } catch (e) {
    return `(no stack log: ${(e as Error).message})`;
  }
}

/** The runner process of a session (started by this suite's control plane), found by SESSION_ID in its environment. */
export function runnerPid(sessionId: string): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, 'utf8');
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (environ.split('\0').includes(`SESSION_ID=${sessionId}`) && cmdline.includes('runner.jar')) {
        return Number(entry);
      }
    } catch {
      // the process ended, or is not ours to read
    }
  }
  throw new Error(`no runner process for session ${sessionId}`);
}
