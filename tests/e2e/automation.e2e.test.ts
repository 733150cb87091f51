/**
 * An agent and a person in one session: Playwright's connectOverCDP and Puppeteer's connect drive
 * the session's page through the edge's DevTools endpoint, unchanged, while a person watches it
 * in the UI (a real Chromium viewer) and still acts on it.
 */

import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type Page, chromium } from 'playwright-core';
import puppeteer from 'puppeteer-core';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  apiToken,
  authHeaders,
  awaitSessionStatus,
  clickRemote,
  endAllSessions,
  LAPTOP,
  launchBrowser,
  loginUrl,
  near,
  remotePixel,
} from './helpers';
import { LAYOUT, RED, TestSite } from './site';
import { ARTIFACTS, REPO } from './stack';

const baseUrl = inject('baseUrl');
const centre = (b: { x: number; y: number; width: number; height: number }) => ({ x: b.x + b.width / 2, y: b.y + b.height / 2 });
const WHITE = [255, 255, 255];

let viewerBrowser: Browser;
let site: TestSite;

beforeAll(async () => {
  site = await TestSite.start();
  viewerBrowser = await launchBrowser();
});

afterEach(async () => {
  await endAllSessions(baseUrl);
});

afterAll(async () => {
  await viewerBrowser?.close();
  await site?.close();
});

/** Creates a session by the API, as an agent's script does. */
async function createSession(url: string): Promise<string> {
  const res = await fetch(`${baseUrl}/api/sessions`, {
    method: 'POST',
    headers: { ...authHeaders(), 'content-type': 'application/json' },
    body: JSON.stringify({ url }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { sessionId: string }).sessionId;
}

/** The session in the UI, as the person who watches sees it. */
async function watch(sessionId: string): Promise<Page> {
  const context = await viewerBrowser.newContext({ ...LAPTOP });
  const ui = await context.newPage();
  await ui.goto(loginUrl(baseUrl));
  await ui.goto(`${baseUrl}/#/sessions/${encodeURIComponent(sessionId)}`);
  await awaitSessionStatus(ui, 'ready');
  return ui;
}

async function awaitColour(ui: Page, colour: number[]): Promise<void> {
  await expect.poll(async () => near(await remotePixel(ui, LAYOUT.background), colour), { timeout: 15_000 }).toBe(true);
}

function cdpEndpoint(sessionId: string): string {
  return `${baseUrl.replace('http://', 'ws://')}/api/sessions/${sessionId}/cdp?token=${encodeURIComponent(apiToken())}`;
}

describe('the DevTools endpoint', () => {
  it('lets Playwright drive the session while a person watches in the UI and still acts', async () => {
    const sessionId = await createSession(site.url('/page'));
    const ui = await watch(sessionId);
    const agent = await chromium.connectOverCDP(cdpEndpoint(sessionId));
    try {
      const pages = agent.contexts().flatMap((c) => c.pages());
      const page = pages.find((p) => p.url().startsWith(site.url('/page')));
      expect(page, `the session's page among ${pages.map((p) => p.url()).join(', ')}`).toBeDefined();
      expect(await page!.title()).toBe('test page');

      await page!.click('#b');
      await site.waitFor('click');
      await awaitColour(ui, RED);

      await page!.fill('#t', 'agent');
      await page!.press('#t', 'Enter');
      await site.waitFor('submit:agent');

      // Control is shared: the person's click in the UI lands too.
      await clickRemote(ui, centre(LAYOUT.button));
      await site.waitFor('click');

      await page!.goto(site.url('/page2'));
      await site.waitFor('loaded:page2');
      await awaitColour(ui, WHITE);

      await page!.goto(site.url('/noise'));
      const png = await page!.screenshot({ fullPage: true });
      expect(png.length).toBeGreaterThan(4 * 1024 * 1024);
      expect(png.readUInt32BE(20)).toBe(2400); // the PNG's height: the whole page, not the viewport
    } finally {
      await agent.close();
      await ui.context().close();
    }
  });

  it('lets Puppeteer connect and do the same basic steps', async () => {
    const sessionId = await createSession(site.url('/page'));
    const ui = await watch(sessionId);
    const agent = await puppeteer.connect({ browserWSEndpoint: cdpEndpoint(sessionId), defaultViewport: null });
    try {
      const page = (await agent.pages()).find((p) => p.url().startsWith(site.url('/page')));
      expect(page).toBeDefined();
      expect(await page!.title()).toBe('test page');
      await page!.click('#b');
      await site.waitFor('click');
      await awaitColour(ui, RED);
      await page!.type('#t', 'puppet');
      await page!.keyboard.press('Enter');
      await site.waitFor('submit:puppet');
      await page!.goto(site.url('/page2'));
      await site.waitFor('loaded:page2');
      await awaitColour(ui, WHITE);
    } finally {
      await agent.disconnect();
      await ui.context().close();
    }
  });
});

describe('handing control over in the UI', () => {
  it('shows that an agent drives, and a person takes control with one click', async () => {
    const sessionId = await createSession(site.url('/page'));
    const ui = await watch(sessionId);
    const agent = await chromium.connectOverCDP(cdpEndpoint(sessionId));
    try {
      const handed = await fetch(`${baseUrl}/api/sessions/${sessionId}/control`, {
        method: 'POST',
        headers: { ...authHeaders(), 'content-type': 'application/json' },
        body: JSON.stringify({ holder: 'agent' }),
      });
      expect(handed.status).toBe(200);
      const bar = ui.getByTestId('control-bar');
      await expect.poll(() => bar.getAttribute('data-controller')).toBe('agent');
      expect(await bar.textContent()).toContain('An agent is driving');
      await bar.getByRole('button', { name: 'Take control' }).click();
      await expect.poll(() => bar.getAttribute('data-controller')).toBe('human');
      const session = (await (await fetch(`${baseUrl}/api/sessions/${sessionId}`, { headers: authHeaders() })).json()) as {
        controller: string;
      };
      expect(session.controller).toBe('human');
      // The person drives now: their click lands.
      await clickRemote(ui, centre(LAYOUT.button));
      await site.waitFor('click');
    } finally {
      await agent.close();
      await ui.context().close();
    }
  });

  it('serves the session view alone at /live, read-only with mode=view', async () => {
    const res = await fetch(`${baseUrl}/api/sessions`, {
      method: 'POST',
      headers: { ...authHeaders(), 'content-type': 'application/json' },
      body: JSON.stringify({ url: site.url('/page') }),
    });
    const { sessionId, sessionToken } = (await res.json()) as { sessionId: string; sessionToken: string };
    const context = await viewerBrowser.newContext({ ...LAPTOP });
    const live = await context.newPage();
    try {
      await live.goto(`${baseUrl}/api/sessions/${sessionId}/live?token=${encodeURIComponent(sessionToken)}&mode=view`);
      // The embedded view has no status badge: the page's picture is what shows it works.
      await awaitColour(live, [0, 192, 0]);
      expect(await live.locator('input[type="url"]').count()).toBe(0); // no start screen, no address bar to type in
      await clickRemote(live, centre(LAYOUT.button));
      await live.waitForTimeout(1_000);
      expect(near(await remotePixel(live, LAYOUT.background), [0, 192, 0])).toBe(true); // a look-only view sends nothing
      const unauthorised = await fetch(`${baseUrl}/api/sessions/${sessionId}/live`);
      expect(unauthorised.status).toBe(401);
    } finally {
      await context.close();
    }
  });
});

describe("the README's examples", () => {
  /** The code block after `<!-- example: name -->` in the README, as a user copies it. */
  function example(name: string): string {
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    const match = new RegExp(`<!-- example: ${name} -->\\s*\`\`\`\\w+\\n([\\s\\S]*?)\`\`\``).exec(readme);
    if (!match) {
      throw new Error(`no example "${name}" in the README`);
    }
    return match[1];
  }

  for (const name of ['playwright-node', 'puppeteer']) {
    it(`${name} runs as written: connects, waits for the person, carries on`, async () => {
      // In the suite's folder, so that the example finds playwright-core and puppeteer-core as a user's would.
      mkdirSync(ARTIFACTS, { recursive: true });
      const file = join(ARTIFACTS, `${name}.mjs`);
      writeFileSync(file, example(name));
      const child = spawn(process.execPath, [file], {
        env: { ...process.env, MBI: baseUrl, MBI_TOKEN: apiToken(), START_URL: site.url('/page') },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      try {
        await expect.poll(() => output, { timeout: 60_000 }).toContain('sign in at');
        const sessionId = /#\/sessions\/([^,\s]+)/.exec(output)![1];
        // The person: sees that they drive, clicks, and hands control back (what the UI's button does).
        const session = (await (await fetch(`${baseUrl}/api/sessions/${sessionId}`, { headers: authHeaders() })).json()) as {
          controller: string;
        };
        expect(session.controller).toBe('human');
        const handed = await fetch(`${baseUrl}/api/sessions/${sessionId}/control`, {
          method: 'POST',
          headers: { ...authHeaders(), 'content-type': 'application/json' },
          body: JSON.stringify({ holder: 'agent' }),
        });
        expect(handed.status).toBe(200);
        expect(await exited, output).toBe(0);
        expect(output).toContain('the agent sees test page');
        expect(output).toContain(`the agent carries on at ${site.url('/page')}`);
        expect((await (await fetch(`${baseUrl}/api/sessions/${sessionId}`, { headers: authHeaders() })).json()).status).toBe(
          'terminated',
        );
      } finally {
        child.kill();
      }
    });
  }
});
