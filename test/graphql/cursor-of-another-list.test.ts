import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCustomer, simpleShop, unique } from '../support/program.js';

/**
 * A cursor is a place in one kind of list (trial-fixes-4). Cursors of lists keyed by one row id
 * all looked alike (`[1]`), so a wallet's cursor sent as `after` of the point history paged the
 * history from ledger entry 1: an empty page with hasNextPage false, a client's "no more points
 * history", with no error. Every list now refuses another kind of list's cursor with the answer
 * to any cursor it never gave out; lists of the same rows in the same order still share theirs.
 */
describe('after is a cursor of this kind of list', () => {
  let t: TestGateway;
  let customer: Awaited<ReturnType<typeof createCustomer>>;

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    const shop = await simpleShop(t, { priceInPoints: 10 });
    customer = await createCustomer(t, shop.currency, 50);
    const bought = await t.gql<any, unknown>(
      `mutation($listingId: ID!, $key: String!) { purchaseOffer(input: { listingId: $listingId, idempotencyKey: $key }) { userErrors { code } } }`,
      { listingId: shop.listing.id, key: unique('buy') },
      customer.token,
    );
    expect(ok(bought).purchaseOffer.userErrors).toEqual([]);
  });
  afterAll(() => t.close());

  /** A list as one caller reads it: its query (with `$after`), the caller, and its connection in the answer. */
  const LISTS: Record<string, [string, () => string, (data: any) => { edges: { cursor: string }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } }]> = {
    eligibleRewardStores: [`query($after: String) { me { eligibleRewardStores(first: 1, after: $after) { edges { cursor } pageInfo { hasNextPage endCursor } } } }`, () => customer.token, (d) => d.me.eligibleRewardStores],
    wallet: [`query($after: String) { me { wallet(first: 1, after: $after) { edges { cursor } pageInfo { hasNextPage endCursor } } } }`, () => customer.token, (d) => d.me.wallet],
    pointHistory: [`query($after: String) { me { pointHistory(first: 1, after: $after) { edges { cursor } pageInfo { hasNextPage endCursor } } } }`, () => customer.token, (d) => d.me.pointHistory],
    rewardStores: [`query($after: String) { rewardStores(first: 1, after: $after) { edges { cursor } pageInfo { hasNextPage endCursor } } }`, () => t.operatorToken, (d) => d.rewardStores],
    offers: [`query($after: String) { offers(first: 1, after: $after) { edges { cursor } pageInfo { hasNextPage endCursor } } }`, () => t.operatorToken, (d) => d.offers],
    auditLog: [`query($after: String) { auditLog(first: 1, after: $after) { edges { cursor } pageInfo { hasNextPage endCursor } } }`, () => t.operatorToken, (d) => d.auditLog],
    // customer-search-40: the one customer, found by the start of its id
    customers: [`query($after: String) { customers(search: "cust-", first: 1, after: $after) { edges { cursor } pageInfo { hasNextPage endCursor } } }`, () => t.operatorToken, (d) => d.customers],
  };
  const read = (list: string, after: string | null) => {
    const [query, token] = LISTS[list];
    return t.gql<any, unknown>(query, { after }, token());
  };

  it('another kind of list\'s cursor is BAD_USER_INPUT "after is not a cursor of this list", never a page of this one', async () => {
    const cursors: Record<string, string> = {};
    for (const list of Object.keys(LISTS)) {
      const page = LISTS[list][2](ok(await read(list, null)));
      expect({ list, items: page.edges.length }).toEqual({ list, items: 1 });
      cursors[list] = page.pageInfo.endCursor!;
      // its own cursor still pages it
      expect(LISTS[list][2](ok(await read(list, cursors[list])))).toBeDefined();
    }
    const answers: string[] = [];
    for (const list of Object.keys(LISTS)) {
      for (const [from, cursor] of Object.entries(cursors)) {
        const sameRows = from === list || [from, list].every((l) => l === 'rewardStores' || l === 'eligibleRewardStores');
        if (sameRows) continue;
        const res = await read(list, cursor);
        answers.push(`${from} cursor on ${list}: ${JSON.stringify(res.errors?.map((e) => [e.extensions?.code, e.extensions?.field, e.message]) ?? res.data)}`);
      }
    }
    expect(answers).toEqual(
      answers.map((a) => `${a.slice(0, a.indexOf(': '))}: ${JSON.stringify([['BAD_USER_INPUT', ['after'], 'after is not a cursor of this list']])}`),
    );
  });

  it('the stores open to a customer and every store page the same rows in the same order: their cursors go both ways', async () => {
    const mine = LISTS.eligibleRewardStores[2](ok(await read('eligibleRewardStores', null))).pageInfo.endCursor!;
    const all = LISTS.rewardStores[2](ok(await read('rewardStores', null))).pageInfo.endCursor!;
    expect(ok(await read('rewardStores', mine))).toBeTruthy();
    expect(ok(await read('eligibleRewardStores', all))).toBeTruthy();
  });
});
