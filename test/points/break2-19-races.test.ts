import { AdjustPointsDocument, ClaimGiftDocument, CreateGiftListDocument, CreateOfferDocument, PurchaseOfferDocument } from '../generated/graphql.js';
import { dataOf, ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { brokenInvariants } from '../support/invariants.js';
import { addListing, createCustomer, createStore, earningProgram, unique } from '../support/program.js';
import { headOf, recordStatements } from '../support/statements.js';

const MINUTE = 60_000;

/**
 * break2-19: hostile-19's money paths raced for real. Purchases, gift claims and staff adjustments
 * on one account in parallel while the clock moves past the offer's end; then what the customer
 * and the ledger say.
 */
describe('purchases, gift claims and adjustments racing an offer\'s end (break2-19)', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ EVENT_FANOUT: 'off' }, { jobs: 'manual' });
  });
  afterEach(async () => {
    t.clock.reset();
    expect(await ledgerViolations(t)).toEqual([]);
    expect(await brokenInvariants(t)).toEqual([]);
  });
  afterAll(() => t.close());

  it.each([1, 2, 3])('round %i: no offer sold or claimed already ended, every spend has its offer, no point lost', async (round) => {
    const { currency } = await earningProgram(t, `R${round}`);
    t.clock.freeze();
    const validUntil = new Date(t.clock.now().getTime() + 30 * MINUTE).toISOString();
    const offer = ok(await t.gql(CreateOfferDocument, { input: { name: unique('ending'), benefit: { kind: 'PERCENT_OFF', percentOff: 10 }, validDays: 30, validUntil } }, t.operatorToken))
      .createOffer.offer!;
    const list = ok(await t.gql(CreateGiftListDocument, { input: { currency, name: unique('list'), offerIds: [offer.id], threshold: 3 } }, t.operatorToken)).createGiftList.giftList!;
    const store = await createStore(t, currency);
    const listing = await addListing(t, store.id, offer.id, { priceInPoints: 3 });
    const customer = await createCustomer(t, currency, 40);
    const buy = () => t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: unique('buy') }, customer.token);
    const claim = () => t.gql(ClaimGiftDocument, { giftListId: list.id, optionId: offer.id, idempotencyKey: unique('claim') }, customer.token);
    const staff = (amount: number) =>
      t.gql(AdjustPointsDocument, { input: { customerExternalId: customer.externalId, currency, amount, reason: 'race', idempotencyKey: unique('adj') } }, t.operatorToken);
    const requests = [buy(), claim(), staff(1), buy(), claim(), staff(-1), buy(), claim(), staff(2)];
    await new Promise((resolve) => setTimeout(resolve, round * 5));
    t.clock.advance(HOUR_OR(round));
    requests.push(buy(), claim(), staff(1));
    const answers = await Promise.all(requests);
    for (const a of answers) expect(a.errors ?? []).toEqual([]);
    const codes = answers.flatMap((a) => Object.values(dataOf(a as never) as Record<string, { userErrors: { code: string }[] }>)[0].userErrors.map((e) => e.code));
    expect(codes.filter((c) => c !== 'OFFER_UNAVAILABLE')).toEqual([]);
    // every offer issued was live at its own date, and each was paid for by one spend of 3
    const rows = await t.sql<{ born_expired: number; issued: number; spends: number; spent: number }>(
      `select (select count(*)::int from issued_offer io where io.customer_id = c.id and io.expires_at <= io.created_at) as born_expired,
              (select count(*)::int from issued_offer io where io.customer_id = c.id) as issued,
              (select count(*)::int from ledger_entry e where e.customer_id = c.id and e.kind = 'SPEND') as spends,
              (select coalesce(-sum(e.amount), 0)::int from ledger_entry e where e.customer_id = c.id and e.kind = 'SPEND') as spent
         from customer c where c.external_id = $1`,
      [customer.externalId],
    );
    expect(rows[0]).toEqual({ born_expired: 0, issued: rows[0].spends, spends: rows[0].spends, spent: 3 * rows[0].spends });
  });

  it('the common purchase after an adjustment is still one statement', async () => {
    const { currency } = await earningProgram(t, 'RS');
    const offer = ok(await t.gql(CreateOfferDocument, { input: { name: unique('plain'), benefit: { kind: 'PERCENT_OFF', percentOff: 10 }, validDays: 30 } }, t.operatorToken)).createOffer
      .offer!;
    const store = await createStore(t, currency);
    const listing = await addListing(t, store.id, offer.id, { priceInPoints: 3 });
    const customer = await createCustomer(t, currency, 40);
    const recorder = recordStatements();
    try {
      const counted = async () => {
        recorder.take();
        const payload = dataOf(await t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: unique('buy') }, customer.token)).purchaseOffer;
        expect(payload.userErrors).toEqual([]);
        return recorder
          .take()
          .filter((s) => !s.text.includes('rate_limit_bucket') && !/from customer c where c\.external_id = \$1$/.test(s.text.trim()))
          .map((s) => headOf(s.text, 3));
      };
      await counted(); // warm
      await t.gql(AdjustPointsDocument, { input: { customerExternalId: customer.externalId, currency, amount: 5, reason: 'earned', idempotencyKey: unique('adj') } }, t.operatorToken);
      expect(await counted()).toEqual(['with h as']);
      t.clock.freeze();
      await t.gql(AdjustPointsDocument, { input: { customerExternalId: customer.externalId, currency, amount: 5, reason: 'earned', idempotencyKey: unique('adj') } }, t.operatorToken);
      expect(await counted()).toEqual(['with h as']);
    } finally {
      recorder.stop();
    }
  });
});

/** How far the clock moves in each round: past the offer's end (30 minutes) by more each time. */
function HOUR_OR(round: number) {
  return (30 + 15 * round) * MINUTE;
}
