/**
 * Sales at the till under load (issue 12): `npm run bench:till`.
 *
 * For each instance count in BENCH_INSTANCES (default `1,2`): a fresh database, the fleet program
 * (bench/seed.ts `seedFleetProgram`: an economy rule and an always-on campaign, so every sale counts
 * on it; BENCH_CUSTOMERS customers), and that many gateway instances, each a
 * process of its own with its job workers on (`fleet-server.ts`). A POS then submits
 * BENCH_RATE sales per second per instance (40) for BENCH_SECONDS (30) through the gateway's HTTP
 * API as a till does: the contract's SubmitTransaction by its persisted id, with the till's API key,
 * spread round-robin over the instances, each sale sent on time whether or not the previous ones
 * were answered (an open loop). It prints, per run: sales processed per second while the till
 * submitted, the backlog when it stopped, receive → processed p50/p99/max (`processed_at -
 * received_at`), the submission's own latency, CPU per sale (instances and PostgreSQL), and checks
 * the ledger afterwards (bench/fleet.ts `ledgerViolations`). A run fails only when an answer or the
 * ledger is wrong; time is never asserted. `--profile` writes a V8 CPU profile of instance 1.
 *
 *   npm run bench:till
 *   BENCH_SECONDS=10 BENCH_INSTANCES=1 npm run bench:till          # a smoke run
 *   JOB_CONCURRENCY=8 npm run bench:till                            # passed to the instances
 *   BENCH_BASELINE=<another build's dist> BENCH_ROUNDS=2 npm run bench:till
 *
 * `BENCH_BASELINE`: the dist folder of another build (e.g. main's); each run is then made with
 * this build's instances and with that one's, alternating (this, baseline in odd rounds; baseline,
 * this in even ones), for BENCH_ROUNDS rounds (1), each on a fresh database this build migrates
 * and seeds, so both are measured in the same stretch of a shared machine's load.
 */
import { mkdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { summarizeProfile, type CpuProfile } from './cpu.js';
import { resetStatements, topStatements, drainSales, SLOW_SALE_MS, envInt, failureOf, keepAliveAgent, ledgerViolations, loadAverage, ms, backlog, startFleet, Till, type Fleet } from './fleet.js';
import { summarize } from './load.js';

const settings = {
  rate: envInt('BENCH_RATE', 40, 1, 10_000),
  seconds: envInt('BENCH_SECONDS', 30, 1, 3_600),
  customers: envInt('BENCH_CUSTOMERS', 1_000, 1, 1_000_000),
  instances: (process.env.BENCH_INSTANCES ?? '1,2').split(',').map(Number),
  poolMax: envInt('BENCH_POOL', 20, 2, 200),
  profile: process.argv.includes('--profile'),
  baseline: process.env.BENCH_BASELINE ? path.resolve(process.env.BENCH_BASELINE) : undefined,
  rounds: envInt('BENCH_ROUNDS', 1, 1, 100),
};
/** Settings of the instances taken from this process's environment when set. */
const PASSED = ['JOB_CONCURRENCY', 'JOB_POLL_MS', 'JOB_LEASE_MS'];

interface TillResult {
  instances: number;
  submitted: number;
  failed: number;
  throughput: number;
  backlog: number;
  latency: ReturnType<typeof summarize>;
  /** `SaleTimes.slowBySecond`: sales over SLOW_SALE_MS by the second of the run they were received in. */
  slowBySecond: [number, number][];
  submitLatency: ReturnType<typeof summarize>;
  nodeCpuMsPerSale: number;
  pgCpuMsPerSale: number;
  statementsPerSale: number;
  /** WAL flushes (fsyncs, pg_stat_io) per sale, by every session and the WAL writer: a commit that waits for its WAL flushes it. */
  walFlushesPerSale: number;
  peakRssMb: number[];
  /** What the database's sessions were waiting on while the till submitted (samples every 50 ms). */
  waits: string;
  /** CPU ms per second and statements per second of all instances and of PostgreSQL while idle. */
  idle: { nodeMsPerSecond: number; pgMsPerSecond: number; statementsPerSecond: number };
}

/**
 * Samples pg_stat_activity every 50 ms: how many of the instances' sessions were running a
 * statement, and what those that waited waited on (a row lock, the NOTIFY queue's lock, WAL
 * flushes …). Where sales queue behind one another shows up here.
 */
function sampleWaits(fleet: Fleet): { stop(): Promise<string> } {
  const tally = new Map<string, number>();
  let samples = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const { rows } = await fleet.pool.query<{ wait: string; n: number }>(
        `select coalesce(wait_event_type || ':' || wait_event, 'on CPU') as wait, count(*)::int as n from pg_stat_activity
          where state = 'active' and pid <> pg_backend_pid() and backend_type = 'client backend' and query not like '%pg_stat_activity%' group by 1`,
      );
      samples++;
      for (const r of rows) tally.set(r.wait, (tally.get(r.wait) ?? 0) + r.n);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return [...tally.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 8)
        .map(([wait, n]) => `${wait} ${(n / samples).toFixed(2)}`)
        .join(', ');
    },
  };
}

/** WAL flushes so far (pg_stat_io, PostgreSQL 18: its `wal` rows), by every backend. */
async function walFlushes(fleet: Fleet): Promise<number> {
  const { rows } = await fleet.pool.query<{ n: string | null }>(`select sum(fsyncs) as n from pg_stat_io where object = 'wal'`);
  return Number(rows[0].n ?? 0);
}

/** One run on `instances` instances, of this build or (`dist`) another build's. */
async function oneRun(instances: number, dist?: string): Promise<TillResult> {
  const env = Object.fromEntries(PASSED.filter((k) => process.env[k]).map((k) => [k, process.env[k]!]));
  const fleet: Fleet = await startFleet({ instances, poolMax: settings.poolMax, seed: { customers: settings.customers, listings: 20, balance: 1_000, stock: 1_000 }, env, dist });
  try {
    const agent = keepAliveAgent(64);
    const till = new Till(fleet.program.apiKey);
    const customers = fleet.program.customers;
    // Warm-up: every instance answers a few sales (and compiles the operation) before the clock starts.
    for (const instance of fleet.instances) {
      for (let i = 0; i < 5; i++) {
        const failure = failureOf(await till.submit(agent, instance.url, customers[i]), 'submitTransaction');
        if (failure) throw new Error(`warm-up sale on ${instance.name}: ${failure}`);
      }
    }
    while ((await backlog(fleet.pool)) > 0) await new Promise((resolve) => setTimeout(resolve, 100));
    // What the instances and PostgreSQL spend doing nothing (pollers, schedulers), for comparison.
    const idleBefore = await Promise.all(fleet.instances.map((i) => i.stats()));
    const pgIdleBefore = fleet.db.cpuMicros();
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const idleAfter = await Promise.all(fleet.instances.map((i) => i.stats()));
    const idle = {
      nodeMsPerSecond: idleAfter.reduce((a, s, i) => a + s.cpuMicros - idleBefore[i].cpuMicros, 0) / 1000 / 5,
      pgMsPerSecond: (fleet.db.cpuMicros() - pgIdleBefore) / 1000 / 5,
      statementsPerSecond: idleAfter.reduce((a, s, i) => a + s.statements - idleBefore[i].statements, 0) / 5,
    };
    await resetStatements(fleet.pool);
    const before = await Promise.all(fleet.instances.map((i) => i.stats()));
    const pgBefore = fleet.db.cpuMicros();
    const walBefore = await walFlushes(fleet);
    if (settings.profile) await fleet.instances[0].profileStart();
    const waits = sampleWaits(fleet);
    const rate = settings.rate * instances;
    const total = rate * settings.seconds;
    const started = Date.now();
    const sent: Promise<void>[] = [];
    const submitTimes: number[] = [];
    let failed = 0;
    let firstFailure: string | undefined;
    for (let n = 0; n < total; n++) {
      const wait = started + (n * 1000) / rate - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const instance = fleet.instances[n % instances];
      sent.push(
        till.submit(agent, instance.url, customers[n % customers.length]).then(
          (answer) => {
            const failure = failureOf(answer, 'submitTransaction');
            if (failure) {
              failed++;
              firstFailure ??= failure;
            } else submitTimes.push(answer.ms);
          },
          (error: unknown) => {
            failed++;
            firstFailure ??= String(error);
          },
        ),
      );
    }
    await Promise.all(sent);
    const submitEnd = Date.now();
    const left = await backlog(fleet.pool);
    const waited = await waits.stop();
    const times = await drainSales(fleet.pool, started, submitEnd, 180_000);
    if (settings.profile) {
      const dir = path.join(os.tmpdir(), 'reward-gateway-bench-profiles');
      await mkdir(dir, { recursive: true });
      const file = path.join(dir, `till-${instances}-instances.cpuprofile`);
      await fleet.instances[0].profileStop(file);
      const summary = summarizeProfile(JSON.parse(await readFile(file, 'utf8')) as CpuProfile);
      console.log(`  CPU profile of instance 1 (${file}): busy ${summary.busyMs.toFixed(0)} ms of ${summary.totalMs.toFixed(0)} ms`);
      for (const p of summary.byPackage) console.log(`    ${(p.share * 100).toFixed(1).padStart(5)} %  ${p.name}`);
      for (const p of summary.byFunction) console.log(`    ${(p.share * 100).toFixed(1).padStart(5)} %  ${p.name}`);
    }
    const after = await Promise.all(fleet.instances.map((i) => i.stats()));
    const top = await topStatements(fleet.pool);
    if (top) console.log(`  PostgreSQL's costliest statements (pg_stat_statements):\n${top}`);
    const pgAfter = fleet.db.cpuMicros();
    const walAfter = await walFlushes(fleet);
    if (firstFailure) throw new Error(`${failed} sales were refused or failed; the first: ${firstFailure}`);
    if (times.processed !== times.submitted) throw new Error(`${times.submitted - times.processed} of ${times.submitted} sales were not processed within 3 minutes`);
    const violations = await ledgerViolations(fleet.pool, fleet.program.stock);
    if (violations.length) throw new Error(`ledger invariants broken: ${JSON.stringify(violations.slice(0, 10))}`);
    const sales = times.submitted;
    const sum = (pick: (s: { statements: number; cpuMicros: number }) => number) => after.reduce((a, s, i) => a + pick(s) - pick(before[i]), 0);
    return {
      instances,
      submitted: sales,
      failed,
      throughput: times.processedBy / ((submitEnd - started) / 1000),
      backlog: left,
      latency: times.latency,
      slowBySecond: times.slowBySecond,
      submitLatency: summarize(submitTimes),
      nodeCpuMsPerSale: sum((s) => s.cpuMicros) / 1000 / sales,
      pgCpuMsPerSale: (pgAfter - pgBefore) / 1000 / sales,
      statementsPerSale: sum((s) => s.statements) / sales,
      walFlushesPerSale: (walAfter - walBefore) / sales,
      peakRssMb: fleet.instances.map((i) => i.memory().peak / 1024 / 1024),
      waits: waited,
      idle,
    };
  } finally {
    await fleet.close();
  }
}

async function main(): Promise<void> {
  console.log(
    `till benchmark — node ${process.version}, ${os.cpus().length} CPUs, load average ${loadAverage()}; ${settings.rate} sales/s per instance for ${settings.seconds} s, ` +
      `${settings.customers} customers, JOB_CONCURRENCY ${process.env.JOB_CONCURRENCY ?? 'default (4)'}, database ${process.env.BENCH_PG_ADMIN_URL ? 'BENCH_PG_ADMIN_URL' : 'embedded'}`,
  );
  if (settings.baseline) console.log(`builds alternating: this (${process.cwd()}) and BENCH_BASELINE ${settings.baseline}, ${settings.rounds} round(s)`);
  const header =
    `${settings.baseline ? 'round  build     ' : ''}instances  submitted/s  processed/s  backlog at end  recv→processed p50      p99      max   submit p50   p99   node CPU ms/sale  PG CPU ms/sale  SQL/sale  WAL flushes/sale  peak RSS MB`;
  const rows: string[] = [];
  for (let round = 1; round <= settings.rounds; round++) {
    for (const instances of settings.instances) {
      const builds: (string | undefined)[] = !settings.baseline ? [undefined] : round % 2 ? [undefined, settings.baseline] : [settings.baseline, undefined];
      for (const dist of builds) {
        const r = await oneRun(instances, dist);
        const label = settings.baseline ? `${String(round).padStart(5)}  ${(dist ? 'baseline' : 'this').padEnd(8)}  ` : '';
        rows.push(
          `${label}${String(r.instances).padStart(9)}  ${String(settings.rate * r.instances).padStart(11)}  ${r.throughput.toFixed(1).padStart(11)}  ${String(r.backlog).padStart(14)}` +
            `  ${ms(r.latency.p50).padStart(17)}  ${ms(r.latency.p99).padStart(7)}  ${ms(r.latency.max).padStart(7)}  ${ms(r.submitLatency.p50).padStart(11)}  ${ms(r.submitLatency.p99).padStart(5)}` +
            `  ${r.nodeCpuMsPerSale.toFixed(2).padStart(16)}  ${r.pgCpuMsPerSale.toFixed(2).padStart(14)}  ${r.statementsPerSale.toFixed(1).padStart(8)}  ${r.walFlushesPerSale.toFixed(2).padStart(16)}  ${r.peakRssMb.map((m) => m.toFixed(0)).join(' / ')}`,
        );
        console.log(`${rows.length === 1 ? header + '\n' : ''}${rows.at(-1)}   (${r.submitted} sales timed, all sales and the ledger checked; load average ${loadAverage()})`);
        console.log(`           idle, before the run: instances ${r.idle.nodeMsPerSecond.toFixed(1)} ms CPU/s, PostgreSQL ${r.idle.pgMsPerSecond.toFixed(1)} ms CPU/s, ${r.idle.statementsPerSecond.toFixed(0)} statements/s`);
        console.log(`           sessions busy in PostgreSQL while the till submitted (mean count per sample): ${r.waits}`);
        console.log(`           sales over ${SLOW_SALE_MS} ms receive → processed, by the second of the run they came in: ${r.slowBySecond.map(([second, n]) => `${second}s ${n}`).join(', ') || 'none'}`);
      }
    }
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
