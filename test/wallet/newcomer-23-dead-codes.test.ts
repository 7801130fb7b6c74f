import { LockOfferDocument, RedeemOfferDocument } from '../generated/graphql.js';
import { dataOf, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { boughtOffer, createPartner, simpleShop } from '../support/program.js';

/** What every dead code is answered, whatever made it dead (docs/decisions.md, "One answer for dead codes"). */
const DEAD = {
  code: 'OFFER_NOT_REDEEMABLE',
  field: ['input', 'code'],
  message: "This offer code cannot be redeemed: it is unknown, used, expired or voided, or not the customer's to use. Check it was typed as the member's wallet shows it.",
};

/**
 * newcomer-23: a till that locks a mistyped code, or one already used, was told "This offer code
 * cannot be redeemed.", which gave the cashier nothing to do next (retype it? tell the member it is
 * used?). The answer is still one for every dead code, so a code cannot be probed, but it now says
 * which kinds of code get it and what to check. Through HTTP with a partner's key, as a POS sends.
 */
describe('a dead offer code is answered with what to check (newcomer-23)', () => {
  let t: TestGateway;
  let shop: Awaited<ReturnType<typeof simpleShop>>;
  let till: { apiKey: string };
  let otherTill: { apiKey: string };
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    shop = await simpleShop(t, { priceInPoints: 10 });
    till = await createPartner(t, ['offers:redeem']);
    otherTill = await createPartner(t, ['offers:redeem']);
  });
  afterAll(() => t.close());

  const lockRefusal = async (code: string) => dataOf(await t.gql(LockOfferDocument, { code, lockId: 'till-1' }, { apiKey: till.apiKey })).lockOffer.userErrors;

  it("an unknown code and one another vendor's till used get the same answer, naming what to check", async () => {
    const used = await boughtOffer(t, shop);
    // Used by another partner: a till's own redemption is told when and for which sale (polish-22).
    ok(await t.gql(RedeemOfferDocument, { code: used.code, transactionExternalId: 'sale-n23' }, { apiKey: otherTill.apiKey }));
    expect({ unknown: await lockRefusal('ZZZZ-ZZZZ-ZZZZ'), used: await lockRefusal(used.code) }).toEqual({ unknown: [DEAD], used: [DEAD] });
  });
});
