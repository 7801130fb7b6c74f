import { AddListingDocument, CreateCurrencyDocument, CreateOfferDocument, LockOfferDocument, PurchaseOfferDocument, RedeemOfferDocument } from '../generated/graphql.js';
import { dataOf, ledgerViolations, ok, startTestGateway, writeCounts, type TestGateway } from '../support/gateway.js';
import { createCustomer, createPartner, createStore, unique } from '../support/program.js';

/**
 * A till that names no money (the contract's LockOffer and RedeemOffer send no `currency`) could
 * lock and redeem a wallet item whose amount its money cannot pay ("2.50" off bought in a yen
 * program before money-12), while the purchase and the gift claim refuse to issue such an offer
 * and a till naming JPY refuses to apply it (offsale-12c, docs/decisions.md). The state before the
 * upgrade is made by hand, as in test/wallet/unusable-replacement.test.ts.
 */
describe('a till naming no money refuses a wallet item no till can apply (offsale-12c)', () => {
  let t: TestGateway;
  let till: Awaited<ReturnType<typeof createPartner>>;
  let store: { id: string };
  const PROGRAM = 'TILL_JPY';

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    ok(await t.gql(CreateCurrencyDocument, { input: { code: PROGRAM, name: PROGRAM, expiryDays: null, pointValue: '1', moneyCurrency: 'JPY' } }, t.operatorToken));
    store = await createStore(t, PROGRAM);
    till = await createPartner(t, ['offers:redeem']);
  });
  afterEach(async () => expect(await ledgerViolations(t)).toEqual([]));
  afterAll(() => t.close());

  /** A yen "200 off" bought for 10 points; `finer`: its version then made to read "2.50", as stored before money-12. */
  async function bought(finer: boolean) {
    const offer = ok(await t.gql(CreateOfferDocument, { input: { name: unique('yen off'), benefit: { kind: 'AMOUNT_OFF', amountOff: '200' }, validDays: 30 } }, t.operatorToken)).createOffer.offer!;
    const listing = ok(await t.gql(AddListingDocument, { input: { storeId: store.id, offerId: offer.id, priceInPoints: 10 } }, t.operatorToken)).addListing.listing!;
    const customer = await createCustomer(t, PROGRAM, 10);
    const issued = ok(await t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: unique('buy') }, customer.token)).purchaseOffer.purchase!.issuedOffer;
    if (finer) await t.sql(`update offer_version set amount_off = 2.50 where id = (select offer_version_id from issued_offer where code = $1)`, [issued.code]);
    return issued;
  }
  const status = async (code: string) => (await t.sql<{ status: string }>(`select status from issued_offer where code = $1`, [code]))[0].status;

  it('lockOffer and redeemOffer without a currency refuse it (OFFER_NOT_APPLICABLE on the code, nothing written) as a yen till does', async () => {
    const issued = await bought(true);
    const before = await writeCounts(t);
    const refusal = {
      code: 'OFFER_NOT_APPLICABLE',
      field: ['input', 'code'],
      message: "This offer's amountOff 2.50 is finer than JPY can be paid in (it has no decimals). It cannot be used; staff can replace it.",
    };
    const locked = dataOf(await t.gql(LockOfferDocument, { code: issued.code, lockId: 'basket-1' }, till.credential)).lockOffer;
    expect(locked).toEqual({ issuedOffer: null, userErrors: [refusal] });
    const redeemed = dataOf(await t.gql(RedeemOfferDocument, { code: issued.code, transactionExternalId: unique('sale') }, till.credential)).redeemOffer;
    expect(redeemed).toEqual({ issuedOffer: null, userErrors: [refusal] });
    expect(await status(issued.code)).toBe('ISSUED');
    expect(await writeCounts(t)).toEqual(before);
  });

  it('a wallet item whose money was never recorded is refused alike; one its money can pay is locked and redeemed as before', async () => {
    const unknown = await bought(false);
    await t.sql(`update issued_offer set money_currency = null where code = $1`, [unknown.code]);
    expect(dataOf(await t.gql(LockOfferDocument, { code: unknown.code, lockId: 'basket-2' }, till.credential)).lockOffer.userErrors).toEqual([
      { code: 'OFFER_NOT_APPLICABLE', field: ['input', 'code'], message: "This offer's amountOff 200.00 is in no recorded money, so no till naming its money can apply it. It cannot be used; staff can replace it." },
    ]);

    const payable = await bought(false);
    expect(dataOf(await t.gql(LockOfferDocument, { code: payable.code, lockId: 'basket-3' }, till.credential)).lockOffer).toEqual({
      issuedOffer: expect.objectContaining({ code: payable.code, status: 'LOCKED' }),
      userErrors: [],
    });
    expect(dataOf(await t.gql(RedeemOfferDocument, { code: payable.code, lockId: 'basket-3', transactionExternalId: unique('sale') }, till.credential)).redeemOffer).toEqual({
      issuedOffer: expect.objectContaining({ code: payable.code, status: 'REDEEMED' }),
      userErrors: [],
    });
  });
});
