import type { Page, Route } from 'playwright-core';
import { DEMO } from '../../src/demo/seed.js';
import { newContext } from '../support/browser.js';
import { ok } from '../support/gateway.js';
import { startWebStack, until, type WebStack } from '../support/web-pages.js';

/**
 * Reads and writes the network leaves unanswered (web-22), in a real Chromium against a real
 * gateway and database with the apps' trusted documents only. fetch has no timeout of its own: a
 * request held by a half-open connection or a stalled proxy kept a screen at "Loading…" (or a
 * purchase's dialog at its disabled button) until the browser gave up, minutes later. Here the
 * test's route holds the chosen operation's requests without answering them, and moves the page's
 * clock (a second a step) over the app's answer waits (web/src/shared/api.ts `answerWithin`).
 */

/** A request the page sent, as the route saw it. */
interface Sent {
  operationName: string;
  variables: { input?: { idempotencyKey?: string } };
}

describe('answers that never come (web-22)', () => {
  let stack: WebStack;
  let t: WebStack['t'];
  let members = 0;

  beforeAll(async () => {
    stack = await startWebStack({ PERSISTED_ONLY: 'web,console' });
    t = stack.t;
  });
  afterEach(async () => {
    await Promise.all(stack.contexts.splice(0).map((c) => c.close()));
  });
  afterAll(async () => stack?.close());

  const staff = (document: string, input: Record<string, unknown>) => t.gql(document, { input }, t.operatorToken).then(ok);
  /** A new member of the demo program with 500 BEANS. */
  const newMember = async () => {
    const externalId = `answer-${Date.now()}-${++members}`;
    await staff(`mutation($input: UpsertCustomerInput!) { upsertCustomer(input: $input) { userErrors { code } } }`, { externalId, name: `Member ${members}` });
    await staff(`mutation($input: AdjustPointsInput!) { adjustPoints(input: $input) { userErrors { code } } }`, { customerExternalId: externalId, currency: DEMO.currency, amount: 500, reason: 'test', idempotencyKey: `start-${externalId}` });
    return externalId;
  };
  /** The member's available BEANS and how many offers their wallet holds, as the API says. */
  const memberState = async (externalId: string) => {
    type State = { customer: { balances: { available: string | number }[] } };
    const { customer } = ok(await t.gql<State, object>(`query($id: String!) { customer(externalId: $id) { balances { available } } }`, { id: externalId }, t.operatorToken));
    return { available: Number(customer.balances[0]?.available) };
  };

  /**
   * A tab whose requests of the operations in `hold` are held unanswered: `lose` sends them on to the
   * gateway first (the gateway runs it, the answer is lost on the way back), else they never leave.
   * The page's clock is the test's from its first move.
   */
  const openTab = async () => {
    const context = await newContext(stack.browser, stack.base, 'desktop');
    stack.contexts.push(context);
    const page = await context.newPage();
    const tab = {
      page,
      hold: new Set<string>(),
      lose: false,
      /** Every GraphQL request over HTTP, in order. */
      sent: [] as Sent[],
      /** The held ones. */
      held: [] as Sent[],
      /** Held ones the gateway answered (`lose`): what it answered, never handed to the page. */
      lost: [] as unknown[],
    };
    await page.route(/\/graphql$/, async (route: Route) => {
      const request = route.request();
      const body = request.method() === 'POST' ? (JSON.parse(request.postData() ?? '{}') as Sent) : ({ operationName: '', variables: {} } as Sent);
      tab.sent.push(body);
      if (!tab.hold.has(body.operationName)) return route.continue();
      tab.held.push(body);
      if (tab.lose) tab.lost.push(await (await route.fetch()).json());
      // never fulfilled: the page waits for an answer that does not come
    });
    await page.clock.install();
    return tab;
  };
  type Tab = Awaited<ReturnType<typeof openTab>>;
  /**
   * Moves the page's clock a second at a time until `check` holds (the app's answer waits and
   * back-off), at most `seconds` of the page's time (a query's four attempts and their waits take
   * under 90 s; a browser's own give-up on a hung request takes minutes).
   */
  const runUntil = async (page: Page, check: () => boolean | Promise<boolean>, what: string, seconds = 150) => {
    for (let moved = 0; !(await check()); moved++) {
      if (moved >= seconds) throw new Error(`never happened within ${seconds} s of the page's clock: ${what}`);
      await page.clock.runFor(1_000);
      await new Promise((resolve) => setTimeout(resolve, 10)); // the page's network answers between moves
    }
  };
  const heldOf = (tab: Tab, operationName: string) => tab.held.filter((s) => s.operationName === operationName);

  test('a member screen whose read is never answered shows the error with "Try again" after the read\'s attempts, and reads again on it', async () => {
    const member = await newMember();
    const tab = await openTab();
    await tab.page.goto(`/#token=${await t.customerToken(member, 3_600)}`);
    await tab.page.getByTestId('header-balance').waitFor();
    tab.hold.add('MemberWallet');
    await tab.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Wallet', exact: true }).click();
    await tab.page.getByRole('status').filter({ hasText: 'Loading your wallet…' }).waitFor();
    const alert = tab.page.getByRole('alert').filter({ hasText: 'The server did not answer in time.' });
    await runUntil(tab.page, async () => (await alert.count()) === 1, 'the wallet’s read given up: the alert shown');
    // Each attempt given up and sent again (retryBusyQueries' QUERY_ATTEMPTS, 4), then the alert instead of "Loading…".
    expect({ attempts: heldOf(tab, 'MemberWallet').length, loading: await tab.page.getByText('Loading your wallet…').count() }).toEqual({ attempts: 4, loading: 0 });
    tab.hold.clear();
    await alert.getByRole('button', { name: 'Try again' }).click();
    await tab.page.getByText('Your wallet is empty.').waitFor();
    expect(await alert.count()).toBe(0);
  }, 120_000);

  test('a console screen whose read is never answered shows the error with "Try again", and reads again on it', async () => {
    const tab = await openTab();
    await tab.page.goto('/console/');
    await tab.page.getByRole('button', { name: `Continue as operator (${DEMO.staff.operator})` }).click();
    tab.hold.add('ConsoleAuditLog');
    await tab.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit log', exact: true }).click();
    await tab.page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor();
    const alert = tab.page.getByRole('alert').filter({ hasText: 'The server did not answer in time.' });
    await runUntil(tab.page, async () => (await alert.count()) === 1, 'the audit log’s read given up: the alert shown');
    expect({ attempts: heldOf(tab, 'ConsoleAuditLog').length, loading: await tab.page.getByText(/^Loading /).count() }).toEqual({ attempts: 4, loading: 0 });
    tab.hold.clear();
    await alert.getByRole('button', { name: 'Try again' }).click();
    await tab.page.getByRole('region', { name: 'Audit log' }).waitFor();
    expect(await alert.count()).toBe(0);
  }, 120_000);

  /**
   * A new member (500 BEANS) in the everyday store, the first listing's dialog open, Confirm
   * clicked: the gateway buys, its answer never reaches the page, and the page's clock is moved
   * until the dialog says the outcome is unknown.
   */
  const purchaseAnswerLost = async () => {
    const member = await newMember();
    const tab = await openTab();
    await tab.page.goto(`/#token=${await t.customerToken(member, 3_600)}`);
    await tab.page.getByTestId('header-balance').waitFor();
    await tab.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Rewards', exact: true }).click();
    await tab.page.getByRole('link', { name: 'Everyday rewards' }).click();
    const listing = tab.page.getByTestId('listing').first();
    const price = Number((await listing.locator('strong').innerText()).replace(/\D/g, ''));
    const dialog = tab.page.getByRole('dialog');
    await listing.getByRole('button', { name: /^Buy/ }).click();
    tab.hold.add('MemberPurchase');
    tab.lose = true;
    await dialog.getByRole('button', { name: 'Confirm purchase' }).click();
    await until(() => tab.lost.length === 1, 'the purchase answered by the gateway, the answer held');
    const unknown = dialog.getByRole('alert').filter({ hasText: 'it is not known whether this went through' });
    await runUntil(tab.page, async () => (await unknown.count()) === 1, 'the member told the purchase’s outcome is unknown');
    return { member, tab, listing, price, dialog, unknown };
  };
  /** The purchases the page sent: how many, with how many keys, and the member's BEANS now. */
  const purchasesOf = async (tab: Tab, member: string) => {
    const keys = tab.sent.filter((s) => s.operationName === 'MemberPurchase').map((s) => s.variables.input?.idempotencyKey);
    return { keys: new Set(keys).size, sends: keys.length, available: (await memberState(member)).available };
  };

  test('a purchase whose answer is lost says its outcome is unknown, and "Try again" sends it with the same key: bought once', async () => {
    const { member, tab, price, dialog, unknown } = await purchaseAnswerLost();
    expect(await unknown.innerText()).toContain('Try again: it is sent as the same request, so it cannot happen twice.');
    // Not sent again by the app: once, and it ran (the points are spent).
    expect(await purchasesOf(tab, member)).toEqual({ keys: 1, sends: 1, available: 500 - price });
    tab.hold.clear();
    await dialog.getByRole('button', { name: 'Try again' }).click();
    await tab.page.getByRole('status').filter({ hasText: 'Bought' }).waitFor();
    expect(await purchasesOf(tab, member)).toEqual({ keys: 1, sends: 2, available: 500 - price });
  }, 120_000);

  test('a purchase whose answer is lost, its dialog closed and opened again, is sent with the same key: bought once', async () => {
    const { member, tab, listing, price, dialog } = await purchaseAnswerLost();
    // The member gives up on this dialog, then buys the same offer again.
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    tab.hold.clear();
    await listing.getByRole('button', { name: /^Buy/ }).click();
    await dialog.getByRole('button', { name: 'Confirm purchase' }).click();
    await tab.page.getByRole('status').filter({ hasText: 'Bought' }).waitFor();
    expect(await purchasesOf(tab, member)).toEqual({ keys: 1, sends: 2, available: 500 - price });
  }, 120_000);
  test('a console adjustment whose answer is lost says its outcome is unknown; submitted again it is sent with the same key: adjusted once', async () => {
    const member = await newMember();
    const tab = await openTab();
    await tab.page.goto('/console/');
    await tab.page.getByRole('button', { name: `Continue as operator (${DEMO.staff.operator})` }).click();
    await tab.page.getByLabel("Customer id (the retailer's id)").fill(member);
    await tab.page.getByRole('button', { name: 'Find' }).click();
    await tab.page.getByTestId(`staff-balance-${DEMO.currency}`).waitFor();
    const form = tab.page.getByRole('region', { name: 'Adjust points' });
    await form.getByLabel('Points (negative to debit)').fill('25');
    await form.getByLabel('Reason (kept in the audit log)').fill('web-22 goodwill');
    tab.hold.add('ConsoleAdjustPoints');
    tab.lose = true;
    await form.getByRole('button', { name: 'Adjust points' }).click();
    await until(() => tab.lost.length === 1, 'the adjustment answered by the gateway, the answer held');
    const unknown = form.getByRole('alert').filter({ hasText: 'it is not known whether this went through' });
    await runUntil(tab.page, async () => (await unknown.count()) === 1, 'the operator told the adjustment’s outcome is unknown');
    expect({ sends: tab.sent.filter((s) => s.operationName === 'ConsoleAdjustPoints').length, available: (await memberState(member)).available }).toEqual({ sends: 1, available: 525 });
    tab.hold.clear();
    await form.getByRole('button', { name: 'Adjust points' }).click();
    await form.getByRole('status').filter({ hasText: 'Adjusted by' }).waitFor();
    const keys = tab.sent.filter((s) => s.operationName === 'ConsoleAdjustPoints').map((s) => s.variables.input?.idempotencyKey);
    expect({ keys: new Set(keys).size, sends: keys.length, available: (await memberState(member)).available }).toEqual({ keys: 1, sends: 2, available: 525 });
  }, 120_000);
});
