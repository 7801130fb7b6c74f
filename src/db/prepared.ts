import { createHash } from 'node:crypto';
import type pg from 'pg';

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

/**
 * Sends every parameterised statement of this connection as a named prepared statement, so
 * PostgreSQL parses and plans it once per connection instead of on every request (the benchmark
 * measured planning as most of the listings page's database time). The gateway's SQL is a fixed
 * set of texts with `$n` parameters, so the set of names per connection stays small. Statements
 * without parameters (DDL, migrations, BEGIN/COMMIT) go through untouched.
 */
export function prepareParameterisedStatements(client: pg.Client): void {
  // Look the prototype's method up at each call (not bound once), so instrumentation of pg.Client
  // (the statement-counting test) still sees every statement.
  const query = (...args: unknown[]) => (Object.getPrototypeOf(client).query as (...a: unknown[]) => unknown).apply(client, args);
  (client as unknown as { query: (...args: unknown[]) => unknown }).query = (config: unknown, values?: unknown, callback?: unknown) => {
    if (typeof config === 'string' && Array.isArray(values) && values.length > 0 && callback === undefined) {
      return query({ name: statementName(config), text: config, values });
    }
    return callback === undefined ? (values === undefined ? query(config) : query(config, values)) : query(config, values, callback);
  };
}
