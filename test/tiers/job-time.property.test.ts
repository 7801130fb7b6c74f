import fc from 'fast-check';
import { ReverseTransactionDocument, TransactionStatusDocument } from '../generated/graphql.js';
import { ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCustomer, createPartner, createTier, earningProgram, submitSale, unique } from '../support/program.js';

const HOUR = 3_600_000;

/**
 * break34 (time), a property: a sale X's award does not depend on when its job ran, nor on when the
 * jobs of the customer's earlier sales ran, so long as those ran in the order the sales were made
 * and before X's (the out-of-order case and a window measured from a late job are the limits
 * docs/decisions.md "break34 (time), third hostile pass" leaves). Member A's sales are all
 * processed at once; member B's earlier sales may sit in the queue for up to `maxLag` further steps
 * (queues of two or three), and X's job runs after later returns, staff debits and time. Steps:
 * sales, returns (of processed sales: one returned while still queued is a limit), staff adjustments qualifying or not and of
 * either sign, time, with and without pending days, in two programs:
 * - a 1-day rolling tier (150, ×2) and 3-day expiry, every earlier sale processed at its moment
 *   (`maxLag` 0: credits leave the window, which a late job would date later; the second hostile
 *   pass's property);
 * - a 30-day rolling tier and no expiry, earlier sales queued (`maxLag` 3; the histories span under
 *   30 days, so no credit leaves a window; the third pass's).
 * Both have a lifetime tier (300, ×3). Positive qualifying staff credits are made only while B's
 * queue is empty: a queued sale processed after one earns at "the tier now", which hostile-18
 * decided; so, with pending days, is one processed after an earlier sale's pending points were
 * released (time does not pass while B's queue holds a sale then).
 *
 * What a member would see if it failed: the same receipts and staff actions as another member,
 * and a different number of points for sale X. `JOB_TIME_RUNS=300` for a longer search (300 and
 * 150 runs of the first program, 100 and 200 of the second, passed when written).
 */
type Step =
  | { kind: 'sale'; amount: number; lag: number }
  | { kind: 'return'; pick: number }
  | { kind: 'adjust'; amount: number; qualifying: boolean | null }
  | { kind: 'advance'; hours: number };

/** The steps before X; a sale's `lag` is how many further steps B's job for it waits (at most `maxLag`). */
const before = (maxLag: number): fc.Arbitrary<Step> => fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('sale' as const), amount: fc.integer({ min: 1, max: 20 }), lag: fc.integer({ min: 0, max: maxLag }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('return' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('adjust' as const), amount: fc.integer({ min: -120, max: 120 }).filter((n) => n !== 0), qualifying: fc.constantFrom(true, false, null) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('advance' as const), hours: fc.integer({ min: 1, max: 30 }) }) },
);
const after: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('return' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('adjust' as const), amount: fc.integer({ min: -120, max: -1 }), qualifying: fc.constantFrom(true, false, null) }),
  fc.record({ kind: fc.constant('advance' as const), hours: fc.integer({ min: 1, max: 30 }) }),
);

// pending a day: X is made 25 hours after the last step, so every pending credit of an earlier sale
// is due by X's moment (a release after it would raise the tier now: hostile-18's "tier now" half)
describe.each([
  { pendingDays: 0, beforeX: 60_000, windowDays: 1, expiryDays: 3, maxLag: 0 },
  { pendingDays: 1, beforeX: 25 * HOUR, windowDays: 1, expiryDays: 3, maxLag: 0 },
  { pendingDays: 0, beforeX: 60_000, windowDays: 30, expiryDays: null, maxLag: 3 },
  { pendingDays: 1, beforeX: 25 * HOUR, windowDays: 30, expiryDays: null, maxLag: 3 },
])("a sale's award does not depend on when its or its earlier sales' jobs ran (property, %j)", ({ pendingDays, beforeX, windowDays, expiryDays, maxLag }) => {
  let t: TestGateway;
  let till: Awaited<ReturnType<typeof createPartner>>;
  let program: { money: string; currency: string };

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    till = await createPartner(t, ['transactions:read', 'transactions:write']);
    program = await earningProgram(t, 'JT', { expiryDays, pendingDays });
    await createTier(t, { currency: program.currency, code: `R_${program.money}`, rank: 1, threshold: 150, windowDays, multiplier: 2 });
    await createTier(t, { currency: program.currency, code: `L_${program.money}`, rank: 2, threshold: 300, multiplier: 3 });
  });
  afterAll(() => t.close());

  const status = async (externalId: string) => ok(await t.gql(TransactionStatusDocument, { externalId }, till.credential)).transaction!;
  const adjustQ = async (externalId: string, amount: number, qualifying: boolean | null) => {
    const res = await t.gql<{ adjustPoints: { userErrors: { code: string }[] } }, unknown>(
      `mutation($input: AdjustPointsInput!) { adjustPoints(input: $input) { userErrors { code } } }`,
      { input: { customerExternalId: externalId, currency: program.currency, amount, reason: 'staff', idempotencyKey: unique('adj'), ...(qualifying === null ? {} : { qualifying }) } },
      t.operatorToken,
    );
    return ok(res).adjustPoints.userErrors.map((e) => e.code).join(',');
  };
  /** Holds a sale's job back (a backlog): its run_at far ahead, until `release`. */
  const hold = (externalId: string) =>
    t.sql(
      `update job set run_at = run_at + interval '1000 days' where status = 'PENDING'
         and (payload->>'transactionId')::bigint = (select id from sales_transaction where external_id = $1)`,
      [externalId],
    );
  const release = async (externalId: string) => {
    await t.sql(
      `update job set run_at = $2 where status = 'PENDING'
         and (payload->>'transactionId')::bigint = (select id from sales_transaction where external_id = $1)`,
      [externalId, t.clock.now()],
    );
    await t.jobs.runner.runUntilIdle();
  };

  it('A (every sale at once) and B (earlier sales queued up to maxLag steps, in order; X after later steps) earn the same for X', async () => {
    t.clock.freeze();
    await fc.assert(
      fc.asyncProperty(fc.array(before(maxLag), { minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 20 }), fc.array(after, { maxLength: 4 }), async (steps, xAmount, later) => {
        try {
          const a = await createCustomer(t, program.currency);
          const b = await createCustomer(t, program.currency);
          // points to spend that count for no tier, so no staff debit is refused for one and not the other
          for (const c of [a, b]) expect(await adjustQ(c.externalId, 10_000, false)).toBe('');
          const sales: { a: string; b: string; returned: boolean }[] = [];
          const queue: { b: string; lag: number }[] = [];
          const tick = async () => {
            for (const q of queue) q.lag--;
            // in the order made: everything up to the last one whose lag ran out
            let last = -1;
            queue.forEach((q, i) => (q.lag <= 0 ? (last = i) : undefined));
            for (const q of queue.splice(0, last + 1)) await release(q.b);
          };
          const apply = async (s: Step) => {
            if (s.kind === 'sale') {
              const sa = await submitSale(t, till, a.externalId, program.money, s.amount);
              const sb = await submitSale(t, till, b.externalId, program.money, s.amount);
              sales.push({ a: sa, b: sb, returned: false });
              if (s.lag > 0 || queue.length) {
                await hold(sb);
                queue.push({ b: sb, lag: s.lag + 1 });
              }
              await t.jobs.runner.runUntilIdle();
            } else if (s.kind === 'return') {
              // a sale still in B's queue is not returned: returned before its job, its points never count
              // at the moments before the return, which A's did (a limit: docs/decisions.md, break34
              // (time), third hostile pass; CI found it with seed -116738233)
              const open = sales.filter((x) => !x.returned && !queue.some((q) => q.b === x.b));
              if (!open.length) return;
              const x = open[s.pick % open.length];
              x.returned = true;
              for (const id of [x.a, x.b]) expect(ok(await t.gql(ReverseTransactionDocument, { externalId: id, reason: 'returned' }, till.credential)).reverseTransaction.userErrors).toEqual([]);
            } else if (s.kind === 'adjust') {
              if (s.amount > 0 && s.qualifying !== false && queue.length) return; // "the tier now": hostile-18
              // the buffer may expire: topped up before each debit, counting for no tier
              if (s.amount < 0) for (const c of [a, b]) expect(await adjustQ(c.externalId, -s.amount, false)).toBe('');
              expect(await adjustQ(b.externalId, s.amount, s.qualifying)).toBe(await adjustQ(a.externalId, s.amount, s.qualifying));
            } else {
              // an earlier sale's pending points released while B's sale waits raise "the tier now": hostile-18
              if (pendingDays > 0 && queue.length) return;
              t.clock.advance(s.hours * HOUR);
            }
          };
          for (const s of steps) {
            t.clock.advance(60_000); // no two steps at one instant (a return recorded at a sale's very moment counts at it)
            await apply(s);
            await tick();
          }
          for (const q of queue.splice(0)) await release(q.b);
          t.clock.advance(beforeX);
          const xa = await submitSale(t, till, a.externalId, program.money, xAmount);
          const xb = await submitSale(t, till, b.externalId, program.money, xAmount);
          await hold(xb);
          await t.jobs.runner.runUntilIdle();
          expect((await status(xa)).status).toBe('PROCESSED');
          for (const s of later) {
            t.clock.advance(60_000);
            if (s.kind === 'advance') t.clock.advance(s.hours * HOUR);
            else await apply(s);
          }
          await release(xb);
          // a sale returned while still queued was never processed (pointsAwarded 0): compared only when kept
          const earned = async (c: 'a' | 'b') => Promise.all(sales.filter((s) => !s.returned).map(async (s) => (await status(s[c])).pointsAwarded));
          const [pa, pb] = [(await status(xa)).pointsAwarded, (await status(xb)).pointsAwarded];
          expect({ x: xAmount, b: pb, earlier: await earned('b') }).toEqual({ x: xAmount, b: pa, earlier: await earned('a') });
        } catch (e) {
          console.log(String((e as Error).message).slice(0, 900));
          throw e;
        }
      }),
      { numRuns: Number(process.env.JOB_TIME_RUNS ?? 12), endOnFailure: true, verbose: 2 },
    );
    t.clock.reset();
    expect(await ledgerViolations(t)).toEqual([]);
  }, 600_000);
});
