import { PointHistoryDocument, PurchaseOfferDocument, RewardStoreOffersDocument, WalletDocument } from '../generated/graphql.js';
import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { addListing, adjust, createCustomer, createOffer, simpleShop, storeOf } from '../support/program.js';

/** Relay connections: walking every page yields every item once, in order. */
describe('pagination', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(() => t.close());

  it('pages through listings by sort order, then wallet and history newest first', async () => {
    const shop = await simpleShop(t, { priceInPoints: 1, sortOrder: 5 });
    const ids = [shop.listing.id];
    for (const sortOrder of [3, 5, 1, 9, 3, 7]) ids.push((await addListing(t, shop.store.id, (await createOffer(t)).id, { priceInPoints: 1, sortOrder })).id);
    const customer = await createCustomer(t, shop.currency, 100);

    const listingsAfter = async (after: string | null) =>
      storeOf(ok(await t.gql(RewardStoreOffersDocument, { storeId: shop.store.id, first: 3, after }, customer.token)).node).listings;
    const seen: string[] = [];
    const pages: boolean[] = [];
    let after: string | null = null;
    do {
      const page = await listingsAfter(after);
      seen.push(...page.edges.map((e) => e.node.id));
      pages.push(page.pageInfo.hasNextPage);
      expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)?.cursor ?? null);
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    } while (after);
    expect(pages).toEqual([true, true, false]);
    // sort order 1, 3, 3, 5, 5, 7, 9; ties by creation
    expect(seen).toEqual([ids[3], ids[1], ids[5], ids[0], ids[2], ids[6], ids[4]]);

    for (let i = 0; i < 5; i++) ok(await t.gql(PurchaseOfferDocument, { listingId: ids[i], idempotencyKey: `p${i}` }, customer.token));
    const first = ok(await t.gql(WalletDocument, { first: 2 }, customer.token)).me!.wallet;
    const rest = ok(await t.gql(WalletDocument, { first: 10, after: first.pageInfo.endCursor }, customer.token)).me!.wallet;
    expect(first.pageInfo.hasNextPage).toBe(true);
    expect(rest.pageInfo.hasNextPage).toBe(false);
    const wallet = [...first.edges, ...rest.edges].map((e) => e.node.id);
    expect(new Set(wallet).size).toBe(5);
    expect(ok(await t.gql(WalletDocument, { status: ['REDEEMED'] }, customer.token)).me!.wallet.edges).toEqual([]);
    expect(ok(await t.gql(WalletDocument, { status: ['ISSUED'], first: 50 }, customer.token)).me!.wallet.edges).toHaveLength(5);

    await adjust(t, customer.externalId, shop.currency, 7);
    const history = ok(await t.gql(PointHistoryDocument, { first: 4 }, customer.token)).me!.pointHistory;
    expect(history.edges.map((e) => e.node.amount)).toEqual([7, -1, -1, -1]);
    const older = ok(await t.gql(PointHistoryDocument, { first: 4, after: history.pageInfo.endCursor }, customer.token)).me!.pointHistory;
    expect(older.edges.map((e) => e.node.amount)).toEqual([-1, -1, 100]);
    expect(older.pageInfo.hasNextPage).toBe(false);
  });

  it('staff page through every listing of a store, those not on show to customers too', async () => {
    const shop = await simpleShop(t, { priceInPoints: 1, sortOrder: 2 });
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString();
    const later = await addListing(t, shop.store.id, (await createOffer(t)).id, { priceInPoints: 2, sortOrder: 1, visibleFrom: tomorrow });
    const last = await addListing(t, shop.store.id, (await createOffer(t)).id, { priceInPoints: 3, sortOrder: 3 });
    const customer = await createCustomer(t, shop.currency, 10);
    type Listings = { edges: { node: { id: string; priceInPoints: number } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
    const staffPage = async (after: string | null) =>
      ok(
        await t.gql<{ node: { listings: Listings } }, { id: string; after: string | null }>(
          `query StaffListings($id: ID!, $after: String) { node(id: $id) { ... on RewardStore { listings(first: 2, after: $after) { edges { node { id priceInPoints } } pageInfo { hasNextPage endCursor } } } } }`,
          { id: shop.store.id, after },
          t.operatorToken,
        ),
      ).node.listings;
    const first = await staffPage(null);
    const second = await staffPage(first.pageInfo.endCursor);
    expect(first.edges.map((e) => e.node)).toEqual([{ id: later.id, priceInPoints: 2 }, { id: shop.listing.id, priceInPoints: 1 }]);
    expect(first.pageInfo.hasNextPage).toBe(true);
    expect(second.edges.map((e) => e.node)).toEqual([{ id: last.id, priceInPoints: 3 }]);
    expect(second.pageInfo.hasNextPage).toBe(false);
    // the same store for a customer, in the same process: the listing not on show yet is not there
    const forCustomer = storeOf(ok(await t.gql(RewardStoreOffersDocument, { storeId: shop.store.id, first: 20 }, customer.token)).node).listings;
    expect(forCustomer.edges.map((e) => e.node.id)).toEqual([shop.listing.id, last.id]);
  });
});
