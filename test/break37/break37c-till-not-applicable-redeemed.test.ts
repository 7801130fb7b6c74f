import {
  RedeemOfferDocument,
  SubmitTransactionDocument,
  WalletDocument,
  type CreateOfferInput,
  type SubmitTransactionInput,
} from '../generated/graphql.js';
import { dataOf, ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCurrency, createPartner, createStore, ownedOffer, unique, uniqueCode } from '../support/program.js';

/**
 * break37c (till-37): a sale refused OFFER_NOT_APPLICABLE now says "Nothing was recorded and the
 * offer stays in the member's wallet: send the sale again without this code (the same externalId)
 * to record it." But a code the till redeemed for this very sale first (RedeemOffer with the sale's
 * externalId as transactionExternalId, as the contract allows: RedeemOffer takes no basket, so it
 * checks no SKUs) is applied by the sale "as redeemed then" (redeemIssuedOffer's
 * redeemedForThisSale), and when the basket does not fit it the sale is refused with the same
 * sentence. The offer is REDEEMED, not in the wallet, and stays so whatever the sale does: a till
 * that follows the advice records the sale without the code, and the member's offer is used up for
 * no discount. A correct refusal does not tell the till the offer is still the member's.
 */
describe('break37c till: OFFER_NOT_APPLICABLE on a code redeemed for the sale', () => {
  let t: TestGateway;
  let currency: string;
  let store: { id: string };
  let till: Awaited<ReturnType<typeof createPartner>>;

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    currency = (await createCurrency(t, uniqueCode('TM37C'))).code;
    store = await createStore(t, currency);
    till = await createPartner(t, ['transactions:write', 'transactions:read', 'offers:redeem']);
  });
  afterEach(async () => {
    t.clock.reset();
    expect(await ledgerViolations(t)).toEqual([]);
  });
  afterAll(() => t.close());

  const owned = (benefit: CreateOfferInput['benefit'], extra: Partial<CreateOfferInput> = {}) => ownedOffer(t, currency, store.id, benefit, extra);
  const walletStatus = async (token: string, code: string) => ok(await t.gql(WalletDocument, {}, token)).me!.wallet.edges.find((e) => e.node.code === code)?.node.status;
  const COFFEE = { sku: 'LATTE', category: 'COFFEE', quantity: 1, unitPrice: '3.50' };

  it("a sale refused OFFER_NOT_APPLICABLE on a code the till redeemed for it does not say the offer stays in the member's wallet", async () => {
    // An amount off croissants; the basket has a coffee only.
    const offer = await owned({ kind: 'AMOUNT_OFF', amountOff: '1.00', skus: ['CROISSANT'] });
    const externalId = unique('sale');
    // The till redeems the code for this sale first (RedeemOffer names the sale), as the contract allows.
    const redeemed = dataOf(await t.gql(RedeemOfferDocument, { code: offer.code, transactionExternalId: externalId }, till.credential)).redeemOffer;
    expect(redeemed.userErrors).toEqual([]);

    const input: SubmitTransactionInput = {
      externalId,
      customerExternalId: offer.customer.externalId,
      channel: 'STORE',
      occurredAt: t.clock.now().toISOString(),
      currency: 'EUR',
      lines: [COFFEE],
      offerCodes: [offer.code],
    };
    const refused = dataOf(await t.gql(SubmitTransactionDocument, { input }, till.credential)).submitTransaction;
    expect(refused.userErrors.map((e) => e.code)).toEqual(['OFFER_NOT_APPLICABLE']);
    const message = refused.userErrors[0].message;

    // What the till is told, against what is so: the offer is REDEEMED (since RedeemOffer), not in
    // the wallet, and sending the sale again without it leaves it so.
    const resent = dataOf(await t.gql(SubmitTransactionDocument, { input: { ...input, offerCodes: [] } }, till.credential)).submitTransaction;
    expect(resent.userErrors).toEqual([]);
    const status = await walletStatus(offer.customer.token, offer.code);
    expect({ status, toldItStaysInTheWallet: message.includes("the offer stays in the member's wallet") }).toEqual({ status: 'REDEEMED', toldItStaysInTheWallet: false });
  });

});
