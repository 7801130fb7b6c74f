import type { WebSocketRoute } from 'playwright-core';
import { DEMO } from '../../src/demo/seed.js';
import { newContext } from '../support/browser.js';
import { holdLocks } from '../support/locks.js';
import { allClosed, countSockets, opened, pauseClock as pause, showTab, startWebStack, until, type WebStack } from '../support/web-pages.js';

/**
 * The member app when the gateway tells it to wait (webapp-12): the live socket's reconnects, HTTP
 * queries answered 503, a purchase answered 503. A real gateway on a real database, a real Chromium;
 * the page's time is Playwright's clock (`page.clock`), paused and moved by the test, so every
 * "not before" and "within" below is a count of what the page did once its clock was moved, never
 * a measured duration. The socket's outage is a routed WebSocket (`page.routeWebSocket`) that
 * closes each attempt as the gateway would (1012, or the gateway's 1013 "… try again in N s"), and
 * passes through to the gateway once the outage ends; HTTP's 503s are the gateway's own (a table
 * locked past DB_STATEMENT_TIMEOUT_MS).
 */

const ALICE = DEMO.customers.alice;
const MUFFIN = 'Buy 1 coffee, get a free muffin';

describe('member app: waiting when the gateway says so', () => {
  let stack: WebStack;
  /** The gateway (stack.t), set by beforeAll. */
  let t: WebStack['t'];

  beforeAll(async () => {
    stack = await startWebStack({ PERSISTED_ONLY: 'web,console', DB_STATEMENT_TIMEOUT_MS: '500' });
    t = stack.t;
  });
  afterAll(async () => stack?.close());

  /**
   * Alice signed in on a phone, live, with the page's clock faked (flowing until the test pauses
   * it) and the page counting the WebSockets it opened and the closes it has handled.
   */
  const signedIn = async (options: { routeSocket?: (ws: WebSocketRoute) => void } = {}) => {
    const context = await newContext(stack.browser, stack.base, 'phone');
    stack.contexts.push(context);
    const page = await context.newPage();
    // Routed first, so that the counting below wraps Playwright's routed WebSocket, which the app uses.
    if (options.routeSocket) await page.routeWebSocket(/\/graphql$/, options.routeSocket);
    await countSockets(page);
    await page.clock.install();
    await page.goto(`/#token=${await t.customerToken(ALICE)}`);
    await page.getByTestId('balance-BEANS').filter({ hasText: 'BEANS' }).waitFor();
    await page.locator('[data-live="connected"]').waitFor();
    return page;
  };

  test('the live socket retries at least every 30 s however long the outage, at once when the tab is shown or the browser is back online, and says the balance may be out of date meanwhile', async () => {
    let down = false;
    const open: WebSocketRoute[] = [];
    const page = await signedIn({
      routeSocket: (ws) => {
        if (down) return void ws.close({ code: 1012, reason: 'service restart' });
        ws.connectToServer();
        open.push(ws);
      },
    });
    await pause(page);
    down = true;
    for (const ws of open.splice(0)) await ws.close({ code: 1012, reason: 'service restart' });
    await page.getByTestId('live-stale').filter({ hasText: 'may be out of date' }).waitFor();
    await allClosed(page);

    // Twelve failed attempts in a row: each next one comes within 31 s of page time (graphql-ws's
    // default waited 2^n s plus up to 3 s: 35 s and more from the sixth on, 256 s after the eighth).
    for (let attempt = 1; attempt <= 12; attempt++) {
      const before = await opened(page);
      await page.clock.runFor(31_000);
      await until(async () => (await opened(page)) > before, `reconnect attempt ${attempt} within 31 s of the last failure`);
      await allClosed(page);
    }
    await page.locator('[data-live="offline"]').waitFor();

    // The phone's screen comes back on: an attempt at once, the clock not moved.
    let before = await opened(page);
    await showTab(page);
    await until(async () => (await opened(page)) > before, 'an attempt when the tab became visible');
    await allClosed(page);

    // The network comes back (and with it the gateway): an attempt at once, which connects.
    down = false;
    await page.context().setOffline(true);
    before = await opened(page);
    await page.context().setOffline(false);
    await until(async () => (await opened(page)) > before, 'an attempt when the browser came back online');
    await page.clock.resume();
    await page.locator('[data-live="connected"]').waitFor();
    await page.getByTestId('live-stale').waitFor({ state: 'detached' });
  });

  // The gateway's reasons (src/http/ws.ts): 1013 when the database stalls a connect (TRY_AGAIN_LATER);
  // 4429 past the anonymous budget (RATE_LIMITED), which graphql-ws's client takes as fatal whatever
  // shouldRetry says, so the app makes a new client after the wait (webapp-12b).
  test.each([
    { code: 1013, reason: 'database unavailable: try again in 20 s' },
    { code: 4429, reason: 'rate limited: try again in 20 s' },
  ])('a socket closed $code "$reason" is not tried again sooner, even when the tab is shown, and connects after', async (refusal) => {
    let down = false;
    const open: WebSocketRoute[] = [];
    const close = (ws: WebSocketRoute) => ws.close(refusal);
    const page = await signedIn({
      routeSocket: (ws) => {
        if (down) return void close(ws);
        ws.connectToServer();
        open.push(ws);
      },
    });
    await pause(page);
    down = true;
    for (const ws of open.splice(0)) await close(ws);
    await allClosed(page);
    const before = await opened(page);

    await showTab(page);
    await page.clock.runFor(19_000);
    await showTab(page);
    expect(await opened(page)).toBe(before);

    down = false;
    await page.clock.runFor(1_500);
    await until(async () => (await opened(page)) > before, 'the attempt once the 20 s had passed');
    await page.clock.resume();
    await page.locator('[data-live="connected"]').waitFor();
  });

  test('a query answered 503 is sent again after its Retry-After (not sooner), a bounded number of times, and its error is a sentence, not a code', async () => {
    const page = await signedIn();
    const historyRequests = () => traffic.filter((name) => name === 'MemberHistory').length;
    const traffic: string[] = [];
    const statuses: number[] = [];
    page.on('request', (r) => {
      if (new URL(r.url()).pathname === '/graphql' && r.method() === 'POST') traffic.push(JSON.parse(r.postData() ?? '{}').operationName);
    });
    page.on('response', (r) => {
      if (new URL(r.url()).pathname === '/graphql' && JSON.parse(r.request().postData() ?? '{}').operationName === 'MemberHistory') statuses.push(r.status());
    });
    await pause(page);

    // The database stalls: the history's query is answered 503 with Retry-After 2 (the gateway's own).
    let stall = await holdLocks(t, 'lock table customer in access exclusive mode', []);
    try {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'History', exact: true }).click();
      await until(() => statuses.length === 1, 'the first answer');
      expect(statuses).toEqual([503]);
      await page.clock.runFor(1_900);
      await page.evaluate(() => undefined);
      expect(historyRequests()).toBe(1); // not before the 2 s it was asked to wait
    } finally {
      await stall.commit();
      await stall.end();
    }
    await page.clock.runFor(200); // the first retry's wait: max(2 s, jitter under 1 s) = 2 s
    await until(() => statuses.length === 2, 'the retry after Retry-After');
    expect(statuses).toEqual([503, 200]);
    await page.getByRole('table').waitFor();

    // A stall that outlasts every attempt: four in all, then a sentence (no code) on screen.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'My points', exact: true }).click();
    await page.clock.resume();
    await page.getByTestId('balance-BEANS').waitFor();
    await pause(page);
    statuses.length = 0;
    stall = await holdLocks(t, 'lock table customer in access exclusive mode', []);
    try {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'History', exact: true }).click();
      for (let answered = 1; answered <= 4; answered++) {
        await until(() => statuses.length === answered, `answer ${answered}`);
        await page.clock.runFor(10_000);
      }
      const alert = page.getByRole('alert').filter({ hasText: 'The service is busy right now' });
      await alert.waitFor();
      expect(await alert.textContent()).not.toContain('SERVICE_UNAVAILABLE');
      expect(await alert.textContent()).toContain('Try again in 2 s.');
      await page.clock.runFor(120_000);
      await page.evaluate(() => undefined);
      expect(statuses).toEqual([503, 503, 503, 503]);
    } finally {
      await stall.commit();
      await stall.end();
    }
  });

  test('a purchase answered 503 says when to try again, holds "Try again" until then, and buys once with the same idempotency key', async () => {
    const page = await signedIn();
    const keys: string[] = [];
    page.on('request', (r) => {
      const body = r.postData() ? JSON.parse(r.postData()!) : undefined;
      if (body?.operationName === 'MemberPurchase') keys.push(body.variables.input.idempotencyKey);
    });
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Rewards', exact: true }).click();
    await page.getByRole('link', { name: 'Everyday rewards' }).click();
    const muffin = page.getByTestId('listing').filter({ hasText: MUFFIN });
    await muffin.getByText('You can afford this').waitFor();
    await muffin.getByRole('button', { name: `Buy ${MUFFIN}` }).click();
    const dialog = page.getByRole('dialog', { name: `Buy “${MUFFIN}”?` });
    await pause(page);

    const stall = await holdLocks(t, 'lock table offer_purchase in access exclusive mode', []);
    const again = dialog.getByRole('button', { name: 'Try again' });
    try {
      await dialog.getByRole('button', { name: 'Confirm purchase' }).dblclick();
      const alert = dialog.getByRole('alert');
      await alert.waitFor();
      expect(await alert.textContent()).toContain('The service is busy right now and nothing was changed. Try again in 2 s.');
      expect(await alert.textContent()).not.toContain('SERVICE_UNAVAILABLE');
      expect(keys).toHaveLength(1); // the double click sent one purchase
      expect(await again.isDisabled()).toBe(true);
      await stall.release();
    } finally {
      await stall.release();
    }
    await page.clock.runFor(2_100);
    await until(async () => !(await again.isDisabled()), '"Try again" enabled once the 2 s had passed');
    await page.clock.resume();
    await again.click();
    await page
      .getByRole('status')
      .filter({ hasText: `Bought “${MUFFIN}”` })
      .waitFor();
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(keys[0]);
    const [{ n }] = await t.sql<{ n: number }>(`select count(*)::int as n from offer_purchase p join customer c on c.id = p.customer_id where c.external_id = $1`, [ALICE]);
    expect(n).toBe(1);
  });
});
