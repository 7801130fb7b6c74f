import 'reflect-metadata';
import { ReflectMetadataProvider } from '@mikro-orm/decorators/legacy';
import { Migrator } from '@mikro-orm/migrations';
import { defineConfig, MikroORM, type SqlEntityManager } from '@mikro-orm/postgresql';
import pg from 'pg';
import { clientBoundMs, type DbTimeouts } from '../config.js';
import type { ConnectCut } from './connect-cut.js';
import { MIGRATIONS } from '../../migrations/index.js';
import { ENTITIES } from './entities.js';
import { poolClosedWithin } from './end-within.js';
import { PoolSockets } from './pool-sockets.js';
import { GatewayMigrationGenerator } from './migration-generator.js';
import { TCP_KEEPALIVE } from './keepalive.js';
import { watchOutboxCommits } from './outbox-commits.js';
import { prepareParameterisedStatements } from './prepared.js';
import { watchStatements } from './statement-watch.js';
import { installTextArrayParser } from './text-arrays.js';
import { onlyReads, plainRead } from './reads.js';
import { connectionLost, markConnectLost, markTransactionNotBegun, statementUnanswered, type StatementPlace } from './unavailable.js';

// Points and ids are bigint columns; every value the program handles fits a JS number exactly,
// so read int8 as a number rather than a string.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));
// text[] and varchar[] by a parser that slices each element once (the same values as pg's).
installTextArrayParser();

export interface OrmOptions {
  url: string;
  poolMax: number;
  /**
   * How long a pooled connection may sit unused before the pool closes it (ms; DB_POOL_IDLE_MS);
   * 0 or absent keeps every connection the pool opened: a fixed-size pool once it has grown.
   * pg-pool's own default (10 s) closed all but one connection in every lull of a few seconds,
   * and the next burst paid for new sessions (pool-12).
   */
  poolIdleMs?: number;
  /** Bounds on waiting for PostgreSQL (`DbTimeouts`); none when absent (scripts, benchmarks). */
  timeouts?: DbTimeouts;
  debug?: boolean;
  /** Cuts the pool's connects still under way at a stop signal during start-up (`ConnectCut`); absent: none cut. */
  connects?: ConnectCut;
}

/**
 * pg's options for `timeouts`: pg-pool's `connectionTimeoutMillis` bounds both the wait for a free
 * connection and the connecting of a new one; the other two are sent as session settings when a
 * connection opens (no statement of their own). 0 leaves a bound out.
 */
function timeoutOptions(timeouts: DbTimeouts | undefined) {
  if (!timeouts) return {};
  return {
    connectionTimeoutMillis: timeouts.acquireMs,
    statement_timeout: timeouts.statementMs,
    idle_in_transaction_session_timeout: timeouts.idleInTransactionMs,
  };
}

/** The `application_name` of the request pool's sessions: how an operator (or a test) tells them in `pg_stat_activity`. */
export const REQUEST_POOL_APPLICATION = 'reward-gateway requests';

/** The sockets of each request pool `ormConfig` made (`PoolSockets`), for `closeOrm`'s cut. */
const poolSockets = new WeakMap<pg.Pool, PoolSockets>();

export function ormConfig({ url, poolMax, poolIdleMs = 0, timeouts, debug = false, connects }: OrmOptions) {
  const boundMs = timeouts ? clientBoundMs(timeouts) : 0;
  const sockets = new PoolSockets(connects?.connecting);
  return defineConfig({
    clientUrl: url,
    entities: ENTITIES,
    metadataProvider: ReflectMetadataProvider,
    extensions: [Migrator],
    pool: { min: 1, max: poolMax },
    driverOptions: {
      onPoolCreated: (pool: pg.Pool) => {
        poolSockets.set(pool, sockets);
        lendNothingOnceClosing(pool);
        connectAgainOnLostSetUp(pool);
        pool.on('connect', (client) => {
          connects?.ready(client);
          prepareParameterisedStatements(client);
          if (boundMs > 0) boundStatements(client, boundMs);
          handBackOnFailedTransactionControl(client);
          retryLostReads(client, pool);
          // A commit that wrote outbox rows wakes the webhook dispatcher (dispatch-17).
          watchOutboxCommits(client, pool);
        });
      },
      // pg-pool's hook, awaited before a new connection is lent (merged into the pool's options)
      onConnect: (client: pg.ClientBase) => setUpSession(client, boundMs),
      // pg-pool: 0 turns its idle timer off; left out, it is 10 s (merged into the pool's options).
      idleTimeoutMillis: poolIdleMs,
      application_name: REQUEST_POOL_APPLICATION,
      ...TCP_KEEPALIVE,
      ...timeoutOptions(timeouts),
      // every connection's socket, so that closeOrm can cut what the pool still has (PoolSockets)
      stream: sockets.stream,
    },
    debug,
    // Request handlers always fork; touching the global EntityManager is a bug.
    allowGlobalContext: false,
    // What the migrations write by hand and no entity declares: triggers (the ledger's guard, the
    // money-digit checks, the outbox sequence) and SQL functions (raise_refusal, the *_at readers).
    // MikroORM 7 diffs triggers and routines too, so `npm run migration:create` wrote a migration
    // dropping all of them (newcomer-16, test/db/schema.test.ts).
    schemaGenerator: { ignoreTriggers: true, ignoreRoutines: true },
    migrations: {
      tableName: 'mikro_orm_migrations',
      path: 'migrations',
      pathTs: 'migrations',
      migrationsList: MIGRATIONS,
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      silent: true,
      // down() without the hand-written triggers and functions re-created with empty bodies (migrate-17)
      generator: GatewayMigrationGenerator,
    },
  });
}

/**
 * Sets up a new session on `client` (`SESSION_SET_UP`, one statement). Makes every transaction on
 * it READ COMMITTED, the isolation the gateway's SQL is written for, whatever the database's or
 * role's `default_transaction_isolation`: a conditional UPDATE that
 * waited for a row lock re-reads the row as committed and decides again (`available >= $n`, stock,
 * a lock's holder), and a statement after a lock sees what the lock's holder committed. Under
 * REPEATABLE READ or SERIALIZABLE those waits end in serialization failures instead, and every
 * request that met another on a row answered INTERNAL_SERVER_ERROR (hostile pass 9,
 * test/db/transaction-isolation.test.ts). And turns PostgreSQL's JIT compilation off for it (`jit
 * = off`): a server built with LLVM (Debian's, most distributions') compiles a statement to machine
 * code once its estimated cost passes `jit_above_cost`, which on the gateway's short statements
 * costs more than it saves: a gift list read on tables too small for autovacuum to have analysed
 * (estimated at ~440,000 from PostgreSQL's guess for an unanalysed table) took 29–38 ms with JIT
 * on PostgreSQL 15, every read, and under 25 ms without (jit-48, docs/decisions.md). A pool's
 * `onConnect` hook: pg-pool sends it before it lends a new connection, and ends (never lends) one
 * that cannot take it.
 *
 * `boundMs` (the request pool's DB_STATEMENT_TIMEOUT_MS + DB_CLIENT_TIMEOUT_MARGIN_MS; 0: none)
 * bounds its answer on the gateway's side: it runs before the pool's 'connect' event, so neither
 * `boundStatements` nor DB_ACQUIRE_TIMEOUT_MS (which ends at the connection's start-up) covered it,
 * and a connection opened as the server froze held its caller (a request, a claim) and the pool's
 * close for the whole freeze (break-16). pg then destroys the socket and the pool drops it.
 */
export async function setUpSession(client: pg.ClientBase, boundMs = 0): Promise<void> {
  // pg reads `query_timeout` from a query's config too (client.js), which its types leave out
  await client.query(boundMs > 0 ? ({ text: SESSION_SET_UP, query_timeout: boundMs } as pg.QueryConfig) : SESSION_SET_UP);
}

/** The statement `setUpSession` sends once on each new connection (two settings, one round trip: the simple query protocol takes both). */
export const SESSION_SET_UP = `set default_transaction_isolation = 'read committed'; set jit = off`;

/**
 * Select-list items that lift the request pool's `statement_timeout` and
 * `idle_in_transaction_session_timeout` (`DbTimeouts`) for the rest of the transaction they run
 * in: for work that is legitimately long and waits for no caller (a job: points expiry, event
 * retention, a webhook's HTTP request inside its job's transaction; a migration).
 * `set_config(…, true)` is SET LOCAL: the connection goes back to the pool with the request bounds,
 * whatever the transaction's end. Put them in a statement the transaction runs anyway (a job's
 * `returning`), or `select` them; outside a transaction they would last for that statement only.
 */
export const LIFT_REQUEST_TIMEOUTS = `set_config('statement_timeout', '0', true) as lifted_statement_timeout, set_config('idle_in_transaction_session_timeout', '0', true) as lifted_idle_timeout`;

/**
 * Bounds every statement sent on the pooled connection `client` by `boundMs` (DB_STATEMENT_TIMEOUT_MS
 * + DB_CLIENT_TIMEOUT_MARGIN_MS) on the gateway's side. PostgreSQL enforces the statement timeout
 * itself, so a server that cannot run (its backend stopped, the host frozen, a network that drops
 * packets without a reset) never applies it, and a statement on a connection the pool already held
 * waited for the whole freeze, over HTTP and WebSocket alike (hang-12c). A statement with no answer
 * by then:
 * - ends its connection, which is never lent again: it is handed back to the pool with the error
 *   (the pool closes its socket at once, since a statement is in flight) and its later release does
 *   nothing, as for a failed BEGIN; its state is unknown (the statement may still run when the
 *   server wakes, and finds the socket closed: an open transaction then rolls back);
 * - rejects with `statementUnanswered`, marked as having committed nothing for a BEGIN, a statement
 *   inside a transaction other than its COMMIT, a ROLLBACK, or a plain read outside a transaction in
 *   a reads context (503 SERVICE_UNAVAILABLE); a COMMIT, or a statement outside a transaction that
 *   may write, may have committed (500, outcome unknown).
 * A transaction that lifts the request bounds (`LIFT_REQUEST_TIMEOUTS`, a job's or a migration's,
 * recognised by its statement ending with them) is not bounded from that statement to its end: a
 * job may legitimately run for minutes.
 * One timer per statement: under the page benchmark no cost was measurable (docs/decisions.md,
 * hang-12c).
 */
export function boundStatements(client: pg.PoolClient, boundMs: number): void {
  let lifted = false;
  watchStatements(client, (result, args, control, inTransaction) => {
    const text = args[0];
    const place: StatementPlace = control ?? (inTransaction ? 'in transaction' : 'alone');
    if (!control && inTransaction && !lifted && typeof text === 'string' && text.endsWith(LIFT_REQUEST_TIMEOUTS)) lifted = true;
    if (lifted) {
      if (control && control !== 'begin') lifted = false;
      return result;
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const nothingCommitted = place === 'begin' || place === 'in transaction' || place === 'rollback' || (place === 'alone' && onlyReads() && plainRead(text));
        const error = statementUnanswered(boundMs, place, nothingCommitted);
        const release = client.release as ((error?: Error) => void) | undefined;
        // pg-pool lends a connection with a new `release`; this one is never lent again.
        client.release = () => undefined;
        // The pool ends a connection released with an error: with a statement in flight, pg destroys its socket.
        if (typeof release === 'function') release.call(client, error);
        else client.end().catch(() => undefined);
        reject(error);
      }, boundMs);
      result.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  });
}

/** What a ROLLBACK answers (pg's result of a command with no rows). */
const ROLLED_BACK: pg.QueryResult = { command: 'ROLLBACK', rowCount: null, oid: 0, rows: [], fields: [] };

/**
 * Hands a pooled connection back to the pool when the statement that opens or ends a transaction
 * on it fails, which kysely (0.29, kysely-org/kysely#1990) does not do: each such connection stayed
 * out of the pool for good, and after DB_POOL_MAX of them every request waited for a connection for
 * ever; and since closing the pool waits for every connection, the gateway could not stop (a
 * SIGTERM ended by the 15 s force exit, a test's `orm.close()` for ever). Both fail when the
 * connection is gone (the server ended the session: a failover, `pg_terminate_backend`, a proxy's
 * timeout), which a connection idle in the pool can be without the pool knowing yet.
 * - A ROLLBACK that fails ends the connection and resolves: kysely then hands it back, and the pool
 *   drops it. The session's end rolled the transaction back already (hostile pass 9,
 *   test/db/connection-loss.test.ts).
 * - A BEGIN that fails (kysely's `startTransaction().execute()`, which MikroORM's `transactional`
 *   and `begin` use, then holds the connection and hands it to no one) releases the connection to
 *   the pool with its error, so the pool ends and drops it, and rejects as before; the release
 *   kysely's other transactions (or a kysely that fixes this) make after it does nothing (hang-12,
 *   test/db/connection-loss.test.ts).
 * A connection whose transaction state is unknown is never reused, also in the unlikely case that
 * its socket still works. The error that ended the transaction is still the one its caller sees;
 * a failed BEGIN's is marked (`markTransactionNotBegun`), so one on a dead connection answers
 * SERVICE_UNAVAILABLE: nothing of the transaction ran (begin-503).
 */
export function handBackOnFailedTransactionControl(client: pg.PoolClient): void {
  watchStatements(client, (result, _args, control) => {
    if (control === 'rollback') {
      return result.catch(() => {
        // Not awaited: a connection that is already gone may never report its end.
        client.end().catch(() => undefined);
        return ROLLED_BACK;
      });
    }
    if (control === 'begin') {
      return result.catch((error: unknown) => {
        const release = client.release;
        // pg-pool lends a connection with a new `release`; this one is never lent again.
        client.release = () => undefined;
        release.call(client, error instanceof Error ? error : new Error(String(error)));
        throw markTransactionNotBegun(error);
      });
    }
    return result;
  });
}

/** A client's `query` as `retryLostReads` found it: what a retry sends through, so a statement is retried once only. */
const UNRETRIED = Symbol('query without retry');

/**
 * Sends a read once more, on another pooled connection, when the connection it was sent on is
 * found gone (`connectionLost`: a failover, `pg_terminate_backend`, a proxy's idle cut, which a
 * connection idle in the pool can meet without the pool knowing yet), as drivers and ORMs do for
 * idempotent reads (MongoDB's retryable reads, Rails' retry of a read on a lost connection). Only
 * when all of these hold, so that nothing can have been written twice:
 * - the statement runs outside a transaction on `client` (kysely's `begin` … `commit`/`rollback`:
 *   a statement inside one is the transaction's, which ended with the session);
 * - its context says its statements are reads (`onlyReads`: a GraphQL query's or subscription's
 *   work, the gateway's own reads before an operation; never a mutation's or a job's);
 * - its text is a plain read by itself (`plainRead`), checked only once it failed.
 * The dead connection is first handed back to the pool with its error, which drops it (so a
 * request holding it does not wait for the pool's last connection), and its later release does
 * nothing, as for a failed BEGIN. A retry that finds its borrowed connection gone too (a failover
 * ended every session and the pool lent one it had not yet heard of) drops it and borrows again,
 * at most the pool's `max` + 1 times in all: each try drops one, so by then the pool has opened a
 * new one (break-12h). Any other failure of a retry is what the caller sees (pool-12;
 * docs/decisions.md "A read on a dead connection is sent again").
 */
export function retryLostReads(client: pg.PoolClient, pool: pg.Pool): void {
  const query = watchStatements(client, (result, args, control, inTransaction) => {
    if (control || inTransaction || !onlyReads()) return result;
    return result.catch(async (error: unknown) => {
      if (!connectionLost(error) || !plainRead(args[0])) throw error;
      const release = client.release;
      // pg-pool lends a connection with a new `release`; this one is never lent again.
      client.release = () => undefined;
      release.call(client, error instanceof Error ? error : new Error(String(error)));
      // Each connection a retry finds gone is dropped, so the pool opens a new one within `max` tries.
      for (let tries = 1; ; tries++) {
        const fresh = await pool.connect();
        let failed: Error | undefined;
        try {
          return await ((fresh as unknown as Record<symbol, (...a: unknown[]) => Promise<unknown>>)[UNRETRIED] ?? fresh.query).apply(fresh, args);
        } catch (retryError) {
          failed = connectionLost(retryError) ? (retryError as Error) : undefined;
          if (!failed || tries > (pool.options.max ?? 10)) throw retryError;
        } finally {
          fresh.release(failed);
        }
      }
    });
  });
  Object.assign(client, { [UNRETRIED]: query });
}

/** MikroORM's EntityManager constructor (internal): configuration, driver, metadata storage, whether to use the request context, event manager. */
type EntityManagerClass = new (config: unknown, driver: unknown, metadata: unknown, useContext: boolean, eventManager: unknown) => SqlEntityManager;

/**
 * A new EntityManager for one request or job: its own identity map and unit of work, no context,
 * the ORM's event manager. What `orm.em.fork()` answers on the root EntityManager (whose filters,
 * filter parameters, session context, logger context and schema this gateway never sets), made
 * directly: `fork()` also sets `allowGlobalContext` on the shared configuration and back, and each
 * `Configuration.set` writes `process.env.MIKRO_ORM_COLORS` (a call into C++) and resets the
 * logger; with the copies of those empty settings that was ~2.5 % of the gateway's CPU per page
 * (V8 profile of `npm run bench -- --profile`, issue 12, seventh session). Uses the constructor
 * MikroORM's own `fork()` calls (`new em.constructor(config, driver, metadata, useContext,
 * eventManager)`); test/db/request-entity-manager.test.ts checks it answers as a fork does.
 */
export function requestEntityManager(orm: MikroORM): SqlEntityManager {
  const root = orm.em;
  const EntityManager = root.constructor as EntityManagerClass;
  return new EntityManager(orm.config, root.getDriver(), root.getMetadata(), false, root.getEventManager());
}

/** pg-pool's `connect` in its callback form, as `pool.query` calls it. */
type ConnectCallback = (error: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void;

/**
 * Makes `pool` lend no connection once its close has begun (`end()`, which kysely's driver calls
 * as the ORM closes): a connect that completes after that (a new connection still starting when the
 * close began) hands its connection back at once, which ends it, and rejects as a connect to an
 * ending pool does ("Cannot use a pool after calling end on the pool"). kysely's driver forgets its
 * pool as it begins the close, so the connection it was then handed was neither used nor handed back
 * (its `acquireConnection` failed reading the forgotten pool's settings), and pg-pool's `end()`, which
 * waits for every lent connection, never resolved: a gateway SIGTERMed as its jobs' first ticks
 * connected (just after "gateway ready") never logged "stopped" (lifecycle-22,
 * test/http/lifecycle-22-stop-connect-in-flight.test.ts). Nothing is lost by refusing every
 * borrower: whoever connects after the close began (a job's tick, the runner's claim, a read's
 * retry) would meet a closed pool at its next step. Both of pg-pool's forms, the promise and the
 * callback (`pool.query`'s). The close is known by `end()` itself being called (wrapped here), not
 * by pg-pool's state (lifecycle-23: only public methods are relied on).
 */
export function lendNothingOnceClosing(pool: pg.Pool): void {
  let closing = false;
  const end = pool.end.bind(pool) as () => Promise<void>;
  pool.end = ((...args: unknown[]) => {
    closing = true;
    return (end as (...a: unknown[]) => Promise<void>)(...args);
  }) as typeof pool.end;
  const connect = pool.connect.bind(pool) as (callback?: ConnectCallback) => Promise<pg.PoolClient> | undefined;
  const refusal = () => new Error('Cannot use a pool after calling end on the pool (its close began while this connection started)');
  const lend = ((callback?: ConnectCallback) => {
    if (callback) {
      return connect((error, client, done) => {
        if (error || !client || !closing) return callback(error, client, done);
        client.release();
        callback(refusal(), undefined, () => undefined);
      });
    }
    return connect()!.then((client) => {
      if (!closing) return client;
      client.release();
      throw refusal();
    });
  }) as typeof pool.connect;
  pool.connect = lend;
}

/**
 * Makes `pool.connect` open another connection when the new one it was making is found gone before
 * it was lent (`connectionLost`: the server ended its session during its start-up or during the
 * statement the pool sends first, `setUpSession`; a failover, `pg_terminate_backend`, a proxy's
 * cut): nothing of the borrower's has run on it, so another connection is safe for a read and a
 * write alike. Up to the pool's `max` + 1 connects in all, as `retryLostReads` bounds its retries;
 * the last failure is marked (`markConnectLost`) so the request answers SERVICE_UNAVAILABLE
 * ('unreachable', safe to send again), not INTERNAL_SERVER_ERROR. Before (break-27, CI on
 * a3b09f5): a query or a purchase whose pool was opening a connection as sessions were ended
 * answered INTERNAL_SERVER_ERROR. Any other failure (a timeout, a refusal, the pool closing) is
 * passed on as it was, at once. Both of pg-pool's forms, the promise and the callback.
 */
export function connectAgainOnLostSetUp(pool: pg.Pool): void {
  const connect = pool.connect.bind(pool) as (callback?: ConnectCallback) => Promise<pg.PoolClient> | undefined;
  const tries = (pool.options.max ?? 10) + 1;
  const attempt = async (): Promise<pg.PoolClient> => {
    for (let tried = 1; ; tried++) {
      try {
        return await connect()!;
      } catch (error) {
        if (!connectionLost(error)) throw error;
        if (tried >= tries) throw markConnectLost(error);
      }
    }
  };
  pool.connect = ((callback?: ConnectCallback) => {
    if (!callback) return attempt();
    attempt().then(
      (client) => callback(undefined, client, (release?: unknown) => client.release(release as Error | boolean | undefined)),
      (error: Error) => callback(error, undefined, () => undefined),
    );
    return undefined;
  }) as typeof pool.connect;
}

/**
 * How long `closeOrm` lets the pool's lent connections finish before it cuts them (ms). By then the
 * gateway has drained its requests and stopped its job loops: what still holds a connection is a
 * statement a frozen server does not answer (a scheduler's or the webhook dispatcher's tick).
 */
export const POOL_CLOSE_GRACE_MS = 1_000;

/**
 * Closes `orm`'s pool within about `graceMs` + POOL_CLOSE_AFTER_CUT_MS (1 s + 1 s by default),
 * whether or not pg-pool's `end()` ever resolves: `end()` waits for every lent connection to be
 * handed back, and a statement on a frozen server (its backend stopped, the host frozen) is handed
 * back only at its bound, DB_STATEMENT_TIMEOUT_MS + DB_CLIENT_TIMEOUT_MARGIN_MS (17 s by default),
 * or never with the bound off: main.ts's shutdown then ended at its 15 s limit, "shutdown took too
 * long", exit 1 (break-16). Past `graceMs` every connection the pool still holds has its socket
 * destroyed (`PoolSockets`): its statement fails, its holder hands it back (an open transaction
 * rolls back with the session), and the pool's close completes; one whose holder never hands it
 * back no longer holds the close (`poolClosedWithin`, lifecycle-22). Answers whether the pool's
 * close completed (false: a connection was left lent, its socket destroyed).
 * For the gateway's own shutdown (src/db/database.ts `close`), after requests and jobs are done.
 */
export async function closeOrm(orm: MikroORM, graceMs: number = POOL_CLOSE_GRACE_MS): Promise<boolean> {
  const sockets = poolSockets.get(await requestPool(orm));
  if (!sockets) throw new Error('closeOrm: the ORM was not made by ormConfig (its pool has no PoolSockets)');
  // past the grace, lent connections and ones still connecting (`setUpSession`) are cut
  return poolClosedWithin(sockets, orm.close(true), graceMs);
}

/** `orm`'s pg-pool: the request pool, which the job runner shares (its size DB_POOL_MAX). */
export async function requestPool(orm: MikroORM): Promise<pg.Pool> {
  return (orm.em.getConnection() as unknown as { getNativeClient(): Promise<pg.Pool> }).getNativeClient();
}

export async function openOrm(options: OrmOptions): Promise<MikroORM> {
  return MikroORM.init(ormConfig(options));
}

/**
 * Applies every pending migration, all in one transaction (all or nothing) without the request
 * pool's statement timeouts (`LIFT_REQUEST_TIMEOUTS`: a migration rewriting a large table may take
 * minutes); returns the names it applied.
 */
export async function migrate(orm: MikroORM): Promise<string[]> {
  const connection = orm.em.getConnection();
  const applied = await connection.transactional(async (trx) => {
    await connection.execute(`select ${LIFT_REQUEST_TIMEOUTS}`, [], 'run', trx);
    return orm.migrator.up({ transaction: trx });
  });
  return applied.map((m) => m.name);
}

export async function pendingMigrations(orm: MikroORM): Promise<number> {
  return (await orm.migrator.getPending()).length;
}
