import { ProfileDocument, PurchaseOfferDocument, RemoveListingDocument, UpsertCustomerDocument } from '../generated/graphql.js';
import { dataOf, ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { addListing, adjust, createCurrency, createCustomer, createOffer, createStore, createTier, simpleShop, unique } from '../support/program.js';

const DAY = 86_400_000;

/** What a purchase refuses, and how it spends points (SPEC §2, §5.2). */
describe('purchase rules', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterEach(async () => {
    t.clock.reset();
    expect(await ledgerViolations(t)).toEqual([]);
  });
  afterAll(() => t.close());

  const buy = async (token: string, listingId: string, idempotencyKey = unique('key')) =>
    dataOf(await t.gql(PurchaseOfferDocument, { listingId, idempotencyKey }, token)).purchaseOffer;
  const codes = (p: { userErrors: { code: string }[] }) => p.userErrors.map((e) => e.code);

  it('refuses what a customer cannot buy, with the contract codes, and changes nothing', async () => {
    await createCurrency(t, 'RULES');
    await createTier(t, { currency: 'RULES', code: 'SILVER', rank: 5, threshold: 0 });
    await createTier(t, { currency: 'RULES', code: 'PLATINUM', rank: 6, threshold: 10_000 });
    const offer = await createOffer(t);
    const open = await createStore(t, 'RULES');
    const platinum = await createStore(t, 'RULES', { eligibility: { tiers: ['PLATINUM'] } });
    const later = await createStore(t, 'RULES', { startsAt: new Date(Date.now() + 10 * DAY).toISOString() });
    const customer = await createCustomer(t, 'RULES', 500);

    const pricey = await addListing(t, open.id, offer.id, { priceInPoints: 501 });
    expect(codes(await buy(customer.token, pricey.id))).toEqual(['INSUFFICIENT_POINTS']);

    const vip = await addListing(t, platinum.id, offer.id, { priceInPoints: 10 });
    expect(codes(await buy(customer.token, vip.id))).toEqual(['NOT_ELIGIBLE']);

    const notYet = await addListing(t, later.id, offer.id, { priceInPoints: 10 });
    expect(codes(await buy(customer.token, notYet.id))).toEqual(['OFFER_UNAVAILABLE']);

    const hidden = await addListing(t, open.id, offer.id, { priceInPoints: 10, visibleFrom: new Date(Date.now() + DAY).toISOString() });
    expect(codes(await buy(customer.token, hidden.id))).toEqual(['OFFER_UNAVAILABLE']);

    const removed = await addListing(t, open.id, offer.id, { priceInPoints: 10 });
    ok(await t.gql(RemoveListingDocument, { listingId: removed.id }, t.operatorToken));
    expect(codes(await buy(customer.token, removed.id))).toEqual(['OFFER_UNAVAILABLE']);

    const soldOut = await addListing(t, open.id, offer.id, { priceInPoints: 10, stock: 0 });
    expect(codes(await buy(customer.token, soldOut.id))).toEqual(['OUT_OF_STOCK']);

    // once the store opens (time moves), the same listing sells
    t.clock.advance(11 * DAY);
    expect((await buy(customer.token, notYet.id)).purchase).not.toBeNull();

    const [{ count }] = await t.sql<{ count: string }>(
      `select count(*) from offer_purchase p join customer c on c.id = p.customer_id where c.external_id = $1`,
      [customer.externalId],
    );
    expect(Number(count)).toBe(1);
    expect(ok(await t.gql(ProfileDocument, {}, customer.token)).me!.balances[0].available).toBe(490);
  });

  // The one-statement purchase read its refusal's detail (currency, limit) from the listing's row:
  // with no row its detail was empty and parsing it failed, an INTERNAL_SERVER_ERROR.
  it('a listing that does not exist is refused OFFER_UNAVAILABLE, its key left free', async () => {
    const customer = await createCustomer(t, (await simpleShop(t, { priceInPoints: 10 })).currency, 100);
    const key = unique('key');
    const missing = Buffer.from('Listing:987654321').toString('base64url');
    expect(codes(await buy(customer.token, missing, key))).toEqual(['OFFER_UNAVAILABLE']);
    expect(await t.sql(`select 1 from idempotency_record where key = $1`, [key])).toEqual([]);
  });

  it('a suspended customer cannot buy', async () => {
    const shop = await simpleShop(t, { priceInPoints: 10 });
    const customer = await createCustomer(t, shop.currency, 100);
    ok(await t.gql(UpsertCustomerDocument, { input: { externalId: customer.externalId, status: 'SUSPENDED' } }, t.operatorToken));
    expect(codes(await buy(customer.token, shop.listing.id))).toEqual(['NOT_ELIGIBLE']);
  });

  it('spends the points that expire first, and shows what expires soon', async () => {
    await createCurrency(t, 'FRESH', 40);
    const offer = await createOffer(t);
    const store = await createStore(t, 'FRESH');
    const listing = await addListing(t, store.id, offer.id, { priceInPoints: 70 });
    const customer = await createCustomer(t, 'FRESH');
    await adjust(t, customer.externalId, 'FRESH', 50); // expires in 40 days
    t.clock.advance(20 * DAY);
    await adjust(t, customer.externalId, 'FRESH', 60); // expires in 60 days from the start

    const profile = ok(await t.gql(ProfileDocument, {}, customer.token)).me!;
    // within the next 30 days only the first credit expires
    expect(profile.balances[0].expiringSoon).toEqual([{ amount: 50, expiresAt: expect.any(String) }]);

    expect((await buy(customer.token, listing.id)).purchase).not.toBeNull();
    const credits = await t.sql<{ amount: number; remaining: number }>(
      `select e.amount, e.remaining from ledger_entry e join customer c on c.id = e.customer_id
        where c.external_id = $1 and e.amount > 0 order by e.id`,
      [customer.externalId],
    );
    expect(credits.map((c) => [Number(c.amount), Number(c.remaining)])).toEqual([
      [50, 0],
      [60, 40],
    ]);
    const after = ok(await t.gql(ProfileDocument, {}, customer.token)).me!;
    expect(after.balances[0]).toMatchObject({ available: 40, lifetimeEarned: 110, expiringSoon: [] });
  });

  it('a tier upgrade from qualifying points opens a tier-only store', async () => {
    await createCurrency(t, 'CLIMB');
    await createTier(t, { currency: 'CLIMB', code: 'BRONZE', rank: 10, threshold: 1 }); // not 0: SILVER's threshold-0 tier ranks lowest (break36b)
    await createTier(t, { currency: 'CLIMB', code: 'SAPPHIRE', rank: 11, threshold: 300 });
    const offer = await createOffer(t);
    const store = await createStore(t, 'CLIMB', { eligibility: { tiers: ['SAPPHIRE'] } });
    const listing = await addListing(t, store.id, offer.id, { priceInPoints: 50 });
    const customer = await createCustomer(t, 'CLIMB', 200);
    let profile = ok(await t.gql(ProfileDocument, {}, customer.token)).me!;
    expect(profile.tier?.code).toBe('BRONZE');
    expect(profile.nextTier).toEqual({ code: 'SAPPHIRE', name: 'SAPPHIRE', pointsNeeded: 100 });
    expect(codes(await buy(customer.token, listing.id))).toEqual(['NOT_ELIGIBLE']);

    await adjust(t, customer.externalId, 'CLIMB', 100);
    profile = ok(await t.gql(ProfileDocument, {}, customer.token)).me!;
    expect(profile.tier?.code).toBe('SAPPHIRE');
    expect(profile.nextTier).toBeNull();
    expect((await buy(customer.token, listing.id)).purchase).not.toBeNull();
    // spending does not lower qualifying points
    expect(ok(await t.gql(ProfileDocument, {}, customer.token)).me!.tier?.code).toBe('SAPPHIRE');
  });

  it("a repeat answers the same purchase and the balance right after it, with its offer as it stands now (expired since)", async () => {
    const shop = await simpleShop(t, { priceInPoints: 30 });
    const customer = await createCustomer(t, shop.currency, 100);
    const key = unique('replay');
    const first = await buy(customer.token, shop.listing.id, key);
    expect(first.userErrors).toEqual([]);
    expect(first.purchase!.issuedOffer.status).toBe('ISSUED');
    expect(first.balance!.available).toBe(70);
    // later: more points, and the offer's validity over
    await adjust(t, customer.externalId, shop.currency, 5);
    t.clock.advance(Date.parse(first.purchase!.issuedOffer.expiresAt as string) + DAY - t.clock.now().getTime());
    const again = await buy(customer.token, shop.listing.id, key);
    expect(again.userErrors).toEqual([]);
    // the same objects (the offer as it stands now), the balance as it was right after the purchase
    expect(again.purchase).toEqual({ ...first.purchase, issuedOffer: { ...first.purchase!.issuedOffer, status: 'EXPIRED' } });
    expect(again.balance).toEqual(first.balance);
  });
});
