import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Whether the statements sent from the current asynchronous context are all reads: set by the
 * transports for the work of a GraphQL operation of type `query` (and a subscription's reads), and
 * for the gateway's own reads before any operation runs (the caller's row, a persisted document).
 * A statement outside a transaction that meets a dead pooled connection there is sent once more,
 * on another connection (`retryLostReads`, src/db/orm.ts; pool-12). Outside any such context (jobs,
 * scripts, a mutation's work) nothing is retried.
 */
export interface ReadScope {
  /** Flipped by the transport once the operation's type is known: false for a mutation. */
  reads: boolean;
}

const scope = new AsyncLocalStorage<ReadScope>();

/** Runs `fn` with its statements taken as reads until `markOperation` says otherwise; answers `fn`'s result. */
export function readsUntilToldOtherwise<T>(fn: () => T): T {
  return scope.run({ reads: true }, fn);
}

/**
 * Says which kind of GraphQL operation the current context runs (`query`, `mutation`,
 * `subscription`), before it runs: only a mutation's statements are not reads. No effect outside
 * `readsUntilToldOtherwise`.
 */
export function markOperation(operation: 'query' | 'mutation' | 'subscription'): void {
  const current = scope.getStore();
  if (current) current.reads = operation !== 'mutation';
}

/** Runs `fn` with its statements taken as possible writes (never sent twice), whatever the context says. */
export function mayWrite<T>(fn: () => T): T {
  return scope.run({ reads: false }, fn);
}

/** Whether the statements of the current context are all reads (see `ReadScope`). */
export function onlyReads(): boolean {
  return scope.getStore()?.reads === true;
}

/**
 * Statements that might write or lock, or call something that might: never taken as reads. Words
 * and PostgreSQL's built-in functions with effects: any advisory lock (`pg_try_advisory_lock` too,
 * whose `advisory` follows an underscore: break-12h), large objects (`lo_unlink`, `lo_from_bytea`),
 * dblink, ending or cancelling a backend, a logical message, replication slots and origins,
 * `pg_stat_reset*`, `setseed`, and `select … into` (which creates a table).
 */
const MAY_WRITE =
  /\b(insert|update|delete|merge|truncate|copy|call|do|lock|into|nextval|setval|setseed|set_config|pg_notify|notify|listen|customer_status_locked|lo_\w+|dblink\w*|pg_(terminate|cancel)_backend|pg_logical_emit_message|pg_stat_reset\w*|pg_reload_conf|pg_switch_wal|pg_promote|pg_create_restore_point|pg_rotate_logfile)\b|\w*advisory\w*|\bpg_\w*replication\w*|\bfor\s+(no\s+key\s+)?(update|share|key\s+share)\b/i;

/**
 * Whether a statement's text is, by itself, a plain read: it begins `select`, `with`, `values` or
 * `table` and names nothing that writes, locks or notifies (`MAY_WRITE`). Conservative (a read
 * that mentions `update` in a string is taken as a write, and is not retried); looked at only
 * when a statement failed, so it costs nothing on the way that succeeds.
 */
export function plainRead(text: unknown): boolean {
  return typeof text === 'string' && /^\s*\(?\s*(select|with|values|table)\b/i.test(text) && !MAY_WRITE.test(text);
}
