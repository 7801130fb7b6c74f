import { LockOfferDocument, RedeemOfferDocument, ReleaseOfferDocument } from '../generated/graphql.js';
import { dataOf, ok } from '../support/gateway.js';
import { brokenInvariants } from '../support/invariants.js';
import { boughtOffer as buyShopOffer, createPartner, eventually } from '../support/program.js';
import { holdAnswers } from '../support/statements.js';
import { tillAtItsClock } from '../support/till.js';

const SECOND = 1_000;

/**
 * break2-25: till-25's refused release answered from the one statement that locks the offer's row.
 * That statement, when it waited for the row, reads the row as the last writer committed it but
 * `issued_offer_lock_end` as it was before its wait. With two writers queued ahead of it (the first
 * records this basket's run-out lock, the second displaces that record from the row), the basket's
 * row in the table is seen by neither read, and its till was told "no lock" instead of when its lock
 * ran out. On the real stack (HTTP with partner keys, embedded PostgreSQL, the clock moved, writers
 * held after their write and before their commit, so the requests provably queue on the row). The
 * ledger's invariants are checked after each.
 */
describe("break2-25: a refused release or lock queued behind two writers of the offer's row", () => {
  const at = tillAtItsClock();
  const boughtOffer = () => buyShopOffer(at.t, at.shop);
  const lock = (code: string, lockId: string, ttlSeconds: number, apiKey = at.till.apiKey) => at.t.gql(LockOfferDocument, { code, lockId, ttlSeconds }, { apiKey });
  const release = (code: string, lockId: string, apiKey = at.till.apiKey) => at.t.gql(ReleaseOfferDocument, { code, lockId }, { apiKey });
  /** Resolves once exactly `n` sessions of the database wait on a lock. */
  const waiting = (n: number) =>
    eventually(async () => Number((await at.t.sql<{ n: string }>(`select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`))[0].n) === n);

  afterEach(async () => expect(await brokenInvariants(at.t)).toEqual([]));

  it("another partner's basket whose lock ran out is told so by its release, queued behind the takeover that recorded it and a release that displaced it", async () => {
    const other = await createPartner(at.t, ['offers:redeem']);
    const o = await boughtOffer();
    const theirs = ok(await lock(o.code, 'b', 10, other.apiKey)).lockOffer.issuedOffer!;
    at.t.clock.advance(30 * SECOND);
    // The till's basket c takes the code over (recording b's run-out lock on the row and in the table); its answer is held.
    const takeoverHeld = holdAnswers((text) => /with forgotten as/.test(text));
    const takingOver = lock(o.code, 'c', 60);
    await takeoverHeld.reached;
    // Queued behind it: c's release (which displaces b's record from the row), then b's release.
    const releasingC = release(o.code, 'c');
    await waiting(1);
    const releasingB = release(o.code, 'b', other.apiKey);
    await waiting(2);
    takeoverHeld.release();
    expect(dataOf(await takingOver).lockOffer.userErrors).toEqual([]);
    expect(dataOf(await releasingC).releaseOffer.userErrors).toEqual([]);
    const told = dataOf(await releasingB).releaseOffer;
    expect(told).toEqual({
      issuedOffer: null,
      userErrors: [
        {
          code: 'LOCK_NOT_HELD',
          field: ['input', 'lockId'],
          message: `The lock of basket "b" on this offer code ran out at ${new Date(theirs.lockExpiresAt!).toISOString()}. There is no lock left to release.`,
        },
      ],
    });
    // Sent again with nothing in flight: the same.
    expect(dataOf(await release(o.code, 'b', other.apiKey)).releaseOffer).toEqual(told);
  });

  it.each(['LockOffer', 'RedeemOffer'] as const)("a basket's %s, queued behind the takeover that recorded its run-out lock and a second takeover, is told its lock ran out, and when", async (operation) => {
    const asked = async (code: string) =>
      operation === 'LockOffer'
        ? dataOf(await lock(code, 'b', 60, other.apiKey)).lockOffer
        : dataOf(await at.t.gql(RedeemOfferDocument, { code, lockId: 'b', transactionExternalId: 'sale-b' }, { apiKey: other.apiKey })).redeemOffer;
    const other = await createPartner(at.t, ['offers:redeem']);
    const o = await boughtOffer();
    const theirs = ok(await lock(o.code, 'b', 10, other.apiKey)).lockOffer.issuedOffer!;
    at.t.clock.advance(30 * SECOND);
    const takeoverHeld = holdAnswers((text) => /with forgotten as/.test(text));
    const takingOver = lock(o.code, 'c', 10);
    await takeoverHeld.reached;
    // By the time the next basket's lock is sent, c's lock ran out too: d takes it over, displacing b's record from the row.
    at.t.clock.advance(30 * SECOND);
    const takingOverAgain = lock(o.code, 'd', 60);
    await waiting(1);
    const again = asked(o.code);
    await waiting(2);
    takeoverHeld.release();
    expect(dataOf(await takingOver).lockOffer.userErrors).toEqual([]);
    expect(dataOf(await takingOverAgain).lockOffer.userErrors).toEqual([]);
    const told = await again;
    expect(told).toEqual({
      issuedOffer: null,
      userErrors: [
        {
          code: 'LOCK_HELD',
          field: ['input', 'lockId'],
          message: `The lock of basket "b" on this offer code ran out at ${new Date(theirs.lockExpiresAt!).toISOString()}. Another basket holds this offer now.`,
        },
      ],
    });
    expect(await asked(o.code)).toEqual(told);
  });
});
