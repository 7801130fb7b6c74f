import { CreateCurrencyDocument, CreateOfferDocument, PurchaseOfferDocument, RewardStoreOffersDocument } from '../generated/graphql.js';
import { ok, startTestGateway, testPool, type TestGateway } from '../support/gateway.js';
import { addListing, createCustomer, createStore, eventually, storeOf, unique } from '../support/program.js';

/**
 * break-12i: `reward_store.money_digits` is kept by triggers (offsale-12b). A store written while
 * another session changes its point currency's money (the `update point_currency set money_currency
 * = …` start-up advises, or any other writer) read the money committed before that change, and the
 * change's own trigger did not see the store yet: the store kept the old money's digits for good.
 * Its member page then hid listings the purchase sells (or showed ones it refuses).
 */
describe("a store written while its currency's money changes keeps the new money's digits (break-12i)", () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ EVENT_FANOUT: 'off' }, { jobs: 'manual' });
  });
  afterAll(() => t.close());

  const code = () => unique('RACE').toUpperCase().replace(/[^A-Z0-9]/g, '_').slice(0, 20);

  async function withMoneyChangeOpen(currency: string, money: string, during: () => Promise<void>) {
    const pool = testPool({ connectionString: t.databaseUrl, max: 1 });
    const c = await pool.connect();
    try {
      await c.query('begin');
      await c.query('update point_currency set money_currency = $2 where code = $1', [currency, money]);
      // The store's write runs while the change is not committed yet (it waits for the currency's
      // row: a lock wait), then the change commits. Waited for, not slept on: after a fixed 300 ms a
      // loaded machine had not sent the write yet, which then ran after the commit and proved nothing.
      const writing = during();
      await eventually(
        async () => (await t.sql<{ n: number }>(`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`))[0].n > 0,
      );
      await c.query('commit');
      await writing;
    } finally {
      c.release();
      await pool.end();
    }
  }

  it('a store created while its currency changes from JPY to USD shows (and sells) a listing of 2.50 off', async () => {
    const currency = code();
    ok(await t.gql(CreateCurrencyDocument, { input: { code: currency, name: currency, expiryDays: null, pointValue: '1', moneyCurrency: 'JPY' } }, t.operatorToken));
    let store: { id: string } | undefined;
    await withMoneyChangeOpen(currency, 'USD', async () => {
      store = await createStore(t, currency);
    });
    const digits = await t.sql<{ money_digits: number }>(`select s.money_digits from reward_store s where s.currency_code = $1`, [currency]);
    expect(digits.map((d) => Number(d.money_digits))).toEqual([2]);

    const cents = ok(await t.gql(CreateOfferDocument, { input: { name: unique('cents'), benefit: { kind: 'AMOUNT_OFF', amountOff: '2.50' }, validDays: 30 } }, t.operatorToken)).createOffer.offer!;
    const listing = await addListing(t, store!.id, cents.id, { priceInPoints: 10 });
    const customer = await createCustomer(t, currency, 100);
    const page = storeOf(ok(await t.gql(RewardStoreOffersDocument, { storeId: store!.id, first: 20, after: null }, customer.token)).node);
    expect(page.listings.edges.map((e) => e.node.id)).toEqual([listing.id]);
    const bought = ok(await t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: unique('buy') }, customer.token)).purchaseOffer;
    expect(bought.userErrors).toEqual([]);
  });

  it('a store moved to a currency while that currency changes from USD to JPY does not show a listing of 2.50 off the purchase refuses', async () => {
    const from = code();
    const to = code();
    for (const c of [from, to]) ok(await t.gql(CreateCurrencyDocument, { input: { code: c, name: c, expiryDays: null, pointValue: '1', moneyCurrency: 'USD' } }, t.operatorToken));
    const store = await createStore(t, from);
    const cents = ok(await t.gql(CreateOfferDocument, { input: { name: unique('cents'), benefit: { kind: 'AMOUNT_OFF', amountOff: '2.50' }, validDays: 30 } }, t.operatorToken)).createOffer.offer!;
    const listing = await addListing(t, store.id, cents.id, { priceInPoints: 10 });
    // No mutation moves a store to another currency: a hand-written update, as the money change is.
    await withMoneyChangeOpen(to, 'JPY', async () => {
      await t.sql(`update reward_store set currency_code = $2 where currency_code = $1`, [from, to]);
    });
    const customer = await createCustomer(t, to, 100);
    const page = storeOf(ok(await t.gql(RewardStoreOffersDocument, { storeId: store.id, first: 20, after: null }, customer.token)).node);
    const bought = (await t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: unique('buy') }, customer.token)).data!.purchaseOffer;
    expect(bought.userErrors.map((e) => e.code)).toEqual(['OFFER_UNAVAILABLE']);
    expect(page.listings.edges.map((e) => e.node.id)).toEqual([]);
  });
});
