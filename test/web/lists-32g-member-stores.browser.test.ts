import { createCurrency, createCustomer, createStore, uniqueCode } from '../support/program.js';
import { webGatewayPerBlock } from '../support/web-gateway.js';

/**
 * Found by break32g's hostile pass on break32e: the member's Rewards list, read again (the member
 * goes to Wallet and back), kept the stores shown after its first page *and* the old end of the
 * list (no next page), so a store opened since (stores are listed by id: it comes last) could not
 * be reached until the app was reloaded. Now the pages after the first are read again.
 */
describe('member Rewards: a store opened after every page was shown', () => {
  const started = webGatewayPerBlock({ demo: true, size: 'desktop' });
  let currency: string;
  let stores: { code: string; name: string }[];

  beforeAll(async () => {
    const { t } = started.web;
    currency = uniqueCode('R32');
    await createCurrency(t, currency);
    stores = [];
    for (let i = 0; i < 21; i++) stores.push(await createStore(t, currency, { name: `Kiosk ${i + 1} ${currency}` }));
  }, 240_000);

  test('going to Wallet and back: the new store is listed or behind "Show more stores"', async () => {
    const { t } = started.web;
    const member = await createCustomer(t, currency, 10);
    const page = await started.web.context.newPage();
    await page.goto(`/stores#token=${member.token}`);
    const more = page.getByRole('button', { name: 'Show more stores' });
    const link = (name: string) => page.getByRole('link', { name, exact: true });
    await link(stores[0].name).waitFor();
    while (!(await link(stores[20].name).count())) {
      await more.click();
      await page.waitForTimeout(1_000);
    }
    const fresh = await createStore(t, currency, { name: `Opened today ${currency}` });
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Wallet', exact: true }).click();
    await page.waitForTimeout(1_000);
    await nav.getByRole('link', { name: 'Rewards', exact: true }).click();
    await link(stores[0].name).waitFor();
    await page.waitForTimeout(3_000);
    for (let i = 0; i < 5 && !(await link(fresh.name).count()) && (await more.count()); i++) {
      await more.click();
      await page.waitForTimeout(1_000);
    }
    expect(await link(fresh.name).count()).toBe(1);
    await page.close();
  }, 120_000);
});
