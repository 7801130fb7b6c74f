import pg from 'pg';
import { Gauge, type Metric } from 'prom-client';
import type { Clock } from '../clock.js';
import { poolClosedWithin } from '../db/end-within.js';
import { setUpSession } from '../db/orm.js';
import { PoolSockets } from '../db/pool-sockets.js';
import { TCP_KEEPALIVE } from '../db/keepalive.js';

/** The `application_name` of the queue gauges' one connection: how an operator tells it in `pg_stat_activity`. */
export const METRICS_APPLICATION = 'reward-gateway metrics';

/**
 * How long a scrape waits for the queue's figures (ms): for a connection, and for the one
 * statement's answer. Past it the scrape answers without them (`gateway_queue_metrics_up 0`), so a
 * frozen or overloaded database never holds /metrics longer than this (Prometheus' default
 * scrape_timeout is 10 s).
 */
export const QUEUE_METRICS_TIMEOUT_MS = 1_000;

/**
 * How long one reading serves (ms): every gauge of a scrape, and scrapes that come together (two
 * Prometheus servers, a person's curl), share one statement.
 */
export const READING_SHARED_MS = 1_000;

/** The `kind` label of a job kind no handler of this build knows (rows of another version's). */
const OTHER_KIND = 'other';

interface Row {
  what: 'due' | 'failed' | 'webhook' | 'failing';
  kind: string | null;
  n: number;
  since: Date | null;
}

/** What one statement read: per kind, due jobs (and since when the oldest is due) and failed jobs; pending deliveries. */
interface Reading {
  due: Map<string, { n: number; since: Date | null }>;
  failed: Map<string, number>;
  webhooks: { n: number; since: Date | null };
  /** Endpoints (not removed) whose receiver failed a delivery's every attempt and has not answered 2xx since. */
  failingEndpoints: number;
  at: Date;
}

/**
 * The one statement of a scrape. Each part reads an index (EXPLAIN in docs/decisions.md,
 * metrics-18): due jobs `job_due_idx` (its rows are the live queue: PENDING and RUNNING only),
 * failed jobs `job_failed_idx` (FAILED only, by kind: an index-only count), pending deliveries
 * `webhook_delivery_finished_idx` (finished_at is null exactly while PENDING); failing endpoints
 * read `webhook_endpoint` whole (a program's endpoints are dozens, not millions). A job is due when
 * a worker may claim it, as the runner's claim decides (src/jobs/runner.ts): PENDING with its
 * run_at passed, or RUNNING with its lease lapsed (its worker gone); it is due since then.
 */
const READ = `
select 'due' as what, kind, count(*)::int as n,
       min(case when status = 'PENDING' then run_at else locked_until end) as since
  from job
 where status in ('PENDING', 'RUNNING')
   and ((status = 'PENDING' and run_at <= $1) or (status = 'RUNNING' and locked_until <= $1))
 group by kind
union all
select 'failed', kind, count(*)::int, null from job where status = 'FAILED' group by kind
union all
select 'webhook', null, count(*)::int, min(created_at) from webhook_delivery where finished_at is null and status = 'PENDING'
union all
select 'failing', null, count(*)::int, min(failing_since) from webhook_endpoint where failing_since is not null and disabled_at is null`;

/**
 * The job queue's and the webhook deliveries' gauges for /metrics, read from PostgreSQL when
 * Prometheus scrapes (prom-client `collect`), never on a request's path:
 * - `gateway_jobs_due{kind}`, `gateway_jobs_oldest_due_age_seconds{kind}` (0 with none due),
 *   `gateway_jobs_failed{kind}`: every kind this build runs (`kinds`) shown, 0 when it has none;
 *   a kind no handler knows is counted as `other`;
 * - `gateway_webhook_deliveries_pending`, `gateway_webhook_deliveries_oldest_pending_age_seconds`;
 * - `gateway_webhook_endpoints_failing`: endpoints not removed whose `failing_since` is set (a
 *   delivery failed its every attempt, none delivered since: webhooks-22);
 * - `gateway_queue_metrics_up`: 1 when they were read for this scrape, 0 when the database did not
 *   answer within QUEUE_METRICS_TIMEOUT_MS (or failed): the gauges above are then absent, not
 *   stale or zero, so an alert on them cannot read a frozen database as an empty queue.
 * The figures are the database's, the same on every instance: aggregate with max(), not sum().
 * Ages are measured on the gateway's clock (`clock`), as the job claims are.
 *
 * One statement per scrape, on one connection of its own (METRICS_APPLICATION, opened at the first
 * scrape, closed after a minute unused), so the figures come when the request pool is exhausted,
 * which is when an operator needs them, and a scrape never takes a request's connection.
 * `statement_timeout` ends a slow statement in PostgreSQL, pg's `query_timeout` one the server does
 * not answer (its socket destroyed), so a frozen database holds at most this one connection.
 */
export class QueueMetrics {
  /** The gauges, for `Metrics` to show. */
  readonly metrics: Metric[];
  private pool: pg.Pool | undefined;
  /** The sockets of `pool`'s connection (`PoolSockets`), made with it. */
  private sockets: PoolSockets | undefined;
  private reading: { started: number; promise: Promise<Reading | undefined> } | undefined;

  /**
   * `databaseUrl`: the gateway's database; `kinds`: the job kinds this build runs (JOB_HANDLERS'
   * keys), each shown even at 0; `clock`: the gateway's clock.
   */
  constructor(
    private readonly databaseUrl: string,
    kinds: readonly string[],
    private readonly clock: Clock,
  ) {
    const self = this;
    const known = new Set(kinds);
    const kindOf = (kind: string | null) => (kind !== null && known.has(kind) ? kind : OTHER_KIND);
    /** Sets `gauge` from the scrape's reading, or leaves it without a value when there is none. */
    const fromReading = (fill: (gauge: Gauge, reading: Reading) => void) =>
      async function collect(this: Gauge) {
        const reading = await self.read();
        this.reset();
        if (reading) fill(this, reading);
        // reset() leaves an unlabelled gauge at 0: without a reading it is shown without a value
        else if (!(this as unknown as { labelNames: string[] }).labelNames.length) this.remove();
      };
    const ageOf = (reading: Reading, since: Date | null) => (since ? Math.max(0, (reading.at.getTime() - since.getTime()) / 1000) : 0);
    const perKind = <T>(map: Map<string, T>) => {
      const merged = new Map<string, T[]>(kinds.map((k) => [k, []]));
      for (const [kind, value] of map) {
        const label = kindOf(kind);
        merged.set(label, [...(merged.get(label) ?? []), value]);
      }
      return merged;
    };
    this.metrics = [
      new Gauge({
        name: 'gateway_jobs_due',
        help: 'Jobs due to run now (PENDING past their run_at, or RUNNING with a lapsed lease), by kind; the database-wide queue, the same on every instance',
        labelNames: ['kind'],
        registers: [],
        collect: fromReading((gauge, reading) => {
          for (const [kind, values] of perKind(reading.due)) gauge.set({ kind }, values.reduce((sum, v) => sum + v.n, 0));
        }),
      }),
      new Gauge({
        name: 'gateway_jobs_oldest_due_age_seconds',
        help: 'Seconds since the longest-waiting due job became due, by kind (0 with none due)',
        labelNames: ['kind'],
        registers: [],
        collect: fromReading((gauge, reading) => {
          for (const [kind, values] of perKind(reading.due)) gauge.set({ kind }, Math.max(0, ...values.map((v) => ageOf(reading, v.since))));
        }),
      }),
      new Gauge({
        name: 'gateway_jobs_failed',
        help: 'Jobs in the FAILED state (attempts used up, or refused for good), kept until the job retention purges them, by kind',
        labelNames: ['kind'],
        registers: [],
        collect: fromReading((gauge, reading) => {
          for (const [kind, values] of perKind(reading.failed)) gauge.set({ kind }, values.reduce((sum, n) => sum + n, 0));
        }),
      }),
      new Gauge({
        name: 'gateway_webhook_deliveries_pending',
        help: 'Webhook deliveries not yet delivered or failed (sending, or waiting for a retry)',
        registers: [],
        collect: fromReading((gauge, reading) => gauge.set(reading.webhooks.n)),
      }),
      new Gauge({
        name: 'gateway_webhook_deliveries_oldest_pending_age_seconds',
        help: 'Seconds since the oldest pending webhook delivery was created (0 with none pending)',
        registers: [],
        collect: fromReading((gauge, reading) => gauge.set(ageOf(reading, reading.webhooks.since))),
      }),
      new Gauge({
        name: 'gateway_webhook_endpoints_failing',
        help: 'Webhook endpoints (not removed) one of whose deliveries failed every attempt (WEBHOOK_MAX_ATTEMPTS) and that have answered no delivery 2xx since',
        registers: [],
        collect: fromReading((gauge, reading) => gauge.set(reading.failingEndpoints)),
      }),
      new Gauge({
        name: 'gateway_queue_metrics_up',
        help: `1 when this scrape read the job queue and webhook gauges from the database, 0 when it did not answer within ${QUEUE_METRICS_TIMEOUT_MS} ms or failed (those gauges are then absent)`,
        registers: [],
        async collect() {
          this.set((await self.read()) ? 1 : 0);
        },
      }),
    ];
  }

  /** This scrape's reading: the one started within READING_SHARED_MS, or a new one; undefined when the database did not answer in time. */
  private read(): Promise<Reading | undefined> {
    const now = performance.now();
    if (this.reading && now - this.reading.started < READING_SHARED_MS) return this.reading.promise;
    const promise = this.query();
    this.reading = { started: now, promise };
    return promise;
  }

  private async query(): Promise<Reading | undefined> {
    const at = this.clock.now();
    const rows = this.connection()
      .query<Row>(READ, [at])
      .then((result) => result.rows);
    rows.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), QUEUE_METRICS_TIMEOUT_MS)));
    const answer = await Promise.race([rows.catch(() => undefined), late]).finally(() => clearTimeout(timer));
    if (!answer) return undefined;
    const reading: Reading = { due: new Map(), failed: new Map(), webhooks: { n: 0, since: null }, failingEndpoints: 0, at };
    for (const row of answer) {
      if (row.what === 'due') reading.due.set(row.kind ?? OTHER_KIND, { n: row.n, since: row.since });
      else if (row.what === 'failed') reading.failed.set(row.kind ?? OTHER_KIND, row.n);
      else if (row.what === 'failing') reading.failingEndpoints = row.n;
      else reading.webhooks = { n: row.n, since: row.since };
    }
    return reading;
  }

  private connection(): pg.Pool {
    if (!this.pool) {
      this.sockets = new PoolSockets();
      this.pool = new pg.Pool({
        connectionString: this.databaseUrl,
        // its connection's socket, which `close` cuts when the server does not answer
        stream: this.sockets.stream,
        max: 1,
        // kept between scrapes (Prometheus' interval is 15–60 s), closed when nobody scrapes
        idleTimeoutMillis: 60_000,
        connectionTimeoutMillis: QUEUE_METRICS_TIMEOUT_MS,
        statement_timeout: QUEUE_METRICS_TIMEOUT_MS,
        // pg fails a statement unanswered this long and hands its connection back with the error;
        // the pool then destroys it (the statement in flight), so a frozen server holds nothing
        query_timeout: QUEUE_METRICS_TIMEOUT_MS,
        application_name: METRICS_APPLICATION,
        // read committed and without JIT, as the request pool's (jit-48): its grouped counts run at
        // every scrape, and an estimate past jit_above_cost would compile them every time
        onConnect: setUpSession,
        ...TCP_KEEPALIVE,
      });
      // a connection lost while idle (a restart, pg_terminate_backend): the next scrape opens another
      this.pool.on('error', () => undefined);
    }
    return this.pool;
  }

  /** Closes the connection, within about a second also when the server does not answer. */
  async close(): Promise<void> {
    const pool = this.pool;
    if (!pool) return;
    this.pool = undefined;
    await poolClosedWithin(this.sockets!, pool.end(), 1_000).catch(() => undefined);
  }
}
