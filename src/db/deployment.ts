import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { query, sql } from './sql.js';

/**
 * This database's deployment id (table `deployment`, Migration20261205052000): a uuid, as text,
 * written by the first caller that finds none (`gen_random_uuid()`), the same for every instance
 * on the database afterwards. Read once at a gateway's start when it keeps something in Redis
 * (RATE_LIMIT_STORE=redis, EVENT_FANOUT=redis): the fan-out channel and the rate limiter's keys
 * carry it (`redisKeyPrefix`), so deployments (databases) sharing one Redis under one
 * RATE_LIMIT_KEY_PREFIX share nothing there (break35-instances: a member heard another
 * deployment's member's balance). A database restored from another's dump carries the other's id:
 * `delete from deployment` before its first start gives it its own (README, "Running several
 * instances"). Throws what the database throws (no table: a database this build has not migrated).
 */
export async function deploymentId(em: SqlEntityManager): Promise<string> {
  const read = () =>
    query<{ id: string }>(
      em,
      sql`with made as (insert into deployment (id) values (gen_random_uuid()) on conflict (singleton) do nothing returning id::text as id)
          select id from made union all select id::text from deployment limit 1`,
    );
  // Two instances starting at once: the second's insert waits for the first's and does nothing, and
  // its statement's snapshot, taken before that commit, does not see the row; a second read does.
  const [first] = await read();
  const [row] = first ? [first] : await read();
  if (!row) throw new Error('deployment: no row after its insert');
  return row.id;
}

/**
 * The prefix of every Redis key and channel of a deployment: `<RATE_LIMIT_KEY_PREFIX>:<deployment id>`
 * (`rg:6f1c…`). The rate limiter's keys are `<prefix>:<kind>:<caller>`, the fan-out's channel
 * `<prefix>:events`.
 */
export function redisKeyPrefix(keyPrefix: string, deployment: string): string {
  return `${keyPrefix}:${deployment}`;
}
