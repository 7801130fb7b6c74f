import type { Page } from 'playwright-core';
import { addListing, createCurrency, createCustomer, createOffer, createStore, uniqueCode } from '../support/program.js';
import { webGatewayPerBlock } from '../support/web-gateway.js';

/**
 * Found by break32g's hostile pass on break32e: the member's store page kept its second page of
 * offers after a purchase (keptPagination), but the refresh read only the first page, so the rows
 * kept were as first read: stock, "you have", affordability. Now the pages of rows kept are read
 * again at once (`ShowOlder` with `edges`).
 */
describe('the member\'s store page: rows kept past the first page after a purchase', () => {
  const started = webGatewayPerBlock({ demo: true, size: 'desktop' });
  let currency: string;
  let store: { id: string; code: string };
  const names: string[] = [];
  let lastOfferName: string;

  beforeAll(async () => {
    const { t } = started.web;
    currency = uniqueCode('M32');
    await createCurrency(t, currency);
    store = await createStore(t, currency);
    for (let i = 0; i < 52; i++) {
      const offer = await createOffer(t, `Good ${i + 1} ${currency}`);
      names.push(offer.name);
      // the last one (on the second page) is the only one left, one per member
      await addListing(t, store.id, offer.id, i === 51 ? { priceInPoints: 5, sortOrder: i, stock: 1, perCustomerLimit: 1 } : { priceInPoints: 5, sortOrder: i });
    }
    lastOfferName = names[51];
  }, 240_000);

  const open = async (token: string) => {
    const page = await started.web.context.newPage();
    await page.goto(`/stores/${encodeURIComponent(store.code)}#token=${token}`);
    await listing(page, names[0]).waitFor();
    await page.getByRole('button', { name: 'Show more offers' }).click();
    await listing(page, lastOfferName).waitFor();
    return page;
  };
  const listing = (page: Page, name: string) => page.getByTestId('listing').filter({ has: page.getByRole('heading', { name, exact: true }) });
  const buy = async (page: Page, name: string) => {
    await listing(page, name).getByRole('button', { name: /^Buy/ }).click();
    await page.getByRole('button', { name: 'Confirm purchase' }).click();
    await page.getByRole('status').filter({ hasText: 'Bought' }).waitFor();
    await page.waitForTimeout(3_000);
  };

  test('an offer poorer members can no longer afford, on the second page, after buying one on the first: not offered for sale', async () => {
    const member = await createCustomer(started.web.t, currency, 6);
    const page = await open(member.token);
    expect(await listing(page, names[50]).getByRole('button', { name: /^Buy/ }).isEnabled()).toBe(true);
    await buy(page, names[0]);
    // 1 point left, the offer costs 5: the row (when shown) must not offer it for sale
    const row = listing(page, names[50]);
    const shown = await row.count();
    const buyable = shown ? await row.getByRole('button', { name: /^Buy/ }).isEnabled() : false;
    expect({ shown, buyable, text: shown ? (await row.textContent())?.includes('missing') : true }).toEqual({ shown, buyable: false, text: true });
    await page.close();
  }, 90_000);

  test('the last one in stock, bought from the second page: its row says sold out / bought (not "1 left", Buy)', async () => {
    const member = await createCustomer(started.web.t, currency, 100);
    const page = await open(member.token);
    await buy(page, lastOfferName);
    const row = listing(page, lastOfferName);
    const shown = await row.count();
    const text = shown ? ((await row.textContent()) ?? '') : 'Sold out';
    const buyable = shown ? await row.getByRole('button', { name: /^Buy/ }).isEnabled() : false;
    expect({ shown, soldOut: text.includes('Sold out'), buyable }).toEqual({ shown, soldOut: true, buyable: false });
    await page.close();
  }, 90_000);

  test('an offer staff list at the end of the store while the member has every page shown can still be reached after a purchase', async () => {
    const { t } = started.web;
    const member = await createCustomer(t, currency, 100);
    const page = await open(member.token);
    const offer = await createOffer(t, `Late ${currency}`);
    await addListing(t, store.id, offer.id, { priceInPoints: 5, sortOrder: 1000 });
    await buy(page, names[1]);
    // reachable: on screen, or behind "Show more offers"
    const more = page.getByRole('button', { name: 'Show more offers' });
    if (await more.count()) await more.click();
    await page.waitForTimeout(2_000);
    expect(await listing(page, offer.name).count()).toBe(1);
    await page.close();
  }, 90_000);
});
