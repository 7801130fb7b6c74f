import {
  EligibleRewardStoresDocument,
  PointHistoryDocument,
  ProfileDocument,
  PurchaseOfferDocument,
  RewardStoreOffersDocument,
  UpdateOfferDocument,
  WalletDocument,
} from '../generated/graphql.js';
import { ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { addListing, createCurrency, createCustomer, createOffer, createStore, createTier, storeOf } from '../support/program.js';

/**
 * SPEC §1 steps 1-3 with the contract's own operations: staff set up a program, a customer signs in,
 * reads profile and balances, finds the stores open to them, browses offers, buys one with points
 * and finds it in the wallet.
 */
describe('the customer journey', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(async () => {
    expect(await ledgerViolations(t)).toEqual([]);
    await t.close();
  });

  it('signs in, browses, buys an offer with points and finds it in the wallet', async () => {
    await createCurrency(t, 'STARS', 365);
    await createTier(t, { currency: 'STARS', code: 'GREEN', rank: 1, threshold: 0 });
    await createTier(t, { currency: 'STARS', code: 'GOLD', rank: 2, threshold: 1000 });
    const muffin = await createOffer(t, 'Buy 1 coffee, get a free muffin');
    const everyday = await createStore(t, 'STARS');
    const goldOnly = await createStore(t, 'STARS', { eligibility: { tiers: ['GOLD'] } });
    const students = await createStore(t, 'STARS', { eligibility: { segments: ['students'] } });
    const rich = await createStore(t, 'STARS', { eligibility: { minBalance: 5000 } });
    const listing = await addListing(t, everyday.id, muffin.id, { priceInPoints: 150, stock: 10, perCustomerLimit: 3 });
    await addListing(t, goldOnly.id, muffin.id, { priceInPoints: 50 });
    const customer = await createCustomer(t, 'STARS', 400, { segments: ['students'] });

    // 1. profile and balances
    const profile = ok(await t.gql(ProfileDocument, {}, customer.token)).me!;
    expect(profile).toMatchObject({ externalId: customer.externalId, status: 'ACTIVE', tier: { code: 'GREEN' }, segments: ['students'] });
    expect(profile.balances).toEqual([
      { currency: { code: 'STARS', name: 'STARS' }, available: 400, pending: 0, lifetimeEarned: 400, expiringSoon: [] },
    ]);
    expect(profile.nextTier).toEqual({ code: 'GOLD', name: 'GOLD', pointsNeeded: 600 });

    // 2. the stores open to this customer: not the gold one, not the one needing 5000 points
    const stores = ok(await t.gql(EligibleRewardStoresDocument, { first: 20 }, customer.token)).me!.eligibleRewardStores;
    expect(stores.edges.map((e) => e.node.code).sort()).toEqual([everyday.code, students.code].sort());
    expect(stores.edges.map((e) => e.node.code)).not.toContain(rich.code);

    const page = storeOf(ok(await t.gql(RewardStoreOffersDocument, { storeId: everyday.id }, customer.token)).node);
    expect(page.listings.edges).toHaveLength(1);
    expect(page.listings.edges[0].node).toMatchObject({
      id: listing.id,
      priceInPoints: 150,
      stockRemaining: 10,
      perCustomerLimit: 3,
      purchasedByMe: 0,
      affordable: true,
      pointsMissing: 0,
      offer: { id: muffin.id, version: 1, name: 'Buy 1 coffee, get a free muffin', benefit: { kind: 'FREE_ITEM', freeSku: 'MUFFIN' } },
    });
    // a store the customer is not eligible for is not there for them
    expect(ok(await t.gql(RewardStoreOffersDocument, { storeId: goldOnly.id }, customer.token)).node).toBeNull();

    // 3. buy it: points spent, offer issued and in the wallet at once
    const bought = ok(await t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: 'journey-1' }, customer.token)).purchaseOffer;
    expect(bought.userErrors).toEqual([]);
    expect(bought.balance).toEqual({ currency: { code: 'STARS' }, available: 250 });
    expect(bought.purchase).toMatchObject({ pointsPaid: 150, issuedOffer: { status: 'ISSUED', offer: { id: muffin.id, version: 1 } } });
    const issued = bought.purchase!.issuedOffer;
    expect(issued.code).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    const expiresIn = new Date(issued.expiresAt!).getTime() - Date.now();
    expect(expiresIn).toBeGreaterThan(29 * 86_400_000);
    expect(expiresIn).toBeLessThanOrEqual(30 * 86_400_000);

    const wallet = ok(await t.gql(WalletDocument, {}, customer.token)).me!.wallet;
    expect(wallet.edges.map((e) => e.node)).toEqual([
      { id: issued.id, code: issued.code, status: 'ISSUED', source: 'PURCHASE', expiresAt: issued.expiresAt, offer: { id: muffin.id, name: muffin.name, version: 1 } },
    ]);
    const after = storeOf(ok(await t.gql(RewardStoreOffersDocument, { storeId: everyday.id }, customer.token)).node);
    expect(after.listings.edges[0].node).toMatchObject({ stockRemaining: 9, purchasedByMe: 1, affordable: true });

    const history = ok(await t.gql(PointHistoryDocument, { currency: 'STARS' }, customer.token)).me!.pointHistory;
    expect(history.edges.map((e) => [e.node.kind, e.node.amount, e.node.balanceAfter])).toEqual([
      ['SPEND', -150, 250],
      ['ADJUST', 400, 400],
    ]);
    expect(history.edges[0].node.reason).toBe('Buy 1 coffee, get a free muffin');

    // an edit makes version 2: the listing shows it, the wallet keeps version 1
    const edited = ok(await t.gql(UpdateOfferDocument, { input: { offerId: muffin.id, name: 'Free muffin with any coffee' } }, t.operatorToken)).updateOffer.offer!;
    expect(edited).toEqual({ id: expect.any(String), version: 2, name: 'Free muffin with any coffee' });
    expect(edited.id).not.toBe(muffin.id); // each version is its own object (issue 7)
    const relisted = storeOf(ok(await t.gql(RewardStoreOffersDocument, { storeId: everyday.id }, customer.token)).node);
    expect(relisted.listings.edges[0].node.offer).toMatchObject({ version: 2, name: 'Free muffin with any coffee' });
    const kept = ok(await t.gql(WalletDocument, {}, customer.token)).me!.wallet.edges[0].node.offer;
    expect(kept).toEqual({ id: muffin.id, name: 'Buy 1 coffee, get a free muffin', version: 1 });
  });
});
