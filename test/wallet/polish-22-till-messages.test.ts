import { LockOfferDocument, RedeemOfferDocument, ReleaseOfferDocument } from '../generated/graphql.js';
import { dataOf, ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { boughtOffer as buyShopOffer, createPartner, simpleShop } from '../support/program.js';

const SECOND = 1_000;

/**
 * What a till is told (polish-22, newcomer-22's leftovers), through HTTP with partner keys:
 * - `ReleaseOffer` of a code its own till redeemed says so (when, for which sale), where it said
 *   "This basket holds no lock on this offer."; another partner still gets that sentence, the
 *   answer an unknown code gets.
 * - `RedeemOffer` naming a `lockId` for a code no basket had locked redeems it (SPEC §1 step 4: an
 *   unlocked offer "is redeemed immediately"; a basket whose lock ran out may still redeem it) and
 *   says in the payload's `notice` that the lockId was not used; a lock that ran out is named as
 *   such to its own till only.
 */
describe('till messages (polish-22)', () => {
  let t: TestGateway;
  let shop: Awaited<ReturnType<typeof simpleShop>>;
  let till: { apiKey: string };
  let otherVendor: { apiKey: string };

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    shop = await simpleShop(t, { priceInPoints: 10 });
    till = await createPartner(t, ['offers:redeem']);
    otherVendor = await createPartner(t, ['offers:redeem']);
  });
  afterEach(async () => {
    t.clock.reset();
    expect(await ledgerViolations(t)).toEqual([]);
  });
  afterAll(() => t.close());

  const boughtOffer = () => buyShopOffer(t, shop);

  const lock = (code: string, lockId: string, ttlSeconds?: number) => t.gql(LockOfferDocument, { code, lockId, ttlSeconds }, { apiKey: till.apiKey });
  const releaseAnswer = async (code: string, lockId: string, key = till) =>
    dataOf(await t.gql(ReleaseOfferDocument, { code, lockId }, { apiKey: key.apiKey })).releaseOffer;

  /** The contract's RedeemOffer with the payload's `notice` selected, as a till that logs it would register it. */
  const RedeemWithNotice = `mutation RedeemOfferNoticed($code: String!, $lockId: String, $transactionExternalId: String) {
    redeemOffer(input: { code: $code, lockId: $lockId, transactionExternalId: $transactionExternalId }) {
      issuedOffer { code status }
      notice
      userErrors { code field message }
    }
  }`;
  type Noticed = { redeemOffer: { issuedOffer: { code: string; status: string } | null; notice: string | null; userErrors: { code: string; field: string[]; message: string }[] } };
  const redeemNoticed = async (code: string, lockId: string | null, transactionExternalId: string | null = null) => {
    const res = await t.gql<Noticed, Record<string, unknown>>(RedeemWithNotice, { code, lockId, transactionExternalId }, { apiKey: till.apiKey });
    expect(res.errors).toBeUndefined();
    return res.data!.redeemOffer;
  };

  it('ReleaseOffer of a code this till redeemed says when and for which sale; another partner gets the unknown-code answer', async () => {
    const offer = await boughtOffer();
    ok(await lock(offer.code, 'basket-1'));
    const redeemed = ok(await t.gql(RedeemOfferDocument, { code: offer.code, lockId: 'basket-1', transactionExternalId: 'sale-p22' }, { apiKey: till.apiKey })).redeemOffer.issuedOffer!;

    // The till releases the basket's codes after the sale (or its retry after a lost answer).
    expect(await releaseAnswer(offer.code, 'basket-1')).toEqual({
      issuedOffer: null,
      userErrors: [
        {
          code: 'LOCK_NOT_HELD',
          field: ['input', 'lockId'],
          message: `Your till already redeemed this offer code at ${new Date(redeemed.redeemedAt!).toISOString()}, for the sale "sale-p22". A redeemed code holds no lock: there is nothing to release.`,
        },
      ],
    });
    // Another partner learns nothing: the answer an unknown code gets, as before.
    const unknown = await releaseAnswer('ZZZZ-ZZZZ-ZZZZ', 'basket-1', otherVendor);
    expect(unknown).toEqual({ issuedOffer: null, userErrors: [{ code: 'LOCK_NOT_HELD', field: ['input', 'lockId'], message: 'This basket holds no lock on this offer.' }] });
    expect(await releaseAnswer(offer.code, 'basket-1', otherVendor)).toEqual(unknown);
    // A live code this till holds no lock on keeps the old sentence.
    const live = await boughtOffer();
    expect(await releaseAnswer(live.code, 'basket-1')).toEqual(unknown);
  });

  it('RedeemOffer naming a lockId for a code nobody locked redeems it and says the lockId was not used', async () => {
    const offer = await boughtOffer();
    expect(await redeemNoticed(offer.code, 'till-9', 'sale-p22-a')).toEqual({
      issuedOffer: { code: offer.code, status: 'REDEEMED' },
      notice: 'No basket held a lock on this code, so lockId "till-9" was not used: an unlocked code is redeemed at once, whatever lockId is sent.',
      userErrors: [],
    });
    // Its retry (same sale) answers the first redemption, its notice included (break-24: it said
    // null, where a replay's data is the first answer's byte for byte, idem-12/replay-22).
    expect((await redeemNoticed(offer.code, 'till-9', 'sale-p22-a')).notice).toBe(
      'No basket held a lock on this code, so lockId "till-9" was not used: an unlocked code is redeemed at once, whatever lockId is sent.',
    );

    // Without a lockId, or with the lock's own: nothing to say.
    const bare = await boughtOffer();
    expect(await redeemNoticed(bare.code, null)).toEqual({ issuedOffer: { code: bare.code, status: 'REDEEMED' }, notice: null, userErrors: [] });
    const locked = await boughtOffer();
    ok(await lock(locked.code, 'till-9'));
    expect(await redeemNoticed(locked.code, 'till-9')).toEqual({ issuedOffer: { code: locked.code, status: 'REDEEMED' }, notice: null, userErrors: [] });
  });

  it("RedeemOffer after the basket's own lock ran out redeems it and says the lock had run out; another basket's run-out lock reads as no lock", async () => {
    const offer = await boughtOffer();
    const locked = ok(await lock(offer.code, 'till-7', 10)).lockOffer.issuedOffer!;
    t.clock.advance(11 * SECOND);
    // When it ran out too, since till-23.
    expect(await redeemNoticed(offer.code, 'till-7')).toEqual({
      issuedOffer: { code: offer.code, status: 'REDEEMED' },
      notice: `The lock of basket "till-7" on this offer code ran out at ${new Date(locked.lockExpiresAt!).toISOString()}. No other basket had taken the code, so it was redeemed as an unlocked code is.`,
      userErrors: [],
    });

    const other = await boughtOffer();
    ok(await lock(other.code, 'till-7', 10));
    t.clock.advance(11 * SECOND);
    expect((await redeemNoticed(other.code, 'till-8')).notice).toBe(
      'No basket held a lock on this code, so lockId "till-8" was not used: an unlocked code is redeemed at once, whatever lockId is sent.',
    );
  });

  /**
   * newcomer-23: a till that locked a mistyped code, or one already used, was told "This offer code
   * cannot be redeemed.", which gave the cashier nothing to do next. Still one answer for every dead
   * code (docs/decisions.md, "One answer for dead codes"), so a code cannot be probed, but it now
   * names those kinds and what to check.
   */
  it("LockOffer of an unknown code and of one another vendor's till used get one answer, naming what to check", async () => {
    const used = await boughtOffer();
    // Used by another partner: a till's own redemption is told when and for which sale (above).
    ok(await t.gql(RedeemOfferDocument, { code: used.code, transactionExternalId: 'sale-n23' }, { apiKey: otherVendor.apiKey }));
    const refusal = async (code: string) => dataOf(await lock(code, 'till-1')).lockOffer.userErrors;
    const dead = {
      code: 'OFFER_NOT_REDEEMABLE',
      field: ['input', 'code'],
      message: "This offer code cannot be redeemed: it is unknown, used, expired or voided, or not the customer's to use. Check it was typed as the member's wallet shows it.",
    };
    expect({ unknown: await refusal('ZZZZ-ZZZZ-ZZZZ'), used: await refusal(used.code) }).toEqual({ unknown: [dead], used: [dead] });
  });
});
