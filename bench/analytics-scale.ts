/**
 * placement-50: the analytics and tier reads over a whole program, rewritten for programs of
 * hundreds of thousands of members, against the statements they replaced (bench/analytics-before.ts,
 * kept verbatim), on a large program, in alternating rounds, checking that both answer the same:
 *   - `tierMix` (the console's Analytics page): `tierPlacements` (src/tiers/placement.ts, one
 *     set-based read of every customer's qualifying points) against `customer_tier_at` called once
 *     per customer;
 *   - re-placing every customer (`recomputeAllTiers` without a batch: what adding a tier runs), in
 *     a transaction rolled back, against the replaced statement's first step alone (which
 *     customers move: `customer_tier_at` for each; the old code then evaluated it again for each
 *     mover, so the baseline is a lower bound of what it cost). The stored tiers are first made
 *     current (committed, once) when more than 1 % of the customers would move, as on a running
 *     program, where the daily job keeps them so: otherwise it times writing 200,000 moves;
 *   - `programStats` for a day, a month and a year ending now: the due accounts found first, the
 *     debt of accounts waiting for a credit from them, the window's points summed in one pass,
 *     against the statement before those;
 *   - a store edit's preview of the customers it takes the store from and gives it to
 *     (`storeAccessChange`), from open to all to the ladder's second tier and up with 500 points:
 *     tiers and balances read for all customers at once against once per customer.
 * Each runs on an ORM as the gateway opens it (`openOrm`, pool of one, jit off), in a transaction
 * with the request timeouts lifted (a baseline passes 15 s at 200,000 members), rolled back.
 * Medians of wall time per mode, the ratio baseline ÷ ours, and the spread of the rounds. It
 * asserts no time. The indexes of Migration20261207020000 are whatever the database has: the
 * migration is applied to it first, like any other (drop them by hand to time without).
 *
 * The program is the one `bench:analytics-jit` seeds and keeps (`--keep`):
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run bench:analytics-jit -- --keep
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run bench:analytics-scale
 *
 * BENCH_ANALYTICS_DATABASE: the kept database (default analytics_jit_bench), on DATABASE_URL's
 * server. BENCH_SCALE_ROUNDS (default 3). BENCH_SCALE_BASELINE=0 skips the baselines (at 200,000
 * members tierMix's takes about a minute a run). BENCH_SCALE_CASES picks cases by name (default all:
 * tierMix,replace,programStats,storeAccess).
 */
import { performance } from 'node:perf_hooks';
import type { MikroORM, SqlEntityManager } from '@mikro-orm/postgresql';
import { programStats, tierMix } from '../src/analytics/analytics.service.js';
import { LIFT_REQUEST_TIMEOUTS, migrate, openOrm } from '../src/db/orm.js';
import { storeAccessChange, type StoreRules } from '../src/stores/store.service.js';
import { recomputeAllTiers } from '../src/tiers/tier.service.js';
import { moversBefore, programStatsBefore, storeAccessChangeBefore, tierMixBefore } from './analytics-before.js';

const database = process.env.BENCH_ANALYTICS_DATABASE?.trim() || 'analytics_jit_bench';
const rounds = Number(process.env.BENCH_SCALE_ROUNDS ?? 3);
const baseline = process.env.BENCH_SCALE_BASELINE !== '0';
const picked = (process.env.BENCH_SCALE_CASES ?? 'tierMix,replace,programStats,storeAccess').split(',').map((c) => c.trim());
const DAY_MS = 86_400_000;

/** Runs `fn` in a transaction with the request timeouts lifted, then rolls it back; answers its result and wall ms. */
async function timed<T>(orm: MikroORM, fn: (em: SqlEntityManager) => Promise<T>): Promise<{ ms: number; value: T }> {
  const em = orm.em.fork() as SqlEntityManager;
  const rollback = new Error('rollback');
  let value: T | undefined;
  let ms = 0;
  await em
    .transactional(async (tx) => {
      await tx.getConnection().execute(`select ${LIFT_REQUEST_TIMEOUTS}`, [], 'run', tx.getTransactionContext());
      const started = performance.now();
      value = await fn(tx as SqlEntityManager);
      ms = performance.now() - started;
      throw rollback;
    })
    .catch((e: unknown) => {
      if (e !== rollback) throw e;
    });
  return { ms, value: value as T };
}

/** One read timed: ours (placement-50's) and theirs (the statement before), picked by `pick`. */
type Case = { name: string; pick: string; ours: (em: SqlEntityManager) => Promise<unknown>; theirs: (em: SqlEntityManager) => Promise<unknown> };

/** `value` as JSON with every object's keys sorted, to compare two answers whatever order their fields were built in. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const fmt = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));

async function main(): Promise<void> {
  const base = process.env.DATABASE_URL?.trim();
  if (!base) {
    console.error('DATABASE_URL is required: the server holding the program bench:analytics-jit kept (--keep).');
    process.exit(2);
  }
  const url = new URL(base);
  url.pathname = `/${database}`;
  const migrator = await openOrm({ url: url.toString(), poolMax: 2 });
  const applied = await migrate(migrator).finally(() => migrator.close(true));
  if (applied.length) console.log(`applied ${applied.join(', ')}`);
  const orm = await openOrm({ url: url.toString(), poolMax: 1 });
  try {
    const info = await orm.em
      .fork()
      .getConnection()
      .execute<{ members: number; now_at: string | Date }[]>(`select members, now_at from ajb_seed`)
      .catch(() => []);
    if (info.length === 0) throw new Error(`${database} holds no program seeded by bench:analytics-jit (--keep)`);
    const now = new Date(info[0].now_at);
    const [{ currency }] = await orm.em.fork().getConnection().execute<{ currency: string }[]>(`select min(currency_code) as currency from tier`);
    const [{ customers, tiers }] = await orm.em
      .fork()
      .getConnection()
      .execute<{ customers: number; tiers: number }[]>(`select (select count(*)::int from customer) as customers, (select count(*)::int from tier) as tiers`);
    console.log(`${database}: ${customers} customers, ${tiers} tiers (${currency}), now = ${now.toISOString()}; ${rounds} rounds${baseline ? '' : ', no baselines'}`);

    // The stored tiers made current first, committed, as on a running program (the daily job keeps them
    // so); a seeded program has none, so re-placing would time writing every customer's move.
    const started = performance.now();
    const placed = await recomputeAllTiers(orm.em.fork() as SqlEntityManager, { now: () => now });
    console.log(`stored tiers made current first (committed): ${placed.moved} moved, ${fmt(performance.now() - started)} ms`);
    // a store open to all made one for the ladder's second tier and up with 500 points to spend
    const ladder = await orm.em.fork().getConnection().execute<{ code: string }[]>(`select code from tier where currency_code = ? order by rank`, [currency]);
    const anyone: StoreRules = { startsAt: null, endsAt: null, tiers: [], segments: [], minBalance: null, minLifetimePoints: null };
    const members: StoreRules = { ...anyone, tiers: ladder.slice(1).map((t) => t.code), minBalance: 500 };
    const stats = (days: number): Omit<Case, 'pick'> => ({
      name: `programStats ${days === 1 ? 'day' : days === 30 ? 'month' : 'year'}`,
      ours: (em: SqlEntityManager) => programStats(em, currency, new Date(now.getTime() - days * DAY_MS), now, now),
      theirs: (em: SqlEntityManager) => programStatsBefore(em, currency, new Date(now.getTime() - days * DAY_MS), now, now).then((r) => r.figures),
    });
    const every: Case[] = [
      {
        name: 'tierMix',
        pick: 'tierMix',
        ours: (em) => tierMix(em, currency, now).then((rows) => rows.map((r) => ({ tierId: Number(r.tierId), members: r.members }))),
        theirs: (em) => tierMixBefore(em, currency, now),
      },
      { name: 're-place everyone', pick: 'replace', ours: (em) => recomputeAllTiers(em, { now: () => now }).then((r) => r.moved), theirs: (em) => moversBefore(em, now) },
      ...[1, 30, 365].map((days) => ({ ...stats(days), pick: 'programStats' })),
      {
        name: 'store edit: access lost and gained',
        pick: 'storeAccess',
        ours: (em) => storeAccessChange(em, currency, anyone, members, now),
        theirs: (em) => storeAccessChangeBefore(em, currency, anyone, members, now),
      },
    ];
    const cases = every.filter((c) => picked.includes(c.pick));
    const rows: string[] = [];
    for (const c of cases) {
      const ours: number[] = [];
      const theirs: number[] = [];
      for (let round = 0; round < rounds; round++) {
        const order = round % 2 === 0 ? ['ours', 'theirs'] : ['theirs', 'ours'];
        for (const who of order) {
          if (who === 'theirs' && !baseline) continue;
          const run = await timed(orm, who === 'ours' ? c.ours : c.theirs);
          (who === 'ours' ? ours : theirs).push(run.ms);
          console.log(`${c.name} ${who}: ${fmt(run.ms)} ms → ${JSON.stringify(run.value)}`);
          if (who === 'theirs' && round === 0) {
            const mine = await timed(orm, c.ours);
            if (canonical(mine.value) !== canonical(run.value)) throw new Error(`${c.name}: the answers differ: ${JSON.stringify(mine.value)} ≠ ${JSON.stringify(run.value)}`);
          }
        }
      }
      const spread = (xs: number[]) => (xs.length ? `${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}` : '–');
      rows.push(
        `| ${c.name} | ${fmt(median(ours))} (${spread(ours)}) | ${theirs.length ? `${fmt(median(theirs))} (${spread(theirs)})` : '–'} | ${theirs.length ? `×${(median(theirs) / median(ours)).toFixed(1)}` : '–'} |`,
      );
    }
    console.log(`\n| read | placement-50 ms (spread) | before ms (spread) | before ÷ placement-50 |\n|---|---:|---:|---:|\n${rows.join('\n')}`);
  } finally {
    await orm.close(true);
  }
}

await main();
