import type { MikroORM } from '@mikro-orm/postgresql';
import type { Clock } from '../clock.js';
import type { ClockGuard } from '../clock-guard.js';
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { DATABASE_NOW_MS } from '../clock-guard.js';
import { query, sql } from '../db/sql.js';
import { enqueueJob, wakeWorkers } from './queue.js';

export interface Schedule {
  /** The job kind to enqueue. */
  kind: string;
  everyMs: number;
  /**
   * For a job whose slot is a fact of its own (the birthday job: a slot is a UTC day, and a day not
   * run is a day of birthdays never awarded): how many slots back a tick looks for slots that were
   * never enqueued (no instance ticked in them) after the last one that was, and enqueues those too,
   * oldest first (at most this many, however long no instance ticked). Slots before the schedule's
   * first run are not reached back to. Absent: only the
   * current slot (jobs that write down whatever is due need no past slot).
   */
  catchUpSlots?: number;
}

/**
 * Turns schedules into jobs on the shared queue. Each run is keyed by its time slot
 * (`<kind>:<slot>`), so however many gateway instances tick, each slot is enqueued once and
 * therefore runs once.
 */
export class Scheduler {
  private timer: NodeJS.Timeout | undefined;

  /** `guard`: the process's clock guard; a tick while it finds the clock off the database's enqueues nothing. */
  constructor(
    private readonly orm: MikroORM,
    private readonly clock: Clock,
    private readonly schedules: Schedule[],
    private readonly guard: ClockGuard,
  ) {}

  /**
   * Enqueues the current slot of every schedule; returns how many jobs this call created. Enqueues
   * nothing (0) when this instance's clock and PostgreSQL's differ by more than CLOCK_SKEW_MAX_MS:
   * a slot of a clock a week ahead would be a week's birthdays awarded early, and the catch-up would
   * then see no day missed until the real clock reached it (clock-12). The slot is ticked by
   * another instance, or by this one once its clock is right.
   */
  async tick(): Promise<number> {
    if (!this.schedules.some((s) => (s.catchUpSlots ?? 0) > 0)) return this.tickCurrentSlots();
    let created = 0;
    await this.orm.em.fork().transactional(async (em) => {
      if ((await this.guard.check(em.getKysely())).skewed) return;
      const now = this.clock.now();
      for (const s of this.schedules) {
        const slot = Math.floor(now.getTime() / s.everyMs);
        for (const due of await missedSlots(em, s, slot)) {
          const id = await enqueueJob(em, s.kind, { slot: due, at: now.toISOString() }, { runAt: now, uniqueKey: `${s.kind}:${due}`, maxAttempts: 3 });
          if (id) created++;
        }
      }
    });
    return created;
  }

  /**
   * `tick` for schedules that enqueue only their current slot (no `catchUpSlots`), in one
   * statement: the clock comparison (recorded in the guard, as `ClockGuard.check` records it), and
   * only when the clocks agree within CLOCK_SKEW_MAX_MS (the statement's own test, the claim's), the
   * slots' inserts, each keyed `<kind>:<slot>` (a slot already enqueued is skipped). The
   * transaction it replaces (begin, the clock's statement, an insert per schedule, commit) was four
   * statements a second per instance for the webhook dispatcher's tick (idle-15). The workers are
   * woken after the commit by `wakeWorkers`: an idle loop of this instance directly, else a NOTIFY
   * (the NOTIFY in the insert woke a loop on every instance, and all but one claimed nothing). If
   * the process dies in between, the job is found by a runner's poll (JOB_POLL_MS), as a sale's is.
   */
  private async tickCurrentSlots(): Promise<number> {
    const now = this.clock.now();
    const rows = this.schedules.map((s) => {
      const slot = Math.floor(now.getTime() / s.everyMs);
      return { kind: s.kind, key: `${s.kind}:${slot}`, slot };
    });
    const sent = this.guard.sending();
    const [row] = await query<{ atMs: number; created: string[] }>(
      this.orm.em.fork(),
      sql`with db as materialized (select ${DATABASE_NOW_MS} as at_ms),
          inserted as (
            insert into job (kind, payload, run_at, unique_key, max_attempts, created_at)
            select s.kind, jsonb_build_object('slot', s.slot, 'at', ${now.toISOString()}::text), ${now}, s.key, 3, ${now}
              from unnest(${rows.map((r) => r.kind)}::text[], ${rows.map((r) => r.key)}::text[], ${rows.map((r) => r.slot)}::bigint[]) as s(kind, key, slot)
             where (select abs(db.at_ms - ${sent.hostMs}::float8) <= ${this.guard.maxSkewMs}::float8 from db)
            on conflict (unique_key) do nothing
            returning kind)
          select db.at_ms as "atMs", array(select kind from inserted) as created from db`,
    );
    this.guard.record(sent, new Date(Number(row.atMs)));
    for (const kind of new Set(row.created)) wakeWorkers(this.orm.em.fork(), kind, this.onWakeError);
    return row.created.length;
  }

  /** Where a failed NOTIFY of `tickCurrentSlots` is reported (`start`'s `onError`); the job is then found by a poll. */
  private onWakeError: (error: unknown) => void = () => undefined;

  /** Set by `stop()`: a tick still in flight then fails unreported (its connection cut by the pool's close, `closeOrm`). */
  private stopped = false;

  /**
   * Ticks now and every `intervalMs` (ms) until `stop()`; a tick's failure goes to `onError`. A tick
   * is not started while the previous one is still waiting for its answer: on a frozen server (its
   * backends stopped, a flow a firewall dropped) each tick waits until its statement bound,
   * DB_STATEMENT_TIMEOUT_MS + DB_CLIENT_TIMEOUT_MARGIN_MS (17 s by default), and the webhook
   * dispatcher's tick every WEBHOOK_DISPATCH_MS (1 s) stacked 17 of them, each holding a pooled
   * connection or waiting for one, so requests found the pool taken (break-16's open item). A slot
   * skipped so is not lost: the next tick enqueues its own (the dispatch reads the outbox from its
   * cursor, whatever the slot), and the schedules with `catchUpSlots` enqueue the slots missed.
   */
  start(intervalMs: number, onError: (error: unknown) => void): void {
    this.onWakeError = onError;
    this.stopped = false;
    let inFlight = false;
    const run = () => {
      if (inFlight) return;
      inFlight = true;
      return this.tick()
        .catch((error: unknown) => {
          if (!this.stopped) onError(error);
        })
        .finally(() => (inFlight = false));
    };
    void run();
    this.timer = setInterval(run, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }
}

/**
 * How many slots before the current one a tick looks for the schedule's latest enqueued slot.
 * Longer than any catch-up: an outage longer than the catch-up is still an outage, not a first
 * start. The job rows of a schedule's slots outlive an outage (done jobs are pruned by a job that
 * runs only once a gateway is back, after the tick that reads them), so the latest is found.
 */
const LATEST_SLOT_LOOKBACK = 366;

/**
 * The slots a tick at `slot` enqueues for `s`, oldest first: `slot`, and with `catchUpSlots` the
 * slots after the latest one enqueued among the LATEST_SLOT_LOOKBACK before it, at most the
 * `catchUpSlots` just before `slot` (none enqueued: only `slot`, as at a first start). An outage
 * one slot longer than the catch-up used to find no slot in the catch-up window and was taken for
 * a first start, so eight days down caught up none of the last seven days' birthdays (break-12f).
 * Looked up by the slots' unique keys (the job table's unique index), so a tick costs one indexed
 * read whatever the queue holds.
 */
async function missedSlots(em: SqlEntityManager, s: Schedule, slot: number): Promise<number[]> {
  const back = s.catchUpSlots ?? 0;
  if (back <= 0) return [slot];
  const keys = Array.from({ length: Math.max(back, LATEST_SLOT_LOOKBACK) }, (_, i) => `${s.kind}:${slot - 1 - i}`);
  const rows = await query<{ uniqueKey: string }>(em, sql`select unique_key as "uniqueKey" from job where unique_key = any(${keys}::text[])`);
  if (rows.length === 0) return [slot];
  const latest = Math.max(...rows.map((r) => Number(r.uniqueKey.slice(s.kind.length + 1))));
  const from = Math.max(latest + 1, slot - back);
  return Array.from({ length: slot - from + 1 }, (_, i) => from + i);
}
