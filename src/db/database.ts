import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { ensureDatabase, startEmbeddedPostgres, type RunningPostgres } from './embedded.js';
import { migrate, openOrm } from './orm.js';

export interface Database {
  orm: MikroORM;
  url: string;
  embedded: boolean;
  /** Closes the pool, then stops the embedded server if this process started it. */
  close(): Promise<void>;
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
    const orm = await openOrm({ url, poolMax: config.dbPoolMax });
    const applied = await migrate(orm);
    if (applied.length) log.info({ applied }, 'migrations applied');
    return {
      orm,
      url,
      embedded: !!embedded,
      close: async () => {
        await orm.close(true);
        await embedded?.stop();
      },
    };
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
}
