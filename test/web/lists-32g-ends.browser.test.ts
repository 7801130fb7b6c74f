import { ok } from '../support/gateway.js';
import { RemoveListingDocument } from '../generated/graphql.js';
import { addListing, createCurrency, createOffer, createStore, unique, uniqueCode } from '../support/program.js';
import { webGatewayPerBlock } from '../support/web-gateway.js';
import { until } from '../support/web-pages.js';

/**
 * Found by break32g's hostile pass on break32e (keptPagination): a first page read again kept the
 * rows shown after it *with the end of the pages as it was* (hasNextPage false), so a row that
 * follows the last row shown (a store or offer created since: both lists are ordered by id) was
 * never read. Now the end is the first page's, and the pages after it are read again.
 */
describe('keptPagination: rows added at the end of a list read whole', () => {
  const started = webGatewayPerBlock({ demo: true, size: 'desktop' });
  let currency: string;
  let stores: { id: string; code: string; name: string }[];
  let offers: { id: string; name: string }[];

  beforeAll(async () => {
    const { t } = started.web;
    currency = uniqueCode('H32');
    await createCurrency(t, currency);
    stores = [];
    for (let i = 0; i < 21; i++) stores.push(await createStore(t, currency, { name: `Depot ${i + 1} ${currency}` }));
    offers = [];
    for (let i = 0; i < 51; i++) offers.push(await createOffer(t, `Perk ${i + 1} ${currency}`));
  }, 240_000);

  const heading = (page: import('playwright-core').Page, name: string) => page.getByRole('heading', { level: 2, name: new RegExp(`^${name} `) });

  test('Stores: a store created with the console\'s own form, once every page is shown, shows and can be chosen for a listing', async () => {
    const page = await started.web.consoleAsOperator('Stores');
    await heading(page, stores[20].name).waitFor();
    await page.waitForTimeout(1_000);
    const code = unique('new-store');
    const name = `Fresh ${currency}`;
    const form = page.locator('section').filter({ has: page.getByRole('heading', { level: 2, name: 'Create a store' }) });
    await form.getByLabel('Code').fill(code);
    await form.getByLabel('Name').fill(name);
    await page.locator('#f-storeCurrency').selectOption(currency);
    await form.getByRole('button', { name: 'Create store' }).click();
    await form.getByRole('status').filter({ hasText: 'Store created.' }).waitFor();
    // shown and offered once the page has read its stores again (before break32e: never)
    await until(async () => (await heading(page, name).count()) > 0 && (await page.locator('#f-storeId option').filter({ hasText: name }).count()) > 0, 'the new store shown and offered');
    expect({ section: await heading(page, name).count(), option: await page.locator('#f-storeId option').filter({ hasText: name }).count() }).toEqual({ section: 1, option: 1 });
    await page.close();
  }, 120_000);

  test('Offers: an offer created with the console\'s own form, once every page is shown, shows and can be edited', async () => {
    const page = await started.web.consoleAsOperator('Offers');
    await page.getByTestId('offer-row').filter({ hasText: offers[50].name }).waitFor();
    await page.waitForTimeout(1_000);
    const name = `Brand new ${currency}`;
    const form = page.locator('section').filter({ has: page.getByRole('heading', { level: 2, name: 'Create an offer' }) });
    await form.getByLabel('Name').fill(name);
    await form.getByLabel('Amount, percent or free SKU').fill('1.00');
    await form.getByRole('button', { name: 'Create offer' }).click();
    await form.getByRole('status').filter({ hasText: 'Offer created.' }).waitFor();
    await until(async () => (await page.getByTestId('offer-row').filter({ hasText: name }).count()) > 0 && (await page.locator('#f-offerId option').filter({ hasText: name }).count()) > 0, 'the new offer listed and offered');
    expect({ row: await page.getByTestId('offer-row').filter({ hasText: name }).count(), option: await page.locator('#f-offerId option').filter({ hasText: name }).count() }).toEqual({ row: 1, option: 1 });
    await page.close();
  }, 120_000);

  test('Stores: navigating away and back after another operator created a store shows it (it did before break32e)', async () => {
    const page = await started.web.consoleAsOperator('Stores');
    await heading(page, stores[20].name).waitFor();
    const other = await createStore(started.web.t, currency, { name: `Elsewhere ${currency}` });
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Offers', exact: true }).click();
    await page.getByTestId('offer-row').first().waitFor();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Stores', exact: true }).click();
    await heading(page, stores[0].name).waitFor();
    await until(async () => (await heading(page, other.name).count()) > 0, "the other operator's store shown");
    expect(await heading(page, other.name).count()).toBe(1);
    await page.close();
  }, 120_000);

  test('Stores: a listing another operator removed from a store past the first page goes after this operator\'s next write', async () => {
    const { t } = started.web;
    const far = stores[20];
    const listing = await addListing(t, far.id, offers[10].id, { priceInPoints: 3 });
    const page = await started.web.consoleAsOperator('Stores');
    const farSection = page.locator('section').filter({ has: heading(page, far.name) });
    await farSection.getByRole('row').filter({ hasText: offers[10].name }).waitFor();
    // another operator removes it
    ok(await t.gql(RemoveListingDocument, { listingId: listing.id }, t.operatorToken));
    // this operator adds a listing to the first store: the page reads its stores again
    await page.locator('#f-storeId').selectOption({ label: stores[0].name });
    await page.locator('#f-offerId option').filter({ hasText: offers[11].name }).waitFor({ state: 'attached' });
    await page.locator('#f-offerId').selectOption({ label: offers[11].name });
    await page.getByLabel('Price in points').fill('4');
    await page.getByRole('button', { name: 'Add listing' }).click();
    await page.getByRole('status').filter({ hasText: 'Listing added.' }).waitFor();
    const first = page.locator('section').filter({ has: heading(page, stores[0].name) });
    await first.getByRole('row').filter({ hasText: offers[11].name }).waitFor();
    await until(async () => (await farSection.getByRole('row').filter({ hasText: offers[10].name }).count()) === 0, "the other operator's removal gone from the far store");
    await page.close();
  }, 120_000);
});
