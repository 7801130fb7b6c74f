/**
 * What idle gateway instances cost (idle-15): `npm run bench:idle`.
 *
 * For each round, a fresh database seeded as bench/till.ts seeds it (`seedFleetProgram`: the fleet
 * program and BENCH_CUSTOMERS customers), BENCH_INSTANCES instances (2) with their job workers on
 * (`fleet-server.ts`, as `npm start` runs them), a warm-up of 5 sales per instance (so every lane
 * has run once and the sales' jobs are done), BENCH_SETTLE_SECONDS (3) to let the sales' own
 * follow-ups (the dispatcher, the relay) pass, then BENCH_IDLE_SECONDS (30) in which nobody sends
 * anything. Over that window it prints, per build:
 *
 * - the instances' CPU (ms per second of wall time, summed over instances, from /proc via the
 *   child's `stats`), and per instance;
 * - PostgreSQL's CPU (ms/s; the postmaster, its backends and the exited ones, bench/cpu.ts);
 * - the statements the instances sent per second (every pg `query` call: BEGIN and COMMIT count)
 *   and the transactions PostgreSQL committed or rolled back per second in the database
 *   (pg_stat_database `xact_commit + xact_rollback`, the bench's own three reads subtracted);
 * - with pg_stat_statements (loaded here unless BENCH_PG_STATEMENTS=0), the statements by kind:
 *   calls per second and PostgreSQL's time per second, most calls first (BENCH_PG_STATEMENTS_TOP).
 *
 * `BENCH_BASELINE=<another build's dist>`: each round measures this build and that one, in
 * alternating order (this first in odd rounds), each on a database of its own, for BENCH_ROUNDS
 * rounds (3); the summary gives each figure's median and range per build and this ÷ baseline of
 * the medians. `--profile`: a V8 CPU profile of instance 1 over the idle window of this build,
 * summarised by package and function. Nothing is asserted; a run fails only when a sale fails.
 *
 *   npm run bench:idle
 *   BENCH_BASELINE=/work/wt/idle-base/dist BENCH_ROUNDS=3 npm run bench:idle
 */
import { mkdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { summarizeProfile, type CpuProfile } from './cpu.js';
import { backlog, envInt, failureOf, keepAliveAgent, loadAverage, resetStatements, startFleet, Till, type Fleet } from './fleet.js';

process.env.BENCH_PG_STATEMENTS ??= '1';

const settings = {
  instances: envInt('BENCH_INSTANCES', 2, 1, 16),
  seconds: envInt('BENCH_IDLE_SECONDS', 30, 1, 3_600),
  settle: envInt('BENCH_SETTLE_SECONDS', 3, 0, 600),
  customers: envInt('BENCH_CUSTOMERS', 1_000, 1, 1_000_000),
  poolMax: envInt('BENCH_POOL', 20, 2, 200),
  rounds: envInt('BENCH_ROUNDS', 3, 1, 100),
  top: envInt('BENCH_PG_STATEMENTS_TOP', 12, 1, 1_000),
  baseline: process.env.BENCH_BASELINE ? path.resolve(process.env.BENCH_BASELINE) : undefined,
  profile: process.argv.includes('--profile'),
};
/** Settings of the instances taken from this process's environment when set (as bench/till.ts). */
const PASSED = ['JOB_CONCURRENCY', 'JOB_POLL_MS', 'JOB_LEASE_MS', 'WEBHOOK_DISPATCH_MS', 'SCHEDULER_TICK_MS', 'WEBHOOK_CONCURRENCY'];

/** One idle window's figures, all per second of wall time. */
interface IdleResult {
  /** CPU ms/s of all instances together, and of each. */
  nodeMsPerSecond: number;
  perInstance: number[];
  /** PostgreSQL's CPU ms/s (NaN on a shared server). */
  pgMsPerSecond: number;
  /** Statements the instances sent per second (pg `query` calls). */
  statementsPerSecond: number;
  /** Transactions PostgreSQL ended per second in the bench's database (commits + rollbacks). */
  transactionsPerSecond: number;
  /** pg_stat_statements' statements of the window, most calls first (empty without the extension). */
  byKind: { calls: number; ms: number; query: string }[];
}

/** Commits and rollbacks in the current database so far (pg_stat_database; the snapshot is cleared first so the figure is current). */
async function transactions(pool: pg.Pool): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query('select pg_stat_clear_snapshot()');
    const { rows } = await client.query<{ n: string }>(`select xact_commit + xact_rollback as n from pg_stat_database where datname = current_database()`);
    return Number(rows[0].n);
  } finally {
    client.release();
  }
}

/** The statements pg_stat_statements saw since its reset, most calls first, the bench's own left out. */
async function statementsByKind(pool: pg.Pool): Promise<IdleResult['byKind']> {
  const { rows } = await pool
    .query<{ calls: string; ms: number; query: string }>(
      `select calls, total_exec_time + total_plan_time as ms, regexp_replace(query, '\\s+', ' ', 'g') as query from pg_stat_statements
        where query not like '%pg_stat_%' order by calls desc, 2 desc limit $1`,
      [settings.top],
    )
    .catch(() => ({ rows: [] as { calls: string; ms: number; query: string }[] }));
  return rows.map((r) => ({ calls: Number(r.calls), ms: Number(r.ms), query: r.query }));
}

/** One idle window on a fleet of this build, or of `dist`'s. */
async function oneRun(dist: string | undefined, profile: boolean): Promise<IdleResult> {
  const env = Object.fromEntries(PASSED.filter((k) => process.env[k]).map((k) => [k, process.env[k]!]));
  const fleet: Fleet = await startFleet({ instances: settings.instances, poolMax: settings.poolMax, seed: { customers: settings.customers, listings: 20, balance: 1_000, stock: 1_000 }, env, dist });
  try {
    const agent = keepAliveAgent(4);
    const till = new Till(fleet.program.apiKey);
    for (const instance of fleet.instances) {
      for (let i = 0; i < 5; i++) {
        const failure = failureOf(await till.submit(agent, instance.url, fleet.program.customers[i]), 'submitTransaction');
        if (failure) throw new Error(`warm-up sale on ${instance.name}: ${failure}`);
      }
    }
    agent.destroy();
    while ((await backlog(fleet.pool)) > 0) await new Promise((resolve) => setTimeout(resolve, 100));
    await new Promise((resolve) => setTimeout(resolve, settings.settle * 1000));

    await resetStatements(fleet.pool);
    const xactBefore = await transactions(fleet.pool);
    const before = await Promise.all(fleet.instances.map((i) => i.stats()));
    const pgBefore = fleet.db.cpuMicros();
    if (profile) await fleet.instances[0].profileStart();
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, settings.seconds * 1000));
    const after = await Promise.all(fleet.instances.map((i) => i.stats()));
    const pgAfter = fleet.db.cpuMicros();
    const seconds = (performance.now() - started) / 1000;
    if (profile) {
      const dir = path.join(os.tmpdir(), 'reward-gateway-bench-profiles');
      await mkdir(dir, { recursive: true });
      const file = path.join(dir, 'idle-instance-1.cpuprofile');
      await fleet.instances[0].profileStop(file);
      const summary = summarizeProfile(JSON.parse(await readFile(file, 'utf8')) as CpuProfile, 20);
      console.log(`  CPU profile of instance 1 while idle (${file}): busy ${summary.busyMs.toFixed(0)} ms of ${summary.totalMs.toFixed(0)} ms`);
      for (const p of summary.byPackage) console.log(`    ${(p.share * 100).toFixed(1).padStart(5)} %  ${p.name}`);
      for (const p of summary.byFunction) console.log(`    ${(p.share * 100).toFixed(1).padStart(5)} %  ${p.name}`);
    }
    // The bench's own transactions in the window: the reset and the first snapshot's two reads.
    const xactAfter = (await transactions(fleet.pool)) - 3;
    const byKind = await statementsByKind(fleet.pool);
    const perInstance = after.map((s, i) => (s.cpuMicros - before[i].cpuMicros) / 1000 / seconds);
    return {
      nodeMsPerSecond: perInstance.reduce((a, b) => a + b, 0),
      perInstance,
      pgMsPerSecond: (pgAfter - pgBefore) / 1000 / seconds,
      statementsPerSecond: after.reduce((a, s, i) => a + s.statements - before[i].statements, 0) / seconds,
      transactionsPerSecond: (xactAfter - xactBefore) / seconds,
      byKind: byKind.map((k) => ({ ...k, calls: k.calls / seconds, ms: k.ms / seconds })),
    };
  } finally {
    await fleet.close();
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const spread = (xs: number[], digits = 1) => `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})`;

async function main(): Promise<void> {
  console.log(
    `idle benchmark — node ${process.version}, ${os.cpus().length} CPUs, load average ${loadAverage()}; ${settings.instances} instance(s) idle ${settings.seconds} s per run, ` +
      `${settings.rounds} round(s), ${settings.customers} customers, database ${process.env.BENCH_PG_ADMIN_URL ? 'BENCH_PG_ADMIN_URL' : 'embedded'}`,
  );
  if (settings.baseline) console.log(`builds alternating: this (${process.cwd()}) and BENCH_BASELINE ${settings.baseline}`);
  const results: Record<'this' | 'baseline', IdleResult[]> = { this: [], baseline: [] };
  for (let round = 1; round <= settings.rounds; round++) {
    const builds: (string | undefined)[] = !settings.baseline ? [undefined] : round % 2 ? [undefined, settings.baseline] : [settings.baseline, undefined];
    for (const dist of builds) {
      const label = dist ? 'baseline' : 'this';
      const r = await oneRun(dist, settings.profile && !dist && round === 1);
      results[label].push(r);
      console.log(
        `round ${round} ${label.padEnd(8)}: instances ${r.nodeMsPerSecond.toFixed(1)} ms CPU/s (${r.perInstance.map((m) => m.toFixed(1)).join(' + ')}), PostgreSQL ${r.pgMsPerSecond.toFixed(1)} ms CPU/s, ` +
          `${r.statementsPerSecond.toFixed(1)} statements/s sent, ${r.transactionsPerSecond.toFixed(1)} transactions/s; load average ${loadAverage()}`,
      );
      if (round === 1 && r.byKind.length) {
        console.log(`  statements by kind (pg_stat_statements): calls/s, PostgreSQL ms/s`);
        for (const k of r.byKind) console.log(`  ${k.calls.toFixed(2).padStart(6)}  ${k.ms.toFixed(2).padStart(6)}  ${k.query.slice(0, 170)}`);
      }
    }
  }
  const figures: [string, (r: IdleResult) => number][] = [
    ['instances ms CPU/s', (r) => r.nodeMsPerSecond],
    ['PostgreSQL ms CPU/s', (r) => r.pgMsPerSecond],
    ['statements/s sent', (r) => r.statementsPerSecond],
    ['transactions/s', (r) => r.transactionsPerSecond],
  ];
  console.log(`\nmedian (min–max) over ${settings.rounds} round(s)`);
  for (const [name, pick] of figures) {
    const mine = results.this.map(pick);
    let line = `  ${name.padEnd(22)} this ${spread(mine).padEnd(22)}`;
    if (settings.baseline) {
      const base = results.baseline.map(pick);
      line += ` baseline ${spread(base).padEnd(22)} this ÷ baseline ×${(median(mine) / median(base)).toFixed(2)}`;
    }
    console.log(line);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
