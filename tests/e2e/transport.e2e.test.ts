/**
 * WebRTC first, the WebSocket stream as the fallback. The sessions are real (real runner and
 * Chromium); /ice and /offer are routed by the test: blocked, or answered by a real WebRTC peer
 * in the test browser (StandInPeer) following the signalling contract, 409 included.
 */

import { join } from 'node:path';
import type { Browser, BrowserContext, Page, Route } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  awaitSessionStatus,
  clickRemote,
  coloursSeen,
  endAllSessions,
  getSession,
  launchBrowser,
  LETTERBOXED,
  pinRemotePageSize,
  loginUrl,
  near,
  remotePixel,
  startSession,
  statValue,
  transportOf,
  viewState,
} from './helpers';
import { PEER_VIDEO, StandInPeer } from './peer';
import { GREEN, LAYOUT, TestSite } from './site';
import { ARTIFACTS } from './stack';

const baseUrl = inject('baseUrl');
const centre = (b: { x: number; y: number; width: number; height: number }) => ({ x: b.x + b.width / 2, y: b.y + b.height / 2 });

let browser: Browser;
let site: TestSite;
let context: BrowserContext;
let page: Page;
/** Bodies of POST /fallback, in order. */
let fallbackReports: { reason: string }[];
/** The viewer sockets the UI opened, and the binary messages (frames) they received. */
let sockets: string[];
let binaryMessages: number;

beforeAll(async () => {
  site = await TestSite.start();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await site?.close();
});

async function openUi(ice: { iceServers: unknown[]; webrtcTimeoutSec: number }): Promise<void> {
  context = await browser.newContext({ ...LETTERBOXED });
  await pinRemotePageSize(context);
  page = await context.newPage();
  fallbackReports = [];
  sockets = [];
  binaryMessages = 0;
  page.on('websocket', (ws) => {
    sockets.push(ws.url());
    ws.on('framereceived', (f) => {
      if (typeof f.payload !== 'string') {
        binaryMessages++;
      }
    });
  });
  await page.route('**/api/sessions/*/ice', (route) => route.fulfill({ json: ice }));
  await page.route('**/api/sessions/*/fallback', async (route) => {
    fallbackReports.push(route.request().postDataJSON() as { reason: string });
    await route.continue();
  });
  await page.goto(loginUrl(baseUrl));
}

afterEach(async () => {
  await context?.close();
  await endAllSessions(baseUrl);
});

/** The session id in a /offer request's path. */
const sessionOf = (route: Route) => /\/api\/sessions\/([^/]+)\/offer$/.exec(new URL(route.request().url()).pathname)![1];

/** Proves the WebSocket view works: the picture is the live page and a click reaches it. */
async function webSocketViewWorks(): Promise<void> {
  expect(await transportOf(page)).toBe('websocket');
  // The picture comes as binary messages: the JPEG as it is, no base64.
  expect(sockets.every((u) => u.includes('frames=binary')), sockets.join(', ')).toBe(true);
  await expect.poll(() => binaryMessages, { timeout: 10_000 }).toBeGreaterThan(0);
  try {
    await expect.poll(() => remotePixel(page, LAYOUT.background), { timeout: 15_000 }).toSatisfy((px: number[]) => near(px, GREEN));
  } catch (e) {
    throw new Error(`no live page picture after the fallback: ${await viewState(page)}`, { cause: e });
  }
  expect(await coloursSeen(page, centre(LAYOUT.blinker), 2000)).toEqual(expect.arrayContaining(['001', '110']));
  site.skipPending();
  await clickRemote(page, centre(LAYOUT.button));
  await site.waitFor('click');
}

describe('transport: WebRTC first, WebSocket fallback', () => {
  it('falls back to the WebSocket at once when the offer fails, and works fully there', async () => {
    await openUi({ iceServers: [], webrtcTimeoutSec: 15 });
    let offers = 0;
    await page.route('**/api/sessions/*/offer', (route) => {
      offers++;
      return route.abort('connectionrefused');
    });
    await startSession(page, site.url('/page'));
    await expect.poll(() => page.getByTestId('transport').getAttribute('data-phase'), { timeout: 15_000 }).toBe('websocket');
    expect(offers).toBeGreaterThan(0);
    await expect.poll(() => fallbackReports).toEqual([{ reason: 'offer-failed' }]);
    await webSocketViewWorks();
    expect(await statValue(page, 'Fallback')).toBe('offer-failed');
  });

  it('shows WebRTC video and sends input over the DataChannel; falls back when ICE fails', async () => {
    const peer = await StandInPeer.open(browser, site.url('/blank'));
    try {
      await openUi({ iceServers: [], webrtcTimeoutSec: 15 });
      const offerAnswers: number[] = [];
      await page.route('**/api/sessions/*/offer', async (route) => {
        // As the contract says: 409 until the session is ready, then an answer.
        const session = await getSession(baseUrl, sessionOf(route));
        if (session.status !== 'ready') {
          offerAnswers.push(409);
          return route.fulfill({ status: 409, json: { error: `session not ready: ${session.status}` } });
        }
        const offer = route.request().postDataJSON() as { type: string; sdp: string };
        expect(offer.type).toBe('offer');
        expect(offer.sdp).toContain('a=recvonly');
        // Non-trickle: the offer carries its candidates.
        expect(offer.sdp).toContain('a=candidate:');
        offerAnswers.push(200);
        return route.fulfill({ json: { type: 'answer', sdp: await peer.answer(offer.sdp, true) } });
      });

      await startSession(page, site.url('/page'));
      await expect.poll(() => transportOf(page), { timeout: 20_000 }).toBe('webrtc');
      expect(offerAnswers[0], 'the first offer comes while the session is pending').toBe(409);
      expect(offerAnswers.at(-1)).toBe(200);
      expect(await peer.channels()).toEqual(['input ordered=true reliable=true']);

      // Live video: the stream's size, and time moving on.
      const video = page.getByTestId('remote-video');
      expect(await video.evaluate((v: HTMLVideoElement) => [v.videoWidth, v.videoHeight])).toEqual([PEER_VIDEO.width, PEER_VIDEO.height]);
      const t0 = await video.evaluate((v: HTMLVideoElement) => v.currentTime);
      await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.currentTime), { timeout: 5000 }).toBeGreaterThan(t0 + 0.5);
      await expect.poll(() => statValue(page, 'Round trip'), { timeout: 10_000 }).toMatch(/^\d+ ms$/);
      await expect.poll(() => statValue(page, 'Resolution'), { timeout: 10_000 }).toBe('640 × 360');
      await expect.poll(() => statValue(page, 'Bitrate'), { timeout: 10_000 }).toMatch(/^[\d.]+ (kbit|Mbit)\/s$/);
      expect(await statValue(page, 'Transport')).toBe('WebRTC');
      await page.screenshot({ path: join(ARTIFACTS, 'session-webrtc.png') });

      // Input goes over the DataChannel, in the video's pixel space, as the same JSON messages.
      site.skipPending();
      const target = { x: 480, y: 90 };
      await clickRemote(page, target);
      await page.keyboard.press('a');
      await expect.poll(async () => (await peer.received()).map((m) => m.type), { timeout: 5000 }).toEqual(
        expect.arrayContaining(['mousedown', 'mouseup', 'keydown', 'keyup']),
      );
      const received = await peer.received();
      const down = received.find((m) => m.type === 'mousedown')!;
      expect(down).toMatchObject({ button: 0, clickCount: 1, width: PEER_VIDEO.width, height: PEER_VIDEO.height });
      expect(Math.abs((down.x as number) - target.x)).toBeLessThanOrEqual(1);
      expect(Math.abs((down.y as number) - target.y)).toBeLessThanOrEqual(1);
      expect(received.find((m) => m.type === 'keydown')).toEqual({
        type: 'keydown',
        key: 'a',
        code: 'KeyA',
        modifiers: { ctrl: false, shift: false, alt: false, meta: false },
      });
      // Nothing went over the WebSocket to the real page meanwhile.
      await new Promise((r) => setTimeout(r, 1000));
      expect(site.drain()).not.toContain('click');

      // The WebSocket stays attached for status messages while WebRTC carries the picture.
      const id = decodeURIComponent(/#\/sessions\/(.+)$/.exec(page.url())![1]);
      expect((await getSession(baseUrl, id)).viewers).toBe(1);

      // The peer goes away: ICE fails, the UI falls back by itself and reports it.
      await peer.hangUp();
      await expect.poll(() => page.getByTestId('transport').getAttribute('data-phase'), { timeout: 45_000 }).toBe('websocket');
      await expect.poll(() => fallbackReports).toEqual([{ reason: 'ice-failed' }]);
      await webSocketViewWorks();
    } finally {
      await peer.close();
    }
  });

  it('falls back after webrtcTimeoutSec without a video frame', async () => {
    const peer = await StandInPeer.open(browser, site.url('/blank'));
    try {
      await openUi({ iceServers: [], webrtcTimeoutSec: 2 });
      let iceAt = 0;
      let fallbackAt = 0;
      await page.route('**/api/sessions/*/ice', (route) => {
        iceAt = Date.now();
        return route.fulfill({ json: { iceServers: [], webrtcTimeoutSec: 2 } });
      });
      page.on('request', (r) => {
        if (r.url().endsWith('/fallback')) {
          fallbackAt = Date.now();
        }
      });
      await page.route('**/api/sessions/*/offer', async (route) => {
        const offer = route.request().postDataJSON() as { sdp: string };
        return route.fulfill({ json: { type: 'answer', sdp: await peer.answer(offer.sdp, false) } });
      });
      await page.locator('input[type="url"]').fill(site.url('/page'));
      await page.getByRole('button', { name: 'Start Session' }).click();
      const phase = page.getByTestId('transport');
      await expect.poll(() => phase.getAttribute('data-phase'), { timeout: 10_000 }).toBe('connecting');
      await expect.poll(() => phase.getAttribute('data-phase'), { timeout: 10_000 }).toBe('websocket');
      // The clock starts when the ICE servers are known: not before 2 s, and not much later.
      await expect.poll(() => fallbackReports).toEqual([{ reason: 'timeout' }]);
      expect(fallbackAt - iceAt).toBeGreaterThanOrEqual(1900);
      expect(fallbackAt - iceAt).toBeLessThan(8000);
      await awaitSessionStatus(page, 'ready');
      await webSocketViewWorks();
    } finally {
      await peer.close();
    }
  });
});
