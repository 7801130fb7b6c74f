import {
  AddListingDocument,
  CreateCurrencyDocument,
  CreateGiftListDocument,
  CreateOfferDocument,
  PurchaseOfferDocument,
  SetEconomyRuleDocument,
  SubmitTransactionDocument,
} from '../generated/graphql.js';
import { dataOf, ok, startTestGateway, type Credential, type TestGateway } from '../support/gateway.js';
import { createCustomer, createPartner, createStore, createTier, unique } from '../support/program.js';
import { recordStatements } from '../support/statements.js';
import { insertFailedDelivery } from '../support/webhook-receiver.js';
import { fromGlobalId } from '../../src/graphql/ids.js';

/**
 * n1-28: no field of an object that comes in lists sends SQL of its own per object. Lists (staff's
 * nodes(ids:), a partner's, a customer's rewardStores) of sales with SalesTransaction.offersApplied
 * and .customer; of customers with Customer.giftLists, .wallet, .pointHistory,
 * .eligibleRewardStores; of partners, activity rules, webhook endpoints and deliveries, gift lists;
 * of stores with RewardStore.listings: each costs the same number of statements for 1 object as
 * for many, and answers what each object answers on its own (to the byte where the single read
 * exists). Counts every statement the gateway sends to PostgreSQL (`recordStatements`) but the
 * rate limiter's one per request (test/http/limits.test.ts). Last, Customer.balances with
 * .tier/.nextTier: one evaluation of each account, counted in the database. The tests share one
 * gateway and its data, in order: each adds what it needs after those before it have run.
 */
describe('statements per list of objects with fields of their own (n1-28)', () => {
  let t: TestGateway;
  const CURRENCY = 'NPLUSONE';
  let tillWithoutCustomers: Awaited<ReturnType<typeof createPartner>>;
  let till: Awaited<ReturnType<typeof createPartner>>;
  /** 20 sales, each of its own customer, with 0, 1 or 2 offers applied (by index mod 3). */
  const sales: { id: string; externalId: string; customer: string; codes: string[] }[] = [];
  /** The sales' customers (global id, externalId, token); customer i holds 25 + 30 i points less 10 per offer bought. */
  const customers: { id: string; externalId: string; token: string }[] = [];
  /** 3 sales of the first three customers by the partner without customers:read. */
  const otherSales: typeof sales = [];
  let recorder: ReturnType<typeof recordStatements>;

  beforeAll(async () => {
    // no job worker and no event relay: their polling would be counted too
    t = await startTestGateway({ EVENT_FANOUT: 'off' }, { jobs: 'manual' });
    ok(await t.gql(CreateCurrencyDocument, { input: { code: CURRENCY, name: CURRENCY, expiryDays: null, pointValue: '0.01', moneyCurrency: 'EUR' } }, t.operatorToken));
    ok(await t.gql(SetEconomyRuleDocument, { input: { currency: CURRENCY, pointsPerUnit: '1' } }, t.operatorToken));
    const store = await createStore(t, CURRENCY);
    const offers = [];
    for (let i = 0; i < 3; i++) {
      offers.push(
        ok(await t.gql(CreateOfferDocument, { input: { name: unique('offer'), benefit: { kind: 'AMOUNT_OFF', amountOff: '1.00' }, validDays: 30 } }, t.operatorToken)).createOffer.offer!,
      );
    }
    const listing = ok(await t.gql(AddListingDocument, { input: { storeId: store.id, offerId: offers[0].id, priceInPoints: 10 } }, t.operatorToken)).addListing.listing!;
    // Two gift lists, thresholds 50 and 200 (the second with a claim limit): each customer's progress differs with their balance.
    for (const [threshold, maxClaims] of [
      [50, null],
      [200, 2],
    ] as const) {
      ok(await t.gql(CreateGiftListDocument, { input: { currency: CURRENCY, name: unique('gifts'), threshold, offerIds: [offers[1].id, offers[2].id], maxClaims } }, t.operatorToken));
    }
    till = await createPartner(t, ['transactions:write', 'transactions:read', 'customers:read']);
    tillWithoutCustomers = await createPartner(t, ['transactions:write', 'transactions:read']);

    const sell = async (partner: typeof till, customerExternalId: string, codes: string[]) => {
      const input = {
        externalId: unique('sale'),
        customerExternalId,
        occurredAt: t.clock.now().toISOString(),
        currency: 'EUR',
        lines: [{ sku: 'LATTE', category: 'COFFEE', quantity: 1, unitPrice: '10.00' }],
        offerCodes: codes,
      };
      const answer = dataOf(await t.gql(SubmitTransactionDocument, { input }, partner.credential)).submitTransaction;
      expect(answer.userErrors).toEqual([]);
      return { id: answer.transaction!.id, externalId: input.externalId, customer: customerExternalId, codes };
    };
    for (let i = 0; i < 20; i++) {
      const customer = await createCustomer(t, CURRENCY, 25 + 30 * i);
      customers.push({ id: customer.id, externalId: customer.externalId, token: customer.token });
      const codes: string[] = [];
      for (let k = 0; k < i % 3; k++) {
        const bought = ok(await t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: unique('buy') }, customer.token)).purchaseOffer;
        codes.push(bought.purchase!.issuedOffer.code);
      }
      sales.push(await sell(till, customer.externalId, codes));
    }
    for (let i = 0; i < 3; i++) otherSales.push(await sell(tillWithoutCustomers, customers[i].externalId, []));
    recorder = recordStatements();
  });
  afterAll(async () => {
    recorder?.stop();
    await t.close();
  });

  /** Runs `query` with `ids` as `credential`, answering its data and the statements it sent (the rate limiter's left out). */
  async function counted<T>(query: string, ids: string[], credential: Credential): Promise<{ data: T; statements: number }> {
    recorder.take();
    const data = ok(await t.gql<T, { ids: string[] }>(query, { ids }, credential));
    const statements = recorder.take().filter((s) => !s.text.includes('rate_limit_bucket')).length;
    return { data, statements };
  }

  /** The count for the last sale (or customer) alone and for all 20, after a warm-up of each (a partner's operation is registered on first use). */
  async function oneAndTwenty<T>(query: string, ids: string[], credential: Credential) {
    await counted(query, ids.slice(-1), credential);
    await counted(query, ids, credential);
    const one = await counted<T>(query, ids.slice(-1), credential);
    const twenty = await counted<T>(query, ids, credential);
    return { one, twenty };
  }

  const OFFERS_APPLIED = `query SalesOffers($ids: [ID!]!) { nodes(ids: $ids) { ... on SalesTransaction { externalId offersApplied { code status } } } }`;
  type OffersApplied = { nodes: { externalId: string; offersApplied: { code: string; status: string }[] }[] };

  it('SalesTransaction.offersApplied: the same statements for 1 sale as for 20, each sale with its own offers', async () => {
    const { one, twenty } = await oneAndTwenty<OffersApplied>(OFFERS_APPLIED, sales.map((s) => s.id), t.operatorToken);
    expect(twenty.data.nodes.map((n) => [n.externalId, n.offersApplied.map((o) => o.code).sort()])).toEqual(sales.map((s) => [s.externalId, [...s.codes].sort()]));
    expect(twenty.data.nodes.flatMap((n) => n.offersApplied.map((o) => o.status))).toEqual(Array(sales.reduce((n, s) => n + s.codes.length, 0)).fill('REDEEMED'));
    expect({ one: one.statements, twenty: twenty.statements }).toEqual({ one: one.statements, twenty: one.statements });
    // each sale's answer alone is the same as in the list (a partner's own sales, by externalId)
    for (const [i, sale] of sales.entries()) {
      const alone = ok(await t.gql<{ transaction: { offersApplied: unknown } }, unknown>(`query Sale($e: String!) { transaction(externalId: $e) { offersApplied { code status } } }`, { e: sale.externalId }, till.credential));
      expect(alone.transaction.offersApplied).toEqual(twenty.data.nodes[i].offersApplied);
    }
  });

  const SALE_CUSTOMERS = `query SalesCustomers($ids: [ID!]!) { nodes(ids: $ids) { ... on SalesTransaction { externalId customer { id externalId } } } }`;
  type SaleCustomers = { nodes: { externalId: string; customer: { id: string; externalId: string } | null }[] };

  it('SalesTransaction.customer: the same statements for 1 sale as for 20, for staff and a partner with customers:read; null for one without', async () => {
    const ids = sales.map((s) => s.id);
    for (const credential of [t.operatorToken, till.credential]) {
      const { one, twenty } = await oneAndTwenty<SaleCustomers>(SALE_CUSTOMERS, ids, credential);
      expect(twenty.data.nodes).toEqual(sales.map((s, i) => ({ externalId: s.externalId, customer: { id: customers[i].id, externalId: s.customer } })));
      expect({ one: one.statements, twenty: twenty.statements }).toEqual({ one: one.statements, twenty: one.statements });
    }
    // a partner without customers:read reads its own sales, not their customers; another partner's sales are null to it
    const other = ok(await t.gql<SaleCustomers, { ids: string[] }>(SALE_CUSTOMERS, { ids: [...otherSales.map((s) => s.id), ids[0]] }, tillWithoutCustomers.credential));
    expect(other.nodes).toEqual([...otherSales.map((s) => ({ externalId: s.externalId, customer: null })), null]);
    // and staff see those sales' customers in the same list as the others'
    const mixed = ok(await t.gql<SaleCustomers, { ids: string[] }>(SALE_CUSTOMERS, { ids: [...otherSales.map((s) => s.id), ids[0]] }, t.operatorToken));
    expect(mixed.nodes.map((n) => n.customer?.externalId)).toEqual([customers[0].externalId, customers[1].externalId, customers[2].externalId, customers[0].externalId]);
  });

  const GIFT_LISTS = `query CustomerGiftLists($ids: [ID!]!) { nodes(ids: $ids) { ... on Customer { externalId giftLists { id name threshold unlocked claimableCount pointsToNext claimedByMe options { id name } } } } }`;
  type GiftLists = { nodes: { externalId: string; giftLists: { unlocked: boolean; claimableCount: number }[] }[] };

  it('Customer.giftLists: the same statements for 1 customer as for 20, each with their own progress', async () => {
    const { one, twenty } = await oneAndTwenty<GiftLists>(GIFT_LISTS, customers.map((c) => c.id), t.operatorToken);
    expect(twenty.data.nodes.map((n) => n.externalId)).toEqual(customers.map((c) => c.externalId));
    expect({ one: one.statements, twenty: twenty.statements }).toEqual({ one: one.statements, twenty: one.statements });
    // what each customer sees of their own gift lists, to the byte
    for (const [i, customer] of customers.entries()) {
      const own = ok(
        await t.gql<{ me: unknown }, unknown>(`query MyGiftLists { me { externalId giftLists { id name threshold unlocked claimableCount pointsToNext claimedByMe options { id name } } } }`, {}, customer.token),
      );
      expect(JSON.stringify(twenty.data.nodes[i])).toBe(JSON.stringify(own.me));
    }
    // balances 25 + 30 i less 10 per offer bought: the first customer reaches neither list, the last both
    expect(twenty.data.nodes[0].giftLists.map((l) => [l.unlocked, l.claimableCount])).toEqual([
      [false, 0],
      [false, 0],
    ]);
    expect(twenty.data.nodes[19].giftLists.map((l) => [l.unlocked, l.claimableCount])).toEqual([
      [true, 11],
      [true, 2],
    ]);
  });

  /**
   * The other objects nodes(ids:) reads by id. Set up after the tests above (more gift lists would
   * change the customers' lists they check): endpoints and deliveries straight in the database, as
   * the dispatcher writes them (test/support/webhook-receiver.ts `enqueueDelivery`).
   */
  it('nodes of partners, activity rules, webhook endpoints and deliveries, and gift lists: the same statements for 1 as for many', async () => {
    const partners = [till, tillWithoutCustomers];
    for (let i = partners.length; i < 10; i++) partners.push(await createPartner(t, ['transactions:read']));
    const kinds = ['SIGN_UP', 'REFERRAL', 'REVIEW', 'SOCIAL_SHARE', 'EVENT_CHECK_IN', 'BIRTHDAY', 'SURVEY'];
    const rules: string[] = [];
    for (const [i, kind] of kinds.entries()) {
      const set = ok(
        await t.gql<{ setActivityRule: { rule: { id: string } } }, unknown>(`mutation($input: SetActivityRuleInput!) { setActivityRule(input: $input) { rule { id } userErrors { code } } }`, {
          input: { currency: CURRENCY, kind, points: 10 + i },
        }, t.operatorToken),
      );
      rules.push(set.setActivityRule.rule.id);
    }
    const lists: string[] = [];
    const offer = ok(await t.gql(CreateOfferDocument, { input: { name: unique('offer'), benefit: { kind: 'AMOUNT_OFF', amountOff: '1.00' }, validDays: 30 } }, t.operatorToken)).createOffer.offer!;
    for (let i = 0; i < 10; i++) {
      const made = ok(await t.gql(CreateGiftListDocument, { input: { currency: CURRENCY, name: unique('more-gifts'), threshold: 40 + 60 * i, offerIds: [offer.id] } }, t.operatorToken));
      lists.push(made.createGiftList.giftList!.id);
    }
    const [{ eventId }] = await t.sql<{ eventId: string }>(`select min(id) as "eventId" from outbox_event`);
    const endpoints: string[] = [];
    const deliveries: string[] = [];
    for (const [i, partner] of partners.entries()) {
      const partnerId = fromGlobalId(partner.id, 'Partner', 'id');
      const delivery = await insertFailedDelivery(t, { partnerId, url: `https://hooks.example/${i}`, eventId, attempts: 2, createdBy: 'n1-28' });
      endpoints.push(delivery.endpointId);
      deliveries.push(delivery.deliveryId);
    }

    const NODES = `query Objects($ids: [ID!]!) { nodes(ids: $ids) {
      id
      ... on Partner { name }
      ... on ActivityRule { kind points }
      ... on WebhookEndpoint { url partner { id } retrying { count } }
      ... on WebhookDelivery { eventType endpoint { url } attemptLog { error } }
      ... on GiftList { name threshold unlocked }
    } }`;
    type Objects = { nodes: ({ id: string; partner?: { id: string }; endpoint?: { url: string }; attemptLog?: { error: string }[]; threshold?: number; unlocked?: boolean | null } | null)[] };
    const counts: Record<string, [number, number]> = {};
    for (const [name, ids, credential] of [
      ['partners', partners.map((p) => p.id), t.operatorToken],
      ['activity rules', rules, t.operatorToken],
      ['webhook endpoints', endpoints, t.operatorToken],
      ['webhook deliveries', deliveries, t.operatorToken],
      ['gift lists (staff)', lists, t.operatorToken],
      ['gift lists (a customer)', lists, customers[19].token],
    ] as const) {
      const { one, twenty } = await oneAndTwenty<Objects>(NODES, [...ids], credential);
      expect(twenty.data.nodes.map((n) => n?.id)).toEqual(ids);
      counts[name] = [one.statements, twenty.statements];
      if (name === 'webhook endpoints') expect(twenty.data.nodes.map((n) => n!.partner!.id)).toEqual(partners.map((p) => p.id));
      if (name === 'webhook deliveries') {
        expect(twenty.data.nodes.map((n) => n!.endpoint!.url)).toEqual(partners.map((_, i) => `https://hooks.example/${i}`));
        expect(twenty.data.nodes.map((n) => n!.attemptLog!.map((a) => a.error))).toEqual(partners.map(() => ['attempt 0', 'attempt 1']));
      }
      if (name === 'gift lists (staff)') expect(twenty.data.nodes.map((n) => [n!.threshold, n!.unlocked])).toEqual(lists.map((_, i) => [40 + 60 * i, null]));
      // the last customer has 585 points: the lists up to 580 are unlocked for them
      if (name === 'gift lists (a customer)') expect(twenty.data.nodes.map((n) => [n!.threshold, n!.unlocked])).toEqual(lists.map((_, i) => [40 + 60 * i, 40 + 60 * i <= 585]));
    }
    expect(counts).toEqual(Object.fromEntries(Object.entries(counts).map(([name, [one]]) => [name, [one, one]])));
  });

  const PAGES = `wallet(first: 1) { edges { cursor node { code status } } pageInfo { hasNextPage endCursor } }
      redeemed: wallet(status: [REDEEMED], first: 5) { edges { node { code } } }
      pointHistory(first: 2) { edges { cursor node { amount kind currency { code } } } pageInfo { hasNextPage hasPreviousPage } }
      eligibleRewardStores(first: 5) { edges { node { id } } pageInfo { hasNextPage } }`;

  it('Customer.wallet, .pointHistory and .eligibleRewardStores: the same statements for 1 customer as for 20, each page the customer\'s own', async () => {
    // a store for customers with 300 points or more, beside the store open to all
    const rich = await createStore(t, CURRENCY, { eligibility: { minBalance: 300 } });
    const LIST = `query CustomerPages($ids: [ID!]!) { nodes(ids: $ids) { ... on Customer { externalId ${PAGES} } } }`;
    type Pages = { nodes: { externalId: string; redeemed: { edges: unknown[] }; eligibleRewardStores: { edges: { node: { id: string } }[] } }[] };
    const { one, twenty } = await oneAndTwenty<Pages>(LIST, customers.map((c) => c.id), t.operatorToken);
    expect({ one: one.statements, twenty: twenty.statements }).toEqual({ one: one.statements, twenty: one.statements });
    // what each customer reads of their own, to the byte
    for (const [i, customer] of customers.entries()) {
      const own = ok(await t.gql<{ me: unknown }, unknown>(`query MyPages { me { externalId ${PAGES} } }`, {}, customer.token));
      expect(JSON.stringify(twenty.data.nodes[i])).toBe(JSON.stringify(own.me));
    }
    // the offers each customer bought were redeemed by their sale: 0, 1 or 2 by index mod 3
    expect(twenty.data.nodes.map((n) => n.redeemed.edges.length)).toEqual(customers.map((_, i) => i % 3));
    // balances 25 + 30 i less 10 per offer bought: from 300 points the second store is open to them too
    expect(twenty.data.nodes.map((n) => n.eligibleRewardStores.edges.some((e) => e.node.id === rich.id))).toEqual(customers.map((_, i) => 25 + 30 * i - 10 * (i % 3) >= 300));
  });

  it('RewardStore.listings over a page of stores: the same statements for 1 store as for 10, for staff and a customer, each page as the store alone answers it', async () => {
    for (let i = 0; i < 9; i++) {
      const store = await createStore(t, CURRENCY);
      for (let k = 0; k < 1 + (i % 3); k++) {
        const offer = ok(await t.gql(CreateOfferDocument, { input: { name: unique('offer'), benefit: { kind: 'AMOUNT_OFF', amountOff: '1.00' }, validDays: 30 } }, t.operatorToken)).createOffer.offer!;
        ok(await t.gql(AddListingDocument, { input: { storeId: store.id, offerId: offer.id, priceInPoints: 100 * (k + 1), sortOrder: 3 - k } }, t.operatorToken));
      }
    }
    const LISTINGS = `listings(first: 2) { edges { cursor node { id priceInPoints purchasedByMe affordable pointsMissing offer { name } } } pageInfo { hasNextPage endCursor } }`;
    const STORES = `query Stores($first: Int!) { rewardStores(first: $first) { edges { node { id ${LISTINGS} } } } }`;
    type Stores = { rewardStores: { edges: { node: { id: string; listings: unknown } }[] } };
    for (const credential of [t.operatorToken, customers[19].token]) {
      const count = async (first: number) => {
        recorder.take();
        const data = ok(await t.gql<Stores, { first: number }>(STORES, { first }, credential));
        return { data, statements: recorder.take().filter((st) => !st.text.includes('rate_limit_bucket')).length };
      };
      await count(1);
      await count(20);
      const one = await count(1);
      const many = await count(20);
      expect(many.data.rewardStores.edges.length).toBeGreaterThanOrEqual(10);
      expect({ one: one.statements, many: many.statements }).toEqual({ one: one.statements, many: one.statements });
      // each store's page as node(id:) answers it for the store alone, to the byte
      for (const { node } of many.data.rewardStores.edges) {
        const alone = ok(await t.gql<{ node: unknown }, { id: string }>(`query Store($id: ID!) { node(id: $id) { ... on RewardStore { id ${LISTINGS} } } }`, { id: node.id }, credential));
        expect(JSON.stringify(node)).toBe(JSON.stringify(alone.node));
      }
    }
  });

  /**
   * Customer.balances and Customer.tier/.nextTier read the same accounts: balances evaluate
   * `point_account_at` for each account, and each lifetime tier's qualifying points evaluated it
   * again for its currency's account. Counted in the database: `point_account_at` is made to take a
   * number from a sequence each time it runs (its definition otherwise as the migrations left it).
   * Last in the file: it changes this gateway's database.
   */
  it('Customer.balances with .tier and .nextTier: each account is read once, not once more per lifetime tier; the answers as when asked apart', async () => {
    await createTier(t, { currency: CURRENCY, code: 'BRONZE', rank: 1, threshold: 100 });
    await createTier(t, { currency: CURRENCY, code: 'SILVER', rank: 2, threshold: 400 });
    await createTier(t, { currency: CURRENCY, code: 'GOLD', rank: 3, threshold: 1000, windowDays: 30 });
    const [{ def }] = await t.sql<{ def: string }>(`select pg_get_functiondef('point_account_at(bigint, timestamptz)'::regprocedure) as def`);
    expect(def).toContain('where a.id = p_account_id');
    await t.sql(`create sequence n1_28_point_account_reads`);
    await t.sql(def.replace('where a.id = p_account_id', `where a.id = p_account_id and nextval('n1_28_point_account_reads') > 0`));
    const reads = async () => Number((await t.sql<{ n: string }>(`select nextval('n1_28_point_account_reads') as n`))[0].n);

    const BOTH = `query Figures($ids: [ID!]!) { nodes(ids: $ids) { ... on Customer { externalId balances { currency { code } available pending lifetimeEarned } tier { code } nextTier { code pointsNeeded } } } }`;
    const BALANCES = `query Balances($ids: [ID!]!) { nodes(ids: $ids) { ... on Customer { externalId balances { currency { code } available pending lifetimeEarned } } } }`;
    const TIERS = `query Tiers($ids: [ID!]!) { nodes(ids: $ids) { ... on Customer { externalId tier { code } nextTier { code pointsNeeded } } } }`;
    const ids = customers.map((c) => c.id);
    const before = await reads();
    const both = ok(await t.gql<{ nodes: Record<string, unknown>[] }, unknown>(BOTH, { ids }, t.operatorToken));
    const readsForBoth = (await reads()) - before - 1;
    const balances = ok(await t.gql<{ nodes: Record<string, unknown>[] }, unknown>(BALANCES, { ids }, t.operatorToken));
    const tiers = ok(await t.gql<{ nodes: Record<string, unknown>[] }, unknown>(TIERS, { ids }, t.operatorToken));
    // the same answers, to the byte, as the two halves asked apart
    expect(JSON.stringify(both.nodes)).toBe(JSON.stringify(balances.nodes.map((b, i) => ({ ...b, ...tiers.nodes[i] }))));
    // every customer has one account (in CURRENCY): 20 reads, not 20 more for each of the 2 lifetime tiers
    expect({ readsForBoth }).toEqual({ readsForBoth: customers.length });
    // and the figures are the customers' own: the last has 585 points (lifetime earned 595: SILVER), the first 25 (no tier)
    expect(both.nodes[19]).toMatchObject({ tier: { code: 'SILVER' }, nextTier: { code: 'GOLD' } });
    expect(both.nodes[0]).toMatchObject({ tier: null, nextTier: { code: 'BRONZE', pointsNeeded: 75 } });
  });
});
