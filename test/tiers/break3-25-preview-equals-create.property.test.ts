import fc from 'fast-check';
import { dataOf, ledgerViolations, startTestGateway, type TestGateway } from '../support/gateway.js';
import { CREATE_TIER_ANSWER, createCustomer, createPartner, earningProgram, submitSale, type CreateTierAnswer } from '../support/program.js';

const DAY = 86_400_000;

/**
 * break3-25, a hostile pass on money-25: `createTier(dryRun: true)` computes the moves with its own
 * SQL (`movesIfAdded`, which re-states `customer_tier_at`'s rule) at one snapshot, and the real
 * createTier moves customers with `recomputeAllTiers`. For generated histories and ladders (two
 * currencies, one expiring; qualifying and non-qualifying credits and debits past 0; customers with
 * nothing; lifetime and rolling tiers; thresholds of 0 and thresholds equal to another tier's; the
 * clock moved days between steps so windows and expiry drop points) the preview's answer at a moment
 * equals the real request's at the same moment. A real gateway and PostgreSQL, its own database.
 */
describe("a createTier preview answers the real request's moves, for generated ladders (break3-25)", () => {
  let t: TestGateway;
  let currencies: string[];
  let monies: string[];
  let till: Awaited<ReturnType<typeof createPartner>>;
  let customers: string[];

  beforeAll(async () => {
    t = await startTestGateway({ EVENT_FANOUT: 'off' }, { jobs: 'manual' });
    t.clock.freeze();
    const a = await earningProgram(t, 'PA', { expiryDays: 20 });
    const b = await earningProgram(t, 'PB', { expiryDays: null, pendingDays: 2 });
    currencies = [a.currency, b.currency];
    monies = [a.money, b.money];
    till = await createPartner(t, ['transactions:write', 'transactions:read']);
    customers = [];
    for (let i = 0; i < 6; i++) customers.push((await createCustomer(t, a.currency, 0)).externalId);
  });
  afterAll(async () => {
    await t?.close();
  });

  let n = 0;

  const step = fc.record({
    acts: fc.array(
      fc.oneof(
        fc.record({ kind: fc.constant('adjust' as const), who: fc.nat(5), cur: fc.nat(1), amount: fc.integer({ min: -300, max: 400 }).filter((x) => x !== 0), qualifying: fc.boolean() }),
        fc.record({ kind: fc.constant('sale' as const), who: fc.nat(5), cur: fc.nat(1), units: fc.integer({ min: 1, max: 30 }) }),
      ),
      { maxLength: 5 },
    ),
    days: fc.integer({ min: 0, max: 25 }),
    hours: fc.nat(23),
    // The ladder before (each run starts from none) and the tier added last; threshold -1: the
    // threshold of the ladder's first tier (two tiers at one threshold).
    ladder: fc.array(
      fc.record({
        cur: fc.nat(1),
        rank: fc.integer({ min: 1, max: 12 }),
        threshold: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 600 }), fc.constant(-1)),
        windowDays: fc.option(fc.integer({ min: 1, max: 30 }), { nil: null }),
      }),
      { minLength: 1, maxLength: 4 },
    ),
  });

  it('preview then create, at the same moment, answer the same moves', async () => {
    const seen: { moved: number; refused: number; created: boolean }[] = [];
    await fc.assert(
      fc.asyncProperty(step, async ({ acts, days, hours, ladder }) => {
        for (const act of acts) {
          if (act.kind === 'adjust') {
            await t.gql(
              `mutation($input: AdjustPointsInput!) { adjustPoints(input: $input) { userErrors { code } } }`,
              { input: { customerExternalId: customers[act.who], currency: currencies[act.cur], amount: act.amount, reason: 'break3-25', qualifying: act.qualifying, idempotencyKey: `b325-${++n}` } },
              t.operatorToken,
            );
          } else {
            await submitSale(t, till, customers[act.who], monies[act.cur], act.units);
          }
        }
        await t.jobs.runner.runUntilIdle();
        t.clock.advance(days * DAY + hours * 3_600_000);
        // A ladder of its own for each run: the stored tiers forgotten with it (a stored tier that
        // differs from the one the points reach is one more edge: recomputeAllTiers moves them too).
        await t.sql(`update customer set tier_id = null`);
        await t.sql(`delete from idempotency_record where scope = 'create:tier'`);
        await t.sql(`delete from tier`);
        const ranks = new Set<number>();
        let real: CreateTierAnswer['createTier'] | undefined;
        let preview: CreateTierAnswer['createTier'] | undefined;
        let input: Record<string, unknown> = {};
        for (const tier of ladder) {
          let rank = tier.rank;
          while (ranks.has(rank)) rank = (rank % 12) + 1;
          ranks.add(rank);
          const threshold = tier.threshold === -1 ? Number(input.threshold ?? 0) : tier.threshold;
          input = { currency: currencies[tier.cur], code: `B${++n}`, name: `B${n}`, rank, threshold, windowDays: tier.windowDays };
          const ask = async (dryRun: boolean) => dataOf(await t.gql<CreateTierAnswer, unknown>(CREATE_TIER_ANSWER, { input: { ...input, dryRun } }, t.operatorToken)).createTier;
          preview = await ask(true);
          real = await ask(false);
          expect({ input, moved: preview.customersMoved, moves: preview.moves, errors: preview.userErrors }).toEqual({ input, moved: real.customersMoved, moves: real.moves, errors: real.userErrors });
          seen.push({ moved: real.customersMoved ?? 0, refused: real.userErrors.length, created: real.tier !== null });
        }
        expect(await ledgerViolations(t)).toEqual([]);
      }),
      { numRuns: Number(process.env.FC_RUNS ?? 25), seed: Number(process.env.FC_SEED ?? 2503), verbose: 1, includeErrorInReport: true },
    );
    // The runs created tiers that moved customers (the comparison was not of empty answers).
    expect({ created: seen.filter((s) => s.created).length >= 25, moving: seen.filter((s) => s.moved > 0).length >= 10 }).toEqual({ created: true, moving: true });

  }, 600_000);
});
