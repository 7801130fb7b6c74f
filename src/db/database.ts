import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { MIGRATIONS } from '../../migrations/index.js';
import { ensureDatabase, startEmbeddedPostgres, StartupError, type RunningPostgres } from './embedded.js';
import { closeOrm, migrate, openOrm } from './orm.js';

export interface Database {
  orm: MikroORM;
  url: string;
  embedded: boolean;
  /** Closes the pool, then stops the embedded server if this process started it. */
  close(): Promise<void>;
  /** The embedded server's `lost` (see RunningPostgres): how it ended, when it ends under the gateway. Undefined with DATABASE_URL. */
  lost?: Promise<string>;
}

const EMBEDDED_DATABASE = 'reward_gateway';

/** The database the gateway runs on: DATABASE_URL, or an embedded PostgreSQL in DATA_DIR; migrated. */
export async function openDatabase(config: Config, log: Logger): Promise<Database> {
  let embedded: RunningPostgres | undefined;
  let url = config.databaseUrl;
  if (!url) {
    log.info({ dataDir: config.dataDir }, 'starting embedded PostgreSQL');
    embedded = await startEmbeddedPostgres(config.dataDir, (line) => log.debug({ postgres: line }));
    await ensureDatabase(embedded.adminUrl, EMBEDDED_DATABASE);
    url = embedded.urlFor(EMBEDDED_DATABASE);
  }
  try {
    const orm = await openOrm({ url, poolMax: config.dbPoolMax, poolIdleMs: config.dbPoolIdleMs, timeouts: config.dbTimeouts });
    const applied = await migrateChecked(orm).catch(async (error) => {
      await orm.close(true);
      throw error;
    });
    if (applied.length) log.info({ applied }, 'migrations applied');
    return {
      orm,
      url,
      embedded: !!embedded,
      lost: embedded?.lost,
      close: async () => {
        // bounded: a statement a frozen server holds must not hold the shutdown (break-16)
        await closeOrm(orm);
        await embedded?.stop();
      },
    };
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
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
