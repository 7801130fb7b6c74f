import pino from 'pino';
import { startGateway, type Gateway } from '../../src/http/server.js';
import {
  EligibleRewardStoresDocument,
  GiftListsDocument,
  PointHistoryDocument,
  ProfileDocument,
  PurchaseOfferDocument,
  RewardStoreOffersDocument,
  WalletDocument,
} from '../generated/graphql.js';
import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { addListing, createCustomer, createOffer, simpleShop, unique } from '../support/program.js';

/**
 * Query documents sent often, or registered, run compiled (graphql-jit) instead of through
 * graphql-js and Apollo (src/graphql/compiled.ts). The same database is served by a second
 * gateway with COMPILED_QUERIES off: every answer must be the same bytes, for every caller, and
 * no caller may ever get another's data.
 */
describe('compiled query documents', () => {
  let t: TestGateway;
  let interpreted: Gateway;
  let shop: Awaited<ReturnType<typeof simpleShop>>;
  let rich: { token: string };
  let poor: { token: string };

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    interpreted = await startGateway(
      { config: { ...t.config, compiledQueries: false }, orm: t.orm, databaseUrl: t.databaseUrl, clock: t.clock, log: pino({ level: 'silent' }) },
      0,
      '127.0.0.1',
    );
    shop = await simpleShop(t, { priceInPoints: 100 });
    for (let i = 0; i < 4; i++) await addListing(t, shop.store.id, (await createOffer(t)).id, { priceInPoints: 300 + i * 200, sortOrder: i + 1 });
    rich = await createCustomer(t, shop.currency, 2_000);
    poor = await createCustomer(t, shop.currency, 150);
    // Purchases, a wallet and a history that differ between the two customers.
    for (let i = 0; i < 2; i++) {
      const bought = ok(await t.gql(PurchaseOfferDocument, { listingId: shop.listing.id, idempotencyKey: unique('buy') }, rich.token)).purchaseOffer;
      expect(bought.userErrors).toEqual([]);
    }
  });
  afterAll(async () => {
    await interpreted?.close();
    await t?.close();
  });

  async function post(url: string, body: unknown, token?: string, headers: Record<string, string> = {}) {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      body: JSON.stringify(body),
    });
    return { status: res.status, contentType: res.headers.get('content-type'), text: await res.text() };
  }

  async function compiledRequests(): Promise<number> {
    const text = await (await t.fetch('/metrics')).text();
    return Number(/^graphql_requests_compiled_total (\d+)/m.exec(text)?.[1] ?? NaN);
  }

  const bodyOf = (op: { query: string; variables: Record<string, unknown> }) => ({ query: op.query, variables: op.variables });
  const queries = () => [
    { name: 'Profile', query: String(ProfileDocument), variables: {} },
    { name: 'EligibleRewardStores', query: String(EligibleRewardStoresDocument), variables: { first: 5 } },
    { name: 'RewardStoreOffers', query: String(RewardStoreOffersDocument), variables: { storeId: shop.store.id, first: 3 } },
    { name: 'Wallet', query: String(WalletDocument), variables: { first: 10 } },
    { name: 'PointHistory', query: String(PointHistoryDocument), variables: { currency: shop.currency } },
    { name: 'GiftLists', query: String(GiftListsDocument), variables: {} },
  ];

  it("answers the mobile contract's queries byte for byte as the interpreter does, for each caller", async () => {
    const before = await compiledRequests();
    for (const op of queries()) {
      for (const customer of [rich, poor]) {
        const expected = await post(interpreted.url, { query: op.query, variables: op.variables }, customer.token);
        expect(expected.status).toBe(200);
        expect(JSON.parse(expected.text).errors).toBeUndefined();
        // Sent often enough to be compiled on the way: the first answers come from Apollo, the rest compiled.
        for (let i = 0; i < 4; i++) {
          const got = await post(t.url, { query: op.query, variables: op.variables }, customer.token);
          expect({ op: op.name, ...got }).toEqual({ op: op.name, ...expected });
        }
      }
    }
    // 6 queries × 2 callers × 4 sends, the first two sends of each text interpreted.
    expect((await compiledRequests()) - before).toBe(queries().length * 6);
  });

  it("never answers one caller with another's data, under interleaved parallel requests", async () => {
    const page = queries().find((q) => q.name === 'RewardStoreOffers')!;
    const profile = queries().find((q) => q.name === 'Profile')!;
    const expected = new Map<string, string>();
    for (const op of [page, profile]) {
      for (const customer of [rich, poor]) expected.set(`${op.name}:${customer.token}`, (await post(interpreted.url, bodyOf(op), customer.token)).text);
    }
    // The two callers really see different things (balance, purchase counts, affordability).
    expect(expected.get(`RewardStoreOffers:${rich.token}`)).not.toBe(expected.get(`RewardStoreOffers:${poor.token}`));
    expect(expected.get(`Profile:${rich.token}`)).not.toBe(expected.get(`Profile:${poor.token}`));

    const before = await compiledRequests();
    const sends = Array.from({ length: 60 }, (_, i) => ({ op: i % 4 < 2 ? page : profile, customer: i % 2 ? rich : poor }));
    const answers = await Promise.all(sends.map(({ op, customer }) => post(t.url, bodyOf(op), customer.token)));
    answers.forEach((answer, i) => expect(answer.text).toBe(expected.get(`${sends[i].op.name}:${sends[i].customer.token}`)));
    expect((await compiledRequests()) - before).toBe(sends.length);
  });

  it('leaves to Apollo what a compiled document cannot answer cleanly: errors, anonymous callers, other media types', async () => {
    const page = bodyOf(queries().find((q) => q.name === 'RewardStoreOffers')!);
    for (let i = 0; i < 3; i++) await post(t.url, page, rich.token); // compiled by now
    const withoutRequestId = (text: string) => JSON.stringify(JSON.parse(text), (key, value) => (key === 'requestId' ? undefined : value));
    const cases: { body: unknown; token?: string; headers?: Record<string, string> }[] = [
      { body: { ...page, variables: { storeId: shop.store.id, first: 1_000 } }, token: rich.token }, // refused by the resolver
      { body: { ...page, variables: { storeId: 5 } }, token: rich.token }, // a variable of the wrong type
      { body: { ...page, variables: {} }, token: rich.token }, // a required variable missing
      { body: page }, // no credentials
      { body: { ...page, operationName: 'Other' }, token: rich.token },
      { body: page, token: rich.token, headers: { accept: 'application/graphql-response+json' } },
      { body: page, token: rich.token, headers: { accept: 'text/html' } },
    ];
    for (const { body, token, headers } of cases) {
      const expected = await post(interpreted.url, body, token, headers);
      const got = await post(t.url, body, token, headers);
      expect({ status: got.status, contentType: got.contentType, body: withoutRequestId(got.text) }).toEqual({
        status: expected.status,
        contentType: expected.contentType,
        body: withoutRequestId(expected.text),
      });
    }
  });
});
