/**
 * What a bound on waiting for PostgreSQL (`DbTimeouts`, src/config.ts) looks like when it cuts a
 * request: the error of the pool or of PostgreSQL, and the reason the gateway logs for it.
 */
export type Unavailability =
  /** No pooled connection came free, or none could be opened, within DB_ACQUIRE_TIMEOUT_MS. */
  | 'acquire timeout'
  /** PostgreSQL cancelled the statement: DB_STATEMENT_TIMEOUT_MS (a lock wait included), or an operator's pg_cancel_backend. */
  | 'statement cancelled'
  /** PostgreSQL gave up waiting for a lock (a `lock_timeout` of the database or role). */
  | 'lock timeout'
  /** PostgreSQL ended a session whose transaction sat idle past DB_IDLE_IN_TRANSACTION_TIMEOUT_MS. */
  | 'idle in transaction timeout'
  /**
   * No connection could be opened: the server refused it or could not be reached (down, restarting,
   * failing over; the embedded one killed), or turned it away before the session began (starting
   * up, shutting down, in recovery, too many connections).
   */
  | 'unreachable'
  /**
   * The connection was found gone (the server ended the session: a failover, `pg_terminate_backend`,
   * a proxy's timeout; or its socket broke) at the BEGIN of a transaction, its first statement
   * (`markTransactionNotBegun`): no statement of the transaction ran (begin-503).
   */
  | 'connection lost at BEGIN'
  /**
   * PostgreSQL did not answer a statement within the gateway's own bound (DB_STATEMENT_TIMEOUT_MS +
   * DB_CLIENT_TIMEOUT_MARGIN_MS: a stopped server, a network dropping packets), and nothing of it
   * can have committed: a BEGIN, a statement of a transaction before its COMMIT, or a plain read of
   * a read-only request. Its connection was closed (hang-12c; `statementUnanswered`).
   */
  | 'no answer';

/** pg-pool's errors: waiting in its queue for a connection; opening a new one. */
const POOL_TIMEOUTS = ['timeout exceeded when trying to connect', 'Connection terminated due to connection timeout'];

/** SQLSTATEs of a statement that was cut, not refused: it may well succeed when sent again. */
const CUT_STATEMENTS: Record<string, Unavailability> = {
  '57014': 'statement cancelled', // query_canceled
  '55P03': 'lock timeout', // lock_not_available (the gateway's SQL never uses NOWAIT)
  '25P03': 'idle in transaction timeout', // idle_in_transaction_session_timeout
};

/** The system calls whose failure means the TCP connection to PostgreSQL was never made. */
const CONNECT_SYSCALLS = ['connect', 'getaddrinfo'];

/** SQLSTATEs PostgreSQL answers a new connection with before its session begins: no statement of it ran. */
const REFUSED_SESSIONS = ['57P03', '53300']; // cannot_connect_now, too_many_connections

/** SQLSTATEs of a session the server ended: admin_shutdown (`pg_terminate_backend`, a fast shutdown), crash_shutdown. Class 08 (connection exception) is matched by its prefix. */
const ENDED_SESSIONS = ['57P01', '57P02'];

/** The errors of pg, and of Node's socket under it, when the connection to PostgreSQL is gone. */
const LOST_CONNECTION_MESSAGES = ['Connection terminated unexpectedly', 'Connection terminated', 'Client has encountered a connection error and is not queryable', 'Client was closed and is not queryable'];
const LOST_SOCKET_CODES = ['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH'];

/** A property (own, so MikroORM's copy of a driver error keeps it) on the error of a failed BEGIN. */
const TRANSACTION_NOT_BEGUN = 'transactionNotBegun';

/**
 * Marks `error` as the failure of a transaction's BEGIN (src/db/orm.ts,
 * `handBackOnFailedTransactionControl`): no statement of that transaction ran, so if the
 * connection was gone, `databaseUnavailable` answers 'connection lost at BEGIN'. Non-enumerable, so
 * logs do not show it. Returns `error`.
 */
export function markTransactionNotBegun<E>(error: E): E {
  if (error instanceof Error) Object.defineProperty(error, TRANSACTION_NOT_BEGUN, { value: true, enumerable: false, configurable: true });
  return error;
}

/** A property (own, so MikroORM's copy of a driver error keeps it) on the error of a new connection lost before the pool lent it. */
const CONNECT_LOST = 'connectionLostBeforeLent';

/**
 * Marks `error` (a pool's connect that failed) as a new connection found gone before the pool lent
 * it (its start-up, or the statement the pool sends first, met a session the server ended): nothing
 * of the borrower's ran, so `databaseUnavailable` answers 'unreachable' when it is a lost
 * connection (`connectionLost`). Answers `error`. Set by `connectAgainOnLostSetUp` (src/db/orm.ts).
 */
export function markConnectLost<E>(error: E): E {
  if (error instanceof Error) Object.defineProperty(error, CONNECT_LOST, { value: true, enumerable: false, configurable: true });
  return error;
}

/** A property (own, so MikroORM's copy of a driver error keeps it) on the error of a statement that got no answer: whether nothing of it can have committed. */
const UNANSWERED = 'unansweredNothingCommitted';

/**
 * Where a statement the gateway gave up waiting for ran: its transaction's BEGIN or COMMIT (or
 * ROLLBACK), a statement inside a transaction, or one outside any (its own transaction).
 */
export type StatementPlace = 'begin' | 'commit' | 'rollback' | 'in transaction' | 'alone';

/**
 * The error of a statement PostgreSQL did not answer within `boundMs` (src/db/orm.ts,
 * `boundStatements`), whose connection the gateway then closed. `nothingCommitted`: whether its
 * effects are known to be none (a BEGIN, a statement of a transaction before its COMMIT, whose
 * session ends without committing, or a plain read): `databaseUnavailable` answers 'no answer'
 * (503, safe to send again). Otherwise (a COMMIT, a write outside a transaction) it may have
 * committed, and the caller gets INTERNAL_SERVER_ERROR, as for any outcome the gateway cannot know;
 * an idempotency key sent again then answers whatever did commit.
 */
export function statementUnanswered(boundMs: number, place: StatementPlace, nothingCommitted: boolean): Error {
  const error = new Error(
    `PostgreSQL did not answer a statement (${place}) within ${boundMs} ms (DB_STATEMENT_TIMEOUT_MS + DB_CLIENT_TIMEOUT_MARGIN_MS): its connection was closed${nothingCommitted ? '' : '; whether it took effect is unknown'}`,
  );
  Object.defineProperty(error, UNANSWERED, { value: nothingCommitted, enumerable: false, configurable: true });
  return error;
}

/** Whether `e` (one error of a `cause` chain) says the connection to PostgreSQL is gone. */
function lostConnection(e: Error, code: unknown): boolean {
  if (typeof code === 'string' && (ENDED_SESSIONS.includes(code) || code.startsWith('08') || LOST_SOCKET_CODES.includes(code))) return true;
  return LOST_CONNECTION_MESSAGES.includes(e.message);
}

/**
 * Whether `error` (pg's, as a statement's promise rejects with it) says the connection to
 * PostgreSQL is gone: the server ended the session (57P01, 57P02, class 08), the socket broke, or
 * pg found the client already closed. What `retryLostReads` (src/db/orm.ts) retries a read on.
 */
export function connectionLost(error: unknown): boolean {
  return error instanceof Error && lostConnection(error, (error as { code?: unknown }).code);
}

/**
 * Why `error` (the driver's, or MikroORM's wrapping of it, followed through `cause`) is a wait on
 * PostgreSQL that a bound cut or a connection that could not be opened, or null for any other
 * error. Such a request did nothing: the statement's transaction was rolled back (by PostgreSQL,
 * or kysely's ROLLBACK), or no statement ran; sending it again, with the same idempotency key, is
 * safe. (A connection lost after its transaction's BEGIN is not here: a COMMIT may have reached the
 * server; nor one lost at a statement outside a transaction, which may have been a write that
 * committed. One found lost at BEGIN is: nothing of the transaction ran, begin-503. So is a
 * statement PostgreSQL did not answer in time whose effects are known to be none: 'no answer'.)
 */
export function databaseUnavailable(error: unknown): Unavailability | null {
  for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    // A failed fetch (Node's is a TypeError, its cause the socket's error: JWT_JWKS_URL's server
    // down) is not the database's; PostgreSQL's driver and MikroORM raise plain Errors.
    if (!(e instanceof Error) || e instanceof TypeError) return null;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && Object.hasOwn(CUT_STATEMENTS, code)) return CUT_STATEMENTS[code];
    if (POOL_TIMEOUTS.includes(e.message)) return 'acquire timeout';
    // Hostile pass 11: these were internal errors (500), so a client could not tell its purchase was safe to send again.
    if (Object.hasOwn(e, TRANSACTION_NOT_BEGUN) && lostConnection(e, code)) return 'connection lost at BEGIN';
    if (Object.hasOwn(e, CONNECT_LOST) && lostConnection(e, code)) return 'unreachable';
    if (Object.hasOwn(e, UNANSWERED)) return (e as unknown as Record<string, boolean>)[UNANSWERED] ? 'no answer' : null;
    if (CONNECT_SYSCALLS.includes((e as { syscall?: unknown }).syscall as string) || (typeof code === 'string' && REFUSED_SESSIONS.includes(code))) return 'unreachable';
  }
  return null;
}
