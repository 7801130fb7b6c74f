import { dataOf, ledgerViolations, startTestGateway, type TestGateway } from '../support/gateway.js';
import { addListing, adjust, createCustomer, createOffer, createStore, earningProgram, unique } from '../support/program.js';

const DAY = 86_400_000;
const BUY = `mutation($listingId: ID!, $idempotencyKey: String!) {
  purchaseOffer(input: { listingId: $listingId, idempotencyKey: $idempotencyKey }) {
    balance { available pending lifetimeEarned expiringSoon { amount expiresAt } }
    userErrors { code }
  }
}`;

/**
 * Held (break38 moments): six sends of one purchase key at once, racing a staff credit, a staff
 * debit and another purchase of the same member (two expiring lots, so the debits' order shows),
 * answer one and the same balance, expiringSoon included, whichever of them ran the purchase (the
 * one statement or the transaction) and whichever waited on its key.
 */
describe('held: one purchase key sent six times at once beside other writers answers one balance', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(async () => {
    expect(await ledgerViolations(t)).toEqual([]);
    await t.close();
  });

  it('five rounds', async () => {
    t.clock.freeze();
    const { currency } = await earningProgram(t, 'K', { expiryDays: 20 });
    const customer = await createCustomer(t, currency, 100);
    t.clock.advance(DAY);
    await adjust(t, customer.externalId, currency, 100);
    const listing = await addListing(t, (await createStore(t, currency)).id, (await createOffer(t)).id, { priceInPoints: 30 });
    for (let round = 0; round < 5; round++) {
      const key = unique('key');
      const sent = await Promise.all([
        ...Array.from({ length: 6 }, () => t.gql(BUY, { listingId: listing.id, idempotencyKey: key }, customer.token).then((r) => JSON.stringify(dataOf(r)))),
        adjust(t, customer.externalId, currency, 50).then(() => null),
        adjust(t, customer.externalId, currency, -20).then(() => null),
        t.gql(BUY, { listingId: listing.id, idempotencyKey: unique('other') }, customer.token).then(() => null),
      ]);
      const answers = new Set(sent.filter((a) => a !== null));
      expect([...answers]).toHaveLength(1);
      expect(JSON.parse([...answers][0]!).purchaseOffer.userErrors).toEqual([]);
    }
  });
});
