import type { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { StartupProgress } from '../startup.js';
import { MIGRATIONS } from '../../migrations/index.js';
import { cutOnAbort, ensureDatabase, startEmbeddedPostgres, StartupError, type RunningPostgres } from './embedded.js';
import { TCP_KEEPALIVE } from './keepalive.js';
import { closeOrm, migrate, openOrm } from './orm.js';
import { ConnectCut } from './connect-cut.js';
import { destroySocket } from './end-within.js';

export interface Database {
  orm: MikroORM;
  url: string;
  embedded: boolean;
  /** Closes the pool, then stops the embedded server if this process started it. */
  close(): Promise<void>;
  /** The embedded server's `lost` (see RunningPostgres): how it ended, when it ends under the gateway. Undefined with DATABASE_URL. */
  lost?: Promise<string>;
  /**
   * Whether the start-up's stop signal (`progress.signal`) has cut a connect of the request pool
   * that was under way (`ConnectCut`): a later start-up step that then failed (pg's "Connection
   * terminated unexpectedly", which MikroORM re-wraps without the abort's reason) failed by the
   * signal, not by itself (lifecycle-22).
   */
  connectCut(): boolean;
}

const EMBEDDED_DATABASE = 'reward_gateway';
/** The start-up step, and its line, while the embedded server starts. */
const EMBEDDED_START = 'starting embedded PostgreSQL';

/**
 * The database the gateway runs on: DATABASE_URL, or an embedded PostgreSQL in DATA_DIR; migrated.
 * Its steps ("starting embedded PostgreSQL", "migrating the database") are entered on `progress`
 * (logged, by default); when `progress.signal` is aborted (a signal during start-up) it stops at the
 * next step or wait (a connect under way included: the migration session's, the pool's), stops the
 * embedded server if it started it, and rejects with the signal's reason.
 */
export async function openDatabase(config: Config, log: Logger, progress: StartupProgress = loggedProgress(log)): Promise<Database> {
  let embedded: RunningPostgres | undefined;
  let url = config.databaseUrl;
  try {
    if (!url) {
      progress.enter(EMBEDDED_START, { dataDir: config.dataDir });
      embedded = await startEmbeddedPostgres(config.dataDir, (line) => log.debug({ postgres: line }), { signal: progress.signal });
      progress.signal.throwIfAborted();
      await ensureDatabase(embedded.adminUrl, EMBEDDED_DATABASE, progress.signal);
      url = embedded.urlFor(EMBEDDED_DATABASE);
    }
    progress.enter('migrating the database');
    const lock = await holdMigrationLock(url, config.dbTimeouts.acquireMs, log, progress.signal);
    let orm: MikroORM;
    let applied: string[];
    // the pool's first connect is the migration's: a signal cuts it if the server has not answered it (lifecycle-21)
    const connects = new ConnectCut(progress.signal);
    try {
      orm = await openOrm({ url, poolMax: config.dbPoolMax, poolIdleMs: config.dbPoolIdleMs, timeouts: config.dbTimeouts, connects });
      applied = await migrateChecked(orm).catch(async (error) => {
        await orm.close(true);
        throw connects.cut ? progress.signal.reason : error;
      });
    } finally {
      await lock.release();
    }
    if (applied.length) log.info({ applied }, 'migrations applied');
    return {
      orm,
      url,
      embedded: !!embedded,
      lost: embedded?.lost,
      connectCut: () => connects.cut,
      close: async () => {
        // bounded: a statement a frozen server holds must not hold the shutdown (break-16), nor a
        // connection its holder never hands back (lifecycle-22)
        if (!(await closeOrm(orm))) log.warn('the request pool still counted connections nobody handed back when it closed: their sockets were closed');
        await embedded?.stop();
      },
    };
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
}

/**
 * Progress outside the gateway's start (the CLI scripts): never aborted, and only the embedded
 * server's start logged, as before early-19: a script's stdout is its answer (`npm run outbox --
 * rebase` prints one line; with every step logged, "migrating the database" came before it).
 */
function loggedProgress(log: Logger): StartupProgress {
  return { signal: new AbortController().signal, enter: (stage, fields) => stage === EMBEDDED_START && log.info(fields ?? {}, stage) };
}

/**
 * The session-level advisory lock (`pg_advisory_lock`, on this key) a gateway holds on its database
 * from before it reads which migrations ran until its migrations are committed. Advisory locks are
 * per database, so gateways on other databases of the same server do not wait for each other.
 */
export const MIGRATION_LOCK_KEY = `hashtextextended('reward-gateway:migrations', 0)`;

/**
 * Connects one session of its own to `url` and takes the migration lock on it, waiting (logged once)
 * while another gateway holds it; `release()` unlocks and closes the session (a killed process's
 * lock goes with its session). Two instances started at once on a database that needed migrations
 * both created the migrations table and ran the same DDL, and one exited 1 with "Migrating the
 * database failed (duplicate key value violates unique constraint "pg_type_typname_nsp_index")"
 * (operator-17); a data migration could have run twice. The second now waits, then finds nothing
 * pending.
 *
 * This connection is also the first the gateway makes: a database that does not exist is refused
 * here (3D000, a one-line StartupError in `startupFailure`), before MikroORM's migrator would create
 * it (its `ensureDatabase`) and a DATABASE_URL with a mistyped name would start on a new empty
 * database. `connectMs` bounds the connect as DB_ACQUIRE_TIMEOUT_MS bounds the pool's (0: none).
 *
 * `signal` (a SIGTERM or SIGINT during start-up, early-19) ends the connect or the wait: the session
 * is closed and the promise rejects. A server still waiting for the lock on the closed session's
 * behalf notices only when the lock is granted, and then ends that session (holding it no longer).
 */
export async function holdMigrationLock(url: string, connectMs: number, log: Logger, signal?: AbortSignal): Promise<{ release(): Promise<void> }> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: connectMs, application_name: 'reward-gateway migrations', ...TCP_KEEPALIVE });
  // an error event on an idle client (the server ends the session) must not crash the start
  client.on('error', () => undefined);
  // The socket itself: `end()` on a connection the server has not answered yet (a frozen server, a
  // proxy with no backend) sends a Terminate and waits for a close that never comes, so the start
  // waited out `connectMs` and the stop its 15 s limit, exit 1 (break2-19). Destroyed, the connect
  // or the query under way rejects at once ("Connection terminated unexpectedly"), and the server
  // ends the session when it sees the socket closed.
  await cutOnAbort(signal, () => destroySocket(client), async () => {
    try {
      await client.connect();
      const { rows } = await client.query<{ locked: boolean }>(`select pg_try_advisory_lock(${MIGRATION_LOCK_KEY}) as locked`);
      if (!rows[0].locked) {
        log.info('another gateway is migrating this database: waiting for it to finish');
        await client.query(`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`);
      }
      signal?.throwIfAborted();
    } catch (error) {
      // cut: its socket is gone, and `end()` would wait for an 'end' that has already come
      if (!signal?.aborted) await client.end().catch(() => undefined);
      throw error;
    }
  });
  return {
    release: async () => {
      await client.query(`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`).catch(() => undefined);
      await client.end().catch(() => undefined);
    },
  };
}

/**
 * Migrates, refusing a database a newer gateway migrated (it holds migrations this one does not
 * know). A failing migration applies nothing (all or nothing). Both are `StartupError`s.
 */
async function migrateChecked(orm: MikroORM): Promise<string[]> {
  const known = new Set(MIGRATIONS.map((m) => m.name));
  const unknown = (await orm.migrator.getExecuted()).map((m) => m.name.replace(/\.[jt]s$/, '')).filter((name) => !known.has(name));
  if (unknown.length) {
    throw new StartupError(
      `The database was migrated by a newer gateway (migration ${unknown[unknown.length - 1]} is unknown to this one): run that version, or restore a backup from before it.`,
    );
  }
  try {
    return await migrate(orm);
  } catch (error) {
    throw new StartupError(
      `Migrating the database failed (${String((error as Error).message).split('\n')[0]}): nothing of it was applied; fix the cause or restore a backup, then start again.`,
      { cause: error },
    );
  }
}
