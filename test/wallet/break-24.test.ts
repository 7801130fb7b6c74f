import { LockOfferDocument } from '../generated/graphql.js';
import { dataOf, ok } from '../support/gateway.js';
import { brokenInvariants } from '../support/invariants.js';
import { boughtOffer as buyShopOffer, eventually, unique } from '../support/program.js';
import { holdAnswers } from '../support/statements.js';
import { SALE_WITH_NOTICE, tillAtItsClock, type SaleWithNotice } from '../support/till.js';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;

/**
 * break-24: till-24's record of each basket's last lock (issued_offer_lock_end, written by a
 * trigger) read by a till's request that waited for the offer's row while another transaction
 * wrote that record, on the real stack (HTTP with partner keys, embedded PostgreSQL, the clock
 * moved). The other transaction is held after its write, before its commit, so the till's
 * request provably waits on the row.
 */
describe("a basket's last lock read by a till that waited for the row (break-24)", () => {
  const at = tillAtItsClock();
  const boughtOffer = () => buyShopOffer(at.t, at.shop);
  const lock = (code: string, lockId: string, ttlSeconds: number) => at.t.gql(LockOfferDocument, { code, lockId, ttlSeconds }, { apiKey: at.till.apiKey });
  /** Resolves once exactly `n` sessions of the database wait on a lock. */
  const waiting = (n: number) =>
    eventually(async () => Number((await at.t.sql<{ n: string }>(`select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`))[0].n) === n);

  afterEach(async () => expect(await brokenInvariants(at.t)).toEqual([]));

  it("a late sale made under its basket's lock, waiting for the row while the sweep clears that run-out lock, is not told the lock ran out", async () => {
    const o = await boughtOffer();
    const locked = ok(await lock(o.code, 'basket-late', 60)).lockOffer.issuedOffer!;
    const lockEnd = new Date(locked.lockExpiresAt!).getTime();
    at.t.clock.advance(lockEnd + 10 * MINUTE - at.t.clock.now().getTime());
    // The sweep's write of run-out locks has run (the row is its until it commits); its answer is held.
    const sweepHeld = holdAnswers((text) => /set status = 'ISSUED'/.test(text) && /lock_expires_at <=/.test(text) && /skip locked/.test(text));
    const sweeping = at.t.runScheduled();
    await sweepHeld.reached;
    const input = {
      externalId: unique('sale'),
      customerExternalId: o.customer.externalId,
      occurredAt: new Date(lockEnd - 20 * SECOND).toISOString(),
      currency: 'EUR',
      lines: [{ sku: 'LATTE', category: 'COFFEE', quantity: 1, unitPrice: '3.80' }, { sku: 'MUFFIN', quantity: 1, unitPrice: '2.50' }],
      offerCodes: [o.code],
      lockId: 'basket-late',
    };
    const selling = at.t.gql<SaleWithNotice, unknown>(SALE_WITH_NOTICE, { input }, { apiKey: at.till.apiKey });
    await waiting(1);
    sweepHeld.release();
    await sweeping;
    const answer = dataOf(await selling).submitTransaction;
    expect(answer).toEqual({ transaction: { externalId: input.externalId, status: 'RECEIVED', offersApplied: [{ code: o.code, status: 'REDEEMED' }] }, notice: null, userErrors: [] });
  });

  it("a basket locking again while another basket takes over its run-out lock is told its lock ran out, and when", async () => {
    const o = await boughtOffer();
    const first = ok(await lock(o.code, 'basket-a', 10)).lockOffer.issuedOffer!;
    at.t.clock.advance(30 * SECOND);
    // Basket b's lock has written the row (recording a's run-out lock); its answer is held.
    const takeoverHeld = holdAnswers((text) => /with forgotten as/.test(text));
    const takingOver = lock(o.code, 'basket-b', 60);
    await takeoverHeld.reached;
    const again = lock(o.code, 'basket-a', 60);
    await waiting(1);
    takeoverHeld.release();
    expect(dataOf(await takingOver).lockOffer.userErrors).toEqual([]);
    expect(dataOf(await again).lockOffer).toEqual({
      issuedOffer: null,
      userErrors: [
        {
          code: 'LOCK_HELD',
          field: ['input', 'lockId'],
          message: `The lock of basket "basket-a" on this offer code ran out at ${new Date(first.lockExpiresAt!).toISOString()}. Another basket holds this offer now.`,
        },
      ],
    });
  });
});
