import type { Page } from 'playwright-core';
import { DEMO, demoPartnerKey } from '../../src/demo/seed.js';
import { fromGlobalId } from '../../src/graphql/ids.js';
import { isoDay } from '../../src/rules/earning.js';
import { SubmitTransactionDocument } from '../generated/graphql.js';
import { seriousViolations } from '../support/browser.js';
import { ok } from '../support/gateway.js';
import { eventually, unique } from '../support/program.js';
import { webGatewayPerBlock } from '../support/web-gateway.js';
import { until, type InPage } from '../support/web-pages.js';

const DAY_MS = 86_400_000;
const DAY_NAMES = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const SHORT_DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/** `instant` as a till at `offsetHours` east of UTC writes it: its own wall clock and offset ("2026-12-05T06:40:00.000+14:00"). */
const writtenAt = (instant: Date, offsetHours: number) => {
  const wall = new Date(instant.getTime() + offsetHours * 3_600_000).toISOString().slice(0, 23);
  return `${wall}${offsetHours < 0 ? '-' : '+'}${String(Math.abs(offsetHours)).padStart(2, '0')}:00`;
};

type Award = { kind: string; points: number; rule: string; offer: { name: string } | null };
const TRANSACTION = `query($externalId: String!) { transaction(externalId: $externalId) { status awards { kind points rule offer { name } } } }`;
const CAMPAIGNS = `{ campaigns { id name bonusPoints multiplier conditions { minSpend skus categories channels tiers segments firstPurchase daysOfWeek } offer { name } } }`;

/**
 * campaign-form-39, in a real Chromium on a started gateway with the demo program and the apps'
 * trusted documents only: the console's "Create a campaign" offered only bonus points and a limit
 * per member, so an operator could set neither a campaign's conditions, nor a multiplier, nor an
 * offer as its outcome (only the API could). The form now takes the whole campaign; what it sent
 * reads back in its notice, the Campaigns table's "Applies to" and the API, and a sale at the till
 * earns as the conditions say.
 */
describe("the console's campaign form takes the API's whole campaign (campaign-form-39)", () => {
  const started = webGatewayPerBlock({ demo: true, size: 'desktop' });

  /** A sale at the demo till for `customer` of one line, sent and waited for until processed; its awards. */
  const sale = async (customer: string, line: { sku: string; category: string; unitPrice: string }, occurredAt: string, channel = 'STORE'): Promise<Award[]> => {
    const { t } = started.web;
    const externalId = unique('campaign-form-sale');
    const input = { externalId, customerExternalId: customer, channel, occurredAt, currency: 'EUR', lines: [{ ...line, quantity: 1 }] };
    ok(await t.gql(SubmitTransactionDocument, { input }, { apiKey: demoPartnerKey(t.config) }));
    return eventually(async () => {
      const read = ok(await t.gql<{ transaction: { status: string; awards: Award[] } }, object>(TRANSACTION, { externalId }, t.operatorToken));
      return read.transaction.status === 'PROCESSED' ? read.transaction.awards : null;
    }, 20_000);
  };

  /** The form's days: its first UTC day yesterday, its last a week on, so a sale now is in it whatever the hour. */
  const fillWindow = async (form: ReturnType<Page['getByRole']>) => {
    const now = started.web.t.clock.now().getTime();
    await form.getByLabel('Starts (UTC)').fill(new Date(now - DAY_MS).toISOString().slice(0, 10));
    await form.getByLabel('Last day (UTC)').fill(new Date(now + 7 * DAY_MS).toISOString().slice(0, 10));
  };

  const campaignsRead = async () => {
    const { t } = started.web;
    return ok(await t.gql<{ campaigns: { id: string; name: string; bonusPoints: number | null; multiplier: number | null; conditions: Record<string, unknown>; offer: { name: string } | null }[] }, object>(CAMPAIGNS, {}, t.operatorToken)).campaigns;
  };

  test('conditions and a multiplier: chosen by keyboard, read back in the notice, the table and the API, and a sale at the till earns as they say', async () => {
    const { t } = started.web;
    const page = await started.web.consoleAsOperator('Rules');
    const form = page.getByRole('region', { name: 'Create a campaign' });
    const name = unique('Regulars double');
    // the sales below happen a minute ago at a till 14 hours east of UTC: the campaign's day is that till's
    const soldAt = new Date(t.clock.now().getTime() - 60_000);
    const tillDay = isoDay(soldAt, 14 * 60);

    await form.getByLabel('Name').fill(name);
    await fillWindow(form);
    // the outcome is a choice of radio buttons in a group: the arrow key moves from bonus points to the multiplier
    const outcome = form.getByRole('group', { name: 'Outcome (choose one)' });
    await outcome.getByRole('radio', { name: 'Bonus points' }).focus();
    await page.keyboard.press('ArrowDown');
    expect(await outcome.getByRole('radio', { name: 'Multiplier' }).isChecked()).toBe(true);
    expect(await form.getByLabel('Bonus points per sale').count()).toBe(0);
    await form.getByLabel("Multiplier of the sale's points").fill('2');

    const conditions = form.getByRole('group', { name: /^Conditions/ });
    // the minimum spend is in the money of the chosen currency (BEANS: EUR), with that money's decimals
    const minSpend = conditions.getByLabel('Minimum spend in EUR (empty: any)');
    expect(await page.locator(`#${await minSpend.getAttribute('aria-describedby')}`).innerText()).toBe(
      'What the member paid after discounts, in EUR, the money of BEANS, which has 2 decimals: 25.50 is €25.50. Written with a point, no sign or symbol; a finer amount is rounded up (25.501 needs €25.51).',
    );
    await minSpend.fill('5.00');
    await conditions.getByLabel(/^Categories/).fill('COFFEE');
    await conditions.getByLabel(/^SKUs/).fill('LATTE');
    await conditions.getByLabel(/^Channels/).fill('STORE');
    const tiers = conditions.getByLabel(/^Tiers/);
    expect(await page.locator(`#${await tiers.getAttribute('aria-describedby')}`).innerText()).toBe(
      "The member's tier is exactly one of these codes: a higher tier is not included, so list each tier meant. BEANS's tiers: GREEN, GOLD.",
    );
    await tiers.fill('GOLD');
    await conditions.getByLabel(/^Segments/).fill('regulars');
    const days = conditions.getByRole('group', { name: "Days of the week (the till's day; none ticked: every day)" });
    await days.getByRole('checkbox', { name: DAY_NAMES[tillDay - 1], exact: true }).check();
    await form.getByLabel('At most per member').fill('5');
    await form.getByLabel(/^Budget in points/).fill('10000');
    expect(await seriousViolations(page)).toEqual([]);

    await form.getByRole('button', { name: 'Create campaign' }).click();
    const notice = form.getByRole('status').filter({ hasText: 'Campaign created.' });
    await notice.waitFor();
    const applies = `${SHORT_DAYS[tillDay - 1]} (till's day) · spend ≥ €5.00 · tier GOLD · segment regulars · channel STORE · category COFFEE · SKU LATTE`;
    expect(await notice.innerText()).toBe(`Campaign created. “${name}”: ×2; applies to ${applies}.`);
    // the form starts again: bonus points chosen, no condition set
    expect(await form.getByRole('radio', { name: 'Bonus points' }).isChecked()).toBe(true);
    expect(await conditions.getByLabel(/^Tiers/).inputValue()).toBe('');
    // the Campaigns table reads it back
    const row = page.getByRole('region', { name: 'Campaigns', exact: true }).getByRole('row').filter({ has: page.getByRole('cell', { name, exact: true }) });
    await row.waitFor();
    expect((await row.locator('td').allInnerTexts()).slice(2, 6)).toEqual([applies, '×2', '5 per member, budget 10,000', '0 BEANS']);
    // and so does the API
    const stored = (await campaignsRead()).find((c) => c.name === name)!;
    expect(stored).toMatchObject({
      bonusPoints: null,
      multiplier: 2,
      offer: null,
      conditions: { minSpend: '5.00', skus: ['LATTE'], categories: ['COFFEE'], channels: ['STORE'], tiers: ['GOLD'], segments: ['regulars'], firstPurchase: false, daysOfWeek: [tillDay] },
    });

    // Bob (GOLD, in segment regulars) at the till: the campaign doubles what the economy rule gave (his ×1.5 in it)
    const rule = `campaign:${fromGlobalId(stored.id, 'Campaign', 'id')}:${name}`;
    const latte = (unitPrice: string) => ({ sku: 'LATTE', category: 'COFFEE', unitPrice });
    const ours = (awards: Award[]) => awards.filter((a) => a.rule === rule).map((a) => a.points);
    const earned = await sale(DEMO.customers.bob, latte('6.00'), writtenAt(soldAt, 14));
    expect(earned.find((a) => a.rule === 'economy:BEANS')?.points).toBe(90);
    expect(ours(earned)).toEqual([90]);
    // the same instant at a till 12 hours west of UTC is another day there: nothing from it
    expect(ours(await sale(DEMO.customers.bob, latte('6.00'), writtenAt(soldAt, -12)))).toEqual([]);
    // below the minimum spend, on another channel, or by a member of no listed tier: nothing from it
    expect(ours(await sale(DEMO.customers.bob, latte('4.99'), writtenAt(soldAt, 14)))).toEqual([]);
    expect(ours(await sale(DEMO.customers.bob, latte('6.00'), writtenAt(soldAt, 14), 'APP'))).toEqual([]);
    expect(ours(await sale(DEMO.customers.alice, latte('6.00'), writtenAt(soldAt, 14)))).toEqual([]);
    await page.close();
  }, 120_000);

  test("an offer as the outcome, picked from the page's offers: it reads back, and the member's first sale is awarded it, the next is not", async () => {
    const { t } = started.web;
    const page = await started.web.consoleAsOperator('Rules');
    const form = page.getByRole('region', { name: 'Create a campaign' });
    const name = unique('Welcome latte');
    await form.getByLabel('Name').fill(name);
    await fillWindow(form);
    await form.getByRole('radio', { name: 'An offer' }).check();
    await form.getByLabel('Offer to award').selectOption({ label: 'Free large latte' });
    await form.getByLabel("Only a member's first sale").check();
    await form.getByLabel(/^Channels/).fill('STORE, "DRIVE, THRU"');
    expect(await seriousViolations(page)).toEqual([]);
    await form.getByRole('button', { name: 'Create campaign' }).click();
    const notice = form.getByRole('status').filter({ hasText: 'Campaign created.' });
    await notice.waitFor();
    const applies = 'first sale only · channels STORE, "DRIVE, THRU"'; // quoted as the form takes it back (hostile39d)
    expect(await notice.innerText()).toBe(`Campaign created. “${name}”: offer Free large latte; applies to ${applies}.`);
    const row = page.getByRole('region', { name: 'Campaigns', exact: true }).getByRole('row').filter({ has: page.getByRole('cell', { name, exact: true }) });
    await row.waitFor();
    expect((await row.locator('td').allInnerTexts()).slice(2, 5)).toEqual([applies, 'offer Free large latte', '—']);
    expect((await campaignsRead()).find((c) => c.name === name)).toMatchObject({
      bonusPoints: null,
      multiplier: null,
      offer: { name: 'Free large latte' },
      conditions: { minSpend: null, channels: ['STORE', 'DRIVE, THRU'], firstPurchase: true, tiers: [], daysOfWeek: [] },
    });

    // Carol has made no sale yet: her first earns the offer; her second does not
    const offersOf = (awards: Award[]) => awards.filter((a) => a.rule.endsWith(`:${name}`)).map((a) => [a.kind, a.offer?.name]);
    const muffin = { sku: 'MUFFIN', category: 'PASTRY', unitPrice: '2.80' };
    expect(offersOf(await sale(DEMO.customers.carol, muffin, t.clock.now().toISOString()))).toEqual([['OFFER', 'Free large latte']]);
    expect(offersOf(await sale(DEMO.customers.carol, muffin, t.clock.now().toISOString()))).toEqual([]);
    await page.close();
  }, 120_000);

  test("the API's refusal shows as the other forms' do (a tier the ladder has not: NOT_FOUND), nothing is created, and the form keeps what was typed", async () => {
    const { t } = started.web;
    const page = await started.web.consoleAsOperator('Rules');
    const form = page.getByRole('region', { name: 'Create a campaign' });
    const name = unique('Platinum only');
    await form.getByLabel('Name').fill(name);
    await fillWindow(form);
    await form.getByLabel('Bonus points per sale').fill('40');
    await form.getByLabel(/^Tiers/).fill('GOLD, PLATINUM');
    await form.getByRole('button', { name: 'Create campaign' }).click();
    const alert = form.getByRole('alert');
    await alert.waitFor();
    expect(await alert.innerText()).toBe('That could not be found. It may have been removed. No tier PLATINUM.');
    expect(await alert.getAttribute('data-code')).toBe('NOT_FOUND');
    expect(await t.sql(`select id from campaign where name = $1`, [name])).toEqual([]);
    expect(await form.getByLabel(/^Tiers/).inputValue()).toBe('GOLD, PLATINUM');
    // the submit button has the focus back (ActionForm), and the form is sent again from the keyboard once mended
    await until(async () => (await page.evaluate(() => (globalThis as InPage).document.activeElement?.textContent)) === 'Create campaign', 'the focus back on Create campaign');
    await form.getByLabel(/^Tiers/).fill('GOLD');
    await form.getByLabel(/^Tiers/).press('Enter');
    await form.getByRole('status').filter({ hasText: `“${name}”: +40 BEANS; applies to tier GOLD.` }).waitFor();
    expect(await t.sql(`select tiers from campaign where name = $1`, [name])).toEqual([{ tiers: ['GOLD'] }]);
    await page.close();
  }, 90_000);
});
