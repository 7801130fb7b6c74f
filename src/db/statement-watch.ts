import type pg from 'pg';

/** A transaction-control statement: kysely's `begin` (or `start transaction …`), `commit`, `rollback`. */
export type TransactionControl = 'begin' | 'commit' | 'rollback';

/**
 * Which of kysely's transaction-control statements a statement's text is (PostgresDriver: `begin`,
 * or `start transaction …` with an isolation level or access mode; `commit`; `rollback`), if any.
 * The length is looked at first: every statement passes here, and lowercasing a copy of each (the
 * page's is ~20 kB) was ~40,000 instructions and as many bytes of garbage per page (issue 12,
 * seventh session).
 */
export function transactionControl(text: unknown): TransactionControl | undefined {
  if (typeof text !== 'string' || text.length > 64) return undefined;
  const statement = text.trim().toLowerCase();
  if (statement === 'rollback') return 'rollback';
  if (statement === 'commit') return 'commit';
  if (statement === 'begin' || statement.startsWith('start transaction')) return 'begin';
  return undefined;
}

/** A pooled connection's `query` as pg calls it: (text or config, values?, callback?). */
export type QueryFunction = (...args: unknown[]) => unknown;

/**
 * What a `watchStatements` handler is given for each statement sent with a promise:
 * - `result`: the promise the layer below answered (what the handler answers instead, or a
 *   promise built on it);
 * - `args`: `query`'s arguments as the caller gave them (`args[0]` the text or a query config);
 * - `control`: the statement's `transactionControl`, if it is one;
 * - `inTransaction`: whether a transaction was open on the connection when it was sent (after a
 *   `begin`, before its `commit` or `rollback`); for a control statement, the state before it.
 */
export type StatementHandler = (result: Promise<unknown>, args: unknown[], control: TransactionControl | undefined, inTransaction: boolean) => unknown;

/**
 * Wraps the pooled connection `client`'s `query` so that `handle` sees every statement sent with a
 * promise (a callback-style call, which no caller of the gateway's makes, passes through), with the
 * connection's transaction state as its control statements set it. The one shape behind the request
 * pool's layers: `boundStatements`, `handBackOnFailedTransactionControl`, `retryLostReads` (src/db/orm.ts)
 * and `watchOutboxCommits` (outbox-commits.ts), each of which kept its own copy of it (D7 in
 * `duplicates`, eighteenth session). One call and one `transactionControl` per statement per layer,
 * as before. Answers the `query` it wrapped (the layer below), for a layer that must call past itself
 * (`retryLostReads`' retry).
 */
export function watchStatements(client: pg.ClientBase, handle: StatementHandler): QueryFunction {
  const query = client.query as QueryFunction;
  let inTransaction = false;
  (client as unknown as { query: QueryFunction }).query = (...args: unknown[]) => {
    const result = query.apply(client, args);
    if (!(result instanceof Promise)) return result;
    const control = transactionControl(args[0]);
    const before = inTransaction;
    if (control) inTransaction = control === 'begin';
    return handle(result, args, control, before);
  };
  return query;
}
