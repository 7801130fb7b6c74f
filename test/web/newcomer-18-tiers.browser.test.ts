import type { TestGateway } from '../support/gateway.js';
import { createCustomer, simpleShop } from '../support/program.js';
import { startWebGateway, type WebGateway } from '../support/web-gateway.js';

/**
 * newcomer-18: a program without tiers (a production program set up with a currency, an economy
 * rule and customers, none of them placed on a ladder) showed its members a Tier card reading
 * "None" and "You are at the top tier.": there is no tier to be at the top of. The card is left out
 * when the member has neither a tier nor a next one. A real Chromium against a started gateway.
 */
describe('the member app in a program without tiers (newcomer-18)', () => {
  let web: WebGateway;
  let t: TestGateway;

  beforeAll(async () => {
    web = await startWebGateway({ demo: false, size: 'phone' });
    t = web.t;
  });
  afterAll(() => web?.close());

  test('shows the balance and no Tier card, nor any claim of a top tier', async () => {
    const shop = await simpleShop(t);
    const member = await createCustomer(t, shop.currency, 32);
    const page = await web.context.newPage();
    await page.goto(`/#token=${member.token}`);
    await page.getByTestId(`balance-${shop.currency}`).waitFor();
    const main = await page.getByRole('main').innerText();
    expect({ tierCard: await page.getByRole('heading', { name: 'Tier', exact: true }).count(), topTier: /top tier/i.test(main) }).toEqual({ tierCard: 0, topTier: false });
  });
});
