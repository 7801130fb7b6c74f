import type { Logger } from 'pino';
import type { Clock } from './clock.js';
import { sql } from './db/sql.js';
import type { SqlExecutor } from './events/outbox.reader.js';

/**
 * The clock guard (docs/decisions.md, "## clock-12"): background jobs expire points, release and
 * prune, give webhooks up and award by the gateway's `clock.now()`, and what they write cannot be
 * taken back. One instance whose host clock has stepped (a bad NTP answer, a VM resumed from a
 * snapshot, a hand-set date) would do all of it at its own wrong hour. PostgreSQL's clock is the
 * one every instance shares, so an instance compares its clock with it before each irrevocable run
 * (in the same round trip as the job's claim, or the schedule's tick) and at start-up and every
 * readiness probe, and estimates it (no statement) before each mutation; when they differ by more
 * than CLOCK_SKEW_MAX_MS, either way, it runs no job (the job stays due for another instance, or
 * for this one once its clock is right), enqueues no slot, refuses mutations (503), answers
 * `/readyz` 503, logs an error with both clocks and shows the skew in /metrics. Reads go on.
 */

/**
 * One comparison: the gateway's clock (its host part: `Clock.deliberateOffsetMs` taken off) and
 * PostgreSQL's `clock_timestamp()`. PostgreSQL read its clock at some moment between the statement's
 * sending and its answer's reading; that moment is taken as their midpoint, and half the round
 * trip (`uncertaintyMs`) is how far off that can be (break-12g): a statement that waited for a
 * pooled connection or a lock before PostgreSQL read its clock, or whose answer was read late (a
 * slow network, a stalled event loop), is a wide reading, not a skewed one.
 */
export interface ClockReading {
  /** The gateway's host clock at the round trip's midpoint (whole milliseconds). */
  gatewayAt: Date;
  /** PostgreSQL's `clock_timestamp()` in that statement. */
  databaseAt: Date;
  /** gatewayAt − databaseAt, in milliseconds: positive when the gateway runs ahead. */
  skewMs: number;
  /** Half the statement's round trip, in milliseconds: the true skew is within skewMs ± this. */
  uncertaintyMs: number;
  /** Whether the skew is over the tolerance however the round trip split: |skewMs| − uncertaintyMs > CLOCK_SKEW_MAX_MS. */
  skewed: boolean;
}

/** When a statement that reads PostgreSQL's clock was sent (`ClockGuard.sending`): both of the gateway's clocks. */
export interface SentAt {
  /** The host clock (`hostNowMs`), epoch milliseconds. */
  hostMs: number;
  /** The guard's monotonic clock (`performance.now()` unless given), which no step of the host's moves. */
  mono: number;
}

/** PostgreSQL's `clock_timestamp()` in epoch milliseconds (a double: microseconds kept), as SQL. */
export const DATABASE_NOW_MS = sql<number>`(extract(epoch from clock_timestamp()) * 1000)::float8`;

/** The host part of `clock`'s now, in epoch milliseconds: what is compared with PostgreSQL's clock. */
export function hostNowMs(clock: Clock): number {
  return clock.now().getTime() - (clock.deliberateOffsetMs?.() ?? 0);
}

/**
 * Compares, records and reports an instance's clock. One per process, shared by the job runner,
 * the schedulers and the HTTP server, so `/readyz` and /metrics show what the last comparison
 * found, whoever made it. `maxSkewMs`: CLOCK_SKEW_MAX_MS.
 */
export class ClockGuard {
  private latest: ClockReading | undefined;
  /** The monotonic clock (`monotonicMs`) when `latest` was taken: no step of the host's moves it. */
  private latestMono = 0;
  private refreshing: Promise<ClockReading> | undefined;

  /**
   * `clock`: the gateway's clock, compared (less its `deliberateOffsetMs`) with PostgreSQL's.
   * `maxSkewMs`: CLOCK_SKEW_MAX_MS. `monotonicMs`: a clock in milliseconds that no step of the
   * host's moves, which ages the readings (default `performance.now()`; a test gives one it can
   * move on, to age a reading past READING_MAX_AGE_MS without waiting).
   */
  constructor(
    private readonly clock: Clock,
    readonly maxSkewMs: number,
    private readonly log: Logger,
    private readonly monotonicMs: () => number = () => performance.now(),
  ) {}

  /** The last comparison, if any was made. */
  get last(): ClockReading | undefined {
    return this.latest;
  }

  /**
   * Compares with PostgreSQL's clock now: one statement (`select clock_timestamp()`) on `db`.
   * Records the reading (see `record`). Raises what the statement raises.
   */
  async check(db: SqlExecutor): Promise<ClockReading> {
    const sent = this.sending();
    const { rows } = await sql<{ atMs: number }>`select ${DATABASE_NOW_MS} as "atMs"`.execute(db);
    return this.record(sent, new Date(Number(rows[0].atMs)));
  }

  /** Both of the gateway's clocks now: taken just before a statement that reads PostgreSQL's clock is sent, for `record`. */
  sending(): SentAt {
    return { hostMs: hostNowMs(this.clock), mono: this.monotonicMs() };
  }

  /**
   * Records a comparison made elsewhere (the claim statement's reading), called as soon as its
   * answer is read: `sent` taken (`sending`) before the statement, `databaseAt` its
   * `clock_timestamp()`. The gateway's side is the round trip's midpoint, and the reading is skewed
   * only when it is over the tolerance however the round trip split (`ClockReading`): a wait is
   * no skew. Logs an error with both clocks when the instance becomes skewed (and again at most
   * once a minute while it stays so), and an info line when it is back within the tolerance.
   */
  record(sent: SentAt, databaseAt: Date): ClockReading {
    const halfTrip = Math.max(0, this.monotonicMs() - sent.mono) / 2;
    const gatewayMs = Math.round(sent.hostMs + halfTrip);
    const skewMs = gatewayMs - databaseAt.getTime();
    const reading: ClockReading = {
      gatewayAt: new Date(gatewayMs),
      databaseAt,
      skewMs,
      uncertaintyMs: halfTrip,
      skewed: this.over(skewMs, halfTrip),
    };
    const before = this.latest;
    this.latest = reading;
    this.latestMono = sent.mono + halfTrip;
    const fields = { gatewayClock: reading.gatewayAt.toISOString(), databaseClock: databaseAt.toISOString(), skewMs, maxSkewMs: this.maxSkewMs };
    if (reading.skewed && (!before?.skewed || databaseAt.getTime() - this.loggedAt >= 60_000)) {
      this.loggedAt = databaseAt.getTime();
      this.log.error(fields, clockSkewMessage(reading, this.maxSkewMs));
    } else if (!reading.skewed && before?.skewed) {
      this.log.info(fields, 'the gateway clock agrees with the database clock again: background jobs run again');
    }
    return reading;
  }

  private loggedAt = 0;

  /** Whether a skew known to within ± `uncertaintyMs` is over the tolerance however it lies in that range. */
  private over(skewMs: number, uncertaintyMs: number): boolean {
    return Math.abs(skewMs) - uncertaintyMs > this.maxSkewMs;
  }

  /**
   * The skew now, estimated without a statement from the last reading: the database's clock then,
   * plus the monotonic time since the reading's midpoint, against the host clock now (known to
   * within the reading's `uncertaintyMs`). A step of the host clock since the
   * reading shows at once (the monotonic clock does not step); slow drift shows at the next
   * reading. Undefined before any reading, or when the last is older than `maxAgeMs`.
   */
  estimatedSkewMs(maxAgeMs = READING_MAX_AGE_MS): number | undefined {
    if (!this.latest) return undefined;
    const age = this.monotonicMs() - this.latestMono;
    if (age > maxAgeMs) return undefined;
    return hostNowMs(this.clock) - (this.latest.databaseAt.getTime() + age);
  }

  /**
   * Whether a write (a mutation) must be refused: the estimated skew is over the tolerance however
   * the last reading's round trip split. Answered at once (a boolean, no statement) from a reading
   * younger than READING_MAX_AGE_MS; otherwise a promise, after a reading taken on `db()` (one
   * statement, shared by the writes that ask meanwhile; `db` is called only then). When that
   * statement fails (the database unreachable), judges by the last reading however old, or allows
   * with none: the write then meets the database's failure itself, answered as such
   * (SERVICE_UNAVAILABLE), not as a clock fault.
   */
  writesRefused(db: () => SqlExecutor): boolean | Promise<boolean> {
    const now = this.writesRefusedNow();
    if (now !== undefined) return now;
    this.refreshing ??= this.check(db()).finally(() => (this.refreshing = undefined));
    const judged = () => {
      const skew = this.estimatedSkewMs(Infinity);
      return skew !== undefined && this.over(skew, this.latest!.uncertaintyMs);
    };
    return this.refreshing.then(judged, judged);
  }

  /** `writesRefused` without a statement: undefined when it would need one (no recent reading). */
  writesRefusedNow(): boolean | undefined {
    const skew = this.estimatedSkewMs();
    return skew === undefined ? undefined : this.over(skew, this.latest!.uncertaintyMs);
  }
}

/** How old a reading may be for a write's check to estimate from it rather than read the database's clock again. */
export const READING_MAX_AGE_MS = 10_000;


/** The operator's line for a skewed reading: both clocks, the rule and what the instance does. */
export function clockSkewMessage(reading: ClockReading, maxSkewMs: number): string {
  const way = reading.skewMs > 0 ? 'ahead of' : 'behind';
  return (
    `This gateway's clock (${reading.gatewayAt.toISOString()}) is ${Math.abs(reading.skewMs)} ms ${way} the database's (${reading.databaseAt.toISOString()}), ` +
    `more than CLOCK_SKEW_MAX_MS (${maxSkewMs} ms) either way: it runs no background job (expiry, tiers, awards, prune, webhooks, sales), takes no mutation (503) ` +
    `and answers /readyz 503 until the two agree; other instances run the jobs. Fix the host's time (NTP).`
  );
}
