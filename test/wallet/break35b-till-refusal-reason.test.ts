import { RedeemOfferDocument, UpsertCustomerDocument } from '../generated/graphql.js';
import { dataOf, ok } from '../support/gateway.js';
import { brokenInvariants } from '../support/invariants.js';
import { boughtOffer as buyShopOffer, createCustomer, unique } from '../support/program.js';
import { SALE_WITH_NOTICE, tillAtItsClock, type SaleWithNotice } from '../support/till.js';

/**
 * break35b (till): break35 made a sale naming a code its own till redeemed for this very sale
 * (RedeemOffer with transactionExternalId = the sale's externalId) apply it, "the sale's customer,
 * still ACTIVE" (docs/decisions.md), and told a code the till redeemed *otherwise* ("an earlier
 * sale, another transactionExternalId, none") "Your till already redeemed this offer code at …,
 * for the sale with transactionExternalId "…". An offer is redeemed once: send the sale without
 * this code." (saleRedeemedByYou).
 *
 * But saleRedeemedByYou answers every OFFER_NOT_REDEEMABLE of a code the partner redeemed, whatever
 * the reason was. A code redeemed for this very sale and refused because the sale names another
 * member (the cashier scanned the wrong card), or because the member is SUSPENDED, is told it was
 * redeemed "for the sale with transactionExternalId "<this sale>"" and to send the sale without it:
 * the till is told its code was used up elsewhere, when the code was redeemed for exactly this
 * sale and only the member is wrong. Following the advice files the sale for the wrong member at
 * full price (the other member's code, redeemed at the till, then applies to no sale), or hides
 * that the member cannot earn (the sale is RECEIVED and then FAILED). Before break35 the same sale
 * was told the one answer for dead codes, which at least names "not the customer's to use".
 * Expected: a code redeemed for this very sale is not told "An offer is redeemed once: send the
 * sale without this code."; the refusal says it is the member that does not fit.
 */
describe('break35b: a code its till redeemed for this very sale, refused for the member', () => {
  const at = tillAtItsClock();
  afterEach(async () => expect(await brokenInvariants(at.t)).toEqual([]));

  const saleOf = (customerExternalId: string, code: string, externalId: string) => ({
    externalId,
    customerExternalId,
    occurredAt: at.t.clock.now().toISOString(),
    currency: 'EUR',
    lines: [{ sku: 'LATTE', category: 'COFFEE', quantity: 1, unitPrice: '3.80' }, { sku: 'MUFFIN', quantity: 1, unitPrice: '2.50' }],
    offerCodes: [code],
  });
  const redeemFor = async (code: string, externalId: string) =>
    expect(ok(await at.t.gql(RedeemOfferDocument, { code, lockId: null, transactionExternalId: externalId }, at.till)).redeemOffer.userErrors).toEqual([]);

  it('the sale names another member than the code\'s: not told to drop a code redeemed for this sale', async () => {
    const o = await buyShopOffer(at.t, at.shop);
    const someoneElse = await createCustomer(at.t, at.shop.currency, 0);
    const externalId = unique('sale');
    await redeemFor(o.code, externalId);
    const sale = dataOf(await at.t.gql<SaleWithNotice, unknown>(SALE_WITH_NOTICE, { input: saleOf(someoneElse.externalId, o.code, externalId) }, at.till)).submitTransaction;
    expect(sale.userErrors).toHaveLength(1);
    expect(sale.userErrors[0]).toMatchObject({ code: 'OFFER_NOT_REDEEMABLE', field: ['input', 'offerCodes', '0'] });
    // Found: "Your till already redeemed this offer code at …, for the sale with transactionExternalId
    // "<this sale>". An offer is redeemed once: send the sale without this code."
    expect(sale.userErrors[0].message).not.toMatch(/send the sale without this code/);
    expect(sale.userErrors[0].message).toMatch(/customer|member/i);
    // the same sale for the code's member applies it
    const right = dataOf(await at.t.gql<SaleWithNotice, unknown>(SALE_WITH_NOTICE, { input: saleOf(o.customer.externalId, o.code, externalId) }, at.till)).submitTransaction;
    expect(right.userErrors).toEqual([]);
  });

  it('the member is SUSPENDED: not told the code was redeemed once and to drop it', async () => {
    const o = await buyShopOffer(at.t, at.shop);
    const externalId = unique('sale');
    await redeemFor(o.code, externalId);
    ok(await at.t.gql(UpsertCustomerDocument, { input: { externalId: o.customer.externalId, status: 'SUSPENDED' } }, at.t.operatorToken));
    const sale = dataOf(await at.t.gql<SaleWithNotice, unknown>(SALE_WITH_NOTICE, { input: saleOf(o.customer.externalId, o.code, externalId) }, at.till)).submitTransaction;
    expect(sale.userErrors).toHaveLength(1);
    expect(sale.userErrors[0]).toMatchObject({ code: 'OFFER_NOT_REDEEMABLE', field: ['input', 'offerCodes', '0'] });
    expect(sale.userErrors[0].message).not.toMatch(/send the sale without this code/);
    expect(sale.userErrors[0].message).toMatch(/customer|member/i);
  });
});
