import { CreateCurrencyDocument, CreateOfferDocument, RewardStoreOffersDocument, UpdateOfferDocument } from '../generated/graphql.js';
import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { addListing, createCustomer, createStore, storeOf, unique } from '../support/program.js';
import { headOf, recordStatements } from '../support/statements.js';
import { moneysByDigits, minorDigits } from '../../src/domain/currency.js';

/**
 * A listing kept from before money-12 whose offer reads "2.50" off in a yen store cannot be bought
 * (OFFER_UNAVAILABLE, offsale-12): the member's store page no longer shows it either, and pages as
 * if it were not there (its `hasNextPage` and cursors), on every path that shows a customer a
 * listing (the one-statement page, a page read on its own, `node(id:)`); staff still see it; it is
 * back once the offer is edited to an amount of yen (offsale-12b, docs/decisions.md). The state
 * before the upgrade is made by hand, as in test/offers/off-sale.test.ts.
 */
describe("a listing whose offer cannot be paid in its store's money is not on the member's page (offsale-12b)", () => {
  let t: TestGateway;
  const PROGRAM = 'UNPAYABLE_JPY';

  beforeAll(async () => {
    t = await startTestGateway({ EVENT_FANOUT: 'off' }, { jobs: 'manual' });
    ok(await t.gql(CreateCurrencyDocument, { input: { code: PROGRAM, name: PROGRAM, expiryDays: null, pointValue: '1', moneyCurrency: 'JPY' } }, t.operatorToken));
  });
  afterAll(() => t.close());

  /** An offer of `amountOff` yen off, whose current version is made to read `stored` when given (as a pre-upgrade row). */
  async function yenOffer(amountOff: string, stored?: { amountOff?: string; maxDiscount?: string }) {
    const benefit = stored?.maxDiscount ? { kind: 'PERCENT_OFF' as const, percentOff: 10, maxDiscount: amountOff } : { kind: 'AMOUNT_OFF' as const, amountOff };
    const offer = ok(await t.gql(CreateOfferDocument, { input: { name: unique('yen'), benefit, validDays: 30 } }, t.operatorToken)).createOffer.offer!;
    return {
      offer,
      makeFiner: async () => {
        const column = stored?.maxDiscount ? 'max_discount' : 'amount_off';
        const value = stored?.maxDiscount ?? stored?.amountOff ?? '2.50';
        const rows = await t.sql(`update offer_version ov set ${column} = $2::numeric from offer o where ov.id = o.current_version_id and ov.name = $1 returning ov.id`, [offer.name, value]);
        expect(rows).toHaveLength(1);
      },
    };
  }

  const pageOf = async (storeId: string, token: string, first: number, after: string | null = null) => {
    const recorder = recordStatements();
    try {
      const res = ok(await t.gql(RewardStoreOffersDocument, { storeId, first, after }, token));
      const sent = recorder.take().filter((s) => !s.text.includes('rate_limit_bucket') && !headOf(s.text, 4).startsWith('select c.id, c.external_id'));
      const listings = storeOf(res.node).listings;
      return { names: listings.edges.map((e) => e.node.offer.name), ids: listings.edges.map((e) => e.node.id), pageInfo: listings.pageInfo, sent: sent.length };
    } finally {
      recorder.stop();
    }
  };

  async function yenStore() {
    const store = await createStore(t, PROGRAM);
    const a = await yenOffer('200');
    const b = await yenOffer('100');
    const c = await yenOffer('300', { maxDiscount: '0.5' });
    const d = await yenOffer('50');
    const listings = [];
    for (const [i, o] of [a, b, c, d].entries()) listings.push(await addListing(t, store.id, o.offer.id, { priceInPoints: 10, sortOrder: i }));
    await b.makeFiner();
    await d.makeFiner();
    return { store, offers: { a, b, c, d }, listings };
  }

  it('the page leaves it out, pages past it (hasNextPage, cursors) and still costs one statement; it is back once the offer is edited to yen', async () => {
    const { store, offers, listings } = await yenStore();
    const customer = await createCustomer(t, PROGRAM, 100);

    const whole = await pageOf(store.id, customer.token, 20);
    expect(whole.names).toEqual([offers.a.offer.name, offers.c.offer.name]);
    expect(whole.sent).toBe(1);

    // Two at a time: the hidden last listing does not make a next page.
    const first = await pageOf(store.id, customer.token, 2);
    expect(first.names).toEqual([offers.a.offer.name, offers.c.offer.name]);
    expect(first.pageInfo.hasNextPage).toBe(false);
    expect(first.sent).toBe(1);

    // One at a time: the next page after A starts at C, and after C there is none.
    const one = await pageOf(store.id, customer.token, 1);
    expect(one.names).toEqual([offers.a.offer.name]);
    expect(one.pageInfo.hasNextPage).toBe(true);
    const two = await pageOf(store.id, customer.token, 1, one.pageInfo.endCursor);
    expect(two.names).toEqual([offers.c.offer.name]);
    expect(two.pageInfo.hasNextPage).toBe(false);
    expect(two.sent).toBe(1);

    // Staff see every listing not removed, the unpayable ones too (what to edit or remove).
    const staff = ok(
      await t.gql(`query($id: ID!) { node(id: $id) { ... on RewardStore { listings(first: 20) { edges { node { id } } } } } }`, { id: store.id }, t.operatorToken),
    ) as { node: { listings: { edges: { node: { id: string } }[] } } };
    expect(staff.node.listings.edges.map((e) => e.node.id)).toEqual(listings.map((l) => l.id));

    // Edited to an amount of yen, B is on the page again at its new version.
    ok(await t.gql(UpdateOfferDocument, { input: { offerId: offers.b.offer.id, benefit: { kind: 'AMOUNT_OFF', amountOff: '3' } } }, t.operatorToken));
    expect((await pageOf(store.id, customer.token, 20)).ids).toEqual([listings[0].id, listings[1].id, listings[2].id]);
  });

  it('a page read on its own and node(id:) of the listing leave it out too', async () => {
    const { store, listings } = await yenStore();
    const customer = await createCustomer(t, PROGRAM, 100);
    // @include keeps the page out of the store's statement (store-page.ts), so the listings are read on their own.
    const own = ok(
      await t.gql(
        `query($id: ID!, $yes: Boolean!) { node(id: $id) { ... on RewardStore { listings(first: 2) @include(if: $yes) { edges { node { id } } pageInfo { hasNextPage } } } } }`,
        { id: store.id, yes: true },
        customer.token,
      ),
    ) as { node: { listings: { edges: { node: { id: string } }[]; pageInfo: { hasNextPage: boolean } } } };
    expect(own.node.listings.edges.map((e) => e.node.id)).toEqual([listings[0].id, listings[2].id]);
    expect(own.node.listings.pageInfo.hasNextPage).toBe(false);

    const byId = async (id: string) =>
      (ok(await t.gql(`query($id: ID!) { node(id: $id) { ... on Listing { id } } }`, { id }, customer.token)) as { node: { id: string } | null }).node;
    expect(await byId(listings[1].id)).toBeNull();
    expect(await byId(listings[2].id)).toEqual({ id: listings[2].id });
  });

  it("a store's money changed by hand (as start-up advises for a non-ISO code) changes what its page shows; the database's digits are ISO 4217's", async () => {
    const code = unique('EURO').toUpperCase().replace(/[^A-Z]/g, '').slice(0, 12);
    ok(await t.gql(CreateCurrencyDocument, { input: { code, name: code, expiryDays: null, pointValue: '1', moneyCurrency: 'EUR' } }, t.operatorToken));
    const store = await createStore(t, code);
    const cents = ok(await t.gql(CreateOfferDocument, { input: { name: unique('cents'), benefit: { kind: 'AMOUNT_OFF', amountOff: '2.50' }, validDays: 30 } }, t.operatorToken)).createOffer.offer!;
    const listing = await addListing(t, store.id, cents.id, { priceInPoints: 10 });
    const customer = await createCustomer(t, code, 100);
    expect((await pageOf(store.id, customer.token, 20)).ids).toEqual([listing.id]);
    await t.sql(`update point_currency set money_currency = 'JPY' where code = $1`, [code]);
    expect((await pageOf(store.id, customer.token, 20)).ids).toEqual([]);
    await t.sql(`update point_currency set money_currency = 'EUR' where code = $1`, [code]);
    expect((await pageOf(store.id, customer.token, 20)).ids).toEqual([listing.id]);

    const codes = [...moneysByDigits().values()].flat().concat(['EUR', 'USD', 'XYZ']);
    const rows = await t.sql<{ code: string; digits: number }>(`select c as code, money_digits(c) as digits from unnest($1::text[]) c`, [codes]);
    expect(rows.map((r) => [r.code, Number(r.digits)])).toEqual(codes.map((c) => [c, minorDigits(c)]));
  });
});
