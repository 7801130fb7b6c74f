import { PurchaseOfferDocument, RecordActivityDocument, ReverseTransactionDocument, SetActivityRuleDocument } from '../generated/graphql.js';
import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { addListing, adjust, createCustomer, createOffer, createPartner, createStore, earningProgram, processedSale, unique } from '../support/program.js';

/**
 * till-37: `LedgerEntry.description`, the words a member reads for an entry, made by the API (the
 * member app and the console made them themselves, and an integrator's app showed `reason` raw:
 * `economy:P_…`, newcomer-36). Each source that writes an entry, read back through `pointHistory`
 * as staff read it, with its `reason` (kept as it was: partners may parse the rule keys).
 */
describe('a ledger entry described in words (LedgerEntry.description)', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(() => t.close());

  it('a sale, a purchase, an activity, a staff adjustment and a return, each in words; reason as stored', async () => {
    const { currency, money } = await earningProgram(t, 'DESC');
    const till = await createPartner(t, ['transactions:write', 'transactions:read', 'activities:write']);
    const customer = await createCustomer(t, currency);
    ok(await t.gql(SetActivityRuleDocument, { input: { currency, kind: 'REVIEW', points: 7 } as never }, t.operatorToken));

    const sale = await processedSale(t, till, customer.externalId, money, 20);
    const offer = await createOffer(t, unique('Free muffin'));
    const listing = await addListing(t, (await createStore(t, currency)).id, offer.id, { priceInPoints: 50 });
    ok(await t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: unique('buy') }, customer.token));
    ok(await t.gql(RecordActivityDocument, { customerExternalId: customer.externalId, kind: 'REVIEW', reference: unique('review') }, till.credential));
    await adjust(t, customer.externalId, currency, 5);
    ok(await t.gql(ReverseTransactionDocument, { externalId: sale, reason: 'damaged' }, till.credential));

    const history = ok(
      await t.gql<{ customer: { pointHistory: { edges: { node: { kind: string; source: string; reason: string | null; description: string } }[] } } }, { id: string }>(
        `query($id: String!) { customer(externalId: $id) { pointHistory(first: 20) { edges { node { kind source reason description } } } } }`,
        { id: customer.externalId },
        t.operatorToken,
      ),
    ).customer.pointHistory.edges.map((e) => e.node);
    const adjustReason = history.find((e) => e.source === 'STAFF')!.reason;
    expect(history.map((e) => [e.kind, e.source, e.description]).reverse()).toEqual([
      ['EARN', 'TRANSACTION', 'Points for a purchase'],
      ['SPEND', 'PURCHASE', `Reward bought: ${offer.name}`],
      ['EARN', 'ACTIVITY', 'Points for a review'],
      ['ADJUST', 'STAFF', `Adjusted: ${adjustReason}`],
      ['REVERSAL', 'TRANSACTION', 'Points taken back: the sale was returned (damaged)'],
    ]);
    // the reason stays the stored key or text
    expect(history.find((e) => e.source === 'TRANSACTION' && e.kind === 'EARN')!.reason).toBe(`economy:${currency}`);
  });
});
