import pg from 'pg';
import type { TestGateway } from './gateway.js';
import { adjust, eventually } from './program.js';
import { holdAnswers } from './statements.js';

/** Row locks held by a transaction of the test's own (see holdLocks). */
export interface HeldLocks {
  /** Resolves once exactly `n` sessions wait on this transaction's locks (10 s at most). */
  blocking(n: number): Promise<void>;
  /** Resolves once exactly `n` sessions of the database wait on any lock, those queued behind the first waiter included. */
  waiters(n: number): Promise<void>;
  /** Commits, letting the waiters go on. */
  commit(): Promise<void>;
  /** Closes the connection (a transaction still open rolls back). */
  end(): Promise<void>;
  /** Commits and closes, once: later calls do nothing (for a test that lets go mid-way and again in its `finally`). */
  release(): Promise<void>;
}

/**
 * Opens a connection of its own to the test gateway's database, begins a transaction and runs
 * `lockSql` (a `select … for update` or the like) with `params` in it: the rows it locks stay
 * locked until `commit()`. For tests that stop a request at a chosen lock and change the world
 * while it waits (a staff removal, a debit), then let it go on.
 */
export async function holdLocks(t: TestGateway, lockSql: string, params: unknown[]): Promise<HeldLocks> {
  const client = new pg.Client({ connectionString: t.databaseUrl });
  await client.connect();
  const count = async (where: string, values: unknown[]) => Number((await t.sql<{ n: string }>(`select count(*) as n from pg_stat_activity where ${where}`, values))[0].n);
  try {
    const [{ pid }] = (await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows;
    await client.query('begin');
    await client.query(lockSql, params);
    let released: Promise<void> | undefined;
    return {
      blocking: async (n) => void (await eventually(async () => (await count('$1 = any(pg_blocking_pids(pid))', [pid])) === n)),
      waiters: async (n) => void (await eventually(async () => (await count(`datname = current_database() and wait_event_type = 'Lock'`, [])) === n)),
      commit: async () => void (await client.query('commit')),
      end: () => client.end(),
      release: () => (released ??= client.query('commit').then(() => client.end())),
    };
  } catch (error) {
    await client.end();
    throw error;
  }
}

/** The statement that takes one customer's account lock (lockAccount), or the purchase's one statement that takes it itself. */
const takesAccountLock = (text: string) =>
  /from point_account where customer_id = \$\d+ and currency_code = \$\d+ for update/.test(text) || /insert into offer_purchase/.test(text);

/**
 * A write whose clock was read before it waited for its account's lock (edges-12b): starts `write`
 * with the test clock frozen, holds its account-lock statement before it is sent, moves the clock
 * an hour and commits a staff adjustment of +1 on the account, then lets `write` go on.
 */
export async function heldWhileAnotherCommits<R>(t: TestGateway, customerExternalId: string, currency: string, write: () => Promise<R>): Promise<R> {
  t.clock.freeze();
  const held = holdAnswers(takesAccountLock, 'statement');
  const running = write();
  try {
    await held.reached;
    t.clock.advance(3_600_000);
    await adjust(t, customerExternalId, currency, 1);
  } finally {
    held.release();
  }
  return running;
}

/**
 * `request`'s answer, or a failure of the test when none comes within 10 s: for tests whose fault
 * is a pool with no connection left to give (every request then waits for ever).
 */
export async function answered<T>(request: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('no answer in 10 s: the pool has no connection left')), 10_000)));
  try {
    return await Promise.race([request, late]);
  } finally {
    clearTimeout(timer);
  }
}
