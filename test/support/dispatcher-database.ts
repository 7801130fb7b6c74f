import type { MikroORM } from '@mikro-orm/postgresql';
import type pg from 'pg';
import pino from 'pino';
import { AdjustableClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { openOrm } from '../../src/db/orm.js';
import { dispatchWebhooks } from '../../src/webhooks/webhook.jobs.js';
import { createTestDatabase, TEST_JWT_SECRET, testPool } from './gateway.js';

/**
 * A database of its own for a describe block, migrated (up to `migrateTo`, else all), with the
 * webhook dispatcher run by hand on it: for tests of the dispatcher's reads by commit, of migrations
 * under it, and of its locks against other writers (no gateway). `env`: settings beside the test
 * defaults (WEBHOOK_DISPATCH_BATCH …); `poolMax`: the size of the SQL pool the test's own sessions
 * come from. Read `orm` and `pool` in the tests, after the block's start.
 */
export function dispatcherDatabasePerBlock(options: { migrateTo?: string; env?: Record<string, string>; poolMax?: number } = {}) {
  const clock = new AdjustableClock();
  const config = loadConfig({ NODE_ENV: 'test', JWT_SECRET: TEST_JWT_SECRET, ...options.env });
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let orm: MikroORM;
  let pool: pg.Pool;
  beforeAll(async () => {
    database = await createTestDatabase();
    orm = await openOrm({ url: database.url, poolMax: 4 });
    await orm.migrator.up(options.migrateTo ? { to: options.migrateTo } : undefined);
    pool = testPool({ connectionString: database.url, max: options.poolMax ?? 4 });
  });
  afterAll(async () => {
    await pool.end();
    await orm.close();
    await database.drop();
  });
  return {
    get orm() {
      return orm;
    },
    get pool() {
      return pool;
    },
    /** SQL on the test's pool: the rows. */
    sql: async <R>(text: string, values: unknown[] = []) => (await pool.query(text, values)).rows as R[],
    /** One dispatcher run in a transaction of its own: the deliveries it wrote. */
    dispatch: () => orm.em.fork().transactional((em) => dispatchWebhooks({ em, clock, config, log: pino({ level: 'silent' }) })),
  };
}
