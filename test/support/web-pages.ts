import type { Browser, BrowserContext, Page } from 'playwright-core';
import { gatewaySchema } from '../../src/graphql/schema.js';
import { seedDemo } from '../../src/demo/seed.js';
import { registerFirstPartyManifests } from '../../src/persisted/first-party.js';
import { leaseChromium } from './browser.js';
import { startTestGateway, type TestGateway } from './gateway.js';

/**
 * What the browser suites that move the page's clock share (test/web/waits.browser.test.ts,
 * test/web/live-ends.browser.test.ts): a gateway with the demo program and the apps' trusted
 * documents, a Chromium, and the page-side counters and moves those tests read.
 */

/** Playwright's in-page functions see the page's globals; the project's TypeScript has no DOM lib. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type InPage = any;

/** A started gateway (demo program seeded, `web` and `console` documents registered) and the worker's Chromium (leaseChromium). */
export interface WebStack {
  t: TestGateway;
  browser: Browser;
  /** The gateway's origin with a trailing slash (the apps' base URL). */
  base: string;
  /** Contexts a test opened, closed by `close` (which closes any other opened in `browser` since the stack started, too). */
  contexts: BrowserContext[];
  close(): Promise<void>;
}

/** Starts a WebStack with the gateway settings `env` (PERSISTED_ONLY, timeouts, WS limits …). */
export async function startWebStack(env: Record<string, string>): Promise<WebStack> {
  // SEED_DEMO as `npm start` on the embedded database has it: the demo sign-in (/dev/tokens) needs it.
  const t = await startTestGateway({ SEED_DEMO: 'true', ...env });
  await seedDemo(t.orm, t.config, t.clock);
  await registerFirstPartyManifests(t.orm.em.fork(), await gatewaySchema(), t.config, t.clock.now());
  const lease = await leaseChromium();
  const contexts: BrowserContext[] = [];
  return {
    t,
    browser: lease.browser,
    base: t.url.replace(/graphql$/, ''),
    contexts,
    close: async () => {
      for (const c of contexts) await c.close().catch(() => undefined);
      await lease.close();
      await t.close();
    },
  };
}

/**
 * Fills the tab's sessionStorage to its quota (the origin's: whatever else the origin keeps there),
 * with `filler-<n>` entries down to 16 characters (break2-23, web-24). Runs in the page (for
 * `page.evaluate` or `page.addInitScript`). Answers how many it wrote.
 */
/** The text of the element that has the page's focus, trimmed, or "BODY" when nothing does (the focus is on the page's body). */
export const focusedText = (page: Page) =>
  page.evaluate(() => {
    const a = (globalThis as InPage).document.activeElement;
    return a && a.tagName !== 'BODY' ? (a.textContent ?? '').trim() : 'BODY';
  });

export const fillStorageInPage = () => {
  const storage = (globalThis as InPage).sessionStorage;
  let n = 0;
  for (let size = 1 << 20; size >= 16; size >>= 1)
    for (;;)
      try {
        storage.setItem(`filler-${n++}`, 'x'.repeat(size));
      } catch {
        break;
      }
  return n;
};

/** fillStorageInPage run in `page` now. */
export const fillStorage = (page: Page) => page.evaluate(fillStorageInPage);

/** Polls `check` (real time, up to `ms`) until it holds: waiting for an event, not timing one. */
export async function until(check: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  for (let waited = 0; !(await check()); waited += 25) {
    if (waited > ms) throw new Error(`never happened: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * Makes the page count the WebSockets it opens (`__opened`) and the closes it has handled
 * (`__closed`). Add it after any `routeWebSocket`, so that it wraps the routed WebSocket the app uses.
 */
export async function countSockets(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = globalThis as InPage;
    const Native = w.WebSocket;
    w.__opened = 0;
    w.__closed = 0;
    w.WebSocket = class extends Native {
      constructor(...args: unknown[]) {
        super(...args);
        w.__opened++;
        this.addEventListener('close', () => w.__closed++);
      }
    };
  });
}

/** WebSockets the page has opened so far (see countSockets). */
export const opened = (page: Page) => page.evaluate(() => (globalThis as InPage).__opened as number);

/** Every socket the page opened has closed and the page has handled the close (its next wait is scheduled). */
export const allClosed = (page: Page) =>
  until(async () => page.evaluate(() => (globalThis as InPage).__closed === (globalThis as InPage).__opened), 'the page handled every close');

/** Pauses the page's (installed) clock a second from its now: from here on only the test moves it. */
export const pauseClock = async (page: Page) => page.clock.pauseAt((await page.evaluate(() => Date.now())) + 1_000);

/** The tab hidden and shown again, as a phone's screen that was off (a `visibilitychange` to visible). */
export const showTab = (page: Page) =>
  page.evaluate(() => {
    const d = (globalThis as InPage).document;
    Object.defineProperty(d, 'visibilityState', { configurable: true, get: () => 'visible' });
    d.dispatchEvent(new Event('visibilitychange'));
  });

/** Polls `read` (real time, every 100 ms, up to `ms`) until its value satisfies `check`; answers the last value read, satisfying or not, for the test to assert. */
export async function pollUntil<T>(read: () => T | Promise<T>, check: (value: T) => boolean, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (check(value) || Date.now() > end) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Answers 503 (Retry-After 0) to the first `times` requests of the page's `operation` that ask a
 * page after another (`variables.after` set); the rest pass. `failed` counts those answered so.
 */
export async function failNextPages(page: Page, operation: string, times = Number.POSITIVE_INFINITY): Promise<{ failed: number }> {
  const seen = { failed: 0 };
  await page.route('**/graphql', async (route) => {
    const body = route.request().postDataJSON() as { operationName?: string; variables?: { after?: string } } | null;
    if (body?.operationName === operation && body.variables?.after && seen.failed < times) {
      seen.failed++;
      return route.fulfill({ status: 503, headers: { 'content-type': 'application/json', 'retry-after': '0' }, body: JSON.stringify({ errors: [{ message: 'busy' }] }) });
    }
    await route.continue();
  });
  return seen;
}

/**
 * Waits until the input or select `selector` holds `value` (a form's fields are filled from the
 * cache as it changes), up to 15 s; fails the test with playwright's timeout otherwise.
 */
export async function expectValue(page: Page, selector: string, value: string): Promise<void> {
  await page.waitForFunction(([s, v]) => (globalThis as InPage).document.querySelector(s)?.value === v, [selector, value] as const, { timeout: 15_000 });
}
