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
    if (!this.schedules.some((s) => (s.catchUpSlots ?? 0) > 0)) return (await this.tickCurrentSlots()).created;
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
   * Answers how many jobs it created, and how many of its slots' jobs were already enqueued and
   * still PENDING (read on the statement's snapshot, so not the ones it inserted): such a job is
   * claimed after this statement, so its run reads the outbox as of after it (`startWoken`).
   */
  private async tickCurrentSlots(): Promise<{ created: number; pending: number }> {
    const now = this.clock.now();
    const rows = this.schedules.map((s) => {
      const slot = Math.floor(now.getTime() / s.everyMs);
      return { kind: s.kind, key: `${s.kind}:${slot}`, slot };
    });
    const sent = this.guard.sending();
    const [row] = await query<{ atMs: number; created: string[]; pending: number }>(
      this.orm.em.fork(),
      sql`with db as materialized (select ${DATABASE_NOW_MS} as at_ms),
          inserted as (
            insert into job (kind, payload, run_at, unique_key, max_attempts, created_at)
            select s.kind, jsonb_build_object('slot', s.slot, 'at', ${now.toISOString()}::text), ${now}, s.key, 3, ${now}
              from unnest(${rows.map((r) => r.kind)}::text[], ${rows.map((r) => r.key)}::text[], ${rows.map((r) => r.slot)}::bigint[]) as s(kind, key, slot)
             where (select abs(db.at_ms - ${sent.hostMs}::float8) <= ${this.guard.maxSkewMs}::float8 from db)
            on conflict (unique_key) do nothing
            returning kind)
          select db.at_ms as "atMs", array(select kind from inserted) as created,
                 (select count(*)::int from job where unique_key = any(${rows.map((r) => r.key)}::text[]) and status = 'PENDING') as pending
            from db`,
    );
    this.guard.record(sent, new Date(Number(row.atMs)));
    // A wake-up still on its way at `stop()` fails unreported, as a tick does: the gateway stopped
    // just after a tick logged "webhook dispatch tick failed: driver has already been destroyed" (early-19).
    for (const kind of new Set(row.created)) wakeWorkers(this.orm.em.fork(), kind, (error) => this.stopped || this.onWakeError(error));
    return { created: row.created.length, pending: row.pending };
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

  /** The state of `startWoken`'s mode while it runs (undefined otherwise). */
  private woken: WokenState | undefined;

  /**
   * Ticks when woken (`wake`: a commit of outbox rows, in this process or, by NOTIFY, another's),
   * now and then at most once per slot of the schedules, and besides, without a wake-up, once
   * `fallbackMs` (ms, by this scheduler's clock) have passed since its last tick; for schedules
   * without catch-up (the webhook dispatcher's). The check of the fallback and a wake-up's wait for
   * the next slot are timers of the process (no statement). Before dispatch-17 the dispatcher ticked
   * every WEBHOOK_DISPATCH_MS whether or not anything was written: a statement a second per
   * instance, and a dispatch job (a claim and a transaction of six statements) a second across
   * them, for nothing most of the time (bench/README.md, idle-15).
   *
   * A wake-up is served by the first tick that starts after it and either enqueues its slot's job
   * or finds that job still PENDING: either way the job is claimed after the wake-up, so its run
   * reads the outbox as of after the commit that woke it. A tick that finds its slot's job already
   * claimed (this instance's earlier wake-up in the slot, or another instance's) leaves the wake-up
   * to a tick at the next slot's start. So an event waits for a dispatch at most one period, as
   * when every instance ticked every period, and one run per slot across instances still holds (the
   * slot's unique key). Ticks at start-up too (what was written while nothing ran). A failed tick is
   * passed to `onError` and the wake-up tried again at the next slot.
   */
  startWoken(fallbackMs: number, onError: (error: unknown) => void): void {
    if (this.schedules.some((s) => (s.catchUpSlots ?? 0) > 0)) throw new Error('startWoken: only for schedules without catch-up');
    this.onWakeError = onError;
    this.stopped = false;
    const periodMs = Math.min(...this.schedules.map((s) => s.everyMs));
    this.woken = { fallbackMs, periodMs, wakes: 1, served: 0, lastSlots: undefined, lastAt: Number.NEGATIVE_INFINITY, inFlight: false, boundary: undefined };
    this.timer = setInterval(() => this.tickIfDue(), periodMs);
    this.timer.unref();
    this.tickIfDue();
  }

  /**
   * Asks for a tick (`startWoken`): outbox rows were committed. Answers false when this scheduler
   * cannot take it (stopped, or this instance's clock known to be off PostgreSQL's, when its ticks
   * enqueue nothing): the caller then NOTIFYs the other instances. True otherwise, also when this
   * scheduler is not started in that mode (its owner ticks it: `start`'s interval, a test's `tick`).
   */
  wake(): boolean {
    if (this.stopped || this.guard.writesRefusedNow() === true) return false;
    const w = this.woken;
    if (!w) return true;
    w.wakes++;
    this.tickIfDue();
    return true;
  }

  /** `startWoken`'s decision: a tick for a wake-up not yet served (once per slot) or for the fallback; else a wait for the next slot. */
  private tickIfDue(): void {
    const w = this.woken;
    if (!w || this.stopped || w.inFlight) return;
    const now = this.clock.now().getTime();
    const slots = this.schedules.map((s) => Math.floor(now / s.everyMs)).join();
    const wanted = w.wakes > w.served;
    // either way round: a clock stepped back is not a fallback postponed by as much
    const fallbackDue = Math.abs(now - w.lastAt) >= w.fallbackMs;
    if (!(wanted && slots !== w.lastSlots) && !fallbackDue) {
      if (wanted && !w.boundary) {
        w.boundary = setTimeout(() => {
          w.boundary = undefined;
          this.tickIfDue();
        }, w.periodMs - (now % w.periodMs) + 1);
        w.boundary.unref();
      }
      return;
    }
    w.inFlight = true;
    w.lastSlots = slots;
    w.lastAt = now;
    const upTo = w.wakes;
    this.tickCurrentSlots()
      .then(
        ({ created, pending }) => {
          if (created > 0 || pending > 0) w.served = Math.max(w.served, upTo);
        },
        (error: unknown) => {
          if (!this.stopped) this.onWakeError(error);
        },
      )
      .finally(() => {
        w.inFlight = false;
        if (w.wakes > w.served) this.tickIfDue();
      });
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.woken?.boundary);
    this.woken = undefined;
  }
}

/** `Scheduler.startWoken`'s state. */
interface WokenState {
  fallbackMs: number;
  /** The shortest schedule's period (ms): how often the fallback is checked. */
  periodMs: number;
  /** Wake-ups asked for (start-up counts as one), and how many of them a tick has served. */
  wakes: number;
  served: number;
  /** The slots of the last tick (joined), and when it began (the clock's ms). */
  lastSlots: string | undefined;
  lastAt: number;
  inFlight: boolean;
  /** A wake-up's wait for the next slot. */
  boundary: NodeJS.Timeout | undefined;
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
