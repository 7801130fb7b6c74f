import type { BrowserContext, Locator, Page, Route } from 'playwright-core';
import { DEMO } from '../../src/demo/seed.js';
import { siteContext } from './browser.js';
import { ok } from './gateway.js';
import { consoleUrlAsOperator } from './web-gateway.js';
import { startWebStack, until, type WebStack } from './web-pages.js';

/** A GraphQL request a page sent over HTTP, as the test's route saw it. */
export interface Sent {
  operationName: string;
  variables: { input?: { idempotencyKey?: string } };
}

/**
 * Tabs whose chosen operations' answers never come (web-22's answer waits, break4-22's kept keys),
 * with the demo program's members to use them: `openTab` (a route that holds the operations in
 * `hold`, sending them on first when `lose`), `runUntil` (the page's clock moved a second a step),
 * `newMember` (500 BEANS), `memberState`, `purchaseAnswerLost` and `purchasesOf`. `stack` is read
 * when a helper runs (the suite starts it in beforeAll).
 */
export function answerTabs(stack: () => WebStack) {
  let members = 0;
  const staff = (document: string, input: Record<string, unknown>) => stack().t.gql(document, { input }, stack().t.operatorToken).then(ok);
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
    const { customer } = ok(await stack().t.gql<State, object>(`query($id: String!) { customer(externalId: $id) { balances { available } } }`, { id: externalId }, stack().t.operatorToken));
    return { available: Number(customer.balances[0]?.available) };
  };

  /**
   * The describe block's kept context (browser-30): each test's first tab opens in it, beside a page
   * of the gateway's site kept open for the block, so the tab joins a warm renderer and a context
   * that has already loaded and compiled the apps (a page load ~1 CPU-s instead of ~2.6–3 in a new
   * context, browser-27). It holds nothing of a test's when the next begins: the apps keep their
   * state in the tab (sessionStorage, memory), never in cookies, localStorage or IndexedDB; `endTest`
   * closes the test's pages and puts the network back online, and the tab's clock is set to now.
   * A test's further tabs open in new contexts, so two tabs of one test never share a clock.
   */
  let kept: { context: BrowserContext; keeper: Page } | undefined;
  let keptInUse = false;
  /** The context for a new tab: the kept one (its clock set to now) if this test has not used it yet, else a new one with its clock installed. */
  const tabContext = async (): Promise<BrowserContext> => {
    if (!keptInUse && kept) {
      keptInUse = true;
      await kept.context.clock.setSystemTime(Date.now());
      return kept.context;
    }
    const { context, keeper } = await siteContext(stack().browser, stack().base, 'desktop');
    if (keptInUse) stack().contexts.push(context);
    else kept = { context, keeper };
    keptInUse = true;
    await context.clock.install();
    return context;
  };
  /** Ends a test's use of the kept context: its pages but the keeper closed, the network online again. The stack's close ends the context itself. */
  const endTest = async () => {
    keptInUse = false;
    if (!kept) return;
    const { context, keeper } = kept;
    await Promise.all(context.pages().filter((page) => page !== keeper).map((page) => page.close()));
    await context.setOffline(false);
  };

  /**
   * A tab whose requests of the operations in `hold` are held unanswered: `lose` sends them on to the
   * gateway first (the gateway runs it, the answer is lost on the way back), else they never leave.
   * Those in `cut` are sent on and answered, then the page's connection is reset (web-23).
   * The page's clock is the test's from its first move (Playwright's, installed on its context and
   * flowing from now when the tab opens).
   */
  const openTab = async () => {
    const context = await tabContext();
    const page = await context.newPage();
    const tab = {
      page,
      hold: new Set<string>(),
      lose: false,
      /** Operations sent on to the gateway whose answer is replaced by a broken connection (fetch's "Failed to fetch"). */
      cut: new Set<string>(),
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
      if (tab.cut.has(body.operationName)) {
        tab.lost.push(await (await route.fetch()).json());
        return route.abort('connectionreset');
      }
      if (!tab.hold.has(body.operationName)) return route.continue();
      tab.held.push(body);
      if (tab.lose) tab.lost.push(await (await route.fetch()).json());
      // never fulfilled: the page waits for an answer that does not come
    });
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
  /**
   * A new member (500 BEANS) in the everyday store, the first listing's dialog open, Confirm
   * clicked: the gateway buys, its answer never reaches the page, and the page's clock is moved
   * until the dialog says the outcome is unknown.
   */
  const purchaseAnswerLost = async () => {
    const member = await newMember();
    const tab = await openTab();
    await tab.page.goto(`/#token=${await stack().t.customerToken(member, 3_600)}`);
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
  /**
   * A new member (500 BEANS) on Gifts, the first option of "Every 100 beans" claimed: the gateway
   * claims, its answer never reaches the page, and the page's clock is moved until the member is
   * told the outcome is unknown. Returns the tab (nothing held any more), the Claim button, the
   * option's name and the member's BEANS after that first claim.
   */
  const claimAnswerLost = async () => {
    const member = await newMember();
    const tab = await openTab();
    await tab.page.goto(`/#token=${await stack().t.customerToken(member, 3_600)}`);
    await tab.page.getByTestId('header-balance').waitFor();
    await tab.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Gifts', exact: true }).click();
    const claim = tab.page.getByRole('region', { name: 'Every 100 beans' }).getByRole('button', { name: /^Claim/ }).first();
    await claim.waitFor();
    const option = (await claim.innerText()).replace(/^Claim\s*/, '');
    tab.hold.add('MemberClaimGift');
    tab.lose = true;
    await claim.click();
    await until(() => tab.lost.length === 1, 'the claim answered by the gateway, the answer held');
    const unknown = tab.page.getByRole('alert').filter({ hasText: 'it is not known whether this went through' });
    await runUntil(tab.page, async () => (await unknown.count()) === 1, 'the member told the claim’s outcome is unknown');
    tab.hold.clear();
    tab.lose = false;
    return { member, tab, claim, option, afterFirst: (await memberState(member)).available };
  };
  /** The everyday store, from the main navigation, once its listings show. */
  const toStore = async (tab: Tab) => {
    await tab.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Rewards', exact: true }).click();
    await tab.page.getByRole('link', { name: 'Everyday rewards' }).click();
    await tab.page.getByTestId('listing').first().waitFor();
  };
  /** A new member (500 BEANS) in the everyday store: its first listing, its price and offer name, and the purchase dialog's locator. */
  const memberInStore = async () => {
    const member = await newMember();
    const tab = await openTab();
    await tab.page.goto(`/#token=${await stack().t.customerToken(member, 3_600)}`);
    await tab.page.getByTestId('header-balance').waitFor();
    await toStore(tab);
    const listing = tab.page.getByTestId('listing').first();
    const price = Number((await listing.locator('strong').innerText()).replace(/\D/g, ''));
    const name = await listing.getByRole('heading').innerText();
    const dialog = tab.page.getByRole('dialog');
    return { member, tab, listing, price, name, dialog };
  };
  /** A tab of the console signed in as the demo operator (web-gateway.ts `consoleUrlAsOperator`). */
  const consoleTab = async () => {
    const tab = await openTab();
    await tab.page.goto(await consoleUrlAsOperator(stack().t));
    return tab;
  };
  /** The console's Adjust points form of `member`, found from the Customers screen and filled with +25 for `reason`. */
  const consoleAdjust = async (tab: Tab, member: string, reason: string) => {
    await tab.page.getByLabel("Email, name or customer id").fill(member);
    await tab.page.getByRole('button', { name: 'Find' }).click();
    await tab.page.getByRole('heading', { level: 1, name: `Customer ${member}` }).waitFor();
    await tab.page.getByTestId(`staff-balance-${DEMO.currency}`).waitFor();
    const form = tab.page.getByRole('region', { name: 'Adjust points' });
    await form.getByLabel('Points (negative to debit)').fill('25');
    await form.getByLabel('Reason (kept in the audit log)').fill(reason);
    return form;
  };
  /**
   * Clicks `button` of `place` (a form or dialog) with the answer of `operation` lost (the gateway
   * runs it), until `place` says the outcome is unknown; then nothing is held any more.
   */
  const answerLost = async (tab: Tab, place: Locator, button: string, operation: string) => {
    const lostBefore = tab.lost.length;
    tab.hold.add(operation);
    tab.lose = true;
    await place.getByRole('button', { name: button }).click();
    await until(() => tab.lost.length === lostBefore + 1, `${operation} answered by the gateway, the answer held`);
    const unknown = place.getByRole('alert').filter({ hasText: 'it is not known whether this went through' });
    await runUntil(tab.page, async () => (await unknown.count()) === 1, `told the outcome of ${operation} is unknown`);
    tab.hold.clear();
    tab.lose = false;
  };
  /** Submits `form` with its answer lost (the gateway runs it), until the operator is told the outcome is unknown. */
  const adjustmentLost = (tab: Tab, form: Locator) => answerLost(tab, form, 'Adjust points', 'ConsoleAdjustPoints');
  /** The idempotency keys of the adjustments the tab sent, in order. */
  const adjustKeys = (tab: Tab) => tab.sent.filter((s) => s.operationName === 'ConsoleAdjustPoints').map((s) => s.variables.input?.idempotencyKey);
  return { staff, newMember, memberState, openTab, endTest, runUntil, answerLost, purchaseAnswerLost, purchasesOf, claimAnswerLost, toStore, memberInStore, consoleTab, consoleAdjust, adjustmentLost, adjustKeys };
}

/**
 * answerTabs for a describe block: starts its WebStack (the apps' trusted documents only) before
 * its tests, ends each test's tabs after it (`endTest`, and the contexts it opened) and the stack after the last.
 * @param env the gateway's settings beyond the trusted-documents-only default (web-24: a short IDEMPOTENCY_RETENTION_HOURS)
 * @returns answerTabs' helpers and `stack`, the started stack's getter
 */
export function answerSuite(env: Record<string, string> = {}) {
  let started: WebStack;
  beforeAll(async () => {
    started = await startWebStack({ PERSISTED_ONLY: 'web,console', ...env });
  });
  const stack = () => started;
  const tabs = answerTabs(stack);
  afterEach(async () => {
    await tabs.endTest();
    await Promise.all(started.contexts.splice(0).map((c) => c.close()));
  });
  afterAll(async () => started?.close());
  return { stack, ...tabs };
}

/** A tab of answerTabs' `openTab`. */
export type AnswerTab = Awaited<ReturnType<ReturnType<typeof answerTabs>['openTab']>>;
