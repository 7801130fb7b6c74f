import { createHash } from 'node:crypto';
import type pg from 'pg';

/**
 * The start of a statement's text that keeps it from being prepared under a name: PostgreSQL then
 * plans it for its values on every run, never with a generic plan. For the reads over a whole
 * program (`plannedEachRun` in db/sql.ts): a named statement's generic plan, chosen after five
 * runs on a connection, guesses its row counts without the values, and for a batch's read over
 * every customer it guessed 10 customers where there were 26,000 and joined them with their due
 * credits by a nested loop, 303 million rows filtered: 38 s instead of 8 (placement-50's hostile
 * review). Such a statement runs for seconds; planning it again costs milliseconds.
 */
export const PLAN_EACH_RUN = '/* plan each run */';

const names = new Map<string, string>();
const MAX_NAMES = 5_000;

/** A stable name for a statement's text: the same SQL is prepared once per connection. */
function statementName(text: string): string {
  let name = names.get(text);
  if (!name) {
    name = `rg_${createHash('sha1').update(text).digest('base64url').slice(0, 20)}`;
    if (names.size < MAX_NAMES) names.set(text, name);
  }
  return name;
}

type RowOf = (values: unknown[]) => Record<string, unknown>;

/** Per statement name: the column names of its rows and the function that makes a row of them. */
const rowMakers = new Map<string, { names: string[]; make: RowOf }>();

/**
 * `values => ({ "id": values[0], "offer.name": values[1], … })` for one list of column names, as
 * code made once: every row of a statement then comes out of one object literal, with one shape.
 * pg builds each row by copying a prebuilt object with `{ ...prebuilt }` and assigning the columns
 * by name; that copy and those stores are one site in pg for every statement the process sends,
 * and in the gateway (dozens of row shapes) V8 gives up on it (megamorphic): each row's copy went
 * through its slow path, a generic property definition per column, ~8 % of the instructions of the
 * page of 20 under callgrind (bench/README.md, issue 12, fourth session). The names are quoted as
 * JSON strings; `__proto__` as a computed key, which defines an own property as pg's copy does
 * (a plain `"__proto__":` would set the prototype). A name given twice keeps its first place and
 * its last value, as pg's assignments do.
 */
function rowMaker(names: string[]): RowOf {
  const entries = names.map((name, i) => `${name === '__proto__' ? '["__proto__"]' : JSON.stringify(name)}: v[${i}]`);
  return new Function('v', `return { ${entries.join(', ')} };`) as RowOf;
}

/** Turns the array rows of `result` (rowMode 'array') into objects, as pg would have made them. */
function objectRows(name: string, result: pg.QueryResult): pg.QueryResult {
  const fields = result.fields;
  let maker = rowMakers.get(name);
  if (!maker || maker.names.length !== fields.length || fields.some((field, i) => field.name !== maker!.names[i])) {
    const names = fields.map((field) => field.name);
    maker = { names, make: rowMaker(names) };
    if (rowMakers.size < MAX_NAMES) rowMakers.set(name, maker);
  }
  const rows = result.rows as unknown[];
  for (let i = 0; i < rows.length; i++) rows[i] = maker.make(rows[i] as unknown[]);
  return result;
}

/**
 * Sends every parameterised statement of this connection as a named prepared statement, so
 * PostgreSQL parses and plans it once per connection instead of on every request (the benchmark
 * measured planning as most of the listings page's database time). The gateway's SQL is a fixed
 * set of texts with `$n` parameters, so the set of names per connection stays small. Statements
 * without parameters (DDL, migrations, BEGIN/COMMIT) go through untouched. The rows of a
 * parameterised statement are read as arrays and made into objects by code made once per
 * statement (`rowMaker`): the same rows, keys, order and values as pg's, each statement's rows
 * of one shape. A statement whose text starts with `PLAN_EACH_RUN` goes as pg sends it, unnamed:
 * planned for its values on every run.
 */
export function prepareParameterisedStatements(client: pg.Client): void {
  // Look the prototype's method up at each call (not bound once), so instrumentation of pg.Client
  // (the statement-counting test) still sees every statement.
  const query = (...args: unknown[]) => (Object.getPrototypeOf(client).query as (...a: unknown[]) => unknown).apply(client, args);
  (client as unknown as { query: (...args: unknown[]) => unknown }).query = (config: unknown, values?: unknown, callback?: unknown) => {
    if (typeof config === 'string' && Array.isArray(values) && values.length > 0 && callback === undefined && !config.startsWith(PLAN_EACH_RUN)) {
      const name = statementName(config);
      return (query({ name, text: config, values, rowMode: 'array' }) as Promise<pg.QueryResult>).then((result) => objectRows(name, result));
    }
    return callback === undefined ? (values === undefined ? query(config) : query(config, values)) : query(config, values, callback);
  };
}
