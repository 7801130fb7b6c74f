import { createHash } from 'node:crypto';
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { query, sql } from './sql.js';

/**
 * This database's deployment id: 16 hex digits of the SHA-256 of its identity, the PostgreSQL
 * cluster's `system_identifier` (`pg_control_system()`, made when the cluster was initialised) and
 * the database's oid, as `<system identifier>:<oid>`. The same for every instance on the database,
 * with nothing stored: no row to remove or to carry into a copy (break35b-instances: a row could
 * be deleted under running instances, which then split the deployment in two, and was copied with
 * the database into a staging database, which then heard production's member events). A database
 * made by `CREATE DATABASE … TEMPLATE` has another oid, one restored from a dump into another
 * cluster another system identifier: each gets an id of its own. A physical copy (a snapshot of
 * the data directory, a streaming replica promoted) keeps both: such a copy sharing a Redis needs a
 * RATE_LIMIT_KEY_PREFIX of its own (README). Where `pg_control_system()` may not be called (a
 * managed service that revokes it), the database's oid and name stand in, and the identity is the
 * database's within its server only. Read once at a gateway's start when it keeps something in
 * Redis (RATE_LIMIT_STORE=redis, EVENT_FANOUT=redis): the fan-out channel and the rate limiter's
 * keys carry it (`redisKeyPrefix`). Throws what the database throws.
 */
export async function deploymentId(em: SqlEntityManager): Promise<string> {
  const database = sql`(select oid::text from pg_database where datname = current_database())`;
  let identity: string;
  try {
    const [row] = await query<{ identity: string }>(em, sql`select (select system_identifier::text from pg_control_system()) || ':' || ${database} as identity`);
    identity = row.identity;
  } catch {
    const [row] = await query<{ identity: string }>(em, sql`select current_database() || ':' || ${database} as identity`);
    identity = row.identity;
  }
  return createHash('sha256').update(identity).digest('hex').slice(0, 16);
}

/**
 * The prefix of every Redis key and channel of a deployment: `<RATE_LIMIT_KEY_PREFIX>:<deployment id>`
 * (`rg:6f1c…`). The rate limiter's keys are `<prefix>:<kind>:<caller>`, the fan-out's channel
 * `<prefix>:events`.
 */
export function redisKeyPrefix(keyPrefix: string, deployment: string): string {
  return `${keyPrefix}:${deployment}`;
}
