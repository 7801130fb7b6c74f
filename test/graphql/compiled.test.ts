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
import { compiledRequests, ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
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
    const before = await compiledRequests(t);
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
    expect((await compiledRequests(t)) - before).toBe(queries().length * 6);
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

    const before = await compiledRequests(t);
    const sends = Array.from({ length: 60 }, (_, i) => ({ op: i % 4 < 2 ? page : profile, customer: i % 2 ? rich : poor }));
    const answers = await Promise.all(sends.map(({ op, customer }) => post(t.url, bodyOf(op), customer.token)));
    answers.forEach((answer, i) => expect(answer.text).toBe(expected.get(`${sends[i].op.name}:${sends[i].customer.token}`)));
    expect((await compiledRequests(t)) - before).toBe(sends.length);
  });

  it('answers PurchaseOffer compiled as the interpreter does: a purchase, a refusal, a repeat, an error', async () => {
    const purchase = (listingId: string, idempotencyKey: string) => ({ query: String(PurchaseOfferDocument), variables: { listingId, idempotencyKey } });
    // What differs between two real purchases (ids, codes, the expiry from the clock) is masked; everything else must match.
    const masked = (text: string) =>
      JSON.stringify(JSON.parse(text), (key, value) => (['requestId', 'id', 'code', 'expiresAt'].includes(key) && typeof value === 'string' ? 'X' : value));
    const buyers = [await createCustomer(t, shop.currency, 350), await createCustomer(t, shop.currency, 350)];
    const [compiledBuyer, interpretedBuyer] = buyers;
    const before = await compiledRequests(t);
    const cases = (key: string) => [
      purchase(shop.listing.id, `${key}-1`), // bought
      purchase(shop.listing.id, `${key}-1`), // the same key again: the first answer
      purchase(shop.listing.id, `${key}-2`), // bought
      purchase(shop.listing.id, `${key}-3`), // bought
      purchase(shop.listing.id, `${key}-4`), // INSUFFICIENT_POINTS
      purchase('not-a-listing', `${key}-5`), // BAD_USER_INPUT (a GraphQL error, not a user error)
    ];
    for (const [i, body] of cases('compiled').entries()) {
      const expected = await post(interpreted.url, cases('interpreted')[i], interpretedBuyer.token);
      const got = await post(t.url, body, compiledBuyer.token);
      if (i === 4) expect(got.text).toContain('"code":"INSUFFICIENT_POINTS"');
      if (i === 5) expect(got.text).toContain('"code":"BAD_USER_INPUT"');
      expect({ i, status: got.status, contentType: got.contentType, body: masked(got.text) }).toEqual({
        i,
        status: expected.status,
        contentType: expected.contentType,
        body: masked(expected.text),
      });
    }
    // beforeAll sent the text twice, so it is compiled from its third send: every case answered
    // compiled (data and user errors) but the error, which Apollo answered.
    expect((await compiledRequests(t)) - before).toBe(5);
    const [bought] = await t.sql<{ n: number }>(`select count(*)::int as n from offer_purchase p join customer c on c.id = p.customer_id where c.external_id = $1`, [
      compiledBuyer.externalId,
    ]);
    expect(bought.n).toBe(3);
    expect(await ledgerViolations(t)).toEqual([]);
  });

  it('refuses a mutation document of several root fields, compiled or not, before any of them runs', async () => {
    // A staff mutation with no idempotency key (each run creates an offer) next to a field that
    // fails when asked for (a staff caller cannot buy). graphql-jit would run every root field even
    // after an error nulled the answer (compiled-mutations-hostile.test.ts); since hostile pass 12c
    // such a document is refused by validation (one root field per mutation), so nothing compiles it
    // and nothing of it runs, on either path.
    const document = `mutation OfferThenFail($name: String!, $fail: Boolean!) {
      made: createOffer(input: { name: $name, description: "d", benefit: { kind: FREE_ITEM, freeSku: "M", categories: ["COFFEE"] }, validDays: 30 }) {
        offer { version } userErrors { code }
      }
      refused: purchaseOffer(input: { listingId: "${shop.listing.id}", idempotencyKey: "never" }) @include(if: $fail) { userErrors { code } }
    }`;
    const withoutRequestId = (text: string) => JSON.stringify(JSON.parse(text), (key, value) => (key === 'requestId' ? undefined : value));
    const offersNamed = async (name: string) => (await t.sql<{ n: number }>(`select count(distinct offer_id)::int as n from offer_version where name = $1`, [name]))[0].n;
    const before = await compiledRequests(t);
    // Sent more often than a text needs to be compiled.
    const names = Array.from({ length: 4 }, () => unique('refused'));
    for (const name of names) {
      const expected = await post(interpreted.url, { query: document, variables: { name, fail: false } }, t.operatorToken);
      const got = await post(t.url, { query: document, variables: { name, fail: false } }, t.operatorToken);
      expect(JSON.parse(got.text).errors.map((e: { extensions: { code: string } }) => e.extensions.code)).toEqual(['QUERY_TOO_COMPLEX']);
      expect({ status: got.status, contentType: got.contentType, body: withoutRequestId(got.text) }).toEqual({
        status: expected.status,
        contentType: expected.contentType,
        body: withoutRequestId(expected.text),
      });
      expect(got.status).toBe(400);
      expect(await offersNamed(name)).toBe(0);
    }
    expect((await compiledRequests(t)) - before).toBe(0);
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
