import { CreateGiftListDocument, CreateOfferDocument, SetEconomyRuleDocument } from '../generated/graphql.js';
import { ok, startTestGateway, type Credential, type GqlResult, type TestGateway } from '../support/gateway.js';
import { addListing, adjust, createCurrency, createCustomer, createPartner, createStore, createTier, submitSale, unique } from '../support/program.js';
import { fromGlobalId, toGlobalId } from '../../src/graphql/ids.js';
import { insertFailedDelivery } from '../support/webhook-receiver.js';

/**
 * break-28: n1-28 read fields of objects in lists, and `nodes(ids:)`, through per-request loaders
 * that put several parents in one statement. Attacks on that batching, each batched answer
 * compared to the byte with the same object asked alone (`node(id:)`, same selection, same
 * caller): a list mixing the caller's objects with another customer's, another partner's and the
 * program's; customers, partners with and without customers:read, and staff; one customer's pages
 * under aliases with different arguments beside other customers'; unknown and malformed ids and
 * over-large lists. (A mutation operation whose later root field reads what an earlier one wrote,
 * through loaders cached per request, cannot be asked: a mutation runs one root field per request.)
 */
describe('batched reads answer each object as it is answered alone (break-28)', () => {
  let t: TestGateway;
  let CURRENCY: string;
  let OTHER: string;
  type Customer = Awaited<ReturnType<typeof createCustomer>>;
  let a: Customer;
  let b: Customer;
  let c: Customer;
  let withCustomers: Awaited<ReturnType<typeof createPartner>>;
  let withoutCustomers: Awaited<ReturnType<typeof createPartner>>;
  let pricey: { id: string };
  let richStore: { id: string };
  /** Global ids of objects of each kind: a's, b's and the program's. */
  const ids: Record<string, string> = {};

  const buy = async (token: string, listingId: string) =>
    ok(
      await t.gql<{ purchaseOffer: { purchase: { id: string; issuedOffer: { id: string; code: string } } } }, unknown>(
        `mutation Buy($listingId: ID!, $key: String!) { purchaseOffer(input: { listingId: $listingId, idempotencyKey: $key }) { purchase { id issuedOffer { id code } } userErrors { code message } } }`,
        { listingId, key: unique('buy') },
        token,
      ),
    ).purchaseOffer.purchase;

  beforeAll(async () => {
    t = await startTestGateway({ EVENT_FANOUT: 'off' }, { jobs: 'manual' });
    CURRENCY = (await createCurrency(t, 'BREAKBATCH', null)).code;
    OTHER = (await createCurrency(t, 'BREAKOTHER', null)).code;
    ok(await t.gql(SetEconomyRuleDocument, { input: { currency: CURRENCY, pointsPerUnit: '1' } }, t.operatorToken));
    await createTier(t, { currency: CURRENCY, code: 'BRONZE', rank: 1, threshold: 100 });
    const store = await createStore(t, CURRENCY);
    richStore = await createStore(t, CURRENCY, { eligibility: { minBalance: 100 } });
    const offers = [];
    for (let i = 0; i < 4; i++) {
      offers.push(ok(await t.gql(CreateOfferDocument, { input: { name: unique('offer'), benefit: { kind: 'AMOUNT_OFF', amountOff: '1.00' }, validDays: 30 } }, t.operatorToken)).createOffer.offer!);
    }
    const cheap = await addListing(t, store.id, offers[0].id, { priceInPoints: 10, sortOrder: 1 });
    pricey = await addListing(t, store.id, offers[1].id, { priceInPoints: 150, sortOrder: 2, stock: 20 });
    await addListing(t, richStore.id, offers[2].id, { priceInPoints: 40 });
    const lists = [];
    for (const [threshold, maxClaims] of [
      [50, null],
      [200, 2],
    ] as const) {
      lists.push(ok(await t.gql(CreateGiftListDocument, { input: { currency: CURRENCY, name: unique('gifts'), threshold, offerIds: [offers[2].id, offers[3].id], maxClaims } }, t.operatorToken)).createGiftList.giftList!);
    }
    // a: 300 points, two offers bought; b: 60 points, one; c: nothing
    a = await createCustomer(t, CURRENCY, 300);
    b = await createCustomer(t, CURRENCY, 60);
    c = await createCustomer(t, CURRENCY, 0);
    await adjust(t, a.externalId, OTHER, 7);
    const aBought = [await buy(a.token, cheap.id), await buy(a.token, cheap.id)];
    const bBought = await buy(b.token, cheap.id);

    withCustomers = await createPartner(t, ['transactions:write', 'transactions:read', 'customers:read']);
    withoutCustomers = await createPartner(t, ['transactions:write', 'transactions:read']);
    // a sale at the till (submitSale), by its global id as the partner reads it
    const sell = async (partner: typeof withCustomers, customer: Customer, codes: string[]) => {
      const externalId = await submitSale(t, partner, customer.externalId, 'EUR', 10, codes);
      return ok(await t.gql<{ transaction: { id: string } }, unknown>(`query SaleId($e: String!) { transaction(externalId: $e) { id } }`, { e: externalId }, partner.credential)).transaction.id;
    };
    ids.saleOfA = await sell(withCustomers, a, [aBought[0].issuedOffer.code]);
    ids.saleOfB = await sell(withoutCustomers, b, []);

    const rule = ok(
      await t.gql<{ setActivityRule: { rule: { id: string } } }, unknown>(`mutation($input: SetActivityRuleInput!) { setActivityRule(input: $input) { rule { id } userErrors { code } } }`, {
        input: { currency: CURRENCY, kind: 'REVIEW', points: 5 },
      }, t.operatorToken),
    );
    ids.activityRule = rule.setActivityRule.rule.id;
    const [{ eventId }] = await t.sql<{ eventId: string }>(`select min(id) as "eventId" from outbox_event`);
    for (const [name, partnerId] of [
      ['Partner', fromGlobalId(withCustomers.id, 'Partner', 'id')],
      ['Program', null],
    ] as const) {
      const delivery = await insertFailedDelivery(t, { partnerId, url: `https://hooks.example/${name}`, eventId, attempts: 1, createdBy: 'break-28' });
      ids[`endpointOf${name}`] = delivery.endpointId;
      ids[`deliveryOf${name}`] = delivery.deliveryId;
    }
    const entries = async (customer: Customer) =>
      ok(await t.gql<{ node: { pointHistory: { edges: { node: { id: string } }[] } } }, unknown>(`query($id: ID!) { node(id: $id) { ... on Customer { pointHistory(first: 1) { edges { node { id } } } } } }`, { id: customer.id }, t.operatorToken))
        .node.pointHistory.edges[0].node.id;
    Object.assign(ids, {
      customerA: a.id,
      customerB: b.id,
      customerC: c.id,
      issuedOfferOfA: aBought[1].issuedOffer.id,
      issuedOfferOfB: bBought.issuedOffer.id,
      purchaseOfA: aBought[1].id,
      purchaseOfB: bBought.id,
      entryOfA: await entries(a),
      entryOfB: await entries(b),
      giftList50: lists[0].id,
      giftList200: lists[1].id,
      partnerWithCustomers: withCustomers.id,
      partnerWithout: withoutCustomers.id,
      store: store.id,
      richStore: richStore.id,
      listing: pricey.id,
      unknownCustomer: toGlobalId('Customer', 987654321),
      unknownSale: toGlobalId('SalesTransaction', 987654321),
      unknownGiftList: toGlobalId('GiftList', 987654321),
      unknownEndpoint: toGlobalId('WebhookEndpoint', 987654321),
    });
  });
  afterAll(() => t.close());

  const LISTINGS = `listings(first: 3) { edges { cursor node { id priceInPoints affordable pointsMissing purchasedByMe stockRemaining } } pageInfo { hasNextPage endCursor } }`;
  /** Every kind the batch reads, with the fields n1-28 moved onto loaders. */
  const SELECTION = `id
    ... on Customer {
      externalId balances { currency { code } available lifetimeEarned } tier { code }
      giftLists { id threshold unlocked claimableCount pointsToNext claimedByMe options { id } }
      wallet(first: 5) { edges { cursor node { code status } } pageInfo { hasNextPage } }
      pointHistory(first: 5) { edges { cursor node { amount kind balanceAfter } } pageInfo { hasNextPage } }
      eligibleRewardStores(first: 5) { edges { node { id ${LISTINGS} } } }
    }
    ... on IssuedOffer { code offerStatus: status }
    ... on OfferPurchase { pointsPaid purchaseStatus: status issuedOffer { code } listing { id purchasedByMe affordable } }
    ... on LedgerEntry { amount balanceAfter }
    ... on GiftList { threshold unlocked claimableCount pointsToNext claimedByMe options { id } }
    ... on SalesTransaction { externalId saleStatus: status offersApplied { code } customer { externalId } }
    ... on Partner { name }
    ... on WebhookEndpoint { url partner { id } }
    ... on WebhookDelivery { eventType endpoint { url } attemptLog { error } }
    ... on ActivityRule { kind points }
    ... on RewardStore { code ${LISTINGS} }
    ... on Listing { priceInPoints affordable pointsMissing purchasedByMe }`;
  const NODES = `query BatchAll($ids: [ID!]!) { nodes(ids: $ids) { ${SELECTION} } }`;
  const NODE = `query OneOfAll($id: ID!) { node(id: $id) { ${SELECTION} } }`;

  /** An answer's errors as the client reads them, with `nodes`' index taken out of the path (`[index, …rest]`). */
  const errorsOf = (result: GqlResult<unknown>) =>
    (result.errors ?? []).map((e) => ({ message: e.message, code: e.extensions?.code, path: ((e.path ?? []) as (string | number)[]).slice(1) }));

  /** Asks `list` in one nodes(ids:) call and each id alone with node(id:), as `credential`; expects each to answer the same, to the byte, errors included. */
  async function batchedAsAlone(list: string[], credential: Credential) {
    const batched = await t.gql<{ nodes: unknown[] }, { ids: string[] }>(NODES, { ids: list }, credential);
    expect(batched.status).toBe(200);
    const batchedErrors = errorsOf(batched);
    for (const [i, id] of list.entries()) {
      const alone = await t.gql<{ node: unknown }, { id: string }>(NODE, { id }, credential);
      const aloneErrors = errorsOf(alone).map((e) => ({ ...e, path: [i, ...e.path] }));
      expect({ id, answer: JSON.stringify(batched.data!.nodes[i]) }).toEqual({ id, answer: JSON.stringify(alone.data!.node) });
      expect({ id, errors: batchedErrors.filter((e) => e.path[0] === i) }).toEqual({ id, errors: aloneErrors });
    }
    return batched.data!.nodes as (Record<string, unknown> | null)[];
  }

  const everything = () => Object.values(ids);
  const at = (answer: (Record<string, unknown> | null)[], name: string) => answer[Object.keys(ids).indexOf(name)];

  it("a customer's nodes mixing their objects with another customer's, partners' and the program's: each as asked alone, the others null", async () => {
    const answer = await batchedAsAlone(everything(), a.token);
    for (const foreign of ['customerB', 'customerC', 'issuedOfferOfB', 'purchaseOfB', 'entryOfB', 'saleOfA', 'saleOfB', 'partnerWithCustomers', 'endpointOfPartner', 'endpointOfProgram', 'deliveryOfProgram', 'activityRule', 'unknownCustomer', 'unknownGiftList']) {
      expect({ foreign, answer: at(answer, foreign) }).toEqual({ foreign, answer: null });
    }
    for (const own of ['customerA', 'issuedOfferOfA', 'purchaseOfA', 'entryOfA', 'giftList50', 'giftList200', 'store', 'richStore', 'listing']) {
      expect({ own, found: at(answer, own) !== null }).toEqual({ own, found: true });
    }
    // the other customers get their own, and a's are null to them
    const forB = await batchedAsAlone(everything(), b.token);
    expect(['customerA', 'issuedOfferOfA', 'purchaseOfA', 'entryOfA', 'richStore'].map((k) => at(forB, k))).toEqual([null, null, null, null, null]);
    expect(['customerB', 'issuedOfferOfB', 'purchaseOfB', 'entryOfB'].every((k) => at(forB, k) !== null)).toBe(true);
    await batchedAsAlone(everything(), c.token);
    // each customer's gift list progress and listing affordability in nodes are their own
    expect([a, b].map((_, i) => at([answer, forB][i], 'giftList50'))).toEqual([
      expect.objectContaining({ unlocked: true, claimableCount: 5, pointsToNext: 20 }),
      expect.objectContaining({ unlocked: true, claimableCount: 1, pointsToNext: 50 }),
    ]);
    expect([at(answer, 'listing'), at(forB, 'listing')]).toEqual([
      { id: pricey.id, priceInPoints: 150, affordable: true, pointsMissing: 0, purchasedByMe: 0 },
      { id: pricey.id, priceInPoints: 150, affordable: false, pointsMissing: 100, purchasedByMe: 0 },
    ]);
  });

  it("partners' nodes: their own sales only, a sale's customer only with customers:read; staff see all; each as asked alone", async () => {
    const withAnswer = await batchedAsAlone(everything(), withCustomers.credential);
    const withoutAnswer = await batchedAsAlone(everything(), withoutCustomers.credential);
    expect(Object.keys(ids).filter((k) => at(withAnswer, k) !== null)).toEqual(['saleOfA']);
    expect(Object.keys(ids).filter((k) => at(withoutAnswer, k) !== null)).toEqual(['saleOfB']);
    expect(at(withAnswer, 'saleOfA')).toEqual(expect.objectContaining({ customer: { externalId: a.externalId } }));
    expect(at(withoutAnswer, 'saleOfB')).toEqual(expect.objectContaining({ customer: null }));
    // a partner that may read customers but not sales reaches nothing by global id
    const onlyCustomers = await createPartner(t, ['customers:read']);
    const onlyAnswer = await batchedAsAlone(everything(), onlyCustomers.credential);
    expect(onlyAnswer.every((n) => n === null)).toBe(true);
    const staff = await batchedAsAlone(everything(), t.operatorToken);
    expect(Object.keys(ids).filter((k) => at(staff, k) === null)).toEqual(['unknownCustomer', 'unknownSale', 'unknownGiftList', 'unknownEndpoint']);
    // staff see a's and b's own figures side by side, not the first one's
    expect([at(staff, 'customerA'), at(staff, 'customerB'), at(staff, 'customerC')].map((n) => (n as { tier: unknown }).tier)).toEqual([{ code: 'BRONZE' }, null, null]);
  });

  it('a partner with customers:read reading a sale customer\'s wallet: refused per sale, as alone', async () => {
    const QUERY = `query SaleWallets($ids: [ID!]!) { nodes(ids: $ids) { ... on SalesTransaction { externalId customer { externalId wallet { edges { node { code } } } } } } }`;
    const answer = await t.gql<{ nodes: unknown[] }, { ids: string[] }>(QUERY, { ids: [ids.saleOfA, ids.saleOfB, ids.saleOfA] }, withCustomers.credential);
    const sale = await t.gql<{ transaction: { externalId: string } }, unknown>(`query SaleOfA($id: ID!) { node(id: $id) { ... on SalesTransaction { externalId } } }`, { id: ids.saleOfA }, t.operatorToken);
    const externalId = (sale.data as unknown as { node: { externalId: string } }).node.externalId;
    expect(answer.data?.nodes).toEqual([{ externalId, customer: null }, null, { externalId, customer: null }]);
    expect(errorsOf(answer)).toEqual([0, 2].map((i) => ({ message: 'API keys do not read wallets.', code: 'FORBIDDEN', path: [i, 'customer', 'wallet'] })));
  });

  const PAGES = `externalId
    w1: wallet(first: 1) { edges { cursor node { code status } } pageInfo { hasNextPage hasPreviousPage endCursor } }
    w2: wallet(first: 2, status: [ISSUED]) { edges { cursor node { code status } } pageInfo { hasNextPage endCursor } }
    w3: wallet(first: 1, after: $walletAfter) { edges { cursor node { code } } pageInfo { hasNextPage hasPreviousPage } }
    w4: wallet(first: 3, status: [REDEEMED, ISSUED]) { edges { node { code status } } }
    h1: pointHistory(first: 1) { edges { cursor node { amount kind } } pageInfo { hasNextPage endCursor } }
    h2: pointHistory(first: 4, currency: $currency) { edges { node { amount currency { code } } } pageInfo { hasNextPage } }
    h3: pointHistory(first: 4, currency: $other) { edges { node { amount currency { code } } } }
    h4: pointHistory(first: 1, after: $historyAfter) { edges { node { amount } } pageInfo { hasPreviousPage } }
    s1: eligibleRewardStores(first: 1) { edges { node { id l1: listings(first: 1) { edges { node { id affordable } } pageInfo { hasNextPage } } } } pageInfo { hasNextPage } }
    s2: eligibleRewardStores(first: 5) { edges { node { id l2: ${LISTINGS} } } }
    giftLists { id unlocked claimableCount pointsToNext claimedByMe }
    balances { available } tier { code }`;
  const PAGES_VARS = `$walletAfter: String, $historyAfter: String, $currency: String, $other: String`;

  it('aliases of one field with different arguments over several customers: each alias of each customer its own page, as asked alone', async () => {
    const cursors = ok(
      await t.gql<{ node: { wallet: { pageInfo: { endCursor: string } }; pointHistory: { pageInfo: { endCursor: string } } } }, unknown>(
        `query($id: ID!) { node(id: $id) { ... on Customer { wallet(first: 1) { pageInfo { endCursor } } pointHistory(first: 1) { pageInfo { endCursor } } } } }`,
        { id: a.id },
        t.operatorToken,
      ),
    ).node;
    // A cursor names its customer since break32 (another customer's is refused); these aliases page
    // every customer from one place, so they send the form given out before that, without the
    // customer, which is still taken as it was (src/graphql/connection.ts, ownedPageOf).
    const unowned = (cursor: string) => {
      const [kind, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, number, number];
      return Buffer.from(JSON.stringify([kind, id])).toString('base64url');
    };
    const vars = { walletAfter: unowned(cursors.wallet.pageInfo.endCursor), historyAfter: unowned(cursors.pointHistory.pageInfo.endCursor), currency: CURRENCY, other: OTHER };
    const list = [a.id, b.id, c.id, a.id, b.id];
    for (const credential of [t.operatorToken, a.token]) {
      const batched = ok(await t.gql<{ nodes: unknown[] }, unknown>(`query Pages($ids: [ID!]!, ${PAGES_VARS}) { nodes(ids: $ids) { ... on Customer { ${PAGES} } } }`, { ids: list, ...vars }, credential));
      for (const [i, id] of list.entries()) {
        const alone = ok(await t.gql<{ node: unknown }, unknown>(`query Page($id: ID!, ${PAGES_VARS}) { node(id: $id) { ... on Customer { ${PAGES} } } }`, { id, ...vars }, credential));
        expect({ i, answer: JSON.stringify(batched.nodes[i]) }).toEqual({ i, answer: JSON.stringify(alone.node) });
      }
      if (credential === a.token) {
        expect(batched.nodes.map((n) => n !== null)).toEqual([true, false, false, true, false]);
        // a customer's own `me` reads the same pages as nodes does
        const me = ok(await t.gql<{ me: unknown }, unknown>(`query MyPages(${PAGES_VARS}) { me { ${PAGES} } }`, vars, a.token));
        expect(JSON.stringify(me.me)).toBe(JSON.stringify(batched.nodes[0]));
      }
    }
    // the aliases differ where the customers do: a has two offers (one redeemed by its sale), 7 OTHER points, BRONZE
    const staff = ok(await t.gql<{ nodes: any[] }, unknown>(`query Pages($ids: [ID!]!, ${PAGES_VARS}) { nodes(ids: $ids) { ... on Customer { ${PAGES} } } }`, { ids: list, ...vars }, t.operatorToken));
    expect(staff.nodes.map((n) => [n.w1.edges.length, n.w2.edges.length, n.w4.edges.length, n.h3.edges.length, n.s2.edges.length, n.tier?.code ?? null])).toEqual([
      [1, 1, 2, 1, 2, 'BRONZE'],
      [1, 1, 1, 0, 1, null],
      [0, 0, 0, 0, 1, null],
      [1, 1, 2, 1, 2, 'BRONZE'],
      [1, 1, 1, 0, 1, null],
    ]);
  });

  it('bad input beside good: an unknown id is null, a refused alias is refused on its own path, the others as alone; limits with a clear code', async () => {
    // a refused alias (page size, unknown currency) beside good ones of the same field, per customer
    const QUERY = `query Mixed($ids: [ID!]!) { nodes(ids: $ids) { ... on Customer { externalId
      good: pointHistory(first: 2) { edges { node { amount } } }
      big: giftLists { id unlocked }
    } } }`;
    const list = [ids.unknownCustomer, a.id, ids.unknownSale, b.id];
    const answer = ok(await t.gql<{ nodes: unknown[] }, unknown>(QUERY, { ids: list }, t.operatorToken));
    for (const [i, id] of list.entries()) {
      const alone = ok(await t.gql<{ node: unknown }, unknown>(QUERY.replace('$ids: [ID!]!', '$id: ID!').replace('nodes(ids: $ids)', 'node(id: $id)'), { id }, t.operatorToken));
      expect(JSON.stringify(answer.nodes[i])).toBe(JSON.stringify(alone.node));
    }
    expect(answer.nodes[0]).toBeNull();
    expect(answer.nodes[2]).toBeNull();

    const REFUSED = `query Refused($ids: [ID!]!) { nodes(ids: $ids) { ... on Customer { externalId bad: pointHistory(first: 2, currency: "NOSUCH") { edges { node { amount } } } } } }`;
    const refused = await t.gql<{ nodes: unknown[] }, unknown>(REFUSED, { ids: [a.id, b.id] }, t.operatorToken);
    expect(errorsOf(refused)).toEqual([0, 1].map((i) => ({ message: 'No currency NOSUCH.', code: 'BAD_USER_INPUT', path: [i, 'bad'] })));

    // malformed: the whole call refused, naming the position; too many ids or too large a page: refused with the limit
    const max = t.config.maxPageSize;
    const malformed = await t.gql(NODES, { ids: [a.id, 'not-an-id', b.id] }, t.operatorToken);
    expect(errorsOf(malformed)).toEqual([{ message: 'ids.1 is not a valid global id', code: 'BAD_USER_INPUT', path: [] }]);
    const many = await t.gql(`query Ids($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids: Array(max + 1).fill(a.id) }, t.operatorToken);
    expect(errorsOf(many)).toEqual([{ message: `ids takes at most ${max} ids`, code: 'BAD_USER_INPUT', path: [] }]);
    const page = await t.gql(`query Big($ids: [ID!]!, $first: Int) { nodes(ids: $ids) { ... on Customer { wallet(first: $first) { edges { node { code } } } } } }`, { ids: [a.id, b.id], first: max + 1 }, t.operatorToken);
    expect(errorsOf(page)).toEqual([0, 1].map((i) => ({ message: `first must be between 0 and ${max}`, code: 'BAD_USER_INPUT', path: [i, 'wallet'] })));
    // a heavy selection over many ids meets the cost limit first, with its own code
    expect(errorsOf(await t.gql(NODES, { ids: Array(max + 1).fill(a.id) }, t.operatorToken)).map((e) => e.code)).toEqual(['QUERY_TOO_COMPLEX']);
    // the most ids at once (pages within the cost limit): answered, each customer's own
    const full = ok(
      await t.gql<{ nodes: { externalId: string; wallet: { edges: unknown[] }; pointHistory: { edges: unknown[] } }[] }, unknown>(
        `query Full($ids: [ID!]!, $first: Int) { nodes(ids: $ids) { ... on Customer { externalId wallet(first: $first) { edges { node { code } } } pointHistory(first: $first) { edges { node { amount } } } } } }`,
        { ids: Array.from({ length: max }, (_, i) => [a.id, b.id, c.id][i % 3]), first: 10 },
        t.operatorToken,
      ),
    );
    expect(full.nodes.map((n) => [n.externalId, n.wallet.edges.length])).toEqual(Array.from({ length: max }, (_, i) => [[a, b, c][i % 3].externalId, [2, 1, 0][i % 3]]));
  });
});
