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

/** `IN (...)`-style list parameter for `= any(${ids})`. */
export function idList(ids: readonly number[]): RawBuilder<unknown> {
  return sql`${sql.val(ids)}::bigint[]`;
}

/** `= any($1::bigint[])` as a typed operand: `.where('id', '=', anyOf(ids))` in the builder. */
export function anyOf(ids: readonly number[]): RawBuilder<number> {
  return sql<number>`any(${sql.val(ids)}::bigint[])`;
}
