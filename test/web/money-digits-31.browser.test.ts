import { ok } from '../support/gateway.js';
import { webGatewayPerBlock } from '../support/web-gateway.js';
import { createCustomer, uniqueCode } from '../support/program.js';

/**
 * The apps show amounts as the API answers them (found by break31):
 * - money-12 let a program earn one point per 100,000 of a money of large numbers (pointsPerUnit
 *   takes 6 decimals: "0.00001" VND); the console's Economy rules table printed it with at most 4
 *   decimals, so the operator read "0" points per unit. It is now shown exactly (`formatDecimal`).
 * - The API answers money in its ISO 4217 decimals (money-12: IQD with 3, HUF with 2; ISO, not
 *   CLDR's display habits). The apps formatted it with Intl's currency digits (CLDR): an IQD
 *   liability of "12.345" read "IQD 12", 150 points worth HUF 1.50 read "HUF 2". `formatMoney` now
 *   takes the standard's decimals (`minorDigits`, src/domain/currency.ts).
 */
describe('money and decimals in the apps', () => {
  const started = webGatewayPerBlock({ demo: true, size: 'desktop' });

  test('an economy rule of one point per 100,000 VND reads as what was set, not 0', async () => {
    const { t } = started.web;
    const code = uniqueCode('VN');
    ok(await t.gql(`mutation($input: CreateCurrencyInput!) { createCurrency(input: $input) { userErrors { code } } }`, { input: { code, name: code, pointValue: '1', moneyCurrency: 'VND' } }, t.operatorToken));
    const set = ok(
      await t.gql<{ setEconomyRule: { rule: { pointsPerUnit: string } | null; userErrors: unknown[] } }, object>(
        `mutation($input: SetEconomyRuleInput!) { setEconomyRule(input: $input) { rule { pointsPerUnit } userErrors { code message } } }`,
        { input: { currency: code, pointsPerUnit: '0.00001' } },
        t.operatorToken,
      ),
    );
    expect(set.setEconomyRule.userErrors).toEqual([]);
    expect(Number(set.setEconomyRule.rule!.pointsPerUnit)).toBe(0.00001);
    const page = await started.web.consoleAsOperator('Rules');
    const economy = page.getByRole('region', { name: 'Economy rules' });
    const row = economy.getByRole('row').filter({ hasText: code });
    await row.waitFor();
    const perUnit = await row.locator('td').nth(1).innerText();
    expect(perUnit).toBe('0.00001');
  }, 60_000);

  test("the outstanding liability of an IQD program reads in IQD's three decimals, as the API answers it", async () => {
    const { t } = started.web;
    const code = uniqueCode('IQ');
    ok(await t.gql(`mutation($input: CreateCurrencyInput!) { createCurrency(input: $input) { userErrors { code } } }`, { input: { code, name: code, pointValue: '0.001', moneyCurrency: 'IQD' } }, t.operatorToken));
    await createCustomer(t, code, 12_345);
    const now = t.clock.now().getTime();
    const api = ok(
      await t.gql<{ programStats: { outstandingLiability: string } }, object>(
        `query($c: String!, $from: DateTime!, $to: DateTime!) { programStats(currency: $c, from: $from, to: $to) { outstandingLiability } }`,
        { c: code, from: new Date(now - 86_400_000).toISOString(), to: new Date(now + 86_400_000).toISOString() },
        t.analystToken,
      ),
    );
    expect(api.programStats.outstandingLiability).toBe('12.345');
    const page = await started.web.consoleAsOperator('Analytics');
    await page.getByLabel('Currency').selectOption(code);
    // the demo program's euro figures replaced by the chosen currency's
    const kpi = page.getByTestId('kpi-liability').filter({ hasNotText: '€' });
    await kpi.waitFor();
    const shown = (await kpi.innerText()).replace(/\s/g, ' ');
    expect(shown).toMatch(/12\.345/);
  }, 60_000);

  test("a member's balance in a HUF program is worth what its points are, in HUF's two decimals (the member app)", async () => {
    const { t } = started.web;
    const code = uniqueCode('HU');
    ok(await t.gql(`mutation($input: CreateCurrencyInput!) { createCurrency(input: $input) { userErrors { code } } }`, { input: { code, name: code, pointValue: '0.01', moneyCurrency: 'HUF' } }, t.operatorToken));
    const customer = await createCustomer(t, code, 150);
    const page = await started.web.context.newPage();
    await page.goto(`/#token=${customer.token}`);
    const balance = page.getByTestId(`balance-${code}`);
    await balance.waitFor();
    const worth = (await page.getByRole('region', { name: code }).getByText(/^worth/).innerText()).replace(/\s/g, ' ');
    // 150 points at 0.01 HUF are 1.50 HUF (ISO 4217: two decimals), as programStats' liability says it
    expect(worth).toMatch(/1\.50/);
  }, 60_000);
});
