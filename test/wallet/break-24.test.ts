import { Migration20261203120000 } from '../../migrations/Migration20261203120000.js';
import { LockOfferDocument, ReleaseOfferDocument } from '../generated/graphql.js';
import { toGlobalId } from '../../src/graphql/ids.js';
import { dataOf, ok } from '../support/gateway.js';
import { brokenInvariants } from '../support/invariants.js';
import { boughtOffer as buyShopOffer, createPartner, eventually, unique } from '../support/program.js';
import { holdAnswers } from '../support/statements.js';
import { anotherBasketHolds, ranOutAndHeld, SALE_WITH_NOTICE, tillAtItsClock, type SaleWithNotice } from '../support/till.js';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/**
 * break-24: till-24's record of each basket's last lock (issued_offer_lock_end, written by a
 * trigger) read by a till's request that waited for the offer's row while another transaction
 * wrote that record (held after its write, before its commit, so the till's request provably
 * waits on the row; and many baskets of two partners at once), the table's migration taken down
 * and up on a database with locks, and a staff replacement sent with the return of the late sale
 * that used the offer: on the real stack (HTTP with partner keys, embedded PostgreSQL, the clock
 * moved). The ledger's invariants are checked after each.
 */
describe("till-24 under races: each basket's last lock, its migration, a replacement against a late sale's return (break-24)", () => {
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
    const taken = dataOf(await takingOver).lockOffer;
    expect(taken.userErrors).toEqual([]);
    expect(dataOf(await again).lockOffer).toEqual({
      issuedOffer: null,
      userErrors: [
        {
          code: 'LOCK_HELD',
          field: ['input', 'lockId'],
          message: ranOutAndHeld('basket-a', first.lockExpiresAt!, taken.issuedOffer!.lockExpiresAt!),
        },
      ],
    });
  });

  it("many baskets of two partners locking, releasing and letting locks run out on the same codes while the sweep runs: every basket is told how its own last lock ended", async () => {
    const other = await createPartner(at.t, ['offers:redeem', 'transactions:write', 'transactions:read']);
    const tills = [at.till.apiKey, other.apiKey];
    const baskets = [0, 1, 2, 3, 4, 5].map((i) => ({ apiKey: tills[i % 2], lockId: `basket-${i % 3}` }));
    const offers = [await boughtOffer(), await boughtOffer(), await boughtOffer(), await boughtOffer()];
    type Last = { kind: 'released'; at: Date } | { kind: 'ranOut'; at: string } | null;
    const last = offers.map(() => baskets.map((): Last => null));
    for (let round = 0; round < 5; round++) {
      const [, ...perOffer] = await Promise.all([
        at.t.runScheduled(),
        ...offers.map(async (o, oi) => {
          const answers = await Promise.all(baskets.map((b) => at.t.gql(LockOfferDocument, { code: o.code, lockId: b.lockId, ttlSeconds: 10 }, { apiKey: b.apiKey })));
          const won = answers.map((a) => dataOf(a).lockOffer.issuedOffer);
          expect(won.filter(Boolean).length).toBe(1);
          const winner = won.findIndex(Boolean);
          // Each basket that lost is told of its own lock that ran out, and when; the others only that another basket holds it.
          expect(answers.map((a) => dataOf(a).lockOffer.userErrors.map((e) => e.message))).toEqual(
            baskets.map((b, bi) => {
              if (bi === winner) return [];
              const l = last[oi][bi];
              const until = won[winner]!.lockExpiresAt!;
              return [l?.kind === 'ranOut' ? ranOutAndHeld(b.lockId, l.at, until) : anotherBasketHolds(until)];
            }),
          );
          if ((round + oi) % 2 === 0) {
            const b = baskets[winner];
            expect(dataOf(await at.t.gql(ReleaseOfferDocument, { code: o.code, lockId: b.lockId }, { apiKey: b.apiKey })).releaseOffer.userErrors).toEqual([]);
            last[oi][winner] = { kind: 'released', at: at.t.clock.now() };
          } else last[oi][winner] = { kind: 'ranOut', at: won[winner]!.lockExpiresAt! };
          return winner;
        }),
      ]);
      expect(perOffer.length).toBe(offers.length);
      at.t.clock.advance(15 * SECOND);
    }
    await at.t.runScheduled();
    const told = await Promise.all(
      offers.flatMap((o) => baskets.map(async (b) => dataOf(await at.t.gql(ReleaseOfferDocument, { code: o.code, lockId: b.lockId }, { apiKey: b.apiKey })).releaseOffer.userErrors.map((e) => e.message))),
    );
    const expected = offers.flatMap((_, oi) =>
      baskets.map((b, bi) => {
        const l = last[oi][bi];
        if (l === null) return ['This basket holds no lock on this offer.'];
        if (l.kind === 'released') return [`Basket ${JSON.stringify(b.lockId)} already released its lock on this offer code at ${l.at.toISOString()}: there is no lock left to release.`];
        return [`The lock of basket ${JSON.stringify(b.lockId)} on this offer code ran out at ${new Date(l.at).toISOString()}. There is no lock left to release.`];
      }),
    );
    expect(told).toEqual(expected);
  });

  it("a staff replacement sent with the return of the late sale that used the offer: replaced only when the return went first, never while the sale stands", async () => {
    const offers = [];
    for (let i = 0; i < 6; i++) offers.push(await boughtOffer());
    const end = Math.max(...offers.map((o) => new Date(o.expiresAt!).getTime()));
    at.t.clock.advance(end + HOUR - at.t.clock.now().getTime());
    const sales: string[] = [];
    for (const o of offers) {
      const input = {
        externalId: unique('late'),
        customerExternalId: o.customer.externalId,
        occurredAt: new Date(new Date(o.expiresAt!).getTime() - MINUTE).toISOString(),
        currency: 'EUR',
        lines: [{ sku: 'LATTE', category: 'COFFEE', quantity: 1, unitPrice: '3.80' }, { sku: 'MUFFIN', quantity: 1, unitPrice: '2.50' }],
        offerCodes: [o.code],
      };
      expect(dataOf(await at.t.gql<SaleWithNotice, unknown>(SALE_WITH_NOTICE, { input }, { apiKey: at.till.apiKey })).submitTransaction.userErrors).toEqual([]);
      sales.push(input.externalId);
    }
    await at.t.jobs.runner.runUntilIdle();
    const outcomes = await Promise.all(
      offers.map(async (o, i) => {
        const [returned, replaced] = await Promise.all([
          at.t.gql<{ reverseTransaction: { userErrors: unknown[] } }, unknown>(
            `mutation($externalId: String!) { reverseTransaction(input: { externalId: $externalId, reason: "returned" }) { userErrors { code } } }`,
            { externalId: sales[i] },
            { apiKey: at.till.apiKey },
          ),
          at.t.gql<{ issueReplacementOffer: { issuedOffer: { code: string } | null; userErrors: { code: string; message: string }[] } }, unknown>(
            `mutation($input: IssueReplacementOfferInput!) { issueReplacementOffer(input: $input) { issuedOffer { code } userErrors { code message } } }`,
            { input: { issuedOfferId: toGlobalId('IssuedOffer', o.dbId), reason: 'expired before use', idempotencyKey: unique('repl') } },
            at.t.operatorToken,
          ),
        ]);
        expect(dataOf(returned).reverseTransaction.userErrors).toEqual([]);
        const r = dataOf(replaced).issueReplacementOffer;
        // Refused, it names the sale; a replacement that waited for nothing and read the sale returned is issued.
        if (r.issuedOffer === null) expect(r.userErrors.map((e) => [e.code, e.message.startsWith(`This offer was redeemed in sale ${JSON.stringify(sales[i])}`)])).toEqual([['INVALID', true]]);
        const [stored] = await at.t.sql<{ replacements: number; status: string }>(
          `select (select count(*)::int from issued_offer r where r.replaces_id = $1) as replacements, (select status from issued_offer where id = $1) as status`,
          [o.dbId],
        );
        return { replaced: r.issuedOffer !== null, ...stored };
      }),
    );
    for (const o of outcomes) expect([{ replaced: true, replacements: 1, status: 'REDEEMED' }, { replaced: false, replacements: 0, status: 'REDEEMED' }]).toContainEqual(o);
    // Sent again once the returns committed, staff's replacement of each is issued, once.
    for (const [i, o] of offers.entries()) {
      if (outcomes[i].replaced) continue;
      const again = await at.t.gql<{ issueReplacementOffer: { userErrors: unknown[] } }, unknown>(
        `mutation($input: IssueReplacementOfferInput!) { issueReplacementOffer(input: $input) { userErrors { code } } }`,
        { input: { issuedOfferId: toGlobalId('IssuedOffer', o.dbId), reason: 'expired before use', idempotencyKey: unique('repl') } },
        at.t.operatorToken,
      );
      expect(dataOf(again).issueReplacementOffer.userErrors).toEqual([]);
    }
  });

  it("RedeemOffer sent again with its transactionExternalId after a lost answer is answered with the first answer's notice", async () => {
    const REDEEM = `mutation($code: String!, $lockId: String, $ref: String) {
      redeemOffer(input: { code: $code, lockId: $lockId, transactionExternalId: $ref }) { issuedOffer { code status } notice userErrors { code message } }
    }`;
    const o = await boughtOffer();
    const locked = ok(await lock(o.code, 'basket-r', 10)).lockOffer.issuedOffer!;
    at.t.clock.advance(30 * SECOND);
    const ref = unique('till-sale');
    const send = async () => dataOf(await at.t.gql<{ redeemOffer: unknown }, unknown>(REDEEM, { code: o.code, lockId: 'basket-r', ref }, { apiKey: at.till.apiKey })).redeemOffer;
    const first = await send();
    expect(first).toEqual({
      issuedOffer: { code: o.code, status: 'REDEEMED' },
      notice: `The lock of basket "basket-r" on this offer code ran out at ${new Date(locked.lockExpiresAt!).toISOString()}. No other basket had taken the code, so it was redeemed as an unlocked code is.`,
      userErrors: [],
    });
    expect(await send()).toEqual(first);
    // A code no basket held: its notice, and the repeat's, say the lockId was not used.
    const unlocked = await boughtOffer();
    const sendUnlocked = async () =>
      dataOf(await at.t.gql<{ redeemOffer: { notice: string | null } }, unknown>(REDEEM, { code: unlocked.code, lockId: 'basket-r', ref }, { apiKey: at.till.apiKey })).redeemOffer.notice;
    const notLocked = 'No basket held a lock on this code, so lockId "basket-r" was not used: an unlocked code is redeemed at once, whatever lockId is sent.';
    expect([await sendUnlocked(), await sendUnlocked()]).toEqual([notLocked, notLocked]);
  });

  it("the lock-end table's migration, taken down and up again on a database with locks, copies in every code's recorded last lock, and the trigger keeps the next ones", async () => {
    const release = (code: string, lockId: string) => at.t.gql(ReleaseOfferDocument, { code, lockId }, { apiKey: at.till.apiKey });
    const [taken, takenOver, relocked] = [await boughtOffer(), await boughtOffer(), await boughtOffer()];
    const ranOut = ok(await lock(taken.code, 'basket-a', 10)).lockOffer.issuedOffer!;
    const takenOverLock = ok(await lock(takenOver.code, 'basket-c', 10)).lockOffer.issuedOffer!;
    await lock(relocked.code, 'basket-d', 60);
    expect(dataOf(await release(relocked.code, 'basket-d')).releaseOffer.userErrors).toEqual([]);
    at.t.clock.advance(30 * SECOND);
    // Basket c's run-out lock is recorded by basket g's lock (whose own runs out before the end).
    await lock(takenOver.code, 'basket-g', 10);
    await lock(taken.code, 'basket-b', 60);
    const releasedAt = at.t.clock.now();
    expect(dataOf(await release(taken.code, 'basket-b')).releaseOffer.userErrors).toEqual([]);
    await lock(relocked.code, 'basket-d', 60);
    const ids = [taken.dbId, takenOver.dbId, relocked.dbId];
    const rows = () =>
      at.t.sql<{ id: number; lockId: string; endedAt: Date; ranOut: boolean }>(
        `select issued_offer_id::int as id, lock_id as "lockId", ended_at as "endedAt", ran_out as "ranOut" from issued_offer_lock_end where issued_offer_id = any($1) order by 1, 2`,
        [ids],
      );
    expect(await rows()).toEqual([
      { id: taken.dbId, lockId: 'basket-a', endedAt: new Date(ranOut.lockExpiresAt!), ranOut: true },
      { id: taken.dbId, lockId: 'basket-b', endedAt: releasedAt, ranOut: false },
      { id: takenOver.dbId, lockId: 'basket-c', endedAt: new Date(takenOverLock.lockExpiresAt!), ranOut: true },
    ]);
    const statements = (part: 'up' | 'down') => {
      const sent: string[] = [];
      const migration = Object.assign(Object.create(Migration20261203120000.prototype) as Migration20261203120000, { addSql: (s: string) => void sent.push(s) });
      void migration[part]();
      return sent;
    };
    for (const s of statements('down')) await at.t.sql(s);
    expect((await at.t.sql<{ table: string | null }>(`select to_regclass('issued_offer_lock_end')::text as table`))[0].table).toBeNull();
    for (const s of statements('up')) await at.t.sql(s);
    // Each code's recorded last lock is copied in (basket a's, before basket b's, was never stored before the table).
    expect(await rows()).toEqual([
      { id: taken.dbId, lockId: 'basket-b', endedAt: releasedAt, ranOut: false },
      { id: takenOver.dbId, lockId: 'basket-c', endedAt: new Date(takenOverLock.lockExpiresAt!), ranOut: true },
    ]);
    expect(dataOf(await release(takenOver.code, 'basket-c')).releaseOffer.userErrors.map((e) => e.message)).toEqual([
      `The lock of basket "basket-c" on this offer code ran out at ${new Date(takenOverLock.lockExpiresAt!).toISOString()}. There is no lock left to release.`,
    ]);
    // The trigger keeps what comes next: basket e's lock runs out and basket f takes the code over.
    at.t.clock.advance(30 * SECOND);
    const next = ok(await lock(takenOver.code, 'basket-e', 10)).lockOffer.issuedOffer!;
    at.t.clock.advance(30 * SECOND);
    await lock(takenOver.code, 'basket-f', 60);
    expect(dataOf(await release(takenOver.code, 'basket-e')).releaseOffer.userErrors.map((e) => e.message)).toEqual([
      `The lock of basket "basket-e" on this offer code ran out at ${new Date(next.lockExpiresAt!).toISOString()}. There is no lock left to release.`,
    ]);
  });
});
