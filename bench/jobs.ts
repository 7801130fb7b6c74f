/**
 * The job queue benchmark (issue 10): our PostgreSQL queue (src/jobs) against graphile-worker on
 * the same workload, sales processing, at a steady rate of submitted sales.
 *
 * Each run gets a fresh database (on the PostgreSQL at BENCH_PG_ADMIN_URL, default the local
 * 127.0.0.1:5432 `test` database's server, or an embedded one with BENCH_EMBEDDED=1), a program of
 * one currency with an economy rule and an always-on bonus campaign (so every sale takes the
 * campaign's row lock, the contention point a real program has), and BENCH_CUSTOMERS customers.
 * A submitter inserts BENCH_RATE sales per second for BENCH_SECONDS, each in one transaction with
 * its job (as `submitTransaction` does); the workers process them with `processTransaction`, the
 * gateway's own handler. Receive → processed is `processed_at - received_at` of each sale, both
 * written by this process's clock. Nothing is asserted about time; a run fails only if a sale is
 * left unprocessed or the ledger breaks an invariant.
 *
 *   npm run bench:jobs                       # ours at 1, 4, 8 workers; graphile-worker at 4, 8
 *   BENCH_RATE=80 BENCH_SECONDS=20 npm run bench:jobs
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { MikroORM, SqlEntityManager } from '@mikro-orm/postgresql';
import { Logger as GraphileLogger, run as runGraphileWorker, type Runner } from 'graphile-worker';
import pg from 'pg';
import pino from 'pino';
import { systemClock } from '../src/clock.js';
import { loadConfig, type Config } from '../src/config.js';
import type { Ctx } from '../src/context.js';
import { upsertCustomer } from '../src/customers/customer.service.js';
import { startEmbeddedPostgres, type RunningPostgres } from '../src/db/embedded.js';
import { migrate, openOrm } from '../src/db/orm.js';
import { query, sql } from '../src/db/sql.js';
import { enqueueJob } from '../src/jobs/queue.js';
import { JobRunner } from '../src/jobs/runner.js';
import { createPartner } from '../src/partners/partner.service.js';
import { createCurrency } from '../src/points/points.service.js';
import { createCampaign, setEconomyRule } from '../src/rules/rule.service.js';
import { processTransactionJob } from '../src/transactions/processor.js';
import { PROCESS_TRANSACTION } from '../src/transactions/transaction.service.js';

const env = process.env;
const settings = {
  rate: Number(env.BENCH_RATE ?? 40),
  seconds: Number(env.BENCH_SECONDS ?? 30),
  customers: Number(env.BENCH_CUSTOMERS ?? 200),
  /** `queue:workers` pairs, e.g. `ours:1,ours:4,graphile:4`. */
  runs: (env.BENCH_RUNS ?? 'ours:1,ours:4,graphile:4,ours:8,graphile:8').split(',').map((r) => {
    const [queue, workers] = r.split(':');
    return { queue: queue as 'ours' | 'graphile', workers: Number(workers) };
  }),
  adminUrl: env.BENCH_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  embedded: env.BENCH_EMBEDDED === '1',
};
const log = pino({ level: 'warn' });

interface Result {
  queue: string;
  workers: number;
  submitted: number;
  processed: number;
  p50: number;
  p99: number;
  max: number;
  /** Sales processed per second while the submitter ran (≥ the rate means it kept up). */
  throughput: number;
  /** Sales still waiting when the submitter stopped. */
  backlog: number;
}

async function seed(orm: MikroORM, config: Config): Promise<{ partnerId: number; customers: string[] }> {
  return orm.em.fork().transactional(async (tx) => {
    const caller = { kind: 'staff' as const, staffId: 'bench', role: 'operator' as const };
    const ctx: Ctx = { em: tx, caller, clock: systemClock, config, log };
    await createCurrency(ctx, { code: 'BEANS', name: 'Beans', expiryDays: 365, pointValue: '0.01', moneyCurrency: 'EUR' });
    await setEconomyRule(ctx, { currency: 'BEANS', pointsPerUnit: '1' });
    const now = systemClock.now();
    await createCampaign(ctx, {
      name: 'Always a bonus',
      currency: 'BEANS',
      startsAt: new Date(now.getTime() - 86_400_000),
      endsAt: new Date(now.getTime() + 86_400_000),
      outcome: { bonusPoints: 5 },
    });
    const { partner } = await createPartner(ctx, { name: 'Bench till', scopes: ['transactions:write'] });
    const customers: string[] = [];
    for (let i = 0; i < settings.customers; i++) {
      const c = await upsertCustomer(ctx, { externalId: `bench-${i}`, name: `Bench ${i}` });
      customers.push(String(c.id));
    }
    return { partnerId: partner.id, customers };
  });
}

/** One sale and its job in one transaction, as `submitTransaction` writes them. */
async function submit(em: SqlEntityManager, queue: 'ours' | 'graphile', partnerId: number, customerId: string, n: number): Promise<void> {
  await em.transactional(async (tx) => {
    const lines = [
      { sku: 'LATTE', category: 'COFFEE', quantity: 1, unitPrice: 420 },
      { sku: 'MUFFIN', category: 'PASTRY', quantity: 1 + (n % 3), unitPrice: 250 },
    ];
    const total = (420 + 250 * (1 + (n % 3))) / 100;
    const now = systemClock.now();
    const [row] = await query<{ id: number }>(
      tx,
      sql`insert into sales_transaction (partner_id, external_id, customer_id, occurred_at, money_currency, lines, status, total, received_at)
          values (${partnerId}, ${`sale-${n}-${randomBytes(3).toString('hex')}`}, ${customerId}, ${now}, 'EUR', ${JSON.stringify(lines)}::jsonb, 'RECEIVED', ${total}, ${now})
          returning id`,
    );
    if (queue === 'ours') await enqueueJob(tx, PROCESS_TRANSACTION, { transactionId: Number(row.id) }, { runAt: now, maxAttempts: 5 });
    else await query(tx, sql`select graphile_worker.add_job(${PROCESS_TRANSACTION}, ${JSON.stringify({ transactionId: Number(row.id) })}::json, max_attempts => 5)`);
  });
}

async function oneRun(adminUrl: string, queue: 'ours' | 'graphile', workers: number): Promise<Result> {
  const name = `rg_bench_jobs_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  const config = loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'bench-secret-that-is-long-enough-for-hs256!', DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' });
  const orm = await openOrm({ url: databaseUrl, poolMax: workers + 6 });
  let ours: JobRunner | undefined;
  let theirs: Runner | undefined;
  let graphilePool: pg.Pool | undefined;
  try {
    await migrate(orm);
    const { partnerId, customers } = await seed(orm, config);
    const deps = { orm, clock: systemClock, config, log };
    if (queue === 'ours') {
      ours = new JobRunner(deps, { [PROCESS_TRANSACTION]: processTransactionJob }, { leaseMs: 60_000, pollMs: 1_000, backoffMs: 2_000, maxBackoffMs: 300_000, concurrency: workers });
      await ours.start(databaseUrl);
    } else {
      graphilePool = new pg.Pool({ connectionString: databaseUrl, max: workers + 2 });
      graphilePool.on('error', () => undefined);
      theirs = await runGraphileWorker({
        pgPool: graphilePool,
        concurrency: workers,
        noHandleSignals: true,
        pollInterval: 1_000,
        // Silent, as our runner is at LOG_LEVEL=warn: a line per job would cost both the same.
        logger: new GraphileLogger(() => () => undefined),
        crontab: '',
        taskList: {
          // The same handler in a transaction of its own: graphile-worker completes the job after it
          // commits (processTransaction is a no-op for a sale no longer RECEIVED, so a re-run has no effect).
          [PROCESS_TRANSACTION]: async (payload) => {
            await orm.em.fork().transactional((em) => processTransactionJob.run({ em, clock: systemClock, config, log }, payload as never, undefined as never));
          },
        },
      });
    }

    // The submitter: one sale every 1000/rate ms, not waiting for the previous one.
    const total = settings.rate * settings.seconds;
    const started = Date.now();
    const pending: Promise<void>[] = [];
    for (let n = 0; n < total; n++) {
      const due = started + (n * 1000) / settings.rate;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      pending.push(submit(orm.em.fork(), queue, partnerId, customers[n % customers.length], n));
    }
    await Promise.all(pending);
    const submitEnd = Date.now();
    const [{ n: backlogRaw }] = await query<{ n: number }>(orm.em.fork(), sql`select count(*)::int as n from sales_transaction where status = 'RECEIVED'`);
    const backlog = Number(backlogRaw);
    // Drain (bounded) so every sale gets a delay.
    const drainUntil = Date.now() + 120_000;
    for (;;) {
      const [{ n }] = await query<{ n: number }>(orm.em.fork(), sql`select count(*)::int as n from sales_transaction where status = 'RECEIVED'`);
      if (Number(n) === 0 || Date.now() > drainUntil) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const [stats] = await query<{ processed: number; p50: number; p99: number; max: number; in_window: number }>(
      orm.em.fork(),
      sql`select count(*)::int as processed,
                 percentile_cont(0.5) within group (order by extract(epoch from processed_at - received_at) * 1000) as p50,
                 percentile_cont(0.99) within group (order by extract(epoch from processed_at - received_at) * 1000) as p99,
                 max(extract(epoch from processed_at - received_at) * 1000) as max,
                 count(*) filter (where processed_at <= ${new Date(submitEnd)})::int as in_window
            from sales_transaction where status = 'PROCESSED'`,
    );
    const violations = await query(
      orm.em.fork(),
      sql`select a.id from point_account a left join ledger_entry e on e.account_id = a.id group by a.id
           having a.available <> coalesce(sum(e.amount), 0) or a.available <> coalesce(sum(e.remaining), 0) or a.available < 0`,
    );
    if (violations.length) throw new Error(`ledger invariants broken on ${violations.length} accounts`);
    if (Number(stats.processed) !== total) throw new Error(`${total - Number(stats.processed)} sales left unprocessed`);
    return {
      queue,
      workers,
      submitted: total,
      processed: Number(stats.processed),
      p50: Number(stats.p50),
      p99: Number(stats.p99),
      max: Number(stats.max),
      throughput: Number(stats.in_window) / ((submitEnd - started) / 1000),
      backlog,
    };
  } finally {
    await ours?.stop();
    await theirs?.stop();
    await graphilePool?.end();
    await orm.close(true);
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

const ms = (n: number) => `${Math.round(n)} ms`.padStart(9);

async function main(): Promise<void> {
  let embedded: RunningPostgres | undefined;
  let tempDir: string | undefined;
  let adminUrl = settings.adminUrl;
  if (settings.embedded) {
    tempDir = await mkdtemp(path.join(os.tmpdir(), 'rg-bench-jobs-'));
    embedded = await startEmbeddedPostgres(tempDir);
    adminUrl = embedded.adminUrl;
  }
  try {
    console.log(
      `job queue benchmark — node ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; ` +
        `${settings.rate} sales/s for ${settings.seconds} s over ${settings.customers} customers`,
    );
    console.log('queue            workers  submitted  backlog-at-end  processed/s   p50 recv→done   p99        max');
    const results: Result[] = [];
    for (const r of settings.runs) {
      const result = await oneRun(adminUrl, r.queue, r.workers);
      results.push(result);
      console.log(
        `${(result.queue === 'ours' ? 'ours (src/jobs)' : 'graphile-worker').padEnd(17)}${String(result.workers).padStart(7)}${String(result.submitted).padStart(11)}` +
          `${String(result.backlog).padStart(16)}${result.throughput.toFixed(1).padStart(13)}${ms(result.p50).padStart(16)}${ms(result.p99)}${ms(result.max)}`,
      );
    }
  } finally {
    await embedded?.stop();
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
