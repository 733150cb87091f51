/**
 * What crosses a session's boundary, as a person uses it in the UI on a real stack: a download
 * from the tray, an upload through the local file picker, the remote page's copy landing on
 * the local clipboard, and the remote page's sound once the person unmutes it.
 */

import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  clickRemote,
  endAllSessions,
  LAPTOP,
  launchBrowser,
  loginUrl,
  near,
  pinRemotePageSize,
  remotePixel,
  startSession,
} from './helpers';
import { DATA_LAYOUT, fileBytes, GREEN, RED, TestSite } from './site';

const baseUrl = inject('baseUrl');
const centre = (b: { x: number; y: number; width: number; height: number }) => ({ x: b.x + b.width / 2, y: b.y + b.height / 2 });

let browser: Browser;
let site: TestSite;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  site = await TestSite.start();
  browser = await launchBrowser();
});

afterEach(async () => {
  await context?.close();
  await endAllSessions(baseUrl);
});

afterAll(async () => {
  await browser?.close();
  await site?.close();
});

async function openDataPage(): Promise<void> {
  context = await browser.newContext({ ...LAPTOP });
  // The tests aim at the page's controls in its 1280x720 coordinates.
  await pinRemotePageSize(context);
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseUrl });
  page = await context.newPage();
  await page.goto(loginUrl(baseUrl));
  await startSession(page, site.url('/data'));
  await expect.poll(async () => near(await remotePixel(page, { x: 1000, y: 600 }), GREEN), { timeout: 15_000 }).toBe(true);
}

describe('data paths in the UI', () => {
  it('offers a download in the tray, byte-exact', async () => {
    await openDataPage();
    await clickRemote(page, centre(DATA_LAYOUT.download));
    await page.getByTestId('downloads-button').click();
    const link = page.getByTestId('downloads-tray').getByTestId('download-link').first();
    await expect.poll(() => link.getAttribute('href'), { timeout: 20_000 }).toContain('/downloads/');
    const href = (await link.getAttribute('href'))!;
    const res = await fetch(new URL(href, baseUrl));
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(fileBytes(65536))).toBe(true);
  });

  it("uploads a file through the local picker to the remote page's file input", async () => {
    await openDataPage();
    const chooser = page.waitForEvent('filechooser', { timeout: 20_000 });
    await clickRemote(page, centre(DATA_LAYOUT.file));
    const picker = await chooser.catch(async () => {
      // The browser wanted a gesture: the banner's button opens the picker.
      const next = page.waitForEvent('filechooser');
      await page.getByTestId('file-chooser-choose').click();
      return next;
    });
    await picker.setFiles({ name: 'hello.txt', mimeType: 'text/plain', buffer: Buffer.from('hello world') });
    await site.waitFor('file:hello.txt:11');
  });

  it("puts the remote page's copy on the local clipboard", async () => {
    await openDataPage();
    await page.evaluate(() => navigator.clipboard.writeText('nothing yet'));
    await clickRemote(page, centre(DATA_LAYOUT.copy));
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText()), { timeout: 20_000 }).toBe('copied by the page');
  });

  it("plays the remote page's sound, muted until the person unmutes it", async () => {
    context = await browser.newContext({ ...LAPTOP });
    await pinRemotePageSize(context);
    page = await context.newPage();
    await page.goto(loginUrl(baseUrl));
    await startSession(page, site.url('/tone'));
    const toggle = page.getByTestId('sound-toggle');
    const video = page.getByTestId('remote-video');
    // Sound comes with the WebRTC picture; until the person asks, it plays muted.
    await expect.poll(() => toggle.isEnabled(), { timeout: 30_000 }).toBe(true);
    expect(await page.getByTestId('transport').getAttribute('data-transport')).toBe('webrtc');
    expect(await video.evaluate((v: HTMLVideoElement) => v.muted)).toBe(true);
    await clickRemote(page, { x: 200, y: 100 });
    await site.waitFor('tone:running');
    await expect.poll(async () => near(await remotePixel(page, { x: 1000, y: 600 }), RED), { timeout: 15_000 }).toBe(true);
    await toggle.click();
    expect(await toggle.getAttribute('aria-pressed')).toBe('true');
    expect(await video.evaluate((v: HTMLVideoElement) => v.muted)).toBe(false);
    // The tone is in what the video element plays: its audio track, analysed in this browser.
    const peak = await video.evaluate(async (v: HTMLVideoElement) => {
      const stream = v.srcObject as MediaStream;
      const track = stream.getAudioTracks()[0];
      if (!track || track.readyState !== 'live') {
        return -1;
      }
      const audio = new AudioContext();
      const analyser = audio.createAnalyser();
      audio.createMediaStreamSource(new MediaStream([track])).connect(analyser);
      const samples = new Float32Array(analyser.fftSize);
      let loudest = 0;
      for (let i = 0; i < 40 && loudest < 0.1; i++) {
        await new Promise((r) => setTimeout(r, 100));
        analyser.getFloatTimeDomainData(samples);
        loudest = Math.max(loudest, ...samples.map(Math.abs));
      }
      await audio.close();
      return loudest;
    });
    expect(peak).toBeGreaterThan(0.1);
  });
});
