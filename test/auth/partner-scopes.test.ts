import { readFileSync } from 'node:fs';
import { buildSchema } from 'graphql';
import WebSocket from 'ws';
import { toGlobalId } from '../../src/graphql/ids.js';
import { PurchaseOfferDocument, SubmitTransactionDocument } from '../generated/graphql.js';
import { dataOf, ledgerViolations, ok, startTestGateway, writeCounts, type GqlResult, type TestGateway } from '../support/gateway.js';
import { addListing, createCurrency, createCustomer, createOffer, createPartner, createStore, createTier, simpleShop, unique } from '../support/program.js';

/**
 * Issue 7, kind 8: partners see only what their scopes give them, default deny (docs/decisions.md,
 * "What partners see"). The matrix: every scope × every root field and mutation of the schema, each
 * either FORBIDDEN or allowed; then the restricted views inside what is allowed (a customer's
 * personal data, wallet, ledger and stores; a sale's customer; objects by global id).
 */

const SCOPES = ['customers:read', 'offers:redeem', 'transactions:write', 'transactions:read', 'activities:write', 'webhooks:manage'] as const;
type Scope = (typeof SCOPES)[number];

interface Row {
  /** Root field: `Query.x` or `Mutation.x`. */
  field: string;
  doc: string;
  vars?: (ids: Ids) => Record<string, unknown>;
  /** Scopes that may run it; every other scope is FORBIDDEN. */
  allowed: Scope[];
}

interface Ids {
  customer: string;
  customerExternalId: string;
  store: string;
  listing: string;
  offer: string;
  tier: string;
  partner: string;
  sale: string;
}

const Z = '00000000-0000-0000-0000-000000000000';
const FAR = '2099-01-01T00:00:00.000Z';

const MATRIX: Row[] = [
  // Queries
  { field: 'Query.me', doc: `{ me { id } }`, allowed: [] },
  { field: 'Query.lastEventId', doc: `{ lastEventId }`, allowed: [] },
  {
    field: 'Query.customer',
    doc: `query($e: String!) { customer(externalId: $e) { id externalId } }`,
    vars: (i) => ({ e: i.customerExternalId }),
    allowed: ['customers:read'],
  },
  // customer-search-40: it lists members by email and name, so no scope gives it (not customers:read)
  { field: 'Query.customers', doc: `{ customers(search: "cust") { edges { node { id externalId } } } }`, allowed: [] },
  { field: 'Query.transaction', doc: `{ transaction(externalId: "nope") { id } }`, allowed: ['transactions:read'] },
  { field: 'Query.currencies', doc: `{ currencies { code } }`, allowed: ['customers:read'] },
  { field: 'Query.tiers', doc: `{ tiers { code } }`, allowed: ['customers:read'] },
  { field: 'Query.rewardStores', doc: `{ rewardStores { edges { node { id } } } }`, allowed: [] },
  { field: 'Query.activityRules', doc: `{ activityRules { id } }`, allowed: [] },
  { field: 'Query.auditLog', doc: `{ auditLog { edges { node { id } } } }`, allowed: [] },
  { field: 'Query.giftLists', doc: `{ giftLists { id } }`, allowed: [] },
  { field: 'Query.offers', doc: `{ offers { edges { node { id } } } }`, allowed: [] },
  { field: 'Query.unpayableOffers', doc: `{ unpayableOffers { edges { node { holderId } } } }`, allowed: [] },
  { field: 'Query.partners', doc: `{ partners { id } }`, allowed: [] },
  { field: 'Query.campaigns', doc: `{ campaigns { id } }`, allowed: [] },
  { field: 'Query.economyRules', doc: `{ economyRules { id } }`, allowed: [] },
  { field: 'Query.webhookEndpoints', doc: `{ webhookEndpoints { edges { node { id } } } }`, allowed: ['webhooks:manage'] },
  { field: 'Query.webhookDeliveries', doc: `{ webhookDeliveries { edges { node { id } } } }`, allowed: ['webhooks:manage'] },
  // refused with a userError (no credentials in a URL): nothing written
  {
    field: 'Mutation.registerWebhookEndpoint',
    doc: `mutation { registerWebhookEndpoint(input: { url: "https://u:p@example.com/h", eventTypes: [SALE_PROCESSED] }) { userErrors { code } } }`,
    allowed: ['webhooks:manage'],
  },
  { field: 'Mutation.removeWebhookEndpoint', doc: `mutation { removeWebhookEndpoint(input: { endpointId: "V2ViaG9va0VuZHBvaW50Ojk4NzY1NA" }) { userErrors { code } } }`, allowed: ['webhooks:manage'] },
  { field: 'Mutation.enableWebhookEndpoint', doc: `mutation { enableWebhookEndpoint(input: { endpointId: "V2ViaG9va0VuZHBvaW50Ojk4NzY1NA" }) { userErrors { code } } }`, allowed: ['webhooks:manage'] },
  // a partner's own deliveries only (webhooks-25): an unknown one is NOT_FOUND, nothing written
  { field: 'Mutation.replayWebhookDelivery', doc: `mutation { replayWebhookDelivery(input: { deliveryId: "V2ViaG9va0RlbGl2ZXJ5Ojk4NzY1NA" }) { userErrors { code } } }`, allowed: ['webhooks:manage'] },
  // "Retry now" of a partner's own endpoint (webhook-retry-40): an unknown one is NOT_FOUND, nothing written
  { field: 'Mutation.retryWebhookDeliveriesNow', doc: `mutation { retryWebhookDeliveriesNow(input: { endpointId: "V2ViaG9va0VuZHBvaW50Ojk4NzY1NA" }) { broughtForward userErrors { code } } }`, allowed: ['webhooks:manage'] },
  {
    field: 'Mutation.replayFailedWebhookDeliveries',
    doc: `mutation { replayFailedWebhookDeliveries(input: { endpointId: "V2ViaG9va0VuZHBvaW50Ojk4NzY1NA", idempotencyKey: "k-1" }) { replayed userErrors { code } } }`,
    allowed: ['webhooks:manage'],
  },
  { field: 'Query.programStats', doc: `{ programStats(currency: "X", from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z") { activeMembers } }`, allowed: [] },
  // node/nodes answer every partner (null for what it may not see: below)
  { field: 'Query.node', doc: `query($id: ID!) { node(id: $id) { id } }`, vars: (i) => ({ id: i.customer }), allowed: [...SCOPES] },
  { field: 'Query.nodes', doc: `query($id: ID!) { nodes(ids: [$id]) { id } }`, vars: (i) => ({ id: i.store }), allowed: [...SCOPES] },
  // Mutations of the till and integrations (allowed ones are refused with a userError: nothing written)
  {
    field: 'Mutation.submitTransaction',
    doc: `mutation { submitTransaction(input: { externalId: "m-1", customerExternalId: "nobody", occurredAt: "2026-01-01T00:00:00Z", currency: "EUR", lines: [{ sku: "A", quantity: 1, unitPrice: "1.00" }] }) { userErrors { code } } }`,
    allowed: ['transactions:write'],
  },
  { field: 'Mutation.reverseTransaction', doc: `mutation { reverseTransaction(input: { externalId: "nope" }) { userErrors { code } } }`, allowed: ['transactions:write'] },
  { field: 'Mutation.lockOffer', doc: `mutation { lockOffer(input: { code: "AAAA-AAAA-AAAA", lockId: "b" }) { userErrors { code } } }`, allowed: ['offers:redeem'] },
  { field: 'Mutation.redeemOffer', doc: `mutation { redeemOffer(input: { code: "AAAA-AAAA-AAAA" }) { userErrors { code } } }`, allowed: ['offers:redeem'] },
  { field: 'Mutation.releaseOffer', doc: `mutation { releaseOffer(input: { code: "AAAA-AAAA-AAAA", lockId: "b" }) { userErrors { code } } }`, allowed: ['offers:redeem'] },
  {
    field: 'Mutation.recordActivity',
    doc: `mutation { recordActivity(input: { customerExternalId: "nobody", kind: REVIEW, reference: "r" }) { userErrors { code } } }`,
    allowed: ['activities:write'],
  },
  // Customers' own mutations
  {
    field: 'Mutation.purchaseOffer',
    doc: `mutation($l: ID!) { purchaseOffer(input: { listingId: $l, idempotencyKey: "k" }) { userErrors { code } } }`,
    vars: (i) => ({ l: i.listing }),
    allowed: [],
  },
  {
    field: 'Mutation.claimGift',
    doc: `mutation($o: ID!) { claimGift(input: { giftListId: "R2lmdExpc3Q6MQ", optionId: $o, idempotencyKey: "k" }) { userErrors { code } } }`,
    vars: (i) => ({ o: i.offer }),
    allowed: [],
  },
  // Staff
  { field: 'Mutation.setActivityRule', doc: `mutation { setActivityRule(input: { currency: "X", kind: REVIEW, points: 1 }) { userErrors { code } } }`, allowed: [] },
  {
    field: 'Mutation.upsertCustomer',
    doc: `mutation($e: String!) { upsertCustomer(input: { externalId: $e, name: "Mallory" }) { userErrors { code } } }`,
    vars: (i) => ({ e: i.customerExternalId }),
    allowed: [],
  },
  {
    field: 'Mutation.createGiftList',
    doc: `mutation($o: ID!) { createGiftList(input: { currency: "X", name: "g", threshold: 10, offerIds: [$o] }) { userErrors { code } } }`,
    vars: (i) => ({ o: i.offer }),
    allowed: [],
  },
  { field: 'Mutation.createOffer', doc: `mutation { createOffer(input: { name: "o", benefit: { kind: FREE_ITEM, freeSku: "A" } }) { userErrors { code } } }`, allowed: [] },
  {
    field: 'Mutation.updateOffer',
    doc: `mutation($o: ID!) { updateOffer(input: { offerId: $o, name: "Hijacked" }) { userErrors { code } } }`,
    vars: (i) => ({ o: i.offer }),
    allowed: [],
  },
  { field: 'Mutation.createPartner', doc: `mutation { createPartner(input: { name: "p", scopes: ["customers:read"] }) { userErrors { code } } }`, allowed: [] },
  { field: 'Mutation.revokePartner', doc: `mutation($p: ID!) { revokePartner(input: { partnerId: $p }) { userErrors { code } } }`, vars: (i) => ({ p: i.partner }), allowed: [] },
  {
    field: 'Mutation.createCurrency',
    doc: `mutation { createCurrency(input: { code: "HACK", name: "h", pointValue: "0.01", moneyCurrency: "EUR" }) { userErrors { code } } }`,
    allowed: [],
  },
  {
    field: 'Mutation.adjustPoints',
    doc: `mutation($e: String!) { adjustPoints(input: { customerExternalId: $e, currency: "SCOPE", amount: 1000, reason: "r", idempotencyKey: "${Z}" }) { userErrors { code } } }`,
    vars: (i) => ({ e: i.customerExternalId }),
    allowed: [],
  },
  { field: 'Mutation.setEconomyRule', doc: `mutation { setEconomyRule(input: { currency: "SCOPE", pointsPerUnit: "100" }) { userErrors { code } } }`, allowed: [] },
  {
    field: 'Mutation.createCampaign',
    doc: `mutation { createCampaign(input: { name: "c", currency: "SCOPE", startsAt: "2026-01-01T00:00:00Z", endsAt: "${FAR}", outcome: { bonusPoints: 1 } }) { userErrors { code } } }`,
    allowed: [],
  },
  // refused before the campaign is looked up: an id of none will do
  { field: 'Mutation.endCampaign', doc: `mutation { endCampaign(input: { campaignId: "${toGlobalId('Campaign', 1)}" }) { userErrors { code } } }`, allowed: [] },
  { field: 'Mutation.createRewardStore', doc: `mutation { createRewardStore(input: { code: "hack", name: "h", currency: "SCOPE" }) { userErrors { code } } }`, allowed: [] },
  { field: 'Mutation.updateRewardStore', doc: `mutation { updateRewardStore(input: { storeId: "${toGlobalId('RewardStore', 1)}", name: "hack" }) { userErrors { code } } }`, allowed: [] },
  { field: 'Mutation.updateListing', doc: `mutation { updateListing(input: { listingId: "${toGlobalId('Listing', 1)}", priceInPoints: 1 }) { userErrors { code } } }`, allowed: [] },
  {
    field: 'Mutation.addListing',
    doc: `mutation($s: ID!, $o: ID!) { addListing(input: { storeId: $s, offerId: $o, priceInPoints: 1 }) { userErrors { code } } }`,
    vars: (i) => ({ s: i.store, o: i.offer }),
    allowed: [],
  },
  { field: 'Mutation.removeListing', doc: `mutation($l: ID!) { removeListing(input: { listingId: $l }) { userErrors { code } } }`, vars: (i) => ({ l: i.listing }), allowed: [] },
  {
    field: 'Mutation.createTier',
    doc: `mutation { createTier(input: { currency: "SCOPE", code: "HACK", name: "h", rank: 99, threshold: 0 }) { userErrors { code } } }`,
    allowed: [],
  },
  {
    field: 'Mutation.issueReplacementOffer',
    doc: `mutation($o: ID!) { issueReplacementOffer(input: { issuedOfferId: $o, reason: "r", idempotencyKey: "${Z}" }) { userErrors { code } } }`,
    vars: (i) => ({ o: i.offer }),
    allowed: [],
  },
  {
    field: 'Mutation.registerPersistedOperations',
    doc: `mutation($p: String!) { registerPersistedOperations(input: { client: $p, manifest: { format: "apollo-persisted-query-manifest", version: 1, operations: [] } }) { userErrors { code } } }`,
    vars: (i) => ({ p: i.partner }),
    allowed: [],
  },
];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;
const codesOf = (res: GqlResult<unknown>) => (res.errors ?? []).map((e) => e.extensions?.code);

describe('partners see only what their scopes give them', () => {
  let t: TestGateway;
  const keys = {} as Record<Scope, { apiKey: string }>;
  let ids: Ids;
  let shop: Awaited<ReturnType<typeof simpleShop>>;
  let customer: Awaited<ReturnType<typeof createCustomer>>;
  let issuedCode: string;
  let issuedId: string;
  let closedStore: { id: string };
  let hiddenListing: { id: string };
  let saleOf: Record<'mine' | 'other', string>;
  let reader: { apiKey: string };
  let salesReader: { apiKey: string };

  /** The customer's sale of one latte, sent by `credential`'s till: the sale as answered. */
  const latteSale = async (credential: { apiKey: string }) =>
    ok(
      await t.gql(
        SubmitTransactionDocument,
        {
          input: {
            externalId: unique('sale'),
            customerExternalId: customer.externalId,
            occurredAt: t.clock.now().toISOString(),
            currency: 'EUR',
            lines: [{ sku: 'LATTE', quantity: 1, unitPrice: '3.50' }],
          },
        },
        credential,
      ),
    ).submitTransaction.transaction!;

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    for (const scope of SCOPES) keys[scope] = (await createPartner(t, [scope])).credential;
    await createCurrency(t, 'SCOPE');
    const tier = await createTier(t, { currency: 'SCOPE', code: 'GREEN', rank: 1, threshold: 0 });
    shop = await simpleShop(t);
    customer = await createCustomer(t, shop.currency, 500, { segments: ['staff-family'] });
    const bought = ok(await t.gql(PurchaseOfferDocument, { listingId: shop.listing.id, idempotencyKey: unique('k') }, customer.token)).purchaseOffer;
    issuedCode = bought.purchase!.issuedOffer.code;
    issuedId = bought.purchase!.issuedOffer.id;
    // The example: a store not open yet, a listing not on show yet.
    closedStore = await createStore(t, shop.currency, { startsAt: FAR });
    const offer = await createOffer(t, unique('Secret launch'));
    hiddenListing = await addListing(t, shop.store.id, offer.id, { visibleFrom: FAR });
    const writer = await createPartner(t, ['transactions:write', 'transactions:read']);
    const otherWriter = await createPartner(t, ['transactions:write', 'transactions:read']);
    saleOf = { mine: (await latteSale(writer.credential)).id, other: (await latteSale(otherWriter.credential)).id };
    reader = (await createPartner(t, ['customers:read', 'transactions:read'])).credential;
    salesReader = writer.credential;
    const partnerId = (await createPartner(t, ['customers:read'])).id;
    ids = {
      customer: customer.id,
      customerExternalId: customer.externalId,
      store: shop.store.id,
      listing: shop.listing.id,
      offer: shop.offer.id,
      tier: tier.id,
      partner: partnerId,
      sale: saleOf.mine,
    };
  });
  afterEach(() => t.clock.reset());
  afterAll(async () => {
    expect(await ledgerViolations(t)).toEqual([]);
    await t.close();
  });

  it('the matrix has a row for every root field and mutation of the schema', () => {
    const schema = buildSchema(readFileSync(new URL('../../schema/schema.graphql', import.meta.url), 'utf8'));
    const fields = [
      ...Object.keys(schema.getQueryType()!.getFields()).map((f) => `Query.${f}`),
      ...Object.keys(schema.getMutationType()!.getFields()).map((f) => `Mutation.${f}`),
    ].sort();
    expect(MATRIX.map((r) => r.field).sort()).toEqual(fields);
  });

  describe.each(SCOPES)('an API key with only %s', (scope) => {
    it.each(MATRIX.map((row) => [row.field, row] as const))('%s', async (_field, row) => {
      const before = await writeCounts(t);
      const res = await t.gql(row.doc, row.vars?.(ids), keys[scope]);
      if (row.allowed.includes(scope)) {
        expect({ errors: res.errors ?? [] }).toEqual({ errors: [] });
      } else {
        expect(codesOf(res)).toEqual(['FORBIDDEN']);
        const root = row.field.split('.')[1];
        expect((res.data as Record<string, unknown> | null)?.[root] ?? null).toBeNull();
      }
      expect(await writeCounts(t)).toEqual(before);
    });
  });

  it("the issue's example: transactions:write reads rewardStores and gets FORBIDDEN, not the staff view", async () => {
    const staff = ok(await t.gql<Loose, Loose>(`{ rewardStores(first: 20) { edges { node { id listings(first: 20) { edges { node { id } } } } } } }`, {}, t.operatorToken));
    const staffStores = staff.rewardStores.edges.map((e: { node: { id: string } }) => e.node.id);
    expect(staffStores).toContain(closedStore.id);
    const res = await t.gql<Loose, Loose>(`{ rewardStores(first: 20) { edges { node { id listings(first: 20) { edges { node { id } } } } } } }`, {}, keys['transactions:write']);
    expect(codesOf(res)).toEqual(['FORBIDDEN']);
    expect(res.data ?? null).toBeNull();
    expect(JSON.stringify(res)).not.toContain(hiddenListing.id);
  });

  describe('customers:read gives the loyalty view of a customer, not their personal data, wallet, ledger or stores', () => {
    const read = (selection: string, credential: { apiKey: string } | string) =>
      t.gql<Loose, Loose>(`query($e: String!) { customer(externalId: $e) { ${selection} } }`, { e: customer.externalId }, credential);

    it('the loyalty view: ids, name, status, tier, next tier, balances, gift lists', async () => {
      const res = await read(
        'id externalId name status createdAt updatedAt tier { code } nextTier { code } balances { currency { code } available pending lifetimeEarned expiringSoon { amount } } giftLists { id }',
        keys['customers:read'],
      );
      const c = dataOf(res).customer;
      expect(c).toMatchObject({ id: customer.id, externalId: customer.externalId, status: 'ACTIVE', tier: { code: 'GREEN' } });
      expect(c.balances.find((b: { currency: { code: string } }) => b.currency.code === shop.currency)).toMatchObject({ available: 400 });
    });

    it.each([
      ['email', 'email'],
      ['birthDate', 'birthDate'],
      ['segments', 'segments'],
      ['attributes', 'attributes'],
      ['wallet', `wallet { edges { node { code } } }`],
      ['pointHistory', `pointHistory { edges { node { id amount reason } } }`],
      ['eligibleRewardStores', `eligibleRewardStores { edges { node { id listings { edges { node { id } } } } } }`],
    ])('%s is FORBIDDEN to a partner, and staff read it', async (field, selection) => {
      const res = await read(`id ${selection}`, keys['customers:read']);
      expect(res.errors?.map((e) => [e.extensions?.code, e.path?.join('.')])).toEqual([['FORBIDDEN', `customer.${field}`]]);
      expect(JSON.stringify(res.data)).not.toContain(issuedCode);
      expect(JSON.stringify(res.data)).not.toContain('staff-family');
      expect(dataOf(await read(`id ${selection}`, t.operatorToken)).customer).toHaveProperty(field);
    });

    it("the wallet's codes do not leak through a sale's customer either, even to a key with every scope", async () => {
      const everything = await createPartner(t, [...SCOPES]);
      const own = await latteSale(everything.credential);
      const res = await t.gql<Loose, Loose>(
        `query($id: ID!) { node(id: $id) { ... on SalesTransaction { id customer { externalId wallet { edges { node { code } } } } } } }`,
        { id: own.id },
        everything.credential,
      );
      expect(res.errors?.map((e) => [e.extensions?.code, e.path?.join('.')])).toEqual([['FORBIDDEN', 'node.customer.wallet']]);
      expect(res.data).toEqual({ node: { id: own.id, customer: null } });
      expect(JSON.stringify(res)).not.toContain(issuedCode);
    });
  });

  describe("a sale's customer", () => {
    const sale = (credential: { apiKey: string }) =>
      t.gql<Loose, Loose>(`query($id: ID!) { node(id: $id) { ... on SalesTransaction { id customer { externalId } } } }`, { id: saleOf.mine }, credential);

    it('is null for a partner without customers:read (its own sale)', async () => {
      expect(dataOf(await sale(salesReader)).node).toEqual({ id: saleOf.mine, customer: null });
    });

    it('is the customer for a partner with customers:read too (its own sale)', async () => {
      const writerWithRead = await createPartner(t, ['transactions:write', 'transactions:read', 'customers:read']);
      const mine = await latteSale(writerWithRead.credential);
      const res = await t.gql<Loose, Loose>(`query($id: ID!) { node(id: $id) { ... on SalesTransaction { customer { externalId } } } }`, { id: mine.id }, writerWithRead.credential);
      expect(dataOf(res).node).toEqual({ customer: { externalId: customer.externalId } });
    });
  });

  describe('node(id:) for a partner: only its own sales, only with transactions:read', () => {
    it.each(SCOPES)('%s', async (scope) => {
      const all = [ids.customer, ids.store, closedStore.id, ids.listing, hiddenListing.id, ids.offer, ids.tier, ids.partner, issuedId, saleOf.other, saleOf.mine];
      const res = dataOf(await t.gql<Loose, Loose>(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids: all }, keys[scope]));
      // A single-scope key owns no sale: null everywhere.
      expect(res.nodes).toEqual(all.map(() => null));
    });

    it('the writer with transactions:read gets its own sale and nothing else', async () => {
      const all = [ids.customer, ids.store, ids.listing, ids.offer, ids.tier, ids.partner, issuedId, saleOf.other, saleOf.mine];
      const res = dataOf(await t.gql<Loose, Loose>(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids: all }, salesReader));
      expect(res.nodes).toEqual([...all.slice(0, -1).map(() => null), { id: saleOf.mine }]);
    });

    it('a partner without transactions:read does not reach even its own sale by id', async () => {
      const writerOnly = await createPartner(t, ['transactions:write']);
      const own = ok(
        await t.gql(
          SubmitTransactionDocument,
          {
            input: {
              externalId: unique('sale'),
              customerExternalId: customer.externalId,
              occurredAt: t.clock.now().toISOString(),
              currency: 'EUR',
              lines: [{ sku: 'LATTE', quantity: 1, unitPrice: '3.50' }],
            },
          },
          writerOnly.credential,
        ),
      ).submitTransaction.transaction!;
      expect(dataOf(await t.gql<Loose, Loose>(`query($id: ID!) { node(id: $id) { id } }`, { id: own.id }, writerOnly.credential)).node).toBeNull();
      expect(dataOf(await t.gql<Loose, Loose>(`query($id: ID!) { node(id: $id) { id } }`, { id: own.id }, reader)).node).toBeNull();
    });
  });

  describe('subscriptions: no scope opens one', () => {
    /** The graphql-ws handshake with `payload` as connectionParams: how the server closes it, or "acknowledged". */
    const handshake = (payload: Record<string, unknown>) =>
      new Promise<number | 'acknowledged'>((resolve, reject) => {
        const ws = new WebSocket(t.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
        ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload })));
        ws.on('message', (data) => {
          if (JSON.parse(String(data)).type === 'connection_ack') {
            ws.close();
            resolve('acknowledged');
          }
        });
        ws.on('close', (code) => resolve(code));
        ws.on('error', reject);
      });

    it.each(SCOPES)('%s: the key opens a socket only as x-api-key (else 4401), and no subscription on it (FORBIDDEN)', async (scope) => {
      expect(await handshake({ 'x-api-key': keys[scope].apiKey })).toBe('acknowledged');
      expect(await handshake({ authorization: keys[scope].apiKey })).toBe(4401);
      expect(await handshake({ authorization: `Bearer ${keys[scope].apiKey}` })).toBe(4401);
      const ws = new WebSocket(t.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
      const answer = await new Promise<{ errors?: { extensions: { code: string } }[] }>((resolve, reject) => {
        ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: { 'x-api-key': keys[scope].apiKey } })));
        ws.on('message', (data) => {
          const message = JSON.parse(String(data));
          if (message.type === 'connection_ack') ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: 'subscription { balanceChanged { available } }' } }));
          if (message.type === 'next' || message.type === 'error') resolve(message.type === 'next' ? message.payload : { errors: message.payload });
        });
        ws.on('error', reject);
      });
      ws.close();
      // (a partner runs only its registered operations: the subscription's text is refused before it runs)
      expect(answer.errors?.map((e) => e.extensions.code)).toEqual(['PERSISTED_QUERY_NOT_ALLOWED']);
    });

    it('the control: a customer is acknowledged', async () => {
      expect(await handshake({ authorization: `Bearer ${customer.token}` })).toBe('acknowledged');
    });
  });
});
