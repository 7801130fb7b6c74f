import { ok } from '../support/gateway.js';
import { addListing, buyListing, createCurrency, createCustomer, createOffer, createStore, uniqueCode } from '../support/program.js';
import { webGatewayPerBlock } from '../support/web-gateway.js';

/**
 * Every row of every list the apps show can be reached (found by break32's hostile pass on
 * connections): the member's wallet (50 a page), reward stores (20) and a store's offers (50), the
 * console's stores (20) with their listings (20), its offers (50), and a customer's ledger and
 * wallet (30 each) asked one page and had no way to the next, so the 51st offer bought was missing
 * from the member's wallet (its code could not be shown at the till), the 21st store could be
 * neither opened by a member nor edited by staff, and the 51st offer could not be edited. Lists
 * a person reads page on with "Show older"/"Show more"; lists a form chooses from (the console's
 * stores and offers) are read whole.
 */
describe('the apps reach every row of their lists', () => {
  const started = webGatewayPerBlock({ demo: true, size: 'desktop' });
  const STORES = 21;
  const LISTINGS = 51;
  let currency: string;
  let storeNames: string[];
  let bigStore: { id: string; code: string; name: string };
  let offerNames: string[];
  let member: Awaited<ReturnType<typeof createCustomer>>;
  /** The member's offer codes in the wallet's order (the API's, which every page follows): the first 50 on its first page. */
  let codes: string[];

  beforeAll(async () => {
    const { t } = started.web;
    currency = uniqueCode('L32');
    await createCurrency(t, currency);
    const stores = [];
    for (let i = 0; i < STORES; i++) stores.push(await createStore(t, currency, { name: `Store ${i + 1} ${currency}` }));
    storeNames = stores.map((s) => s.name);
    bigStore = stores[0];
    offerNames = [];
    const listings = [];
    for (let i = 0; i < LISTINGS; i++) {
      const offer = await createOffer(t, `Offer ${i + 1} ${currency}`);
      offerNames.push(offer.name);
      listings.push(await addListing(t, bigStore.id, offer.id, { priceInPoints: 1, sortOrder: i }));
    }
    member = await createCustomer(t, currency, 1_000);
    await buyListing(t, member.token, listings[0].id, LISTINGS);
    const wallet = ok(
      await t.gql<{ me: { wallet: { edges: { node: { code: string } }[] } } }, object>(`{ me { wallet(first: 100) { edges { node { code } } } } }`, {}, member.token),
    ).me.wallet.edges.map((e) => e.node);
    codes = wallet.map((w) => w.code);
    expect(codes).toHaveLength(LISTINGS);
  }, 240_000);

  test('the member: the 51st offer shows in the wallet after "Show older offers", the 21st store and the 51st offer of a store after "Show more"', async () => {
    const page = await started.web.context.newPage();
    await page.goto(`/wallet#token=${member.token}`);
    const item = (code: string) => page.locator(`[data-testid="wallet-item"][data-code="${code}"]`);
    await item(codes[0]).waitFor();
    expect(await item(codes.at(-1)!).count()).toBe(0);
    await page.getByRole('button', { name: 'Show older offers' }).click();
    await item(codes.at(-1)!).waitFor();
    expect(await page.getByTestId('wallet-item').count()).toBe(LISTINGS);
    expect(await page.getByRole('button', { name: 'Show older offers' }).count()).toBe(0);

    await page.getByRole('link', { name: 'Rewards' }).first().click();
    const storeLink = (name: string) => page.getByRole('link', { name, exact: true });
    await storeLink(storeNames[0]).or(storeLink(storeNames.at(-1)!)).first().waitFor();
    const missing = async () => (await Promise.all(storeNames.map(async (n) => ((await storeLink(n).count()) === 0 ? n : null)))).filter(Boolean);
    expect((await missing()).length).toBeGreaterThan(0);
    await page.getByRole('button', { name: 'Show more stores' }).click();
    await page.getByRole('button', { name: 'Show more stores' }).waitFor({ state: 'detached' });
    expect(await missing()).toEqual([]);

    await storeLink(bigStore.name).click();
    const listing = (name: string) => page.getByTestId('listing').filter({ has: page.getByRole('heading', { name, exact: true }) });
    await listing(offerNames[0]).waitFor();
    expect(await listing(offerNames.at(-1)!).count()).toBe(0);
    await page.getByRole('button', { name: 'Show more offers' }).click();
    await listing(offerNames.at(-1)!).waitFor();
    expect(await page.getByTestId('listing').count()).toBe(LISTINGS);
    await page.close();
  }, 120_000);

  test('the member: a link to a store past the first page of stores opens it', async () => {
    const page = await started.web.context.newPage();
    // every store of the currency is open to the member; at least one is past the first 20
    for (const store of storeNames.slice(-2)) {
      const { t } = started.web;
      const code = ok(await t.gql<{ me: { eligibleRewardStores: { edges: { node: { code: string; name: string } }[] } } }, object>(`{ me { eligibleRewardStores(first: 100) { edges { node { code name } } } } }`, {}, member.token)).me.eligibleRewardStores.edges.find(
        (e) => e.node.name === store,
      )!.node.code;
      await page.goto(`/stores/${encodeURIComponent(code)}#token=${member.token}`);
      await page.getByRole('heading', { level: 1, name: store }).waitFor();
      expect(await page.getByText('This store is not open to you.').count()).toBe(0);
    }
    await page.close();
  }, 60_000);

  test('the console: every offer listed and editable, every store shown with all its listings, a customer’s older ledger and wallet', async () => {
    const offers = await started.web.consoleAsOperator('Offers');
    const offerRow = (name: string) => offers.getByRole('row').filter({ hasText: name });
    await offerRow(offerNames.at(-1)!).waitFor();
    await offerRow(offerNames[0]).waitFor();
    expect(await offers.locator('#f-offerId option').filter({ hasText: offerNames[0] }).count()).toBe(1);
    await offers.close();

    const stores = await started.web.consoleAsOperator('Stores');
    for (const name of [storeNames[0], storeNames.at(-1)!]) await stores.getByRole('heading', { level: 2, name: new RegExp(`^${name} `) }).waitFor();
    const big = stores.locator('section').filter({ has: stores.getByRole('heading', { level: 2, name: new RegExp(`^${bigStore.name} `) }) });
    const listed = (name: string) => big.getByRole('row').filter({ hasText: name });
    await listed(offerNames[0]).waitFor();
    expect(await listed(offerNames.at(-1)!).count()).toBe(0);
    // 51 listings at 20 a page: two more pages
    await big.getByRole('button', { name: 'Show more listings' }).click();
    await listed(offerNames[39]).waitFor();
    await big.getByRole('button', { name: 'Show more listings' }).click();
    await listed(offerNames.at(-1)!).waitFor();
    expect(await big.getByRole('button', { name: 'Show more listings' }).count()).toBe(0);
    // the listing form chooses among every store and every offer
    expect(await stores.locator('#f-storeId option').filter({ hasText: storeNames.at(-1)! }).count()).toBe(1);
    expect(await stores.locator('#f-offerId option').filter({ hasText: offerNames.at(-1)! }).count()).toBe(1);
    await stores.close();

    const customer = await started.web.consoleAsOperator('Customers');
    await customer.getByLabel("Email, name or customer id").fill(member.externalId);
    await customer.getByRole('button', { name: 'Find' }).click();
    const wallet = customer.getByRole('region', { name: 'Wallet' });
    const code = (c: string) => wallet.getByRole('row').filter({ hasText: c });
    await code(codes[0]).waitFor();
    expect(await code(codes.at(-1)!).count()).toBe(0);
    // 30 a page: the second page holds the other 21
    await customer.getByRole('button', { name: 'Show older offers' }).click();
    await code(codes.at(-1)!).waitFor();
    await customer.getByRole('button', { name: 'Show older offers' }).waitFor({ state: 'detached' });
    // the ledger: the adjustment and 51 purchases, 30 a page
    const ledger = customer.getByRole('region', { name: 'Ledger' });
    expect(await ledger.getByRole('row').filter({ hasText: 'ADJUST' }).count()).toBe(0);
    await customer.getByRole('button', { name: 'Show older', exact: true }).click();
    await ledger.getByRole('row').filter({ hasText: 'ADJUST' }).waitFor();
    await customer.close();
  }, 120_000);
});
