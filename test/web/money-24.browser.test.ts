import { webGatewayPerBlock } from '../support/web-gateway.js';

/**
 * money-24: the console's Campaigns table said what each campaign had awarded as a bare number
 * ("Awarded" 0), while a program can run campaigns in several point currencies: the figure now
 * names its currency, as the Outcome column's bonus already did ("+50 BEANS"). In a real Chromium
 * against a started demo gateway with the apps' trusted documents only.
 */
describe("the console's campaign figures name their currency (money-24)", () => {
  const started = webGatewayPerBlock({ demo: true, size: 'desktop' });

  test("each campaign's Awarded figure carries its point currency", async () => {
    const page = await started.web.consoleAsOperator('Rules');
    const campaigns = page.getByRole('region', { name: 'Campaigns', exact: true });
    const rows = campaigns.getByRole('row').filter({ has: page.getByRole('cell') });
    await rows.first().waitFor();
    const awarded = await rows.locator('td:nth-child(5)').allInnerTexts();
    expect(awarded.length).toBeGreaterThan(0);
    expect(awarded).toEqual(awarded.map(() => expect.stringMatching(/^\d[\d,  ]* BEANS$/)));
  }, 60_000);
});
