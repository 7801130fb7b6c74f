import { ok } from '../support/gateway.js';
import { SetActivityRuleDocument, SetEconomyRuleDocument } from '../generated/graphql.js';
import { createCurrency, unique } from '../support/program.js';
import { expectValue } from '../support/web-pages.js';
import { webGatewayPerBlock } from '../support/web-gateway.js';

/**
 * break33 (rules): the console's "Set the economy rule" and "Set an activity rule" forms set a whole
 * rule. The first had no field for the category multipliers and sent none, so every save wiped the
 * COFFEE ×2 the table above showed; the second had Active ticked, so an operator retyping the points
 * from the table switched back on a rule another operator had switched off. The forms now start
 * from the chosen rule, every field, and send the version they were filled from: a save after
 * another operator's is refused VERSION_CONFLICT and the form shows theirs.
 */
describe('console Rules: the rule forms set what the operator read, and nothing older', () => {
  const started = webGatewayPerBlock({ demo: true, size: 'desktop' });
  const newCurrency = async (prefix: string) => {
    const code = unique(prefix).toUpperCase().replace(/[^A-Z0-9]/g, '_').slice(0, 20);
    await createCurrency(started.web.t, code);
    return code;
  };
  const economyNow = async (code: string) =>
    (await started.web.t.sql<{ version: number; points_per_unit: string; category_multipliers: unknown; excluded_skus: string[] }>(`select version, points_per_unit::text, category_multipliers, excluded_skus from economy_rule where currency_code = $1`, [code]))[0];
  const activityNow = async (code: string) =>
    (await started.web.t.sql<{ version: number; points: number; active: boolean }>(`select version, points::int, active from activity_rule where currency_code = $1 and kind = 'REVIEW'`, [code]))[0];

  test('Set the economy rule keeps the category multipliers the table shows', async () => {
    const { t } = started.web;
    const code = await newCurrency('EC');
    ok(await t.gql(SetEconomyRuleDocument, { input: { currency: code, pointsPerUnit: '1', categoryMultipliers: [{ category: 'COFFEE', multiplier: 2 }], excludedSkus: ['GIFTCARD'] } }, t.operatorToken));
    const page = await started.web.consoleAsOperator('Rules');
    const row = page.getByRole('region', { name: 'Economy rules' }).getByRole('row').filter({ hasText: code });
    await row.filter({ hasText: 'COFFEE ×2' }).waitFor();
    // the operator raises the points per unit, keeping what they read (rounding, the excluded SKU)
    await page.locator('#f-ecoCurrency').selectOption(code);
    await expectValue(page, '#f-categoryMultipliers', 'COFFEE=2');
    await page.locator('#f-pointsPerUnit').fill('2');
    await page.locator('#f-excludedSkus').fill('GIFTCARD');
    await page.getByRole('button', { name: 'Set economy rule' }).click();
    await page.getByRole('status').filter({ hasText: `${code}:` }).waitFor();
    expect({
      rowAfter: await row.textContent().then((s) => s?.includes('COFFEE ×2')),
      rule: await economyNow(code),
    }).toEqual({
      rowAfter: true,
      rule: { version: 2, points_per_unit: '2.0000', category_multipliers: [{ category: 'COFFEE', multiplier: 2 }], excluded_skus: ['GIFTCARD'] },
    });
    // the form now starts from version 2, on the currency chosen
    expect(await page.locator('#f-ecoCurrency').inputValue()).toBe(code);
    await expectValue(page, '#f-pointsPerUnit', '2.0000');

    // a multiplier changed in the form is set; a text that is not CATEGORY=MULTIPLIER is refused in place, nothing sent
    await page.locator('#f-categoryMultipliers').fill('COFFEE=2, tea=lots');
    await page.getByText('The multiplier of tea is a number from 0 to 100').waitFor();
    await page.getByRole('button', { name: 'Set economy rule' }).click();
    await page.waitForTimeout(500);
    expect(await economyNow(code)).toMatchObject({ version: 2 });
    await page.locator('#f-categoryMultipliers').fill('COFFEE=2, TEA=1.5');
    await page.getByRole('button', { name: 'Set economy rule' }).click();
    await page.getByRole('status').filter({ hasText: 'TEA=1.5 (version 3)' }).waitFor();
    expect(await economyNow(code)).toMatchObject({ version: 3, category_multipliers: [{ category: 'COFFEE', multiplier: 2 }, { category: 'TEA', multiplier: 1.5 }] });
    await page.close();
  }, 120_000);

  test('Set an activity rule from the table read before another operator switched the rule off: refused, and the form then shows it inactive', async () => {
    const { t } = started.web;
    const code = await newCurrency('AC');
    ok(await t.gql(SetActivityRuleDocument, { input: { currency: code, kind: 'REVIEW', points: 10, capPerPeriod: 5, periodDays: 30 } }, t.operatorToken));
    const page = await started.web.consoleAsOperator('Rules');
    await page.getByRole('region', { name: 'Activity rules' }).getByRole('row').filter({ hasText: code }).filter({ hasText: '5 per 30 days' }).waitFor();
    // another operator switches the rule off (abuse of reviews, say)
    ok(await t.gql(SetActivityRuleDocument, { input: { currency: code, kind: 'REVIEW', points: 10, capPerPeriod: 5, periodDays: 30, active: false } }, t.operatorToken));
    // this operator, from the table they read (active, 5 per 30 days), raises the points
    await page.locator('#f-activityCurrency').selectOption(code);
    await page.locator('#f-activityKind').selectOption('REVIEW');
    await page.locator('#f-activityPoints').fill('20');
    await page.locator('#f-capPerPeriod').fill('5');
    await page.locator('#f-periodDays').fill('30');
    await page.getByRole('button', { name: 'Set activity rule' }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'Someone else saved a change' });
    await alert.waitFor();
    expect(await alert.getAttribute('data-code')).toBe('VERSION_CONFLICT');
    expect(await activityNow(code)).toEqual({ version: 2, points: 10, active: false });

    // the form now shows the rule as it is: switched off, 10 points
    await page.waitForFunction(() => (globalThis as unknown as { document: { querySelector(q: string): { checked: boolean } | null } }).document.querySelector('#f-activityActive')?.checked === false, undefined, { timeout: 15_000 });
    await expectValue(page, '#f-activityPoints', '10');
    // the same change made again keeps it off
    await page.locator('#f-activityPoints').fill('20');
    await page.getByRole('button', { name: 'Set activity rule' }).click();
    await page.getByRole('status').filter({ hasText: 'inactive (version 3)' }).waitFor();
    expect(await activityNow(code)).toEqual({ version: 3, points: 20, active: false });
    await page.close();
  }, 120_000);

  test('what the operator typed stays when the rules are read again; a newer version is said, and loaded only when asked', async () => {
    const { t } = started.web;
    const code = await newCurrency('BG');
    const other = await newCurrency('BO');
    ok(await t.gql(SetEconomyRuleDocument, { input: { currency: code, pointsPerUnit: '1', categoryMultipliers: [{ category: 'COFFEE', multiplier: 2 }] } }, t.operatorToken));
    const page = await started.web.consoleAsOperator('Rules');
    await page.getByRole('region', { name: 'Economy rules' }).getByRole('row').filter({ hasText: code }).waitFor();
    await page.locator('#f-ecoCurrency').selectOption(code);
    await expectValue(page, '#f-categoryMultipliers', 'COFFEE=2');
    await page.locator('#f-pointsPerUnit').fill('7');
    // meanwhile another operator sets the rule
    ok(await t.gql(SetEconomyRuleDocument, { input: { currency: code, pointsPerUnit: '3', categoryMultipliers: [{ category: 'COFFEE', multiplier: 4 }] } }, t.operatorToken));
    // this operator sets an activity rule in the form beside, whose save reads the rules again
    await page.locator('#f-activityCurrency').selectOption(other);
    await page.locator('#f-activityKind').selectOption('SURVEY');
    await page.locator('#f-activityPoints').fill('5');
    await page.getByRole('button', { name: 'Set activity rule' }).click();
    await page.getByRole('status').filter({ hasText: 'Activity rule set' }).waitFor();
    const changed = page.getByTestId('rule-changed');
    await changed.filter({ hasText: 'it is now version 2' }).waitFor();
    expect(await changed.textContent()).toContain('saving this form will be refused');
    expect(await page.locator('#f-pointsPerUnit').inputValue()).toBe('7');
    expect(await page.locator('#f-categoryMultipliers').inputValue()).toBe('COFFEE=2');
    await changed.getByRole('button', { name: 'Load version 2' }).click();
    await expectValue(page, '#f-categoryMultipliers', 'COFFEE=4');
    await expectValue(page, '#f-pointsPerUnit', '3.0000');
    expect(await changed.count()).toBe(0);
    await page.close();
  }, 120_000);
});
