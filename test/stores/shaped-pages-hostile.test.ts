import { PurchaseOfferDocument, RewardStoreOffersDocument } from '../generated/graphql.js';
import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { addListing, createCustomer, createOffer, createStore, simpleShop, unique } from '../support/program.js';
import { recordStatements } from '../support/statements.js';

/**
 * Hostile pass on the store page's statements built once per shape and bound per call
 * (src/db/sql.ts `statement`, src/stores/store.service.ts): whoever ran a shape first, every
 * later caller gets their own page, at every size and cursor, in as many statements.
 */
describe('the store page, its statements built once, attacked', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ EVENT_FANOUT: 'off' }, { jobs: 'manual' });
  });
  afterAll(() => t.close());

  type Page = { edges: { cursor: string; node: { id: string; purchasedByMe: number; affordable: boolean; pointsMissing: number } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
  const staffQuery = `query StaffPage($id: ID!, $first: Int, $after: String) { node(id: $id) { ... on RewardStore { listings(first: $first, after: $after) {
    edges { cursor node { id purchasedByMe affordable pointsMissing } } pageInfo { hasNextPage endCursor } } } } }`;
  async function pageOf(storeId: string, token: string, first: number, after: string | null = null) {
    const staff = token === t.operatorToken;
    const res = await t.gql<{ node: { listings: Page } | null }, Record<string, unknown>>(staff ? staffQuery : String(RewardStoreOffersDocument), staff ? { id: storeId, first, after } : { storeId, first, after }, token);
    return res;
  }
  const idsOf = (page: Page) => page.edges.map((e) => e.node.id);

  it('gives staff, an eligible customer and one who is not, hammering one page at once, each their own page', async () => {
    const shop = await simpleShop(t, { priceInPoints: 100, sortOrder: 2 });
    const vip = await createStore(t, shop.currency, { eligibility: { segments: ['vip'] } });
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString();
    const hidden = await addListing(t, vip.id, (await createOffer(t)).id, { priceInPoints: 50, sortOrder: 1, visibleFrom: tomorrow });
    const shown = await addListing(t, vip.id, (await createOffer(t)).id, { priceInPoints: 300, sortOrder: 2 });
    const rich = await createCustomer(t, shop.currency, 1_000, { segments: ['vip'] });
    const poor = await createCustomer(t, shop.currency, 100, { segments: ['vip'] });
    const outsider = await createCustomer(t, shop.currency, 5_000);
    ok(await t.gql(PurchaseOfferDocument, { listingId: shown.id, idempotencyKey: unique('p') }, rich.token));
    const expected = new Map<string, unknown>([
      [t.operatorToken, [hidden.id, shown.id]],
      [rich.token, [{ id: shown.id, purchasedByMe: 1, affordable: true, pointsMissing: 0 }]],
      [poor.token, [{ id: shown.id, purchasedByMe: 0, affordable: false, pointsMissing: 200 }]],
      [outsider.token, null],
    ]);
    const callers = Array.from({ length: 40 }, (_, i) => [t.operatorToken, rich.token, poor.token, outsider.token][i % 4]);
    const pages = await Promise.all(callers.map((token) => pageOf(vip.id, token, 20)));
    pages.forEach((res, i) => {
      const token = callers[i];
      const listings = res.data?.node?.listings;
      const got = !listings ? null : token === t.operatorToken ? idsOf(listings) : listings.edges.map((e) => ({ id: e.node.id, purchasedByMe: e.node.purchasedByMe, affordable: e.node.affordable, pointsMissing: e.node.pointsMissing }));
      expect({ i, errors: res.errors, got }).toEqual({ i, errors: undefined, got: expected.get(token) });
    });
  });

  it('answers every page size and cursor as a page of that store, and refuses the rest as bad input', async () => {
    const shop = await simpleShop(t, { priceInPoints: 1, sortOrder: 0 });
    const ids = [shop.listing.id];
    for (let i = 1; i < 25; i++) ids.push((await addListing(t, shop.store.id, (await createOffer(t)).id, { priceInPoints: 1, sortOrder: i })).id);
    const other = await simpleShop(t, { priceInPoints: 1, sortOrder: 7 });
    const empty = await createStore(t, shop.currency);
    const customer = await createCustomer(t, shop.currency, 10);
    for (const token of [customer.token, t.operatorToken]) {
      for (const [first, count] of [[0, 0], [1, 1], [20, 20], [100, 25]] as const) {
        const page = ok(await pageOf(shop.store.id, token, first)).node!.listings;
        expect({ first, ids: idsOf(page), next: page.pageInfo.hasNextPage }).toEqual({ first, ids: ids.slice(0, count), next: count < 25 });
      }
      const over = await pageOf(shop.store.id, token, 101);
      expect(over.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
      expect(ok(await pageOf(empty.id, token, 20)).node!.listings).toEqual({ edges: [], pageInfo: { hasNextPage: false, endCursor: null } });
      // Another store's cursor names a place in the order (sort 7), not a listing: the page goes on from there in this store.
      const foreign = ok(await pageOf(other.store.id, token, 1)).node!.listings.pageInfo.endCursor;
      expect(idsOf(ok(await pageOf(shop.store.id, token, 3, foreign)).node!.listings)).toEqual(ids.slice(8, 11));
      const forged = [
        // A listings cursor's kind with a key out of range or of the wrong shape, then no kind at all.
        Buffer.from('["Listing",99999999999,1]').toString('base64url'),
        Buffer.from('["Listing",1,-5]').toString('base64url'),
        Buffer.from('["Listing",1.5,2]').toString('base64url'),
        Buffer.from('["Listing","1","2"]').toString('base64url'),
        Buffer.from('["Listing",1]').toString('base64url'),
        Buffer.from('[1,1]').toString('base64url'),
        Buffer.from('{"a":1}').toString('base64url'),
        'not a cursor',
        '', // no cursor we issue (edges-input: it used to read as "from the start"; null is that)
      ];
      for (const after of forged) {
        const res = await pageOf(shop.store.id, token, 3, after);
        expect({ after, codes: res.errors?.map((e) => e.extensions?.code) }).toEqual({ after, codes: ['BAD_USER_INPUT'] });
      }
      expect(idsOf(ok(await pageOf(shop.store.id, token, 3, null)).node!.listings)).toEqual(ids.slice(0, 3));
    }
  });

  it('walks pages while listings come and go between them: none twice, none lost that stayed', async () => {
    const shop = await simpleShop(t, { priceInPoints: 1, sortOrder: 10 });
    const ids = [shop.listing.id];
    for (const sortOrder of [20, 30, 40, 50]) ids.push((await addListing(t, shop.store.id, (await createOffer(t)).id, { priceInPoints: 1, sortOrder })).id);
    const customer = await createCustomer(t, shop.currency, 10);
    const first = ok(await pageOf(shop.store.id, customer.token, 2)).node!.listings;
    expect(idsOf(first)).toEqual(ids.slice(0, 2));
    const before = (await addListing(t, shop.store.id, (await createOffer(t)).id, { priceInPoints: 1, sortOrder: 5 })).id;
    const after = (await addListing(t, shop.store.id, (await createOffer(t)).id, { priceInPoints: 1, sortOrder: 35 })).id;
    const second = ok(await pageOf(shop.store.id, customer.token, 2, first.pageInfo.endCursor)).node!.listings;
    const third = ok(await pageOf(shop.store.id, customer.token, 2, second.pageInfo.endCursor)).node!.listings;
    expect([...idsOf(second), ...idsOf(third)]).toEqual([ids[2], after, ids[3], ids[4]]);
    expect(third.pageInfo.hasNextPage).toBe(false);
    expect(idsOf(ok(await pageOf(shop.store.id, customer.token, 1)).node!.listings)).toEqual([before]);
  });

  it('sends as many statements for a page of 1 as of 20, for a customer and for staff', async () => {
    const shop = await simpleShop(t, { priceInPoints: 1, sortOrder: 0 });
    for (let i = 1; i < 20; i++) await addListing(t, shop.store.id, (await createOffer(t)).id, { priceInPoints: 1, sortOrder: i });
    const customer = await createCustomer(t, shop.currency, 10);
    const recorder = recordStatements();
    try {
      for (const token of [customer.token, t.operatorToken]) {
        // Warm: the document compiled and the customer's id known (a first request reads the
        // customer on its own: test/auth/customer-check.test.ts), which is not per page.
        for (let i = 0; i < 4; i++) ok(await pageOf(shop.store.id, token, 2));
        const counts: number[] = [];
        for (const first of [1, 5, 20, 1]) {
          recorder.take();
          ok(await pageOf(shop.store.id, token, first));
          counts.push(recorder.take().filter((s) => !s.text.includes('rate_limit_bucket')).length);
        }
        expect(new Set(counts).size).toBe(1);
      }
    } finally {
      recorder.stop();
    }
  });

  it("binds each request's own segments: a customer given the store's segment sees it at the next request, and loses it after", async () => {
    const shop = await simpleShop(t, { priceInPoints: 1 });
    const vip = await createStore(t, shop.currency, { eligibility: { segments: ['vip'] } });
    const listing = await addListing(t, vip.id, (await createOffer(t)).id, { priceInPoints: 1 });
    const customer = await createCustomer(t, shop.currency, 10);
    const setSegments = async (segments: string[]) =>
      ok(await t.gql(`mutation S($input: UpsertCustomerInput!) { upsertCustomer(input: $input) { customer { segments } userErrors { code } } }`, { input: { externalId: customer.externalId, segments } }, t.operatorToken));
    const seen = async () => (await pageOf(vip.id, customer.token, 5)).data?.node?.listings.edges.map((e) => e.node.id) ?? null;
    expect(await seen()).toBeNull();
    await setSegments(['vip']);
    expect(await seen()).toEqual([listing.id]);
    await setSegments(['other']);
    expect(await seen()).toBeNull();
  });

  it("binds each request's now: a store and a listing that end are gone once the clock passes them", async () => {
    const shop = await simpleShop(t, { priceInPoints: 1 });
    const now = t.clock.now().getTime();
    const soon = new Date(now + 60_000).toISOString();
    const later = new Date(now + 120_000).toISOString();
    const store = await createStore(t, shop.currency, { endsAt: later });
    const short = await addListing(t, store.id, (await createOffer(t)).id, { priceInPoints: 1, sortOrder: 1, visibleUntil: soon });
    const long = await addListing(t, store.id, (await createOffer(t)).id, { priceInPoints: 1, sortOrder: 2 });
    const customer = await createCustomer(t, shop.currency, 10);
    const seen = async () => (await pageOf(store.id, customer.token, 5)).data?.node?.listings.edges.map((e) => e.node.id) ?? null;
    expect(await seen()).toEqual([short.id, long.id]);
    t.clock.advance(90_000);
    expect(await seen()).toEqual([long.id]);
    t.clock.advance(60_000);
    expect(await seen()).toBeNull();
    // Staff still see the closed store's listings.
    expect(idsOf(ok(await pageOf(store.id, t.operatorToken, 5)).node!.listings)).toEqual([short.id, long.id]);
  });
});
