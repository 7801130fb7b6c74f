import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { sql, type RawBuilder } from 'kysely';

export { sql };

/**
 * Runs a parameterised statement (kysely's `sql` tag: values become $n parameters) on the
 * EntityManager's connection, inside its transaction when it has one.
 */
export async function query<R>(em: SqlEntityManager, statement: RawBuilder<R>): Promise<R[]> {
  const result = await statement.execute(em.getKysely());
  return result.rows;
}

export async function queryOne<R>(em: SqlEntityManager, statement: RawBuilder<R>): Promise<R | undefined> {
  return (await query(em, statement))[0];
}

/**
 * `IN (...)`-style list parameter for `= any(${ids})`.
 *
 * One id (a DataLoader batch of one, the common case: `node(id:)`, the signed-in customer) is sent
 * as `array[$1]::bigint[]`, an array the planner knows has one element, so the prepared
 * statement's generic plan estimates one row and PostgreSQL keeps it instead of planning the
 * statement again on every call; a parameter array of unknown length is estimated at many rows, which
 * made the generic plan look dearer than a custom one and cost the store's eligibility statement
 * ~1.8 ms of planning per page (issue 12, bench/README.md). Several ids stay one `$1::bigint[]`.
 */
export function idList(ids: readonly number[]): RawBuilder<unknown> {
  return ids.length === 1 ? sql`array[${sql.val(ids[0])}::bigint]` : sql`${sql.val(ids)}::bigint[]`;
}

/** `= any($1::bigint[])` as a typed operand: `.where('id', '=', anyOf(ids))` in the builder (one id as idList sends it). */
export function anyOf(ids: readonly number[]): RawBuilder<number> {
  return sql<number>`any(${idList(ids)})`;
}
