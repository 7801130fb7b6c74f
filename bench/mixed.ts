/**
 * A mixed load on several gateway instances (issue 12): `npm run bench:mixed`.
 *
 * A fresh database with the fleet program (bench/seed.ts `seedFleetProgram`: BENCH_CUSTOMERS
 * customers with points, a store of 20 listings with stock, an economy rule and an always-on
 * campaign, a till), and BENCH_INSTANCES (2) gateway instances, each a process of its own with its
 * job workers on, on that one database. BENCH_CONNECTIONS (16) clients, spread over the instances,
 * each sends one request after another for BENCH_SECONDS (60), picking each time:
 * - 45 % RewardStoreOffers (the page of 20) and 45 % Profile (balances), as the mobile app sends
 *   them (a customer's bearer token; by APQ hash);
 * - 8 % PurchaseOffer of a random listing, with a new idempotency key;
 * - 2 % a sale at the till (SubmitTransaction by persisted id, the till's API key);
 * each as a random one of the customers (so purchases do not all queue on one account).
 * It prints throughput, p50/p99 per operation, errors (any HTTP error, GraphQL error or userError
 * counts; there must be none), each instance's peak RSS (VmHWM from /proc), CPU and PostgreSQL
 * sessions opened, where each instance's memory was at the start, at its highest RSS and at the end
 * (sampled every 500 ms: V8's heap by space, external, and the rest; BENCH_MEMORY_CSV=<file> writes
 * every sample), receive → processed of the sales, and checks the ledger afterwards
 * (bench/fleet.ts `ledgerViolations`).
 * A run fails when an answer or the ledger is wrong; time is never asserted.
 *
 *   npm run bench:mixed
 *   BENCH_SECONDS=10 npm run bench:mixed            # a smoke run
 *   BENCH_CHILD_OUTPUT=/tmp/gc BENCH_NODE_OPTIONS='--max-semi-space-size=8 --trace-gc' npm run bench:mixed   # each instance's GC trace in /tmp/gc
 */
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MemoryBreakdown } from './child.js';
import { toGlobalId } from '../src/graphql/ids.js';
import { drainSales, envInt, failureOf, keepAliveAgent, ledgerViolations, loadAverage, mb, memberTokens, MobileOperation, ms, counts, resetStatements, startFleet, topStatements, Till, type Answer } from './fleet.js';
import { summarize } from './load.js';

const settings = {
  seconds: envInt('BENCH_SECONDS', 60, 1, 3_600),
  instances: envInt('BENCH_INSTANCES', 2, 1, 8),
  connections: envInt('BENCH_CONNECTIONS', 16, 1, 256),
  customers: envInt('BENCH_CUSTOMERS', 2_000, 10, 1_000_000),
  poolMax: envInt('BENCH_POOL', 20, 2, 200),
};
/** Settings of the instances taken from this process's environment when set. */
const PASSED = ['JOB_CONCURRENCY', 'JOB_POLL_MS', 'JOB_LEASE_MS', 'EVENT_POLL_MS', 'PGOPTIONS', 'MALLOC_ARENA_MAX'];

type OperationName = 'RewardStoreOffers' | 'Profile' | 'PurchaseOffer' | 'SubmitTransaction';
/** The mix, in per cent. */
const MIX: [OperationName, number][] = [
  ['RewardStoreOffers', 45],
  ['Profile', 45],
  ['PurchaseOffer', 8],
  ['SubmitTransaction', 2],
];

function pick(): OperationName {
  let roll = Math.random() * 100;
  for (const [name, share] of MIX) {
    roll -= share;
    if (roll < 0) return name;
  }
  return MIX[0][0];
}

async function main(): Promise<void> {
  const env = Object.fromEntries(PASSED.filter((k) => process.env[k]).map((k) => [k, process.env[k]!]));
  console.log(
    `mixed load — node ${process.version}, ${os.cpus().length} CPUs, load average ${loadAverage()}; ${settings.instances} instances (workers on), ` +
      `${settings.connections} clients for ${settings.seconds} s, ${settings.customers} customers, mix ${MIX.map(([n, s]) => `${n} ${s} %`).join(', ')}; ` +
      `database ${process.env.BENCH_PG_ADMIN_URL ? 'BENCH_PG_ADMIN_URL' : 'embedded'}`,
  );
  const stock = 1_000_000;
  const fleet = await startFleet({ instances: settings.instances, poolMax: settings.poolMax, seed: { customers: settings.customers, listings: 20, balance: 100_000, stock }, env });
  try {
    const { program, instances } = fleet;
    const tokens = await memberTokens(fleet.config, program.customers);
    const agent = keepAliveAgent(settings.connections);
    const page = new MobileOperation('RewardStoreOffers');
    const profile = new MobileOperation('Profile');
    const purchase = new MobileOperation('PurchaseOffer');
    const till = new Till(program.apiKey);
    const storeId = toGlobalId('RewardStore', program.storeId);
    const listingIds = program.listingIds.map((id) => toGlobalId('Listing', id));
    let keys = 0;

    const send = (name: OperationName, url: string): Promise<Answer> => {
      const who = Math.floor(Math.random() * program.customers.length);
      switch (name) {
        case 'RewardStoreOffers':
          return page.send(agent, url, tokens[who], { storeId, first: 20 });
        case 'Profile':
          return profile.send(agent, url, tokens[who], {});
        case 'PurchaseOffer':
          return purchase.send(agent, url, tokens[who], { listingId: listingIds[Math.floor(Math.random() * listingIds.length)], idempotencyKey: `mixed-${keys++}` });
        case 'SubmitTransaction':
          return till.submit(agent, url, program.customers[who]);
      }
    };
    const check = (name: OperationName, answer: Answer): string | undefined => {
      const failure = failureOf(answer, name === 'PurchaseOffer' ? 'purchaseOffer' : name === 'SubmitTransaction' ? 'submitTransaction' : undefined);
      if (failure) return failure;
      if (name === 'RewardStoreOffers') {
        const edges = (answer.body.data?.node as { listings?: { edges?: unknown[] } } | null)?.listings?.edges;
        if (edges?.length !== 20) return `a page of ${edges?.length} listings`;
      }
      if (name === 'Profile' && !(answer.body.data?.me as { balances?: unknown[] } | null)?.balances?.length) return 'a profile without its balance';
      return undefined;
    };

    // Warm-up: each instance answers every operation (and learns the APQ hashes) before the clock starts.
    for (const instance of instances) {
      for (const [name] of MIX) {
        for (let i = 0; i < 3; i++) {
          const failure = check(name, await send(name, instance.url));
          if (failure) throw new Error(`warm-up ${name} on ${instance.name}: ${failure}`);
        }
      }
    }

    const samples = new Map<OperationName, number[]>(MIX.map(([name]) => [name, []]));
    const errors = new Map<OperationName, number>(MIX.map(([name]) => [name, 0]));
    const firstErrors: string[] = [];
    await resetStatements(fleet.pool);
    const before = await Promise.all(instances.map((i) => i.stats()));
    const pgBefore = fleet.db.cpuMicros();
    const started = Date.now();
    // Each instance's memory, by part, every 500 ms (over IPC; stats() is not asked meanwhile).
    const series: { at: number; memory: MemoryBreakdown }[][] = instances.map(() => []);
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const at = Date.now() - started;
        (await Promise.all(instances.map((i) => i.breakdown()))).forEach((memory, i) => series[i].push({ at, memory }));
        await sleep(500);
      }
    })();
    const until = started + settings.seconds * 1000;
    await Promise.all(
      Array.from({ length: settings.connections }, async (_, c) => {
        const url = instances[c % instances.length].url;
        while (Date.now() < until) {
          const name = pick();
          let failure: string | undefined;
          try {
            const answer = await send(name, url);
            failure = check(name, answer);
            if (!failure) samples.get(name)!.push(answer.ms);
          } catch (error) {
            failure = String(error);
          }
          if (failure) {
            errors.set(name, errors.get(name)! + 1);
            if (firstErrors.length < 5) firstErrors.push(`${name}: ${failure}`);
          }
        }
      }),
    );
    const ended = Date.now();
    sampling = false;
    await sampler;
    const after = await Promise.all(instances.map((i) => i.stats()));
    const pgCpuMs = (fleet.db.cpuMicros() - pgBefore) / 1000;
    const seconds = (ended - started) / 1000;
    const memory = instances.map((i) => i.memory());
    const sales = await drainSales(fleet.pool, started, ended, 180_000);

    const all = [...samples.values()].flat();
    const totalErrors = [...errors.values()].reduce((a, b) => a + b, 0);
    console.log(`\n${all.length + totalErrors} requests in ${seconds.toFixed(1)} s: ${(all.length / seconds).toFixed(1)} answered/s; errors ${totalErrors}`);
    console.log('operation            requests    req/s   p50 ms   p99 ms   max ms  errors');
    for (const [name] of MIX) {
      const s = summarize(samples.get(name)!);
      console.log(
        `${name.padEnd(19)}${String(s.count).padStart(10)}${(s.count / seconds).toFixed(1).padStart(9)}${ms(s.p50).padStart(9)}${ms(s.p99).padStart(9)}${ms(s.max).padStart(9)}${String(errors.get(name)).padStart(8)}`,
      );
    }
    const overall = summarize(all);
    console.log(`${'all'.padEnd(19)}${String(overall.count).padStart(10)}${(overall.count / seconds).toFixed(1).padStart(9)}${ms(overall.p50).padStart(9)}${ms(overall.p99).padStart(9)}${ms(overall.max).padStart(9)}${String(totalErrors).padStart(8)}`);
    for (const [i, instance] of instances.entries()) {
      const cpu = (after[i].cpuMicros - before[i].cpuMicros) / 1000;
      console.log(
        `${instance.name}: peak RSS ${mb(memory[i].peak)} MB (VmHWM; at the end ${mb(memory[i].rss)} MB); ` +
          `CPU ${(cpu / seconds / 10).toFixed(0)} % of a core, ${((after[i].statements - before[i].statements) / seconds).toFixed(0)} SQL statements/s, ${after[i].connections} PostgreSQL sessions opened`,
      );
      const samples = series[i];
      const peak = samples.reduce((a, b) => (b.memory.rss > a.memory.rss ? b : a));
      for (const [when, sample] of [['at the start', samples[0]], [`at the peak (${(peak.at / 1000).toFixed(0)} s)`, peak], ['at the end', samples.at(-1)!]] as const) {
        console.log(`  ${when.padEnd(20)} ${describeMemory(sample.memory)}`);
      }
    }
    if (process.env.BENCH_MEMORY_CSV) {
      const rows = series.flatMap((samples, i) => samples.map(({ at, memory: m }) => [i + 1, at, m.rss, m.heapTotal, m.heapUsed, m.external, m.arrayBuffers, ...Object.values(m.spaces)].join(',')));
      writeFileSync(process.env.BENCH_MEMORY_CSV, `instance,ms,rss,heapTotal,heapUsed,external,arrayBuffers,${Object.keys(series[0][0].memory.spaces).join(',')}\n${rows.join('\n')}\n`);
      console.log(`memory samples written to ${process.env.BENCH_MEMORY_CSV}`);
    }
    console.log(`PostgreSQL: CPU ${Number.isFinite(pgCpuMs) ? (pgCpuMs / seconds / 10).toFixed(0) : '–'} % of a core`);
    console.log(
      `sales at the till: ${sales.submitted} submitted, ${sales.processed} processed (${sales.processedBy} within the run); receive → processed p50 ${ms(sales.latency.p50)} ms, p99 ${ms(sales.latency.p99)} ms, max ${ms(sales.latency.max)} ms`,
    );
    if (firstErrors.length) console.log(`first errors:\n  ${firstErrors.join('\n  ')}`);
    const violations = await ledgerViolations(fleet.pool, stock);
    const written = await counts(fleet.pool);
    console.log(
      `ledger: ${violations.length ? `BROKEN: ${JSON.stringify(violations.slice(0, 10))}` : 'every invariant holds'} ` +
        `(${written.purchases} purchases, ${written.sales} sales, ${written.ledgerEntries} ledger entries, ${program.customers.length} accounts)`,
    );
    const top = await topStatements(fleet.pool);
    if (top) console.log(`PostgreSQL's costliest statements during the load (pg_stat_statements):\n${top}`);
    console.log(`load average at the end ${loadAverage()}`);
    if (violations.length) throw new Error('ledger invariants broken');
    if (sales.processed !== sales.submitted) throw new Error(`${sales.submitted - sales.processed} sales were not processed within 3 minutes`);
    if (totalErrors) throw new Error(`${totalErrors} requests failed`);
  } finally {
    await fleet.close();
  }
}

/** One line: RSS = V8's heap (committed, by space; used) + external + the rest (the C heap V8 does not count, Node's code). */
function describeMemory(m: MemoryBreakdown): string {
  const s = m.spaces;
  return (
    `RSS ${mb(m.rss)} MB = heap ${mb(m.heapTotal)} (old ${mb(s.old)}, new ${mb(s.new)}, code ${mb(s.code)}, trusted ${mb(s.trusted)}, large ${mb(s.large)}, other ${mb(s.other)}; used ${mb(m.heapUsed)}) ` +
    `+ external ${mb(m.external)} (array buffers ${mb(m.arrayBuffers)}) + outside V8 ${mb(m.rss - m.heapTotal - m.external)}`
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
