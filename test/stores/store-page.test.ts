import { PurchaseOfferDocument, RewardStoreOffersDocument } from '../generated/graphql.js';
import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { addListing, adjust, createCurrency, createCustomer, createOffer, createStore, simpleShop, storeOf, unique, uniqueCode } from '../support/program.js';
import { headOf, recordStatements } from '../support/statements.js';

/**
 * Issue 12, fifth session: `node(id:)` of a RewardStore that asks for its `listings` reads the store
 * (with the customer's eligibility) and that page in one statement (src/stores/store-page.ts), and
 * `RewardStore.listings` answers from it when it asks for the same page. What a customer sees must
 * be what the two statements gave: these fail when the merged path checks eligibility differently,
 * leaks listings of a store the viewer may not see, loses a store without listings, or serves a
 * page read for other arguments.
 */
describe('the store and its page of listings in one statement', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ EVENT_FANOUT: 'off' }, { jobs: 'manual' });
  });
  afterAll(() => t.close());

  type Edge = { cursor: string; node: { id: string; purchasedByMe: number | null; affordable: boolean | null; pointsMissing: number | null } };
  type Conn = { edges: Edge[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
  const LISTING = `edges { cursor node { id purchasedByMe affordable pointsMissing } } pageInfo { hasNextPage endCursor }`;

  /** The page as RewardStoreOffers gives it, and the statements the gateway sent for it (the caller's row aside). */
  async function page(storeId: string, token: string, first = 20, after: string | null = null) {
    const recorder = recordStatements();
    try {
      const res = await t.gql(RewardStoreOffersDocument, { storeId, first, after }, token);
      const sent = recorder.take().filter((s) => !s.text.includes('rate_limit_bucket') && !headOf(s.text, 4).startsWith('select c.id, c.external_id'));
      return { res, sent };
    } finally {
      recorder.stop();
    }
  }
  const rowsOf = (conn: Conn) => conn.edges.map((e) => ({ id: e.node.id, purchasedByMe: e.node.purchasedByMe, affordable: e.node.affordable, pointsMissing: e.node.pointsMissing }));

  it('answers null for a store whose balance rule the customer misses in its currency, with no listing read; the same store in full once they meet it', async () => {
    const shop = await simpleShop(t, { priceInPoints: 10 });
    const other = uniqueCode('O');
    await createCurrency(t, other);
    const store = await createStore(t, shop.currency, { eligibility: { minBalance: 500 } });
    const listing = await addListing(t, store.id, (await createOffer(t)).id, { priceInPoints: 600 });
    // 1,000 points, but in another currency: the rule reads the store's currency only.
    const customer = await createCustomer(t, other, 1_000);
    const refused = await page(store.id, customer.token);
    expect(refused.res.errors).toBeUndefined();
    expect(refused.res.data?.node).toBeNull();
    expect(refused.sent).toHaveLength(1);

    await adjust(t, customer.externalId, shop.currency, 499);
    expect((await page(store.id, customer.token)).res.data?.node).toBeNull();
    await adjust(t, customer.externalId, shop.currency, 1);
    const shown = await page(store.id, customer.token);
    expect(shown.sent).toHaveLength(1);
    const node = storeOf(ok(shown.res).node);
    expect(node.code).toBe(store.code);
    expect(rowsOf(node.listings as Conn)).toEqual([{ id: listing.id, purchasedByMe: 0, affordable: false, pointsMissing: 100 }]);
  });

  it('keeps the lifetime points rule: points spent still count, points never earned do not', async () => {
    const shop = await simpleShop(t, { priceInPoints: 300 });
    const store = await createStore(t, shop.currency, { eligibility: { minLifetimePoints: 400 } });
    await addListing(t, store.id, (await createOffer(t)).id, { priceInPoints: 10 });
    const customer = await createCustomer(t, shop.currency, 399);
    expect((await page(store.id, customer.token)).res.data?.node).toBeNull();
    await adjust(t, customer.externalId, shop.currency, 1);
    ok(await t.gql(PurchaseOfferDocument, { listingId: shop.listing.id, idempotencyKey: unique('p') }, customer.token));
    // 100 points left, 400 earned in all: still in.
    const node = storeOf(ok((await page(store.id, customer.token)).res).node);
    expect(rowsOf(node.listings as Conn)).toEqual([expect.objectContaining({ affordable: true, pointsMissing: 0 })]);
  });

  it('answers a store without listings on show as the store with an empty page', async () => {
    const shop = await simpleShop(t);
    const empty = await createStore(t, shop.currency);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString();
    const later = await createStore(t, shop.currency);
    await addListing(t, later.id, (await createOffer(t)).id, { visibleFrom: tomorrow });
    const customer = await createCustomer(t, shop.currency, 10);
    for (const store of [empty, later]) {
      const { res, sent } = await page(store.id, customer.token);
      expect(ok(res).node).toEqual({ id: store.id, code: store.code, name: store.name, listings: { edges: [], pageInfo: { hasNextPage: false, endCursor: null } } });
      expect(sent).toHaveLength(1);
    }
  });

  it('walks to the second page by its cursor, each page in one statement, each customer seeing their own purchases', async () => {
    const shop = await simpleShop(t, { priceInPoints: 5, sortOrder: 0 });
    const ids = [shop.listing.id];
    for (let i = 1; i < 5; i++) ids.push((await addListing(t, shop.store.id, (await createOffer(t)).id, { priceInPoints: 5, sortOrder: i })).id);
    const buyer = await createCustomer(t, shop.currency, 100);
    const other = await createCustomer(t, shop.currency, 7);
    ok(await t.gql(PurchaseOfferDocument, { listingId: ids[3], idempotencyKey: unique('p') }, buyer.token));
    ok(await t.gql(PurchaseOfferDocument, { listingId: ids[3], idempotencyKey: unique('p') }, buyer.token));
    const first = await page(shop.store.id, buyer.token, 3);
    const one = storeOf(ok(first.res).node).listings as Conn;
    expect(one.edges.map((e) => e.node.id)).toEqual(ids.slice(0, 3));
    expect(one.pageInfo.hasNextPage).toBe(true);
    const second = await page(shop.store.id, buyer.token, 3, one.pageInfo.endCursor);
    expect(second.sent).toHaveLength(1);
    const two = storeOf(ok(second.res).node).listings as Conn;
    expect(rowsOf(two)).toEqual([
      { id: ids[3], purchasedByMe: 2, affordable: true, pointsMissing: 0 },
      { id: ids[4], purchasedByMe: 0, affordable: true, pointsMissing: 0 },
    ]);
    expect(two.pageInfo).toEqual({ hasNextPage: false, endCursor: two.edges[1].cursor });
    // Another customer, at the same time: their own counts and balance, never the buyer's.
    const [mine, theirs] = await Promise.all([page(shop.store.id, other.token, 3, one.pageInfo.endCursor), page(shop.store.id, buyer.token, 3, one.pageInfo.endCursor)]);
    expect(rowsOf(storeOf(ok(mine.res).node).listings as Conn)).toEqual([
      { id: ids[3], purchasedByMe: 0, affordable: true, pointsMissing: 0 },
      { id: ids[4], purchasedByMe: 0, affordable: true, pointsMissing: 0 },
    ]);
    expect(rowsOf(storeOf(ok(theirs.res).node).listings as Conn)[0].purchasedByMe).toBe(2);
  });

  it('answers two pages of one store with other sizes and cursors in one operation each with its own rows', async () => {
    const shop = await simpleShop(t, { priceInPoints: 5, sortOrder: 0 });
    const ids = [shop.listing.id];
    for (let i = 1; i < 4; i++) ids.push((await addListing(t, shop.store.id, (await createOffer(t)).id, { priceInPoints: 5, sortOrder: i })).id);
    const customer = await createCustomer(t, shop.currency, 100);
    const cursorOfSecond = (storeOf(ok((await page(shop.store.id, customer.token, 2)).res).node).listings as Conn).edges[1].cursor;
    const query = `query Two($id: ID!, $after: String) { node(id: $id) { ... on RewardStore { code
      a: listings(first: 1) { ${LISTING} }
      b: listings(first: 3) { ${LISTING} }
      c: listings(first: 1, after: $after) { ${LISTING} } } ...More } }
      fragment More on RewardStore { d: listings(first: 2, after: $after) { ${LISTING} } }`;
    const res = await t.gql<{ node: Record<'a' | 'b' | 'c' | 'd', Conn> }, Record<string, unknown>>(query, { id: shop.store.id, after: cursorOfSecond }, customer.token);
    const node = ok(res).node;
    expect(node.a.edges.map((e) => e.node.id)).toEqual(ids.slice(0, 1));
    expect(node.b.edges.map((e) => e.node.id)).toEqual(ids.slice(0, 3));
    expect(node.c.edges.map((e) => e.node.id)).toEqual(ids.slice(2, 3));
    expect(node.d.edges.map((e) => e.node.id)).toEqual(ids.slice(2, 4));
    expect([node.a.pageInfo.hasNextPage, node.b.pageInfo.hasNextPage, node.c.pageInfo.hasNextPage, node.d.pageInfo.hasNextPage]).toEqual([true, true, true, false]);
  });

  it('reads the page with the store through a named fragment, not under @skip, and leaves a store without listings asked to its own statement', async () => {
    const shop = await simpleShop(t, { priceInPoints: 5 });
    const customer = await createCustomer(t, shop.currency, 100);
    const recorder = recordStatements();
    const run = async (query: string) => {
      recorder.take();
      const res = await t.gql<{ node: Record<string, unknown> | null }, Record<string, unknown>>(query, { id: shop.store.id }, customer.token);
      return { node: ok(res).node, heads: recorder.take().filter((s) => s.values?.length && !s.text.includes('rate_limit_bucket')).map((s) => headOf(s.text, 3)) };
    };
    try {
      const spread = await run(`query F($id: ID!) { node(id: $id) { ...S } } fragment S on RewardStore { name listings(first: 5) { edges { node { id } } } }`);
      expect(spread.node).toEqual({ name: shop.store.name, listings: { edges: [{ node: { id: shop.listing.id } }] } });
      expect(spread.heads).toEqual(['select c.id, c.external_id', 'with vc as']);
      const skipped = await run(`query K($id: ID!) { node(id: $id) { ... on RewardStore { name listings(first: 5) @skip(if: true) { edges { node { id } } } } } }`);
      expect(skipped.node).toEqual({ name: shop.store.name });
      expect(skipped.heads).toEqual(['select c.id, c.external_id', 'select s.id, s.code,']);
      const storeOnly = await run(`query O($id: ID!) { node(id: $id) { ... on RewardStore { code } } }`);
      expect(storeOnly.node).toEqual({ code: shop.store.code });
      expect(storeOnly.heads).toEqual(['select c.id, c.external_id', 'select s.id, s.code,']);
    } finally {
      recorder.stop();
    }
  });

  it('refuses a bad first or after as before, for the merged path too', async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency, 10);
    for (const [first, after] of [[-1, null], [10_000, null], [2, 'not-a-cursor']] as const) {
      const res = await t.gql(RewardStoreOffersDocument, { storeId: shop.store.id, first, after }, customer.token);
      expect(res.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    }
  });
});
