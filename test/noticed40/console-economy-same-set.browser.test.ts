import { ok } from '../support/gateway.js';
import { SetEconomyRuleDocument } from '../generated/graphql.js';
import { createCurrency, uniqueCode } from '../support/program.js';
import { expectValue } from '../support/web-pages.js';
import { webGatewayPerBlock } from '../support/web-gateway.js';

/**
 * noticed-40, the console's side of sets compared in order: the economy rule form, refused
 * VERSION_CONFLICT, reads the rule again and says "It already had these values" when the rule
 * holds what it sent (an earlier submit whose answer was lost, or another operator's same set).
 * It compared the excluded SKUs and category multipliers in their order, so another operator's
 * identical rule with them listed otherwise read as a conflict to resolve.
 */
describe("noticed-40: the console's economy form, the same rule with its lists in another order", () => {
  const started = webGatewayPerBlock({ demo: true, size: 'desktop' });

  test('refused VERSION_CONFLICT by a rule with the same SKUs and multipliers in another order: told it already had these values', async () => {
    const { t } = started.web;
    const code = uniqueCode('ECOSET');
    await createCurrency(t, code);
    const set = (pointsPerUnit: string, excludedSkus: string[], categoryMultipliers: { category: string; multiplier: number }[]) =>
      t.gql(SetEconomyRuleDocument, { input: { currency: code, pointsPerUnit, rounding: 'FLOOR', pendingDays: 0, excludedSkus, categoryMultipliers } }, t.operatorToken);
    ok(await set('1', ['GIFTCARD', 'BAG'], [{ category: 'TEA', multiplier: 1.5 }, { category: 'COFFEE', multiplier: 2 }]));
    const page = await started.web.consoleAsOperator('Rules');
    await page.getByRole('region', { name: 'Economy rules' }).getByRole('row').filter({ hasText: code }).waitFor();
    await page.locator('#f-ecoCurrency').selectOption(code);
    await expectValue(page, '#f-categoryMultipliers', 'TEA=1.5, COFFEE=2');
    await page.locator('#f-pointsPerUnit').fill('3');
    // another operator sets the very rule this form is about to send, its lists in another order
    ok(await set('3', ['BAG', 'GIFTCARD'], [{ category: 'COFFEE', multiplier: 2 }, { category: 'TEA', multiplier: 1.5 }]));
    await page.getByRole('button', { name: 'Set economy rule' }).click();
    await page.getByRole('status').filter({ hasText: 'It already had these values' }).waitFor({ timeout: 15_000 });
    expect(await page.getByRole('alert').filter({ hasText: /edited|version/i }).count()).toBe(0);
    await page.close();
  }, 120_000);
});
