import pg from 'pg';
import type { PostgreSqlConnection } from '@mikro-orm/postgresql';
import { METRICS_APPLICATION, READING_SHARED_MS } from '../../src/jobs/queue-metrics.js';
import { PROCESS_TRANSACTION } from '../../src/transactions/transaction.service.js';
import { WEBHOOK_DELIVER } from '../../src/webhooks/webhook.jobs.js';
import { resumeAll, stopAt, within10s } from '../support/freeze.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { eventually } from '../support/program.js';
import { startOwnRedis, type OwnRedis } from '../support/redis.js';
import { seriesValue } from '../support/metrics.js';

/**
 * metrics-18: what operators of two production instances asked /metrics for (docs/decisions.md,
 * operator-17 (2) and metrics-18): the job queue and webhook deliveries read from the database at
 * each scrape, the pools, Redis, HTTP responses, and the error counter's code; scraped over HTTP
 * from a real gateway on a real database.
 */

const scrape = async (t: TestGateway) => {
  const res = await t.fetch('/metrics');
  expect(res.status).toBe(200);
  return res.text();
};

/** The job runner's and metrics' own statements aside: how many times the queue gauges' statement was sent. */
function countQueueReads(): { count(): number; remove(): void } {
  const original = pg.Client.prototype.query;
  let n = 0;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const config = args[0] as string | { text?: string } | undefined;
    const text = typeof config === 'string' ? config : config?.text;
    if (text?.includes(`select 'due' as what`)) n++;
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof original;
  return { count: () => n, remove: () => void (pg.Client.prototype.query = original) };
}

/** Waits until a reading an earlier test's scrape made is no longer shared (READING_SHARED_MS). */
const pastSharedReading = () => new Promise((resolve) => setTimeout(resolve, READING_SHARED_MS + 100));

describe('/metrics for operators (metrics-18)', () => {
  describe('job queue, webhook deliveries, pools, responses', () => {
    let t: TestGateway;
    beforeAll(async () => {
      // jobs not run, so what the test queues stays due; a pool of 2, so the test can exhaust it
      t = await startTestGateway({ DB_POOL_MAX: '2', DB_ACQUIRE_TIMEOUT_MS: '20000' }, { jobs: 'manual' });
    });
    afterAll(async () => {
      resumeAll();
      await t.close();
    });
    afterEach(resumeAll);

    it('shows due jobs per kind with the oldest one\'s age, failed jobs, and pending deliveries', async () => {
      t.clock.freeze();
      const now = t.clock.now();
      const job = (kind: string, status: string, runAt: Date) =>
        t.sql(`insert into job (kind, payload, status, run_at) values ($1, '{}', $2, $3)`, [kind, status, runAt]);
      await job(PROCESS_TRANSACTION, 'PENDING', now);
      await job(PROCESS_TRANSACTION, 'PENDING', new Date(now.getTime() + 30_000));
      await job(PROCESS_TRANSACTION, 'PENDING', new Date(now.getTime() + 3_600_000)); // not due within the test
      await job(PROCESS_TRANSACTION, 'FAILED', now);
      await job('a.kind.of.another.version', 'PENDING', now);
      const [endpoint] = await t.sql<{ id: number }>(
        `insert into webhook_endpoint (url, event_types, secret, created_by) values ('https://example.com/hook', '{sale.processed}', 'whsec_x', 'test') returning id`,
      );
      await t.sql(`insert into webhook_delivery (endpoint_id, event_id, event_type, body, created_at) values ($1, 1, 'sale.processed', '{}', $2)`, [endpoint.id, now]);
      await t.sql(`insert into webhook_delivery (endpoint_id, event_id, event_type, body, created_at, status, finished_at) values ($1, 2, 'sale.processed', '{}', $2, 'DELIVERED', $2)`, [endpoint.id, now]);

      t.clock.advance(90_000);
      const text = await scrape(t);
      expect(seriesValue(text, 'gateway_queue_metrics_up')).toBe(1);
      expect(seriesValue(text, `gateway_jobs_due{kind="${PROCESS_TRANSACTION}"}`)).toBe(2);
      expect(seriesValue(text, `gateway_jobs_oldest_due_age_seconds{kind="${PROCESS_TRANSACTION}"}`)).toBe(90);
      expect(seriesValue(text, `gateway_jobs_failed{kind="${PROCESS_TRANSACTION}"}`)).toBe(1);
      // a kind this build has no handler for is not a label of its own
      expect(seriesValue(text, 'gateway_jobs_due{kind="other"}')).toBe(1);
      expect(text).not.toContain('a.kind.of.another.version');
      // every kind this build runs is shown, at 0 when it has none
      expect(seriesValue(text, `gateway_jobs_due{kind="${WEBHOOK_DELIVER}"}`)).toBe(0);
      expect(seriesValue(text, `gateway_jobs_failed{kind="${WEBHOOK_DELIVER}"}`)).toBe(0);
      expect(seriesValue(text, 'gateway_webhook_deliveries_pending')).toBe(1);
      expect(seriesValue(text, 'gateway_webhook_deliveries_oldest_pending_age_seconds')).toBe(90);
    });

    it('reads the database once for scrapes that come together', async () => {
      await pastSharedReading();
      const reads = countQueueReads();
      try {
        const texts = await Promise.all(Array.from({ length: 4 }, () => scrape(t)));
        for (const text of texts) expect(seriesValue(text, 'gateway_queue_metrics_up')).toBe(1);
        // six gauges, four scrapes: one statement
        expect(reads.count()).toBe(1);
      } finally {
        reads.remove();
      }
    });

    it('shows the request pool in use, idle and waiting; the queue gauges still come with it exhausted', async () => {
      const pool = await (t.orm.em.getConnection() as PostgreSqlConnection).getNativeClient();
      const held = await Promise.all([pool.connect(), pool.connect()]);
      const waiting = pool.connect();
      try {
        const text = await scrape(t);
        expect(seriesValue(text, 'gateway_db_pool_connections{pool="requests",state="in_use"}')).toBe(2);
        expect(seriesValue(text, 'gateway_db_pool_connections{pool="requests",state="idle"}')).toBe(0);
        expect(seriesValue(text, 'gateway_db_pool_waiting_requests{pool="requests"}')).toBe(1);
        expect(seriesValue(text, 'gateway_db_pool_max_connections{pool="requests"}')).toBe(2);
        // the rate limiter's PostgreSQL store (no REDIS_URL) has a pool of its own
        expect(seriesValue(text, 'gateway_db_pool_max_connections{pool="rate_limit"}')).toBe(4);
        expect(seriesValue(text, 'gateway_queue_metrics_up')).toBe(1);
        expect(text).not.toContain('gateway_redis_up{');
      } finally {
        held.forEach((client) => client.release());
        (await waiting).release();
      }
      const text = await scrape(t);
      expect(seriesValue(text, 'gateway_db_pool_waiting_requests{pool="requests"}')).toBe(0);
      expect(seriesValue(text, 'gateway_db_pool_connections{pool="requests",state="in_use"}')).toBe(0);
    });

    it('counts HTTP responses by route and status, and failed GraphQL requests by type and code', async () => {
      const before = await scrape(t);
      const unknownPath = '/no-such-page-' + Math.random().toString(36).slice(2);
      expect((await t.fetch(unknownPath)).status).toBe(404);
      const invalid = await t.gql('query Nope { noSuchField }');
      expect(invalid.status).toBe(400);
      expect(invalid.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
      const denied = await t.gql('query Me { me { externalId } }');
      expect(denied.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
      const text = await scrape(t);
      const grew = (series: string) => (seriesValue(text, series) ?? 0) - (seriesValue(before, series) ?? 0);
      expect(grew('http_responses_total{route="not_found",code="404"}')).toBe(1);
      expect(grew('http_responses_total{route="/graphql",code="400"}')).toBe(1);
      expect(grew('http_responses_total{route="/metrics",code="200"}')).toBe(1);
      expect(text).not.toContain(unknownPath);
      expect(grew('graphql_request_errors_total{client="other",operation="other",type="unknown",code="GRAPHQL_VALIDATION_FAILED"}')).toBe(1);
      expect(grew('graphql_request_errors_total{client="other",operation="other",type="query",code="UNAUTHENTICATED"}')).toBe(1);
    });

    it('answers a scrape whose database read is frozen, without the queue gauges, and reads again once it answers', async () => {
      // the queue gauges' own backend stops with the statement unread, as a frozen host would
      const frozen = stopAt((text) => text.includes(`select 'due' as what`));
      await pastSharedReading();
      const res = await within10s(t.fetch('/metrics'), 'a scrape while the database is frozen');
      expect(res.status).toBe(200);
      const text = await res.text();
      await frozen.pid;
      expect(seriesValue(text, 'gateway_queue_metrics_up')).toBe(0);
      expect(text).not.toMatch(/^gateway_jobs_due\{/m);
      expect(seriesValue(text, 'gateway_webhook_deliveries_pending')).toBeUndefined();
      // what needs no database is there
      expect(seriesValue(text, 'gateway_db_pool_max_connections{pool="requests"}')).toBe(2);
      // the stuck connection was given up, not kept: the next scrapes read on a new one
      resumeAll();
      const again = await eventually(async () => {
        const next = await scrape(t);
        return seriesValue(next, 'gateway_queue_metrics_up') === 1 ? next : null;
      });
      expect(seriesValue(again, `gateway_jobs_failed{kind="${PROCESS_TRANSACTION}"}`)).toBe(1);
      // the stopped backend ends once let go on (its socket was closed meanwhile): one session stays
      await eventually(async () => {
        const [{ n }] = await t.sql<{ n: number }>(
          `select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name = $1`,
          [METRICS_APPLICATION],
        );
        return n === 1;
      });
    });
  });

  describe('Redis', () => {
    let redis: OwnRedis;
    let t: TestGateway;
    beforeAll(async () => {
      redis = await startOwnRedis();
      t = await startTestGateway({ REDIS_URL: redis.url });
    });
    afterAll(async () => {
      await t.close();
      await redis.kill();
    });

    it('shows each Redis connection up, and down once Redis is gone', async () => {
      const text = await scrape(t);
      for (const client of ['rate_limit', 'fanout_subscriber', 'fanout_publisher']) expect(seriesValue(text, `gateway_redis_up{client="${client}"}`)).toBe(1);
      // with Redis as the rate limit store there is no pool for it
      expect(text).not.toContain('pool="rate_limit"');
      await redis.kill();
      const down = await eventually(async () => {
        const next = await scrape(t);
        return seriesValue(next, 'gateway_redis_up{client="rate_limit"}') === 0 ? next : null;
      });
      expect(seriesValue(down, 'gateway_redis_up{client="fanout_publisher"}')).toBe(0);
    });
  });
});
