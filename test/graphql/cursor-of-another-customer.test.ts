import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { buyListing, createCustomer, simpleShop } from '../support/program.js';

/**
 * A cursor of one customer's wallet or point history sent as `after` of another customer's (a
 * staff console switching customers, an app switching accounts with a cursor kept per screen),
 * found by break32's hostile pass. trial-fixes-4 made a cursor of another *kind* of list
 * BAD_USER_INPUT because it "silently answered an empty or partial history"
 * (src/graphql/connection.ts); a cursor of another *customer's* list did exactly that: the page of
 * this customer's rows below the other customer's row id, often empty with hasNextPage false, and
 * no error. Cursors of these lists now name their customer (`ownedPageOf`).
 */
describe("a cursor of another customer's list", () => {
  let t: TestGateway;
  let shop: Awaited<ReturnType<typeof simpleShop>>;
  let alice: Awaited<ReturnType<typeof createCustomer>>;
  let bob: Awaited<ReturnType<typeof createCustomer>>;

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    shop = await simpleShop(t, { priceInPoints: 1 });
    alice = await createCustomer(t, shop.currency, 100);
    await buyListing(t, alice.token, shop.listing.id, 3);
    bob = await createCustomer(t, shop.currency, 100);
    await buyListing(t, bob.token, shop.listing.id, 3);
  });
  afterAll(() => t.close());

  const staffList = (field: 'wallet' | 'pointHistory') =>
    `query($x: String!, $after: String) { customer(externalId: $x) { ${field}(first: 2, after: $after) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } } }`;

  it.each(['wallet', 'pointHistory'] as const)("%s: staff paging bob with alice's cursor is refused, not an empty or partial page of bob's", async (field) => {
    const alicePage = ok(await t.gql<any, object>(staffList(field), { x: alice.externalId, after: null }, t.operatorToken)).customer[field];
    expect(alicePage.pageInfo.hasNextPage).toBe(true);
    const bobAll = ok(await t.gql<any, object>(staffList(field).replace('first: 2', 'first: 100'), { x: bob.externalId, after: null }, t.operatorToken)).customer[field].edges.length;
    const res = await t.gql<any, object>(staffList(field), { x: bob.externalId, after: alicePage.pageInfo.endCursor }, t.operatorToken);
    expect({
      bobRows: bobAll,
      codes: res.errors?.map((e) => e.extensions?.code),
      page: res.data?.customer?.[field] ? { rows: res.data.customer[field].edges.length, hasNextPage: res.data.customer[field].pageInfo.hasNextPage } : null,
    }).toEqual({ bobRows: field === 'wallet' ? 3 : 4, codes: ['BAD_USER_INPUT'], page: null });
  });

  it("me.wallet: bob sending alice's cursor is refused", async () => {
    const q = `query($after: String) { me { wallet(first: 2, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } } } }`;
    const aliceCursor = ok(await t.gql<any, object>(q, { after: null }, alice.token)).me.wallet.pageInfo.endCursor;
    const res = await t.gql<any, object>(q, { after: aliceCursor }, bob.token);
    expect({ codes: res.errors?.map((e) => e.extensions?.code), page: res.data?.me?.wallet ?? null }).toEqual({ codes: ['BAD_USER_INPUT'], page: null });
  });

  it.each(['wallet', 'pointHistory'] as const)('%s: a cursor given out before cursors named their customer still pages as it did', async (field) => {
    const first = ok(await t.gql<any, object>(staffList(field), { x: alice.externalId, after: null }, t.operatorToken)).customer[field];
    const [kind, id, owner] = JSON.parse(Buffer.from(first.pageInfo.endCursor, 'base64url').toString('utf8')) as [string, number, number];
    expect([kind, typeof id, typeof owner]).toEqual([field === 'wallet' ? 'IssuedOffer' : 'LedgerEntry', 'number', 'number']);
    const older = Buffer.from(JSON.stringify([kind, id])).toString('base64url');
    const byOlder = ok(await t.gql<any, object>(staffList(field), { x: alice.externalId, after: older }, t.operatorToken)).customer[field];
    const byCurrent = ok(await t.gql<any, object>(staffList(field), { x: alice.externalId, after: first.pageInfo.endCursor }, t.operatorToken)).customer[field];
    expect(byOlder.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual(byCurrent.edges.map((e: { node: { id: string } }) => e.node.id));
    expect(byCurrent.edges.length).toBeGreaterThan(0);
  });
});
