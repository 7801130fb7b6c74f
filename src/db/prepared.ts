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

/** What `pg` answers a BEGIN with, as far as its callers (kysely) read it. */
const begun = () => ({ command: 'BEGIN', rowCount: null, rows: [], fields: [] });

type Socket = { cork(): void; uncork(): void };

/**
 * Sends every parameterised statement of this connection as a named prepared statement, so
 * PostgreSQL parses and plans it once per connection instead of on every request (the benchmark
 * measured planning as most of the listings page's database time). The gateway's SQL is a fixed
 * set of texts with `$n` parameters, so the set of names per connection stays small. Statements
 * without parameters (DDL, migrations, BEGIN/COMMIT) go through untouched.
 *
 * A transaction's `begin` travels with its first statement, in one socket write and one round trip
 * (the client must run in `pg`'s pipeline mode, see orm.ts): `begin` is put on the corked socket and
 * answered at once; the next statement goes out behind it and the socket is uncorked; PostgreSQL
 * runs them in the order sent, so the statement runs inside the transaction exactly as before.
 * BEGIN's own failure (it has none but a dead connection, which fails the statement behind it too)
 * is that next statement's failure. Should no statement follow within the event loop's turn, BEGIN
 * is sent alone. Why: on this machine a socket write costs ~0.3 ms of CPU and every round trip
 * wakes the backend once more (issue 12, bench/README.md "Issue 12: the purchase's round trips").
 */
export function prepareParameterisedStatements(client: pg.Client): void {
  // Look the prototype's method up at each call (not bound once), so instrumentation of pg.Client
  // (the statement-counting test) still sees every statement.
  const query = (...args: unknown[]) => (Object.getPrototypeOf(client).query as (...a: unknown[]) => unknown).apply(client, args);
  const socket = () => (client as unknown as { connection: { stream: Socket } }).connection.stream;
  /** BEGIN sent on the corked socket, until the next statement joins it. */
  let pendingBegin: { sent: Promise<unknown>; socket: Socket; uncorked: boolean } | undefined;
  const flush = (pending: NonNullable<typeof pendingBegin>) => {
    if (pending.uncorked) return;
    pending.uncorked = true;
    pending.socket.uncork();
  };
  const send = (config: unknown, values?: unknown, callback?: unknown): unknown => {
    if (typeof config === 'string' && Array.isArray(values) && values.length > 0 && callback === undefined) {
      return query({ name: statementName(config), text: config, values });
    }
    return callback === undefined ? (values === undefined ? query(config) : query(config, values)) : query(config, values, callback);
  };
  (client as unknown as { query: (...args: unknown[]) => unknown }).query = (config: unknown, values?: unknown, callback?: unknown) => {
    const before = pendingBegin;
    pendingBegin = undefined;
    if (
      !before &&
      client.pipeline &&
      config === 'begin' &&
      (values === undefined || (Array.isArray(values) && values.length === 0)) &&
      callback === undefined
    ) {
      const pending = { sent: undefined as unknown as Promise<unknown>, socket: socket(), uncorked: false };
      pending.socket.cork();
      try {
        pending.sent = query(config) as Promise<unknown>;
      } catch (error) {
        flush(pending);
        throw error;
      }
      // Its failure is the next statement's to report; without one, nobody waits for it.
      pending.sent.catch(() => undefined);
      pendingBegin = pending;
      setImmediate(() => flush(pending));
      return Promise.resolve(begun());
    }
    if (!before) return send(config, values, callback);
    let result: unknown;
    try {
      result = send(config, values, callback);
    } finally {
      flush(before);
    }
    if (callback !== undefined || !(result instanceof Promise)) return result;
    return Promise.all([before.sent, result]).then(([, answer]) => answer);
  };
}
