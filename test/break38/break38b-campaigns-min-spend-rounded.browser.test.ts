import { CreateCampaignDocument, CreateCurrencyDocument } from '../generated/graphql.js';
import { ok } from '../support/gateway.js';
import { unique, uniqueCode } from '../support/program.js';
import { webGatewayPerBlock } from '../support/web-gateway.js';

const DAY = 86_400_000;

/**
 * break38b (campaigns), the console's Campaigns table (web/src/console/rules.tsx), in Chromium with
 * the console's trusted documents only.
 */
describe("break38b: the console's Campaigns table, Applies to", () => {
  const started = webGatewayPerBlock({ demo: true, size: 'desktop' });

  /**
   * "Applies to" writes a minimum spend rounded half up to the money's decimals, while a sale must
   * reach it rounded UP (processor.ts minSpendOf: ceil; the API's minSpend description: "1000.50 of
   * JPY needs ¥1001"). A minimum of 2.991 EUR reads "spend ≥ €2.99", yet a €2.99 sale earns nothing
   * from it; 1000.4 JPY reads "¥1,000" (needs ¥1,001); 2.6251 KWD reads "KWD 2.625" (needs 2.626).
   * What an operator sees: a threshold a member's sale can meet and still not earn. Should see the
   * amount a sale must reach: €3.00, JP¥1,001, KWD 2.626.
   * Fix: appliesTo (web/src/console/campaign-form.tsx) should round minSpend up to the money's ISO 4217
   * decimals before formatMoney (e.g. a formatMoney option or a ceil helper in shared/money.ts).
   */
  test('a minimum spend finer than the money reads as the amount a sale must reach (EUR, JPY, KWD)', async () => {
    const { t } = started.web;
    const names: Record<string, string> = {};
    for (const [money, minSpend] of [
      ['EUR', '2.991'],
      ['JPY', '1000.4'],
      ['KWD', '2.6251'],
    ] as const) {
      const currency = money === 'EUR' ? 'BEANS' : uniqueCode('P');
      if (money !== 'EUR') {
        ok(await t.gql(CreateCurrencyDocument, { input: { code: currency, name: currency, expiryDays: 365, pointValue: '0.01', moneyCurrency: money } }, t.operatorToken));
      }
      names[money] = unique(`Spend ${money}`);
      ok(
        await t.gql(
          CreateCampaignDocument,
          {
            input: {
              name: names[money],
              currency,
              startsAt: new Date(Date.now() - DAY).toISOString(),
              endsAt: new Date(Date.now() + 30 * DAY).toISOString(),
              conditions: { minSpend },
              outcome: { bonusPoints: 5 },
            } as never,
          },
          t.operatorToken,
        ),
      );
    }
    const page = await started.web.consoleAsOperator('Rules');
    const campaigns = page.getByRole('region', { name: 'Campaigns', exact: true });
    const appliesTo = async (name: string) => {
      const row = campaigns.getByRole('row').filter({ has: page.getByRole('cell', { name, exact: true }) });
      await row.waitFor();
      return (await row.locator('td:nth-child(3)').innerText()).replace(/\s/g, ' ');
    };
    // received: ['spend ≥ €2.99', 'spend ≥ JP¥1,000', 'spend ≥ KWD 2.625']
    expect([await appliesTo(names.EUR), await appliesTo(names.JPY), await appliesTo(names.KWD)]).toEqual(['spend ≥ €3.00', 'spend ≥ JP¥1,001', 'spend ≥ KWD 2.626']);
  }, 60_000);
});
