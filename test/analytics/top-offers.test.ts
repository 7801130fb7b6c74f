import { ClaimGiftDocument, CreateGiftListDocument, ProgramStatsDocument, PurchaseOfferDocument, RedeemOfferDocument } from '../generated/graphql.js';
import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { addListing, createCustomer, createOffer, createPartner, createStore, nextMoneyCurrency, unique, uniqueCode } from '../support/program.js';

const DAY = 86_400_000;

/**
 * programStats.topOffers of one currency (hostile-17): its purchases are those from its own
 * stores, and its redemptions are of the wallet items bought there. One offer may be sold in two
 * programs' stores and given away by gift lists; the console of one program counted every
 * redemption of that offer, whichever program's points paid for it (1 purchase, 3 redemptions).
 */
describe('top offers of a program', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(() => t.close());

  const program = async () => {
    const code = uniqueCode('TOP');
    ok(
      await t.gql(
        `mutation($input: CreateCurrencyInput!) { createCurrency(input: $input) { userErrors { code } } }`,
        { input: { code, name: code, pointValue: '0.01', moneyCurrency: nextMoneyCurrency() } },
        t.operatorToken,
      ),
    );
    return code;
  };
  const codesOf = async (externalId: string) =>
    (await t.sql<{ id: string; code: string }>(`select io.id::text, io.code from issued_offer io join customer c on c.id = io.customer_id where c.external_id = $1 order by io.id`, [externalId]));

  it("counts the redemptions of what was bought in the program's stores: not another program's, not a gift's; a staff replacement of a bought item in its place", async () => {
    t.clock.freeze();
    const T0 = t.clock.now().getTime();
    const [mine, theirs] = [await program(), await program()];
    const offer = await createOffer(t); // valid 30 days after issue
    const myListing = await addListing(t, (await createStore(t, mine)).id, offer.id, { priceInPoints: 10 });
    const theirListing = await addListing(t, (await createStore(t, theirs)).id, offer.id, { priceInPoints: 10 });
    const till = await createPartner(t, ['offers:redeem', 'transactions:write']);
    const redeem = async (code: string) =>
      expect(ok(await t.gql(RedeemOfferDocument, { code, lockId: null, transactionExternalId: unique('use') }, till.credential)).redeemOffer.userErrors).toEqual([]);

    // Mine: two bought; one redeemed, the other left to expire and replaced by staff, the replacement redeemed.
    const me = await createCustomer(t, mine, 100);
    for (const key of ['m1', 'm2']) ok(await t.gql(PurchaseOfferDocument, { listingId: myListing.id, idempotencyKey: key }, me.token));
    // The same offer from a gift list of mine: not a purchase, its redemption not one of a purchase.
    const list = ok(await t.gql(CreateGiftListDocument, { input: { currency: mine, name: unique('list'), threshold: 10, offerIds: [offer.id] } }, t.operatorToken)).createGiftList.giftList!;
    ok(await t.gql(ClaimGiftDocument, { giftListId: list.id, optionId: offer.id, idempotencyKey: 'g1' }, me.token));
    const [bought1, bought2, gift] = await codesOf(me.externalId);
    await redeem(bought1.code);
    await redeem(gift.code);
    // Theirs: three bought and redeemed, paid with the other program's points.
    const them = await createCustomer(t, theirs, 100);
    for (const key of ['t1', 't2', 't3']) ok(await t.gql(PurchaseOfferDocument, { listingId: theirListing.id, idempotencyKey: key }, them.token));
    for (const { code } of await codesOf(them.externalId)) await redeem(code);

    t.clock.advance(31 * DAY); // bought2 expired unused
    const replaced = ok(
      await t.gql<{ issueReplacementOffer: { issuedOffer: { code: string } | null; userErrors: unknown[] } }, unknown>(
        `mutation($input: IssueReplacementOfferInput!) { issueReplacementOffer(input: $input) { issuedOffer { code } userErrors { code } } }`,
        { input: { issuedOfferId: Buffer.from(`IssuedOffer:${bought2.id}`).toString('base64url'), reason: 'expired before the visit', idempotencyKey: unique('replace') } },
        t.operatorToken,
      ),
    ).issueReplacementOffer;
    expect(replaced.userErrors).toEqual([]);
    await redeem(replaced.issuedOffer!.code);

    const top = async (currency: string) =>
      ok(await t.gql(ProgramStatsDocument, { currency, from: new Date(T0 - DAY).toISOString(), to: new Date(t.clock.now().getTime() + DAY).toISOString() }, t.analystToken)).programStats!
        .topOffers.map((o) => ({ offer: o.offer?.id, purchases: o.purchases, redemptions: o.redemptions }));
    // Before: mine read 2 purchases, 6 redemptions (theirs 3 and the gift's 1 counted too); theirs 3 and 6.
    expect(await top(mine)).toEqual([{ offer: offer.id, purchases: 2, redemptions: 2 }]);
    expect(await top(theirs)).toEqual([{ offer: offer.id, purchases: 3, redemptions: 3 }]);
    t.clock.reset();
  });
});
