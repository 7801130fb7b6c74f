import type { Locator, Page } from 'playwright-core';
import { DEMO } from '../../src/demo/seed.js';
import { answerSuite, type AnswerTab } from '../support/answer-tabs.js';
import { until, type InPage } from '../support/web-pages.js';

const RETENTION_HOURS = 2;
const HOUR = 3_600_000;

/** KEY_EXPIRED's sentence (web/src/shared/errors.tsx) for a write whose outcome shows in `place`. */
const expiredSaying = (place: string) =>
  `This was first sent more than ${RETENTION_HOURS} hours ago and its answer never came; the server remembers a request only that long, so it can no longer be sent as the same one. ` +
  `Check ${place} before you send it again: sent now, it is a new request.`;

/**
 * apps-25, in a real Chromium against a real gateway and database (IDEMPOTENCY_RETENTION_HOURS=2):
 * the apps age a kept idempotency key by the gateway's clock (its answers' `Date`), not by the
 * device's, whose owner may set it back (a key then outlived the gateway's retention and was sent
 * as "the same request") or forward (a key the gateway still held was dropped, and the resend was a
 * new purchase); and a console form's kept submit past the retention names where to check. The
 * device's clock is Playwright's: `setSystemTime` sets it as its owner would (the time the page has
 * run, `performance.now()`, goes on), `fastForward` lets time pass; the gateway's is the test's.
 */
describe("kept keys by the gateway's clock; the console's keyed forms name where to check (apps-25)", () => {
  const { stack, staff, purchaseAnswerLost, purchasesOf, newMember, consoleTab, consoleAdjust, adjustmentLost, adjustKeys } = answerSuite({ IDEMPOTENCY_RETENTION_HOURS: String(RETENTION_HOURS) });
  afterEach(() => stack().t.clock.reset());

  /** The device's clock set `ms` from where it reads (negative: back), as its owner sets it. */
  const setDeviceClock = async (page: Page, ms: number) => page.clock.setSystemTime((await page.evaluate(() => Date.now())) + ms);

  /** A purchase whose answer was lost, its dialog cancelled, nothing held any more; the offer's name. */
  const lostPurchase = async () => {
    const lost = await purchaseAnswerLost();
    const name = (await lost.dialog.getByRole('heading').innerText()).replace(/^Buy “|”\?$/g, '');
    await lost.dialog.getByRole('button', { name: 'Cancel' }).click();
    await lost.dialog.waitFor({ state: 'detached' });
    lost.tab.hold.clear();
    lost.tab.lose = false;
    return { ...lost, name };
  };

  /** Buy and Confirm on `listing` again; then what the member is shown: the dialog's alert, or the store's notice once it closed. */
  const buyAgain = async (tab: AnswerTab, listing: Locator, dialog: Locator) => {
    await listing.getByRole('button', { name: /^Buy/ }).click();
    await dialog.getByRole('button', { name: 'Confirm purchase' }).click();
    const alert = dialog.getByRole('alert');
    const notice = tab.page.getByRole('status').filter({ hasText: 'bought' });
    await alert.or(notice).first().waitFor();
    return {
      alert: (await alert.count()) ? await alert.locator('p').first().innerText() : null,
      notice: (await notice.count()) ? await notice.innerText() : null,
    };
  };

  test("a device clock set back: three hours on, by the gateway's clock the purchase key has outlived the retention, and it is not sent as the same request", async () => {
    const { member, tab, listing, price, dialog, name } = await lostPurchase();
    // Three hours pass, for the gateway and the device; then the device's clock is set back two
    // hours, so by it the purchase was sent an hour ago.
    stack().t.clock.advance(3 * HOUR);
    await tab.page.clock.fastForward(3 * HOUR);
    await setDeviceClock(tab.page, -2 * HOUR);
    expect({ ...(await buyAgain(tab, listing, dialog)), purchases: await purchasesOf(tab, member) }).toEqual({
      alert: expiredSaying(`your Wallet for “${name}”`),
      notice: null,
      purchases: { keys: 1, sends: 1, available: 500 - price },
    });
  }, 120_000);

  test("a device clock set forward: minutes on by the gateway's clock, the purchase key is still the same request, and the gateway answers the first purchase", async () => {
    const { member, tab, listing, price, dialog, name } = await lostPurchase();
    // By the gateway only minutes passed; the device's clock is set three hours forward.
    await setDeviceClock(tab.page, 3 * HOUR);
    expect({ ...(await buyAgain(tab, listing, dialog)), purchases: await purchasesOf(tab, member) }).toEqual({
      alert: null,
      notice: expect.stringMatching(new RegExp(`^You had already bought “${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}” on .+: that first try went through, so nothing more was spent\\.`)),
      purchases: { keys: 1, sends: 2, available: 500 - price },
    });
  }, 120_000);

  test("a console adjustment kept past the gateway's retention names where to check: the customer's Ledger", async () => {
    const member = await newMember();
    const tab = await consoleTab();
    const form = await consoleAdjust(tab, member, 'apps-25 goodwill');
    await adjustmentLost(tab, form);
    stack().t.clock.advance(3 * HOUR);
    await tab.page.clock.fastForward(3 * HOUR);
    await form.getByRole('button', { name: 'Adjust points' }).click();
    const expired = form.getByRole('alert').filter({ hasText: 'first sent more than' });
    await expired.waitFor();
    expect({ alert: await expired.locator('p').first().innerText(), sends: adjustKeys(tab).length }).toEqual({
      alert: expiredSaying('the Ledger below after reloading the page (an adjustment shows there with its reason)'),
      sends: 1,
    });
  }, 120_000);

  // Last: the tier it adds stays on the stack's ladder.
  test("an operator previews a new tier's moves (nothing written), confirms, and the tier is created with those moves", async () => {
    const { t } = stack();
    // A member over the new tier's threshold: on GOLD now, on PLATINUM once it is added.
    const member = await newMember();
    await staff(`mutation($input: AdjustPointsInput!) { adjustPoints(input: $input) { userErrors { code } } }`, {
      customerExternalId: member,
      currency: DEMO.currency,
      amount: 2_500,
      reason: 'apps-25 tier',
      qualifying: true,
      idempotencyKey: `tier-${member}`,
    });
    const input = { currency: DEMO.currency, code: 'PLATINUM', name: 'Platinum', rank: 3, threshold: 2_000, windowDays: null, multiplier: 1 };
    type Dry = { createTier: { customersMoved: number; moves: { from: string | null; to: string | null; customers: number }[] } };
    const dry = ((await staff(`mutation($input: CreateTierInput!) { createTier(input: $input) { customersMoved moves { from to customers } } }`, { ...input, dryRun: true })) as Dry).createTier;
    const moved = `${dry.customersMoved} customer${dry.customersMoved === 1 ? '' : 's'}: ${dry.moves.map((m) => `${m.customers} customer${m.customers === 1 ? '' : 's'} from ${m.from ?? 'no tier'} to ${m.to ?? 'no tier'}`).join('; ')}`;
    const tiersNamed = async () => (await t.sql<{ n: number }>(`select count(*)::int as n from tier where code = 'PLATINUM'`))[0].n;
    const tierOf = async () => (await t.sql<{ code: string | null }>(`select t.code from customer c left join tier t on t.id = c.tier_id where c.external_id = $1`, [member]))[0].code;

    const tab = await consoleTab();
    await tab.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Rules', exact: true }).click();
    const form = tab.page.getByRole('region', { name: 'Add a tier' });
    await form.getByLabel('Code (capital letters, digits or _)').fill(input.code);
    await form.getByLabel('Name').fill(input.name);
    await form.getByLabel('Rank (higher is better)').fill(String(input.rank));
    await form.getByLabel('Qualifying points').fill(String(input.threshold));
    const dialog = tab.page.getByRole('dialog', { name: 'Create tier “Platinum” (PLATINUM)?' });
    // Cancelled: nothing sent but the preview, the focus back on Preview.
    await form.getByRole('button', { name: 'Preview' }).click();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    await until(async () => (await tab.page.evaluate(() => (globalThis as InPage).document.activeElement?.textContent)) === 'Preview', 'the focus back on Preview');
    await form.getByRole('button', { name: 'Preview' }).click();
    await dialog.waitFor();
    // The demo's "Gold lounge" lists GOLD only: the members moved up would be out of it (newcomer-37, tier-access-38).
    const fromGold = dry.moves.filter((m) => m.from === 'GOLD' && m.to === 'PLATINUM').reduce((n, m) => n + m.customers, 0);
    const remedy = "To keep them: edit the store's tiers on the Stores page to list the new tier too; a campaign's tiers cannot be edited, so create one listing it too (the old one can be ended).";
    const lost = `Tier lists match exactly: store “Gold lounge” (GOLD) would lose ${fromGold} customer${fromGold === 1 ? '' : 's'}. ${remedy}`;
    // once created, the notice says it happened (newcomer-38: "would lose" after the creation)
    const lostDone = `Tier lists match exactly: store “Gold lounge” (GOLD) lost ${fromGold} customer${fromGold === 1 ? '' : 's'}. ${remedy}`;
    expect({
      preview: await dialog.getByTestId('tier-preview').innerText(),
      lost: await dialog.getByTestId('tier-access-lost').innerText(),
      tiers: await tiersNamed(),
      memberTier: await tierOf(),
      movedSomeone: dry.moves.some((m) => m.from === 'GOLD' && m.to === 'PLATINUM'),
    }).toEqual({
      preview: `Adding it moves ${moved}.`,
      lost,
      tiers: 0,
      memberTier: 'GOLD',
      movedSomeone: true,
    });

    await dialog.getByRole('button', { name: 'Create tier' }).click();
    const notice = form.getByRole('status');
    await notice.waitFor();
    const [{ audits }] = await t.sql<{ audits: number }>(`select count(*)::int as audits from audit_entry where action = 'createTier' and details->>'code' = 'PLATINUM'`);
    expect({
      notice: await notice.innerText(),
      sends: tab.sent.filter((s) => s.operationName === 'ConsoleCreateTier').map((s) => (s.variables.input as { dryRun?: boolean }).dryRun ?? false),
      tiers: await tiersNamed(),
      memberTier: await tierOf(),
      audits,
      dialog: await dialog.count(),
    }).toEqual({
      notice: `Created tier “Platinum” (PLATINUM): it moved ${moved}. ${lostDone}`,
      sends: [true, true, false],
      tiers: 1,
      memberTier: 'PLATINUM',
      audits: 1,
      dialog: 0,
    });
    await tab.page.getByRole('region', { name: 'Currencies and tiers' }).getByText(/Platinum \(\w+\) from 2.?000/).waitFor();
  }, 120_000);
});
