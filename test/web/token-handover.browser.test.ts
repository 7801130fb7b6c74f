import type { BrowserContext, Page } from 'playwright-core';
import type { TestGateway } from '../support/gateway.js';
import { startWebGateway, type WebGateway } from '../support/web-gateway.js';
import { adjust, createCustomer, simpleShop } from '../support/program.js';

/**
 * token-19: the identity provider hands a token over in the URL fragment (`/#token=<JWT>`,
 * `/console/#token=<JWT>`). When it sends a tab that already has the app open there again (another
 * member signs in on a shared tablet, or a fresh token for the same one), the browser only changes
 * the fragment: nothing reloads. The apps read the fragment only when they loaded, so the screens
 * kept the first member's name, balance and cached pages, while the member app's next requests
 * already went out with the new token. A real Chromium against a started gateway.
 */
describe('a token handed over to an app that is already open (token-19)', () => {
  let web: WebGateway;
  let t: TestGateway;
  let context: BrowserContext;

  beforeAll(async () => {
    web = await startWebGateway({ demo: false, size: 'phone' });
    ({ t, context } = web);
  });
  afterAll(() => web?.close());

  /** The identity provider sends the open tab to `#token=<token>`: a same-document navigation. */
  async function handOver(page: Page, token: string) {
    await page.evaluate(`location.hash = ${JSON.stringify(`#token=${token}`)}`);
  }

  /** What the member app's header and balance card say, once they say it for `externalId`. */
  async function shownFor(page: Page, externalId: string, currency: string) {
    await page.getByText(`Signed in as ${externalId}`, { exact: true }).waitFor();
    await page.getByTestId(`balance-${currency}`).waitFor();
    return { header: await page.getByText(/^Signed in as /).innerText(), balance: await page.getByTestId(`balance-${currency}`).innerText(), url: page.url() };
  }

  test('the member app switches to the member whose token arrived, and shows none of the first one', async () => {
    const shop = await simpleShop(t);
    const first = await createCustomer(t, shop.currency, 111);
    const second = await createCustomer(t, shop.currency, 2_222);
    const page = await context.newPage();
    await page.goto(`/#token=${first.token}`);
    const before = await shownFor(page, first.externalId, shop.currency);
    expect(before.balance).toContain('111');

    await handOver(page, second.token);
    const after = await shownFor(page, second.externalId, shop.currency);
    expect({ header: after.header, balance: after.balance.includes('2,222') || after.balance.includes('2222'), tokenInUrl: after.url.includes('token=') }).toEqual({
      header: `Signed in as ${second.externalId}`,
      balance: true,
      tokenInUrl: false,
    });
    expect(await page.getByText(new RegExp(`${first.externalId}(?!\\d)`)).count()).toBe(0);
    // The live feed is the second member's now: their change is announced.
    await page.locator('[data-live="connected"]').waitFor();
    await adjust(t, second.externalId, shop.currency, 5);
    await page.getByTestId('live-announcement').getByText(/\(\+5\)/).waitFor();
    // A reload keeps the second member: the session now holds their token.
    await page.reload();
    expect((await shownFor(page, second.externalId, shop.currency)).header).toBe(`Signed in as ${second.externalId}`);
    await page.close();
  });

  test('the console switches to the staff member whose token arrived', async () => {
    const page = await context.newPage();
    await page.goto(`/console/#token=${t.analystToken}`);
    await page.getByTestId('role').getByText('Analyst (read only)').waitFor();
    await handOver(page, t.operatorToken);
    await page.getByTestId('role').getByText('Operator', { exact: true }).waitFor({ timeout: 10_000 });
    expect({ header: await page.getByTestId('role').locator('..').innerText(), tokenInUrl: page.url().includes('token=') }).toEqual({ header: 'staff-op · Operator', tokenInUrl: false });
    await page.close();
  });
});
