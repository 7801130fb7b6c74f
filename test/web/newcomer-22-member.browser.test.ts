import type { Page } from 'playwright-core';
import { DEMO } from '../../src/demo/seed.js';
import { ok, type TestGateway } from '../support/gateway.js';
import { seriousViolations } from '../support/browser.js';
import { adjust, createStore } from '../support/program.js';
import { startWebGateway, type WebGateway } from '../support/web-gateway.js';

/**
 * What a newcomer met in the member app and the console (newcomer-22), in a real Chromium against a
 * started gateway with the apps' trusted documents only:
 *
 * - every time in the member app was UTC ("3 Dec 2026, 06:17 UTC") whatever the reader's own zone,
 *   and a store closing at 00:00 UTC read "open through <the day before>" in New York, where it
 *   closes at 19:00 that day;
 * - amounts mixed their units: "150 BEANS" beside "150 points missing", "1,000 BEANS" beside
 *   "1,000 points to go", "1,000 qualifying points to Gold", Pending and Earned in all with none;
 *   and the live feed announced "(-1000)" without the thousands separator the page uses;
 * - a new member (no point account yet) saw no balance at all on My points, only the tier card;
 * - a console form (Adjust points) and a gift's Claim button left the keyboard's focus on the
 *   page's body once sent (both disable their controls while sending), and the gift's "Claimed"
 *   notice was at the top of the page, out of sight of the button pressed;
 * - the console said "Adjusted by 7: the balance is now 1,234." without a unit, and its ledger
 *   showed a credit as "7 BEANS" where the member's history says "+7 BEANS";
 * - the console's campaign dates and analytics days are UTC days, and said no zone (its forms say
 *   "Starts (UTC)").
 */
/**
 * How long a screen of the member app may take to show what was committed before it was opened, on
 * a loaded machine (ms): one given-up resume-point read and its retry (POINT_ANSWER_WITHIN_MS 10 s +
 * RETRY_BASE_MS 1 s, web/src/member/shell.tsx and web/src/shared/backoff.ts), then one given-up
 * query attempt (QUERY_ANSWER_WITHIN_MS 20 s, web/src/shared/api.ts), and a margin.
 */
const APP_RETRY_WAIT_MS = 45_000;

describe('the member app and console for a newcomer (newcomer-22)', () => {
  let web: WebGateway;
  let t: TestGateway;
  const currency = DEMO.currency;
  const nav = (page: Page, name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true }).click();
  /** What has the focus, in the page (a string: the suite's own code has no DOM types). */
  const focused = (page: Page) =>
    page.evaluate<string | null>("document.activeElement === document.body ? '(the page body)' : (document.activeElement?.textContent?.trim() ?? null)");

  /** A member's available points in the demo currency, as staff read them. */
  const available = async (member: string) =>
    ok(await t.gql<{ customer: { balances: { available: number }[] } }, object>(`{ customer(externalId: "${member}") { balances { available } } }`, {}, t.operatorToken)).customer.balances[0].available;

  beforeAll(async () => {
    web = await startWebGateway({ demo: true, size: 'phone' });
    t = web.t;
  });
  afterAll(() => web?.close());

  test("the member app shows times in the reader's own time zone, named, and a store's last day as that zone has it", async () => {
    const zone = 'America/New_York';
    const member = DEMO.customers.alice;
    const token = await t.customerToken(member);
    const entry = await adjust(t, member, currency, 5);
    const now = t.clock.now();
    // Closes as a UTC day begins, ten days on: 19:00 (EST) the day before in New York.
    const closes = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 10));
    const store = await createStore(t, currency, { name: 'Newcomer-22 pop-up', endsAt: closes.toISOString() });
    const inZone = (iso: string) =>
      new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short', timeZone: zone }).format(new Date(iso));
    const { me } = ok(await t.gql<{ me: { pointHistory: { edges: { node: { id: string; createdAt: string } }[] } } }, object>('{ me { pointHistory(first: 1) { edges { node { id createdAt } } } } }', {}, token));
    const latest = me.pointHistory.edges[0].node;
    expect(latest.id).toBe(entry.id);

    // The reader's zone is the browser context's (newContext has none: the machine's).
    const zoned = await web.context.browser()!.newContext({ baseURL: t.url.replace(/graphql$/, ''), viewport: { width: 390, height: 844 }, reducedMotion: 'reduce', timezoneId: zone });
    try {
      const page = await zoned.newPage();
      await page.goto(`/#token=${token}`);
      await nav(page, 'History');
      const firstRow = page.getByRole('row').nth(1);
      // The history shows once the shell has read the member's resume point (live-21), and a read
      // the gateway leaves unanswered is given up after POINT_ANSWER_WITHIN_MS (10 s) and sent again
      // after up to RETRY_BASE_MS (1 s); the history's own read may wait QUERY_ANSWER_WITHIN_MS
      // (20 s) before it is sent again. Playwright's default 30 s was shorter than that one retry
      // on a loaded CI machine (flakes-24); the app's bounds plus a margin are not.
      await firstRow.getByRole('cell', { name: '+5 BEANS' }).waitFor({ timeout: APP_RETRY_WAIT_MS });
      const when = (await firstRow.getByRole('cell').first().innerText()).trim();
      await nav(page, 'Rewards');
      const card = page.getByRole('listitem').filter({ has: page.getByRole('link', { name: store.name }) });
      await card.waitFor();
      expect({ when, closing: (await card.innerText()).match(/open (through|until) .*/)?.[0] }).toEqual({
        when: inZone(latest.createdAt),
        closing: `open until ${inZone(closes.toISOString())}`,
      });
      expect(when).toMatch(/ (GMT-[45]|EST|EDT)$/);
    } finally {
      await zoned.close();
    }
  }, 90_000);

  test('every amount carries its unit, the same one, and a new member sees a balance of 0', async () => {
    const page = await web.context.newPage();
    await page.goto(`/#token=${await t.customerToken(DEMO.customers.carol)}`);
    await page.getByTestId('tier').waitFor();
    const zero = await page.getByTestId('balance-none').allInnerTexts();
    const profile = await page.getByRole('main').innerText();
    expect(await seriousViolations(page)).toEqual([]);
    await nav(page, 'Gifts');
    await page.getByRole('region', { name: 'At 1000 beans' }).waitFor();
    const gifts = await page.getByRole('main').innerText();
    await nav(page, 'Rewards');
    await page.getByRole('link', { name: 'Everyday rewards' }).click();
    await page.getByTestId('listing').first().waitFor();
    const store = await page.getByRole('main').innerText();
    // An amount followed by a unit that is not the currency's ("150 points missing").
    const otherUnits = (text: string) => text.match(/\d[\d,]* (?:qualifying )?points\b/g) ?? [];
    expect({
      zero,
      otherUnits: [...otherUnits(profile), ...otherUnits(gifts), ...otherUnits(store)],
      tier: profile.match(/[\d,]+ BEANS more to earn for Gold/)?.[0],
      gifts: gifts.match(/[\d,]+ BEANS to go/g),
      store: store.match(/[\d,]+ BEANS missing/)?.[0],
    }).toEqual({
      zero: ['0 BEANS'],
      otherUnits: [],
      tier: '1,000 BEANS more to earn for Gold',
      gifts: ['100 BEANS to go', '1,000 BEANS to go'],
      store: '150 BEANS missing',
    });
  }, 60_000);

  test('the live feed announces a change with the thousands separator the page uses', async () => {
    const member = DEMO.customers.bob;
    const page = await web.context.newPage();
    await page.goto(`/#token=${await t.customerToken(member)}`);
    await page.getByTestId('balance-BEANS').waitFor();
    await page.locator('[data-live="connected"]').waitFor();
    const before = await available(member);
    await adjust(t, member, currency, -1000);
    const announcement = page.getByTestId('live-announcement');
    await announcement.filter({ hasText: 'Your balance is now' }).waitFor({ timeout: 30_000 });
    expect(await announcement.getByTestId('live-message').last().textContent()).toBe(`Your balance is now ${(before - 1000).toLocaleString('en-GB')} BEANS (-1,000).`);
  }, 60_000);

  test("a claimed gift's notice takes the focus; a console form gives it back to its button once sent", async () => {
    const member = DEMO.customers.alice;
    await adjust(t, member, currency, 100);
    const page = await web.context.newPage();
    await page.goto(`/#token=${await t.customerToken(member)}`);
    await nav(page, 'Gifts');
    const claim = page.getByRole('region', { name: 'Every 100 beans' }).getByRole('button', { name: 'Claim €2 off your order' });
    await claim.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('status').filter({ hasText: 'Claimed “€2 off your order”' }).waitFor();
    // The focus moves as the notice renders: waited for (bounded), then read whatever it is.
    await page.waitForFunction('document.activeElement !== document.body', null, { timeout: 5_000 }).catch(() => undefined);
    const afterClaim = await focused(page);

    const operator = await web.consoleAsOperator('Customers');
    await operator.getByLabel("Email, name or customer id").fill(member);
    await operator.getByRole('button', { name: 'Find' }).click();
    await operator.getByLabel('Points (negative to debit)').fill('7');
    await operator.getByLabel('Reason (kept in the audit log)').fill('newcomer-22 focus');
    const submit = operator.getByRole('button', { name: 'Adjust points', exact: true });
    await submit.focus();
    await operator.keyboard.press('Enter');
    await operator.getByRole('status').filter({ hasText: 'Adjusted by 7' }).waitFor();
    await operator.waitForFunction('document.activeElement !== document.body', null, { timeout: 5_000 }).catch(() => undefined);
    const afterAdjust = await focused(operator);
    const balance = await available(member);
    const ledgerRow = operator.getByRole('region', { name: 'Ledger' }).getByRole('row').nth(1);
    await ledgerRow.getByRole('cell', { name: 'newcomer-22 focus' }).first().waitFor();
    expect({
      afterClaim,
      afterAdjust,
      notice: await operator.getByRole('status').filter({ hasText: 'Adjusted by 7' }).innerText(),
      ledgerAmount: (await ledgerRow.getByRole('cell').nth(4).innerText()).trim(),
    }).toEqual({
      afterClaim: 'Claimed “€2 off your order”: it is in your wallet.',
      afterAdjust: 'Adjust points',
      // The console's amounts carry their unit and sign as the member's history does.
      notice: `Adjusted by 7 ${currency}: the balance is now ${balance.toLocaleString('en-GB')} ${currency}.`,
      ledgerAmount: `+7 ${currency}`,
    });
  }, 60_000);

  test("the console's campaign days and analytics periods say they are UTC, as its forms do", async () => {
    const rules = await web.consoleAsOperator('Rules');
    const campaignHeaders = await rules.getByRole('region', { name: 'Campaigns' }).getByRole('columnheader').allInnerTexts();
    const analytics = await web.consoleAsOperator('Analytics');
    const periods = await analytics.getByLabel('Period').locator('option').allInnerTexts();
    expect({ campaignHeaders, periods }).toEqual({
      campaignHeaders: ['Campaign', 'Days (UTC)', 'Applies to', 'Outcome', 'Limits', 'Awarded', 'State'],
      periods: ['Last 7 days, by day (UTC)', 'Last 8 weeks, by week (UTC)'],
    });
  }, 60_000);
});
