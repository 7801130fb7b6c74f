import { LockOfferDocument, RedeemOfferDocument, ReleaseOfferDocument } from '../generated/graphql.js';
import { dataOf, ok } from '../support/gateway.js';
import { brokenInvariants } from '../support/invariants.js';
import { boughtOffer as buyShopOffer, createPartner, eventually, unique } from '../support/program.js';
import { holdAnswers, recordStatements, transactionSent } from '../support/statements.js';
import { ranOutAndHeld, SALE_WITH_NOTICE, tillAtItsClock, type SaleWithNotice } from '../support/till.js';

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
    const takenOver = dataOf(await takingOver).lockOffer;
    expect(takenOver.userErrors).toEqual([]);
    const renewed = dataOf(await takingOverAgain).lockOffer;
    expect(renewed.userErrors).toEqual([]);
    const told = await again;
    expect(told).toEqual({
      issuedOffer: null,
      userErrors: [
        {
          code: 'LOCK_HELD',
          field: ['input', 'lockId'],
          message: ranOutAndHeld('b', theirs.lockExpiresAt!, renewed.issuedOffer!.lockExpiresAt!),
        },
      ],
    });
    expect(await asked(o.code)).toEqual(told);
  });
});

/**
 * The other areas of till-25 tried, on the same real stack, that held: the end instant named in
 * other UTC offsets and at a clock moved onto it, keyed RedeemOffer repeats sent at once, many
 * tills of two partners locking, releasing and redeeming one code beside the lock-expiry sweep, and
 * a refused RedeemOffer's statements whatever the code.
 */
describe('break2-25: what held', () => {
  const at = tillAtItsClock();
  const boughtOffer = () => buyShopOffer(at.t, at.shop);
  const endOf = (offer: { expiresAt?: string | null }) => new Date(offer.expiresAt!).getTime();
  const moveTo = (when: number) => at.t.clock.advance(when - at.t.clock.now().getTime());
  afterEach(async () => expect(await brokenInvariants(at.t)).toEqual([]));

  /** `ms` as an ISO 8601 instant in UTC offset `offsetMinutes` (e.g. +05:45, -09:30). */
  const inOffset = (ms: number, offsetMinutes: number) => {
    const local = new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, 23);
    const sign = offsetMinutes < 0 ? '-' : '+';
    const abs = Math.abs(offsetMinutes);
    return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  };
  const saleOf = (o: Awaited<ReturnType<typeof boughtOffer>>, occurredAt: string) => ({
    externalId: unique('tz'),
    customerExternalId: o.customer.externalId,
    occurredAt,
    currency: 'EUR',
    lines: [{ sku: 'LATTE', category: 'COFFEE', quantity: 1, unitPrice: '3.80' }, { sku: 'MUFFIN', quantity: 1, unitPrice: '2.50' }],
    offerCodes: [o.code],
  });

  it.each([330, 345, -570, 0, 840])('a sale dated at the offer\'s very end in UTC offset %i minutes is refused, one dated a millisecond before is redeemed; a till at the end instant cannot lock or redeem', async (offset) => {
    const [atEnd, before, tillAtEnd] = [await boughtOffer(), await boughtOffer(), await boughtOffer()];
    moveTo(Math.max(endOf(atEnd), endOf(before), endOf(tillAtEnd)) + 1_000);
    const refused = dataOf(await at.t.gql<SaleWithNotice, unknown>(SALE_WITH_NOTICE, { input: saleOf(atEnd, inOffset(endOf(atEnd), offset)) }, { apiKey: at.till.apiKey })).submitTransaction;
    expect(refused.userErrors.map((e) => [e.code, e.field])).toEqual([['OFFER_NOT_REDEEMABLE', ['input', 'offerCodes', '0']]]);
    const taken = dataOf(await at.t.gql<SaleWithNotice, unknown>(SALE_WITH_NOTICE, { input: saleOf(before, inOffset(endOf(before) - 1, offset)) }, { apiKey: at.till.apiKey })).submitTransaction;
    expect(taken.userErrors).toEqual([]);
    expect(taken.transaction!.offersApplied).toEqual([{ code: before.code, status: 'REDEEMED' }]);
    moveTo(endOf(tillAtEnd));
    expect(dataOf(await at.t.gql(LockOfferDocument, { code: tillAtEnd.code, lockId: 'end', ttlSeconds: 60 }, { apiKey: at.till.apiKey })).lockOffer.userErrors.map((e) => e.code)).toEqual(['OFFER_NOT_REDEEMABLE']);
    expect(dataOf(await at.t.gql(RedeemOfferDocument, { code: tillAtEnd.code }, { apiKey: at.till.apiKey })).redeemOffer.userErrors.map((e) => e.code)).toEqual(['OFFER_NOT_REDEEMABLE']);
  });

  it("a refused RedeemOffer runs one sequence of statements whatever the code: unknown, another partner's redeemed or locked one, its own redeemed one", async () => {
    const other = await createPartner(at.t, ['offers:redeem']);
    const [theirsRedeemed, mineRedeemed, theirsLocked] = [await boughtOffer(), await boughtOffer(), await boughtOffer()];
    ok(await at.t.gql(RedeemOfferDocument, { code: theirsRedeemed.code, transactionExternalId: 'o-1' }, { apiKey: other.apiKey }));
    ok(await at.t.gql(RedeemOfferDocument, { code: mineRedeemed.code, transactionExternalId: 'm-1' }, { apiKey: at.till.apiKey }));
    ok(await at.t.gql(LockOfferDocument, { code: theirsLocked.code, lockId: 'x', ttlSeconds: 60 }, { apiKey: other.apiKey }));
    const cases: [string, string][] = [
      ['ZZZZ-ZZZZ-ZZZZ', 'OFFER_NOT_REDEEMABLE'],
      [theirsRedeemed.code, 'OFFER_NOT_REDEEMABLE'],
      [mineRedeemed.code, 'OFFER_NOT_REDEEMABLE'],
      [theirsLocked.code, 'LOCK_HELD'],
    ];
    await at.t.gql(RedeemOfferDocument, { code: 'ZZZZ-ZZZZ-ZZZY', lockId: 'b', transactionExternalId: 'warm' }, { apiKey: at.till.apiKey });
    const recorder = recordStatements();
    try {
      const seen = [];
      for (const [code] of cases) {
        recorder.take();
        const answer = dataOf(await at.t.gql(RedeemOfferDocument, { code, lockId: 'b', transactionExternalId: 'm-2' }, { apiKey: at.till.apiKey })).redeemOffer;
        seen.push({ sent: transactionSent(recorder.take()).join(' '), code: answer.userErrors.map((e) => e.code) });
      }
      expect(seen.map((x) => x.code)).toEqual(cases.map(([, c]) => [c]));
      expect(new Set(seen.map((x) => x.sent))).toEqual(new Set([seen[0].sent]));
    } finally {
      recorder.stop();
    }
  });

  it('keyed RedeemOffer repeats sent at once answer what the first did, notice included, and redeem once', async () => {
    const o = await boughtOffer();
    ok(await at.t.gql(LockOfferDocument, { code: o.code, lockId: 'r', ttlSeconds: 10 }, { apiKey: at.till.apiKey }));
    at.t.clock.advance(30 * SECOND);
    const send = () => at.t.gql<{ redeemOffer: { issuedOffer: { code: string; status: string; redeemedAt: string } | null; notice: string | null; userErrors: unknown[] } }, unknown>(
      `mutation($input: RedeemOfferInput!) { redeemOffer(input: $input) { issuedOffer { code status redeemedAt } notice userErrors { code field message } } }`,
      { input: { code: o.code, lockId: 'r', transactionExternalId: 'same-sale' } },
      { apiKey: at.till.apiKey },
    );
    const answers = (await Promise.all(Array.from({ length: 8 }, send))).map((a) => dataOf(a).redeemOffer);
    expect(answers[0].userErrors).toEqual([]);
    expect(answers[0].notice).toMatch(/^The lock of basket "r" on this offer code ran out at .* No other basket had taken the code/);
    for (const a of answers) expect(a).toEqual(answers[0]);
    expect(dataOf(await send()).redeemOffer).toEqual(answers[0]);
    const [{ n }] = await at.t.sql<{ n: number }>(`select count(*)::int as n from outbox_event where payload->>'change' = 'REDEEMED' and (payload->>'issuedOfferId')::bigint = $1`, [o.dbId]);
    expect(n).toBe(1);
  });

  it('many tills of two partners locking, releasing and redeeming one code beside the lock-expiry sweep: one redemption, and every basket of the redeeming partner is told of it', async () => {
    const other = await createPartner(at.t, ['offers:redeem']);
    const keys = [at.till.apiKey, other.apiKey];
    for (let round = 0; round < 3; round++) {
      const o = await boughtOffer();
      const ops: Promise<unknown>[] = [];
      for (let i = 0; i < 12; i++) {
        const apiKey = keys[i % 2];
        const lockId = `k${i}`;
        ops.push(
          (async () => {
            await at.t.gql(LockOfferDocument, { code: o.code, lockId, ttlSeconds: 10 }, { apiKey });
            if (i % 3 === 0) await at.t.gql(ReleaseOfferDocument, { code: o.code, lockId }, { apiKey });
            if (i % 4 === 1) await at.t.gql(RedeemOfferDocument, { code: o.code, lockId, transactionExternalId: `s-${round}-${i}` }, { apiKey });
          })(),
        );
      }
      ops.push((async () => { at.t.clock.advance(15 * SECOND); await at.t.runScheduled(); })());
      await Promise.all(ops);
      const [row] = await at.t.sql<{ status: string; ref: string | null; rows: number; events: number }>(
        `select io.status, io.redemption_ref as ref,
                (select count(*)::int from issued_offer_lock_end e where e.issued_offer_id = io.id and e.partner_id = io.redeemed_by_partner_id) as rows,
                (select count(*)::int from outbox_event v where v.payload->>'change' = 'REDEEMED' and (v.payload->>'issuedOfferId')::bigint = io.id) as events
           from issued_offer io where io.id = $1`,
        [o.dbId],
      );
      expect(row.events).toBe(row.status === 'REDEEMED' ? 1 : 0);
      expect(row.rows).toBe(0);
      if (row.status !== 'REDEEMED') continue;
      // Every basket of the redeeming partner is told of the redemption; the other partner's, never.
      const redeemerKey = keys[Number(row.ref!.split('-')[2]) % 2];
      for (let i = 0; i < 12; i++) {
        const told = dataOf(await at.t.gql(ReleaseOfferDocument, { code: o.code, lockId: `k${i}` }, { apiKey: keys[i % 2] })).releaseOffer;
        expect(told.issuedOffer).toBeNull();
        const message = told.userErrors[0].message;
        if (keys[i % 2] === redeemerKey) expect(message).toMatch(/^Your till already redeemed this offer code at .*"s-\d+-\d+"\. A redeemed code holds no lock/);
        else expect(message).not.toMatch(/redeemed/);
      }
    }
  });
});
