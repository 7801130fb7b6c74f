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

/**
 * On a database migrated to before `removed_windows` (Migration20261205151000): a customer and a
 * TIER_CHANGED endpoint registered a day ago, the dispatcher's cursor started, then the endpoint
 * removed by a break38b instance (`disabled_at`, `removed_from` set, `enabled_from` null). For the
 * migration tests of what older builds then did to it (break38d, break38e). Answers both ids.
 */
export async function endpointRemovedByBreak38b(db: ReturnType<typeof dispatcherDatabasePerBlock>): Promise<{ customerId: string; endpointId: string }> {
  const { sql, dispatch } = db;
  const [{ id: customerId }] = await sql<{ id: string }>(`insert into customer (external_id) values ('m1') returning id`);
  const [{ id: endpointId }] = await sql<{ id: string }>(
    `insert into webhook_endpoint (url, event_types, secret, created_by, created_at, receives_from)
     values ('http://127.0.0.1:9/hook', '{tier.changed}', 'whsec_dGVzdA==', 'test', now() - interval '1 day', pg_current_snapshot()::text) returning id`,
  );
  expect(await dispatch()).toBe(0); // the cursor starts
  await sql(`update webhook_endpoint set disabled_at = now(), removed_from = pg_current_snapshot()::text, enabled_from = null where id = $1`, [endpointId]);
  return { customerId, endpointId };
}
