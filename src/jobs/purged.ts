import { Counter } from 'prom-client';

/**
 * The tables whose rows the gateway removes once they have served their purpose (retain-13,
 * retain-14; docs/decisions.md "retain-14" has the table-by-table verdict), each by the job named:
 * - `idempotency_record`: answers past IDEMPOTENCY_RETENTION_HOURS (`idempotency.purge`);
 * - `rate_limit_bucket`: rate-limit counters whose window has ended (`rateLimits.purge`);
 * - `persisted_document`: APQ documents on no client's list, past APQ_TTL_SECONDS (`persisted.purgeApq`);
 * - `outbox_event`, `webhook_delivery`, `webhook_attempt`, `job`: past EVENT_RETENTION_HOURS (`events.prune`).
 */
export const PURGED_TABLES = ['idempotency_record', 'rate_limit_bucket', 'persisted_document', 'outbox_event', 'webhook_delivery', 'webhook_attempt', 'job'] as const;

/** A table of PURGED_TABLES. */
export type PurgedTable = (typeof PURGED_TABLES)[number];

/**
 * Rows purged per table by this process's jobs, since it started: `gateway_rows_purged_total{table}`
 * in /metrics (a Prometheus counter; rate() of it is the purge's pace, and a table whose counter
 * stays flat while the table grows is one whose purge is not running). One per process, shared by
 * the job runner (which adds a job's counts once its transaction has committed, so a purge rolled
 * back is not counted) and the HTTP server's /metrics. Every table's series is there from the
 * start, at 0.
 */
export class PurgeCounts {
  /** The counter, registered by Metrics in its registry (prom-client's own default registry is not used). */
  readonly counter = new Counter({
    name: 'gateway_rows_purged_total',
    help: 'Rows removed by the retention jobs since this process started, by table (docs/decisions.md, retain-14)',
    labelNames: ['table'],
    registers: [],
  });

  constructor() {
    for (const table of PURGED_TABLES) this.counter.inc({ table }, 0);
  }

  /** Adds `rows` (a whole number, 0 or more) removed from `table`. */
  add(table: PurgedTable, rows: number): void {
    if (rows > 0) this.counter.inc({ table }, rows);
  }

  /** The count so far for `table` (tests, logs). */
  async of(table: PurgedTable): Promise<number> {
    const { values } = await this.counter.get();
    return values.find((v) => v.labels.table === table)?.value ?? 0;
  }
}
