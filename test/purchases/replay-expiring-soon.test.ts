import { dataOf, ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { addListing, adjust, createCustomer, createOffer, createStore, earningProgram, unique } from '../support/program.js';

const DAY = 86_400_000;

/** A purchase's answer with the whole balance, expiringSoon included (no contract operation selects it; an integrator's may). */
const BUY = `mutation($listingId: ID!, $idempotencyKey: String!) {
  purchaseOffer(input: { listingId: $listingId, idempotencyKey: $idempotencyKey }) {
    purchase { id pointsPaid }
    balance { available pending lifetimeEarned expiringSoon { amount expiresAt } }
    userErrors { code }
  }
}`;
const CLAIM = `mutation($giftListId: ID!, $optionId: ID!, $idempotencyKey: String!) {
  claimGift(input: { giftListId: $giftListId, optionId: $optionId, idempotencyKey: $idempotencyKey }) {
    issuedOffer { id }
    balance { available pending lifetimeEarned expiringSoon { amount expiresAt } }
    userErrors { code }
  }
}`;
type Balance = { available: number; pending: number; lifetimeEarned: number; expiringSoon: { amount: number; expiresAt: string }[] };

/**
 * "Repeats with the same key return the first result": the balance a purchase or gift claim
 * answers is the one right after it, every field of it. `expiringSoon` was read live at the
 * repeat while the amounts were the first answer's (break37 money), so one balance said 70
 * available with 270 expiring, or 70 available with nothing expiring.
 */
describe('a repeated purchase or gift claim answers expiringSoon as of the first answer', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterEach(async () => {
    t.clock.reset();
    expect(await ledgerViolations(t)).toEqual([]);
  });
  afterAll(() => t.close());

  /** A member with 120 points expiring in 20 days (within EXPIRING_SOON_DAYS' 30). */
  async function member() {
    t.clock.freeze();
    const { currency } = await earningProgram(t, 'X', { expiryDays: 20 });
    const customer = await createCustomer(t, currency, 120);
    return { currency, customer, expiresAt: new Date(t.clock.now().getTime() + 20 * DAY).toISOString() };
  }

  it('a purchase repeated after more points were credited, and again after its points expired', async () => {
    const { currency, customer, expiresAt } = await member();
    const store = await createStore(t, currency);
    const listing = await addListing(t, store.id, (await createOffer(t)).id, { priceInPoints: 50 });
    const key = unique('buy');
    const first = (dataOf(await t.gql(BUY, { listingId: listing.id, idempotencyKey: key }, customer.token)) as { purchaseOffer: { balance: Balance } }).purchaseOffer;
    expect(first.balance).toEqual({ available: 70, pending: 0, lifetimeEarned: 120, expiringSoon: [{ amount: 70, expiresAt }] });

    t.clock.advance(DAY);
    await adjust(t, customer.externalId, currency, 200);
    expect(ok(await t.gql(BUY, { listingId: listing.id, idempotencyKey: key }, customer.token))).toEqual({ purchaseOffer: first });

    t.clock.advance(25 * DAY); // past the 70's expiry: the member's balance now has no point of it
    expect(ok(await t.gql(BUY, { listingId: listing.id, idempotencyKey: key }, customer.token))).toEqual({ purchaseOffer: first });
  });

  it('a gift claim repeated after more points were credited and some spent', async () => {
    const { currency, customer, expiresAt } = await member();
    const offer = await createOffer(t);
    const list = ok(
      await t.gql(
        `mutation($input: CreateGiftListInput!) { createGiftList(input: $input) { giftList { id } userErrors { code } } }`,
        { input: { currency, name: unique('list'), threshold: 30, offerIds: [offer.id] } },
        t.operatorToken,
      ),
    ) as { createGiftList: { giftList: { id: string } } };
    const ask = { giftListId: list.createGiftList.giftList.id, optionId: offer.id, idempotencyKey: unique('gift') };
    const first = (dataOf(await t.gql(CLAIM, ask, customer.token)) as { claimGift: { balance: Balance } }).claimGift;
    expect(first.balance).toEqual({ available: 90, pending: 0, lifetimeEarned: 120, expiringSoon: [{ amount: 90, expiresAt }] });

    t.clock.advance(DAY);
    await adjust(t, customer.externalId, currency, 200);
    await adjust(t, customer.externalId, currency, -60); // takes from the oldest-expiring first: the 90
    expect(ok(await t.gql(CLAIM, ask, customer.token))).toEqual({ claimGift: first });

    // An answer stored before answers named their ledger entry is answered the same.
    await t.sql(`update idempotency_record set result = result #- '{balance,afterEntryId}' where key = $1`, [ask.idempotencyKey]);
    expect((await t.sql<{ result: { balance: object } }>(`select result from idempotency_record where key = $1`, [ask.idempotencyKey]))[0].result.balance).not.toHaveProperty('afterEntryId');
    expect(ok(await t.gql(CLAIM, ask, customer.token))).toEqual({ claimGift: first });
  });

  it('a purchase past the key record\'s retention answers the balance as of now, expiringSoon with it', async () => {
    const { currency, customer } = await member();
    const store = await createStore(t, currency);
    const listing = await addListing(t, store.id, (await createOffer(t)).id, { priceInPoints: 50 });
    const key = unique('buy');
    ok(await t.gql(BUY, { listingId: listing.id, idempotencyKey: key }, customer.token));
    t.clock.advance(DAY);
    await adjust(t, customer.externalId, currency, 200);
    await t.sql(`delete from idempotency_record where key = $1`, [key]);
    const later = (dataOf(await t.gql(BUY, { listingId: listing.id, idempotencyKey: key }, customer.token)) as { purchaseOffer: { balance: Balance } }).purchaseOffer;
    expect(later.balance).toEqual({
      available: 270,
      pending: 0,
      lifetimeEarned: 320,
      expiringSoon: [
        { amount: 70, expiresAt: new Date(t.clock.now().getTime() + 19 * DAY).toISOString() },
        { amount: 200, expiresAt: new Date(t.clock.now().getTime() + 20 * DAY).toISOString() },
      ],
    });
  });
});
