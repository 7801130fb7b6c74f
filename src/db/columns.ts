import { sql, type RawBuilder } from 'kysely';
import { columnMap, type EntityRow } from './schema.js';

type EntityClass<E> = abstract new (...args: never[]) => E;

/** What a cast in a select list turns a column into, as the `pg` driver returns it. */
export interface Casts {
  text: string;
  float8: number;
}

/**
 * `alias.column::type as "name"` for one property of entity `E` (its column read from the entity's
 * metadata, as `columnsOf` does), typed as `{ name: Casts[type] }`, null when the property is
 * nullable. For the columns a raw statement reads in another type than the entity stores them in
 * (`multiplier::float8` where arithmetic needs a number). `name` defaults to the property's key.
 * Throws at the first call when the key names no column (which `tsc` already refuses).
 */
export function castColumn<E, K extends keyof EntityRow<E> & string, T extends keyof Casts, A extends string = K>(
  entity: EntityClass<E>,
  alias: string,
  key: K,
  type: T,
  as?: A,
): RawBuilder<{ [P in A]: Casts[T] | Extract<EntityRow<E>[K], null> }> {
  const column = columnMap(entity).get(key);
  if (!column) throw new Error(`${entity.name} has no column for ${key}`);
  return sql.raw(`${alias ? `${alias}.` : ''}${column}::${type} as "${as ?? key}"`);
}

/**
 * `DEFAULT` as a value of the typed builder's `insertInto(...).values({ id: byDefault, ... })`.
 * MikroORM infers the Kysely type of a class entity with every property required on insert (it
 * marks no primary key or default as `Generated`), so an insert names the columns the database
 * fills, and this lets PostgreSQL fill them (the `bigserial` id) exactly as leaving them out did.
 */
export const byDefault = sql<never>`default`;
