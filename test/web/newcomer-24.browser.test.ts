import type { Page } from 'playwright-core';
import { DEMO } from '../../src/demo/seed.js';
import { seriousViolations } from '../support/browser.js';
import type { InPage } from '../support/web-pages.js';
import { webGatewayPerBlock } from '../support/web-gateway.js';

/**
 * What a newcomer saw of empty lists (newcomer-24), in a real Chromium against a started gateway
 * with the apps' trusted documents only. A new member's Point history, a new customer's Ledger and
 * Wallet in the console, and the Webhooks page before any endpoint was registered were each a row
 * of column headers and nothing under them: read as a page still loading or broken, and the
 * Webhooks page said nowhere how an endpoint gets there (the console registers none). The Rules
 * page showed the demo's point value as "0.010000 EUR" where the operator set "0.01". An operator
 * debiting a customer more than the balance was told "You do not have enough points for this.", and
 * one typing 99999999999 points got the API's raw coercion text.
 */
describe('empty lists say so, a staff debit is told as such, a number past Int is stopped (newcomer-24)', () => {
  const started = webGatewayPerBlock({ demo: true, size: 'desktop' });

  /** The text of the table labelled `label` on `page`, once it shows, and of its empty-state cell (null when it has none). */
  async function table(page: Page, label: string) {
    const region = page.getByRole('region', { name: label, exact: true });
    await region.waitFor();
    const empty = region.getByTestId('table-empty');
    return (await empty.count()) ? await empty.innerText() : null;
  }

  test("a new member's point history says nothing moved yet", async () => {
    const page = await started.web.context.newPage();
    await page.goto(`/#token=${await started.web.t.customerToken(DEMO.customers.carol)}`);
    await page.getByTestId('tier').waitFor();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'History' }).click();
    await page.getByRole('heading', { level: 1, name: 'Point history' }).waitFor();
    expect(await table(page, 'Point history')).toBe('No points yet: what you earn at the till and spend on rewards is listed here.');
    expect(await seriousViolations(page)).toEqual([]);
  }, 60_000);

  test("a new customer's ledger and wallet in the console say they are empty; one with movements has no such line", async () => {
    const page = await started.web.consoleAsOperator('Customers');
    const find = async (id: string) => {
      await page.getByLabel('Email, name or customer id').fill(id);
      await page.getByRole('button', { name: 'Find' }).click();
    };
    await find(DEMO.customers.carol);
    await page.getByRole('heading', { name: 'Carol Nguyen' }).waitFor();
    const carol = { ledger: await table(page, 'Ledger'), wallet: await table(page, 'Wallet') };
    expect(await seriousViolations(page)).toEqual([]);
    await find(DEMO.customers.bob);
    await page.getByRole('heading', { name: 'Bob Okafor' }).waitFor();
    const bob = { ledger: await table(page, 'Ledger') };
    expect({ carol, bob }).toEqual({
      carol: { ledger: 'No points have moved for this customer yet.', wallet: "This customer's wallet is empty: offers bought, claimed or awarded show here." },
      bob: { ledger: null },
    });
  }, 60_000);

  test('the Webhooks page with no endpoint says how one is registered', async () => {
    const page = await started.web.consoleAsOperator('Webhooks');
    expect(await table(page, 'Webhook endpoints')).toBe(
      "No endpoint is registered: register one below (a partner with the webhooks:manage scope may register its own through the API: README, Webhooks).",
    );
    expect(await seriousViolations(page)).toEqual([]);
  }, 60_000);

  test('the Rules page shows a point value as the operator set it, and its filled tables no empty line', async () => {
    const page = await started.web.consoleAsOperator('Rules');
    const currencies = page.getByRole('region', { name: 'Currencies and tiers' });
    await currencies.getByRole('row').filter({ hasText: 'BEANS' }).waitFor();
    expect(await currencies.getByRole('row').filter({ hasText: 'BEANS' }).getByRole('cell').nth(1).innerText()).toBe('0.01 EUR');
    expect(await page.getByTestId('table-empty').count()).toBe(0);
  }, 60_000);

  test("an operator's debit past the balance names the shortfall, not \"You\"; a number past Int is stopped by the form", async () => {
    const page = await started.web.consoleAsOperator('Customers');
    await page.getByLabel('Email, name or customer id').fill(DEMO.customers.carol);
    await page.getByRole('button', { name: 'Find' }).click();
    await page.getByRole('heading', { name: 'Carol Nguyen' }).waitFor();
    const form = page.getByRole('region', { name: 'Adjust points' });
    await form.getByLabel('Points (negative to debit)').fill('-5');
    await form.getByLabel(/Reason/).fill('newcomer-24 debit');
    await form.getByRole('button', { name: 'Adjust points' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    const debit = await alert.innerText();
    await form.getByLabel('Points (negative to debit)').fill('99999999999');
    await form.getByRole('button', { name: 'Adjust points' }).click();
    const overflow = await form.getByLabel('Points (negative to debit)').evaluate((input) => (input as InPage).validity.rangeOverflow as boolean);
    expect({ debit, overflow, alerts: await page.getByRole('alert').allInnerTexts() }).toEqual({
      debit: 'The balance is too low for this. Not enough BEANS points for this: 5 more needed.',
      overflow: true,
      // the form was not sent: the debit's alert is still the only one
      alerts: ['The balance is too low for this. Not enough BEANS points for this: 5 more needed.'],
    });
  }, 60_000);
});
