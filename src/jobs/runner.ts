import { randomBytes } from 'node:crypto';
import type { MikroORM, PostgreSqlConnection, SqlEntityManager } from '@mikro-orm/postgresql';
import pg from 'pg';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { ClockGuard, DATABASE_NOW_MS } from '../clock-guard.js';
import { clientBoundMs, type Config } from '../config.js';
import { cutOnAbort } from '../db/embedded.js';
import { destroySocket, endWithin } from '../db/end-within.js';
import { Kysely, PostgresDialect, type PostgresPool, type RawBuilder } from 'kysely';
import { TCP_KEEPALIVE } from '../db/keepalive.js';
import { LIFT_REQUEST_TIMEOUTS } from '../db/orm.js';
import { connectionLost } from '../db/unavailable.js';
import { OUTBOX_CHANNEL } from '../db/outbox-commits.js';
import { query, sql } from '../db/sql.js';
import { PurgeCounts, type PurgedTable } from './purged.js';
import { JOBS_CHANNEL, registerLocalRunner } from './queue.js';

export interface ClaimedJob {
  id: number;
  kind: string;
  payload: unknown;
  attempts: number;
  maxAttempts: number;
  /** Its group (`job.group_key`, EnqueueOptions.group), or null. */
  groupKey: string | null;
  /** Its tenant (`job.tenant_key`, EnqueueOptions.tenant), or null. */
  tenantKey: string | null;
}

/** What a job handler works with: the job's transaction and the process's clock, config and log. */
export interface JobContext {
  em: SqlEntityManager;
  clock: Clock;
  /**
   * The process's random source: a number in [0, 1), as `Math.random` (the runner's default; a
   * handler called outside the runner uses `Math.random` when absent). Injected like the clock so a
   * test can fix what is drawn (the webhook retries' jitter, webhooks-23).
   */
  random?: () => number;
  config: Config;
  log: Logger;
  /**
   * Reports `rows` removed from `table` by this job (a retention job's purge): counted in
   * `gateway_rows_purged_total` once the job's transaction has committed, never for a run rolled
   * back. Absent where a handler is called outside the runner (tests, the bench): nothing counts.
   */
  purged?(table: PurgedTable, rows: number): void;
}

/**
 * What a `mode: 'lease'` handler works with: `em` is in no transaction (a statement, or an
 * `em.transactional`, holds a pooled connection for its own time only), and `complete(em)` marks
 * the job done in `em`'s transaction. `complete` throws (and the transaction must then roll back,
 * which `em.transactional` does) when the job is no longer this worker's: its lease ran out and
 * another worker took it over, whose outcome counts instead. `em.transactional(work)` runs `work`
 * on a pooled connection the runner takes itself, which its `stop()` closes when the database
 * leaves a statement unanswered (freeze-17; transaction options are not taken); a statement sent on
 * `em` outside a transaction goes through the pool as any.
 */
export interface LeasedJobContext extends JobContext {
  complete(em: SqlEntityManager): Promise<void>;
  /**
   * Aborted (its reason a `JobRunnerStopped`) once the runner's `stop()` has waited
   * JOB_STOP_PATIENCE_MS for this job (counted from the stop, or from the claim if later): a
   * handler passes it to what it waits on outside the gateway (a webhook's POST), and, once that
   * is cut, hands the job back (`handBack`) instead of recording an outcome (stop-18: a receiver
   * that did not answer held the stop for up to WEBHOOK_TIMEOUT_MS, past main.ts's 15 s limit).
   * Never aborted outside a stop.
   */
  stopping: AbortSignal;
  /**
   * Instead of `complete`: makes the job due again at once, under no lease and with this claim's
   * attempt not counted, in `em`'s transaction, for the next worker (another instance, or this
   * one's next start) to run it whole again. For a handler whose outside wait `stopping` cut.
   * Throws as `complete` does when the job is no longer this worker's.
   */
  handBack(em: SqlEntityManager): Promise<void>;
}

/** Why a `lease` handler's outside wait was cut: the runner is stopping (`LeasedJobContext.stopping`). */
export class JobRunnerStopped extends Error {
  constructor() {
    super('the job runner stopped while the job waited');
  }
}

/** What every handler may say besides how it runs. */
interface JobHandlerBase {
  /** Called in a transaction when the job has failed for good (last attempt, or a PermanentJobError). */
  onFailed?(jc: JobContext, payload: never, reason: string): Promise<void>;
  /**
   * `'outbound'`: the job waits on a system outside the gateway (a partner's webhook endpoint, up
   * to WEBHOOK_TIMEOUT_MS), so it runs in loops of its own (`outboundConcurrency`), never in the
   * loops every other job shares: a receiver that hangs holds none of them (break-13: deliveries
   * to one hanging endpoint held every loop, and no sale was processed for WEBHOOK_TIMEOUT_MS per
   * queued delivery). Its claims last `outboundLeaseMs`. Unset: the shared loops (`concurrency`).
   */
  lane?: JobLane;
}

/** The usual handler: its work and the job's completion commit together in one transaction. */
export interface TransactionJobHandler extends JobHandlerBase {
  mode?: 'transaction';
  /** Does the work in `jc.em`'s transaction; the job is marked done in the same transaction. */
  run(jc: JobContext, payload: never, job: ClaimedJob): Promise<void>;
}

/**
 * A handler that waits on the outside world between database work (webhook-14): it runs with no
 * transaction open, on the claim's lease alone, so no pooled connection (nor row lock) is held
 * while it waits. It must call `jc.complete(em)` in the transaction that records its outcome (or
 * that decides nothing needs doing); returning without it is an error (the job is retried). A
 * worker that dies before that commit leaves the job RUNNING until its lease ends, then it runs
 * again elsewhere: at least once, never twice at the same time (a job is claimed while no live
 * lease holds it).
 */
export interface LeaseJobHandler extends JobHandlerBase {
  mode: 'lease';
  run(jc: LeasedJobContext, payload: never, job: ClaimedJob): Promise<void>;
}

/** How a job kind is run: see TransactionJobHandler and LeaseJobHandler. */
export type JobHandler = TransactionJobHandler | LeaseJobHandler;

/** The loops a job kind runs in: `main` (JOB_CONCURRENCY loops) or `outbound` (WEBHOOK_CONCURRENCY loops). */
export type JobLane = 'main' | 'outbound';

/** A failure that retrying cannot mend: the job fails at once. */
export class PermanentJobError extends Error {}

/**
 * Ends, as of `now`, the leases of every RUNNING job whose row no live transaction holds, so the
 * next claim takes them at once instead of after JOB_LEASE_MS. Only for a gateway that has just
 * started its embedded PostgreSQL on DATA_DIR: it holds DATA_DIR's lock and stopped whatever server
 * a killed run left there, so no other worker's session (or transaction) on that database can be
 * alive, and every lease in it is a dead worker's. With DATABASE_URL other instances may be
 * running their jobs, and their leases are left to run out. Safe even if it were wrong about a
 * worker: a job a live worker executes is locked (skipped here), and one it has claimed but not yet
 * begun fails its own completion check (`locked_by`, `attempts`) once claimed again, so no job runs
 * twice to completion (a `lease` handler's job, which holds no row lock while it waits, is released too, and its
 * first worker's `complete` then fails the same check). The job keeps its attempts (the killed run counts as one, as when a lease
 * runs out). Returns the ids released, lowest first.
 */
export async function releaseDeadLeases(em: SqlEntityManager, now: Date): Promise<number[]> {
  const rows = await query<{ id: number }>(
    em,
    sql`with dead as (select id from job where status = 'RUNNING' and locked_until > ${now} for update skip locked)
        update job j set locked_until = ${now} from dead where j.id = dead.id returning j.id`,
  );
  return rows.map((r) => r.id).sort((a, b) => a - b);
}

/** This worker's lease ran out and another worker took the job over: its work must not commit. */
class LeaseLostError extends Error {}

/** A claim took a group's (or tenant's) job while another claim filled the group (or tenant): it rolls back (see claimNext). */
class GroupFull extends Error {}

export interface RunnerOptions {
  /** How long a claimed job is a worker's before another may take it over. */
  leaseMs: number;
  /**
   * How often the runner looks for due jobs even without a wake-up (retries, schedules, a lease run
   * out, a NOTIFY lost): one statement per instance for all its lanes (`probe`), which wakes an idle
   * loop of each lane that has a claimable job due. A due job is claimed within this long plus a
   * round trip, as when each idle loop claimed once per period (idle-15).
   */
  pollMs: number;
  /** First retry delay; doubles each attempt up to `maxBackoffMs`. */
  backoffMs: number;
  maxBackoffMs: number;
  /** Jobs this instance runs at once (JOB_CONCURRENCY): each in its own loop and transaction. */
  concurrency: number;
  /**
   * Jobs of the `outbound` lane (webhook deliveries) this instance runs at once, in loops of their
   * own besides the `concurrency` ones (WEBHOOK_CONCURRENCY); none are started when no handler is
   * outbound.
   */
  outboundConcurrency: number;
  /**
   * The lease of a claimed `outbound` job (ms): at least the longest it may wait on the outside
   * (WEBHOOK_TIMEOUT_MS) plus `leaseMs` for its database work, so a live worker's lease never runs
   * out under a request and the job is never sent by two workers at once (webhook-14).
   */
  outboundLeaseMs: number;
  /**
   * Jobs of one group (`job.group_key`) running at once, across all instances (counted from the
   * RUNNING rows under a live lease); a claim passes over a group at its bound and takes the next
   * due job of another. WEBHOOK_ENDPOINT_CONCURRENCY: one endpoint that hangs holds at most this
   * many of the outbound loops (webhook-14).
   */
  groupConcurrency: number;
  /**
   * Jobs of one tenant (`job.tenant_key`: the owner of several groups) running at once, across all
   * instances, counted and held as a group's are (`groupConcurrency`). WEBHOOK_PARTNER_CONCURRENCY:
   * one partner's endpoints, however many it registers, hold at most this many of the outbound
   * loops (break36, authz).
   */
  tenantConcurrency: number;
  /**
   * How often the LISTEN connection is asked a `select 1` (ms; 0: never), which must be answered
   * within DB_STATEMENT_TIMEOUT_MS + DB_CLIENT_TIMEOUT_MARGIN_MS or the connection is closed and
   * opened again (hang-12c). A LISTEN connection only ever waits, so a server that stopped (its
   * backend, or the host frozen) with the socket open was never noticed: TCP keepalive probes are
   * answered by the server's kernel, stopped process or not, and wake-ups stopped for the freeze and
   * after it if the server's side was lost meanwhile.
   */
  listenCheckMs: number;
  /**
   * Whether `wakeWorkers` in this process wakes an idle loop of this runner directly instead of
   * sending a NOTIFY (till-13; default true). Off only for tests of the NOTIFY path itself.
   */
  localWakeUps: boolean;
}

/** The `application_name` of the job runner's LISTEN connection. */
export const LISTENER_APPLICATION = 'reward-gateway job wake-ups';

/** How long after its LISTEN connection drops the runner opens it again; the wait doubles, up to LISTEN_RETRY_MAX_MS, while attempts fail. */
const LISTEN_RETRY_MS = 1_000;
const LISTEN_RETRY_MAX_MS = 30_000;
export const DEFAULT_RUNNER_OPTIONS: RunnerOptions = {
  leaseMs: 60_000,
  pollMs: 1_000,
  backoffMs: 2_000,
  maxBackoffMs: 300_000,
  concurrency: 4,
  outboundConcurrency: 2,
  outboundLeaseMs: 120_000,
  groupConcurrency: 1,
  tenantConcurrency: 1,
  listenCheckMs: 30_000,
  localWakeUps: true,
};

/** The advisory-lock namespace (first key) a claim holds a job group under for its own transaction. */
const GROUP_LOCK_SPACE = 0x6a6f62; // 'job'
/** The advisory-lock namespace a claim holds a job tenant under for its own transaction. */
const TENANT_LOCK_SPACE = 0x6a6f74; // 'jot'

/** A claim that took a group's job and lost the race for its last place to another claim: claim again at once. */
const CLAIM_AGAIN = 'again';

/** Probes in flight at once: one, and one more beside a probe that hangs (`poll`). */
const MAX_PROBES_IN_FLIGHT = 2;

/**
 * How long a probe may go unanswered (ms; or JOB_POLL_MS, if longer) before the poll sends another
 * beside it. A probe answers in a millisecond or two: a second is a connection that will not answer.
 * Not the next poll itself: at the test suite's 25 ms poll a loaded machine's slow probe would have
 * had company at every poll.
 */
const PROBE_PATIENCE_MS = 1_000;

/**
 * How long `stop()` lets a claim in flight answer before it closes the claim's connection (ms). A
 * claim answers in a millisecond or two; one unanswered for a second at the stop is a frozen server
 * (freeze-stop-16), which would otherwise hold the stop until the claim's bound (17 s by default).
 */
const CLAIM_STOP_PATIENCE_MS = 1_000;

/**
 * How long `stop()` lets a statement of a job in hand (its `begin`, its completion, a handler's
 * statement, its `commit`) go unanswered, counted from the stop or from the statement's sending if
 * later (ms), before it closes the job's connection (freeze-17). PostgreSQL then rolls the job's
 * transaction back (or, for a `commit` already in its socket, may still commit it whole), and the
 * job's lease lets another worker take it, as a killed worker's. Longer than a claim's patience: a
 * job's statement may legitimately take seconds (a purge, points expiry), and a cut costs the
 * job's work and a wait of JOB_LEASE_MS; short enough that main.ts's 15 s shutdown limit holds with
 * the other steps' bounds (event relay, claims, LISTEN connection, pool: about 1 s each).
 */
export const JOB_STOP_PATIENCE_MS = 3_000;

/**
 * A statement of the runner's (a probe, a claim) on a pooled connection it took itself
 * (`onOwnConnection`): `cut` closes that connection while the statement runs (set once it has
 * the connection); `stopped`, set by `stop()` when it cuts: the statement's failure is then no error
 * of the runner's, even when it settles after a `start()` that followed (break-16), and a
 * connection that comes only afterwards is handed back unused.
 */
interface InFlight {
  cut?: () => void;
  stopped?: boolean;
}

/**
 * A job in hand (`execute`), its transactions on pooled connections of the runner's own
 * (`inOwnTransaction`): its statements in flight (each with when it was sent, performance.now()
 * ms), which `stop()` watches (JOB_STOP_PATIENCE_MS); `stopped` once the stop closed its connection.
 */
interface JobInFlight extends InFlight {
  statements: Set<Watched>;
  /** A `lease` job's `stopping` signal, aborted by `stop()` (`watchOutsideWait`), and the timer that will. */
  outside?: { abort: AbortController; timer?: NodeJS.Timeout };
}

/** Whether `inFlight` is a job in hand's (`execute`), not a probe's or a claim's. */
const isJobInFlight = (inFlight: InFlight): inFlight is JobInFlight => 'statements' in inFlight;

/** A statement of a job in hand waiting for its answer: when it was sent (performance.now(), ms), and `stop()`'s timer on it. */
interface Watched {
  sentAt: number;
  timer?: NodeJS.Timeout;
}

/** A probe of the poll in flight: when it began (performance.now(), ms). */
interface ProbeInFlight extends InFlight {
  startedAt: number;
}

/**
 * The PostgreSQL job queue's worker. Runs `concurrency` loops, each claiming one due job at a time
 * with FOR UPDATE SKIP LOCKED (so loops and gateway instances never run the same job), running its
 * handler and marking it done in one
 * transaction (so a job's effects and its completion commit together: a crash before the commit
 * leaves no effect and the job is claimed again when its lease ends). Failures are retried with
 * exponential backoff until `maxAttempts`, then the job is FAILED with its reason.
 */
export class JobRunner {
  readonly workerId = `worker-${randomBytes(4).toString('hex')}`;
  private running = false;
  private loops: Promise<void>[] = [];
  /** Per lane, one per idle loop: ends its wait early (a NOTIFY, or stop). */
  private readonly sleepers: Record<JobLane, Set<() => void>> = { main: new Set(), outbound: new Set() };
  /** Per lane, a wake-up came while every loop was busy: the next loop to finish looks for a job before it sleeps. */
  private readonly missedWakeUp: Record<JobLane, boolean> = { main: false, outbound: false };
  /** The job kinds each lane's loops claim (every kind with a handler is in one). */
  private readonly kindsOf: Record<JobLane, string[]>;
  private listener: pg.Client | undefined;
  private listenRetry: NodeJS.Timeout | undefined;
  private listenRetryMs = LISTEN_RETRY_MS;
  /** Called for each NOTIFY on OUTBOX_CHANNEL, and when the LISTEN connection is back (`hearOutboxCommits`). */
  private outboxWake: (() => void) | undefined;
  /** Ends `wakeWorkers`' direct wake-ups of this runner's loops (set while it runs). */
  private unregisterLocal: (() => void) | undefined;
  /** The poll's timer (every `pollMs` while it runs). */
  private poller: NodeJS.Timeout | undefined;
  /** The probes in flight, at most MAX_PROBES_IN_FLIGHT (see `poll`). */
  private readonly probes = new Set<ProbeInFlight>();
  /** The claims in flight (`claimNext`): `stop()` cuts those unanswered after CLAIM_STOP_PATIENCE_MS. */
  private readonly claims = new Set<InFlight>();
  /** The jobs in hand (`execute`): `stop()` cuts one whose statement stays unanswered (JOB_STOP_PATIENCE_MS). */
  private readonly jobsInHand = new Set<JobInFlight>();
  /** Set while `stop()` waits for the loops (performance.now() ms of its start): a job's statement sent meanwhile is watched from its sending. */
  private stoppingSince: number | undefined;
  /**
   * The last `start()` or `stop()` asked for: each waits for the one before it to have finished, so
   * any order of calls, awaited or not, ends in the state the last call asked for (break-16: a
   * `stop()` followed by a `start()` not awaited had the old stop empty the new loops' list and end
   * the new LISTEN connection).
   */
  private lifecycle: Promise<unknown> = Promise.resolve();

  private readonly orm: MikroORM;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly config: Config;
  private readonly log: Logger;
  private readonly options: RunnerOptions;
  /** Compares this instance's clock with PostgreSQL's at every claim (src/clock-guard.ts). */
  readonly guard: ClockGuard;
  /** Rows the retention jobs removed, per table (the process's, shown in /metrics). */
  readonly purges: PurgeCounts;

  /**
   * `options` default to DEFAULT_RUNNER_OPTIONS, one by one. `deps.clockGuard`: the process's
   * guard (one of its own, at CLOCK_SKEW_MAX_MS, when absent). `deps.purges`: the process's purge
   * counts, which /metrics shows (counts of its own when absent). `deps.random`: the handlers'
   * random source (`JobContext.random`; `Math.random` when absent).
   */
  constructor(
    deps: { orm: MikroORM; clock: Clock; config: Config; log: Logger; clockGuard?: ClockGuard; purges?: PurgeCounts; random?: () => number },
    private readonly handlers: Record<string, JobHandler>,
    options: Partial<RunnerOptions> = {},
  ) {
    ({ orm: this.orm, clock: this.clock, config: this.config, log: this.log } = deps);
    this.guard = deps.clockGuard ?? new ClockGuard(deps.clock, deps.config.clockSkewMaxMs, deps.log);
    this.purges = deps.purges ?? new PurgeCounts();
    this.random = deps.random ?? Math.random;
    this.options = { ...DEFAULT_RUNNER_OPTIONS, ...options };
    const kinds = Object.keys(handlers);
    this.kindsOf = { main: kinds.filter((k) => this.laneOf(k) === 'main'), outbound: kinds.filter((k) => this.laneOf(k) === 'outbound') };
  }

  /** The lane a job kind runs in (`main` for a kind without a handler here). */
  private laneOf(kind: string | undefined): JobLane {
    return (kind !== undefined && this.handlers[kind]?.lane) || 'main';
  }

  /**
   * Starts working in the background; `databaseUrl` gets a LISTEN connection for prompt wake-ups
   * (start fails when it cannot be opened, and the runner stays stopped; see `listen` for when it
   * drops later). Waits for every start and stop called before it (a stop's loops and LISTEN
   * connection are gone first); does nothing when already running. `signal` (the gateway's start-up
   * abort) cuts the LISTEN connection's connect under way, and the start then rejects with its
   * reason, the runner stopped (lifecycle-23: a stop signal during "starting the jobs" waited out
   * DB_ACQUIRE_TIMEOUT_MS, or for ever with 0, on a server that accepted and did not answer).
   */
  async start(databaseUrl?: string, signal?: AbortSignal): Promise<void> {
    return this.inTurn(() => this.begin(databaseUrl, signal));
  }

  /**
   * Runs `change` (a start or a stop) once every start and stop asked for before it has finished;
   * its failure is its caller's, not the next one's.
   */
  private inTurn(change: () => Promise<void>): Promise<void> {
    const next = this.lifecycle.then(change);
    this.lifecycle = next.catch(() => undefined);
    return next;
  }

  private async begin(databaseUrl?: string, signal?: AbortSignal): Promise<void> {
    if (this.running) return;
    this.running = true;
    if (databaseUrl) {
      try {
        await this.listen(databaseUrl, false, signal);
      } catch (error) {
        // not started: a later start() tries again (it found `running` and did nothing)
        this.running = false;
        throw error;
      }
    }
    const outbound = this.kindsOf.outbound.length ? Math.max(1, this.options.outboundConcurrency) : 0;
    // One loop of each lane looks for the jobs that came due while no runner ran; the others sleep
    // until it finds more than one (`work` wakes the next) or a wake-up comes. When every loop
    // claimed at once, each took a pooled connection for it: an idle instance opened
    // JOB_CONCURRENCY + WEBHOOK_CONCURRENCY sessions at its start to find nothing (start-27).
    this.loops = [
      ...Array.from({ length: Math.max(1, this.options.concurrency) }, (_, i) => this.work('main', i > 0)),
      ...Array.from({ length: outbound }, (_, i) => this.work('outbound', i > 0)),
    ];
    if (this.options.localWakeUps) this.unregisterLocal = registerLocalRunner({ wakeIdle: (em, kind) => this.wakeIdle(em, kind) });
    this.poller = setInterval(() => void this.poll(), this.options.pollMs);
    this.poller.unref();
  }

  /**
   * Has the LISTEN connection also listen on OUTBOX_CHANNEL (another instance committed outbox
   * rows: src/db/outbox-commits.ts) and call `wake` for each notification there, and once it listens
   * again after a loss (what was sent meanwhile was not heard). Called before `start`. The webhook
   * dispatcher's wake-up from instances that run none (dispatch-17): one connection listens for both.
   */
  hearOutboxCommits(wake: () => void): void {
    this.outboxWake = wake;
  }

  /**
   * The runner's poll (every `pollMs`): for the lanes with an idle loop, one statement asks whether
   * a job they could claim is due (the claim's own conditions, its group bound included, and the
   * clock guard's test), and wakes one idle loop of each lane that has one; that loop claims, and
   * wakes the next when more are due (`work`). The statement also records a clock reading, as a
   * claim does. A lane whose loops are all busy is not asked: a loop that finishes looks again
   * at the next poll. It replaces a claim by every idle loop every `pollMs` (idle-15): six
   * claims a second per instance at idle, two of them the outbound lane's transactions (begin,
   * claim, commit) since webhook-14, all finding nothing. A failed probe is logged; the next poll
   * probes again.
   *
   * A probe unanswered for PROBE_PATIENCE_MS (its connection's backend stopped, a flow a NAT or
   * firewall dropped, the server frozen) is left to its bound (DB_STATEMENT_TIMEOUT_MS +
   * DB_CLIENT_TIMEOUT_MARGIN_MS, `boundStatements`) and the next poll sends another beside it, on
   * another connection; never more than MAX_PROBES_IN_FLIGHT at once, so a frozen server holds two
   * connections, not one per poll. Before (leftovers-16) the poll waited for the hung probe: a job
   * due by the clock, a lost NOTIFY or a dead lease waited the whole bound (17 s by default; with
   * DB_STATEMENT_TIMEOUT_MS=0, until the kernel gave the connection up) instead of JOB_POLL_MS.
   */
  private async poll(): Promise<void> {
    if (!this.running || this.probes.size >= MAX_PROBES_IN_FLIGHT) return;
    const startedAt = performance.now();
    const patience = Math.max(PROBE_PATIENCE_MS, this.options.pollMs);
    for (const other of this.probes) if (startedAt - other.startedAt < patience) return;
    const lanes = (['main', 'outbound'] as const).filter((lane) => this.kindsOf[lane].length > 0 && this.sleepers[lane].size > 0);
    if (!lanes.length) return;
    const probe: ProbeInFlight = { startedAt };
    this.probes.add(probe);
    try {
      const due = await this.probe(lanes, probe);
      for (const lane of lanes) if (due?.[lane] && this.running) this.wakeOne(lane);
    } catch (error) {
      // a probe `stop()` cut is no error of the runner's: its connection's end is reported a tick
      // after stop() returns, when a `start()` may already have followed (break-16)
      if (this.running && !probe.stopped) this.log.error({ err: error }, 'job runner error');
    } finally {
      this.probes.delete(probe);
    }
  }

  /**
   * Whether a job of each of `lanes` is due and claimable now: one statement, which decides as
   * `claimNext` would (due by `run_at`, or by a lease run out on a row no live transaction holds; a
   * group below its bound; this instance's clock within CLOCK_SKEW_MAX_MS of PostgreSQL's, whose
   * reading it records). A job another claim takes meanwhile may count: a woken loop then claims
   * nothing and sleeps again.
   *
   * A RUNNING job past its lease counts only if its row can be locked (`for update skip locked`,
   * as the claim takes it; the lock lasts for this statement only): a `transaction` handler still
   * running past its lease holds its row (its completion is its transaction's first statement), and
   * the claim skips it, so counting it woke a loop to claim nothing at every poll for as long as the
   * job ran (leftovers-16). A dead worker's row is held by nobody and still counts. PENDING jobs
   * are looked for without a lock: only a claim under way holds one of those, for a moment.
   */
  private async probe(lanes: readonly JobLane[], inFlight: ProbeInFlight): Promise<Record<JobLane, boolean> | undefined> {
    const now = this.clock.now();
    const kinds = (lane: JobLane) => (lanes.includes(lane) ? this.kindsOf[lane] : []);
    const dueIn = (lane: JobLane) =>
      sql`(exists (select 1 from job
                    where kind = any(${kinds(lane)}::text[]) and status = 'PENDING' and run_at <= ${now}
                      and ${this.groupOpen('job', now)})
           or exists (select 1 from job
                       where kind = any(${kinds(lane)}::text[]) and status = 'RUNNING' and locked_until <= ${now}
                         and ${this.groupOpen('job', now)}
                       for update skip locked))`;
    // On a connection of its own from the pool (not through kysely), so that `stop()` can cut it.
    return this.onOwnConnection(inFlight, 'probe', async (run) => {
      if (!this.running) return undefined;
      const sent = this.guard.sending();
      const [row] = await run(sql<{ databaseAtMs: number; main: boolean; outbound: boolean }>`with db as materialized (select ${DATABASE_NOW_MS} as at_ms)
          select db.at_ms as "databaseAtMs", ok and ${dueIn('main')} as main, ok and ${dueIn('outbound')} as outbound
            from db, lateral (select abs(db.at_ms - ${sent.hostMs}::float8) <= ${this.guard.maxSkewMs}::float8 as ok) skew`);
      this.guard.record(sent, new Date(Number(row.databaseAtMs)));
      return { main: row.main, outbound: row.outbound };
    });
  }

  /**
   * Runs `work` on a pooled connection taken from the pool itself (not through kysely), so that
   * `stop()` can cut it (`inFlight.cut`: the connection is handed back to the pool with an error,
   * and pg destroys the socket of a connection with a statement in flight; a transaction open on
   * it then rolls back in the server when the session ends). `run` sends a statement as kysely
   * compiles it, on that connection with every wrapper of the pool (bounds, prepared names), and
   * answers its rows. Undefined, without `work`, when `stop()` cut it while it waited for the
   * connection (handed back unused). The connection is handed back once, whatever happens.
   */
  private async onOwnConnection<T>(inFlight: InFlight, what: string, work: (run: <R>(statement: RawBuilder<R>) => Promise<R[]>, client: pg.PoolClient) => Promise<T>): Promise<T | undefined> {
    const pool = await (this.orm.em.getConnection() as PostgreSqlConnection).getNativeClient();
    const connecting = pool.connect();
    // A job's wait for its connection is watched as its statements are (lifecycle-23): a stop gives
    // it up JOB_STOP_PATIENCE_MS after the stop or the wait's start, and the job is left to its lease.
    if (isJobInFlight(inFlight)) this.track(inFlight, connecting);
    // `stop()` abandons the wait for the connection itself too (a probe's at once, a claim's after
    // CLAIM_STOP_PATIENCE_MS, a job's after JOB_STOP_PATIENCE_MS): a new connection the server has not answered yet is waited for up to
    // DB_ACQUIRE_TIMEOUT_MS (up to 10 min), and the stop waited with it, past its 15 s limit; and
    // a connect that completes only after the pool's close began gets nothing (lifecycle-22). The
    // connection, if it comes, is handed back unused.
    const client = await new Promise<pg.PoolClient | undefined>((resolve, reject) => {
      inFlight.cut = () => resolve(undefined);
      connecting.then(resolve, reject);
    }).finally(() => (inFlight.cut = undefined));
    if (!client) {
      connecting.then((late) => late.release(), () => undefined);
      return undefined;
    }
    const release = client.release;
    let released = false;
    const giveBack = (error?: Error) => {
      if (released) return;
      released = true;
      // boundStatements may have handed it back already (and made `client.release` a no-op)
      if (client.release === release) release.call(client, error);
    };
    if (inFlight.stopped) {
      giveBack();
      return undefined;
    }
    // With a statement in flight, a connection released with an error has its socket destroyed.
    inFlight.cut = () => giveBack(new Error(`the job runner stopped while its ${what} was in flight`));
    const kysely = this.orm.em.fork().getKysely();
    const run = async <R>(statement: RawBuilder<R>): Promise<R[]> => {
      const compiled = statement.compile(kysely);
      return (await client.query<R & pg.QueryResultRow>(compiled.sql, [...compiled.parameters])).rows;
    };
    try {
      return await work(run, client);
    } finally {
      inFlight.cut = undefined;
      giveBack();
    }
  }

  /**
   * Whether `alias`'s group and its tenant have room at `now`: fewer than `groupConcurrency` of the
   * group, and fewer than `tenantConcurrency` of the tenant, running under a live lease (`mine`,
   * `mineOfTenant`: one more, the row being claimed).
   */
  private groupOpen(alias: string, now: Date, mine = sql`0`, mineOfTenant = sql`0`) {
    const open = (column: 'group_key' | 'tenant_key', plus: RawBuilder<unknown>, bound: number) =>
      sql`(${sql.ref(`${alias}.${column}`)} is null
           or (select count(*) from job r where ${sql.ref(`r.${column}`)} = ${sql.ref(`${alias}.${column}`)} and r.status = 'RUNNING' and r.locked_until > ${now}) + ${plus} < ${bound})`;
    return sql`(${open('group_key', mine, this.options.groupConcurrency)} and ${open('tenant_key', mineOfTenant, this.options.tenantConcurrency)})`;
  }

  /**
   * `wakeWorkers`' direct wake-up (till-13): wakes one idle loop of the kind's lane, as a NOTIFY
   * would, when the job (of `kind`, committed through `em`) is one this runner claims: the same
   * database (`em` of this runner's ORM), a kind it has a handler for, and this instance's clock
   * known to agree with PostgreSQL's (a skewed instance claims nothing: the NOTIFY then reaches the
   * others). False otherwise, and when no loop of that lane is idle: the caller then sends the NOTIFY.
   */
  private wakeIdle(em: SqlEntityManager, kind: string): boolean {
    if (!this.running || em.config !== this.orm.config || !Object.hasOwn(this.handlers, kind) || this.guard.writesRefusedNow() !== false) return false;
    const [wake] = this.sleepers[this.laneOf(kind)];
    if (!wake) return false;
    wake();
    return true;
  }

  /**
   * Opens the LISTEN connection whose notifications wake the loops. When it drops (a failover,
   * `pg_terminate_backend`, a proxy's timeout) the loops poll meanwhile, and it is opened again
   * after LISTEN_RETRY_MS, the wait doubling up to LISTEN_RETRY_MAX_MS while attempts fail; once it
   * listens again every loop looks for work at once, for the wake-ups sent while it was gone.
   * Hostile pass 9: it was never opened again, so until the gateway restarted every job (a sale's
   * processing, a webhook) waited for a loop's next poll (JOB_POLL_MS, default 1 s).
   */
  private async listen(databaseUrl: string, retrying: boolean, signal?: AbortSignal): Promise<void> {
    const boundMs = clientBoundMs(this.config.dbTimeouts);
    const bounds = boundMs > 0 ? { connectionTimeoutMillis: this.config.dbTimeouts.acquireMs, query_timeout: boundMs } : {};
    const client = new pg.Client({ connectionString: databaseUrl, application_name: LISTENER_APPLICATION, ...TCP_KEEPALIVE, ...bounds });
    let lost = false;
    let check: NodeJS.Timeout | undefined;
    const onLost = (error?: unknown) => {
      if (lost) return;
      lost = true;
      clearInterval(check);
      if (this.listener === client) this.listener = undefined;
      client.end().catch(() => undefined);
      if (!this.running) return;
      this.log.warn({ err: error }, 'job listener connection lost; polling until it listens again');
      const wait = this.listenRetryMs;
      this.listenRetryMs = Math.min(wait * 2, LISTEN_RETRY_MAX_MS);
      this.listenRetry = setTimeout(() => {
        this.listenRetry = undefined;
        if (this.running) void this.listen(databaseUrl, true).catch(() => undefined);
      }, wait);
      this.listenRetry.unref();
    };
    // The payload is the job's kind (enqueueJob, wakeWorkers): a loop of its lane is woken.
    client.on('notification', (message) => (message.channel === OUTBOX_CHANNEL ? this.outboxWake?.() : this.wakeOne(this.laneOf(message.payload))));
    client.on('error', onLost);
    client.on('end', () => onLost());
    this.listener = client;
    // A failed start: nothing to retry, and the client's 'end' is not a loss (`lost` first).
    const abandon = () => {
      lost = true;
      this.listener = undefined;
    };
    try {
      // the start-up's abort: the connect (or its LISTEN) under way fails at once, the socket gone
      await cutOnAbort(signal, () => destroySocket(client), async () => {
        try {
          await client.connect();
          await client.query(`listen ${JOBS_CHANNEL}${this.outboxWake ? `; listen ${OUTBOX_CHANNEL}` : ''}`);
        } catch (error) {
          if (!retrying) {
            abandon();
            // Inside cutOnAbort, so an abort during this end() still cuts it. Cut: its socket is
            // gone, and `end()` would wait for an 'end' that has already come.
            if (!signal?.aborted) await client.end().catch(() => undefined);
          }
          throw error;
        }
      });
    } catch (error) {
      if (retrying) onLost(error);
      else if (!lost) abandon(); // a start the signal had already aborted: cutOnAbort ran nothing
      throw error;
    }
    this.listenRetryMs = LISTEN_RETRY_MS;
    if (boundMs > 0 && this.options.listenCheckMs > 0) {
      // pg's query_timeout fails an unanswered check; onLost then closes the connection (pg destroys
      // a socket whose statement is in flight) and opens another.
      let checking = false;
      check = setInterval(() => {
        if (checking) return;
        checking = true;
        client.query('select 1').then(() => (checking = false), onLost);
      }, this.options.listenCheckMs);
      check.unref();
    }
    if (retrying) {
      this.wakeAll();
      this.outboxWake?.();
    }
  }

  /**
   * Finishes the jobs in hand, then stops. A probe in flight is not waited for: its connection is
   * closed (a probe hung on a frozen server otherwise held its pooled connection, and so the pool's
   * and the gateway's close, until the statement bound: 17 s by default, past the shutdown's 15 s).
   * A claim in flight (no job in hand yet) is given CLAIM_STOP_PATIENCE_MS to answer: a job it
   * claims in that time is run; past it, its connection is closed and the loop ends with no job
   * (freeze-stop-16: a claim a frozen server held kept the stop, and main.ts's shutdown, waiting
   * for its bound). Nothing is logged for it. What the cut claim leaves: nothing, if the server
   * never runs it; if the server wakes and runs it later, the outbound lane's claim (a transaction)
   * rolls back with the session, and the main lane's (one statement) commits unless it runs more
   * than CLOCK_SKEW_MAX_MS after it was sent (its clock test then claims nothing): the job is then
   * RUNNING under a lease no worker holds, with the attempt counted, and is claimed again when the
   * lease ends (at the next start on the embedded database: `releaseDeadLeases`), as a killed
   * worker's.
   * A job in hand is waited for while the server answers it: a job (its transactions on connections
   * of the runner's own, `inOwnTransaction`, a `lease` job's too) whose statement (a `begin`, its
   * completion, a handler's statement, a `commit`) is still unanswered JOB_STOP_PATIENCE_MS after the stop began or after
   * it was sent has its connection closed (freeze-17: before, its `begin` held the stop until its
   * bound, 17 s by default, and anything from its completion on, which lifts the request bounds,
   * for as long as the server stayed frozen). PostgreSQL then rolls its transaction back, or runs a
   * `commit` already in its socket whole: no half of a job's work is ever committed, and the job,
   * left RUNNING under this worker's lease, is claimed again when the lease ends unless its commit
   * ran. It is logged as a warning, not retried here (the server does not answer). A handler that
   * works without waiting on the database is waited for. A `lease` handler's wait outside the
   * gateway (a webhook's POST) is cut JOB_STOP_PATIENCE_MS after the stop began (its
   * `jc.stopping`), and the handler hands its job back, due at once for the next worker (stop-18:
   * a receiver that did not answer held the stop for up to WEBHOOK_TIMEOUT_MS).
   * Any order of `start()` and `stop()` calls is safe: each waits for the one before it (`inTurn`).
   * The LISTEN connection is given CONNECTION_END_MS to close (`endWithin`, src/db/end-within.ts).
   */
  async stop(): Promise<void> {
    return this.inTurn(() => this.end());
  }

  private async end(): Promise<void> {
    this.running = false;
    clearInterval(this.poller);
    for (const probe of this.probes) {
      probe.stopped = true;
      probe.cut?.();
    }
    this.unregisterLocal?.();
    this.unregisterLocal = undefined;
    clearTimeout(this.listenRetry);
    this.wakeAll();
    // A claim answers in a millisecond or two: one still unanswered after CLAIM_STOP_PATIENCE_MS
    // (a frozen server) is cut, as a probe is; a job already in hand is finished.
    const cutClaims = setTimeout(() => {
      for (const claim of this.claims) {
        claim.stopped = true;
        claim.cut?.();
      }
    }, CLAIM_STOP_PATIENCE_MS);
    // A job in hand is waited for while its statements are answered; one left unanswered for
    // JOB_STOP_PATIENCE_MS (a frozen server) has its connection closed (freeze-17).
    this.stoppingSince = performance.now();
    for (const job of this.jobsInHand) {
      for (const statement of job.statements) this.watchStatement(job, statement);
      // a `lease` job's wait outside the gateway is cut alike (stop-18)
      this.watchOutsideWait(job);
    }
    try {
      await Promise.all(this.loops);
    } finally {
      clearTimeout(cutClaims);
      this.stoppingSince = undefined;
    }
    this.loops = [];
    if (this.listener) await endWithin(this.listener);
  }

  private wakeAll(): void {
    for (const wake of [...this.sleepers.main, ...this.sleepers.outbound]) wake();
  }

  /**
   * A new job wakes one idle loop, not all of them: waking every loop for every job had N loops
   * race for one row (N claim queries per job), which cost more than the work on a busy database.
   * A loop that claims a job wakes the next one, so a backlog brings in every loop in turn.
   */
  private wakeOne(lane: JobLane): void {
    const [wake] = this.sleepers[lane];
    if (wake) wake();
    else this.missedWakeUp[lane] = true;
  }

  /**
   * One loop: claims a job, runs it, and claims the next one only when the claim saw another job
   * due (then it has also woken the next idle loop for it) or a wake-up came meanwhile that no
   * idle loop took; otherwise it sleeps until a wake-up or its poll. Claiming again after every
   * job, and waking another loop on every claim, cost two claims that found nothing per job when
   * the loops keep up (bench:till: 2.4 claims per sale). A loop claims only the kinds of its `lane`.
   * `asleep`: it begins with the wait, not with a claim (every loop of a lane but the first, `begin`).
   */
  private async work(lane: JobLane, asleep = false): Promise<void> {
    const kinds = this.kindsOf[lane];
    const sleepers = this.sleepers[lane];
    while (this.running) {
      let more = false;
      if (!asleep) {
        try {
          const claimed = await this.claimNext(kinds);
          if (claimed === CLAIM_AGAIN) more = true;
          else if (claimed) {
            more = claimed.more;
            if (more) this.wakeOne(lane);
            await this.execute(claimed.job);
            // A job of its group passed over while it ran (the group's bound) is due now: look at
            // once, not at the next poll, or a healthy endpoint's backlog went one per JOB_POLL_MS.
            if (claimed.job.groupKey !== null || claimed.job.tenantKey !== null) more = true;
          }
        } catch (error) {
          this.log.error({ err: error }, 'job runner error');
        }
      }
      asleep = false;
      if (more) continue;
      if (this.missedWakeUp[lane]) {
        this.missedWakeUp[lane] = false;
        continue;
      }
      if (this.running) {
        // Until a wake-up: a NOTIFY, this process's own, a loop that saw more, or the runner's poll.
        await new Promise<void>((resolve) => {
          const wake = () => {
            sleepers.delete(wake);
            resolve();
          };
          sleepers.add(wake);
        });
      }
    }
  }

  /** Claims and runs one due job; false when none was due. */
  async runOne(): Promise<boolean> {
    const job = await this.claim();
    if (!job) return false;
    await this.execute(job);
    return true;
  }

  /** Runs due jobs until none is left (tests, and draining on demand). */
  async runUntilIdle(limit = 1000): Promise<number> {
    let count = 0;
    while (count < limit && (await this.runOne())) count++;
    return count;
  }

  /** A handler's context in `em`'s transaction; `purged` reports go to `purged` (counted after the commit; none are given for onFailed). */
  private contextFor(em: SqlEntityManager, purged: [PurgedTable, number][] = []): JobContext {
    return { em, clock: this.clock, random: this.random, config: this.config, log: this.log, purged: (table, rows) => void purged.push([table, rows]) };
  }

  /** Claims one due job (see claimNext); null when none was due. */
  async claim(): Promise<ClaimedJob | null> {
    for (;;) {
      const claimed = await this.claimNext();
      if (claimed !== CLAIM_AGAIN) return claimed?.job ?? null;
    }
  }

  /**
   * Claims the first due job, and tells whether another job was due besides it (`more`: a job
   * another worker is claiming at the same moment may count, so `more` can be true for nothing;
   * never false while another stays due and unclaimed). Claims none while this instance's clock
   * and PostgreSQL's differ by more than CLOCK_SKEW_MAX_MS (the reading is recorded in `guard`):
   * the job stays due, untouched (no attempt counted), for another instance or a later claim.
   * Only jobs of `kinds` (default: every kind with a handler; a loop passes its lane's).
   *
   * A job of a group (`group_key`) is claimed only while fewer than `groupConcurrency` of its
   * group run under a live lease; otherwise the claim takes the next due job of another group
   * (webhook-14: one endpoint that hangs held every outbound loop, and the other endpoints'
   * deliveries waited behind it). The bound is exact across loops and instances: the claim holds
   * the group's advisory lock (others pass the group over meanwhile) and, in the same transaction,
   * counts the group again on a snapshot taken after the lock, which sees every claim committed
   * before it; a claim that finds the group full then rolls back and answers CLAIM_AGAIN. Claims
   * that may take an outbound kind run so (a transaction); the main lane's kinds have no groups and
   * keep their single statement.
   */
  private async claimNext(kinds: string[] = Object.keys(this.handlers)): Promise<{ job: ClaimedJob; more: boolean } | typeof CLAIM_AGAIN | null> {
    const now = this.clock.now();
    const sent = this.guard.sending();
    const lockedUntil = new Date(now.getTime() + this.options.leaseMs);
    const outboundUntil = new Date(now.getTime() + this.options.outboundLeaseMs);
    const bound = this.options.groupConcurrency;
    const outbound = this.kindsOf.outbound;
    const groupOpen = (alias: string, mine?: ReturnType<typeof sql>, mineOfTenant?: ReturnType<typeof sql>) => this.groupOpen(alias, now, mine, mineOfTenant);
    const tenantBound = this.options.tenantConcurrency;
    // The clock guard's comparison rides in the claim (clock-12): no job is claimed, in the same
    // statement, when this instance's clock and PostgreSQL's differ by more than CLOCK_SKEW_MAX_MS.
    // The claim commits without waiting for its WAL to reach the disk (`synchronous_commit` off for
    // its own transaction only; till-13): a claim is a lease, and one lost in a crash of PostgreSQL
    // only leaves the job due, an attempt uncounted. The job's work never outlives its claim: its
    // transaction starts after the claim committed and its commit (synchronous) flushes the WAL up
    // to its own record, the claim's with it. It was one of a sale's three WAL flushes.
    type Run = <R>(statement: RawBuilder<R>) => Promise<R[]>;
    const claimIn = async (run: Run, recount: boolean) => {
      const [row] = await run(
        sql<Partial<ClaimedJob> & { more: boolean | null; databaseAtMs: number }>`with db as materialized (select ${DATABASE_NOW_MS} as at_ms, set_config('synchronous_commit', 'off', true) as lease_commit),
            claimed as (
              update job set status = 'RUNNING', attempts = attempts + 1, locked_by = ${this.workerId},
                     locked_until = case when kind = any(${outbound}::text[]) then ${outboundUntil}::timestamptz else ${lockedUntil}::timestamptz end
               where id = (select id from job
                            where (select abs(db.at_ms - ${sent.hostMs}::float8) <= ${this.guard.maxSkewMs}::float8 from db)
                              and kind = any(${kinds}::text[])
                              and ((status = 'PENDING' and run_at <= ${now}) or (status = 'RUNNING' and locked_until <= ${now}))
                              and ((group_key is null and tenant_key is null)
                                   or (${groupOpen('job')}
                                       and (group_key is null or pg_try_advisory_xact_lock(${GROUP_LOCK_SPACE}::int, hashtext(group_key)))
                                       and (tenant_key is null or pg_try_advisory_xact_lock(${TENANT_LOCK_SPACE}::int, hashtext(tenant_key)))))
                            order by run_at, id
                            for update skip locked limit 1)
              returning id, kind, payload, attempts, max_attempts as "maxAttempts", group_key as "groupKey", tenant_key as "tenantKey",
                        exists (select 1 from job d
                                 where d.kind = any(${kinds}::text[]) and d.id <> job.id
                                   and ((d.status = 'PENDING' and d.run_at <= ${now}) or (d.status = 'RUNNING' and d.locked_until <= ${now}))
                                   and ${groupOpen('d', sql`(d.group_key is not distinct from job.group_key)::int`, sql`(d.tenant_key is not distinct from job.tenant_key)::int`)}) as more)
            select db.at_ms as "databaseAtMs", claimed.* from db left join claimed on true`,
      );
      // The statement's own test (the host clock before it was sent) decides the claim; the guard
      // records the reading at the round trip's midpoint (break-12g). A claim that waited (a lock on
      // the job table, a pooled connection) past the tolerance claims nothing this time, harmlessly:
      // the job stays due, and the next claim, which does not wait, takes it.
      this.guard.record(sent, new Date(Number(row.databaseAtMs)));
      if (row.id === undefined || row.id === null) return null;
      const { more, databaseAtMs: _databaseAtMs, ...job } = row;
      // One statement for both bounds: the group's and the tenant's running jobs besides this one.
      if (recount && (job.groupKey != null || job.tenantKey != null)) {
        const [{ ofGroup, ofTenant }] = await run(
          sql<{ ofGroup: number; ofTenant: number }>`select count(*) filter (where group_key = ${job.groupKey})::int as "ofGroup",
                 count(*) filter (where tenant_key = ${job.tenantKey})::int as "ofTenant"
            from job where (group_key = ${job.groupKey} or tenant_key = ${job.tenantKey}) and status = 'RUNNING' and locked_until > ${now} and id <> ${job.id}`,
        );
        if ((job.groupKey != null && ofGroup >= bound) || (job.tenantKey != null && ofTenant >= tenantBound)) throw new GroupFull();
      }
      return { job: job as ClaimedJob, more: more ?? false };
    };
    // On a connection of its own (`onOwnConnection`), so that `stop()` can cut a claim a frozen
    // server holds (freeze-stop-16); the same statements as through kysely, none more.
    const inFlight: InFlight = {};
    this.claims.add(inFlight);
    try {
      const claimed = await this.onOwnConnection(inFlight, 'claim', async (run, client) => {
        if (!kinds.some((k) => outbound.includes(k))) return claimIn(run, false);
        await client.query('begin');
        try {
          const result = await claimIn(run, true);
          await client.query('commit');
          return result;
        } catch (error) {
          // a cut connection is gone, and its transaction with it
          if (!inFlight.stopped) await client.query('rollback');
          if (error instanceof GroupFull) return CLAIM_AGAIN;
          throw error;
        }
      });
      return claimed ?? null;
    } catch (error) {
      // cut by stop(): no job in hand, nothing to report (see `stop`)
      if (inFlight.stopped) return null;
      throw error;
    } finally {
      this.claims.delete(inFlight);
    }
  }

  /**
   * Marks `job` done in `em`'s transaction while it is still this worker's claim (LeaseLostError
   * otherwise). It also lifts the request pool's statement bounds for the rest of the transaction,
   * in the same round trip: a job waits for no caller and may be long (points expiry, retention).
   */
  private async complete(em: SqlEntityManager, job: ClaimedJob): Promise<void> {
    const [done] = await query(
      em,
      sql`update job set status = 'DONE', finished_at = ${this.clock.now()}, locked_until = null
           where id = ${job.id} and locked_by = ${this.workerId} and status = 'RUNNING' and attempts = ${job.attempts}
          returning id, ${sql.raw(LIFT_REQUEST_TIMEOUTS)}`,
    );
    if (!done) throw new LeaseLostError(`job ${job.id} was taken over by another worker`);
  }

  /**
   * Runs a claimed job: a `transaction` handler in one transaction with the job's completion, a
   * `lease` handler on its lease (LeaseJobHandler). A failure is retried after backoff, or FAILED
   * on the last attempt (then `onFailed`); a job whose lease was taken over ends here silently.
   */
  async execute(job: ClaimedJob): Promise<void> {
    const handler = this.handlers[job.kind];
    const purged: [PurgedTable, number][] = [];
    let inHand: JobInFlight | undefined;
    try {
      if (handler.mode === 'lease') {
        const own: JobInFlight = { statements: new Set(), outside: { abort: new AbortController() } };
        inHand = own;
        this.jobsInHand.add(own);
        this.watchOutsideWait(own);
        // Its transactions (`jc.em.transactional`) on pooled connections of the runner's own, which
        // `stop()` can close (freeze-17); nothing is held while it waits between them.
        const em = this.orm.em.fork();
        em.transactional = (<T>(work: (em: SqlEntityManager) => Promise<T>) =>
          this.onOwnConnection(own, 'job', (_run, client) => this.inOwnTransaction(client, own, work)).then((result) => {
            if (own.stopped) throw new Error('the job runner stopped while the database did not answer');
            return result as T;
          })) as typeof em.transactional;
        let completed = false;
        const jc: LeasedJobContext = {
          ...this.contextFor(em),
          complete: async (em) => {
            await this.complete(em, job);
            completed = true;
          },
          stopping: own.outside!.abort.signal,
          handBack: async (em) => {
            await this.handBack(em, job);
            completed = true;
          },
        };
        await handler.run(jc, job.payload as never, job);
        if (!completed) throw new Error(`job ${job.id} (${job.kind}) returned without completing`);
      } else {
        const own: JobInFlight = { statements: new Set() };
        inHand = own;
        this.jobsInHand.add(own);
        // On a pooled connection of the runner's own, which `stop()` can close (freeze-17).
        const ran = await this.onOwnConnection(own, 'job', async (_run, client) => {
          await this.inOwnTransaction(client, own, async (em) => {
            // Marked done first, in the same transaction as the work, so both commit or neither does.
            // First, not last: the job's row is then locked while the handler runs (a live worker's job
            // is not taken over, however long it takes; one whose process died is, after its lease,
            // since its transaction died with it), a job already taken over costs no work, and the
            // handler's last statement is followed only by the commit: locks a handler takes late
            // (e.g. a campaign's counter) are held for the shortest time.
            await this.complete(em, job);
            await handler.run(this.contextFor(em, purged), job.payload as never, job);
          });
          return true;
        });
        // its wait for a connection given up by the stop: nothing ran (below, left to its lease)
        if (!ran) throw new Error('the job runner stopped while the job waited for a database connection');
        for (const [table, rows] of purged) this.purges.add(table, rows);
      }
    } catch (error) {
      if (error instanceof LeaseLostError) {
        this.log.warn({ job: job.id }, error.message);
        return;
      }
      if (inHand?.stopped) {
        // Its connection closed by stop() (a statement unanswered for JOB_STOP_PATIENCE_MS): the
        // transaction rolled back with the session, or a `commit` already in the server's socket
        // committed it whole. Either way its lease decides: RUNNING under this worker's lease, it is
        // claimed again when the lease ends, as a killed worker's job. Nothing is recorded (the
        // server does not answer).
        this.log.warn({ job: job.id, kind: job.kind }, 'job left to its lease: the runner stopped while the database did not answer');
        return;
      }
      const reason = error instanceof Error ? error.message : String(error);
      const final = error instanceof PermanentJobError || job.attempts >= job.maxAttempts;
      this.log.warn({ job: job.id, kind: job.kind, attempt: job.attempts, final, err: error }, 'job failed');
      // The failure is recorded on a connection of the runner's own, watched by the stop as the
      // job's statements are (lifecycle-27): a job whose session ended (a failover, a proxy's cut)
      // fails, and its record waited for a new connection up to DB_ACQUIRE_TIMEOUT_MS (up to
      // 10 min), past the stop's 15 s limit. Given up by the stop, the job is left to its lease
      // (RUNNING, the attempt counted), as a job cut mid-statement is.
      const record: JobInFlight = (inHand ??= { statements: new Set() });
      this.jobsInHand.add(record);
      // A connection lent from the pool may be found gone (a failover ends every session at once,
      // and pg-pool may lend an idle one whose end it has not read yet): the record is tried again
      // on a new connection, up to the pool's size + 1 times, as `retryLostReads` does (ci-28).
      // Nothing is done twice: each update is of this worker's RUNNING job only, so one that
      // committed before its connection was lost makes the next try a no-op.
      const poolMax = this.orm.config.get('pool')?.max ?? 10;
      let recorded: boolean | undefined;
      for (let attempt = 1; ; attempt++) {
        try {
          recorded = await this.recordFailure(record, job, handler, reason, final);
          break;
        } catch (recordError) {
          if (record.stopped) break;
          if (!connectionLost(recordError) || attempt > poolMax) throw recordError;
        }
      }
      if (!recorded || record.stopped) {
        this.log.warn({ job: job.id, kind: job.kind }, 'job left to its lease: the runner stopped while the database did not answer');
      }
    } finally {
      if (inHand) this.jobsInHand.delete(inHand);
      clearTimeout(inHand?.outside?.timer);
    }
  }

  /**
   * `LeasedJobContext.handBack`: the job PENDING and due now, its lease ended and this claim's
   * attempt taken back (the stop's cut is no failure of the job's), while it is still this
   * worker's claim (LeaseLostError otherwise).
   */
  private async handBack(em: SqlEntityManager, job: ClaimedJob): Promise<void> {
    const [mine] = await query(
      em,
      sql`update job set status = 'PENDING', run_at = ${this.clock.now()}, locked_until = null, attempts = attempts - 1
           where id = ${job.id} and locked_by = ${this.workerId} and status = 'RUNNING' and attempts = ${job.attempts}
          returning id`,
    );
    if (!mine) throw new LeaseLostError(`job ${job.id} was taken over by another worker`);
  }

  /**
   * Records `job`'s failed attempt (`reason`, the error's message) on a connection of the runner's
   * own, watched by the stop (`record`): FAILED when `final` (then the handler's `onFailed`), else
   * PENDING again after the back-off (JOB_BACKOFF_MS doubling per attempt, up to the maximum), in
   * each case only while the job is this worker's and still RUNNING (a record that committed before
   * its connection was lost is not made twice). Answers true once recorded, undefined when the stop
   * cut the wait for the connection; rejects with the statement's error otherwise.
   */
  private async recordFailure(record: JobInFlight, job: ClaimedJob, handler: JobHandler, reason: string, final: boolean): Promise<boolean | undefined> {
    return this.onOwnConnection(record, 'failure record', (_run, client) =>
      this.inOwnTransaction(client, record, async (em) => {
        const now = this.clock.now();
        if (final) {
          // Only while the job is still this worker's: one that lost its lease leaves it to the new owner.
          const [mine] = await query(
            em,
            sql`update job set status = 'FAILED', last_error = ${reason}, finished_at = ${now}, locked_until = null
                 where id = ${job.id} and locked_by = ${this.workerId} and attempts = ${job.attempts} and status = 'RUNNING' returning id`,
          );
          if (mine) await handler.onFailed?.(this.contextFor(em), job.payload as never, reason);
        } else {
          const delay = Math.min(this.options.backoffMs * 2 ** (job.attempts - 1), this.options.maxBackoffMs);
          await query(
            em,
            sql`update job set status = 'PENDING', last_error = ${reason}, run_at = ${new Date(now.getTime() + delay)}, locked_until = null
                 where id = ${job.id} and locked_by = ${this.workerId} and attempts = ${job.attempts} and status = 'RUNNING'`,
          );
        }
        return true;
      }),
    );
  }

  /**
   * Runs `work` in a transaction on `client` (a pooled connection `onOwnConnection` took) with an
   * EntityManager bound to it, as `em.transactional` does (the same `begin`, statements, flush and
   * `commit`, or `rollback` on a failure; a handler's own `em.transactional` nests as a savepoint),
   * through a kysely instance whose one connection is `client`: the runner then knows the job's
   * connection, and `stop()` can close it. Each statement is tracked in `inHand.statements` while it
   * waits for its answer (`watchStatement`). A transaction whose connection the stop closed is not
   * rolled back here (the session's end did).
   */
  private async inOwnTransaction<T>(client: pg.PoolClient, inHand: JobInFlight, work: (em: SqlEntityManager) => Promise<T>): Promise<T> {
    const connection = {
      query: (...args: unknown[]) => {
        const result = (client.query as (...a: unknown[]) => unknown).apply(client, args);
        if (result instanceof Promise) this.track(inHand, result);
        return result;
      },
      // `onOwnConnection` hands the connection back, once
      release: () => undefined,
      processID: (client as unknown as { processID?: number }).processID,
    };
    const pool = { connect: async () => connection, end: async () => undefined, options: {} } as unknown as PostgresPool;
    const kysely = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
    const trx = await kysely.startTransaction().execute();
    const em = this.orm.em.fork();
    em.setTransactionContext(trx as never);
    try {
      const result = await work(em);
      await em.flush();
      await trx.commit().execute();
      return result;
    } catch (error) {
      // a rollback that fails must not hide why the transaction failed (the connection is then dropped: orm.ts)
      if (!inHand.stopped) await trx.rollback().execute().catch(() => undefined);
      throw error;
    } finally {
      em.resetTransactionContext();
    }
  }

  /**
   * Watches `waiting` (a statement of the job in hand `inHand`, or its wait for a pooled connection)
   * in `inHand.statements` until it settles: `stop()` cuts the job's connection, or gives the wait
   * up, when it is still unsettled JOB_STOP_PATIENCE_MS after the stop or after it began
   * (`watchStatement`).
   */
  private track(inHand: JobInFlight, waiting: Promise<unknown>): void {
    const statement: Watched = { sentAt: performance.now() };
    inHand.statements.add(statement);
    this.watchStatement(inHand, statement);
    const settled = () => {
      inHand.statements.delete(statement);
      clearTimeout(statement.timer);
    };
    waiting.then(settled, settled);
  }

  /**
   * While `stop()` waits (`stoppingSince`), aborts the `stopping` signal of the `lease` job in hand
   * `inHand` JOB_STOP_PATIENCE_MS after the stop began (at once for a job claimed later than that):
   * its handler then cuts its wait outside the gateway and hands the job back (stop-18). Does
   * nothing outside a stop, for a `transaction` job, or for a job already watched.
   */
  private watchOutsideWait(inHand: JobInFlight): void {
    const outside = inHand.outside;
    if (this.stoppingSince === undefined || !outside || outside.timer) return;
    outside.timer = setTimeout(() => outside.abort.abort(new JobRunnerStopped()), Math.max(0, this.stoppingSince + JOB_STOP_PATIENCE_MS - performance.now()));
    outside.timer.unref();
  }

  /**
   * While `stop()` waits (`stoppingSince`), closes the connection of the job in hand `inHand` when
   * `statement` is still unanswered JOB_STOP_PATIENCE_MS after the stop began or after it was sent,
   * whichever is later (freeze-17). Does nothing outside a stop, or for a statement already watched.
   */
  private watchStatement(inHand: JobInFlight, statement: Watched): void {
    if (this.stoppingSince === undefined || statement.timer) return;
    const from = Math.max(statement.sentAt, this.stoppingSince);
    statement.timer = setTimeout(
      () => {
        if (!inHand.statements.has(statement)) return;
        inHand.stopped = true;
        inHand.cut?.();
      },
      Math.max(0, from + JOB_STOP_PATIENCE_MS - performance.now()),
    );
  }
}
