import fc from 'fast-check';
import { ReverseTransactionDocument, TransactionStatusDocument } from '../generated/graphql.js';
import { ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCustomer, createPartner, createTier, earningProgram, submitSale, unique } from '../support/program.js';

const HOUR = 3_600_000;

/**
 * break34-time2, a property: a sale X's award does not depend on when its job runs, when nothing
 * after X's moment could raise the customer's tier (only returns of earlier sales, staff debits,
 * qualifying or not, and time passing) and every earlier sale was processed at its moment (no
 * queue of two: see break34-time2-queue-of-two.test.ts for that). Two customers, A and B, get the
 * same history, each step at the same clock moment; A's X is processed at once, B's after every
 * later step. Ladder: a rolling 1-day tier (150, x2) and a lifetime tier (300, x3).
 *
 * What a member would see if it failed: the same receipts and the same staff actions as another
 * member, and a different number of points for the same sale.
 */
type Step =
  | { kind: 'sale'; amount: number }
  | { kind: 'return'; pick: number }
  | { kind: 'adjust'; amount: number; qualifying: boolean | null }
  | { kind: 'advance'; hours: number };

const before: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('sale' as const), amount: fc.integer({ min: 1, max: 20 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('return' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('adjust' as const), amount: fc.integer({ min: -120, max: 120 }).filter((n) => n !== 0), qualifying: fc.constantFrom(true, false, null) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('advance' as const), hours: fc.integer({ min: 1, max: 30 }) }) },
);
const after: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('return' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('adjust' as const), amount: fc.integer({ min: -120, max: -1 }), qualifying: fc.constantFrom(true, false, null) }),
  fc.record({ kind: fc.constant('advance' as const), hours: fc.integer({ min: 1, max: 30 }) }),
);

describe.each([
  { pendingDays: 0, beforeX: 60_000 },
  // pending a day: X is made 25 hours after the last step, so every pending credit of an earlier sale
  // is due by X's moment (a release after it would raise the tier now: hostile-18's "tier now" half)
  { pendingDays: 1, beforeX: 25 * HOUR },
])("a sale's award does not depend on when its job ran (break34-time2, property, pending %j)", ({ pendingDays, beforeX }) => {
  let t: TestGateway;
  let till: Awaited<ReturnType<typeof createPartner>>;
  let program: { money: string; currency: string };

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    till = await createPartner(t, ['transactions:read', 'transactions:write']);
    program = await earningProgram(t, 'JT', { expiryDays: 3, pendingDays });
    await createTier(t, { currency: program.currency, code: `R_${program.money}`, rank: 1, threshold: 150, windowDays: 1, multiplier: 2 });
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

  it('A (processed at once) and B (processed after the later steps) earn the same for X', async () => {
    t.clock.freeze();
    await fc.assert(
      fc.asyncProperty(fc.array(before, { minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 20 }), fc.array(after, { maxLength: 4 }), async (steps, xAmount, later) => {
       try {
        const a = await createCustomer(t, program.currency);
        const b = await createCustomer(t, program.currency);
        // points to spend that count for no tier, so no staff debit is refused for one and not the other
        for (const c of [a, b]) expect(await adjustQ(c.externalId, 10_000, false)).toBe('');
        const sales: { a: string; b: string; returned: boolean }[] = [];
        const apply = async (s: Step) => {
          if (s.kind === 'sale') {
            sales.push({ a: await submitSale(t, till, a.externalId, program.money, s.amount), b: await submitSale(t, till, b.externalId, program.money, s.amount), returned: false });
            await t.jobs.runner.runUntilIdle();
          } else if (s.kind === 'return') {
            const open = sales.filter((x) => !x.returned);
            if (!open.length) return;
            const x = open[s.pick % open.length];
            x.returned = true;
            for (const id of [x.a, x.b]) expect(ok(await t.gql(ReverseTransactionDocument, { externalId: id, reason: 'returned' }, till.credential)).reverseTransaction.userErrors).toEqual([]);
          } else if (s.kind === 'adjust') {
            // the buffer expires (3 days): topped up before each debit, counting for no tier
            if (s.amount < 0) for (const c of [a, b]) expect(await adjustQ(c.externalId, -s.amount, false)).toBe('');
            expect(await adjustQ(b.externalId, s.amount, s.qualifying)).toBe(await adjustQ(a.externalId, s.amount, s.qualifying));
          } else {
            t.clock.advance(s.hours * HOUR);
          }
        };
        for (const s of steps) await apply(s);
        t.clock.advance(beforeX);
        const xa = await submitSale(t, till, a.externalId, program.money, xAmount);
        const xb = await submitSale(t, till, b.externalId, program.money, xAmount);
        for (let i = 0; i < 50 && (await status(xa)).status !== 'PROCESSED'; i++) if (!(await t.jobs.runner.runOne())) break;
        expect((await status(xb)).status).not.toBe('PROCESSED');
        for (const s of later) {
          t.clock.advance(60_000);
          if (s.kind === 'advance') t.clock.advance(s.hours * HOUR);
          else await apply(s);
        }
        await t.jobs.runner.runUntilIdle();
        const [pa, pb] = [(await status(xa)).pointsAwarded, (await status(xb)).pointsAwarded];
        expect({ x: xAmount, b: pb }).toEqual({ x: xAmount, b: pa });
       } catch (e) {
        console.log(String((e as Error).message).slice(0, 600));
        throw e;
       }
      }),
      { numRuns: Number(process.env.BREAK34_TIME2_RUNS ?? 20), endOnFailure: true, verbose: 2 } // BREAK34_TIME2_RUNS=300 for a longer search,
    );
    t.clock.reset();
    expect(await ledgerViolations(t)).toEqual([]);
  }, 600_000);
});
