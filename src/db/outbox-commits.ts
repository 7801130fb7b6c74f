import type pg from 'pg';
import { watchStatements } from './statement-watch.js';

/**
 * The channel on which a process with no outbox reader of its own (JOBS_ENABLED=false, or its
 * dispatcher stopped or its clock off the database's) says that it committed outbox rows: the job
 * runners of every instance LISTEN on it and wake their webhook dispatcher (dispatch-17).
 */
export const OUTBOX_CHANNEL = 'reward_gateway_outbox';

/**
 * A reader of the outbox in this process (the webhook dispatcher): called after a commit that wrote
 * outbox rows through its pool; answers whether it takes the wake-up (false: stopped, or its clock
 * not known to agree with the database's; the NOTIFY is then sent for the other instances).
 */
export type OutboxReader = () => boolean;

/** Per pool (the ORM's `pg.Pool`): the readers `outboxCommitted` wakes. */
const readers = new WeakMap<pg.Pool, Set<OutboxReader>>();

/**
 * The least time between two NOTIFYs of one pool (ms): the shortest WEBHOOK_DISPATCH_MS allowed,
 * so that no dispatcher, which runs at most once a period, is woken later than its period would
 * let it run. Without it a process with no dispatcher of its own sent one NOTIFY per commit that
 * wrote events (a statement per purchase: the purchase bench's SQL per request went 1 → 2, node
 * and PostgreSQL CPU per purchase ×1.11 and ×1.10; notify-17).
 */
export const OUTBOX_NOTIFY_GAP_MS = 100;

/** Per pool: a NOTIFY being sent or due (its timer), when the last was sent, and whether a commit came while one was on its way. */
interface NotifyState {
  sending: boolean;
  again: boolean;
  lastAt: number;
  due?: NodeJS.Timeout;
}
const notifying = new WeakMap<pg.Pool, NotifyState>();

/**
 * Sends `NOTIFY reward_gateway_outbox` on `pool` now, or once OUTBOX_NOTIFY_GAP_MS has passed since
 * the last one (one NOTIFY then stands for every commit in between); one on its way is followed by
 * one more when a commit came meanwhile. Errors are dropped: the dispatchers' fallback run finds
 * what a lost wake-up was for.
 */
function announce(pool: pg.Pool, state: NotifyState): void {
  if (state.sending) {
    state.again = true;
    return;
  }
  if (state.due) return;
  const wait = state.lastAt + OUTBOX_NOTIFY_GAP_MS - performance.now();
  if (wait > 0) {
    state.due = setTimeout(() => {
      state.due = undefined;
      announce(pool, state);
    }, wait);
    state.due.unref();
    return;
  }
  state.sending = true;
  state.lastAt = performance.now();
  pool
    .query(`select pg_notify('${OUTBOX_CHANNEL}', '')`)
    .catch(() => undefined)
    .finally(() => {
      state.sending = false;
      if (state.again) {
        state.again = false;
        announce(pool, state);
      }
    });
}

/** Has `reader` woken after every commit of outbox rows on `pool`'s connections; answers the function that stops it. */
export function registerOutboxReader(pool: pg.Pool, reader: OutboxReader): () => void {
  let set = readers.get(pool);
  if (!set) readers.set(pool, (set = new Set()));
  set.add(reader);
  return () => set.delete(reader);
}

/**
 * Called once a transaction (or a statement outside one) that inserted outbox rows has committed on
 * one of `pool`'s connections (`watchOutboxCommits`, src/db/orm.ts). Wakes this process's readers of
 * that database directly (no statement); when none takes it, sends `NOTIFY reward_gateway_outbox`
 * in a statement of its own, after the commit and outside it, at most one every
 * OUTBOX_NOTIFY_GAP_MS per pool (`announce`).
 *
 * Never a NOTIFY in the writing transaction (a trigger, or a statement of the writer's): a
 * transaction that NOTIFYs holds PostgreSQL's database-wide notify lock through its commit's WAL
 * flush, so every sale's commit would queue behind every other's (issue 10, till-13; the outbox's
 * own NOTIFY trigger was dropped for that). A wake-up lost here (the process dies after the commit,
 * the NOTIFY fails, nobody listens) is the dispatcher's fallback run's to find
 * (WEBHOOK_DISPATCH_FALLBACK_MS). Errors of the NOTIFY are dropped for the same reason.
 */
export function outboxCommitted(pool: pg.Pool): void {
  let taken = false;
  // every reader is woken (one per database in a process, in practice), not only the first
  for (const reader of readers.get(pool) ?? []) if (reader()) taken = true;
  if (taken) return;
  let state = notifying.get(pool);
  if (!state) notifying.set(pool, (state = { sending: false, again: false, lastAt: -Infinity }));
  announce(pool, state);
}

/** The text every outbox write contains (`recordEvent`, the sale's and the ledger's own statements). */
const OUTBOX_INSERT = 'insert into outbox_event';

/**
 * Calls `outboxCommitted(pool)` after each commit on the pooled connection `client` of a
 * transaction that inserted into `outbox_event`, and after such an insert outside a transaction.
 * Recognised by the statement's text (every writer's says `insert into outbox_event`): one
 * substring search per statement, the cost of the pool's other layers (`watchStatements`, which
 * also tells the transaction-control statements apart). A transaction rolled back wakes nobody; one
 * rolled back to a savepoint after its write still does (a run that finds nothing).
 */
export function watchOutboxCommits(client: pg.PoolClient, pool: pg.Pool): void {
  let wrote = false;
  watchStatements(client, (result, args, control, inTransaction) => {
    if (control) {
      const committing = control === 'commit' && wrote;
      wrote = false;
      return committing ? result.then((value) => (outboxCommitted(pool), value)) : result;
    }
    const text = args[0];
    if (typeof text !== 'string' || !text.includes(OUTBOX_INSERT)) return result;
    if (inTransaction) {
      wrote = true;
      return result;
    }
    return result.then((value) => (outboxCommitted(pool), value));
  });
}
