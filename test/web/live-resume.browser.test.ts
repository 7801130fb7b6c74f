import type { Page, WebSocketRoute } from 'playwright-core';
import { DEMO } from '../../src/demo/seed.js';
import { newContext } from '../support/browser.js';
import { ok } from '../support/gateway.js';
import { countSockets, opened, startWebStack, until, type InPage, type WebStack } from '../support/web-pages.js';

/**
 * The member app's live feed and what its screens read, when a change commits between the two
 * (live-21). The gateway starts a subscription's stream only when it handles the subscribe message
 * (src/events/events.resolver.ts `listen`); a subscription sent without `after` starts at the
 * stream's head then, so a change committed after the screens' read and before that start was in
 * neither: the header kept the old balance until the next event (seen as a flaky live-ends test
 * under load). Here the window is held open on purpose: the test's route holds the page's
 * `subscribe` messages until the screens have read and a change has committed. A real gateway on a
 * real database, a real Chromium, real time.
 */

/** A subscribe message as the page sent it. */
type Subscribe = { id: string; type: 'subscribe'; payload: { variables?: { after?: string } } };

describe('member app: a change between the screens’ read and the subscription’s start', () => {
  let stack: WebStack;
  let t: WebStack['t'];
  let members = 0;

  beforeAll(async () => {
    stack = await startWebStack({ PERSISTED_ONLY: 'web,console' });
    t = stack.t;
  });
  // Each test's tab closed after it: the gateway's subscriber count is then this test's tab's.
  afterEach(async () => {
    await Promise.all(stack.contexts.splice(0).map((c) => c.close()));
    await until(() => t.gateway.events.listenerCount() === 0, 'the closed tab’s subscriptions released');
  });
  afterAll(async () => stack?.close());

  const staff = (document: string, input: Record<string, unknown>) => t.gql(document, { input }, t.operatorToken).then(ok);
  const adjust = (externalId: string, amount: number, idempotencyKey: string) =>
    staff(`mutation($input: AdjustPointsInput!) { adjustPoints(input: $input) { userErrors { code } } }`, { customerExternalId: externalId, currency: DEMO.currency, amount, reason: 'test', idempotencyKey });
  /** A new member of the demo program with 500 BEANS. */
  const newMember = async () => {
    const externalId = `resume-${Date.now()}-${++members}`;
    await staff(`mutation($input: UpsertCustomerInput!) { upsertCustomer(input: $input) { userErrors { code } } }`, { externalId, name: `Member ${members}` });
    await adjust(externalId, 500, `start-${externalId}`);
    return externalId;
  };

  /**
   * A tab whose sockets pass through the test: `subscribe` messages are held while `hold` is on
   * (the test sends `held` on), each balance event's `eventId` and each refusal's code are noted. The page counts its
   * sockets and its fetches in flight (`__fetching`, the app's queries over HTTP).
   */
  const openTab = async (options: { clock?: boolean } = {}) => {
    const context = await newContext(stack.browser, stack.base, 'phone');
    stack.contexts.push(context);
    const page = await context.newPage();
    const tab = {
      page,
      context,
      hold: false,
      held: [] as (() => void)[],
      subscribes: [] as Subscribe[],
      balanceEvents: [] as string[],
      refusals: [] as string[],
      /** While on, the page's `lastEventId` reads get no answer (the request fails as a refused connection would). */
      failPoint: false,
      /** `lastEventId` reads that failed so. */
      pointFailures: 0,
      /** While on, the page's `lastEventId` reads are held unanswered (a connection the network left hanging). */
      hangPoint: false,
      /** `lastEventId` reads held so (never answered). */
      pointsHung: 0,
      /** Seconds the test has moved the page's clock (`stepClock`). */
      clockSeconds: 0,
      /** `clockSeconds` when each `lastEventId` read was sent. */
      pointReadsAt: [] as number[],
    };
    await page.route(/\/graphql$/, (route) => {
      const request = route.request();
      const body = request.method() === 'POST' ? (JSON.parse(request.postData() ?? '{}') as { operationName?: string }) : {};
      if (body.operationName !== 'MemberLastEventId') return route.continue();
      tab.pointReadsAt.push(tab.clockSeconds);
      if (tab.hangPoint) return void tab.pointsHung++;
      if (!tab.failPoint) return route.continue();
      tab.pointFailures++;
      return route.abort('connectionrefused');
    });
    await page.routeWebSocket(/\/graphql$/, (ws: WebSocketRoute) => {
      const server = ws.connectToServer();
      ws.onMessage((m) => {
        const message = JSON.parse(String(m)) as { type: string };
        if (message.type === 'subscribe') {
          tab.subscribes.push(message as Subscribe);
          if (tab.hold) return void tab.held.push(() => server.send(m));
        }
        server.send(m);
      });
      server.onMessage((m) => {
        type Errors = { extensions?: { code?: string } }[];
        const message = JSON.parse(String(m)) as { type: string; payload?: { data?: { balanceChanged?: { eventId: string } }; errors?: Errors } & Errors };
        const event = message.payload?.data?.balanceChanged;
        if (message.type === 'next' && event) tab.balanceEvents.push(event.eventId);
        // (the gateway answers a refused resume point with a `next` carrying the error, then `complete`)
        const errors = message.type === 'error' ? message.payload : message.type === 'next' ? message.payload?.errors : undefined;
        for (const e of errors ?? []) tab.refusals.push(String(e.extensions?.code));
        ws.send(m);
      });
      ws.onClose((code, reason) => void server.close({ code, reason }));
      server.onClose((code, reason) => void ws.close({ code, reason }));
    });
    await countSockets(page);
    await page.addInitScript(() => {
      const w = globalThis as InPage;
      const native = w.fetch.bind(w);
      w.__fetching = 0;
      w.fetch = (...args: unknown[]) => {
        w.__fetching++;
        return native(...args).finally(() => w.__fetching--);
      };
    });
    // The page's clock moved by the test (paused from its first move), for the waits between reads.
    if (options.clock) await page.clock.install();
    return tab;
  };
  /** Every read the page began has been answered (after a turn of its event loop, so a refresh the last event asked for has begun). */
  const readsDone = async (page: Page) => {
    await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 0)));
    await until(() => page.evaluate(() => (globalThis as InPage).__fetching === 0), 'the page’s reads answered');
  };
  type Tab = Awaited<ReturnType<typeof openTab>>;
  /** The held subscribe messages sent on, and the next ones not held. */
  const release = (tab: Tab) => {
    tab.hold = false;
    for (const send of tab.held.splice(0)) send();
  };
  /**
   * Moves the page's clock a second at a time, letting the page's network answer between moves
   * (a keep-alive ping's pong among them), until `check` holds: the waits between the app's reads.
   */
  const runUntil = (page: Page, check: () => boolean | Promise<boolean>, what: string) =>
    until(async () => (await check()) || (await page.clock.runFor(1_000), false), what, 30_000);
  /** A new member's tab, live, whose balance feed has received one event (+1: 501 BEANS). */
  const liveAfterOneEvent = async (options: { clock?: boolean } = {}) => {
    const member = await newMember();
    const tab = await openTab(options);
    await tab.page.goto(`/#token=${await t.customerToken(member, 3_600)}`);
    await tab.page.locator('[data-live="connected"]').waitFor();
    await until(() => t.gateway.events.listenerCount() >= 2, 'both subscriptions open on the gateway');
    await adjust(member, 1, `live-${member}`);
    await balance(tab.page, '501 BEANS');
    return { member, tab };
  };
  /** The phone's network drops and comes back: a new socket, Live, its subscriptions sent again and held, the reconnection's refresh answered. */
  const reconnectHeld = async (tab: Tab) => {
    tab.hold = true;
    const before = await opened(tab.page);
    await tab.context.setOffline(true);
    await tab.context.setOffline(false);
    await until(async () => (await opened(tab.page)) > before, 'a new socket once the network is back');
    await tab.page.locator('[data-live="connected"]').waitFor();
    await until(() => tab.held.length === 2, 'both subscriptions sent again, and held');
    await readsDone(tab.page);
  };
  /** The member's events after the last one the tab's balance feed received, written longer ago than the replay window. */
  const backdateAway = (member: string, tab: Tab) =>
    t.sql(
      `update outbox_event set created_at = $2::timestamptz - ($3 + 1) * interval '1 hour'
        where customer_id = (select id from customer where external_id = $1)
          and customer_seq > $4`,
      [member, t.clock.now(), t.config.events.retentionHours, Number(tab.balanceEvents.at(-1))],
    );
  const balance = (page: Page, text: string) =>
    until(async () => (await page.getByTestId('header-balance').textContent()) === text, `the header balance ${text}`, 20_000);
  /**
   * A live tab (501 BEANS) whose network dropped and came back, its subscriptions held, and a change
   * while away (+2) written longer ago than the replay window: once released, the resume after the
   * event the balance feed received is refused EVENT_ID_EXPIRED.
   */
  const awayPastWindow = async (options: { clock?: boolean } = {}) => {
    const { member, tab } = await liveAfterOneEvent(options);
    await reconnectHeld(tab);
    await adjust(member, 2, `away-${member}`);
    await backdateAway(member, tab);
    return { member, tab };
  };
  /** The feed is live again (both subscriptions open): the next change (+4, 507 BEANS) is pushed and announced. */
  const liveAgain = async (member: string, tab: Tab) => {
    await until(() => t.gateway.events.listenerCount() >= 2, 'both subscriptions open again');
    await adjust(member, 4, `next-${member}`);
    await until(async () => (await tab.page.getByTestId('live-message').last().textContent()) === 'Your balance is now 507 BEANS (+4).', 'the next change announced by the feed', 20_000);
    await balance(tab.page, '507 BEANS');
  };

  test('first load: a change committed after the screens read and before the subscriptions started is shown', async () => {
    const member = await newMember();
    const tab = await openTab();
    tab.hold = true;
    await tab.page.goto(`/#token=${await t.customerToken(member, 3_600)}`);
    await balance(tab.page, '500 BEANS');
    await tab.page.locator('[data-live="connected"]').waitFor();
    await until(() => tab.held.length === 2, 'both subscriptions held');
    await readsDone(tab.page);

    await adjust(member, 3, `window-${member}`);
    release(tab);
    await balance(tab.page, '503 BEANS');
    // The subscriptions started after the point read before the screens (no later than their read).
    expect(tab.subscribes.every((s) => typeof s.payload.variables?.after === 'string')).toBe(true);
  }, 60_000);

  test('a reconnection: a change committed after the refresh and before the subscriptions were sent again is shown; each resumes after its last event', async () => {
    const { member, tab } = await liveAfterOneEvent();
    expect(tab.balanceEvents).toHaveLength(1);
    const sent = tab.subscribes.length;
    await reconnectHeld(tab);

    await adjust(member, 2, `window-${member}`);
    release(tab);
    await balance(tab.page, '503 BEANS');
    // The balance feed resumed after the event it had received, not from the gateway's head.
    const again = tab.subscribes.slice(sent).map((s) => s.payload.variables?.after);
    expect(again).toContain(tab.balanceEvents[0]);
  }, 60_000);

  test('a reconnection past the replay window (EVENT_ID_EXPIRED): the app reads a new point, then the screens, and the feed goes on live after it', async () => {
    const { member, tab } = await awayPastWindow();
    release(tab);
    await balance(tab.page, '503 BEANS');
    expect(tab.refusals).toEqual(['EVENT_ID_EXPIRED']);

    // The feed is live again after the new point: the next change is pushed and announced.
    await liveAgain(member, tab);
    expect(await tab.page.locator('[data-live="connected"]').count()).toBe(1);
  }, 60_000);

  /** How many times the app sends one query in all before it takes its failure (QUERY_ATTEMPTS, web/src/shared/api.ts). */
  const QUERY_ATTEMPTS = 4;

  test('live-22: past the replay window, a new point that cannot be read is read again until it is: the feed goes on live after it', async () => {
    const { member, tab } = await awayPastWindow({ clock: true });
    // The gateway cannot be reached for the new point: every read of it fails.
    tab.failPoint = true;
    release(tab);
    await until(() => tab.refusals.includes('EVENT_ID_EXPIRED'), 'the resume refused EVENT_ID_EXPIRED');
    await runUntil(tab.page, () => tab.pointFailures >= QUERY_ATTEMPTS + 2, 'the new point read again after a whole query’s attempts failed');
    // Meanwhile the member is told the feed is down.
    await tab.page.getByTestId('live-stale').filter({ hasText: 'may be out of date' }).waitFor();
    expect(await tab.page.locator('[data-live="offline"]').count()).toBe(1);

    // The gateway answers again: the point is read, then the screens, and the feed goes on live.
    tab.failPoint = false;
    await runUntil(tab.page, async () => (await tab.page.getByTestId('header-balance').textContent()) === '503 BEANS', 'the header balance 503 BEANS');
    await tab.page.clock.resume();
    await tab.page.locator('[data-live="connected"]').waitFor();
    await tab.page.getByTestId('live-stale').waitFor({ state: 'detached' });
    await liveAgain(member, tab);
  }, 90_000);

  test('live-22: a refused token when the new point is read signs the member out, with why', async () => {
    const { member, tab } = await awayPastWindow();
    // The tab's token (what each HTTP request sends) is now one the gateway refuses UNAUTHENTICATED
    // (no such customer); the open socket keeps the one it connected with.
    const refused = await t.customerToken(`${member}-unknown`, 3_600);
    await tab.page.evaluate((token) => (globalThis as InPage).sessionStorage.setItem('reward-gateway:web:token', token), refused);
    release(tab);
    await tab.page.getByRole('alert').filter({ hasText: 'Your sign-in has expired or is not valid. Please sign in again.' }).waitFor();
    await tab.page.getByRole('button', { name: 'Sign out' }).waitFor({ state: 'detached' });
  }, 60_000);

  test('live-22: while the first point cannot be read, the badge and a notice say the app is not connected; once it is, the screens show and the feed is live', async () => {
    const member = await newMember();
    const tab = await openTab({ clock: true });
    tab.failPoint = true;
    await tab.page.goto(`/#token=${await t.customerToken(member, 3_600)}`);
    await runUntil(tab.page, () => tab.pointFailures >= QUERY_ATTEMPTS, 'a whole query’s attempts failed');
    await runUntil(tab.page, async () => (await tab.page.getByTestId('live-stale').count()) === 1, 'the member told the app is not connected');
    await runUntil(tab.page, () => tab.pointFailures >= QUERY_ATTEMPTS + 2, 'the point read again after a whole query’s attempts failed');
    expect({
      badge: await tab.page.locator('.badge[data-live]').textContent(),
      notice: await tab.page.getByTestId('live-stale').textContent(),
      tryAgain: await tab.page.getByRole('button', { name: 'Try again' }).count(),
    }).toEqual({ badge: 'Offline', notice: expect.stringContaining('Reconnecting…'), tryAgain: 0 });

    tab.failPoint = false;
    await runUntil(tab.page, async () => (await tab.page.getByTestId('header-balance').count()) === 1, 'the header balance shown');
    await tab.page.clock.resume();
    await balance(tab.page, '500 BEANS');
    await tab.page.locator('[data-live="connected"]').waitFor();
    expect(await tab.page.getByTestId('live-stale').count()).toBe(0);
    await until(() => t.gateway.events.listenerCount() >= 2, 'both subscriptions open on the gateway');
    await adjust(member, 5, `first-${member}`);
    await balance(tab.page, '505 BEANS');
  }, 90_000);

  /**
   * Moves the page's clock `seconds` seconds, one at a time, the page's reads answered after each
   * (so a wait the app chose after a failure is on the page's clock before it moves on).
   */
  const stepClock = async (tab: Tab, seconds: number) => {
    for (let i = 0; i < seconds; i++) {
      await tab.page.clock.runFor(1_000);
      tab.clockSeconds++;
      await readsDone(tab.page);
    }
  };

  test('break2-22: a point the gateway cannot give is read with one back-off that grows to its cap, not a burst of a whole query\'s attempts each time; signed out, it is read no more', async () => {
    const member = await newMember();
    const tab = await openTab({ clock: true });
    // Each wait the app chooses is its ceiling (full jitter's random pinned near 1): the reads' dates
    // are then the back-off's own. No subscription opens in this test (the point is never read).
    await tab.page.addInitScript(() => void (Math.random = () => 0.999));
    tab.failPoint = true;
    await tab.page.goto(`/#token=${await t.customerToken(member, 3_600)}`);
    await until(() => tab.pointFailures >= 1, 'the first read failed');
    await stepClock(tab, 60);
    // One back-off (web/src/shared/backoff.ts: 1, 2, 4, 8, 16, then 30 s): reads at about 0, 1, 3, 7,
    // 15 and 31 s, each wait at least the one before it. A whole query's attempts (1, 2, 4 s apart)
    // sent again after each wait made it 4 reads every cycle, and its back-off never grew past 4 s.
    const gaps = tab.pointReadsAt.slice(1).map((at, i) => at - tab.pointReadsAt[i]);
    expect({ reads: tab.pointReadsAt.length <= 7 ? 'at most 7' : tab.pointReadsAt, waitsGrow: gaps.every((gap, i) => i === 0 || gap >= gaps[i - 1]) ? true : gaps }).toEqual({
      reads: 'at most 7',
      waitsGrow: true,
    });
    // The badge and the notice say so from the first failed read on.
    expect(await tab.page.locator('.badge[data-live]').textContent()).toBe('Offline');
    await tab.page.getByTestId('live-stale').waitFor();

    // Signed out meanwhile: nothing reads the point any more (no timer of the shell left running).
    await tab.page.getByRole('button', { name: 'Sign out' }).click();
    await tab.page.getByRole('button', { name: 'Sign out' }).waitFor({ state: 'detached' });
    const signedOutAt = tab.pointReadsAt.length;
    await stepClock(tab, 90);
    expect(tab.pointReadsAt.length).toBe(signedOutAt);
  }, 120_000);

  test('live-22: a point read the network leaves unanswered is given up and sent again: the screens show once one is answered', async () => {
    const member = await newMember();
    const tab = await openTab({ clock: true });
    tab.hangPoint = true;
    await tab.page.goto(`/#token=${await t.customerToken(member, 3_600)}`);
    await until(() => tab.pointsHung === 1, 'the first read held');
    await runUntil(tab.page, () => tab.pointsHung >= 2, 'the unanswered read given up and sent again');
    tab.hangPoint = false;
    await runUntil(tab.page, async () => (await tab.page.getByTestId('header-balance').count()) === 1, 'the header balance shown');
    await tab.page.clock.resume();
    await balance(tab.page, '500 BEANS');
    await tab.page.locator('[data-live="connected"]').waitFor();
  }, 90_000);
});
