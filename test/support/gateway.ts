import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { MikroORM, SqlEntityManager } from '@mikro-orm/postgresql';
import pg from 'pg';
import pino from 'pino';
import { AdjustableClock } from '../../src/clock.js';
import { ClockGuard } from '../../src/clock-guard.js';
import { loadConfig, type Config } from '../../src/config.js';
import { migrate, openOrm } from '../../src/db/orm.js';
import { signToken } from '../../src/http/auth.js';
import { startGateway, type Gateway } from '../../src/http/server.js';
import { PurgeCounts } from '../../src/jobs/purged.js';
import { startJobs, type Jobs } from '../../src/jobs/registry.js';
import { Kind, parse, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import { toGlobalId } from '../../src/graphql/ids.js';
import { manifestFromDocument, type ManifestOperation, type PersistedManifest } from '../../src/persisted/manifest.js';
import { contractDocument } from './contract.js';
import { currentTestFile } from './test-file.js';

/** The application_name of `TestGateway.sql`'s connections, which are the test's, not the gateway's. */
export const TEST_SQL_APPLICATION = 'reward-gateway tests';

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256!';

/**
 * Test gateways count requests like any other (the limiter runs on every request of the suite) but
 * with budgets no test reaches: suites send hundreds of requests a minute as one customer, all
 * from 127.0.0.1. test/http/limits.test.ts sets small budgets to see them refuse.
 */
export const HIGH_RATE_LIMITS = {
  RATE_LIMIT_CUSTOMER: '1000000',
  RATE_LIMIT_PARTNER: '1000000',
  RATE_LIMIT_STAFF: '1000000',
  RATE_LIMIT_ANONYMOUS: '1000000',
  RATE_LIMIT_WS_CONNECT: '1000000',
};

/** A typed contract document (codegen's TypedDocumentString) or plain GraphQL text. */
export type Doc<TData, TVars> = { __apiType?: (v: TVars) => TData; toString(): string } | string;

export interface GqlResult<TData> {
  status: number;
  data?: TData | null;
  errors?: { message: string; path?: string[]; extensions?: Record<string, unknown> }[];
  /** The answer's own `extensions` (a replayed keyed mutation's `idempotentReplays`, replay-22). */
  extensions?: Record<string, unknown>;
  headers: Headers;
  /** The answer's body as sent (set by `gql`), for byte-for-byte comparisons: a replay's `data` is the first answer's bytes. */
  text?: string;
}

/**
 * A bearer token, or a partner's API key. Partners run only registered operations, sent by id:
 * with `{ apiKey }`, `gql` does what a partner's build and an operator do, once per key and
 * document: puts the contract's partner operations, and the document sent if it is another named
 * one, on that partner's list, then sends the document by its hash (`extensions.persistedQuery`,
 * no `query`). So a test of a partner's rights (scopes, guards) reads as before. `asText: true`
 * sends the text instead, unregistered, as an untrusted client would.
 */
export type Credential = string | { apiKey: string; asText?: boolean };

function credentialHeaders(credential?: Credential): Record<string, string> {
  if (!credential) return {};
  return typeof credential === 'string' ? { authorization: `Bearer ${credential}` } : { 'x-api-key': credential.apiKey };
}

export interface TestGateway {
  url: string;
  config: Config;
  clock: AdjustableClock;
  orm: MikroORM;
  databaseUrl: string;
  /** The gateway instance itself (its event hub, for subscription tests). */
  gateway: Gateway;
  /** The job worker (running in the background unless started with `jobs: 'manual'`) and the scheduler (ticked by tests). */
  jobs: Jobs;
  /** Enqueues the scheduled jobs due at the clock's now (the webhook dispatcher's too) and waits until every due job has run. */
  runScheduled(): Promise<void>;
  /** Runs one operation over HTTP POST, as a client would: with a bearer token or a partner's API key (see `Credential`). */
  gql<TData, TVars>(doc: Doc<TData, TVars>, variables?: TVars, credential?: Credential): Promise<GqlResult<TData>>;
  /**
   * Registers documents (each named operation in them) for a client through the operators'
   * `registerPersistedOperations`, as an operator would; returns the manifest registered.
   * `client`: a partner's API key (its partner), a partner id, or a first-party name such as `mobile`.
   */
  register(client: string | { apiKey: string }, ...documents: (Doc<unknown, unknown> | PersistedManifest)[]): Promise<PersistedManifest>;
  /** The partner id (global) holding an API key, if any. */
  partnerIdOf(apiKey: string): Promise<string | undefined>;
  /** A raw HTTP request to the gateway. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  operatorToken: string;
  analystToken: string;
  customerToken(externalId: string, ttlSeconds?: number): Promise<string>;
  /** SQL straight to the test database, for setting up and checking what the API cannot show. */
  sql<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<R[]>;
  close(): Promise<void>;
}

/**
 * POSTs `body` (JSON text) to `url` over `node:http` on `agent` and reads the whole answer: its
 * status, its headers (as a fetch `Headers`, repeated ones appended) and its body as text.
 * Rejects with the socket's error (`connect ECONNREFUSED …` once the gateway is closed).
 *
 * What `gql` sends, rather than `fetch`: undici's fetch cost ~0.35–0.6 ms more CPU a request than
 * `node:http` here (its Request and Response objects, WHATWG streams for a body of a few hundred
 * bytes), and the suite sends its operations through `gql` (suite-45 in docs/decisions.md). Keep-
 * alive as fetch's: the agent closes an idle socket a second before the server's `Keep-Alive:
 * timeout` hint (`agentKeepAliveTimeoutBuffer`, Node 24.7), so a request is not sent on a socket
 * the gateway is closing.
 */
function postJson(url: string, headers: Record<string, string>, body: string, agent: http.Agent): Promise<{ status: number; headers: Headers; text: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      { method: 'POST', agent, headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const received = new Headers();
          for (let i = 0; i < response.rawHeaders.length; i += 2) received.append(response.rawHeaders[i], response.rawHeaders[i + 1]);
          resolve({ status: response.statusCode!, headers: received, text: Buffer.concat(chunks).toString('utf8') });
        });
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: process.env.TEST_PG_ADMIN_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** The worker's kept admin session (`adminStatement`), opened on first use. */
let keptAdmin: Promise<pg.Client> | undefined;

/**
 * Sends `statement` (a `create database` or `drop database`, which run outside a transaction) on
 * one session on the run server's admin database, kept for the worker's life (db-27), instead of a
 * session of its own each (`withAdmin`): a session costs PostgreSQL ~28 ms of CPU to start and end,
 * and the test gateways' databases were two each (create, drop), ~450 gateways a run. Measured on
 * test/transactions, test/stores and test/points (46 databases; user+sys of the whole run, quiet
 * machine): 81.3/82.5 s → 74.9/72.4 s (docs/decisions.md, db-27). The worker's statements queue on
 * it (pg runs one at a time). Its socket is unref'd, so it keeps no worker alive; a session found
 * ended (an error or its end) is forgotten, and the next statement opens another.
 */
async function adminStatement(statement: string): Promise<void> {
  const admin = await (keptAdmin ??= openKeptAdmin());
  await admin.query(statement);
}

/** Opens the worker's kept admin session (`adminStatement`); forgotten when it fails to open, errs or ends. */
function openKeptAdmin(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: process.env.TEST_PG_ADMIN_URL });
  const opening = client.connect().then(() => {
    (client as unknown as { connection: { stream: { unref(): void } } }).connection.stream.unref();
    return client;
  });
  const forget = () => {
    if (keptAdmin === opening) keptAdmin = undefined;
  };
  client.on('error', forget);
  client.on('end', forget);
  opening.catch(forget);
  return opening;
}

/**
 * A `pg` pool of the test's own (set-up, checks, held transactions: statements the gateway does not
 * send). `pool.end()` resolves before its sessions have ended, so dropping the database with force
 * right after (`createTestDatabase().drop`) can terminate a session still closing; its 57P01
 * ("terminating connection due to administrator command") is then an `error` of the pool, which
 * with no listener was thrown as an uncaught exception and failed the suite in its teardown
 * (test/webhooks/dispatch-cursor.test.ts, about 1 run in 20; hang-12). A session of the test's that
 * dies is no test's subject, so its error is ignored; a query in flight still rejects.
 */
export function testPool(config: pg.PoolConfig): pg.Pool {
  const pool = new pg.Pool(config);
  pool.on('error', () => undefined);
  return pool;
}

/** A fresh, empty database on the run's server; dropped by `close`. */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `rg_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await adminStatement(`create database ${name}`);
  const url = new URL(process.env.TEST_PG_ADMIN_URL!);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => adminStatement(`drop database if exists ${name} with (force)`) };
}

/** The run's template database (named by test/support/global-teardown.mjs too, which drops it from a DATABASE_URL server). */
function templateName(): string {
  if (!process.env.TEST_RUN_ID) throw new Error('TEST_RUN_ID is unset: run the tests through jest (test/support/global-setup.mjs sets it)');
  return `rg_template_${process.env.TEST_RUN_ID}`;
}

/**
 * This worker's wait for the run's template (made once per run, by whichever worker asks first).
 * Forgotten when it fails, so the next test gateway tries again: the worker keeps this module for
 * all its files (jest-light-runner, isolation-15), and a failure kept here failed every later file.
 */
let template: Promise<string> | undefined;

/**
 * The run's migrated template database: an empty database with every migration applied
 * (`migrate`, as `startTestGateway` did for each database), made by the first test file of the run
 * to need one, under a PostgreSQL advisory lock so the other worker waits for it rather than making
 * its own. Its name; no session stays connected to it (CREATE DATABASE … TEMPLATE needs that).
 */
function migratedTemplate(): Promise<string> {
  return (template ??= withAdmin(async (admin) => {
    const name = templateName();
    // a session-level lock on the admin connection: released by `client.end()` whatever happens
    await admin.query(`select pg_advisory_lock(hashtext('reward-gateway test template'))`);
    const { rowCount } = await admin.query(`select 1 from pg_database where datname = $1`, [name]);
    if (rowCount) return name;
    const building = `${name}_building`;
    await admin.query(`drop database if exists ${building} with (force)`);
    await admin.query(`create database ${building}`);
    const url = new URL(process.env.TEST_PG_ADMIN_URL!);
    url.pathname = `/${building}`;
    const orm = await openOrm({ url: url.toString(), poolMax: 2 });
    try {
      await migrate(orm);
    } finally {
      await orm.close(true);
    }
    // renamed only once complete: a template that exists is a migrated one
    await admin.query(`alter database ${building} rename to ${name}`);
    return name;
  }).catch((error: unknown) => {
    template = undefined;
    throw error;
  }));
}

/**
 * A fresh database on the run's server holding what the migrations make and nothing else: a copy of
 * the run's migrated template, which is quicker than running every migration again for each of the
 * suite's ~200 test gateways (measured in docs/decisions.md, suite-12). Dropped by `drop`.
 *
 * Handed out from the worker's spare (`spare`), made while the previous test gateway's tests ran,
 * and the next spare is begun at once (suite-38): the copy cost each test gateway 200–650 ms of its
 * start, on a machine with a core idle a third of the time. The spare is the same copy of the same
 * template, made by the same statement, only earlier; nothing has connected to it when handed out.
 */
export async function createMigratedDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const made = spare;
  spare = undefined;
  let database: { url: string; drop(): Promise<void> };
  try {
    database = await (made ?? copyOfTemplate());
  } catch {
    database = await copyOfTemplate(); // a spare that failed (its admin session ended): its error again, or a database
  }
  spare = copyOfTemplate();
  spare.catch(() => undefined); // taken (and made again) by the next call
  return database;
}

/**
 * The worker's next migrated database (`createMigratedDatabase`), being made or made. A worker's
 * last spare is never handed out: on the embedded server it goes with the server's data folder at
 * the run's end; from a DATABASE_URL server test/support/global-teardown.mjs drops it, by the run's
 * id in its name.
 */
let spare: Promise<{ url: string; drop(): Promise<void> }> | undefined;

/** A copy of the run's migrated template, named `rg_test_<TEST_RUN_ID>_…` (global-teardown.mjs drops what is left of those). */
async function copyOfTemplate(): Promise<{ url: string; drop(): Promise<void> }> {
  const source = await migratedTemplate();
  const name = `rg_test_${process.env.TEST_RUN_ID}_${randomBytes(4).toString('hex')}`;
  // The run's own embedded cluster (fsync off): copied file by file after a checkpoint, ~30 ms of
  // CPU, not block by block through the WAL (PostgreSQL's default since 15), ~115 ms (suite-44). A
  // DATABASE_URL server keeps the default: each copy would checkpoint someone's server, fsync on.
  await adminStatement(`create database ${name} template ${source}${process.env.DATABASE_URL ? '' : ' strategy file_copy'}`);
  const url = new URL(process.env.TEST_PG_ADMIN_URL!);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => adminStatement(`drop database if exists ${name} with (force)`) };
}

/**
 * A real gateway (HTTP on a free port) on a fresh, migrated database, with a clock tests can move.
 * `options.settings` are the database's own defaults of PostgreSQL settings (`{ TimeZone:
 * 'Europe/Berlin' }`, `{ default_transaction_isolation: 'serializable' }`), set as a DBA would with
 * `alter database … set` before the gateway's first connection; the run's server keeps
 * PostgreSQL's (UTC, read committed).
 * `options.jobPollMs`: how often idle job loops look for work without a wake-up (default 250 ms; see suite-25 in docs/decisions.md).
 * `options.jobLocalWakeUps`: false has the gateway's own submissions wake its job loops by NOTIFY
 * only, as another instance's would (default true: directly, see `wakeWorkers`).
 * `options.schedulers`: true runs the schedulers as `npm start` does (the webhook dispatcher's, and
 * the slow one's, whose tick is an hour apart here); default false: tests tick them (`runScheduled`).
 * `options.random`: the job handlers' random source (default `Math.random`), for a test that fixes
 * what is drawn (the webhook retries' jitter).
 * `options.log`: the gateway's logger (default: silent, or TEST_LOG_LEVEL), for tests of its log lines.
 */
export async function startTestGateway(env: Record<string, string> = {}, options: TestGatewayOptions = {}): Promise<TestGateway> {
  const file = currentTestFile();
  await closeLeftBehind(file);
  const t = await startTestGatewayNow(env, options);
  const close = t.close;
  let closed: Promise<void> | undefined;
  t.close = () => (closed ??= (open.delete(t), close()));
  open.set(t, file);
  // the file that asked for it ended meanwhile (its set-up timed out): nobody will close it
  if (currentTestFile() !== file) await closeLeftBehind(currentTestFile());
  return t;
}

/** What `startTestGateway` takes besides the environment (described there). */
type TestGatewayOptions = { jobs?: 'background' | 'manual'; settings?: Record<string, string>; jobPollMs?: number; jobLocalWakeUps?: boolean; schedulers?: boolean; log?: pino.Logger; random?: () => number };

/**
 * The test gateways of this worker not closed yet, each with the test file that started it. The
 * worker runs its files one after another with this module loaded (jest-light-runner), and a file
 * whose set-up timed out went on starting its gateway after the file had ended, with no `afterAll`
 * left to close it: its job loops then polled the database through the `pg` client of every
 * later file, whose statement counts (test/stores/listing-statements.test.ts) counted them too.
 */
const open = new Map<TestGateway, string | undefined>();

/** Closes every open test gateway started by a file other than `file`; their errors are no test's. */
async function closeLeftBehind(file: string | undefined): Promise<void> {
  await Promise.all([...open].filter(([, from]) => from !== file).map(([t]) => t.close().catch(() => undefined)));
}

async function startTestGatewayNow(env: Record<string, string>, options: TestGatewayOptions): Promise<TestGateway> {
  // With settings of its own the database is made and migrated under them, as a DBA's would be;
  // otherwise it is a copy of the run's migrated template, the same tables as a migration would make.
  const database = options.settings ? await createTestDatabase() : await createMigratedDatabase();
  if (options.settings) {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      for (const [name, value] of Object.entries(options.settings)) {
        await client.query(`select set_config('reward_gateway.setting_name', $1, false), set_config('reward_gateway.setting_value', $2, false)`, [name, value]);
        await client.query(
          `do $$ begin execute format('alter database %I set %I to %L', current_database(), current_setting('reward_gateway.setting_name'), current_setting('reward_gateway.setting_value')); end $$`,
        );
      }
    } finally {
      await client.end();
    }
  }
  const config = loadConfig({ NODE_ENV: 'test', JWT_SECRET: TEST_JWT_SECRET, DATABASE_URL: database.url, DB_POOL_MAX: '20', ...HIGH_RATE_LIMITS, ...env });
  const orm = await openOrm({ url: database.url, poolMax: config.dbPoolMax, poolIdleMs: config.dbPoolIdleMs, timeouts: config.dbTimeouts });
  if (options.settings) await migrate(orm);
  const clock = new AdjustableClock();
  const gatewayLog = options.log ?? pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  // One per process, as src/main.ts has: /readyz and /metrics show what the job claims found.
  const clockGuard = new ClockGuard(clock, config.clockSkewMaxMs, gatewayLog);
  const purges = new PurgeCounts();
  const gateway: Gateway = await startGateway({ config, orm, databaseUrl: database.url, clock, log: gatewayLog, clockGuard, purges }, 0, '127.0.0.1');
  const jobs = await startJobs(
    { orm, clock, config, log: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), databaseUrl: database.url, clockGuard, purges, random: options.random },
    { background: (options.jobs ?? 'background') === 'background', scheduler: options.schedulers ?? false, schedulerTickMs: 3_600_000, pollMs: options.jobPollMs ?? 250, backoffMs: 1_000, leaseMs: 30_000, localWakeUps: options.jobLocalWakeUps ?? true },
  );
  // The test's own statements read a test's few rows. Without parallel plans: PostgreSQL planned
  // tableSnapshot's union over every table (twice per refusal asserted, hundreds of times a run) as a
  // Gather of a Parallel Append, whose worker launches were most of its time: ~300 ms a snapshot at
  // load ~14, ~65 ms without (its execution 170–250 ms → 9 ms; suite-13). Only these sessions:
  // the gateway's own connections keep the server's settings, parallel plans included. Without JIT
  // as well, as the gateway's own sessions (jit-48): with DATABASE_URL on a server built with LLVM
  // (this machine's PostgreSQL 15), the ledger invariants' check after every test was estimated
  // past jit_above_cost and compiled each time (60-100 ms a check).
  const sqlPool = testPool({ connectionString: database.url, max: 2, application_name: TEST_SQL_APPLICATION, options: '-c max_parallel_workers_per_gather=0 -c jit=off' });

  /** Per API key: the hashes already on its partner's list (registered by `gql` or `register`). */
  const registeredFor = new Map<string, Set<string>>();
  const partnerManifest = contractPartnerManifest();
  const manifestOf = (documents: (Doc<unknown, unknown> | PersistedManifest)[]): PersistedManifest => ({
    format: 'apollo-persisted-query-manifest',
    version: 1,
    operations: documents.flatMap((d): ManifestOperation[] =>
      typeof d === 'object' && 'operations' in d ? d.operations : manifestFromDocument(parse(d.toString())).operations,
    ),
  });
  /**
   * The hash to send a document by for a partner, after putting it on the partner's list (an
   * unnamed operation is registered under a name made from its text, as a client's build would
   * have to name it); undefined when the text is not one operation (sent as text, and refused).
   */
  const persistedHashFor = async (apiKey: string, source: string): Promise<string | undefined> => {
    let document: DocumentNode;
    try {
      document = parse(source);
    } catch {
      return undefined;
    }
    const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
    if (operations.length !== 1) return undefined;
    if (!operations[0].name) {
      const name = `Test_${createHash('sha256').update(source).digest('hex').slice(0, 12)}`;
      document = { ...document, definitions: document.definitions.map((d) => (d === operations[0] ? { ...d, name: { kind: Kind.NAME, value: name } } : d)) };
    }
    const [op] = manifestFromDocument(document).operations;
    const text = op.body;
    const known = registeredFor.get(apiKey);
    if (!known) {
      await t.register({ apiKey }, partnerManifest, ...(partnerManifest.operations.some((o) => o.id === op.id) ? [] : [text]));
    } else if (!known.has(op.id)) {
      await t.register({ apiKey }, text);
    }
    return op.id;
  };

  /** `gql`'s connections to this gateway (`postJson`), closed with it. */
  const agent = new http.Agent({ keepAlive: true });

  const t: TestGateway = {
    url: gateway.url,
    config,
    clock,
    orm,
    databaseUrl: database.url,
    gateway,
    jobs,
    async runScheduled() {
      await jobs.scheduler.tick();
      await jobs.dispatcher.tick();
      for (;;) {
        await jobs.runner.runUntilIdle();
        const [{ n }] = (
          await sqlPool.query(`select count(*)::int as n from job where status in ('PENDING', 'RUNNING') and run_at <= $1`, [clock.now()])
        ).rows as { n: number }[];
        if (n === 0) return;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async gql(doc, variables, credential) {
      const text = doc.toString();
      const hash = typeof credential === 'object' && !credential.asText ? await persistedHashFor(credential.apiKey, text) : undefined;
      const request = hash ? { extensions: { persistedQuery: { version: 1, sha256Hash: hash } }, variables } : { query: text, variables };
      const res = await postJson(gateway.url, credentialHeaders(credential), JSON.stringify(request), agent);
      const body = JSON.parse(res.text) as { data?: never; errors?: GqlResult<never>['errors']; extensions?: Record<string, unknown> };
      return { status: res.status, data: body.data, errors: body.errors, extensions: body.extensions, headers: res.headers, text: res.text };
    },
    fetch: (path, init) => fetch(new URL(path, gateway.url), init),
    async partnerIdOf(apiKey) {
      const [row] = await t.sql<{ id: string }>(`select id from partner where key_hash = $1`, [createHash('sha256').update(apiKey).digest('hex')]);
      return row ? toGlobalId('Partner', Number(row.id)) : undefined;
    },
    async register(client, ...documents) {
      const manifest = manifestOf(documents);
      const apiKey = typeof client === 'object' ? client.apiKey : undefined;
      const id = apiKey ? await t.partnerIdOf(apiKey) : (client as string);
      if (id) {
        const res = await t.gql(
          `mutation RegisterPersistedOperations($input: RegisterPersistedOperationsInput!) { registerPersistedOperations(input: $input) { count userErrors { code field message } } }`,
          { input: { client: id, manifest } },
          t.operatorToken,
        );
        ok(res);
      }
      if (apiKey) {
        const known = registeredFor.get(apiKey) ?? new Set<string>();
        for (const op of manifest.operations) known.add(op.id);
        registeredFor.set(apiKey, known);
      }
      return manifest;
    },
    operatorToken: await signToken(config, { sub: 'staff-op', role: 'operator' }),
    analystToken: await signToken(config, { sub: 'staff-an', role: 'analyst' }),
    customerToken: (externalId, ttlSeconds) => signToken(config, { sub: externalId }, ttlSeconds),
    async sql(text, params = []) {
      return (await sqlPool.query(text, params)).rows;
    },
    async close() {
      await gateway.close();
      agent.destroy();
      await jobs.stop();
      await sqlPool.end();
      await orm.close(true);
      await database.drop();
    },
  };
  return t;
}

/**
 * The contract's partner operations as a manifest (`manifestFromDocument` of shared/contract's
 * partner.graphql): read, parsed, printed and hashed once per worker, not for each test gateway
 * (start-27). Nothing changes it: `register` puts its operations, unchanged, in the manifests it sends.
 */
let partnerManifestMade: PersistedManifest | undefined;
const contractPartnerManifest = (): PersistedManifest => (partnerManifestMade ??= manifestFromDocument(contractDocument('partner')));

/**
 * One gateway for the enclosing describe block, with its jobs run by hand (`jobs: 'manual'`): started
 * before its tests and handed to `take`, its clock reset after each test with the ledger invariants
 * checked (`ledgerViolations` empty), closed after the last. The set-up many suites repeat.
 */
export function gatewayPerBlock(take: (t: TestGateway) => void): void {
  let t: TestGateway | undefined;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    take(t);
  });
  afterEach(async () => {
    t!.clock.reset();
    expect(await ledgerViolations(t!)).toEqual([]);
  });
  afterAll(() => t?.close());
}

/**
 * Runs `fn` on a transaction of its own on the test gateway's ORM and rolls the transaction back
 * whatever `fn` does: rows written straight into the tables to compare two reads of them leave
 * nothing behind for the ledger's checks after the test. Resolves when `fn` returns; rejects with
 * `fn`'s error (a failed expectation).
 */
export async function rolledBack(t: TestGateway, fn: (tx: SqlEntityManager) => Promise<void>): Promise<void> {
  const rollback = new Error('rolled back');
  await t.orm.em
    .fork()
    .transactional(async (tx) => {
      await fn(tx as SqlEntityManager);
      throw rollback;
    })
    .catch((e: unknown) => {
      if (e !== rollback) throw e;
    });
}

/** The ledger invariants (SPEC §5.1) as rows that break them: a test expects none. */
export async function ledgerViolations(t: TestGateway): Promise<unknown[]> {
  return t.sql(`
    select a.id, a.available, coalesce(sum(e.amount), 0) as ledger_sum, coalesce(sum(e.remaining), 0) as open_credits
      from point_account a left join ledger_entry e on e.account_id = a.id
     group by a.id
    having a.available <> coalesce(sum(e.amount), 0) or a.available <> coalesce(sum(e.remaining), 0) or a.available < 0`);
}

/** Asserts a payload came back with no GraphQL errors and no userErrors, and returns its data. */
export function ok<T>(result: GqlResult<T>): T {
  if (result.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
  const data = result.data as Record<string, { userErrors?: unknown[] }>;
  for (const value of Object.values(data ?? {})) {
    if (value && Array.isArray(value.userErrors) && value.userErrors.length) throw new Error(`userErrors: ${JSON.stringify(value.userErrors)}`);
  }
  return result.data as T;
}

/** Asserts there were no GraphQL errors (userErrors allowed) and returns the data. */
export function dataOf<T>(result: GqlResult<T>): T {
  if (result.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
  return result.data as T;
}

/** Everything a request could write, counted: a refused request must leave these unchanged. */
export async function writeCounts(t: TestGateway): Promise<Record<string, number>> {
  const [row] = await t.sql<Record<string, number>>(`
    select (select count(*) from customer)::int as customers,
           (select count(*) from point_currency)::int as currencies,
           (select count(*) from tier)::int as tiers,
           (select count(*) from offer)::int as offers,
           (select count(*) from offer_version)::int as "offerVersions",
           (select count(*) from reward_store)::int as stores,
           (select count(*) from listing)::int as listings,
           (select count(*) from listing where removed_at is not null)::int as "removedListings",
           (select count(*) from ledger_entry)::int as "ledgerEntries",
           (select coalesce(sum(available), 0)::int from point_account) as "pointsAvailable",
           (select coalesce(sum(stock_remaining), 0)::int from listing) as "stockRemaining",
           (select count(*) from offer_purchase)::int as purchases,
           (select count(*) from issued_offer)::int as "issuedOffers",
           (select count(*) from idempotency_record)::int as "idempotencyRecords",
           -- registrations that test support makes for partners are set-up, not the request under test
           (select count(*) from audit_entry where action <> 'registerPersistedOperations')::int as "auditEntries",
           (select count(*) from outbox_event)::int as events,
           (select count(*) from webhook_endpoint)::int as "webhookEndpoints",
           (select count(*) from webhook_delivery)::int as "webhookDeliveries"`);
  return row;
}

/** How many requests the gateway has answered through its compiled path (graphql-jit), from `/metrics`. */
export async function compiledRequests(t: TestGateway): Promise<number> {
  const text = await (await t.fetch('/metrics')).text();
  return Number(/^graphql_requests_compiled_total (\d+)/m.exec(text)?.[1] ?? NaN);
}

/**
 * Every table's row count and contents (an md5 of its rows), but the rate limiter's, which counts
 * every request: a refused request must leave each one exactly as it was (nothing stored, nothing
 * changed in place). Compare two snapshots with `toEqual`.
 */
export async function tableSnapshot(t: TestGateway): Promise<Record<string, { n: number; h: string }>> {
  const tables = await t.sql<{ name: string }>(
    `select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'
        and table_name <> 'rate_limit_bucket' order by 1`,
  );
  const rows = await t.sql<{ t: string; h: string; n: number }>(
    tables.map(({ name }) => `select '${name}' as t, md5(coalesce(string_agg(x::text, ',' order by x::text), '')) as h, count(*)::int as n from "${name}" x`).join(' union all '),
  );
  return Object.fromEntries(rows.map((r) => [r.t, { n: r.n, h: r.h }]));
}

/**
 * Runs `request`; expects one BAD_USER_INPUT error whose message matches `message` and whose
 * `extensions.field` is the path `field` (from the argument, list positions as strings; a dotted
 * string such as `"input.lines.0.sku"` is that path), and every table as it was before
 * (`tableSnapshot`): refused at the input edge, nothing stored, nothing changed.
 */
export async function expectRefusedAtTheEdge(t: TestGateway, request: () => Promise<GqlResult<unknown>>, field: string | string[], message: RegExp): Promise<void> {
  const before = await tableSnapshot(t);
  const res = await request();
  const path = typeof field === 'string' ? field.split('.') : field;
  expect(res.errors?.map((e) => ({ code: e.extensions?.code, field: e.extensions?.field }))).toEqual([{ code: 'BAD_USER_INPUT', field: path }]);
  expect(res.errors![0].message).toMatch(message);
  expect(await tableSnapshot(t)).toEqual(before);
}

/**
 * Runs `request` (a mutation whose payload field is `name`); expects no GraphQL error, exactly one
 * userError with `code`, the path `field` and a message matching `message`, and every table as it
 * was before (`tableSnapshot`): a business refusal that wrote nothing.
 */
export async function expectRefusedWith(t: TestGateway, request: () => Promise<GqlResult<unknown>>, name: string, code: string, field: string[], message: RegExp): Promise<void> {
  const before = await tableSnapshot(t);
  const res = await request();
  expect(res.errors).toBeUndefined();
  const payload = (res.data as Record<string, { userErrors: { code: string; field: string[]; message: string }[] }>)[name];
  expect(payload.userErrors).toEqual([{ code, field, message: expect.stringMatching(message) }]);
  expect(await tableSnapshot(t)).toEqual(before);
}
