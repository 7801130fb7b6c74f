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
    const awarded = await rows.locator('td:nth-child(6)').allInnerTexts();
    expect(awarded.length).toBeGreaterThan(0);
    expect(awarded).toEqual(awarded.map(() => expect.stringMatching(/^\d[\d,  ]* BEANS$/)));
  }, 60_000);

  // newcomer-37: the table showed no condition, so the demo's coffee bonus read as one for every sale.
  test("each campaign says which sales it applies to, its minimum spend in the program's money", async () => {
    const page = await started.web.consoleAsOperator('Rules');
    const campaigns = page.getByRole('region', { name: 'Campaigns', exact: true });
    const rowOf = (name: string) => campaigns.getByRole('row').filter({ has: page.getByRole('cell', { name, exact: true }) });
    await rowOf('Coffee bonus').waitFor();
    expect({
      coffee: await rowOf('Coffee bonus').locator('td:nth-child(3)').innerText(),
      firstVisit: await rowOf('First visit treat').locator('td:nth-child(3)').innerText(),
    }).toEqual({ coffee: 'spend ≥ €3.00 · category COFFEE', firstVisit: 'first sale only' });
  }, 60_000);
});
