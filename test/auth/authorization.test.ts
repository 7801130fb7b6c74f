import { SignJWT, UnsecuredJWT } from 'jose';
import {
  AddListingDocument,
  AdjustPointsDocument,
  AuditLogDocument,
  CreateCurrencyDocument,
  CreateOfferDocument,
  CreateRewardStoreDocument,
  CreateTierDocument,
  PurchaseOfferDocument,
  RemoveListingDocument,
  UpdateOfferDocument,
  UpsertCustomerDocument,
} from '../generated/graphql.js';
import { type GqlResult, ledgerViolations, ok, startTestGateway, TEST_JWT_SECRET, type TestGateway, writeCounts } from '../support/gateway.js';
import { createCustomer, simpleShop, unique } from '../support/program.js';

/**
 * SPEC §4 and invariant §5.6 over HTTP: who may call what, and that a bad credential is refused
 * outright (401, UNAUTHENTICATED, no data) rather than treated as anonymous.
 */

/** What a response must never carry, whoever asked (SPEC §3). */
const LEAK = /stack|select |insert |update |postgres/i;

const NODE_QUERY = `query Node($id: ID!) {
  node(id: $id) {
    __typename
    id
    ... on Customer { externalId balances { available } }
    ... on IssuedOffer { code status }
    ... on OfferPurchase { pointsPaid }
    ... on LedgerEntry { amount balanceAfter }
    ... on Offer { name }
  }
}`;
const NODES_QUERY = `query Nodes($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }`;
const ME_QUERY = `{ me { id externalId } }`;
const CUSTOMER_QUERY = `query C($externalId: String!) { customer(externalId: $externalId) { id externalId balances { currency { code } available } } }`;
const INTROSPECTION = `{ __schema { queryType { name } } }`;

interface RawResult {
  status: number;
  body: { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: { code?: string } }[] };
  text: string;
}

/** A POST as a client sends it, with whatever Authorization header the test wants. */
async function post(t: TestGateway, query: string, headers: Record<string, string>, variables?: Record<string, unknown>): Promise<RawResult> {
  const res = await t.fetch('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as RawResult['body'], text };
}

function expectUnauthenticated(res: RawResult) {
  expect(res.status).toBe(401);
  expect(res.body.data).toBeUndefined();
  expect(res.body.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
  expect(res.text).not.toMatch(LEAK);
}

/** A refusal inside execution: FORBIDDEN, and the refused field has no value. */
function expectForbidden(res: GqlResult<unknown>, field: string) {
  expect(res.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
  const data = res.data as Record<string, unknown> | null | undefined;
  expect(data?.[field] ?? null).toBeNull();
  expect(JSON.stringify({ data: res.data, errors: res.errors })).not.toMatch(LEAK);
}

const secret = new TextEncoder().encode(TEST_JWT_SECRET);
const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');


describe('authorization', () => {
  let t: TestGateway;
  let shop: Awaited<ReturnType<typeof simpleShop>>;
  let alice: Awaited<ReturnType<typeof createCustomer>>;
  let bob: Awaited<ReturnType<typeof createCustomer>>;
  /** Global ids of Alice's own objects. */
  let aliceIds: { customer: string; issuedOffer: string; purchase: string; ledgerEntry: string };

  beforeAll(async () => {
    // development, as a developer runs it: introspection on for anonymous callers
    t = await startTestGateway({ NODE_ENV: 'development' });
    shop = await simpleShop(t, { priceInPoints: 100 });
    alice = await createCustomer(t, shop.currency, 500);
    bob = await createCustomer(t, shop.currency, 500);
    const bought = ok(await t.gql(PurchaseOfferDocument, { listingId: shop.listing.id, idempotencyKey: 'alice-1' }, alice.token)).purchaseOffer;
    const history = ok(await t.gql(`query { me { pointHistory { edges { node { id kind } } } } }`, {}, alice.token)) as {
      me: { pointHistory: { edges: { node: { id: string; kind: string } }[] } };
    };
    aliceIds = {
      customer: alice.id,
      issuedOffer: bought.purchase!.issuedOffer.id,
      purchase: bought.purchase!.id,
      ledgerEntry: history.me.pointHistory.edges.find((e) => e.node.kind === 'ADJUST')!.node.id,
    };
  });

  afterAll(async () => {
    expect(await ledgerViolations(t)).toEqual([]);
    await t.close();
  });

  describe("a customer never reaches another customer's data", () => {
    const kinds = ['customer', 'issuedOffer', 'purchase', 'ledgerEntry'] as const;

    it.each(kinds)("Alice refetches her own %s by id (the control)", async (kind) => {
      const res = await t.gql(NODE_QUERY, { id: aliceIds[kind] }, alice.token);
      expect(res.errors).toBeUndefined();
      expect((res.data as { node: { id: string } | null }).node).toMatchObject({ id: aliceIds[kind] });
    });

    it.each(kinds)("Bob gets null for Alice's %s", async (kind) => {
      const res = await t.gql(NODE_QUERY, { id: aliceIds[kind] }, bob.token);
      expect(res.status).toBe(200);
      expect(res.errors).toBeUndefined();
      expect(res.data).toEqual({ node: null });
    });

    it("Bob gets null for each of Alice's ids through nodes(ids:), and his own only", async () => {
      const res = await t.gql(NODES_QUERY, { ids: [...Object.values(aliceIds), bob.id] }, bob.token);
      expect(res.errors).toBeUndefined();
      expect(res.data).toEqual({ nodes: [null, null, null, null, { __typename: 'Customer', id: bob.id }] });
    });

    it("Bob's own profile shows his data, never Alice's", async () => {
      const me = ok(await t.gql(`{ me { externalId balances { available } wallet { edges { node { id } } } pointHistory { edges { node { id } } } } }`, {}, bob.token)) as {
        me: { externalId: string; balances: { available: number }[]; wallet: { edges: unknown[] }; pointHistory: { edges: { node: { id: string } }[] } };
      };
      expect(me.me.externalId).toBe(bob.externalId);
      expect(me.me.balances).toEqual([{ available: 500 }]);
      expect(me.me.wallet.edges).toEqual([]);
      expect(me.me.pointHistory.edges.map((e) => e.node.id)).not.toContain(aliceIds.ledgerEntry);
    });

    it('a customer cannot look anyone up by externalId, not even themselves', async () => {
      expectForbidden(await t.gql(CUSTOMER_QUERY, { externalId: alice.externalId }, bob.token), 'customer');
      expectForbidden(await t.gql(CUSTOMER_QUERY, { externalId: bob.externalId }, bob.token), 'customer');
    });

    it('offer definitions and the audit log are for staff', async () => {
      expect((await t.gql(NODE_QUERY, { id: shop.offer.id }, bob.token)).data).toEqual({ node: null });
      expect((await t.gql(NODE_QUERY, { id: shop.offer.id }, t.operatorToken)).data).toMatchObject({ node: { __typename: 'Offer', id: shop.offer.id } });
      expectForbidden(await t.gql(AuditLogDocument, {}, bob.token), 'auditLog');
      expectForbidden(await t.gql(`{ offers { edges { node { id } } } }`, {}, bob.token), 'offers');
    });
  });

  describe('credentials that do not check out are refused with 401', () => {
    const forged: [string, () => Promise<string>][] = [
      ['a token signed with another secret', () =>
        new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(alice.externalId).setExpirationTime(inAnHour())
          .sign(new TextEncoder().encode('another-secret-that-is-long-enough-for-hs256'))],
      ['an unsigned token (alg none)', async () => new UnsecuredJWT({}).setSubject(alice.externalId).setExpirationTime(inAnHour()).encode()],
      ['alg none carrying the real signature', async () => {
        const [, payload, signature] = alice.token.split('.');
        return `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.${signature}`;
      }],
      ["Alice's token with its payload changed to Bob", async () => {
        const [header, , signature] = alice.token.split('.');
        return `${header}.${b64({ sub: bob.externalId, exp: inAnHour(), iat: Math.floor(Date.now() / 1000) })}.${signature}`;
      }],
      ["Alice's token with an operator role slipped into its payload", async () => {
        const [header, payload, signature] = alice.token.split('.');
        const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
        return `${header}.${b64({ ...claims, role: 'operator' })}.${signature}`;
      }],
      ['a token signed with HS512 (an algorithm not configured)', () =>
        new SignJWT({}).setProtectedHeader({ alg: 'HS512' }).setSubject(alice.externalId).setExpirationTime(inAnHour()).sign(secret)],
      ['an expired token', () => t.customerToken(alice.externalId, -60)],
      ['a token without exp', () => new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(alice.externalId).setIssuedAt().sign(secret)],
      ['a token without sub', () => new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(inAnHour()).sign(secret)],
      ['a token not valid yet (nbf in an hour)', () =>
        new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(alice.externalId).setNotBefore(inAnHour()).setExpirationTime(inAnHour() + 60).sign(secret)],
      ['a token for an unknown externalId', () => t.customerToken(unique('nobody'))],
      ['a token with an unknown role', () =>
        new SignJWT({ role: 'admin' }).setProtectedHeader({ alg: 'HS256' }).setSubject('staff-x').setExpirationTime(inAnHour()).sign(secret)],
      ['a token whose role is not a string', () =>
        new SignJWT({ role: ['operator'] }).setProtectedHeader({ alg: 'HS256' }).setSubject('staff-x').setExpirationTime(inAnHour()).sign(secret)],
    ];

    it.each(forged)('%s', async (_name, make) => {
      const token = await make();
      expectUnauthenticated(await post(t, ME_QUERY, { authorization: `Bearer ${token}` }));
      // a bad credential never falls back to anonymous, not even for introspection
      expectUnauthenticated(await post(t, INTROSPECTION, { authorization: `Bearer ${token}` }));
    });

    const malformed: [string, () => string][] = [
      ['Basic credentials', () => `Basic ${Buffer.from('alice:secret').toString('base64')}`],
      ['the bare word Bearer', () => 'Bearer'],
      ['Bearer and something that is not a JWT', () => 'Bearer not-a-jwt'],
      ['Bearer and three segments of garbage', () => 'Bearer aaaa.bbbb.cccc'],
      ['a valid token with no scheme', () => alice.token],
      ['a valid token under another scheme', () => `Token ${alice.token}`],
      ['a valid token followed by more', () => `Bearer ${alice.token} ${alice.token}`],
      ['two bearer tokens separated by a comma', () => `Bearer ${alice.token}, Bearer ${bob.token}`],
    ];

    it.each(malformed)('a malformed Authorization header: %s', async (_name, header) => {
      expectUnauthenticated(await post(t, ME_QUERY, { authorization: header() }));
    });

    it('a closed customer can no longer sign in', async () => {
      const carol = await createCustomer(t, shop.currency);
      expect(ok(await t.gql(ME_QUERY, {}, carol.token))).toEqual({ me: { id: carol.id, externalId: carol.externalId } });
      ok(await t.gql(UpsertCustomerDocument, { input: { externalId: carol.externalId, status: 'CLOSED' } }, t.operatorToken));
      expectUnauthenticated(await post(t, ME_QUERY, { authorization: `Bearer ${carol.token}` }));
    });

    it('a forged staff token writes nothing', async () => {
      const before = await writeCounts(t);
      const token = await new SignJWT({ role: 'operator' }).setProtectedHeader({ alg: 'HS256' }).setSubject('staff-op').setExpirationTime(inAnHour())
        .sign(new TextEncoder().encode('another-secret-that-is-long-enough-for-hs256'));
      const res = await post(t, AdjustPointsDocument.toString(), { authorization: `Bearer ${token}` }, {
        input: { customerExternalId: bob.externalId, currency: shop.currency, amount: 1000, reason: 'forged', idempotencyKey: unique('forged') },
      });
      expectUnauthenticated(res);
      expect(await writeCounts(t)).toEqual(before);
    });

    it('a customer token with role "customer" is a customer token (the control)', async () => {
      const token = await new SignJWT({ role: 'customer' }).setProtectedHeader({ alg: 'HS256' }).setSubject(alice.externalId).setExpirationTime(inAnHour()).sign(secret);
      const res = await post(t, ME_QUERY, { authorization: `Bearer ${token}` });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ data: { me: { id: alice.id, externalId: alice.externalId } } });
    });
  });

  describe('no credentials: introspection in development, nothing else', () => {
    it('introspection works', async () => {
      const res = await post(t, INTROSPECTION, {});
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ data: { __schema: { queryType: { name: 'Query' } } } });
    });

    it.each([
      ['me', ME_QUERY],
      ['rewardStores', '{ rewardStores { edges { node { id code } } } }'],
      ['tiers', '{ tiers { code } }'],
      ['currencies', '{ currencies { code } }'],
      ['node', `{ node(id: "${Buffer.from('Listing:1').toString('base64url')}") { id } }`],
      ['introspection with a data field beside it', '{ __schema { queryType { name } } currencies { code } }'],
      ['a data field hidden in a fragment', '{ __typename ...F } fragment F on Query { currencies { code } }'],
      ['a data field hidden in an inline fragment', '{ __schema { queryType { name } } ... on Query { tiers { code } } }'],
    ])('%s is UNAUTHENTICATED', async (_name, query) => {
      expectUnauthenticated(await post(t, query, {}));
    });

    it('a mutation is UNAUTHENTICATED and writes nothing', async () => {
      const before = await writeCounts(t);
      const res = await post(t, UpsertCustomerDocument.toString(), {}, { input: { externalId: unique('anon') } });
      expectUnauthenticated(res);
      const buy = await post(t, PurchaseOfferDocument.toString(), {}, { listingId: shop.listing.id, idempotencyKey: unique('anon') });
      expectUnauthenticated(buy);
      expect(await writeCounts(t)).toEqual(before);
    });
  });

  describe('staff-only mutations', () => {
    /** Each staff mutation of the contract with an input that an operator could run. */
    const staffMutations = (): [string, string, Record<string, unknown>][] => [
      ['upsertCustomer', UpsertCustomerDocument.toString(), { input: { externalId: alice.externalId, name: 'Mallory', status: 'SUSPENDED' } }],
      ['upsertCustomer', UpsertCustomerDocument.toString(), { input: { externalId: unique('new') } }],
      ['adjustPoints', AdjustPointsDocument.toString(), { input: { customerExternalId: bob.externalId, currency: shop.currency, amount: 1000, reason: 'gift', idempotencyKey: unique('k') } }],
      ['createCurrency', CreateCurrencyDocument.toString(), { input: { code: 'FREE', name: 'Free', pointValue: '1.00', moneyCurrency: 'EUR' } }],
      ['createTier', CreateTierDocument.toString(), { input: { currency: shop.currency, code: 'DIAMOND', name: 'Diamond', rank: 9, threshold: 0 } }],
      ['createOffer', CreateOfferDocument.toString(), { input: { name: 'Free coffee', benefit: { kind: 'FREE_ITEM', freeSku: 'COFFEE' } } }],
      ['updateOffer', UpdateOfferDocument.toString(), { input: { offerId: shop.offer.id, name: 'Everything free' } }],
      ['createRewardStore', CreateRewardStoreDocument.toString(), { input: { code: unique('s'), name: 'Mine', currency: shop.currency } }],
      ['addListing', AddListingDocument.toString(), { input: { storeId: shop.store.id, offerId: shop.offer.id, priceInPoints: 1 } }],
      ['removeListing', RemoveListingDocument.toString(), { listingId: shop.listing.id }],
    ];

    async function expectAllRefused(token: () => string) {
      const before = await writeCounts(t);
      for (const [field, document, variables] of staffMutations()) {
        const res = await t.gql(document, variables, token());
        expectForbidden(res, field);
      }
      expect(await writeCounts(t)).toEqual(before);
      const [aliceRow] = await t.sql(`select name, status from customer where external_id = $1`, [alice.externalId]);
      expect(aliceRow).toEqual({ name: alice.externalId, status: 'ACTIVE' });
    }

    it('refuse a customer token with FORBIDDEN and write nothing', async () => {
      await expectAllRefused(() => alice.token);
    });

    it('refuse an analyst with FORBIDDEN and write nothing', async () => {
      await expectAllRefused(() => t.analystToken);
    });
  });

  describe('staff reads', () => {
    it.each([
      ['an analyst', () => t.analystToken],
      ['an operator', () => t.operatorToken],
    ])('%s reads any customer by externalId and the audit log', async (_name, token) => {
      const found = ok(await t.gql(CUSTOMER_QUERY, { externalId: alice.externalId }, token()));
      expect(found).toEqual({
        customer: { id: alice.id, externalId: alice.externalId, balances: [{ currency: { code: shop.currency }, available: 400 }] },
      });
      expect(ok(await t.gql(CUSTOMER_QUERY, { externalId: unique('nobody') }, token()))).toEqual({ customer: null });
      const audit = ok(await t.gql(AuditLogDocument, { first: 50 }, token())).auditLog;
      expect(audit.edges.map((e) => e.node.action)).toEqual(expect.arrayContaining(['createCurrency', 'createOffer', 'addListing', 'adjustPoints']));
      expect(audit.edges.find((e) => e.node.action === 'adjustPoints')!.node).toMatchObject({ actor: 'staff:staff-op', reason: 'test' });
    });

    it.each([
      ['an analyst', () => t.analystToken],
      ['an operator', () => t.operatorToken],
    ])('%s cannot buy offers for points', async (_name, token) => {
      const before = await writeCounts(t);
      expectForbidden(await t.gql(PurchaseOfferDocument, { listingId: shop.listing.id, idempotencyKey: unique('staff') }, token()), 'purchaseOffer');
      expect(await writeCounts(t)).toEqual(before);
    });

    it('staff have no `me`', async () => {
      expectForbidden(await t.gql(ME_QUERY, {}, t.operatorToken), 'me');
    });
  });
});

describe('no credentials in production', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ NODE_ENV: 'production' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('introspection is off', async () => {
    const res = await post(t, INTROSPECTION, {});
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.body.data ?? null).toBeNull();
    expect(res.body.errors?.length).toBeGreaterThan(0);
    expect(res.text).not.toMatch(LEAK);
  });

  it('data is UNAUTHENTICATED', async () => {
    expectUnauthenticated(await post(t, ME_QUERY, {}));
  });
});
