import pg from 'pg';
import { SESSION_SET_UP } from '../../src/db/orm.js';
import { currentRequestId } from '../../src/http/security.js';

/** One statement a `pg` client sent: its text and its parameters (undefined when it had none). */
export interface SentStatement {
  text: string;
  values: unknown[] | undefined;
  /** The `pg` client (connection) that sent it. */
  client: pg.Client;
  /**
   * The id of the HTTP request it was sent for (the gateway's `x-request-id`), read from the
   * request's scope when it was sent; undefined for what no request sent (the event relay, job
   * loops, the tests' own clients).
   */
  requestId: string | undefined;
}

/**
 * Records every statement this process's `pg` clients send, the test gateway's pool included (it
 * runs in the test's process), by wrapping `pg.Client.prototype.query` until `stop()`. `take()`
 * answers what was sent since the last `take()` (or since the start) and starts afresh. For tests
 * that count what one request costs in statements (issue 12). The statement a pooled connection
 * sends once when it opens (`SESSION_SET_UP`) is no request's, and is left out.
 */
export function recordStatements(): { take(): SentStatement[]; stop(): void } {
  const original = pg.Client.prototype.query;
  let sent: SentStatement[] = [];
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const config = args[0] as string | { text?: string; values?: unknown[] } | undefined;
    const text = typeof config === 'string' ? config : config?.text;
    if (text && text !== SESSION_SET_UP) sent.push({ text, values: typeof config === 'string' ? (Array.isArray(args[1]) ? args[1] : undefined) : config?.values, client: this, requestId: currentRequestId() });
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof original;
  return {
    take() {
      const taken = sent;
      sent = [];
      return taken;
    },
    stop() {
      pg.Client.prototype.query = original;
    },
  };
}

/**
 * The statements among `sent` that the gateway sent for the request that answered `result` (by its
 * `x-request-id` header), for a count of one request's statements. The recording hears every
 * client of the process: the event relay's attempt to lead, woken by the test's writes, once landed
 * in a count of customer-search-40's page (a fourth statement in a loaded run).
 * Throws when the answer carries no request id.
 */
export function sentFor(sent: readonly SentStatement[], result: { headers: Headers }): SentStatement[] {
  const id = result.headers.get('x-request-id');
  if (!id) throw new Error('the answer has no x-request-id header');
  return sent.filter((s) => s.requestId === id);
}

/**
 * The statements of one transaction among `sent`: from the first `begin` on, those of the connection
 * that sent it only, as their first words (`headOf(…, 1)`). The recording is process-wide, and a test
 * gateway's job runner, event relay and pollers share the process: a poll's `select` landing inside
 * the window was counted as the request's (ci-28c: till-25 saw "begin select select select rollback"
 * once in CI). Empty when nothing began a transaction.
 */
export function transactionSent(sent: readonly SentStatement[]): string[] {
  const begin = sent.findIndex((s) => headOf(s.text, 1) === 'begin');
  if (begin < 0) return [];
  return sent.slice(begin).filter((s) => s.client === sent[begin].client).map((s) => headOf(s.text, 1));
}

/** A statement's first `words` words, lower-case: enough to tell the statements of a count apart. */
export const headOf = (text: string, words: number): string => text.trim().split(/\s+/).slice(0, words).join(' ').toLowerCase();

/** Answers to statements held back by `holdAnswers`. */
export interface HeldAnswers {
  /** Resolves once a matching statement has run and its answer is held (with `hold: 'statement'`: once it is held before running). */
  reached: Promise<void>;
  /** Hands the held answer(s) on, and stops holding. */
  release(): void;
}

/**
 * Holds back the answer of the first statement whose text `matches` (sent by any `pg` client of
 * this process, the test gateway's pool included) until `release()`: the statement has run in
 * PostgreSQL, its caller has not heard. With `hold: 'statement'`, the statement itself waits
 * (it runs, and takes its snapshot, after `release()`; `reached` then resolves when it is
 * caught). For tests that change the world between a read and its use (a subscription's start,
 * read before the relay delivers an event). One statement only; the others pass.
 */
export function holdAnswers(matches: (text: string) => boolean, hold: 'answer' | 'statement' = 'answer'): HeldAnswers {
  const original = pg.Client.prototype.query;
  let onAnswered!: () => void;
  const answered = new Promise<void>((resolve) => (onAnswered = resolve));
  let onRelease!: () => void;
  const released = new Promise<void>((resolve) => (onRelease = resolve));
  let taken = false;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const config = args[0] as string | { text?: string } | undefined;
    const text = typeof config === 'string' ? config : config?.text;
    if (!taken && hold === 'statement' && text && matches(text)) {
      taken = true;
      pg.Client.prototype.query = original;
      onAnswered();
      return released.then(() => (original as (...a: unknown[]) => unknown).apply(this, args));
    }
    const result = (original as (...a: unknown[]) => unknown).apply(this, args);
    if (taken || !text || !matches(text) || !(result instanceof Promise)) return result;
    taken = true;
    pg.Client.prototype.query = original;
    return result.then(
      async (value: unknown) => {
        onAnswered();
        await released;
        return value;
      },
      async (error: unknown) => {
        onAnswered();
        await released;
        throw error;
      },
    );
  } as typeof original;
  return {
    reached: answered,
    release: () => {
      pg.Client.prototype.query = original;
      onRelease();
    },
  };
}

/**
 * Holds the end (`commit` or `rollback`) of the transaction in which the first statement sent with
 * a parameter equal to `value` ran (any `pg` client of this process, the test gateway's pool
 * included), before the end is sent: that transaction stays open, holding whatever it took, until
 * `release()`; `reached` resolves once its end is held. Names the transaction by what it was sent,
 * not by its statements' text, so a test holds the same request's transaction whatever statements
 * it runs (money-25: a dry run's, before and after it stopped writing). One transaction only.
 */
export function holdTransactionEnd(value: unknown): HeldAnswers {
  const original = pg.Client.prototype.query;
  let onReached!: () => void;
  const reached = new Promise<void>((resolve) => (onReached = resolve));
  let onRelease!: () => void;
  const released = new Promise<void>((resolve) => (onRelease = resolve));
  let client: pg.Client | undefined;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const config = args[0] as string | { text?: string; values?: unknown[] } | undefined;
    const text = typeof config === 'string' ? config : config?.text;
    const values = typeof config === 'string' ? args[1] : config?.values;
    if (!client && Array.isArray(values) && values.includes(value)) client = this;
    else if (client === this && text && /^\s*(commit|rollback)\b/i.test(text)) {
      pg.Client.prototype.query = original;
      onReached();
      return released.then(() => (original as (...a: unknown[]) => unknown).apply(this, args));
    }
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof original;
  return {
    reached,
    release: () => {
      pg.Client.prototype.query = original;
      onRelease();
    },
  };
}

/**
 * Holds every connection this process's `pg` clients of `application` (their `application_name`)
 * open from now on before it reaches PostgreSQL, until `release()`: a session of the gateway that
 * connects again after it was lost (the event relay, the job runner's LISTEN) stays away while the
 * test changes the world, however long that takes. The others connect as usual.
 */
export function holdConnect(application: string): { release(): void } {
  const original = pg.Client.prototype.connect;
  let onRelease!: () => void;
  const released = new Promise<void>((resolve) => (onRelease = resolve));
  pg.Client.prototype.connect = function (this: pg.Client, ...args: unknown[]) {
    const connect = () => (original as (...a: unknown[]) => unknown).apply(this, args);
    if ((this as unknown as { connectionParameters: { application_name?: string } }).connectionParameters.application_name !== application) return connect();
    if (typeof args[0] === 'function') return void released.then(connect);
    return released.then(connect);
  } as typeof original;
  return {
    release: () => {
      pg.Client.prototype.connect = original;
      onRelease();
    },
  };
}

/**
 * Rows of `table` fetched or scanned by `call` (one statement, e.g. a select of one function) on
 * `client`: the change of the session's not yet reported counts (`pg_stat_xact_user_tables`, which
 * PostgreSQL reports only between transactions) across one transaction, rolled back. An index-only
 * scan of all-visible pages fetches no rows and so counts none.
 */
export async function rowsRead(client: pg.Client, table: string, call: string, params: unknown[]): Promise<number> {
  const counted = async () =>
    Number(
      (await client.query<{ n: string }>(`select coalesce(idx_tup_fetch, 0) + coalesce(seq_tup_read, 0) as n from pg_stat_xact_user_tables where relid = $1::regclass`, [table])).rows[0].n,
    );
  await client.query('begin');
  try {
    const before = await counted();
    await client.query(call, params);
    return (await counted()) - before;
  } finally {
    await client.query('rollback');
  }
}
