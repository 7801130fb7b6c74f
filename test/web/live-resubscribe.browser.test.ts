import { DEMO } from '../../src/demo/seed.js';
import { newContext } from '../support/browser.js';
import { resumeAll, stopAt } from '../support/freeze.js';
import { ok } from '../support/gateway.js';
import { toGlobalId } from '../../src/graphql/ids.js';
import { countSockets, opened, startWebStack, until, type WebStack } from '../support/web-pages.js';

/**
 * The member app's live feed when the gateway refuses one subscription and keeps its socket open
 * (lead-13). graphql-ws ends an operation on its `error` message and never sends it again by itself;
 * the socket stays connected, so no reconnect sends it either: the app said "Reconnecting…" and
 * showed no change again until the member reloaded. A busy refusal (SERVICE_UNAVAILABLE,
 * RATE_LIMITED, SHUTTING_DOWN) now has the subscription sent again on the open socket after its
 * `retryAfter`. The refusal here is the gateway's own: every socket operation takes a point of the
 * member's rate budget (src/http/ws.ts), shared with HTTP, and the member's budget is spent when
 * the app reconnects. A real gateway on a real database, a real Chromium, real time (the budget's
 * window is the rate limiter's).
 */

/** The member's budget per window: enough for the app's first screen and its two subscriptions. */
const BUDGET = 30;
const WINDOW_SECONDS = 10;
const MUFFIN = 'Buy 1 coffee, get a free muffin';

describe('member app: a subscription refused while its socket stays open', () => {
  let stack: WebStack;
  let t: WebStack['t'];

  beforeAll(async () => {
    stack = await startWebStack({ PERSISTED_ONLY: 'web,console', DB_STATEMENT_TIMEOUT_MS: '500', RATE_LIMIT_CUSTOMER: String(BUDGET), RATE_LIMIT_WINDOW_SECONDS: String(WINDOW_SECONDS) });
    t = stack.t;
  });
  afterEach(resumeAll);
  afterAll(async () => stack?.close());

  const staff = (document: string, input: Record<string, unknown>) => t.gql(document, { input }, t.operatorToken).then(ok);
  const adjust = (externalId: string, amount: number, idempotencyKey: string) =>
    staff(`mutation($input: AdjustPointsInput!) { adjustPoints(input: $input) { userErrors { code } } }`, { customerExternalId: externalId, currency: DEMO.currency, amount, reason: 'test', idempotencyKey });

  test('refused RATE_LIMITED on a reconnect: sent again once its retryAfter has passed, and the next change is pushed and announced', async () => {
    const member = `resubscribe-${Date.now()}`;
    await staff(`mutation($input: UpsertCustomerInput!) { upsertCustomer(input: $input) { userErrors { code } } }`, { externalId: member, name: 'Resubscribing member' });
    await adjust(member, 500, `start-${member}`);
    const token = await t.customerToken(member, 3_600);

    const context = await newContext(stack.browser, stack.base, 'phone');
    stack.contexts.push(context);
    const page = await context.newPage();
    await countSockets(page);
    /** Every `error` message the gateway sent the page on its sockets, as parsed JSON. */
    const refusals: { id: string; at: number; payload: { extensions?: { code?: string; retryAfter?: number } }[] }[] = [];
    /** Every `subscribe` the page sent, with when (real time, milliseconds). */
    const subscribes: number[] = [];
    page.on('websocket', (ws) => {
      ws.on('framesent', ({ payload }) => {
        if ((JSON.parse(String(payload)) as { type: string }).type === 'subscribe') subscribes.push(Date.now());
      });
      ws.on('framereceived', ({ payload }) => {
        const message = JSON.parse(String(payload)) as { type: string };
        if (message.type === 'error') refusals.push({ ...(message as object), at: Date.now() } as (typeof refusals)[number]);
      });
    });
    await page.goto(`/#token=${token}`);
    await page.getByTestId('balance-BEANS').filter({ hasText: '500' }).waitFor();
    await page.locator('[data-live="connected"]').waitFor();

    // The member's budget spent (by another of their devices, say): HTTP answers 429 from here.
    for (let i = 0; ; i++) {
      const res = await t.gql(`{ me { externalId } }`, {}, token);
      if (res.status === 429) break;
      if (i > BUDGET) throw new Error('the budget never ran out');
    }
    // The phone's network drops and comes back: the app opens a new socket at once and subscribes
    // again on it; the gateway accepts the socket and refuses both subscriptions RATE_LIMITED.
    const before = await opened(page);
    await context.setOffline(true);
    await context.setOffline(false);
    await until(async () => (await opened(page)) === before + 1, 'a new socket once the network is back');
    await until(() => refusals.length >= 2, 'both subscriptions refused on the new socket', 20_000);
    expect(refusals.map((r) => r.payload[0]?.extensions?.code)).toEqual(['RATE_LIMITED', 'RATE_LIMITED']);
    expect(refusals.every((r) => (r.payload[0]?.extensions?.retryAfter ?? 0) > 0)).toBe(true);

    // Once the window has passed, a change is pushed to the page: the subscriptions were sent again
    // (announced only from the feed, never from a refetch). With both ended graphql-ws closed its
    // idle socket (its `lazy` mode), so they go out on a new one, not before the gateway's hint.
    await until(async () => (await t.gql(`{ me { externalId } }`, {}, token)).status === 200, 'the budget’s next window', (WINDOW_SECONDS + 5) * 1_000);
    await page.locator('[data-live="connected"]').waitFor({ timeout: (WINDOW_SECONDS + 10) * 1_000 });
    // The badge is Live once the socket is, which may be before the gateway has started the streams
    // the subscriptions read (a change committed before a stream starts is not pushed to it): the
    // change is made once both are open on the gateway (this page is the only subscriber here).
    await until(() => t.gateway.events.listenerCount() >= 2, 'both subscriptions open on the gateway', 30_000);
    await adjust(member, 7, `after-${member}`);
    const announcement = page.getByTestId('live-announcement');
    await until(async () => (await announcement.getByTestId('live-message').last().textContent()) === 'Your balance is now 507 BEANS (+7).', 'the change announced by the live feed', 30_000);
    await page.getByTestId('header-balance').filter({ hasText: '507' }).waitFor();
    const refused = Math.max(...refusals.map((r) => r.at));
    const again = subscribes.filter((at) => at > refused);
    expect(again).toHaveLength(2);
    const hintMs = Math.min(...refusals.map((r) => r.payload[0].extensions!.retryAfter!)) * 1_000;
    // (a "not before" of the page's own timers, which Chromium may fire a little early or late: 1 s of slack)
    for (const at of again) expect(at - refused).toBeGreaterThanOrEqual(hintMs - 1_000);
  }, 120_000); // real time: a rate window of 10 s
  test('an event the gateway could not resolve (its wallet item’s read stopped, and stopped again when sent again): the feed stays Live and the screen reads what it missed', async () => {
    const alice = DEMO.customers.alice;
    const token = await t.customerToken(alice, 3_600);
    const context = await newContext(stack.browser, stack.base, 'phone');
    stack.contexts.push(context);
    const page = await context.newPage();
    /** The errors of each `next` message that carried some. */
    const failedEvents: { extensions?: { code?: string } }[][] = [];
    page.on('websocket', (ws) =>
      ws.on('framereceived', ({ payload }) => {
        const message = JSON.parse(String(payload)) as { type: string; payload?: { errors?: { extensions?: { code?: string } }[] } };
        if (message.type === 'next' && message.payload?.errors?.length) failedEvents.push(message.payload.errors);
      }),
    );
    await page.goto(`/#token=${token}`);
    await page.locator('[data-live="connected"]').waitFor();
    const header = page.getByTestId('header-balance');
    await header.filter({ hasText: 'BEANS' }).waitFor();
    const [listing] = await t.sql<{ id: string; price: number }>(
      `select l.id, l.price_in_points::int as price from listing l join offer_version v on v.offer_id = l.offer_id
        where v.name = $1 and l.removed_at is null order by l.id limit 1`,
      [MUFFIN],
    );
    const [{ available }] = await t.sql<{ available: number }>(
      `select a.available::int as available from point_account a join customer c on c.id = a.customer_id where c.external_id = $1`,
      [alice],
    );
    // The wallet event's `issuedOffer` is read for each event (src/events/events.resolver.ts); that
    // read, and the gateway's second attempt of it on another connection, are stopped.
    const frozen = stopAt((text) => /from issued_offer io where io\.id = any\(/.test(text), { every: true });
    try {
      const bought = await t.gql(
        `mutation($input: PurchaseOfferInput!) { purchaseOffer(input: $input) { purchase { pointsPaid } userErrors { code } } }`,
        { input: { listingId: toGlobalId('Listing', Number(listing.id)), idempotencyKey: `missed-${Date.now()}` } },
        token,
      );
      expect(ok(bought)).toEqual({ purchaseOffer: { purchase: { pointsPaid: listing.price }, userErrors: [] } });
      await until(() => failedEvents.length > 0, 'the wallet event, sent with its read’s error', 30_000);
    } finally {
      frozen.remove();
      resumeAll();
    }
    expect(failedEvents[0].map((e) => e.extensions?.code)).toEqual(['SERVICE_UNAVAILABLE']);
    // The screen read again what the event could not say, and the feed was never taken for down.
    await header.filter({ hasText: (available - listing.price).toLocaleString('en-GB') }).waitFor();
    expect(await page.locator('[data-live="connected"]').count()).toBe(1);
    expect(await page.getByTestId('live-stale').count()).toBe(0);
  }, 120_000);
});
