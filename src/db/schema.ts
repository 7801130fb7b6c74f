import { MetadataStorage, type EntityName, type EntityMetadata, type PrimaryProperty, type Primary } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import type { InferClassEntityDB } from '@mikro-orm/sql';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { ENTITIES } from './entities.js';

/**
 * The entities are the one description of each table (issue 9). Everything here is derived from
 * them, so renaming a property in an entity makes every query and row type that names it fail `tsc`.
 *
 * - `DB`: the Kysely database type MikroORM infers from the entity classes, with entity names as
 *   table names and property names as column names (MikroORM 7's `InferClassEntityDB`; each entity
 *   declares its name as `[EntityName]?: 'Name'` for it). A relation is its primary key
 *   (`OfferPurchase.customer: number`).
 * - `db(em)`: the typed query builder on the EntityManager's connection (inside its transaction
 *   when it has one); `MikroKyselyPlugin` maps entity and property names to the table and column
 *   names of the entity metadata.
 * - `EntityRow<E>`: one row of an entity as raw statements return it: scalar properties by name,
 *   and a relation by its join column (`customer` → `customerId`, `currency` → `currencyCode`).
 * - `columnsOf<E>(alias, keys)`: the select list `alias.column as "key"` for a raw statement, typed
 *   as `Pick<EntityRow<E>, keys>`, for queries clearer as SQL (CTEs, window functions, the
 *   ledger's consuming statement).
 */
export type DB = InferClassEntityDB<(typeof ENTITIES)[number], typeof NAMING>;

const NAMING = { tableNamingStrategy: 'entity', columnNamingStrategy: 'property' } as const;

/** The typed Kysely builder over `DB`, bound to `em` (and its transaction, when it is in one). */
export function db(em: SqlEntityManager): Kysely<DB> {
  return em.getKysely<DB>(NAMING);
}

type EntityLike = { [EntityName]?: string };

/** The join column's key: the relation's name followed by its target's primary key (`customerId`). */
type JoinKey<K extends string, V> = `${K}${Capitalize<PrimaryProperty<V> & string>}`;

/** Whether a property holds a relation. An `unknown` (JSON) property does not, though `{}` matches `EntityLike`. */
type IsRelation<V> = unknown extends V ? false : NonNullable<V> extends EntityLike ? true : false;

/**
 * One row of entity `E` as a raw statement returns it. A to-one relation is named by its join
 * column in camelCase and holds the target's primary key (`null` when the relation is nullable).
 */
export type EntityRow<E> = {
  -readonly [K in keyof E as K extends string
    ? IsRelation<E[K]> extends true
      ? JoinKey<K, NonNullable<E[K]>>
      : K
    : never]-?: IsRelation<E[K]> extends true
    ? null extends E[K]
      ? Primary<NonNullable<E[K]>> | null
      : undefined extends E[K]
        ? Primary<NonNullable<E[K]>> | null
        : Primary<NonNullable<E[K]>>
    : undefined extends E[K]
      ? Exclude<E[K], undefined> | null
      : E[K];
};

/** snake_case of a camelCase name: the column MikroORM's underscore naming gives a property. */
export function columnName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

type EntityClass<E> = abstract new (...args: never[]) => E;

const columnMaps = new WeakMap<object, Map<string, string>>();

function decoratorMetadata(entity: object): EntityMetadata {
  const meta = Object.values(MetadataStorage.getMetadata()).find((m) => m.class === entity);
  if (!meta) throw new Error(`${(entity as { name?: string }).name ?? 'entity'} is not a decorated entity`);
  return meta;
}

/**
 * `EntityRow` key → column name for one entity class, read from its decorator metadata: a
 * property's explicit `fieldName` when it has one, else the underscore naming of the key.
 */
export function columnMap(entity: object): Map<string, string> {
  let map = columnMaps.get(entity);
  if (map) return map;
  map = new Map();
  // Decorator options as written: `fieldName` is there only when the entity sets one.
  for (const prop of Object.values(decoratorMetadata(entity).properties) as (EntityMetadata['properties'][string] & { fieldName?: string })[]) {
    if (prop.kind === 'scalar' || prop.kind === 'embedded') {
      map.set(prop.name, prop.fieldName ?? columnName(prop.name));
    } else if (prop.kind === 'm:1' || (prop.kind === '1:1' && prop.owner)) {
      const target = (prop.entity as () => object)();
      const pk = Object.values(decoratorMetadata(target).properties).find((p) => p.primary)?.name ?? 'id';
      const key = `${prop.name}${pk[0].toUpperCase()}${pk.slice(1)}`;
      map.set(key, prop.fieldName ?? columnName(key));
    }
  }
  columnMaps.set(entity, map);
  return map;
}

/**
 * `alias.column as "key", …` for the given keys of `EntityRow<E>`, typed so a raw statement built
 * with it returns `Pick<EntityRow<E>, K>`. Column names come from the entity's metadata
 * (test/db/schema.test.ts checks them against the discovered metadata of every entity).
 * Throws at the first call when a key names no column (which `tsc` already refuses).
 */
export function columnsOf<E, K extends keyof EntityRow<E> & string>(
  entity: EntityClass<E>,
  alias: string,
  keys: readonly K[],
): RawBuilder<Pick<EntityRow<E>, K>> {
  return prefixedColumnsOf(entity, alias, keys, '') as unknown as RawBuilder<Pick<EntityRow<E>, K>>;
}

/** A row of `EntityRow<E>`'s keys K, each named `${P}${key}`. */
export type PrefixedRow<E, K extends keyof EntityRow<E> & string, P extends string> = { [Q in K as `${P}${Q}`]: EntityRow<E>[Q] };

/**
 * columnsOf with each result name prefixed (`alias.column as "prefix.key"`), for a statement that
 * reads two tables with the same keys in one row; `fromPrefixed` turns such a row back into the
 * entity's row.
 */
export function prefixedColumnsOf<E, K extends keyof EntityRow<E> & string, P extends string>(
  entity: EntityClass<E>,
  alias: string,
  keys: readonly K[],
  prefix: P,
): RawBuilder<PrefixedRow<E, K, P>> {
  const map = columnMap(entity);
  const qualifier = alias ? `${alias}.` : '';
  const list = keys.map((k) => {
    const column = map.get(k);
    if (!column) throw new Error(`${entity.name} has no column for ${k}`);
    return column === `${prefix}${k}` ? `${qualifier}${column}` : `${qualifier}${column} as "${prefix}${k}"`;
  });
  return sql.raw<PrefixedRow<E, K, P>>(list.join(', '));
}

/**
 * `alias."key" as "prefix.key", …`: a CTE's columns, already named by key (a `returning` built with
 * columnsOf), read into one row beside another table's under a prefix; `fromPrefixed` reads them
 * back.
 */
export function renamedKeys(alias: string, keys: readonly string[], prefix: string): RawBuilder<unknown> {
  return sql.raw(keys.map((k) => `${alias}."${k}" as "${prefix}${k}"`).join(', '));
}

/**
 * Entity `E`'s row back out of a row read with prefixedColumnsOf(E, …, keys, prefix) or
 * renamedKeys(…, keys, prefix); a column the statement left null (an outer join that found
 * nothing) comes back null.
 */
export function fromPrefixed<E, K extends keyof EntityRow<E> & string, P extends string>(
  _entity: EntityClass<E>,
  row: Partial<PrefixedRow<E, K, P>>,
  keys: readonly K[],
  prefix: P,
): Pick<EntityRow<E>, K> {
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = (row as Record<string, unknown>)[`${prefix}${k}`];
  return out as Pick<EntityRow<E>, K>;
}

/** The row type a `columnsOf` select list gives: `query<Selected<typeof COLUMNS>>(em, sql\`select ${COLUMNS} …\`)`. */
export type Selected<T> = T extends RawBuilder<infer R> ? R : never;

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
