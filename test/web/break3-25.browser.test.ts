import type { Route } from 'playwright-core';
import { answerSuite } from '../support/answer-tabs.js';
import { until } from '../support/web-pages.js';

const RETENTION_HOURS = 2;
const HOUR = 3_600_000;

/**
 * break3-25, a hostile pass on apps-25's kept keys aged by the gateway's clock, in a real Chromium
 * against a real gateway and database (IDEMPOTENCY_RETENTION_HOURS=2): an answer whose `Date` is
 * old (a cache or proxy in front handing back a copy with the `Date` it was first sent with) must
 * not set the page's count of the gateway's time back, or a key past the retention is sent as "the
 * same request" the gateway has forgotten.
 */
describe("a stale Date and kept keys; a tier previewed after its lost Create (break3-25)", () => {
  const { stack, purchaseAnswerLost, purchasesOf, consoleTab, answerLost } = answerSuite({ IDEMPOTENCY_RETENTION_HOURS: String(RETENTION_HOURS) });
  afterEach(() => stack().t.clock.reset());

  test("three hours after a lost purchase, a query answered from a cache with its three-hour-old Date leaves the purchase key expired, not sent as the same request", async () => {
    const { member, tab, listing, price, dialog } = await purchaseAnswerLost();
    const name = (await dialog.getByRole('heading').innerText()).replace(/^Buy “|”\?$/g, '');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    tab.hold.clear();
    tab.lose = false;
    // The Date the answers carried when the purchase was lost: what a cached copy keeps.
    const staleDate = new Date(stack().t.clock.now()).toUTCString();
    stack().t.clock.advance(3 * HOUR);
    await tab.page.clock.fastForward(3 * HOUR);
    // Every query's answer now comes with that old Date (the purchase itself goes through as before).
    let stale = 0;
    await tab.page.route(/\/graphql$/, async (route: Route) => {
      const body = JSON.parse(route.request().postData() ?? '{}') as { operationName?: string };
      if (body.operationName === 'MemberPurchase') return route.fallback();
      const answer = await route.fetch();
      await route.fulfill({ response: answer, headers: { ...answer.headers(), date: staleDate } });
      stale += 1;
    });
    const nav = tab.page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Wallet', exact: true }).click();
    await until(() => stale > 0, 'a query answered with the old Date');
    await nav.getByRole('link', { name: 'Rewards', exact: true }).click();
    await tab.page.getByRole('link', { name: 'Everyday rewards' }).click();
    await listing.getByRole('button', { name: /^Buy/ }).click();
    await dialog.getByRole('button', { name: 'Confirm purchase' }).click();
    const alert = dialog.getByRole('alert');
    const notice = tab.page.getByRole('status').filter({ hasText: 'bought' });
    await alert.or(notice).first().waitFor();
    expect({
      alert: (await alert.count()) ? await alert.locator('p').first().innerText() : null,
      notice: (await notice.count()) ? await notice.innerText() : null,
      purchases: await purchasesOf(tab, member),
    }).toEqual({
      alert:
        `This was first sent more than ${RETENTION_HOURS} hours ago and its answer never came; the server remembers a request only that long, so it can no longer be sent as the same one. ` +
        `Check your Wallet for “${name}” before you send it again: sent now, it is a new request.`,
      notice: null,
      purchases: { keys: 1, sends: 1, available: 500 - price },
    });
  }, 120_000);

  // Last: the tier it adds stays on the stack's ladder.
  test('a tier whose Create answer was lost, previewed again: the console says it was already created (and what it moved), not that adding it would move customers', async () => {
    const { t } = stack();
    const tab = await consoleTab();
    await tab.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Rules', exact: true }).click();
    const form = tab.page.getByRole('region', { name: 'Add a tier' });
    const fill = async () => {
      await form.getByLabel('Code (capital letters, digits or _)').fill('B325');
      await form.getByLabel('Name').fill('Break');
      await form.getByLabel('Rank (higher is better)').fill('325');
      // above the demo's GREEN (rank 1, 0 points, lifetime) and GOLD (1,000 points in 365 days):
      // a higher rank needs more points or a shorter window (break36, break36c)
      await form.getByLabel('Qualifying points').fill('1');
      await form.getByLabel('Window in days (empty: lifetime)').fill('30');
    };
    await fill();
    const dialog = tab.page.getByRole('dialog', { name: 'Create tier “Break” (B325)?' });
    await form.getByRole('button', { name: 'Preview' }).click();
    await dialog.waitFor();
    // Create: the gateway creates it, its answer never comes; the operator cancels.
    await answerLost(tab, dialog, 'Create tier', 'ConsoleCreateTier');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    const [{ moved }] = await t.sql<{ moved: number }>(`select (details->>'customersMoved')::int as moved from audit_entry where action = 'createTier' and details->>'code' = 'B325'`);
    // Preview again, the form as it was.
    await form.getByRole('button', { name: 'Preview' }).click();
    const notice = form.getByRole('status');
    await dialog.or(notice).first().waitFor();
    const [{ tiers }] = await t.sql<{ tiers: number }>(`select count(*)::int as tiers from tier where code = 'B325'`);
    expect({
      dialog: (await dialog.count()) ? await dialog.getByTestId('tier-preview').innerText() : null,
      notice: (await notice.count()) ? await notice.innerText() : null,
      tiers,
      movedSomeone: moved > 0,
    }).toEqual({
      dialog: null,
      notice: expect.stringMatching(/^Tier B325 was already created by an earlier submit whose answer was lost: nothing more was changed\. It moved \d[\d,]* customers?: .+ to B325/),
      tiers: 1,
      movedSomeone: true,
    });
  }, 120_000);
});
