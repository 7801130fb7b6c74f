import { LockOfferDocument, RedeemOfferDocument } from '../generated/graphql.js';
import { dataOf, ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { boughtOffer, createPartner, simpleShop } from '../support/program.js';
import { anotherBasketHolds, ranOutAndHeld } from '../support/till.js';

const SECOND = 1_000;

/**
 * break37c (till-37), held: LOCK_HELD names the instant the holding lock ends. Attacked: a renewal
 * (the refusal names the renewed end, which the member's wallet shows too), a renewal racing ten
 * refusals of another partner's till (each names the end of a lock that existed when it was read,
 * the old or the renewed one, never anything else), a lock run out before the sweep and after it (no LOCK_HELD: the other till locks it),
 * and RedeemOffer by another partner (the same sentence, no partner named).
 */
describe('break37c till (held): LOCK_HELD until when', () => {
  let t: TestGateway;
  let shop: Awaited<ReturnType<typeof simpleShop>>;
  let till: Awaited<ReturnType<typeof createPartner>>;
  let other: Awaited<ReturnType<typeof createPartner>>;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    shop = await simpleShop(t, { priceInPoints: 10 });
    till = await createPartner(t, ['offers:redeem']);
    other = await createPartner(t, ['offers:redeem']);
  });
  afterEach(async () => {
    t.clock.reset();
    expect(await ledgerViolations(t)).toEqual([]);
  });
  afterAll(() => t.close());

  const lock = (code: string, lockId: string, ttlSeconds: number, key = till) => t.gql(LockOfferDocument, { code, lockId, ttlSeconds }, key.credential);
  const errorsOf = (res: Awaited<ReturnType<typeof lock>>) => dataOf(res).lockOffer.userErrors.map((e) => [e.code, e.message]);

  it('names the renewed end, under a race, and lets go once the lock runs out', async () => {
    const offer = await boughtOffer(t, shop);
    t.clock.freeze();
    const first = ok(await lock(offer.code, 'a', 60)).lockOffer.issuedOffer!.lockExpiresAt!;
    expect(errorsOf(await lock(offer.code, 'b', 60, other))).toEqual([['LOCK_HELD', anotherBasketHolds(first)]]);
    const redeemed = dataOf(await t.gql(RedeemOfferDocument, { code: offer.code, lockId: null, transactionExternalId: 'S-37c' }, other.credential)).redeemOffer;
    expect(redeemed.userErrors.map((e) => [e.code, e.message])).toEqual([['LOCK_HELD', anotherBasketHolds(first)]]);

    t.clock.advance(30 * SECOND);
    const renewal = lock(offer.code, 'a', 600);
    const refusals = await Promise.all(Array.from({ length: 10 }, () => lock(offer.code, 'b', 60, other)));
    const renewed = ok(await renewal).lockOffer.issuedOffer!.lockExpiresAt!;
    expect(new Date(renewed).getTime()).toBe(t.clock.now().getTime() + 600 * SECOND);
    for (const refusal of refusals) expect([[['LOCK_HELD', anotherBasketHolds(first)]], [['LOCK_HELD', anotherBasketHolds(renewed)]]]).toContainEqual(errorsOf(refusal));
    expect(errorsOf(await lock(offer.code, 'b', 60, other))).toEqual([['LOCK_HELD', anotherBasketHolds(renewed)]]);
    const wallet = ok(
      await t.gql<{ me: { wallet: { edges: { node: { code: string; status: string; lockExpiresAt: string | null } }[] } } }, unknown>(
        `{ me { wallet(first: 50) { edges { node { code status lockExpiresAt } } } } }`,
        {},
        offer.customer.token,
      ),
    ).me.wallet.edges.find((e) => e.node.code === offer.code)!.node;
    expect(wallet).toMatchObject({ status: 'LOCKED', lockExpiresAt: new Date(renewed).toISOString() });

    // One millisecond before the end, still held; at it, free (before any sweep).
    t.clock.moveTo(new Date(renewed).getTime() - 1);
    expect(errorsOf(await lock(offer.code, 'b', 60, other))).toEqual([['LOCK_HELD', anotherBasketHolds(renewed)]]);
    t.clock.moveTo(new Date(renewed).getTime());
    expect(errorsOf(await lock(offer.code, 'b', 60, other))).toEqual([]);
  });

  it('after the sweep cleared a lock, nothing is held', async () => {
    const offer = await boughtOffer(t, shop);
    t.clock.freeze();
    const ranOut = ok(await lock(offer.code, 'a', 60)).lockOffer.issuedOffer!.lockExpiresAt!;
    t.clock.advance(61 * SECOND);
    await t.runScheduled();
    expect(errorsOf(await lock(offer.code, 'b', 60, other))).toEqual([]);
    const held = ok(await lock(offer.code, 'b', 60, other)).lockOffer.issuedOffer!.lockExpiresAt!;
    // Basket "a" (whose own lock ran out) is told so, and until when the other holds it.
    expect(errorsOf(await lock(offer.code, 'a', 60))).toEqual([['LOCK_HELD', ranOutAndHeld('a', ranOut, held)]]);
  });
});
