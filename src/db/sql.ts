import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { sql, type QueryExecutorProvider, type RawBuilder, type RootOperationNode } from 'kysely';
import { PLAN_EACH_RUN } from './prepared.js';

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
 * `statement`, sent unnamed so that PostgreSQL plans it for its values on every run instead of
 * keeping a generic plan for its connection (`PLAN_EACH_RUN`, db/prepared.ts): for the reads over
 * a whole program, whose best plan depends on how many customers, credits or days the values hold.
 */
export function plannedEachRun<R>(statement: RawBuilder<R>): RawBuilder<R> {
  return sql<R>`${sql.raw(PLAN_EACH_RUN)} ${statement}`;
}

/**
 * `days` (an SQL integer: a column, or a number sent as a parameter) as an interval of that many
 * days of 24 hours, to add to or take from a `timestamptz`. A day of the program (points' expiry,
 * a tier's rolling window, an activity cap's period, the pending and validity days computed in
 * JS) is 24 hours, as UTC counts them (docs/decisions.md, "Time"). `make_interval(days => n)` and
 * `interval '1 day'` count calendar days of the session's TimeZone instead: 23 or 25 hours across
 * a daylight-saving change when the database is set to, say, Europe/Berlin (hostile pass 9).
 */
export function daysOf(days: RawBuilder<unknown> | number): RawBuilder<string> {
  return sql`(interval '24 hours' * ${days}::int)`;
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

/**
 * Where an argument of a `statement` goes while its text is built: a value known only when the
 * statement runs. Turning one into a number or string (arithmetic, a template string) throws, so
 * a build function that computes with its arguments instead of only placing them fails at the
 * first run rather than sending a wrong constant.
 */
class Placeholder {
  constructor(readonly position: number) {}

  [Symbol.toPrimitive](): never {
    throw new Error(`Argument ${this.position} of a statement was used as a value while its text was built: compute it before the call and pass the result.`);
  }
}

/** The text of a statement and, for each of its `$n` parameters, which argument (or constant) fills it. */
interface Shape {
  sql: string;
  query: RootOperationNode;
  /** Per parameter `$n` (index n − 1): the argument's position, or -1 for a constant of the text. */
  argument: Int16Array;
  constants: unknown[];
}

/**
 * A parameterised statement whose text is built and compiled once, at its first run, and then only
 * has its values bound: kysely's tree building and compiling of the text per call (and hashing a
 * fresh copy of the text to name the prepared statement, `db/prepared.ts`) was per-request work
 * on every page (bench/README.md, issue 12, third session). The same text object goes to `pg`
 * every time, so its prepared statement's name is found by that object.
 *
 * `build` receives its arguments as placeholders and must only place them in the `sql` template
 * (directly or through helpers that do); its structure must not depend on them (a statement whose
 * text varies by an argument is one `statement` per variant, chosen by the caller). Any other
 * value in the text is fixed at the first run. Arithmetic or string conversion of an argument
 * throws at the first run. `build` declares each argument (no defaults or rest parameters: their
 * count is `build.length`).
 *
 * `run(em, ...args)` sends it on the EntityManager's connection, inside its transaction when it has
 * one (as `query` does), and answers the rows. Kysely plugins would see the statement only at its
 * build (`transformQuery` once, no `transformResult` state per run): `em.getKysely()` without
 * options has none.
 */
export class Statement<A extends unknown[], R> {
  private shape: Shape | undefined;

  constructor(private readonly build: (...args: A) => RawBuilder<R>) {}

  async run(em: SqlEntityManager, ...args: A): Promise<R[]> {
    const kysely = em.getKysely();
    const shape = (this.shape ??= this.compile(kysely));
    // A fresh query id per run: kysely's driver keys a connection's cancellation by its identity.
    const result = await kysely.executeQuery<R>({ sql: shape.sql, query: shape.query, parameters: parametersOf(shape, args), queryId: { queryId: '' } });
    return result.rows;
  }

  /**
   * What `run` sends for `args`, without sending it: `sql`, the statement's text (the same string
   * object on every call, as `run` sends it), and `parameters`, its `$1`…`$n` in order. For a
   * process that must send the gateway's very statement on a `pg` client of its own: the
   * benchmark's floor (bench/floor-server.ts). `kysely` only compiles the text, at the first call
   * (`run`'s or this one's): any Kysely of the PostgreSQL dialect without plugins, as
   * `em.getKysely()` is, compiles the same text; nothing is executed.
   */
  bind(kysely: QueryExecutorProvider, ...args: A): { sql: string; parameters: unknown[] } {
    const shape = (this.shape ??= this.compile(kysely));
    return { sql: shape.sql, parameters: parametersOf(shape, args) };
  }

  private compile(kysely: QueryExecutorProvider): Shape {
    const placeholders = Array.from({ length: this.build.length }, (_, i) => new Placeholder(i));
    const compiled = this.build(...(placeholders as unknown as A)).compile(kysely);
    const argument = new Int16Array(compiled.parameters.length);
    const constants: unknown[] = [];
    compiled.parameters.forEach((value, i) => {
      argument[i] = value instanceof Placeholder ? value.position : -1;
      constants[i] = value instanceof Placeholder ? undefined : value;
    });
    return { sql: compiled.sql, query: compiled.query, argument, constants };
  }
}

/** A statement's `$n` values for one call's arguments: each argument where the text placed it, the text's constants between. */
function parametersOf(shape: Shape, args: readonly unknown[]): unknown[] {
  const { argument, constants } = shape;
  const parameters = new Array<unknown>(argument.length);
  for (let i = 0; i < argument.length; i++) parameters[i] = argument[i] < 0 ? constants[i] : args[argument[i]];
  return parameters;
}

/** `new Statement(build)`: see `Statement`. */
export function statement<A extends unknown[], R>(build: (...args: A) => RawBuilder<R>): Statement<A, R> {
  return new Statement(build);
}
