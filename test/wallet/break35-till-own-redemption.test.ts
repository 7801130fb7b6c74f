import { LockOfferDocument, RedeemOfferDocument } from '../generated/graphql.js';
import { dataOf, ok } from '../support/gateway.js';
import { brokenInvariants } from '../support/invariants.js';
import { boughtOffer as buyShopOffer, unique } from '../support/program.js';
import { SALE_WITH_NOTICE, tillAtItsClock, type SaleWithNotice } from '../support/till.js';

/**
 * break35 (till): a code the till's own partner redeemed, named again by that till. RedeemOffer and
 * LockOffer tell the redeeming partner so ("Your till already redeemed this offer code at <when>,
 * for the sale with transactionExternalId "<T>"."; newcomer-12, newcomer-19, decisions: "Only the
 * partner that redeemed it is told"), but SubmitTransaction, the third operation a till names a
 * code in, answers the unknown-code sentence ("it is unknown, used, expired or voided, or not the
 * customer's to use. Check it was typed as the member's wallet shows it.") — also for the sale the
 * till redeemed the code for (RedeemOffer with transactionExternalId = this sale's externalId, the
 * contract's "redeemed immediately" at the till, then the sale sent naming the offers it applied).
 * The whole sale is refused, nothing stored, and the cashier is sent to re-type a code that was
 * typed right.
 */
describe('break35: a till naming in a sale a code its own partner redeemed', () => {
  const at = tillAtItsClock();
  afterEach(async () => expect(await brokenInvariants(at.t)).toEqual([]));

  const saleOf = (o: Awaited<ReturnType<typeof buyShopOffer>>, externalId: string) => ({
    externalId,
    customerExternalId: o.customer.externalId,
    occurredAt: at.t.clock.now().toISOString(),
    currency: 'EUR',
    lines: [{ sku: 'LATTE', category: 'COFFEE', quantity: 1, unitPrice: '3.80' }, { sku: 'MUFFIN', quantity: 1, unitPrice: '2.50' }],
    offerCodes: [o.code],
  });

  it('redeemed for this very sale (RedeemOffer with its transactionExternalId), then the sale sent naming it: the sale is taken with that offer applied, once', async () => {
    const o = await buyShopOffer(at.t, at.shop);
    const externalId = unique('sale');
    const redeemed = ok(await at.t.gql(RedeemOfferDocument, { code: o.code, lockId: null, transactionExternalId: externalId }, at.till)).redeemOffer;
    expect(redeemed.userErrors).toEqual([]);
    // What the same till is told by the two other operations that name the code.
    const again = dataOf(await at.t.gql(RedeemOfferDocument, { code: o.code, lockId: null, transactionExternalId: unique('other') }, at.till)).redeemOffer;
    expect(again.userErrors[0].message).toMatch(/^Your till already redeemed this offer code at /);
    const lock = dataOf(await at.t.gql(LockOfferDocument, { code: o.code, lockId: unique('basket') }, at.till)).lockOffer;
    expect(lock.userErrors[0].message).toMatch(/^Your till already redeemed this offer code at /);

    // SPEC §1 step 4, "or it is redeemed immediately": the sale then names the offers it applied.
    // Found: the unknown-code sentence ("Check it was typed as the member's wallet shows it.") and
    // the sale refused whole, so the member earned nothing for it.
    const sale = dataOf(await at.t.gql<SaleWithNotice, unknown>(SALE_WITH_NOTICE, { input: saleOf(o, externalId) }, at.till)).submitTransaction;
    expect(sale).toMatchObject({ userErrors: [], transaction: { externalId, status: 'RECEIVED', offersApplied: [{ code: o.code, status: 'REDEEMED' }] } });
    const [stored] = await at.t.sql<{ discount: string; offers: string; redeemedAt: Date; events: string }>(
      `select s.discount::text, (select count(*) from transaction_offer w where w.transaction_id = s.id)::text as offers,
              io.redeemed_at as "redeemedAt", (select count(*) from outbox_event e where e.topic = 'WALLET_CHANGED' and e.payload->>'issuedOfferId' = io.id::text and e.payload->>'change' = 'REDEEMED')::text as events
         from sales_transaction s, issued_offer io where s.external_id = $1 and io.code = $2`,
      [externalId, o.code],
    );
    // applied once, its redemption not written again (one REDEEMED event, the first one's time)
    expect(stored).toMatchObject({ offers: '1', events: '1' });
    expect(new Date(stored.redeemedAt).toISOString()).toBe(redeemed.issuedOffer!.redeemedAt);
    // processed as any sale applying an offer
    await at.t.runScheduled();
    const [processed] = await at.t.sql<{ status: string }>(`select status from sales_transaction where external_id = $1`, [externalId]);
    expect(processed.status).toBe('PROCESSED');
    // another sale of the same till naming it is told when and for which sale it was redeemed
    const other = dataOf(await at.t.gql<SaleWithNotice, unknown>(SALE_WITH_NOTICE, { input: saleOf(o, unique('sale')) }, at.till)).submitTransaction;
    expect(other.userErrors).toEqual([
      { code: 'OFFER_NOT_REDEEMABLE', field: ['input', 'offerCodes', '0'], message: expect.stringContaining(`for the sale ${JSON.stringify(externalId)}. An offer is redeemed once`) },
    ]);
  });

  it('redeemed by an earlier sale of this till, shown again at the same till: told so, as RedeemOffer and LockOffer tell it', async () => {
    const o = await buyShopOffer(at.t, at.shop);
    const first = dataOf(await at.t.gql<SaleWithNotice, unknown>(SALE_WITH_NOTICE, { input: saleOf(o, unique('sale')) }, at.till)).submitTransaction;
    expect(first.userErrors).toEqual([]);
    const second = dataOf(await at.t.gql<SaleWithNotice, unknown>(SALE_WITH_NOTICE, { input: saleOf(o, unique('sale')) }, at.till)).submitTransaction;
    expect(second.userErrors).toEqual([
      { code: 'OFFER_NOT_REDEEMABLE', field: ['input', 'offerCodes', '0'], message: expect.stringMatching(/^Your till already redeemed this offer code at /) },
    ]);
  });
});
