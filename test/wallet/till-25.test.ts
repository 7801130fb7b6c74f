import { Migration20261203140000 } from '../../migrations/Migration20261203140000.js';
import { LockOfferDocument, RedeemOfferDocument, ReleaseOfferDocument, UpsertCustomerDocument } from '../generated/graphql.js';
import { toGlobalId } from '../../src/graphql/ids.js';
import { dataOf, ok } from '../support/gateway.js';
import { brokenInvariants } from '../support/invariants.js';
import { boughtOffer as buyShopOffer, createPartner, unique } from '../support/program.js';
import { holdAnswers, recordStatements, transactionSent } from '../support/statements.js';
import { anotherBasketHolds, SALE_WITH_NOTICE, tillAtItsClock, type SaleWithNotice } from '../support/till.js';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

const REPLACE = `mutation($input: IssueReplacementOfferInput!) { issueReplacementOffer(input: $input) { issuedOffer { code } userErrors { code field message } } }`;
type Replaced = { issueReplacementOffer: { issuedOffer: { code: string } | null; userErrors: { code: string; field: string[]; message: string }[] } };

/**
 * till-25, on the real stack (HTTP with partner keys and staff tokens, embedded PostgreSQL, the
 * clock moved, the job runner driven by the test): a late sale whose processing FAILS against a
 * staff replacement of the offer it used (held at the failure's write, and many at once beside
 * sales that are processed), the replacement at the offer's very end, the lock-end rows a
 * redemption makes unreadable, and a refused release's one read. The ledger's invariants
 * (SPEC §5) are checked after each.
 */
describe('till-25: a failed late sale against a replacement, the lock-end rows a redemption ends, a refused release', () => {
  const at = tillAtItsClock();
  const boughtOffer = () => buyShopOffer(at.t, at.shop);
  const moveTo = (when: number) => at.t.clock.advance(when - at.t.clock.now().getTime());
  const endOf = (offer: { expiresAt?: string | null }) => new Date(offer.expiresAt!).getTime();
  afterEach(async () => expect(await brokenInvariants(at.t)).toEqual([]));

  const lateSale = (o: Awaited<ReturnType<typeof boughtOffer>>, occurredAt = endOf(o) - MINUTE) => ({
    externalId: unique('late'),
    customerExternalId: o.customer.externalId,
    occurredAt: new Date(occurredAt).toISOString(),
    currency: 'EUR',
    lines: [{ sku: 'LATTE', category: 'COFFEE', quantity: 1, unitPrice: '3.80' }, { sku: 'MUFFIN', quantity: 1, unitPrice: '2.50' }],
    offerCodes: [o.code],
  });
  const sell = async (input: ReturnType<typeof lateSale>, apiKey = at.till.apiKey) => {
    const answer = dataOf(await at.t.gql<SaleWithNotice, unknown>(SALE_WITH_NOTICE, { input }, { apiKey })).submitTransaction;
    expect(answer.userErrors).toEqual([]);
    return answer;
  };
  const replace = async (dbId: number) =>
    dataOf(
      await at.t.gql<Replaced, unknown>(REPLACE, { input: { issuedOfferId: toGlobalId('IssuedOffer', dbId), reason: 'expired before use', idempotencyKey: unique('repl') } }, at.t.operatorToken),
    ).issueReplacementOffer;
  const suspend = async (externalId: string) => ok(await at.t.gql(UpsertCustomerDocument, { input: { externalId, status: 'SUSPENDED' } }, at.t.operatorToken));
  /** The offer (its status as of now), how many replacements it has, and the status of the sale that redeemed it. */
  const stored = async (dbId: number) =>
    (
      await at.t.sql<{ status: string; replacements: number; sale: string | null }>(
        `select issued_offer_status_at(io.status, io.lock_expires_at, io.expires_at, $2) as status,
                (select count(*)::int from issued_offer r where r.replaces_id = io.id) as replacements,
                (select s.status from transaction_offer t join sales_transaction s on s.id = t.transaction_id where t.issued_offer_id = io.id) as sale
           from issued_offer io where io.id = $1`,
        [dbId, at.t.clock.now()],
      )
    )[0];
  const usedBy = (externalId: string, o: { expiresAt?: string | null }, madeAt = endOf(o) - MINUTE) => ({
    code: 'INVALID',
    field: ['input', 'issuedOfferId'],
    message: `This offer was redeemed in sale ${JSON.stringify(externalId)}, made at ${new Date(madeAt).toISOString()} before the offer's end at ${new Date(endOf(o)).toISOString()} and reported after it: the member had its use, so nothing was replaced.`,
  });

  describe('a late sale whose processing FAILS, and a staff replacement of the offer it used', () => {
    it('is refused while the failure is written but not committed (the sale still stands), and issued once it is', async () => {
      const o = await boughtOffer();
      moveTo(endOf(o) + HOUR);
      const input = lateSale(o);
      await sell(input);
      await suspend(o.customer.externalId);
      // The job has failed and written the sale FAILED; its commit is held.
      const failing = holdAnswers((text) => /update sales_transaction set status = 'FAILED'/.test(text));
      const processing = at.t.jobs.runner.runUntilIdle();
      try {
        await failing.reached;
        expect(await replace(o.dbId)).toEqual({ issuedOffer: null, userErrors: [usedBy(input.externalId, o)] });
      } finally {
        failing.release();
      }
      await processing;
      expect(await stored(o.dbId)).toEqual({ status: 'REDEEMED', replacements: 0, sale: 'FAILED' });
      // Sent again once FAILED committed: the sale's use went for nothing, and the replacement is issued, once.
      expect((await replace(o.dbId)).userErrors).toEqual([]);
      expect((await replace(o.dbId)).userErrors).toEqual([{ code: 'ALREADY_EXISTS', field: ['input', 'issuedOfferId'], message: expect.stringMatching(/^This offer was already replaced, by the offer with code \S+\.$/) }]);
      expect(await stored(o.dbId)).toEqual({ status: 'REDEEMED', replacements: 1, sale: 'FAILED' });
    });

    it('sent at once with the processing of many late sales, half of which fail: never a replacement beside a sale that stands', async () => {
      const offers = [];
      for (let i = 0; i < 10; i++) offers.push(await boughtOffer());
      moveTo(Math.max(...offers.map(endOf)) + HOUR);
      const sales: string[] = [];
      for (const [i, o] of offers.entries()) {
        const input = lateSale(o);
        await sell(input);
        if (i % 2 === 0) await suspend(o.customer.externalId);
        sales.push(input.externalId);
      }
      const [answers] = await Promise.all([Promise.all(offers.map((o) => replace(o.dbId))), at.t.jobs.runner.runUntilIdle()]);
      const outcomes = await Promise.all(
        offers.map(async (o, i) => {
          const a = answers[i];
          // Refused, it names the sale that stood when it read it.
          if (a.issuedOffer === null) expect(a.userErrors).toEqual([usedBy(sales[i], o)]);
          return { failing: i % 2 === 0, replaced: a.issuedOffer !== null, ...(await stored(o.dbId)) };
        }),
      );
      for (const o of outcomes) {
        expect([
          { failing: true, replaced: true, status: 'REDEEMED', replacements: 1, sale: 'FAILED' },
          { failing: true, replaced: false, status: 'REDEEMED', replacements: 0, sale: 'FAILED' },
          { failing: false, replaced: false, status: 'REDEEMED', replacements: 0, sale: 'PROCESSED' },
        ]).toContainEqual(o);
      }
      // Sent again now: issued for each failed sale's offer not replaced yet, refused for each processed one.
      for (const [i, o] of offers.entries()) {
        const again = await replace(o.dbId);
        if (outcomes[i].failing) expect(again.userErrors.map((e) => e.code)).toEqual(outcomes[i].replaced ? ['ALREADY_EXISTS'] : []);
        else expect(again).toEqual({ issuedOffer: null, userErrors: [usedBy(sales[i], o)] });
        expect(await stored(o.dbId)).toEqual({ status: 'REDEEMED', replacements: outcomes[i].failing ? 1 : 0, sale: outcomes[i].failing ? 'FAILED' : 'PROCESSED' });
      }
    });

    it('that reached the gateway at the very instant of the offer\'s end is a late sale too: a replacement while it stands is refused', async () => {
      const o = await boughtOffer();
      // At its end the offer reads EXPIRED (ends are exclusive); a sale made a minute before redeems it.
      moveTo(endOf(o));
      const input = lateSale(o);
      await sell(input);
      expect(await replace(o.dbId)).toEqual({ issuedOffer: null, userErrors: [usedBy(input.externalId, o)] });
      expect(await stored(o.dbId)).toEqual({ status: 'REDEEMED', replacements: 0, sale: 'RECEIVED' });
    });
  });

  describe('the lock-end rows of an offer once it is redeemed', () => {
    const lock = async (code: string, lockId: string, ttlSeconds: number, apiKey = at.till.apiKey) =>
      ok(await at.t.gql(LockOfferDocument, { code, lockId, ttlSeconds }, { apiKey })).lockOffer.issuedOffer!;
    const release = async (code: string, lockId: string, apiKey = at.till.apiKey) =>
      dataOf(await at.t.gql(ReleaseOfferDocument, { code, lockId }, { apiKey })).releaseOffer.userErrors.map((e) => e.message);
    const rows = (dbId: number) =>
      at.t.sql<{ lockId: string; ranOut: boolean }>(`select lock_id as "lockId", ran_out as "ranOut" from issued_offer_lock_end where issued_offer_id = $1 order by lock_id`, [dbId]);
    const statements = (part: 'up' | 'down') => {
      const sent: string[] = [];
      const migration = Object.assign(Object.create(Migration20261203140000.prototype) as Migration20261203140000, { addSql: (s: string) => void sent.push(s) });
      void migration[part]();
      return sent;
    };

    /**
     * Baskets p1-a (run out, taken over by the other partner's p2-c) and p1-b (released) of the
     * till, and p2-c (released) of another partner, on one offer; then the till redeems it by a
     * sale or by RedeemOffer, a run-out lock p1-d cleared by that redemption: what each basket's
     * release is told after, and the rows left.
     */
    const scenario = async (other: { apiKey: string }, by: 'sale' | 'redeemOffer') => {
      const o = await boughtOffer();
      await lock(o.code, 'p1-a', 10);
      at.t.clock.advance(30 * SECOND);
      await lock(o.code, 'p2-c', 60, other.apiKey);
      at.t.clock.advance(SECOND);
      const p2Released = at.t.clock.now();
      expect(await release(o.code, 'p2-c', other.apiKey)).toEqual([]);
      await lock(o.code, 'p1-b', 60);
      expect(await release(o.code, 'p1-b')).toEqual([]);
      await lock(o.code, 'p1-d', 10);
      at.t.clock.advance(30 * SECOND);
      const redeemedAt = at.t.clock.now();
      const ref = unique('ref');
      if (by === 'sale') await sell({ ...lateSale(o, redeemedAt.getTime()), externalId: ref });
      else expect(ok(await at.t.gql(RedeemOfferDocument, { code: o.code, lockId: 'p1-d', transactionExternalId: ref }, { apiKey: at.till.apiKey })).redeemOffer.issuedOffer!.status).toBe('REDEEMED');
      const mine = [`Your till already redeemed this offer code at ${redeemedAt.toISOString()}, for the sale ${JSON.stringify(ref)}. A redeemed code holds no lock: there is nothing to release.`];
      const told = { a: await release(o.code, 'p1-a'), b: await release(o.code, 'p1-b'), d: await release(o.code, 'p1-d'), c: await release(o.code, 'p2-c', other.apiKey) };
      expect(told).toEqual({ a: mine, b: mine, d: mine, c: [`Basket "p2-c" already released its lock on this offer code at ${p2Released.toISOString()}: there is no lock left to release.`] });
      return o;
    };

    it("go for the redeeming partner's baskets (a sale's or RedeemOffer's), stay for another partner's; every release is told as before", async () => {
      const other = await createPartner(at.t, ['offers:redeem', 'transactions:write']);
      for (const by of ['sale', 'redeemOffer'] as const) {
        const o = await scenario(other, by);
        expect({ by, rows: await rows(o.dbId) }).toEqual({ by, rows: [{ lockId: 'p2-c', ranOut: false }] });
      }
    });

    it("left by redemptions before the migration are deleted by it, the other partner's kept; down() and up() again on a database with locks", async () => {
      const other = await createPartner(at.t, ['offers:redeem', 'transactions:write']);
      let o;
      try {
        for (const s of statements('down')) await at.t.sql(s);
        o = await scenario(other, 'redeemOffer');
        // Without the trigger, the till's baskets' rows stay (unread: every release of them is told of the redemption).
        expect(await rows(o.dbId)).toEqual([
          { lockId: 'p1-a', ranOut: true },
          { lockId: 'p1-b', ranOut: false },
          { lockId: 'p1-d', ranOut: true },
          { lockId: 'p2-c', ranOut: false },
        ]);
      } finally {
        for (const s of statements('up')) await at.t.sql(s);
      }
      expect(await rows(o.dbId)).toEqual([{ lockId: 'p2-c', ranOut: false }]);
    });
  });

  describe('a refused release or lock', () => {
    // break2-25: two reads, the locking one and the basket's lock end after it (basketLockEndOf): read in
    // the locking statement, the table was seen as before that statement's wait (test/wallet/break2-25).
    it('runs one sequence of statements whatever the code is (the statement that locks its row, then the basket\'s lock end); each is told as before (and a refused lock)', async () => {
      const other = await createPartner(at.t, ['offers:redeem']);
      const [foreign, redeemed, ranOut, released, never] = [await boughtOffer(), await boughtOffer(), await boughtOffer(), await boughtOffer(), await boughtOffer()];
      const foreignLock = ok(await at.t.gql(LockOfferDocument, { code: foreign.code, lockId: 'theirs', ttlSeconds: 60 }, { apiKey: other.apiKey })).lockOffer.issuedOffer!;
      const redeemedAt = at.t.clock.now();
      ok(await at.t.gql(RedeemOfferDocument, { code: redeemed.code, transactionExternalId: 'r-1' }, { apiKey: at.till.apiKey }));
      const ranOutLock = ok(await at.t.gql(LockOfferDocument, { code: ranOut.code, lockId: 'b', ttlSeconds: 10 }, { apiKey: at.till.apiKey })).lockOffer.issuedOffer!;
      ok(await at.t.gql(LockOfferDocument, { code: released.code, lockId: 'b', ttlSeconds: 60 }, { apiKey: at.till.apiKey }));
      const releasedAt = at.t.clock.now();
      ok(await at.t.gql(ReleaseOfferDocument, { code: released.code, lockId: 'b' }, { apiKey: at.till.apiKey }));
      at.t.clock.advance(30 * SECOND);
      const cases: [string, string][] = [
        ['ZZZZ-ZZZZ-ZZZZ', 'This basket holds no lock on this offer.'],
        [foreign.code, 'This basket holds no lock on this offer.'],
        [never.code, 'This basket holds no lock on this offer.'],
        [redeemed.code, `Your till already redeemed this offer code at ${redeemedAt.toISOString()}, for the sale "r-1". A redeemed code holds no lock: there is nothing to release.`],
        [ranOut.code, `The lock of basket "b" on this offer code ran out at ${new Date(ranOutLock.lockExpiresAt!).toISOString()}. There is no lock left to release.`],
        [released.code, `Basket "b" already released its lock on this offer code at ${releasedAt.toISOString()}: there is no lock left to release.`],
      ];
      // Warmed: the till's key and operation are cached, so each request below sends only its own statements.
      await at.t.gql(ReleaseOfferDocument, { code: never.code, lockId: 'warm' }, { apiKey: at.till.apiKey });
      const recorder = recordStatements();
      try {
        const seen = [];
        for (const [code] of cases) {
          recorder.take();
          const answer = dataOf(await at.t.gql(ReleaseOfferDocument, { code, lockId: 'b' }, { apiKey: at.till.apiKey })).releaseOffer;
          // From its transaction's begin: what came before (the key's and the document's caches) is the request's, not the till's.
          const sent = transactionSent(recorder.take());
          seen.push({ code, sent, reads: sent.filter((s) => s === 'select').length, messages: answer.userErrors.map((e) => e.message) });
        }
        expect(seen.map((s) => s.messages)).toEqual(cases.map(([, message]) => [message]));
        // One sequence of statements in every refusal's transaction, with two reads: the statement that locks the row, and the basket's lock end.
        expect(new Set(seen.map((s) => `${s.sent.join(' ')} (${s.reads} read)`))).toEqual(new Set([`${seen[0].sent.join(' ')} (2 read)`]));
        // A refused lock too: an unknown code, one the till redeemed, one another partner's basket holds.
        const locks: [string, string][] = [
          ['ZZZZ-ZZZZ-ZZZZ', "This offer code cannot be redeemed: it is unknown, used, expired or voided, or not the customer's to use. Check it was typed as the member's wallet shows it."],
          [redeemed.code, `Your till already redeemed this offer code at ${redeemedAt.toISOString()}, for the sale "r-1". A redeemed code cannot be locked again.`],
          [foreign.code, anotherBasketHolds(foreignLock.lockExpiresAt!)],
        ];
        const lockSeen = [];
        for (const [code] of locks) {
          recorder.take();
          const answer = dataOf(await at.t.gql(LockOfferDocument, { code, lockId: 'b', ttlSeconds: 60 }, { apiKey: at.till.apiKey })).lockOffer;
          const sent = transactionSent(recorder.take());
          lockSeen.push({ sent: `${sent.join(' ')} (${sent.filter((s) => s === 'select').length} read)`, messages: answer.userErrors.map((e) => e.message) });
        }
        expect(lockSeen.map((s) => s.messages)).toEqual(locks.map(([, message]) => [message]));
        expect(new Set(lockSeen.map((s) => s.sent))).toEqual(new Set([lockSeen[0].sent]));
        expect(lockSeen[0].sent).toMatch(/\(2 read\)$/);
      } finally {
        recorder.stop();
      }
    });
  });
});
