import {
  AddListingDocument,
  AdjustPointsDocument,
  AuditLogDocument,
  CreateCurrencyDocument,
  CreateTierDocument,
  EligibleRewardStoresDocument,
  PointHistoryDocument,
  PurchaseOfferDocument,
  RemoveListingDocument,
  RewardStoreOffersDocument,
  UpdateOfferDocument,
  UpsertCustomerDocument,
  WalletDocument,
} from '../generated/graphql.js';
import { type GqlResult, ledgerViolations, ok, startTestGateway, type TestGateway, writeCounts } from '../support/gateway.js';
import { addListing, createCustomer, simpleShop, unique } from '../support/program.js';

/**
 * SPEC §3/§4 over HTTP: what a client sees when it sends something wrong. Every refusal is a
 * GraphQL error with a stable `extensions.code` (or a `userErrors` entry for business refusals),
 * never a stack trace or SQL, and none of it writes anything.
 */

/** What a response must never carry (SPEC §3): a stack trace or SQL text. */
const LEAK = /stack|select |insert |update |postgres/i;

interface RawResult {
  status: number;
  text: string;
  body: { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: { code?: string } }[] } | null;
}

/** A POST of exactly `body` (a string is sent as is), as a misbehaving client would send it. */
async function post(t: TestGateway, body: unknown, headers: Record<string, string> = {}, token?: string): Promise<RawResult> {
  const res = await t.fetch('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: RawResult['body'] = null;
  try {
    parsed = JSON.parse(text) as RawResult['body'];
  } catch {
    // left null: the test says whether a JSON body was due
  }
  return { status: res.status, text, body: parsed };
}

function codesOf(errors: { extensions?: Record<string, unknown> }[] | undefined) {
  return (errors ?? []).map((e) => e.extensions?.code);
}

/** A request refused before execution: the HTTP status, one error with `code`, no data, nothing leaked. */
function expectRequestError(res: RawResult, status: number, code: string) {
  expect({ status: res.status, codes: codesOf(res.body?.errors) }).toEqual({ status, codes: [code] });
  expect(res.body?.data).toBeUndefined();
  expect(res.text).not.toMatch(LEAK);
}

/** An error raised while executing: `code` on the named field, which has no value. */
function expectFieldError(res: GqlResult<unknown>, code: string, field?: string) {
  expect(codesOf(res.errors)).toEqual([code]);
  if (field) expect((res.data as Record<string, unknown> | null | undefined)?.[field] ?? null).toBeNull();
  expect(JSON.stringify({ data: res.data, errors: res.errors })).not.toMatch(LEAK);
}

/** A variable that cannot be coerced: 400 BAD_USER_INPUT before anything runs. */
function expectBadVariables(res: GqlResult<unknown>) {
  expect({ status: res.status, codes: codesOf(res.errors) }).toEqual({ status: 400, codes: ['BAD_USER_INPUT'] });
  expect(res.data).toBeUndefined();
  expect(JSON.stringify({ errors: res.errors })).not.toMatch(LEAK);
}

const globalId = (text: string) => Buffer.from(text).toString('base64url');
const cursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');


describe('bad input', () => {
  let t: TestGateway;
  let shop: Awaited<ReturnType<typeof simpleShop>>;
  let customer: Awaited<ReturnType<typeof createCustomer>>;
  let before: Record<string, number>;
  /** What the file's deliberate set-up steps wrote, counted as they happen (and only they). */
  const intended: Record<string, number> = {};
  async function deliberately<T>(setUp: () => Promise<T>): Promise<T> {
    const start = await writeCounts(t);
    const result = await setUp();
    const end = await writeCounts(t);
    for (const key of Object.keys(end)) intended[key] = (intended[key] ?? 0) + end[key] - start[key];
    return result;
  }

  beforeAll(async () => {
    t = await startTestGateway();
    shop = await simpleShop(t, { priceInPoints: 100, stock: 5 });
    customer = await createCustomer(t, shop.currency, 500);
    before = await writeCounts(t);
  });

  afterAll(async () => {
    expect(await ledgerViolations(t)).toEqual([]);
    await t.close();
  });

  describe('malformed documents', () => {
    it.each([
      ['an unclosed selection', '{ me { id }'],
      ['a stray token', '{ me { id } } }'],
      ['an empty document', ' '],
      ['not GraphQL at all', 'hello, world'],
      ['an unterminated string', '{ customer(externalId: "abc) { id } }'],
    ])('%s is GRAPHQL_PARSE_FAILED', async (_name, query) => {
      expectRequestError(await post(t, { query }, {}, customer.token), 400, 'GRAPHQL_PARSE_FAILED');
    });

    it.each([
      ['an unknown field', '{ me { id passwordHash } }'],
      ['an unknown root field', '{ allCustomers { id } }'],
      ['an unknown argument', '{ me { wallet(limit: 5) { edges { cursor } } } }'],
      ['an object without a selection', '{ me }'],
      ['a selection on a scalar', '{ me { id { value } } }'],
      ['an undeclared variable', '{ me { wallet(first: $n) { edges { cursor } } } }'],
      ['a mutation that does not exist', 'mutation { dropEverything }'],
    ])('%s is GRAPHQL_VALIDATION_FAILED', async (_name, query) => {
      expectRequestError(await post(t, { query }, {}, customer.token), 400, 'GRAPHQL_VALIDATION_FAILED');
    });

    it('several operations without an operationName, or an operationName not in the document, are refused', async () => {
      const twoOperations = 'query A { me { id } } query B { me { externalId } }';
      expectRequestError(await post(t, { query: twoOperations }, {}, customer.token), 400, 'OPERATION_RESOLUTION_FAILURE');
      expectRequestError(await post(t, { query: twoOperations, operationName: 'C' }, {}, customer.token), 400, 'OPERATION_RESOLUTION_FAILURE');
    });
  });

  describe('malformed HTTP requests', () => {
    it.each([
      ['invalid JSON', '{"query": "{ me { id } }"'],
      ['no query', { variables: {} }],
      ['a query that is not a string', { query: { me: 'id' } }],
      ['variables that are not an object', { query: '{ me { id } }', variables: 'me' }],
      ['a batch (not accepted)', [{ query: '{ me { id } }' }, { query: '{ me { id } }' }]],
    ])('%s is 400 BAD_REQUEST', async (_name, body) => {
      expectRequestError(await post(t, body, {}, customer.token), 400, 'BAD_REQUEST');
    });

    it('a body over the limit is 413, whether its length is declared or streamed', async () => {
      const padding = 'x'.repeat(t.config.bodyLimitBytes + 1);
      const declared = await post(t, { query: '{ me { id } }', variables: { padding } }, {}, customer.token);
      expectRequestError(declared, 413, 'PAYLOAD_TOO_LARGE');

      const chunk = new TextEncoder().encode(JSON.stringify({ query: '{ me { id } }', variables: { padding } }));
      const res = await t.fetch('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${customer.token}` },
        body: new ReadableStream({
          start(controller) {
            for (let i = 0; i < chunk.length; i += 16_384) controller.enqueue(chunk.slice(i, i + 16_384));
            controller.close();
          },
        }),
        duplex: 'half',
      } as RequestInit);
      const text = await res.text();
      expect(res.status).toBe(413);
      expect(codesOf((JSON.parse(text) as { errors: [] }).errors)).toEqual(['PAYLOAD_TOO_LARGE']);
    });

    it('a body just under the limit is served', async () => {
      const res = await post(t, { query: '{ me { id } }', variables: { padding: 'x'.repeat(t.config.bodyLimitBytes - 200) } }, {}, customer.token);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ data: { me: { id: customer.id } } });
    });
  });

  describe('wrong variable types are 400 BAD_USER_INPUT', () => {
    it.each([
      ['a string for an Int', () => t.gql(EligibleRewardStoresDocument, { first: 'ten' as unknown as number }, customer.token)],
      ['a float for an Int', () => t.gql(EligibleRewardStoresDocument, { first: 2.5 }, customer.token)],
      ['an Int beyond 32 bits', () => t.gql(WalletDocument, { first: 2 ** 31 }, customer.token)],
      ['an unknown enum value', () => t.gql(WalletDocument, { status: ['STOLEN' as 'ISSUED'] }, customer.token)],
      ['null for a required String', () => t.gql(PurchaseOfferDocument, { listingId: shop.listing.id, idempotencyKey: null as unknown as string }, customer.token)],
      ['a missing required variable', () => t.gql(PurchaseOfferDocument, { listingId: shop.listing.id } as never, customer.token)],
      ['an object for an ID', () => t.gql(PurchaseOfferDocument, { listingId: { id: 1 } as unknown as string, idempotencyKey: 'k' }, customer.token)],
      ['an unknown input field', () => t.gql(UpsertCustomerDocument, { input: { externalId: unique('c'), isAdmin: true } as never }, t.operatorToken)],
      ['a date that does not exist', () => t.gql(UpsertCustomerDocument, { input: { externalId: unique('c'), birthDate: '2025-02-30' } }, t.operatorToken)],
      ['a DateTime that is not one', () => t.gql(AddListingDocument, { input: { storeId: shop.store.id, offerId: shop.offer.id, priceInPoints: 10, visibleFrom: 'tomorrow' } }, t.operatorToken)],
      ['a Decimal that is not one', () => t.gql(CreateCurrencyDocument, { input: { code: 'GEMS', name: 'Gems', pointValue: '4,50', moneyCurrency: 'EUR' } }, t.operatorToken)],
      ['points as a float', () => t.gql(AdjustPointsDocument, { input: { customerExternalId: customer.externalId, currency: shop.currency, amount: 10.5, reason: 'r', idempotencyKey: unique('k') } }, t.operatorToken)],
      ['points beyond 32 bits', () => t.gql(AdjustPointsDocument, { input: { customerExternalId: customer.externalId, currency: shop.currency, amount: 5_000_000_000, reason: 'r', idempotencyKey: unique('k') } }, t.operatorToken)],
      ['points as a string', () => t.gql(AdjustPointsDocument, { input: { customerExternalId: customer.externalId, currency: shop.currency, amount: '100' as unknown as number, reason: 'r', idempotencyKey: unique('k') } }, t.operatorToken)],
    ])('%s', async (_name, run) => {
      expectBadVariables(await run());
    });
  });

  describe('amounts out of range are BAD_USER_INPUT and write nothing', () => {
    const adjust = (amount: number) => ({
      input: { customerExternalId: customer.externalId, currency: shop.currency, amount, reason: 'oops', idempotencyKey: unique('k') },
    });

    it.each([0, 1_000_000_001, -1_000_000_001, 2_147_483_647, -2_147_483_648])('adjustPoints by %d', async (amount) => {
      expectFieldError(await t.gql(AdjustPointsDocument, adjust(amount), t.operatorToken), 'BAD_USER_INPUT', 'adjustPoints');
    });

    it('a debit beyond the balance is INSUFFICIENT_POINTS', async () => {
      const res = await t.gql(AdjustPointsDocument, adjust(-501), t.operatorToken);
      expect(res.errors).toBeUndefined();
      expect(res.data!.adjustPoints).toEqual({ entry: null, userErrors: [expect.objectContaining({ code: 'INSUFFICIENT_POINTS' })] });
    });

    const listing = (extra: Record<string, unknown>) => ({ input: { storeId: shop.store.id, offerId: shop.offer.id, priceInPoints: 100, ...extra } });
    it.each([
      ['priceInPoints 0', { priceInPoints: 0 }],
      ['priceInPoints -100', { priceInPoints: -100 }],
      ['priceInPoints 2 billion', { priceInPoints: 2_000_000_000 }],
      ['stock -1', { stock: -1 }],
      ['stock 2 billion', { stock: 2_000_000_000 }],
      ['perCustomerLimit 0', { perCustomerLimit: 0 }],
      ['perCustomerLimit -3', { perCustomerLimit: -3 }],
    ])('addListing with %s', async (_name, extra) => {
      expectFieldError(await t.gql(AddListingDocument, listing(extra), t.operatorToken), 'BAD_USER_INPUT', 'addListing');
    });

    it.each([
      ['a negative threshold', { threshold: -1 }],
      ['a zero multiplier', { multiplier: 0 }],
      ['a negative window', { windowDays: -30 }],
    ])('createTier with %s', async (_name, extra) => {
      const input = { currency: shop.currency, code: 'SILVER', name: 'Silver', rank: 1, threshold: 100, ...extra };
      expectFieldError(await t.gql(CreateTierDocument, { input }, t.operatorToken), 'BAD_USER_INPUT', 'createTier');
    });

    it.each([
      ['a negative point value', { pointValue: '-0.01' }],
      ['zero expiry days', { expiryDays: 0 }],
      ['a lower-case code', { code: 'gems' }],
      ['a money currency that is not ISO 4217', { moneyCurrency: 'euro' }],
    ])('createCurrency with %s', async (_name, extra) => {
      const input = { code: 'GEMS', name: 'Gems', pointValue: '0.01', moneyCurrency: 'EUR', ...extra };
      expectFieldError(await t.gql(CreateCurrencyDocument, { input }, t.operatorToken), 'BAD_USER_INPUT', 'createCurrency');
    });

    it.each([
      ['an empty key', ''],
      ['a key of 201 characters', 'k'.repeat(201)],
    ])('purchaseOffer and adjustPoints with %s say which field and what it takes', async (_name, idempotencyKey) => {
      const clear = { message: 'idempotencyKey must be 1 to 200 characters', extensions: { code: 'BAD_USER_INPUT', field: ['input', 'idempotencyKey'] } };
      const purchase = await t.gql(PurchaseOfferDocument, { listingId: shop.listing.id, idempotencyKey }, customer.token);
      expectFieldError(purchase, 'BAD_USER_INPUT', 'purchaseOffer');
      expect(purchase.errors?.[0]).toMatchObject(clear);
      expect(purchase.errors?.[0].extensions).not.toHaveProperty('validationErrors');
      const input = { customerExternalId: customer.externalId, currency: shop.currency, amount: 10, reason: 'r', idempotencyKey };
      const adjusted = await t.gql(AdjustPointsDocument, { input }, t.operatorToken);
      expectFieldError(adjusted, 'BAD_USER_INPUT', 'adjustPoints');
      expect(adjusted.errors?.[0]).toMatchObject(clear);
    });

    it('upsertCustomer with a blank externalId or a bad email', async () => {
      expectFieldError(await t.gql(UpsertCustomerDocument, { input: { externalId: '   ' } }, t.operatorToken), 'BAD_USER_INPUT', 'upsertCustomer');
      expectFieldError(await t.gql(UpsertCustomerDocument, { input: { externalId: unique('c'), email: 'not-an-email' } }, t.operatorToken), 'BAD_USER_INPUT', 'upsertCustomer');
    });
  });

  describe('global ids', () => {
    const malformed = [
      ['garbage', 'not-an-id'],
      ['an empty string', ''],
      ['an Offer id where a Listing is due', 'OFFER'],
      ['id zero', globalId('Listing:0')],
      ['a negative id', globalId('Listing:-1')],
      ['an id with a leading zero', globalId('Listing:01')],
      ['an id beyond 2^53', globalId('Listing:99999999999999999')],
      ['an id with SQL in it', globalId("Listing:1 or 1=1")],
      ['a type that does not exist', globalId('Account:1')],
      ['a very long id', globalId(`Listing:${'1'.repeat(200)}`)],
    ] as const;

    it.each(malformed)('purchaseOffer with %s as listingId is BAD_USER_INPUT', async (_name, raw) => {
      const listingId = raw === 'OFFER' ? shop.offer.id : raw;
      const res = await t.gql(PurchaseOfferDocument, { listingId, idempotencyKey: unique('k') }, customer.token);
      expectFieldError(res, 'BAD_USER_INPUT', 'purchaseOffer');
    });

    it.each(malformed)('addListing with %s as storeId is BAD_USER_INPUT', async (_name, raw) => {
      const storeId = raw === 'OFFER' ? shop.offer.id : raw;
      const res = await t.gql(AddListingDocument, { input: { storeId, offerId: shop.offer.id, priceInPoints: 10 } }, t.operatorToken);
      expectFieldError(res, 'BAD_USER_INPUT', 'addListing');
    });

    it('a well-formed id of a listing that does not exist is OFFER_UNAVAILABLE', async () => {
      const res = await t.gql(PurchaseOfferDocument, { listingId: globalId('Listing:987654'), idempotencyKey: unique('k') }, customer.token);
      expect(res.errors).toBeUndefined();
      expect(res.data!.purchaseOffer).toEqual({ purchase: null, balance: null, userErrors: [expect.objectContaining({ code: 'OFFER_UNAVAILABLE', field: ['input', 'listingId'] })] });
    });

    it('a removed listing is OFFER_UNAVAILABLE', async () => {
      const removed = await deliberately(async () => {
        const listing = await addListing(t, shop.store.id, shop.offer.id, { priceInPoints: 10 });
        ok(await t.gql(RemoveListingDocument, { listingId: listing.id }, t.operatorToken));
        return listing;
      });
      const res = await t.gql(PurchaseOfferDocument, { listingId: removed.id, idempotencyKey: unique('k') }, customer.token);
      expect(res.errors).toBeUndefined();
      expect(res.data!.purchaseOffer.userErrors.map((e) => e.code)).toEqual(['OFFER_UNAVAILABLE']);
    });

    it('unknown but well-formed ids in staff mutations are NOT_FOUND', async () => {
      const unknownOffer = globalId('Offer:987654');
      const unknownStore = globalId('RewardStore:987654');
      const unknownListing = globalId('Listing:987654');
      const add = await t.gql(AddListingDocument, { input: { storeId: shop.store.id, offerId: unknownOffer, priceInPoints: 10 } }, t.operatorToken);
      expect(add.errors).toBeUndefined();
      expect(add.data!.addListing).toEqual({ listing: null, userErrors: [expect.objectContaining({ code: 'NOT_FOUND', field: ['input', 'offerId'] })] });
      const addToNowhere = await t.gql(AddListingDocument, { input: { storeId: unknownStore, offerId: shop.offer.id, priceInPoints: 10 } }, t.operatorToken);
      expect(addToNowhere.data!.addListing.userErrors).toEqual([expect.objectContaining({ code: 'NOT_FOUND', field: ['input', 'storeId'] })]);
      const update = await t.gql(UpdateOfferDocument, { input: { offerId: unknownOffer, name: 'x' } }, t.operatorToken);
      expect(update.data!.updateOffer.userErrors).toEqual([expect.objectContaining({ code: 'NOT_FOUND' })]);
      const remove = await t.gql(RemoveListingDocument, { listingId: unknownListing }, t.operatorToken);
      expect(remove.data!.removeListing.userErrors).toEqual([expect.objectContaining({ code: 'NOT_FOUND' })]);
    });

    it('node(id:) answers null for an id of nothing, refuses ids that are not ours, and nodes(ids:) refuses too many', async () => {
      const res = await t.gql(`query N($id: ID!) { node(id: $id) { id } }`, { id: globalId('Listing:987654') }, customer.token);
      expect({ errors: res.errors, data: res.data }).toEqual({ errors: undefined, data: { node: null } });
      // never given out, so BAD_USER_INPUT as in any other argument (edges-11)
      for (const id of ['garbage', '', globalId('Listing:0'), globalId('Account:1')]) {
        expectFieldError(await t.gql(`query N($id: ID!) { node(id: $id) { id } }`, { id }, customer.token), 'BAD_USER_INPUT', 'node');
      }
      const ids = Array.from({ length: t.config.maxPageSize + 1 }, (_, i) => globalId(`Listing:${i + 1}`));
      expectFieldError(await t.gql(`query N($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids }, customer.token), 'BAD_USER_INPUT', 'nodes');
    });
  });

  describe('pages', () => {
    // the default maximum page size is 100
    it.each([1000, 101, -1, -1000])('first: %p is BAD_USER_INPUT', async (first) => {
      expect(t.config.maxPageSize).toBe(100);
      expectFieldError(await t.gql(WalletDocument, { first }, customer.token), 'BAD_USER_INPUT', 'me');
      expectFieldError(await t.gql(PointHistoryDocument, { first }, customer.token), 'BAD_USER_INPUT', 'me');
      expectFieldError(await t.gql(EligibleRewardStoresDocument, { first }, customer.token), 'BAD_USER_INPUT', 'me');
      expectFieldError(await t.gql(AuditLogDocument, { first }, t.analystToken), 'BAD_USER_INPUT', 'auditLog');
      const offers = await t.gql(RewardStoreOffersDocument, { storeId: shop.store.id, first }, customer.token);
      expect(codesOf(offers.errors)).toEqual(['BAD_USER_INPUT']);
    });

    it('the maximum page size and an empty page are served', async () => {
      expect(ok(await t.gql(WalletDocument, { first: t.config.maxPageSize }, customer.token)).me!.wallet.pageInfo.hasNextPage).toBe(false);
      const empty = ok(await t.gql(PointHistoryDocument, { first: 0 }, customer.token)).me!.pointHistory;
      expect(empty.edges).toEqual([]);
    });

    it.each([
      ['garbage', 'garbage!'],
      ['base64 of garbage', Buffer.from('hello').toString('base64url')],
      ['a key of the wrong length', cursor([1, 2])],
      ['a key that is not a number', cursor(['1'])],
      ['a fractional key', cursor([1.5])],
      ['a key beyond 2^53', '[9007199254740993]'],
      ['an object', cursor({ id: 1 })],
      ['a very long cursor', cursor(Array.from({ length: 100 }, () => 1))],
    ])('after: %s is BAD_USER_INPUT', async (_name, raw) => {
      const after = raw.startsWith('[') ? Buffer.from(raw).toString('base64url') : raw;
      expectFieldError(await t.gql(WalletDocument, { after }, customer.token), 'BAD_USER_INPUT', 'me');
      expectFieldError(await t.gql(PointHistoryDocument, { after }, customer.token), 'BAD_USER_INPUT', 'me');
      expectFieldError(await t.gql(AuditLogDocument, { after }, t.operatorToken), 'BAD_USER_INPUT', 'auditLog');
    });

    it("a listings cursor needs the listings' two-part key", async () => {
      const res = await t.gql(RewardStoreOffersDocument, { storeId: shop.store.id, after: cursor([1]) }, customer.token);
      expect(codesOf(res.errors)).toEqual(['BAD_USER_INPUT']);
      const page = ok(await t.gql(RewardStoreOffersDocument, { storeId: shop.store.id, first: 1 }, customer.token));
      expect(page.node).toBeTruthy();
    });
  });

  describe('queries over the limits are QUERY_TOO_COMPLEX', () => {
    /** 400 with QUERY_TOO_COMPLEX (one error per limit the document breaks), nothing run. */
    const tooComplex = async (query: string) => {
      const res = await post(t, { query }, {}, customer.token);
      const codes = codesOf(res.body?.errors);
      expect({ status: res.status, codes: [...new Set(codes)] }).toEqual({ status: 400, codes: ['QUERY_TOO_COMPLEX'] });
      expect(res.body?.data).toBeUndefined();
      expect(res.text).not.toMatch(LEAK);
    };

    it('a query deeper than the limit', async () => {
      let inner = 'id';
      for (let i = 0; i < 4; i++) inner = `store { listings { edges { node { ${inner} } } } }`;
      await tooComplex(`{ node(id: "${shop.listing.id}") { ... on Listing { ${inner} } } }`);
    });

    it('a query whose cost is over the limit', async () => {
      await tooComplex(
        `{ rewardStores(first: 100) { edges { node { listings(first: 100) { edges { node { id priceInPoints offer { name benefit { kind } } } } } } } } }`,
      );
    });

    it("a query whose cost is over the limit by its variables' defaults", async () => {
      // Sent without variables: $n is 100 by its default, as execution uses it, not the field's 20.
      await tooComplex(
        `query Q($n: Int = 100) { rewardStores(first: $n) { edges { node { listings(first: $n) { edges { node { id priceInPoints offer { name benefit { kind } } } } } } } } }`,
      );
    });

    it('a query with too many aliases', async () => {
      const aliases = Array.from({ length: t.config.limits.maxAliases + 1 }, (_, i) => `a${i}: tiers { code }`).join(' ');
      await tooComplex(`{ ${aliases} }`);
    });

    it('a query with too many tokens', async () => {
      await tooComplex(`{ me { ${'id '.repeat(t.config.limits.maxTokens)} } }`);
    });

    it('a query with too many directives', async () => {
      const fields = ['id', 'externalId', 'name', 'email', 'birthDate', 'status', 'segments', 'attributes', 'createdAt', 'updatedAt', '__typename'];
      expect(fields.length * 2).toBeGreaterThan(t.config.limits.maxDirectives);
      await tooComplex(`{ me { ${fields.map((f) => `${f} @skip(if: false) @include(if: true)`).join(' ')} } }`);
    });

    it('a query within the limits is served (the control)', async () => {
      const aliases = Array.from({ length: t.config.limits.maxAliases }, (_, i) => `a${i}: tiers { code }`).join(' ');
      const res = await post(t, { query: `{ ${aliases} }` }, {}, customer.token);
      expect(res.status).toBe(200);
      expect(res.body?.errors).toBeUndefined();
    });
  });

  describe('idempotency keys', () => {
    it('a key reused for another listing is IDEMPOTENCY_KEY_REUSED; a repeat for the same one buys nothing more', async () => {
      const other = await deliberately(() => addListing(t, shop.store.id, shop.offer.id, { priceInPoints: 50 }));
      const first = await deliberately(async () => ok(await t.gql(PurchaseOfferDocument, { listingId: shop.listing.id, idempotencyKey: 'same-key' }, customer.token)).purchaseOffer);
      expect(first.balance).toEqual({ currency: { code: shop.currency }, available: 400 });

      const reused = await t.gql(PurchaseOfferDocument, { listingId: other.id, idempotencyKey: 'same-key' }, customer.token);
      expect(reused.errors).toBeUndefined();
      expect(reused.data!.purchaseOffer).toEqual({
        purchase: null,
        balance: null,
        userErrors: [expect.objectContaining({ code: 'IDEMPOTENCY_KEY_REUSED' })],
      });

      const repeat = ok(await t.gql(PurchaseOfferDocument, { listingId: shop.listing.id, idempotencyKey: 'same-key' }, customer.token)).purchaseOffer;
      expect(repeat).toEqual(first);

      const [{ purchases, available }] = await t.sql<{ purchases: number; available: number }>(
        `select (select count(*) from offer_purchase where customer_id = c.id)::int as purchases,
                (select available from point_account where customer_id = c.id)::int as available
           from customer c where c.external_id = $1`,
        [customer.externalId],
      );
      expect({ purchases, available }).toEqual({ purchases: 1, available: 400 });
    });
  });

  describe('strings the database cannot store', () => {
    it.each([
      ['a customer lookup', () => t.gql(`query C($e: String!) { customer(externalId: $e) { id } }`, { e: 'a\u0000b' }, t.analystToken), 'customer'],
      ['an idempotency key', () => t.gql(PurchaseOfferDocument, { listingId: shop.listing.id, idempotencyKey: 'k\u0000' }, customer.token), 'purchaseOffer'],
      ['an adjustment reason', () => t.gql(AdjustPointsDocument, { input: { customerExternalId: customer.externalId, currency: shop.currency, amount: 5, reason: 'r\u0000', idempotencyKey: unique('k') } }, t.operatorToken), 'adjustPoints'],
      ['a customer name', () => t.gql(UpsertCustomerDocument, { input: { externalId: unique('c'), name: 'Ann\u0000' } }, t.operatorToken), 'upsertCustomer'],
    ])('a NUL character in %s is BAD_USER_INPUT', async (_name, run, field) => {
      expectFieldError(await run(), 'BAD_USER_INPUT', field);
    });
  });

  describe('afterwards', () => {
    it('none of the refused requests wrote anything', async () => {
    // the counts at the start plus the deliberate set-up steps, and nothing else
    const expected = Object.fromEntries(Object.entries(before).map(([key, n]) => [key, n + (intended[key] ?? 0)]));
    expect(await writeCounts(t)).toEqual(expected);
    const balance = ok(await t.gql(`{ me { balances { available } } }`, {}, customer.token)) as { me: { balances: { available: number }[] } };
    expect(balance.me.balances).toEqual([{ available: 400 }]);
    expect(await ledgerViolations(t)).toEqual([]);
    });
  });
});
