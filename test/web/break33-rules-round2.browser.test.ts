import { ok } from '../support/gateway.js';
import { SetEconomyRuleDocument } from '../generated/graphql.js';
import { createCurrency, unique } from '../support/program.js';
import { expectValue } from '../support/web-pages.js';
import { webGatewayPerBlock } from '../support/web-gateway.js';

/**
 * break33 (rules), hostile round 2: the console's "Set the economy rule" form starts from the rule
 * as read and must send back every field the operator did not touch as the API holds it. What the
 * API accepts and stores as typed (a category or SKU with a comma in it, a multiplier JavaScript
 * prints in exponent form) must survive a save that only changes the points per unit.
 */
describe('console Rules, round 2: the economy form sends back what it read', () => {
  const started = webGatewayPerBlock({ demo: true, size: 'desktop' });
  const newCurrency = async (prefix: string) => {
    const code = unique(prefix).toUpperCase().replace(/[^A-Z0-9]/g, '_').slice(0, 20);
    await createCurrency(started.web.t, code);
    return code;
  };
  const economyNow = async (code: string) =>
    (await started.web.t.sql<{ version: number; points_per_unit: string; category_multipliers: unknown; excluded_skus: string[] }>(
      `select version, points_per_unit::text, category_multipliers, excluded_skus from economy_rule where currency_code = $1`,
      [code],
    ))[0];

  /** Opens Rules, chooses the currency in the economy form, waits for the multipliers text to read `shown`, sets the points per unit and saves. */
  const raisePoints = async (code: string, shown: string, points: string) => {
    const page = await started.web.consoleAsOperator('Rules');
    await page.getByRole('region', { name: 'Economy rules' }).getByRole('row').filter({ hasText: code }).waitFor();
    await page.locator('#f-ecoCurrency').selectOption(code);
    await expectValue(page, '#f-categoryMultipliers', shown);
    await page.locator('#f-pointsPerUnit').fill(points);
    await page.getByRole('button', { name: 'Set economy rule' }).click();
    // either the notice or an alert
    await Promise.race([
      page.getByRole('status').filter({ hasText: `${code}:` }).waitFor({ timeout: 15_000 }),
      page.getByRole('alert').first().waitFor({ timeout: 15_000 }),
      page.getByTestId('multipliers-error').waitFor({ timeout: 15_000 }),
    ]).catch(() => undefined);
    await page.waitForTimeout(300);
    const said = (await page.locator('[role=alert], [role=status], [data-testid=multipliers-error]').allTextContents()).join(' | ');
    return { page, said };
  };

  test('a category whose name has a comma ("BEER, WINE", accepted by the API) survives a save of the points per unit', async () => {
    const { t } = started.web;
    const code = await newCurrency('CM');
    const multipliers = [
      { category: 'BEER, WINE', multiplier: 2 },
      { category: 'COFFEE', multiplier: 3 },
    ];
    ok(await t.gql(SetEconomyRuleDocument, { input: { currency: code, pointsPerUnit: '1', categoryMultipliers: multipliers } }, t.operatorToken));
    const { page, said } = await raisePoints(code, '"BEER, WINE"=2, COFFEE=3', '2');
    expect({ said, rule: await economyNow(code) }).toEqual({
      said: expect.stringContaining(`${code}:`),
      rule: { version: 2, points_per_unit: '2.0000', category_multipliers: multipliers, excluded_skus: [] },
    });
    await page.close();
  }, 120_000);

  test('an excluded SKU whose code has a comma ("GIFT,CARD") is sent back as one SKU, not split in two', async () => {
    const { t } = started.web;
    const code = await newCurrency('CS');
    ok(await t.gql(SetEconomyRuleDocument, { input: { currency: code, pointsPerUnit: '1', excludedSkus: ['GIFT,CARD', 'tobacco-10'] } }, t.operatorToken));
    const { page, said } = await raisePoints(code, '', '2');
    expect({ said, rule: await economyNow(code) }).toEqual({
      said: expect.stringContaining(`${code}:`),
      rule: { version: 2, points_per_unit: '2.0000', category_multipliers: [], excluded_skus: ['GIFT,CARD', 'tobacco-10'] },
    });
    await page.close();
  }, 120_000);

  test('a multiplier JavaScript prints in exponent form (0.0000001, accepted by the API) does not lock the form', async () => {
    const { t } = started.web;
    const code = await newCurrency('CE');
    const multipliers = [{ category: 'SAMPLES', multiplier: 0.0000001 }];
    ok(await t.gql(SetEconomyRuleDocument, { input: { currency: code, pointsPerUnit: '1', categoryMultipliers: multipliers } }, t.operatorToken));
    const { page, said } = await raisePoints(code, 'SAMPLES=0.0000001', '2');
    expect({ said, rule: await economyNow(code) }).toEqual({
      said: expect.stringContaining(`${code}:`),
      rule: { version: 2, points_per_unit: '2.0000', category_multipliers: multipliers, excluded_skus: [] },
    });
    await page.close();
  }, 120_000);

  test('categories the gateway takes for one (STRASSE and straße; fullwidth ＣＯＦＦＥＥ and COFFEE) are named twice beside the field, as "coffee" and "COFFEE" are', async () => {
    const { t } = started.web;
    const code = await newCurrency('CD');
    ok(await t.gql(SetEconomyRuleDocument, { input: { currency: code, pointsPerUnit: '1' } }, t.operatorToken));
    const page = await started.web.consoleAsOperator('Rules');
    await page.getByRole('region', { name: 'Economy rules' }).getByRole('row').filter({ hasText: code }).waitFor();
    await page.locator('#f-ecoCurrency').selectOption(code);
    await expectValue(page, '#f-pointsPerUnit', '1.0000');
    const flagged: Record<string, string | null> = {};
    for (const typed of ['coffee=2, COFFEE=3', 'straße=2, STRASSE=3', 'ＣＯＦＦＥＥ=2, COFFEE=3']) {
      await page.locator('#f-categoryMultipliers').fill(typed);
      await page.waitForTimeout(150);
      flagged[typed] = (await page.getByTestId('multipliers-error').count()) ? await page.getByTestId('multipliers-error').textContent() : null;
    }
    expect(flagged).toEqual({
      'coffee=2, COFFEE=3': expect.stringContaining('given twice'),
      'straße=2, STRASSE=3': expect.stringContaining('given twice'),
      'ＣＯＦＦＥＥ=2, COFFEE=3': expect.stringContaining('given twice'),
    });
    await page.close();
  }, 120_000);

  test('multiplier texts: what the form refuses in place, and what it sends for what it takes (spaces, lower case, a trailing comma, 0)', async () => {
    const { t } = started.web;
    const code = await newCurrency('CP');
    ok(await t.gql(SetEconomyRuleDocument, { input: { currency: code, pointsPerUnit: '1' } }, t.operatorToken));
    const page = await started.web.consoleAsOperator('Rules');
    await page.getByRole('region', { name: 'Economy rules' }).getByRole('row').filter({ hasText: code }).waitFor();
    await page.locator('#f-ecoCurrency').selectOption(code);
    await expectValue(page, '#f-pointsPerUnit', '1.0000');
    const refused: Record<string, boolean> = {};
    for (const typed of ['=2', 'COFFEE', 'COFFEE=1,5', 'COFFEE=abc', 'COFFEE=-1', 'COFFEE=101', 'COFFEE=1e2', '"BEER, WINE=2', 'COFFEE=2, coffee =3', 'COFFEE=9'.repeat(1) + '9'.repeat(400)]) {
      await page.locator('#f-categoryMultipliers').fill(typed);
      await page.waitForTimeout(100);
      refused[typed.slice(0, 30)] = (await page.getByTestId('multipliers-error').count()) > 0;
    }
    expect(Object.values(refused).every(Boolean)).toBe(true);
    await page.locator('#f-categoryMultipliers').fill('  coffee   =  2 ,  Té=0, ');
    expect(await page.getByTestId('multipliers-error').count()).toBe(0);
    await page.getByRole('button', { name: 'Set economy rule' }).click();
    await page.getByRole('status').filter({ hasText: `${code}:` }).waitFor();
    expect(await economyNow(code)).toMatchObject({ version: 2, category_multipliers: [{ category: 'coffee', multiplier: 2 }, { category: 'Té', multiplier: 0 }] });
    await expectValue(page, '#f-categoryMultipliers', 'coffee=2, Té=0');
    await page.close();
  }, 120_000);

  test('Try again after a lost answer: the set was written, the resend is refused VERSION_CONFLICT and told as set; pending days, rounding and excluded SKUs (order, case) go as read', async () => {
    const { t } = started.web;
    const code = await newCurrency('CL');
    ok(await t.gql(SetEconomyRuleDocument, { input: { currency: code, pointsPerUnit: '1', rounding: 'CEIL', pendingDays: 14, excludedSkus: ['zeta', 'Alpha', 'mid SKU'], categoryMultipliers: [{ category: 'TEA', multiplier: 1.5 }] } }, t.operatorToken));
    const page = await started.web.consoleAsOperator('Rules');
    await page.getByRole('region', { name: 'Economy rules' }).getByRole('row').filter({ hasText: code }).waitFor();
    await page.locator('#f-ecoCurrency').selectOption(code);
    await expectValue(page, '#f-categoryMultipliers', 'TEA=1.5');
    await page.locator('#f-pointsPerUnit').fill('2.5');
    // the first answer is lost after the gateway wrote the set
    let lost = false;
    await page.route('**/graphql**', async (route) => {
      const body = route.request().postData() ?? '';
      if (!lost && body.includes('ConsoleSetEconomyRule')) {
        lost = true;
        await route.fetch();
        await route.abort('connectionreset');
        return;
      }
      await route.continue();
    });
    await page.getByRole('button', { name: 'Set economy rule' }).click();
    const retry = page.getByRole('button', { name: 'Try again' });
    await retry.waitFor({ timeout: 15_000 });
    expect(await economyNow(code)).toMatchObject({ version: 2, points_per_unit: '2.5000' });
    await retry.click();
    await page.getByRole('status').filter({ hasText: 'It already had these values' }).waitFor({ timeout: 15_000 });
    expect(await economyNow(code)).toEqual({ version: 2, points_per_unit: '2.5000', category_multipliers: [{ category: 'TEA', multiplier: 1.5 }], excluded_skus: ['zeta', 'Alpha', 'mid SKU'] });
    const [rule] = await t.sql<{ rounding: string; pending_days: number }>(`select rounding, pending_days from economy_rule where currency_code = $1`, [code]);
    expect(rule).toEqual({ rounding: 'CEIL', pending_days: 14 });
    await page.close();
  }, 120_000);
});
