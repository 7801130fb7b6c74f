import { type CustomerStatus, ProfileDocument, PurchaseOfferDocument, RewardStoreOffersDocument, UpsertCustomerDocument, WalletDocument } from '../generated/graphql.js';
import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { addListing, createCustomer, createOffer, createStore, simpleShop, storeOf, unique } from '../support/program.js';
import { recordStatements } from '../support/statements.js';

/**
 * Issue 12 (sixth session): for an HTTP query of a customer whose id the gateway already knows,
 * authentication reads nothing; the first statement that reads the customer's row (the store
 * page's, the `customer` loader's) settles whether they are still active, else the server reads it
 * before answering (src/customers/customer-check.ts). These hold what that must not change: a
 * closed customer gets exactly the 401 they got before, for pages, other queries and mutations;
 * what a page shows follows the customer's row as of that request; one customer's page never
 * carries another's figures. And what it is for: a page on a warm cache is one statement.
 */
describe('the customer check left to the request', () => {
  let t: TestGateway;
  beforeAll(async () => {
    // No relay or job polling in the statement counts.
    t = await startTestGateway({ EVENT_FANOUT: 'off' }, { jobs: 'manual' });
  });
  afterAll(() => t.close());

  /** The request as an app sends it, and what comes back, byte for byte. */
  async function send(document: { toString(): string }, variables: Record<string, unknown>, token: string) {
    const res = await t.fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: document.toString(), variables }),
    });
    return { status: res.status, cacheControl: res.headers.get('cache-control'), contentType: res.headers.get('content-type'), text: await res.text() };
  }

  /** Statements the gateway sends for one request (the rate limiter's own upsert aside). */
  async function statementsOf<T>(request: () => Promise<T>): Promise<{ result: T; statements: string[] }> {
    const recorder = recordStatements();
    try {
      const result = await request();
      return { result, statements: recorder.take().map((s) => s.text).filter((text) => !text.includes('rate_limit_bucket')) };
    } finally {
      recorder.stop();
    }
  }

  const page = (storeId: string, token: string, first = 20) => send(RewardStoreOffersDocument, { storeId, first }, token);
  const close = async (externalId: string) => ok(await t.gql(UpsertCustomerDocument, { input: { externalId, status: 'CLOSED' } }, t.operatorToken));

  /** What a refused request answers (a request id, where one is sent, differs per request). */
  const refusal = (res: { status: number; cacheControl: string | null; contentType: string | null; text: string }) => ({
    ...res,
    text: res.text.replace(/"requestId":"[^"]*"/, '"requestId":"…"'),
  });

  it('a page costs one statement once the customer is known (two on their first request), whatever its size', async () => {
    const shop = await simpleShop(t, { priceInPoints: 10 });
    for (let i = 0; i < 49; i++) await addListing(t, shop.store.id, (await createOffer(t)).id, { priceInPoints: 11 + i, sortOrder: i + 1 });
    // The document is compiled (a query known as one) after it has been seen a few times.
    const other = await createCustomer(t, shop.currency, 100);
    for (let i = 0; i < 4; i++) expect((await page(shop.store.id, other.token)).status).toBe(200);

    const customer = await createCustomer(t, shop.currency, 100);
    const first = await statementsOf(() => page(shop.store.id, customer.token, 5));
    expect(first.result.status).toBe(200);
    expect(first.statements).toHaveLength(2);

    const small = await statementsOf(() => page(shop.store.id, customer.token, 5));
    const large = await statementsOf(() => page(shop.store.id, customer.token, 50));
    expect(JSON.parse(small.result.text).data.node.listings.edges).toHaveLength(5);
    expect(JSON.parse(large.result.text).data.node.listings.edges).toHaveLength(50);
    expect(small.statements).toHaveLength(1);
    expect(large.statements).toHaveLength(1);
    // The same page as when authentication read the customer first.
    expect(small.result.text).toBe(first.result.text);
  });

  it('a customer closed after their id was cached gets the same 401 as ever: for the page, another query and a mutation', async () => {
    const shop = await simpleShop(t, { priceInPoints: 10 });
    const customer = await createCustomer(t, shop.currency, 100);
    for (let i = 0; i < 5; i++) {
      expect((await page(shop.store.id, customer.token)).status).toBe(200);
      expect((await send(ProfileDocument, {}, customer.token)).status).toBe(200);
      expect((await send(WalletDocument, {}, customer.token)).status).toBe(200);
    }
    // Warm: the page is the one statement that also says whether the customer is active.
    expect((await statementsOf(() => page(shop.store.id, customer.token))).statements).toHaveLength(1);

    await close(customer.externalId);
    const deferred = refusal(await page(shop.store.id, customer.token));
    expect(deferred.status).toBe(401);
    expect(JSON.parse(deferred.text)).toEqual({ errors: [{ message: 'No active customer for this token.', extensions: { code: 'UNAUTHENTICATED' } }] });
    // Byte for byte what authentication answers when it reads the customer first (the cache was dropped).
    const eager = refusal(await page(shop.store.id, customer.token));
    expect(deferred).toEqual(eager);
    expect(deferred.text).not.toContain(shop.store.code);

    // Another customer closed while cached: other queries and a mutation are refused just the same.
    const bob = await createCustomer(t, shop.currency, 100);
    for (let i = 0; i < 5; i++) {
      expect((await page(shop.store.id, bob.token)).status).toBe(200);
      expect((await send(ProfileDocument, {}, bob.token)).status).toBe(200);
      expect((await send(WalletDocument, {}, bob.token)).status).toBe(200);
    }
    await close(bob.externalId);
    const profile = refusal(await send(ProfileDocument, {}, bob.token));
    expect(profile).toEqual(eager);
    expect(profile.text).not.toContain(bob.externalId);

    const carol = await createCustomer(t, shop.currency, 100);
    for (let i = 0; i < 5; i++) expect((await send(WalletDocument, {}, carol.token)).status).toBe(200);
    await close(carol.externalId);
    expect(refusal(await send(WalletDocument, {}, carol.token))).toEqual(eager);

    const dave = await createCustomer(t, shop.currency, 100);
    for (let i = 0; i < 5; i++) expect((await page(shop.store.id, dave.token)).status).toBe(200);
    await close(dave.externalId);
    const purchase = refusal(await send(PurchaseOfferDocument, { listingId: shop.listing.id, idempotencyKey: unique('buy') }, dave.token));
    expect(purchase).toEqual(eager);
    const [{ n }] = await t.sql<{ n: number }>(`select count(*)::int as n from offer_purchase p join customer c on c.id = p.customer_id where c.external_id = $1`, [dave.externalId]);
    expect(n).toBe(0);
  });

  it('a closed customer whose query goes to Apollo, or whose persisted query is refused, gets the same 401 too', async () => {
    const shop = await simpleShop(t, { priceInPoints: 10 });
    const customer = await createCustomer(t, shop.currency, 100);
    // A page size out of range: the compiled attempt has an error, so Apollo answers it.
    const invalid = () => send(RewardStoreOffersDocument, { storeId: shop.store.id, first: -1 }, customer.token);
    for (let i = 0; i < 5; i++) {
      expect((await page(shop.store.id, customer.token)).status).toBe(200);
      const answer = await invalid();
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.text).errors[0].extensions.code).toBe('BAD_USER_INPUT');
    }
    await close(customer.externalId);
    const viaApollo = refusal(await invalid());
    // Now refused by authentication itself (the cached id was dropped): the same answer.
    expect(viaApollo).toEqual(refusal(await invalid()));
    expect(viaApollo.status).toBe(401);
    expect(JSON.parse(viaApollo.text).errors[0].extensions.code).toBe('UNAUTHENTICATED');

    // A hash no instance knows is refused (PersistedQueryNotFound) after authentication; a closed
    // customer is refused by authentication first.
    const other = await createCustomer(t, shop.currency, 100);
    for (let i = 0; i < 5; i++) expect((await page(shop.store.id, other.token)).status).toBe(200);
    const unknownHash = async () => {
      const res = await t.fetch('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${other.token}` },
        body: JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } } }),
      });
      return refusal({ status: res.status, cacheControl: res.headers.get('cache-control'), contentType: res.headers.get('content-type'), text: await res.text() });
    };
    expect(JSON.parse((await unknownHash()).text).errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    await close(other.externalId);
    const persisted = await unknownHash();
    expect(persisted.status).toBe(401);
    expect(persisted).toEqual(await unknownHash());
    expect(persisted).toEqual(viaApollo);
  });

  it('a mutation of a customer whose id is cached acts on their status as read for it: ACTIVE buys, SUSPENDED is refused', async () => {
    const shop = await simpleShop(t, { priceInPoints: 10 });
    const customer = await createCustomer(t, shop.currency, 100);
    for (let i = 0; i < 5; i++) expect((await page(shop.store.id, customer.token)).status).toBe(200);
    const buy = () => t.gql(PurchaseOfferDocument, { listingId: shop.listing.id, idempotencyKey: unique('buy') }, customer.token);
    expect(ok(await buy()).purchaseOffer.balance?.available).toBe(90);
    ok(await t.gql(UpsertCustomerDocument, { input: { externalId: customer.externalId, status: 'SUSPENDED' } }, t.operatorToken));
    // Still signed in (a query answers), but may not buy.
    expect((await page(shop.store.id, customer.token)).status).toBe(200);
    expect(ok(await t.gql(RewardStoreOffersDocument, { storeId: shop.store.id, first: 1 }, customer.token)).node).toBeTruthy();
    expect((await buy()).data?.purchaseOffer.userErrors.map((e) => e.code)).toEqual(['NOT_ELIGIBLE']);
    ok(await t.gql(UpsertCustomerDocument, { input: { externalId: customer.externalId, status: 'ACTIVE' } }, t.operatorToken));
    expect(ok(await buy()).purchaseOffer.balance?.available).toBe(80);
  });

  it('a compiled purchase checks the customer in its own statement: one statement, the same refusals, and a closed customer the same 401 with nothing written', async () => {
    const shop = await simpleShop(t, { priceInPoints: 10, stock: 100 });
    const customer = await createCustomer(t, shop.currency, 1000);
    const buy = (idempotencyKey = unique('buy')) => send(PurchaseOfferDocument, { listingId: shop.listing.id, idempotencyKey }, customer.token);
    const errorsOf = (res: { text: string }) => (JSON.parse(res.text) as { data: { purchaseOffer: { userErrors: { code: string; message: string }[] } } }).data.purchaseOffer.userErrors;
    const setStatus = async (status: CustomerStatus) => ok(await t.gql(UpsertCustomerDocument, { input: { externalId: customer.externalId, status } }, t.operatorToken));
    const written = async () =>
      (
        await t.sql<Record<string, number>>(
          `select (select count(*) from offer_purchase p where p.customer_id = c.id)::int as purchases, (select count(*) from idempotency_record k where k.scope = 'purchase:' || c.id)::int as keys,
                  (select count(*) from ledger_entry e where e.customer_id = c.id)::int as entries, (select stock_remaining from listing where id = (select min(l.id) from listing l join reward_store s on s.id = l.store_id where s.currency_code = $2)) as stock
             from customer c where c.external_id = $1`,
          [customer.externalId, shop.currency],
        )
      )[0];
    // Compiled once sent a few times; the customer's id known after their first request.
    for (let i = 0; i < 4; i++) expect(errorsOf(await buy())).toEqual([]);
    const kept = unique('buy');
    const bought = await buy(kept);
    expect(errorsOf(bought)).toEqual([]);

    // The purchase is the request's one statement: no read of the caller's row before it.
    const fresh = await statementsOf(() => buy());
    expect(errorsOf(fresh.result)).toEqual([]);
    expect(fresh.statements).toHaveLength(1);

    // SUSPENDED: refused as before (NOT_ELIGIBLE), by that one statement; a committed key still answers its purchase.
    await setStatus('SUSPENDED');
    const suspended = await statementsOf(() => buy());
    expect(errorsOf(suspended.result)).toEqual([{ code: 'NOT_ELIGIBLE', field: null, message: 'This account cannot buy offers right now.' }]);
    expect(suspended.statements).toHaveLength(1);
    // (its data as first answered, said to be a replay: replay-22)
    expect(JSON.parse((await buy(kept)).text)).toEqual({ ...JSON.parse(bought.text), extensions: { idempotentReplays: [['purchaseOffer']] } });

    // CLOSED while the id is cached: the 401 authentication gives, byte for byte, for a fresh key and
    // for a committed one (not its stored purchase); nothing is written, no key claimed.
    await setStatus('ACTIVE');
    expect(errorsOf(await buy())).toEqual([]);
    const before = await written();
    await setStatus('CLOSED');
    const deferred = refusal(await buy());
    // Refused by authentication itself now (the cached id was dropped).
    const eager = refusal(await buy());
    expect(deferred.status).toBe(401);
    expect(JSON.parse(deferred.text)).toEqual({ errors: [{ message: 'No active customer for this token.', extensions: { code: 'UNAUTHENTICATED' } }] });
    expect(deferred).toEqual(eager);
    expect(await written()).toEqual(before);

    await setStatus('ACTIVE');
    expect(errorsOf(await buy())).toEqual([]);
    const cached = await written();
    await setStatus('CLOSED');
    const replayed = refusal(await buy(kept));
    expect(replayed).toEqual(eager);
    expect(replayed.text).not.toContain('purchase');
    expect(await written()).toEqual(cached);
  });

  it("a page shows the store by the customer's segments as of that request, not as of an earlier one", async () => {
    const shop = await simpleShop(t, { priceInPoints: 10 });
    const members = await createStore(t, shop.currency, { eligibility: { segments: ['members-only'] } });
    await addListing(t, members.id, shop.offer.id, { priceInPoints: 5 });
    const customer = await createCustomer(t, shop.currency, 100, { segments: ['members-only'] });
    for (let i = 0; i < 5; i++) expect(JSON.parse((await page(members.id, customer.token)).text).data.node?.code).toBe(members.code);

    ok(await t.gql(UpsertCustomerDocument, { input: { externalId: customer.externalId, segments: [] } }, t.operatorToken));
    const after = await statementsOf(() => page(members.id, customer.token));
    expect(after.statements).toHaveLength(1);
    expect(JSON.parse(after.result.text)).toEqual({ data: { node: null } });

    ok(await t.gql(UpsertCustomerDocument, { input: { externalId: customer.externalId, segments: ['members-only'] } }, t.operatorToken));
    expect(JSON.parse((await page(members.id, customer.token)).text).data.node?.code).toBe(members.code);
  });

  it('two customers paging the same store at once each get their own balance and purchase counts', async () => {
    const shop = await simpleShop(t, { priceInPoints: 30 });
    const rich = await createCustomer(t, shop.currency, 1000);
    const poor = await createCustomer(t, shop.currency, 20);
    ok(await t.gql(PurchaseOfferDocument, { listingId: shop.listing.id, idempotencyKey: unique('buy') }, rich.token));
    ok(await t.gql(PurchaseOfferDocument, { listingId: shop.listing.id, idempotencyKey: unique('buy') }, rich.token));
    const own = (text: string) => {
      const [edge] = storeOf(JSON.parse(text).data.node).listings.edges as { node: { purchasedByMe: number; affordable: boolean; pointsMissing: number } }[];
      return { purchasedByMe: edge.node.purchasedByMe, affordable: edge.node.affordable, pointsMissing: edge.node.pointsMissing };
    };
    for (let round = 0; round < 4; round++) {
      const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => page(shop.store.id, i % 2 ? poor.token : rich.token)));
      answers.forEach((answer, i) => {
        expect(answer.status).toBe(200);
        expect(own(answer.text)).toEqual(i % 2 ? { purchasedByMe: 0, affordable: false, pointsMissing: 10 } : { purchasedByMe: 2, affordable: true, pointsMissing: 0 });
      });
    }
  });
});
