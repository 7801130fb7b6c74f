import type { SqlEntityManager } from '@mikro-orm/postgresql';
import fc from 'fast-check';
import { storeAccessChangeBefore, tierMixBefore } from '../../bench/analytics-before.js';
import { programStats, tierMix } from '../../src/analytics/analytics.service.js';
import { query, sql } from '../../src/db/sql.js';
import { storeAccessChange, type StoreRules } from '../../src/stores/store.service.js';
import { recomputeAllTiers } from '../../src/tiers/tier.service.js';
import { rolledBack, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCurrency, unique, uniqueCode } from '../support/program.js';

const HOUR = 3_600_000;
const NOW = new Date('2026-06-15T12:00:00.000Z');

/**
 * placement-50: `tierPlacements` (src/tiers/placement.ts) reads every customer's tier in one
 * set-based statement instead of calling `customer_tier_at` once per customer. Its promise is the
 * same answers as the function on any program, so this holds it to the function on random ones,
 * written straight into the tables inside a transaction that is rolled back (nothing is left for
 * the ledger's checks): ladders of one to four rungs in two currencies, lifetime and rolling
 * (1, 7, 30 days), thresholds from 0; customers of every status, some without an account in a
 * currency, some with a lifetime shortfall (break-13: a qualifying drop past 0); qualifying and
 * non-qualifying entries of either sign at hours around the windows' edges (a window holds what
 * was made after `at` − its days, not at it), open credits expiring; qualifying adjustments of
 * either sign; pending credits open, released and cancelled, due and not yet due, qualifying or
 * not; stored placements up to 60 hours ahead. The same programs hold re-placing every customer
 * and a store edit's access counts to the statements before; and two tests hold the reads to no
 * per-customer function call and to a plan made for their values on every run.
 */
describe('placement-50: a program-wide tier read gives customer_tier_at answers', () => {
  let t: TestGateway;
  const currencies: string[] = [];

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    for (const prefix of ['PA', 'PB']) currencies.push((await createCurrency(t, uniqueCode(prefix), null)).code);
  });
  afterAll(() => t.close());

  const hours = fc.oneof(fc.integer({ min: -200, max: 900 }), fc.constantFrom(24, 168, 720, 23, 25, 167, 169, 719, 721, 0));
  const program = fc.record({
    rungs: fc.array(
      fc.record({ currency: fc.nat(1), windowDays: fc.constantFrom(null, 1, 7, 30), threshold: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 300 })) }),
      { minLength: 1, maxLength: 4 },
    ),
    ranks: fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 4, maxLength: 4 }).filter((r) => new Set(r).size === 4),
    customers: fc.array(
      fc.record({
        status: fc.constantFrom('ACTIVE', 'ACTIVE', 'SUSPENDED', 'CLOSED'),
        held: fc.option(fc.nat(3), { nil: null }),
        placedHoursAhead: fc.option(fc.integer({ min: -60, max: 60 }), { nil: null }),
        accounts: fc.array(fc.option(fc.integer({ min: 0, max: 400 }), { nil: null }), { minLength: 2, maxLength: 2 }),
        available: fc.nat(400),
        // break-13: a qualifying drop past a lifetime of 0 (the account's lifetime_earned then 0)
        shortfall: fc.option(fc.integer({ min: 1, max: 200 }), { nil: null, freq: 2 }),
        segments: fc.subarray(['VIP', 'STAFF']),
        entries: fc.array(
          fc.record({
            currency: fc.nat(1),
            amount: fc.integer({ min: -150, max: 200 }).filter((n) => n !== 0),
            qualifying: fc.boolean(),
            hoursAgo: hours,
            // an open credit (its whole amount left) expiring then: past is due and not written down
            expiresHoursAgo: fc.option(fc.integer({ min: -100, max: 100 }), { nil: null }),
          }),
          { maxLength: 8 },
        ),
        adjustments: fc.array(fc.record({ currency: fc.nat(1), amount: fc.integer({ min: -150, max: 150 }).filter((n) => n !== 0), hoursAgo: hours }), { maxLength: 3 }),
        pending: fc.array(
          fc.record({ currency: fc.nat(1), amount: fc.integer({ min: 1, max: 200 }), qualifying: fc.boolean(), dueHoursAgo: hours, state: fc.constantFrom('open', 'open', 'released', 'cancelled') }),
          { maxLength: 4 },
        ),
      }),
      { minLength: 1, maxLength: 8 },
    ),
  });
  type Program = typeof program extends fc.Arbitrary<infer P> ? P : never;

  /** Writes `p` into the tables on `em` (inside its transaction); answers the customers' ids and the rungs' codes. */
  async function write(em: SqlEntityManager, p: Program): Promise<{ ids: number[]; codes: string[] }> {
    const run = (text: string, params: unknown[]) => em.getConnection().execute(text, params, 'all', em.getTransactionContext());
    const at = (hoursAgo: number) => new Date(NOW.getTime() - hoursAgo * HOUR);
    const tiers: number[] = [];
    const codes: string[] = [];
    for (const [i, rung] of p.rungs.entries()) {
      const code = uniqueCode('R');
      codes.push(code);
      const [{ id }] = await run(`insert into tier (currency_code, code, name, rank, threshold, window_days) values (?, ?, ?, ?, ?, ?) returning id`, [
        currencies[rung.currency], code, code, p.ranks[i], rung.threshold, rung.windowDays,
      ]);
      tiers.push(Number(id));
    }
    const ids: number[] = [];
    for (const c of p.customers) {
      const held = c.held === null ? null : (tiers[c.held] ?? null);
      const placedAt = c.placedHoursAhead === null ? null : new Date(NOW.getTime() + c.placedHoursAhead * HOUR);
      const [{ id }] = await run(`insert into customer (external_id, status, tier_id, tier_placed_at, segments) values (?, ?, ?, ?, ?::text[]) returning id`, [
        unique('pl'), c.status, held, placedAt, `{${c.segments.join(',')}}`,
      ]);
      ids.push(Number(id));
      const accounts: (number | null)[] = [];
      for (const [k, lifetime] of c.accounts.entries()) {
        if (lifetime === null) {
          accounts.push(null);
          continue;
        }
        const [{ id: account }] = await run(`insert into point_account (customer_id, currency_code, lifetime_earned, lifetime_shortfall, available) values (?, ?, ?, ?, ?) returning id`, [
          id, currencies[k], c.shortfall === null ? lifetime : 0, c.shortfall ?? 0, k === 0 ? c.available : Math.floor(c.available / 2),
        ]);
        accounts.push(Number(account));
      }
      const accountOf = (k: number) => accounts[k] ?? accounts[1 - k];
      if (accountOf(0) === null) continue;
      for (const e of c.entries) {
        const open = e.amount > 0 && e.expiresHoursAgo !== null;
        await run(`insert into ledger_entry (account_id, customer_id, amount, kind, source_type, balance_after, remaining, expires_at, qualifying, created_at) values (?, ?, ?, ?, 'STAFF', 0, ?, ?, ?, ?)`, [
          accountOf(e.currency), id, e.amount, e.amount > 0 ? 'EARN' : 'ADJUST', open ? e.amount : 0, open ? at(e.expiresHoursAgo!) : null, e.qualifying, at(e.hoursAgo),
        ]);
      }
      for (const q of c.adjustments) {
        await run(`insert into qualifying_adjustment (account_id, customer_id, amount, created_at) values (?, ?, ?, ?)`, [accountOf(q.currency), id, q.amount, at(q.hoursAgo)]);
      }
      for (const d of c.pending) {
        const due = at(d.dueHoursAgo);
        await run(
          `insert into pending_credit (account_id, customer_id, amount, kind, source_type, qualifying, available_at, released_at, cancelled_at, created_at) values (?, ?, ?, 'EARN', 'TRANSACTION', ?, ?, ?, ?, ?)`,
          [accountOf(d.currency), id, d.amount, d.qualifying, due, d.state === 'released' ? due : null, d.state === 'cancelled' ? due : null, at(d.dueHoursAgo + 24 * 14)],
        );
      }
    }
    return { ids, codes };
  }

  test('tierMix counts each currency’s rungs as customer_tier_at places every customer, on random programs', async () => {
    let runs = 0;
    let placedSomewhere = 0;
    await fc.assert(
      fc.asyncProperty(program, async (p) => {
        runs++;
        await rolledBack(t, async (tx) => {
          await write(tx, p);
          for (const currency of currencies) {
            const expected = await tierMixBefore(tx, currency, NOW);
            const actual = (await tierMix(tx, currency, NOW)).map((r) => ({ tierId: Number(r.tierId), members: r.members }));
            expect(actual).toEqual(expected);
            placedSomewhere += expected.reduce((n, r) => n + r.members, 0);
          }
        });
      }),
      { numRuns: Number(process.env.PLACEMENT_RUNS ?? 120) },
    );
    expect(runs).toBeGreaterThan(0);
    // the programs placed customers on rungs, not only nobody anywhere
    expect(placedSomewhere).toBeGreaterThan(runs);
  });

  test('tierMix, re-placing every customer and a store edit’s access counts call no per-customer tier or balance function (0.3 ms a customer: a minute at 200,000 members)', async () => {
    const sample = fc.sample(program, { numRuns: 1, seed: 50 })[0];
    await rolledBack(t, async (tx) => {
      const { ids, codes } = await write(tx, { ...sample, customers: [...sample.customers, ...sample.customers, ...sample.customers] });
      const conn = tx.getConnection();
      const ctx = tx.getTransactionContext();
      await conn.execute(`set local track_functions = 'pl'`, [], 'run', ctx);
      const calls = async () =>
        (
          await conn.execute<{ n: string }[]>(
            `select coalesce(pg_stat_get_xact_function_calls('qualifying_points_at(bigint,text,int,timestamptz)'::regprocedure), 0)
                  + coalesce(pg_stat_get_xact_function_calls('customer_tier_at(bigint,timestamptz)'::regprocedure), 0)
                  + coalesce(pg_stat_get_xact_function_calls('customer_balance_at(bigint,text,timestamptz)'::regprocedure), 0) as n`,
            [],
            'all',
            ctx,
          )
        )[0].n;
      // the counter counts: the function, called for each customer, shows in it
      await conn.execute(`select customer_tier_at(id, ?) from customer where id in (?)`, [NOW, ids], 'all', ctx);
      const byFunction = Number(await calls());
      expect(byFunction).toBeGreaterThanOrEqual(ids.length);
      for (const currency of currencies) await tierMix(tx, currency, NOW);
      await recomputeAllTiers(tx, { now: () => NOW });
      const open = { startsAt: null, endsAt: null, segments: [], minLifetimePoints: null };
      await storeAccessChange(tx, currencies[0], { ...open, tiers: [], minBalance: null }, { ...open, tiers: [codes[0]], minBalance: 50 }, NOW);
      expect(Number(await calls())).toBe(byFunction);
    });
  });

  test('the reads over a whole program are planned for their values on every run, never kept with a generic plan', async () => {
    const sample = fc.sample(program, { numRuns: 1, seed: 51 })[0];
    await rolledBack(t, async (tx) => {
      const { codes } = await write(tx, sample);
      const open = { startsAt: null, endsAt: null, segments: [], minLifetimePoints: null };
      // six runs each on one connection: PostgreSQL may take a named statement's generic plan from the sixth
      for (let run = 0; run < 6; run++) {
        await tierMix(tx, currencies[0], NOW);
        await recomputeAllTiers(tx, { now: () => NOW }, { afterId: 0, batch: 2 });
        await storeAccessChange(tx, currencies[0], { ...open, tiers: [], minBalance: null }, { ...open, tiers: [codes[0]], minBalance: 50 }, NOW);
        await programStats(tx, currencies[0], new Date(NOW.getTime() - 24 * HOUR), NOW, NOW);
        await query(tx, sql`select ${run}::int as control_50`);
      }
      const kept = await tx
        .getConnection()
        .execute<{ statement: string }[]>(`select statement from pg_prepared_statements where statement like '%control_50%' or statement like '%who as materialized%' or statement like '%due_accounts%'`, [], 'all', tx.getTransactionContext());
      // the control, an ordinary statement, is kept under its name; none of the reads over everyone is
      expect(kept.map((k) => (k.statement.includes('control_50') ? 'control' : k.statement.slice(0, 80)))).toEqual(['control']);
    });
  });

  test('re-placing every customer, whole or in batches, stores the tier customer_tier_at gives at each one’s placement instant', async () => {
    const clock = { now: () => NOW };
    let moved = 0;
    await fc.assert(
      fc.asyncProperty(program, fc.option(fc.integer({ min: 1, max: 4 }), { nil: null }), async (p, batch) => {
        await rolledBack(t, async (tx) => {
          const { ids } = await write(tx, p);
          const conn = tx.getConnection();
          const ctx = tx.getTransactionContext();
          // what the function gives each customer at their instant: now, or their stored placement when later
          const expected = await conn.execute<{ id: string; tier_id: string | null }[]>(
            `select id, customer_tier_at(id, greatest(?::timestamptz, tier_placed_at)) as tier_id from customer where id in (?) order by id`,
            [NOW, ids],
            'all',
            ctx,
          );
          if (batch === null) moved += (await recomputeAllTiers(tx, clock)).moved;
          else for (let afterId = 0, more = true; more; ) {
            const step = await recomputeAllTiers(tx, clock, { afterId, batch });
            moved += step.moved;
            more = step.lastId !== null;
            afterId = step.lastId ?? afterId;
          }
          const stored = await conn.execute<{ id: string; tier_id: string | null }[]>(`select id, tier_id from customer where id in (?) order by id`, [ids], 'all', ctx);
          expect(stored).toEqual(expected);
        });
      }),
      { numRuns: Number(process.env.PLACEMENT_RUNS ?? 120) },
    );
    // customers did move, so the comparison is not of rows nothing touched
    expect(moved).toBeGreaterThan(0);
  });

  test('a store edit’s accessLost and accessGained count the customers customer_tier_at and customer_balance_at would, on random programs and rules', async () => {
    const when = fc.option(fc.integer({ min: -48, max: 48 }), { nil: null });
    const rules = fc.record({
      starts: when,
      ends: when,
      tiers: fc.subarray([0, 1, 2, 3]),
      segments: fc.subarray(['VIP', 'STAFF']),
      minBalance: fc.option(fc.nat(400), { nil: null }),
      minLifetimePoints: fc.option(fc.nat(400), { nil: null }),
    });
    type Rules = typeof rules extends fc.Arbitrary<infer R> ? R : never;
    let counted = 0;
    await fc.assert(
      fc.asyncProperty(program, rules, rules, fc.nat(1), async (p, before, after, k) => {
        await rolledBack(t, async (tx) => {
          const { codes } = await write(tx, p);
          const storeRules = (r: Rules): StoreRules => ({
            startsAt: r.starts === null ? null : new Date(NOW.getTime() + r.starts * HOUR),
            endsAt: r.ends === null ? null : new Date(NOW.getTime() + r.ends * HOUR),
            tiers: r.tiers.map((i) => codes[i]).filter((c): c is string => c !== undefined),
            segments: r.segments,
            minBalance: r.minBalance,
            minLifetimePoints: r.minLifetimePoints,
          });
          const expected = await storeAccessChangeBefore(tx, currencies[k], storeRules(before), storeRules(after), NOW);
          expect(await storeAccessChange(tx, currencies[k], storeRules(before), storeRules(after), NOW)).toEqual(expected);
          counted += expected.lost + expected.gained;
        });
      }),
      { numRuns: Number(process.env.PLACEMENT_RUNS ?? 120) },
    );
    // edits moved customers in and out, so the comparison is not of zeros
    expect(counted).toBeGreaterThan(0);
  });
});
