/**
 * The web UI, served by the edge, in a real Chromium, driving a real session on the real stack:
 * start, live picture, mouse/keyboard/paste/wheel reaching the remote page, navigation, stats,
 * the sessions list, errors in words, and ending the session.
 */

import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  apiToken,
  authHeaders,
  awaitSessionStatus,
  clickRemote,
  coloursSeen,
  endAllSessions,
  getSession,
  LAPTOP,
  launchBrowser,
  LETTERBOXED,
  pinRemotePageSize,
  loginUrl,
  near,
  noteSentInput,
  PHONE,
  remotePixel,
  runnerPid,
  screenPointOf,
  sentInput,
  stackLogOf,
  startSession,
  statValue,
  transportOf,
  viewState,
} from './helpers';
import { GREEN, LAYOUT, RED, TestSite } from './site';
import { ARTIFACTS } from './stack';

const baseUrl = inject('baseUrl');
const centre = (b: { x: number; y: number; width: number; height: number }) => ({ x: b.x + b.width / 2, y: b.y + b.height / 2 });

let browser: Browser;
let site: TestSite;

beforeAll(async () => {
  site = await TestSite.start();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await site?.close();
});

afterEach(async () => {
  await endAllSessions(baseUrl);
});

/** Waits until the UI has settled on a transport (no longer trying WebRTC). */
async function settledTransport(page: Page): Promise<string> {
  const badge = page.getByTestId('transport');
  await expect
    .poll(() => badge.getAttribute('data-phase'), { timeout: 30_000 })
    .toMatch(/^(webrtc|websocket)$/);
  return (await transportOf(page)) ?? '';
}

describe('web UI on the real stack', () => {
  it('starts a session, shows it live, drives the remote page and ends it', async () => {
    const context = await browser.newContext({ ...LETTERBOXED });
    await pinRemotePageSize(context);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseUrl });
    const page = await context.newPage();
    await page.goto(loginUrl(baseUrl));

    // The start screen.
    await expect.poll(() => page.locator('input[type="url"]').isVisible()).toBe(true);
    expect(await page.getByRole('button', { name: 'Start Session' }).isEnabled()).toBe(true);

    // Status moves from pending to ready.
    await page.locator('input[type="url"]').fill(site.url('/page'));
    await page.getByRole('button', { name: 'Start Session' }).click();
    const status = page.getByTestId('session-status');
    await status.waitFor();
    expect(await status.getAttribute('data-status')).toBe('pending');
    await awaitSessionStatus(page, 'ready');
    expect(await status.textContent()).toContain('ready');

    // A live picture of the page: its green background, and the corner square blinking.
    const transport = await settledTransport(page);
    expect(['webrtc', 'websocket']).toContain(transport);
    try {
      await expect.poll(() => remotePixel(page, LAYOUT.background), { timeout: 15_000 }).toSatisfy((px: number[]) => near(px, GREEN));
    } catch (e) {
      throw new Error(`no live page picture: ${await viewState(page)}`, { cause: e });
    }
    const blinks = await coloursSeen(page, centre(LAYOUT.blinker), 2500);
    expect(blinks, 'the corner square should be seen blue and yellow').toEqual(expect.arrayContaining(['001', '110']));

    // The window is taller than the picture: the picture is letterboxed (bars above and below).
    const geometry = await page.getByTestId(transport === 'webrtc' ? 'remote-video' : 'remote-canvas').boundingBox();
    const buttonOnScreen = await screenPointOf(page, centre(LAYOUT.button));
    expect(geometry!.height).toBeGreaterThan((geometry!.width * 720) / 1280 + 100);
    expect(buttonOnScreen.y - geometry!.y).toBeGreaterThan(100);

    // A click on the remote button, through the letterboxed view at device pixel ratio 2.
    site.skipPending();
    await clickRemote(page, centre(LAYOUT.button));
    await site.waitFor('click');
    await expect.poll(() => remotePixel(page, LAYOUT.background), { timeout: 10_000 }).toSatisfy((px: number[]) => near(px, RED));

    // Typing with arrows, Backspace and Enter into the remote field.
    await clickRemote(page, centre(LAYOUT.field));
    await page.keyboard.type('helo');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.type('l');
    await page.keyboard.press('End');
    await page.keyboard.type('x');
    await page.keyboard.press('Backspace');
    await page.keyboard.press('Enter');
    await site.waitFor('submit:hello');

    // Ctrl shortcuts reach the remote page (select all, then replace) and do not act locally.
    await page.keyboard.press('Control+A');
    await page.keyboard.type('world');
    await page.keyboard.press('Enter');
    await site.waitFor('submit:world');
    const selectedLocally = await page.evaluate(() => String(window.getSelection()));
    expect(selectedLocally).toBe('');

    // Paste: the local clipboard's text is typed into the remote field.
    await page.keyboard.press('Control+A');
    await page.evaluate(() => navigator.clipboard.writeText('pasted ✓ text'));
    await page.keyboard.press('Control+V');
    await page.keyboard.press('Enter');
    await site.waitFor('submit:pasted ✓ text');

    // Tab moves focus on the remote page, not out of the view.
    await page.keyboard.press('Tab');
    await site.waitFor('focus:t2');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('remote-view');

    // Right button and wheel.
    await clickRemote(page, LAYOUT.background, 'right');
    await site.waitFor('contextmenu');
    const over = await screenPointOf(page, LAYOUT.background);
    await page.mouse.move(over.x, over.y);
    await page.mouse.wheel(0, 240);
    await site.waitFor('wheel:1');

    // The stats overlay.
    await expect.poll(() => statValue(page, 'Resolution')).toBe('1280 × 720');
    await expect.poll(async () => parseFloat(await statValue(page, 'Frame rate')), { timeout: 10_000 }).toBeGreaterThan(0);
    expect(await statValue(page, 'Transport')).toMatch(transport === 'webrtc' ? /^WebRTC/ : /^WebSocket/);
    await page.screenshot({ path: join(ARTIFACTS, 'session-letterboxed-dpr2.png') });

    // Escape twice hands the keyboard back to the page around the view.
    await page.keyboard.press('Escape');
    await page.keyboard.press('Escape');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Address of the remote page');

    // Navigation: the address field, back, forward, reload.
    const address = page.getByRole('textbox', { name: 'Address of the remote page' });
    expect(await address.inputValue()).toBe(site.url('/page'));
    await address.fill(site.url('/page2'));
    await address.press('Enter');
    await site.waitFor('loaded:page2');
    await expect.poll(() => address.inputValue(), { timeout: 10_000 }).toBe(site.url('/page2'));
    await page.getByRole('button', { name: 'Back' }).click();
    await expect.poll(() => address.inputValue(), { timeout: 10_000 }).toBe(site.url('/page'));
    await page.getByRole('button', { name: 'Forward' }).click();
    await site.waitFor('loaded:page2');
    await page.getByRole('button', { name: 'Reload' }).click();
    await site.waitFor('loaded:page2');

    // A refused navigation is explained, and the session goes on.
    await address.fill('ftp://example.com/file');
    await address.press('Enter');
    await expect.poll(() => page.getByRole('alert').filter({ hasText: 'http or https' }).count()).toBeGreaterThan(0);

    // End Session: the session is deleted and the start screen is back.
    const id = decodeURIComponent(/#\/sessions\/(.+)$/.exec(page.url())![1]);
    await page.getByRole('button', { name: 'End Session' }).click();
    await expect.poll(() => page.locator('input[type="url"]').isVisible()).toBe(true);
    expect((await getSession(baseUrl, id)).status).toBe('terminated');
    await context.close();
  });

  it('shows an error with its reason when the remote browser dies', async () => {
    const page = await browser.newPage();
    await page.goto(loginUrl(baseUrl));
    const id = await startSession(page, site.url('/page'));
    process.kill(runnerPid(id), 'SIGKILL');
    const status = page.getByTestId('session-status');
    await expect.poll(() => status.getAttribute('data-status'), { timeout: 15_000 }).toBe('error');
    const reason = (await getSession(baseUrl, id)).error;
    expect(reason).not.toBe('');
    expect(await page.getByTestId('session-error').textContent()).toBe(reason);
    expect(await page.getByRole('alert').filter({ hasText: 'The session failed' }).count()).toBe(1);
    await page.getByRole('button', { name: 'Back to start' }).click();
    await expect.poll(() => page.locator('input[type="url"]').isVisible()).toBe(true);
    await page.close();
  });

  it('goes on through a restart of the edge and of the control plane: same session, live picture, input', async () => {
    const restartUrl = inject('restartUrl');
    const page = await browser.newPage({ ...LAPTOP });
    await page.goto(loginUrl(baseUrl));
    const id = await startSession(page, site.url('/page'));
    const transport = await settledTransport(page);
    await expect.poll(() => remotePixel(page, LAYOUT.background), { timeout: 15_000 }).toSatisfy((px: number[]) => near(px, GREEN));
    const runner = runnerPid(id);

    let typed = 0;
    for (const service of ['edge', 'control-plane']) {
      // Down for 4 s. WebRTC media flows between the runner and this page directly: it does not even stall.
      const restarting = fetch(`${restartUrl}/${service}?downMs=4000`, { method: 'POST' });
      if (transport === 'webrtc') {
        await new Promise((r) => setTimeout(r, 500));
        const duringOutage = await coloursSeen(page, centre(LAYOUT.blinker), 2500);
        expect(duringOutage, `the video while the ${service} is down`).toEqual(expect.arrayContaining(['001', '110']));
      }
      const restarted = await restarting;
      expect(restarted.status, `restart ${service}`).toBe(204);
      // The page keeps the session: once the service is back, the picture is live and input lands.
      await expect
        .poll(async () => (await fetch(`${baseUrl}/readyz`).catch(() => null))?.status, { timeout: 30_000 })
        .toBe(200);
      await expect.poll(() => page.getByTestId('session-status').getAttribute('data-status'), { timeout: 30_000 }).toBe('ready');
      await expect.poll(async () => (await getSession(baseUrl, id)).status, { timeout: 30_000 }).toBe('ready');
      const blinks = await coloursSeen(page, centre(LAYOUT.blinker), 2500);
      expect(blinks, `the picture is live after the ${service} restart`).toEqual(expect.arrayContaining(['001', '110']));
      site.skipPending();
      typed++;
      try {
        await expect
          .poll(
            async () => {
              await clickRemote(page, centre(LAYOUT.field));
              await page.keyboard.press('Control+A');
              await page.keyboard.type(`after ${service}`);
              await page.keyboard.press('Enter');
              return site.seen(`submit:after ${service}`);
            },
            { timeout: 30_000, interval: 2_000 },
          )
          .toBe(true);
      } catch (e) {
        throw new Error(`input did not land after the ${service} restart (${await transportOf(page)}): ${await viewState(page)}`, { cause: e });
      }
      expect(await page.getByRole('alert').filter({ hasText: 'Disconnected' }).count()).toBe(0);
    }
    expect(typed).toBe(2);
    expect(runnerPid(id), 'the same runner (and browser) throughout').toBe(runner);
    expect(['webrtc', 'websocket']).toContain(transport);
    await page.close();
  });

  it('explains refused starts in words: a bad address (400) and a full house (503)', async () => {
    const page = await browser.newPage();
    await page.goto(loginUrl(baseUrl));
    const start = page.getByRole('button', { name: 'Start Session' });
    const error = page.locator('#start-error');

    await page.locator('input[type="url"]').fill('ftp://example.com/file');
    await start.click();
    await expect.poll(() => error.textContent()).toBe('That address cannot be opened: url must be an http or https URL with a host, or about:blank.');

    // Fill the stack's only session slot from the API, then ask for another.
    const res = await fetch(`${baseUrl}/api/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...authHeaders() },
      body: JSON.stringify({ url: site.url('/page2') }),
    });
    expect(res.status).toBe(201);
    await page.locator('input[type="url"]').fill(site.url('/page'));
    await start.click();
    await expect.poll(() => error.textContent()).toBe(
      'All session slots are in use (limit reached). End a session below or try again later.',
    );
    expect(page.url()).not.toContain('#/sessions/');
    await page.close();
  });

  it('lists sessions to rejoin or end, and looks right at laptop and phone widths', async () => {
    const laptop = await browser.newContext({ ...LAPTOP });
    // Both viewers aim at the page's controls in its 1280x720 coordinates: neither resizes it.
    await pinRemotePageSize(laptop);
    const page = await laptop.newPage();
    await page.goto(loginUrl(baseUrl));
    const id = await startSession(page, site.url('/page'));
    await settledTransport(page);
    try {
      await expect.poll(() => remotePixel(page, LAYOUT.background), { timeout: 15_000 }).toSatisfy((px: number[]) => near(px, GREEN));
    } catch (e) {
      throw new Error(`no live page picture: ${await viewState(page)}`, { cause: e });
    }
    // The corner square blinks every 150 ms: frames keep coming, several a second.
    await expect.poll(async () => parseFloat(await statValue(page, 'Frame rate')), { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    await page.screenshot({ path: join(ARTIFACTS, 'session-laptop.png') });

    // A phone joins the same session from the list and taps the remote button.
    const phone = await browser.newContext({ ...PHONE });
    await pinRemotePageSize(phone);
    await noteSentInput(phone);
    const mobile = await phone.newPage();
    await mobile.goto(loginUrl(baseUrl));
    const item = mobile.locator(`[data-session-id="${id}"]`);
    await expect.poll(() => item.getAttribute('class'), { timeout: 10_000 }).toBe('session-item');
    await mobile.screenshot({ path: join(ARTIFACTS, 'start-phone.png'), fullPage: true });
    await item.getByRole('button', { name: 'Rejoin' }).click();
    await awaitSessionStatus(mobile, 'ready', 15_000);
    await expect.poll(() => remotePixel(mobile, LAYOUT.background), { timeout: 15_000 }).toSatisfy((px: number[]) => near(px, GREEN));
    await mobile.screenshot({ path: join(ARTIFACTS, 'session-phone.png') });
    // The tap goes over the transport the phone settles on (while it still tries WebRTC, both
    // viewers' browsers and the runner set up the video and a click takes seconds on two cores).
    await settledTransport(mobile);
    site.skipPending();
    const tap = await screenPointOf(mobile, centre(LAYOUT.button));
    const before = await viewState(mobile);
    await mobile.touchscreen.tap(tap.x, tap.y);
    try {
      await site.waitFor('click');
    } catch (e) {
      // A red page took the click and its report went missing; a green one never got it.
      const colour = await remotePixel(mobile, LAYOUT.background).catch((err: Error) => err.message);
      throw new Error(`the phone's tap at ${tap.x},${tap.y} did not click the remote button (the phone shows ${colour}). Before it: ${before}. Now: ${
        await viewState(mobile)}. What the phone's UI saw and sent:\n${await sentInput(mobile)}\nThe stack's log of the session:\n${stackLogOf(id)}`, { cause: e });
    }
    await phone.close();

    // Back on the laptop: leave the session running, find it in the list, rejoin, leave, end it.
    await page.getByRole('button', { name: 'All sessions (this one keeps running)' }).click();
    const row = page.locator(`[data-session-id="${id}"]`);
    await row.waitFor();
    expect(await row.getByTestId('list-item-status').getAttribute('data-status')).toBe('ready');
    await page.screenshot({ path: join(ARTIFACTS, 'start-laptop.png') });
    await row.getByRole('button', { name: 'Rejoin' }).click();
    await awaitSessionStatus(page, 'ready', 5_000);
    await expect.poll(() => remotePixel(page, LAYOUT.background), { timeout: 15_000 }).toSatisfy((px: number[]) => near(px, RED));
    await page.getByRole('button', { name: 'All sessions (this one keeps running)' }).click();
    await row.getByRole('button', { name: /^End session/ }).click();
    await expect.poll(() => row.getByTestId('list-item-status').getAttribute('data-status'), { timeout: 10_000 }).toBe('terminated');
    expect(await row.getByRole('button', { name: 'Rejoin' }).count()).toBe(0);
    expect((await getSession(baseUrl, id)).status).toBe('terminated');
    await laptop.close();
  });
});

describe('signing in', () => {
  it('asks a browser without a token to sign in; a login link signs in; a session link opens only its session', async () => {
    // No token: the start screen's first call answers 401, and the UI asks for one.
    const stranger = await browser.newContext({ ...LAPTOP });
    const page = await stranger.newPage();
    await page.goto(`${baseUrl}/`);
    const dialog = page.getByRole('dialog', { name: 'Sign in' });
    await dialog.waitFor({ timeout: 10_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'login.png') });
    await page.locator('#login-token').fill('not-the-token');
    await dialog.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('dialog', { name: 'Sign in' }).getByRole('alert').textContent(), { timeout: 10_000 }).toContain(
      'not accepted',
    );
    await page.locator('#login-token').fill(apiToken());
    await page.getByRole('dialog', { name: 'Sign in' }).getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByText(/\d+ running/).count(), { timeout: 10_000 }).toBe(1);
    expect(await dialog.count()).toBe(0);

    // A started session's address carries the session's own token...
    const id = await startSession(page, site.url('/page'));
    expect(page.url()).toMatch(new RegExp(`#/sessions/${id}\\?st=[A-Za-z0-9_-]{43}$`));
    // ...which opens it in a browser that has no access token, and nothing else: the list asks for one.
    const friend = await browser.newContext({ ...LAPTOP });
    const shared = await friend.newPage();
    await shared.goto(page.url());
    await awaitSessionStatus(shared, 'ready', 15_000);
    expect(await shared.getByRole('dialog', { name: 'Sign in' }).count()).toBe(0);
    await shared.getByRole('button', { name: 'All sessions (this one keeps running)' }).click();
    await shared.getByRole('dialog', { name: 'Sign in' }).waitFor({ timeout: 10_000 });
    await friend.close();

    // The login link: the token is kept and leaves the address bar.
    const linked = await browser.newContext({ ...LAPTOP });
    const viaLink = await linked.newPage();
    await viaLink.goto(loginUrl(baseUrl));
    await expect.poll(() => viaLink.getByText(/\d+ running/).count(), { timeout: 10_000 }).toBe(1);
    expect(viaLink.url()).toBe(`${baseUrl}/`);
    expect(await viaLink.getByRole('dialog', { name: 'Sign in' }).count()).toBe(0);
    await linked.close();
    await stranger.close();
  });
});
