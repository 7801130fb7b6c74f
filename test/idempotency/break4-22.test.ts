import { AdjustPointsDocument, LockOfferDocument, ReleaseOfferDocument } from '../generated/graphql.js';
import { compiledRequests, dataOf, gatewayPerBlock, type GqlResult, ok, type TestGateway } from '../support/gateway.js';
import { boughtOffer as buyShopOffer, createCurrency, createCustomer, createPartner, simpleShop, unique, uniqueCode } from '../support/program.js';

const MINUTE = 60_000;

/**
 * break4-22, hostile pass on replay-22's repeated release, through HTTP on the embedded database:
 * the release's record (`released_lock_*`) said "already released … at <t1>" to a basket that
 * had locked the code again after that release and whose new lock ran out: a stale sentence about
 * a lock that is not the one the till asks about. A new lock of the same basket clears it; another
 * basket's lock does not (the first basket's release is still its last word on the code).
 */
describe('replay-22 attacked (break4-22): a repeated release after the basket locked again, marks of requests sent at once', () => {
  let t: TestGateway;

  gatewayPerBlock((gateway) => (t = gateway));

  /**
   * A bought offer locked by a till's "basket-9" and released by it, the clock frozen at the
   * release: the offer, the till, a `release(lockId)` sending ReleaseOffer for the code, and when.
   */
  async function releasedByBasket9() {
    const shop = await simpleShop(t, { priceInPoints: 10 });
    const till = await createPartner(t, ['offers:redeem']);
    const offer = await buyShopOffer(t, shop);
    const release = async (lockId: string) => dataOf(await t.gql(ReleaseOfferDocument, { code: offer.code, lockId }, till.credential)).releaseOffer;
    t.clock.freeze();
    ok(await t.gql(LockOfferDocument, { code: offer.code, lockId: 'basket-9' }, till.credential));
    const releasedAt = t.clock.now();
    expect((await release('basket-9')).userErrors).toEqual([]);
    return { offer, till, release, releasedAt };
  }

  it('a basket that released, locked again and let the new lock run out is not told it released it', async () => {
    const { offer, till, release, releasedAt } = await releasedByBasket9();
    t.clock.advance(2 * MINUTE);
    // The same basket locks the code again, for 60 s, and lets it run out.
    const relocked = ok(await t.gql(LockOfferDocument, { code: offer.code, lockId: 'basket-9', ttlSeconds: 60 }, till.credential)).lockOffer.issuedOffer!;
    t.clock.advance(5 * MINUTE);
    const again = await release('basket-9');
    expect(again.userErrors.map((e) => e.message)).not.toContain(
      `Basket "basket-9" already released its lock on this offer code at ${releasedAt.toISOString()}: there is no lock left to release.`,
    );
    // Told the lock it asks about ran out, and when (till-23; "This basket holds no lock on this offer." before).
    const ranOut = `The lock of basket "basket-9" on this offer code ran out at ${new Date(relocked.lockExpiresAt!).toISOString()}. There is no lock left to release.`;
    expect(again).toEqual({ issuedOffer: null, userErrors: [{ code: 'LOCK_NOT_HELD', field: ['input', 'lockId'], message: ranOut }] });
  });

  it("another basket's lock after the release leaves the first basket's release said", async () => {
    const { offer, till, release, releasedAt } = await releasedByBasket9();
    t.clock.advance(MINUTE);
    ok(await t.gql(LockOfferDocument, { code: offer.code, lockId: 'basket-10' }, till.credential));
    expect((await release('basket-9')).userErrors.map((e) => e.message)).toEqual([
      `Basket "basket-9" already released its lock on this offer code at ${releasedAt.toISOString()}: there is no lock left to release.`,
    ]);
  });
  it('first-time and replayed adjustments sent at once: each replay marked, no first-time one, on the compiled path too', async () => {
    const { code: currency } = await createCurrency(t, uniqueCode('MIX'));
    const customer = await createCustomer(t, currency);
    const adjust = (key: string) => t.gql(AdjustPointsDocument, { input: { customerExternalId: customer.externalId, currency, amount: 1, reason: 'mix', idempotencyKey: key } }, t.operatorToken);
    const mark = (r: GqlResult<unknown>) => ({ errors: r.errors, extensions: r.extensions, header: r.headers.get('idempotent-replayed') });
    const done = Array.from({ length: 8 }, () => unique('done'));
    for (const key of done) ok(await adjust(key));
    const before = await compiledRequests(t);
    for (let round = 0; round < 2; round++) {
      const fresh = Array.from({ length: 8 }, () => unique('fresh'));
      // Interleaved: replay, first, replay, first, …, all at once.
      const sent = done.flatMap((key, i) => [
        { key, replay: true },
        { key: fresh[i], replay: false },
      ]);
      const answers = await Promise.all(sent.map(({ key }) => adjust(key)));
      expect(answers.map(mark)).toEqual(
        sent.map(({ replay }) => (replay ? { errors: undefined, extensions: { idempotentReplays: [['adjustPoints']] }, header: 'true' } : { errors: undefined, extensions: undefined, header: null })),
      );
    }
    // Most of them ran compiled (a document's third sighting on).
    expect((await compiledRequests(t)) - before).toBeGreaterThan(16);
  });
});
