import { UserErrorException } from '../../src/graphql/errors.js';
import { fromGlobalId, toGlobalId } from '../../src/graphql/ids.js';
import { lockOffersToVoid, redeemIssuedOffer, voidLockedOffers } from '../../src/wallet/redemption.service.js';
import {
  CreatePartnerDocument,
  LockOfferDocument,
  RedeemOfferDocument,
  ReleaseOfferDocument,
  WalletDocument,
} from '../generated/graphql.js';
import { dataOf, ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { boughtOffer as buyShopOffer, createCustomer, simpleShop, unique } from '../support/program.js';
import { anotherBasketHolds } from '../support/till.js';

const SECOND = 1_000;
const DAY = 86_400_000;

/**
 * The wallet at the till (SPEC §1 step 4, §5 invariant 4), through HTTP with the partner contract:
 * lock, renew, release and redeem, what the customer sees meanwhile, concurrency, lock and offer
 * expiry, and the sweeper that writes expiries down.
 */
describe('the wallet at the till', () => {
  let t: TestGateway;
  let shop: Awaited<ReturnType<typeof simpleShop>>;
  let till: { apiKey: string; partnerId: number };
  let otherVendor: { apiKey: string; partnerId: number };

  const createPartner = async (scopes: string[]) => {
    const created = ok(await t.gql(CreatePartnerDocument, { input: { name: unique('Till vendor'), scopes } }, t.operatorToken)).createPartner;
    return { apiKey: created.apiKey!, partnerId: fromGlobalId(created.partner!.id, 'Partner', 'id') };
  };

  beforeAll(async () => {
    // Jobs run only when a test runs them, so the sweeper's effects can be watched step by step.
    t = await startTestGateway({}, { jobs: 'manual' });
    shop = await simpleShop(t, { priceInPoints: 10 });
    till = await createPartner(['offers:redeem']);
    otherVendor = await createPartner(['offers:redeem', 'customers:read']);
  });
  afterEach(async () => {
    t.clock.reset();
    expect(await ledgerViolations(t)).toEqual([]);
  });
  afterAll(() => t.close());

  /** A customer who bought one offer in the shop: its code and id, and the customer's token. */
  const boughtOffer = () => buyShopOffer(t, shop);

  const lock = (code: string, lockId: string, ttlSeconds?: number | null, key = till) => t.gql(LockOfferDocument, { code, lockId, ttlSeconds }, { apiKey: key.apiKey });
  const redeem = (code: string, lockId?: string | null, transactionExternalId?: string | null, key = till) =>
    t.gql(RedeemOfferDocument, { code, lockId, transactionExternalId }, { apiKey: key.apiKey });
  const release = (code: string, lockId: string, key = till) => t.gql(ReleaseOfferDocument, { code, lockId }, { apiKey: key.apiKey });

  /** The userError codes of a payload (empty on success). */
  const refusal = (res: { data?: unknown; errors?: unknown[] | undefined }) => {
    const payload = Object.values(dataOf(res as never) as Record<string, { userErrors: { code: string }[] }>)[0];
    return payload.userErrors.map((e) => e.code);
  };

  /** The status of `code` as the customer's app shows it in the wallet. */
  async function walletStatus(token: string, code: string) {
    const edges = ok(await t.gql(WalletDocument, {}, token)).me!.wallet.edges;
    return edges.find((e) => e.node.code === code)?.node.status;
  }

  async function walletChanges(customerId: string) {
    const rows = await t.sql<{ change: string; issued_offer_id: string }>(
      `select e.payload->>'change' as change, e.payload->>'issuedOfferId' as issued_offer_id
         from outbox_event e join customer c on c.id = e.customer_id
        where e.topic = 'WALLET_CHANGED' and c.external_id = $1 order by e.id`,
      [customerId],
    );
    return rows.map((r) => r.change);
  }

  it('locks, renews, releases and redeems, and the customer sees each status', async () => {
    const offer = await boughtOffer();
    const token = offer.customer.token;
    expect(await walletStatus(token, offer.code)).toBe('ISSUED');

    const before = t.clock.now().getTime();
    const locked = ok(await lock(offer.code, 'basket-1', 120)).lockOffer.issuedOffer!;
    expect(locked).toMatchObject({ id: offer.id, code: offer.code, status: 'LOCKED' });
    const firstExpiry = new Date(locked.lockExpiresAt!).getTime();
    expect(firstExpiry - before).toBeGreaterThanOrEqual(120 * SECOND);
    expect(firstExpiry - before).toBeLessThan(125 * SECOND);
    expect(await walletStatus(token, offer.code)).toBe('LOCKED');

    t.clock.advance(60 * SECOND);
    const renewed = ok(await lock(offer.code, 'basket-1', 120)).lockOffer.issuedOffer!;
    expect(renewed.status).toBe('LOCKED');
    expect(new Date(renewed.lockExpiresAt!).getTime() - firstExpiry).toBeGreaterThanOrEqual(60 * SECOND);

    const released = ok(await release(offer.code, 'basket-1')).releaseOffer.issuedOffer!;
    expect(released).toMatchObject({ code: offer.code, status: 'ISSUED' });
    expect(await walletStatus(token, offer.code)).toBe('ISSUED');
    expect(refusal(await release(offer.code, 'basket-1'))).toEqual(['LOCK_NOT_HELD']);

    ok(await lock(offer.code, 'basket-2'));
    const redeemed = ok(await redeem(offer.code, 'basket-2', 'sale-1')).redeemOffer.issuedOffer!;
    expect(redeemed).toMatchObject({ id: offer.id, code: offer.code, status: 'REDEEMED' });
    expect(Math.abs(new Date(redeemed.redeemedAt!).getTime() - t.clock.now().getTime())).toBeLessThan(5 * SECOND);
    expect(await walletStatus(token, offer.code)).toBe('REDEEMED');
    const [row] = await t.sql<{ redeemed_by_partner_id: number; redemption_ref: string; lock_id: string | null }>(
      `select redeemed_by_partner_id, redemption_ref, lock_id from issued_offer where id = $1`,
      [offer.dbId],
    );
    expect(row).toEqual({ redeemed_by_partner_id: till.partnerId, redemption_ref: 'sale-1', lock_id: null });

    // Redeemed is final: no lock, no second redemption, no release.
    expect(refusal(await lock(offer.code, 'basket-3'))).toEqual(['OFFER_NOT_REDEEMABLE']);
    expect(refusal(await redeem(offer.code, null, 'sale-2'))).toEqual(['OFFER_NOT_REDEEMABLE']);
    expect(refusal(await redeem(offer.code, 'basket-2', 'sale-1', otherVendor))).toEqual(['OFFER_NOT_REDEEMABLE']);
    expect(refusal(await release(offer.code, 'basket-2'))).toEqual(['LOCK_NOT_HELD']);

    // A till retrying the same sale after a lost answer learns it was redeemed, and nothing happens twice.
    const retried = ok(await redeem(offer.code, 'basket-2', 'sale-1')).redeemOffer.issuedOffer!;
    expect(retried).toEqual(redeemed);

    expect(await walletChanges(offer.customer.externalId)).toEqual(['ISSUED', 'LOCKED', 'LOCK_EXTENDED', 'RELEASED', 'LOCKED', 'REDEEMED']);
  });

  it('redeems an issued offer at once, with the code typed loosely', async () => {
    const offer = await boughtOffer();
    const typed = offer.code.toLowerCase().replace(/-/g, '').replace(/0/g, 'o').replace(/1/g, 'l');
    const redeemed = ok(await redeem(typed)).redeemOffer.issuedOffer!;
    expect(redeemed).toMatchObject({ code: offer.code, status: 'REDEEMED', redeemedAt: expect.any(String) });
    expect(await walletStatus(offer.customer.token, offer.code)).toBe('REDEEMED');
  });

  it('locks for 300 seconds by default, and only for 10 to 3600', async () => {
    const offer = await boughtOffer();
    for (const ttlSeconds of [9, 3601, -1]) {
      const res = await lock(offer.code, 'basket', ttlSeconds);
      expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    }
    expect(await walletStatus(offer.customer.token, offer.code)).toBe('ISSUED');

    const before = t.clock.now().getTime();
    const locked = ok(await lock(offer.code, 'basket', null)).lockOffer.issuedOffer!;
    const ttl = new Date(locked.lockExpiresAt!).getTime() - before;
    expect(ttl).toBeGreaterThanOrEqual(300 * SECOND);
    expect(ttl).toBeLessThan(305 * SECOND);
    expect(ok(await lock(offer.code, 'basket', 3600)).lockOffer.issuedOffer!.status).toBe('LOCKED');
    expect(ok(await lock(offer.code, 'basket', 10)).lockOffer.issuedOffer!.status).toBe('LOCKED');
  });

  it('a lock held by basket A refuses basket B until it expires; then B redeems it', async () => {
    const offer = await boughtOffer();
    ok(await lock(offer.code, 'A', 30));

    expect(refusal(await lock(offer.code, 'B'))).toEqual(['LOCK_HELD']);
    expect(refusal(await redeem(offer.code, 'B'))).toEqual(['LOCK_HELD']);
    expect(refusal(await redeem(offer.code))).toEqual(['LOCK_HELD']);
    expect(refusal(await release(offer.code, 'B'))).toEqual(['LOCK_NOT_HELD']);
    // A lock belongs to one partner's basket: another vendor using the same basket name does not hold it.
    expect(refusal(await redeem(offer.code, 'A', null, otherVendor))).toEqual(['LOCK_HELD']);
    expect(refusal(await release(offer.code, 'A', otherVendor))).toEqual(['LOCK_NOT_HELD']);
    expect(await walletStatus(offer.customer.token, offer.code)).toBe('LOCKED');

    t.clock.advance(31 * SECOND);
    // Visible at once, before any sweeper has run.
    expect(await walletStatus(offer.customer.token, offer.code)).toBe('ISSUED');
    expect(ok(await lock(offer.code, 'B', 60)).lockOffer.issuedOffer!.status).toBe('LOCKED');
    expect(refusal(await redeem(offer.code, 'A'))).toEqual(['LOCK_HELD']);
    expect(ok(await redeem(offer.code, 'B')).redeemOffer.issuedOffer!.status).toBe('REDEEMED');
    // Refusals changed nothing and announced nothing.
    expect(await walletChanges(offer.customer.externalId)).toEqual(['ISSUED', 'LOCKED', 'LOCKED', 'REDEEMED']);
  });

  it('two tills redeeming one offer at once: exactly one succeeds', async () => {
    const offer = await boughtOffer();
    const results = await Promise.all([redeem(offer.code, null, 'till-1-sale'), redeem(offer.code, null, 'till-2-sale', otherVendor)]);
    const outcomes = results.map((r) => dataOf(r).redeemOffer);
    expect(outcomes.filter((o) => o.issuedOffer?.status === 'REDEEMED')).toHaveLength(1);
    expect(outcomes.filter((o) => !o.issuedOffer).map((o) => o.userErrors[0].code)).toEqual(['OFFER_NOT_REDEEMABLE']);
    expect(await walletChanges(offer.customer.externalId)).toEqual(['ISSUED', 'REDEEMED']);
  });

  it('20 redemptions at once, with and without the lock: one redemption, ever', async () => {
    const issued = await boughtOffer();
    const atOnce = (await Promise.all(Array.from({ length: 20 }, (_, i) => redeem(issued.code, null, `sale-${i}`)))).map((r) => dataOf(r).redeemOffer);
    expect(atOnce.filter((o) => o.issuedOffer)).toHaveLength(1);
    expect(atOnce.filter((o) => !o.issuedOffer).map((o) => o.userErrors[0].code)).toEqual(Array(19).fill('OFFER_NOT_REDEEMABLE'));

    const locked = await boughtOffer();
    ok(await lock(locked.code, 'basket-7'));
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => redeem(locked.code, `basket-${i}`, `sale-${i}`)));
    const outcomes = results.map((r) => dataOf(r).redeemOffer);
    const winners = outcomes.filter((o) => o.issuedOffer);
    expect(winners).toHaveLength(1);
    expect(outcomes.indexOf(winners[0])).toBe(7);
    for (const o of outcomes.filter((o) => !o.issuedOffer)) expect(['OFFER_NOT_REDEEMABLE', 'LOCK_HELD']).toContain(o.userErrors[0].code);

    for (const offer of [issued, locked]) {
      expect(await walletStatus(offer.customer.token, offer.code)).toBe('REDEEMED');
      expect((await walletChanges(offer.customer.externalId)).filter((c) => c === 'REDEEMED')).toHaveLength(1);
    }
  });

  it('20 baskets locking one offer at once: one holds it, the others are told LOCK_HELD', async () => {
    const offer = await boughtOffer();
    const outcomes = (await Promise.all(Array.from({ length: 20 }, (_, i) => lock(offer.code, `basket-${i}`)))).map((r) => dataOf(r).lockOffer);
    expect(outcomes.filter((o) => o.issuedOffer?.status === 'LOCKED')).toHaveLength(1);
    expect(outcomes.filter((o) => !o.issuedOffer).map((o) => o.userErrors[0].code)).toEqual(Array(19).fill('LOCK_HELD'));
  });

  it('unknown and voided codes are OFFER_NOT_REDEEMABLE, with one answer for both', async () => {
    const unknown = await redeem('ZZZZ-ZZZZ-ZZZZ');
    expect(dataOf(unknown).redeemOffer).toMatchObject({ issuedOffer: null, userErrors: [{ code: 'OFFER_NOT_REDEEMABLE', field: ['input', 'code'] }] });
    expect(refusal(await lock('ZZZZ-ZZZZ-ZZZZ', 'basket'))).toEqual(['OFFER_NOT_REDEEMABLE']);

    const plain = await boughtOffer();
    const locked = await boughtOffer();
    const used = await boughtOffer();
    ok(await lock(locked.code, 'basket'));
    ok(await redeem(used.code));
    const outcome = await t.orm.em
      .fork()
      .transactional(async (em) => voidLockedOffers(em, await lockOffersToVoid(em, [plain.dbId, locked.dbId, used.dbId, 999_999_999], t.clock.now()), t.clock.now()));
    expect({ ...outcome, voided: [...outcome.voided].sort((a, b) => a - b) }).toEqual({ voided: [plain.dbId, locked.dbId].sort((a, b) => a - b), alreadyRedeemed: [used.dbId] });

    for (const offer of [plain, locked]) {
      expect(await walletStatus(offer.customer.token, offer.code)).toBe('VOIDED');
      expect(refusal(await lock(offer.code, 'basket'))).toEqual(['OFFER_NOT_REDEEMABLE']);
      const res = dataOf(await redeem(offer.code, 'basket')).redeemOffer;
      expect(res.userErrors).toEqual(dataOf(unknown).redeemOffer.userErrors);
    }
    expect(await walletStatus(used.customer.token, used.code)).toBe('REDEEMED');
    expect(await walletChanges(locked.customer.externalId)).toEqual(['ISSUED', 'LOCKED', 'VOIDED']);
  });

  it('a till redeeming again a code it redeemed is told when it did and how a retry gets the first answer; others learn nothing', async () => {
    const named = await boughtOffer();
    const bare = await boughtOffer();
    ok(await lock(named.code, 'basket-r'));
    const first = ok(await redeem(named.code, 'basket-r', 'sale-r1')).redeemOffer.issuedOffer!;
    ok(await redeem(bare.code));

    // The same till without the sale's reference (a retry after a lost answer that forgot it).
    const again = dataOf(await redeem(named.code, 'basket-r')).redeemOffer;
    expect(again.issuedOffer).toBeNull();
    expect(again.userErrors).toEqual([
      {
        code: 'OFFER_NOT_REDEEMABLE',
        field: ['input', 'code'],
        message: `Your till already redeemed this offer code at ${new Date(first.redeemedAt!).toISOString()}, for the sale "sale-r1". It is not redeemed twice; a retry that names the same transactionExternalId gets the first answer.`,
      },
    ]);
    expect(dataOf(await redeem(bare.code, null, 'sale-r2')).redeemOffer.userErrors[0].message).toMatch(/^Your till already redeemed this offer code at .*, with RedeemOffer naming no sale \(no transactionExternalId\)\./);

    // Another partner gets the answer an unknown code gets: a code cannot be probed.
    const unknown = dataOf(await redeem('ZZZZ-ZZZZ-ZZZZ', null, null, otherVendor)).redeemOffer.userErrors;
    expect(dataOf(await redeem(named.code, 'basket-r', null, otherVendor)).redeemOffer.userErrors).toEqual(unknown);
    expect(dataOf(await redeem(bare.code, null, null, otherVendor)).redeemOffer.userErrors).toEqual(unknown);
    expect(await walletChanges(named.customer.externalId)).toEqual(['ISSUED', 'LOCKED', 'REDEEMED']);
  });

  it('a till locking a code it redeemed itself is told when and for which sale; others learn nothing (newcomer-19)', async () => {
    const offer = await boughtOffer();
    ok(await lock(offer.code, 'basket-l'));
    const first = ok(await redeem(offer.code, 'basket-l', 'sale-l1')).redeemOffer.issuedOffer!;

    // The customer shows the used code again at the next basket.
    const again = dataOf(await lock(offer.code, 'basket-l2')).lockOffer;
    expect(again).toEqual({
      issuedOffer: null,
      userErrors: [
        {
          code: 'OFFER_NOT_REDEEMABLE',
          field: ['input', 'code'],
          message: `Your till already redeemed this offer code at ${new Date(first.redeemedAt!).toISOString()}, for the sale "sale-l1". A redeemed code cannot be locked again.`,
        },
      ],
    });
    // Another partner gets the answer an unknown code gets.
    expect(dataOf(await lock(offer.code, 'basket-l2', null, otherVendor)).lockOffer).toEqual(dataOf(await lock('ZZZZ-ZZZZ-ZZZZ', 'basket-l2', null, otherVendor)).lockOffer);
    expect(await walletChanges(offer.customer.externalId)).toEqual(['ISSUED', 'LOCKED', 'REDEEMED']);
  });

  it('redeeming a locked code without a lockId is told to send the one it was locked with; another lockId still reads as another basket (newcomer-19)', async () => {
    const offer = await boughtOffer();
    const until = new Date(ok(await lock(offer.code, 'basket-n')).lockOffer.issuedOffer!.lockExpiresAt!).toISOString();
    expect(dataOf(await redeem(offer.code)).redeemOffer.userErrors).toEqual([
      {
        code: 'LOCK_HELD',
        field: ['input', 'lockId'],
        message: `A basket holds this offer locked until ${until} and this request names no lockId: send the lockId it was locked with (LockOffer).`,
      },
    ]);
    expect(dataOf(await redeem(offer.code, 'basket-other')).redeemOffer.userErrors).toEqual([{ code: 'LOCK_HELD', field: ['input', 'lockId'], message: anotherBasketHolds(until) }]);
    expect(ok(await redeem(offer.code, 'basket-n')).redeemOffer.issuedOffer!.status).toBe('REDEEMED');
  });

  it("another partner's till redeeming a code locked elsewhere, with no lockId, reads as another basket, not as its own forgotten lock (break-19)", async () => {
    const offer = await boughtOffer();
    const until = new Date(ok(await lock(offer.code, 'basket-f')).lockOffer.issuedOffer!.lockExpiresAt!).toISOString();
    // It never locked the code: "send the lockId it was locked with" sent it looking for a basket of its own.
    expect(dataOf(await redeem(offer.code, null, null, otherVendor)).redeemOffer.userErrors).toEqual([{ code: 'LOCK_HELD', field: ['input', 'lockId'], message: anotherBasketHolds(until) }]);
    expect(dataOf(await redeem(offer.code, null, null, otherVendor)).redeemOffer.userErrors).toEqual(dataOf(await redeem(offer.code, 'basket-x', null, otherVendor)).redeemOffer.userErrors);
    expect(ok(await redeem(offer.code, 'basket-f')).redeemOffer.issuedOffer!.status).toBe('REDEEMED');
  });

  it('partners need offers:redeem; customers and staff cannot work the till', async () => {
    const offer = await boughtOffer();
    const reader = await createPartner(['customers:read', 'transactions:write']);
    for (const credential of [{ apiKey: reader.apiKey }, offer.customer.token, t.operatorToken, t.analystToken]) {
      for (const res of [
        await t.gql(LockOfferDocument, { code: offer.code, lockId: 'x' }, credential),
        await t.gql(RedeemOfferDocument, { code: offer.code }, credential),
        await t.gql(ReleaseOfferDocument, { code: offer.code, lockId: 'x' }, credential),
      ]) {
        expect(res.errors?.[0].extensions?.code).toBe('FORBIDDEN');
        expect(res.data ?? null).toBeNull();
      }
    }
    const anonymous = await t.gql(RedeemOfferDocument, { code: offer.code });
    expect([anonymous.status, anonymous.errors?.[0].extensions?.code]).toEqual([401, 'UNAUTHENTICATED']);
    expect(await walletStatus(offer.customer.token, offer.code)).toBe('ISSUED');
  });

  it('redeemIssuedOffer (for sales) refuses another customer\'s offer and redeems the customer\'s own', async () => {
    const offer = await boughtOffer();
    const stranger = await createCustomer(t, shop.currency);
    const request = { code: offer.code, lockId: null, partnerId: till.partnerId, transactionRef: 'sale-x', now: t.clock.now() };

    const foreign = t.orm.em.fork().transactional((em) => redeemIssuedOffer(em, { ...request, customerId: fromGlobalId(stranger.id, 'Customer', 'id') }));
    await expect(foreign).rejects.toBeInstanceOf(UserErrorException);
    await expect(foreign).rejects.toMatchObject({ code: 'OFFER_NOT_REDEEMABLE' });
    expect(await walletStatus(offer.customer.token, offer.code)).toBe('ISSUED');

    const own = await t.orm.em.fork().transactional((em) => redeemIssuedOffer(em, { ...request, customerId: fromGlobalId(offer.customer.id, 'Customer', 'id') }));
    expect(own).toMatchObject({ id: offer.dbId, code: offer.code, status: 'REDEEMED', offer: { versionId: fromGlobalId(shop.offer.id, 'OfferVersion', 'id'), name: offer.offer.name } });
    expect(await walletStatus(offer.customer.token, offer.code)).toBe('REDEEMED');
  });

  // The tests below move the clock by weeks; they run last.

  it('an offer past its expiry is EXPIRED and cannot be locked or redeemed; a lock never outlives it', async () => {
    const offer = await boughtOffer();
    const expiresAt = new Date(offer.expiresAt!).getTime();
    t.clock.advance(expiresAt - t.clock.now().getTime() - 60 * SECOND);
    const locked = ok(await lock(offer.code, 'basket', 300)).lockOffer.issuedOffer!;
    expect(new Date(locked.lockExpiresAt!).getTime()).toBe(expiresAt);

    t.clock.advance(61 * SECOND);
    expect(await walletStatus(offer.customer.token, offer.code)).toBe('EXPIRED');
    expect(refusal(await redeem(offer.code, 'basket'))).toEqual(['OFFER_NOT_REDEEMABLE']);
    expect(refusal(await lock(offer.code, 'basket'))).toEqual(['OFFER_NOT_REDEEMABLE']);
    expect(refusal(await release(offer.code, 'basket'))).toEqual(['LOCK_NOT_HELD']);
  });

  it('the sweeper writes expired offers and locks down, once, with their events', async () => {
    const expiring = await boughtOffer();
    t.clock.advance(30 * DAY - 10 * 60 * SECOND);
    const lapsedLock = await boughtOffer();
    const liveLock = await boughtOffer();
    ok(await lock(lapsedLock.code, 'basket', 60));
    ok(await lock(liveLock.code, 'basket', 3600));
    t.clock.advance(11 * 60 * SECOND);

    const stored = async () =>
      Object.fromEntries(
        (await t.sql<{ id: number; status: string; lock_id: string | null }>(`select id, status, lock_id from issued_offer where id = any($1::bigint[])`, [
          [expiring.dbId, lapsedLock.dbId, liveLock.dbId],
        ])).map((r) => [r.id, [r.status, r.lock_id]]),
      );
    const seen = async () => [
      await walletStatus(expiring.customer.token, expiring.code),
      await walletStatus(lapsedLock.customer.token, lapsedLock.code),
      await walletStatus(liveLock.customer.token, liveLock.code),
    ];
    // Readers see the truth already; the rows still say what was last written.
    expect(await seen()).toEqual(['EXPIRED', 'ISSUED', 'LOCKED']);
    expect(await stored()).toEqual({ [expiring.dbId]: ['ISSUED', null], [lapsedLock.dbId]: ['LOCKED', 'basket'], [liveLock.dbId]: ['LOCKED', 'basket'] });

    const sweeps = () => t.sql<{ kind: string; status: string }>(`select kind, status from job where kind = 'wallet.sweep' order by id`);
    expect(await t.jobs.scheduler.tick()).toBeGreaterThanOrEqual(1);
    expect(await t.jobs.scheduler.tick()).toBe(0); // one run per minute, however often instances tick
    await t.jobs.runner.runUntilIdle();
    expect(await sweeps()).toEqual([{ kind: 'wallet.sweep', status: 'DONE' }]);

    expect(await stored()).toEqual({ [expiring.dbId]: ['EXPIRED', null], [lapsedLock.dbId]: ['ISSUED', null], [liveLock.dbId]: ['LOCKED', 'basket'] });
    expect(await seen()).toEqual(['EXPIRED', 'ISSUED', 'LOCKED']);
    expect(await walletChanges(expiring.customer.externalId)).toEqual(['ISSUED', 'EXPIRED']);
    expect(await walletChanges(lapsedLock.customer.externalId)).toEqual(['ISSUED', 'LOCKED', 'LOCK_EXPIRED']);
    expect(await walletChanges(liveLock.customer.externalId)).toEqual(['ISSUED', 'LOCKED']);

    // The next minute's sweep finds nothing more to write for them.
    t.clock.advance(60 * SECOND);
    await t.jobs.scheduler.tick();
    await t.jobs.runner.runUntilIdle();
    expect(await sweeps()).toEqual([{ kind: 'wallet.sweep', status: 'DONE' }, { kind: 'wallet.sweep', status: 'DONE' }]);
    expect(await walletChanges(expiring.customer.externalId)).toEqual(['ISSUED', 'EXPIRED']);
    expect(await walletChanges(lapsedLock.customer.externalId)).toEqual(['ISSUED', 'LOCKED', 'LOCK_EXPIRED']);

    // And the offer whose lock lapsed is the customer's to use again.
    expect(ok(await redeem(lapsedLock.code)).redeemOffer.issuedOffer!.status).toBe('REDEEMED');
  });

  it('revoking a partner gives back the offers its baskets hold: another till may use them at once (hostile-19)', async () => {
    const vendor = await createPartner(['offers:redeem']);
    const held = await boughtOffer();
    const free = await boughtOffer();
    ok(await lock(held.code, 'basket-r', 3600, vendor));
    // Another partner's lock on another offer is left alone.
    ok(await lock(free.code, 'basket-r', 3600, otherVendor));
    ok(await t.gql(`mutation($id: ID!) { revokePartner(input: { partnerId: $id, reason: "contract ended" }) { userErrors { code } } }`, { id: toGlobalId('Partner', vendor.partnerId) }, t.operatorToken));
    // The revoked key can neither redeem nor release it, so until its hour was up no one could use it.
    expect(await walletStatus(held.customer.token, held.code)).toBe('ISSUED');
    expect(refusal(await redeem(held.code, null, null, till))).toEqual([]);
    expect(await walletChanges(held.customer.externalId)).toEqual(['ISSUED', 'LOCKED', 'RELEASED', 'REDEEMED']);
    expect(await walletStatus(free.customer.token, free.code)).toBe('LOCKED');
  });

  it("a revocation racing its partner's locks and another partner's redemptions leaves no offer locked by it, and no internal error (hostile-19)", async () => {
    const vendor = await createPartner(['offers:redeem']);
    const offers = await Promise.all(Array.from({ length: 8 }, () => boughtOffer()));
    const [held, racing] = [offers.slice(0, 4), offers.slice(4)];
    for (const [i, o] of held.entries()) ok(await lock(o.code, `basket-${i}`, 3600, vendor));
    const answers = await Promise.all([
      ...racing.map((o, i) => lock(o.code, `basket-r${i}`, 3600, vendor)),
      ...offers.map((o) => redeem(o.code, null, null, otherVendor)),
      t.gql(`mutation($id: ID!) { revokePartner(input: { partnerId: $id }) { userErrors { code } } }`, { id: toGlobalId('Partner', vendor.partnerId) }, t.operatorToken),
    ]);
    const codes = answers.flatMap((a) => (a.errors ?? []).map((e) => e.extensions?.code));
    expect(codes.filter((c) => c !== 'UNAUTHENTICATED')).toEqual([]);
    const [{ locked }] = await t.sql<{ locked: number }>(`select count(*)::int as locked from issued_offer where status = 'LOCKED' and lock_partner_id = $1`, [vendor.partnerId]);
    expect(locked).toBe(0);
    // What it held before is given back: redeemed by the other till now, or at once after the race.
    for (const o of held) if ((await walletStatus(o.customer.token, o.code)) !== 'REDEEMED') expect(refusal(await redeem(o.code, null, null, otherVendor))).toEqual([]);
  });
});

