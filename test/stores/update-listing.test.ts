import { decodeGlobalId } from '../../src/graphql/ids.js';
import { PurchaseOfferDocument } from '../generated/graphql.js';
import { dataOf, ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCustomer, simpleShop, unique } from '../support/program.js';

const UPDATE = `mutation($input: UpdateListingInput!) {
  updateListing(input: $input) {
    listing { id priceInPoints stockTotal stockRemaining perCustomerLimit sortOrder version updatedAt visibleFrom visibleUntil }
    userErrors { code field message }
  }
}`;
type Edited = {
  updateListing: {
    listing: {
      id: string;
      priceInPoints: number;
      stockTotal: number | null;
      stockRemaining: number | null;
      perCustomerLimit: number | null;
      sortOrder: number;
      version: number;
      updatedAt: string | null;
      visibleFrom: string | null;
      visibleUntil: string | null;
    } | null;
    userErrors: { code: string; field: string[] | null; message: string }[];
  };
};

/**
 * listing-edit-39: a listing could only be added or removed. A restock, a new price or a new limit
 * meant removing it and listing the offer again, and the new listing's per-customer counts started
 * at 0: a member who had bought their one cup could buy another. updateListing edits it in place,
 * under the row lock a purchase of a stocked listing takes, so restocks and sales never oversell.
 */
describe('an operator edits a listing', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterEach(async () => {
    t.clock.reset();
    expect(await ledgerViolations(t)).toEqual([]);
  });
  afterAll(() => t.close());

  const edit = async (input: Record<string, unknown>, token = t.operatorToken) => dataOf(await t.gql<Edited, object>(UPDATE, { input }, token)).updateListing;
  const buy = async (token: string, listingId: string) => dataOf(await t.gql(PurchaseOfferDocument, { listingId, idempotencyKey: unique('buy') }, token)).purchaseOffer;
  const codes = (answer: { userErrors: { code: string }[] }) => answer.userErrors.map((e) => e.code);
  const dbId = (listingId: string) => String(decodeGlobalId(listingId)!.id);
  const sold = async (listingId: string) =>
    (await t.sql<{ n: number; points: number[] }>(`select count(*)::int as n, array_agg(points_paid::int order by id) as points from offer_purchase where listing_id = $1`, [dbId(listingId)]))[0];

  it('a restock moves the stock left by as much as the total; below what was sold is refused and writes nothing; the audit log has before and after', async () => {
    const shop = await simpleShop(t, { stock: 5, priceInPoints: 10 });
    const member = await createCustomer(t, shop.currency, 100);
    for (let i = 0; i < 2; i++) expect(codes(await buy(member.token, shop.listing.id))).toEqual([]);

    const restocked = await edit({ listingId: shop.listing.id, stock: 10, expectedVersion: 1 });
    expect(restocked).toMatchObject({ userErrors: [], listing: { stockTotal: 10, stockRemaining: 8, version: 2 } });
    expect(restocked.listing!.updatedAt).not.toBeNull();

    const below = await edit({ listingId: shop.listing.id, stock: 1 });
    expect(below.userErrors).toEqual([
      { code: 'INVALID', field: ['input', 'stock'], message: '2 were sold already: the stock (the total, those sold included) cannot be less than 2.' },
    ]);
    const down = await edit({ listingId: shop.listing.id, stock: 2 });
    expect(down.listing).toMatchObject({ stockTotal: 2, stockRemaining: 0, version: 3 });
    expect(codes(await buy(member.token, shop.listing.id))).toEqual(['OUT_OF_STOCK']);

    const audit = await t.sql<{ details: unknown }>(`select details from audit_entry where target = 'Listing:' || $1 and action = 'updateListing' order by id`, [dbId(shop.listing.id)]);
    expect(audit.map((a) => a.details)).toEqual([
      { version: 2, expectedVersion: 1, before: { stockTotal: 5, stockRemaining: 3 }, after: { stockTotal: 10, stockRemaining: 8 } },
      { version: 3, before: { stockTotal: 10, stockRemaining: 8 }, after: { stockTotal: 2, stockRemaining: 0 } },
    ]);
  });

  it('restocks and cuts sent while members buy at once never oversell: what was sold is exactly the total less what is left', async () => {
    const shop = await simpleShop(t, { stock: 3, priceInPoints: 10 });
    const members = await Promise.all(Array.from({ length: 8 }, () => createCustomer(t, shop.currency, 100)));
    const answers = await Promise.all([
      ...members.map((m) => buy(m.token, shop.listing.id)),
      edit({ listingId: shop.listing.id, stock: 6 }),
      edit({ listingId: shop.listing.id, stock: 5 }),
    ]);
    const purchases = answers.slice(0, members.length) as Awaited<ReturnType<typeof buy>>[];
    const bought = purchases.filter((p) => !p.userErrors.length).length;
    expect(purchases.every((p) => p.userErrors.length === 0 || p.userErrors[0].code === 'OUT_OF_STOCK')).toBe(true);
    const [row] = await t.sql<{ stock_total: number; stock_remaining: number }>(`select stock_total, stock_remaining from listing where id = $1`, [dbId(shop.listing.id)]);
    expect((await sold(shop.listing.id)).n).toBe(bought);
    expect(row.stock_total - row.stock_remaining).toBe(bought);
    expect(row.stock_remaining).toBeGreaterThanOrEqual(0);
  });

  it('a new price is what the next purchase pays; those before keep what they paid', async () => {
    const shop = await simpleShop(t, { priceInPoints: 10 });
    const member = await createCustomer(t, shop.currency, 100);
    expect(codes(await buy(member.token, shop.listing.id))).toEqual([]);
    expect((await edit({ listingId: shop.listing.id, priceInPoints: 25 })).listing).toMatchObject({ priceInPoints: 25, version: 2 });
    const second = await buy(member.token, shop.listing.id);
    expect({ paid: second.purchase!.pointsPaid, available: second.balance!.available }).toEqual({ paid: 25, available: 100 - 10 - 25 });
    expect((await sold(shop.listing.id)).points).toEqual([10, 25]);
  });

  it("a per-customer limit lowered counts what each member bought already", async () => {
    const shop = await simpleShop(t, { priceInPoints: 10, perCustomerLimit: 3 });
    const [early, late] = await Promise.all([createCustomer(t, shop.currency, 100), createCustomer(t, shop.currency, 100)]);
    for (let i = 0; i < 2; i++) expect(codes(await buy(early.token, shop.listing.id))).toEqual([]);
    expect((await edit({ listingId: shop.listing.id, perCustomerLimit: 1 })).listing!.perCustomerLimit).toBe(1);
    expect(codes(await buy(early.token, shop.listing.id))).toEqual(['LIMIT_REACHED']);
    expect(codes(await buy(late.token, shop.listing.id))).toEqual([]);
    expect(codes(await buy(late.token, shop.listing.id))).toEqual(['LIMIT_REACHED']);
    // null lifts it
    expect((await edit({ listingId: shop.listing.id, perCustomerLimit: null })).listing!.perCustomerLimit).toBeNull();
    expect(codes(await buy(early.token, shop.listing.id))).toEqual([]);
  });

  it('unlimited stays unlimited and a stock stays a stock; a removed listing, an unknown one and an empty window are refused', async () => {
    const unlimited = await simpleShop(t);
    expect((await edit({ listingId: unlimited.listing.id, stock: 10 })).userErrors).toEqual([expect.objectContaining({ code: 'INVALID', field: ['input', 'stock'] })]);
    expect((await edit({ listingId: unlimited.listing.id, stock: null, sortOrder: 4 })).listing).toMatchObject({ stockTotal: null, stockRemaining: null, sortOrder: 4 });
    const stocked = await simpleShop(t, { stock: 4 });
    expect((await edit({ listingId: stocked.listing.id, stock: null })).userErrors).toEqual([expect.objectContaining({ code: 'INVALID', field: ['input', 'stock'] })]);
    const from = t.clock.now();
    const empty = await edit({ listingId: stocked.listing.id, visibleFrom: from.toISOString(), visibleUntil: from.toISOString() });
    expect(empty.userErrors).toEqual([expect.objectContaining({ code: 'INVALID', field: ['input', 'visibleUntil'] })]);
    ok(await t.gql('mutation($id: ID!) { removeListing(input: { listingId: $id }) { userErrors { code } } }', { id: stocked.listing.id }, t.operatorToken));
    expect((await edit({ listingId: stocked.listing.id, priceInPoints: 5 })).userErrors).toEqual([
      { code: 'INVALID', field: ['input', 'listingId'], message: 'This listing was removed: list the offer again to sell it.' },
    ]);
    const [{ version }] = await t.sql<{ version: number }>(`select version from listing where id = $1`, [dbId(stocked.listing.id)]);
    expect(version).toBe(1);
  });

  it('an edit from a stale read is VERSION_CONFLICT; one that changes nothing keeps the version; a resend under its key answers without writing again', async () => {
    const shop = await simpleShop(t, { priceInPoints: 10 });
    const idempotencyKey = unique('edit');
    const first = await edit({ listingId: shop.listing.id, priceInPoints: 20, expectedVersion: 1, idempotencyKey });
    expect(first.listing!.version).toBe(2);
    expect(codes(await edit({ listingId: shop.listing.id, priceInPoints: 30, expectedVersion: 1 }))).toEqual(['VERSION_CONFLICT']);
    const again = await edit({ listingId: shop.listing.id, priceInPoints: 20, expectedVersion: 1, idempotencyKey });
    expect(again).toMatchObject({ userErrors: [], listing: { priceInPoints: 20, version: 2 } });
    const same = await edit({ listingId: shop.listing.id, priceInPoints: 20 });
    expect(same).toMatchObject({ userErrors: [], listing: { version: 2 } });
    expect(codes(await edit({ listingId: shop.listing.id, priceInPoints: 21, expectedVersion: 1, idempotencyKey }))).toEqual(['IDEMPOTENCY_KEY_REUSED']);
    const member = await createCustomer(t, shop.currency, 10);
    const refused = await t.gql<Edited, object>(UPDATE, { input: { listingId: shop.listing.id, priceInPoints: 1 } }, member.token);
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('a purchase sent with the price its member was shown is refused PRICE_CHANGED once the price moved, also for a member with no account in its currency yet, and spends nothing', async () => {
    const shop = await simpleShop(t, { priceInPoints: 10 });
    const member = await createCustomer(t, shop.currency, 100);
    const buyAt = async (token: string, expectedPriceInPoints: number) =>
      dataOf(
        await t.gql<{ purchaseOffer: { purchase: { pointsPaid: number } | null; userErrors: { code: string; field: string[]; message: string }[] } }, object>(
          'mutation($input: PurchaseOfferInput!) { purchaseOffer(input: $input) { purchase { pointsPaid } userErrors { code field message } } }',
          { input: { listingId: shop.listing.id, idempotencyKey: unique('buy'), expectedPriceInPoints } },
          token,
        ),
      ).purchaseOffer;
    expect((await buyAt(member.token, 10)).purchase).toEqual({ pointsPaid: 10 });
    await edit({ listingId: shop.listing.id, priceInPoints: 40 });
    const refused = await buyAt(member.token, 10);
    expect(refused).toEqual({
      purchase: null,
      userErrors: [{ code: 'PRICE_CHANGED', field: ['input', 'expectedPriceInPoints'], message: `The price of this offer changed: it is now 40 ${shop.currency}. Nothing was spent; buy it again at the new price if you still want it.` }],
    });
    // a member with no account in the currency yet (the price is checked before the account is looked for)
    const newcomer = await createCustomer(t, shop.currency);
    expect((await buyAt(newcomer.token, 10)).userErrors.map((e) => e.code)).toEqual(['PRICE_CHANGED']);
    expect((await sold(shop.listing.id)).points).toEqual([10]);
    expect((await buyAt(member.token, 40)).purchase).toEqual({ pointsPaid: 40 });
    const zero = await t.gql('mutation($input: PurchaseOfferInput!) { purchaseOffer(input: $input) { userErrors { code } } }', { input: { listingId: shop.listing.id, idempotencyKey: unique('buy'), expectedPriceInPoints: 0 } }, member.token);
    expect(zero.errors?.map((e) => ({ code: e.extensions?.code, field: e.extensions?.field, message: e.message }))).toEqual([
      { code: 'BAD_USER_INPUT', field: ['input', 'expectedPriceInPoints'], message: expect.stringMatching(/^expectedPriceInPoints must be a whole number of points from 1 to \d+; 0 is not one/) },
    ]);
  });
});
