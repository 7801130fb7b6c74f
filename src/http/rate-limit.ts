import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import pg from 'pg';
import type { Logger } from 'pino';
import { createRequire } from 'node:module';
import type { RateLimiterAbstract, RateLimiterRes as RateLimiterResClass } from 'rate-limiter-flexible';
import type * as Flexible from 'rate-limiter-flexible';
import type { Config } from '../config.js';
import { TCP_KEEPALIVE } from '../db/keepalive.js';
import { setUpSession } from '../db/orm.js';
import type { Caller } from '../context.js';
import { rateLimited } from '../graphql/errors.js';
import { ipBudgetKey } from './limits.js';
import { connectRedisAtStart } from '../startup.js';

/**
 * rate-limiter-flexible's limiters, each from its own module (the package has no `exports` map):
 * its index requires every store's limiter (Mongo, MySQL, DynamoDB, etcd, …), ~36 modules at every
 * start (start-25). The Redis one is loaded when RATE_LIMIT_STORE=redis only. These are the very
 * modules the index re-exports (one `require` cache), so `instanceof RateLimiterRes` holds for what
 * either gives.
 */
const load = createRequire(import.meta.url);
const RateLimiterPostgres = load('rate-limiter-flexible/lib/RateLimiterPostgres.js') as typeof Flexible.RateLimiterPostgres;
const RateLimiterRes = load('rate-limiter-flexible/lib/RateLimiterRes.js') as typeof Flexible.RateLimiterRes;
type RateLimiterRes = RateLimiterResClass;

type Kind = 'customer' | 'partner' | 'staff' | 'anonymous' | 'wsConnect';

/** The shared counter's key for a caller: ids the gateway assigned, or the client's IP (an IPv6 client by its /64), never free text. */
function keyOf(caller: Caller, ip: string): { kind: Kind; key: string } {
  switch (caller.kind) {
    case 'customer':
      return { kind: 'customer', key: String(caller.customerId) };
    case 'partner':
      return { kind: 'partner', key: String(caller.partnerId) };
    case 'staff':
      return { kind: 'staff', key: caller.staffId };
    default:
      return { kind: 'anonymous', key: ipBudgetKey(ip) };
  }
}

/**
 * How long a rate limit count may wait for its store (a Redis command, a PostgreSQL statement)
 * before it fails and the request is let through (ms): a count takes well under a millisecond when
 * the store is well, so a second means it is not.
 */
const STORE_TIMEOUT_MS = 1_000;

/** The `application_name` of the PostgreSQL store's sessions, as `pg_stat_activity` shows them. */
export const RATE_LIMIT_APPLICATION = 'reward-gateway rate limits';

/** Whole seconds until the window frees up, at least 1 (HTTP `Retry-After`). */
/** How often, at most, a failing rate-limit store is logged while it fails (ms). */
const STORE_FAILURE_LOG_MS = 10_000;

const retryAfterOf = (res: RateLimiterRes) => Math.max(1, Math.ceil(res.msBeforeNext / 1000));

/**
 * Per-caller request budgets that hold across gateway instances: each request takes one point from
 * its caller's counter in a shared store (PostgreSQL table `rate_limit_bucket` by default, Redis
 * when `REDIS_URL` is set), in fixed windows of `RATE_LIMIT_WINDOW_SECONDS` that start at the
 * caller's first request (rate-limiter-flexible). Customers count per customer, partners per
 * partner (API key), staff per staff member, everyone else (no or invalid credentials) per client
 * IP (IPv6 per /64, see ipBudgetKey); WebSocket connection attempts per client IP on their own budget.
 * In PostgreSQL a counter whose window has ended is removed by the job `rateLimits.purge`
 * (src/http/rate-limit-retention.job.ts); Redis expires its keys itself.
 *
 * If the store fails, the request is let through and the failure logged: the limiter protects the
 * gateway, and an outage of its store should not become an outage of the API.
 */
export class RateLimits {
  private constructor(
    private readonly limiters: Partial<Record<Kind, RateLimiterAbstract>>,
    private readonly log: Logger,
    private readonly closeStore: () => Promise<void>,
    /** The store's connections, for /metrics (`gateway_db_pool_*{pool="rate_limit"}`, `gateway_redis_up{client="rate_limit"}`). */
    readonly store: { pool?: pg.Pool; redis?: Redis } = {},
  ) {}

  /**
   * Connects to the configured store (waits for Redis to be ready, so a wrong REDIS_URL stops
   * start-up). `signal` (the start-up's abort) cuts the Redis connect: rejects with its reason.
   * `redisKeyPrefix`: what Redis keys start with (`<prefix>:<kind>:<caller>`); the gateway gives
   * `<RATE_LIMIT_KEY_PREFIX>:<deployment id>` (src/db/deployment.ts), so deployments sharing a Redis
   * do not share budgets; RATE_LIMIT_KEY_PREFIX alone when absent. PostgreSQL's counters live in
   * the deployment's own database and keep RATE_LIMIT_KEY_PREFIX.
   */
  static async create(config: Config, databaseUrl: string, log: Logger, signal?: AbortSignal, redisKeyPrefix = config.rateLimit.keyPrefix): Promise<RateLimits> {
    const { rateLimit } = config;
    const budgets: Record<Kind, number> = {
      customer: rateLimit.customer,
      partner: rateLimit.partner,
      staff: rateLimit.staff,
      anonymous: rateLimit.anonymous,
      wsConnect: rateLimit.wsConnect,
    };
    const enabled = (Object.entries(budgets) as [Kind, number][]).filter(([, points]) => points > 0);
    if (!enabled.length) return new RateLimits({}, log, async () => undefined);

    const limiters: Partial<Record<Kind, RateLimiterAbstract>> = {};
    if (rateLimit.store === 'redis') {
      // A command Redis does not answer within STORE_TIMEOUT_MS fails, and the request is let
      // through (consume): a Redis that stops answering with its connection open (a partition, a
      // stuck server) held every request for ever (hostile pass 9).
      // ioredis is loaded for RATE_LIMIT_STORE=redis only (start-25: ~0.1 s of every start's CPU otherwise).
      const { Redis } = await import('ioredis');
      const redis = new Redis(rateLimit.redisUrl!, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: STORE_TIMEOUT_MS });
      redis.on('error', (error) => log.warn({ err: error }, 'rate limit store (Redis) error'));
      await connectRedisAtStart(redis, rateLimit.redisUrl!, 'rate limits', signal, { probeKey: `${redisKeyPrefix}:start-probe:${randomUUID()}` });
      for (const [kind, points] of enabled) {
        limiters[kind] = new (load('rate-limiter-flexible/lib/RateLimiterRedis.js') as typeof Flexible.RateLimiterRedis)({ storeClient: redis, keyPrefix: `${redisKeyPrefix}:${kind}`, points, duration: rateLimit.windowSeconds });
      }
      // QUIT needs a live connection; with Redis gone, closing the socket is all there is to do (a
      // rejected QUIT failed the gateway's shutdown, before the jobs and the database were stopped).
      return new RateLimits(limiters, log, () => redis.quit().then(() => undefined, () => redis.disconnect()), { redis });
    }
    // A small pool of its own: one short upsert per request, never queued behind slow requests.
    // Its upserts of one caller's bucket meet each other's: under a database default of REPEATABLE
    // READ they failed with serialization errors, and a failed count lets the request through.
    // Bounded as Redis is: a count that waits for a lock (a stuck session on the table) past
    // STORE_TIMEOUT_MS, or for a connection past DB_ACQUIRE_TIMEOUT_MS (a stalled database), fails,
    // and the request goes on; unbounded, every request waited for ever before the gateway's own work.
    const pool = new pg.Pool({
      connectionString: databaseUrl,
      max: 4,
      // DB_POOL_IDLE_MS as the request pool: pg-pool's 10 s default reopened sessions after every lull (pool-12).
      idleTimeoutMillis: config.dbPoolIdleMs,
      onConnect: setUpSession,
      ...TCP_KEEPALIVE,
      connectionTimeoutMillis: config.dbTimeouts.acquireMs,
      statement_timeout: STORE_TIMEOUT_MS,
      // PostgreSQL applies statement_timeout itself, so a stopped server or a network dropping
      // packets held the count, and the request behind it, for the whole freeze (hang-12c). pg fails
      // a count unanswered this long after it was sent; pool.query hands its connection back with
      // the error, and the pool closes it (its socket destroyed, the statement being in flight).
      query_timeout: STORE_TIMEOUT_MS + config.dbTimeouts.clientMarginMs,
      application_name: RATE_LIMIT_APPLICATION,
    });
    pool.on('error', (error) => log.warn({ err: error }, 'rate limit store (PostgreSQL) connection error'));
    // The pool's sessions, until each has ended: pool.end() ends idle ones without waiting for their
    // sockets to close, and the gateway then stopped the embedded PostgreSQL under a session still
    // closing, whose 57P01 was logged on a clean Ctrl-C (test/http/process.test.ts, once in CI).
    const sessions = new Set<pg.Client>();
    pool.on('connect', (client) => {
      sessions.add(client);
      client.once('end', () => sessions.delete(client));
    });
    for (const [kind, points] of enabled) {
      limiters[kind] = new RateLimiterPostgres({
        storeClient: pool,
        storeType: 'pool',
        tableName: 'rate_limit_bucket',
        tableCreated: true,
        // Ended windows are purged by the job `rateLimits.purge` (src/http/rate-limit-retention.job.ts),
        // in batches that skip locked rows. The library's own sweep, every 5 minutes on every
        // instance, was one unbounded `delete … where expire < …` on this pool, whose statements end
        // at STORE_TIMEOUT_MS: once a backlog took longer than a second to delete, or one counter's
        // row was held that long, every sweep failed silently and the table grew for good (retain-14).
        clearExpiredByTimeout: false,
        keyPrefix: `${rateLimit.keyPrefix}:${kind}`,
        points,
        duration: rateLimit.windowSeconds,
      });
    }
    return new RateLimits(limiters, log, async () => {
      const ended = [...sessions].map((client) => new Promise<void>((resolve) => client.once('end', () => resolve())));
      await pool.end();
      // bounded: a socket that never reports its end must not hold the shutdown
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all(ended), new Promise<void>((resolve) => (timer = setTimeout(resolve, 2_000)))]).finally(() => clearTimeout(timer));
    }, { pool });
  }

  /**
   * Counts one request of this caller; throws RATE_LIMITED (HTTP 429, `Retry-After`) when the
   * caller's window is used up. Anonymous callers (and those whose credentials failed) count per IP.
   */
  async take(caller: Caller, ip: string): Promise<void> {
    const { kind, key } = keyOf(caller, ip);
    const retryAfter = await this.consume(kind, key);
    if (retryAfter !== undefined) throw rateLimited(retryAfter);
  }

  /** A WebSocket connection attempt from `ip`: the seconds to wait when over budget, else undefined. */
  connectionAttempt(ip: string): Promise<number | undefined> {
    return this.consume('wsConnect', ipBudgetKey(ip));
  }

  private async consume(kind: Kind, key: string): Promise<number | undefined> {
    const limiter = this.limiters[kind];
    if (!limiter) return undefined;
    try {
      await limiter.consume(key);
      this.storeAnswered();
      return undefined;
    } catch (result) {
      if (result instanceof RateLimiterRes) {
        this.storeAnswered();
        return retryAfterOf(result);
      }
      this.storeFailed(result, kind);
      return undefined;
    }
  }

  /** Requests let through uncounted since the last warning, and when that warning was written (ms since the epoch). */
  private uncounted = 0;
  private warnedAt = 0;
  /** Requests let through uncounted since the store last answered. */
  private uncountedInOutage = 0;

  /**
   * A count the store did not answer: the request goes through uncounted. Logged at once for the
   * first, then at most every STORE_FAILURE_LOG_MS with how many were let through meanwhile: one
   * warning per request was a log line per request for the whole outage (operator-17: a Redis down
   * for 15 s at 4 requests/s wrote 69; at a few hundred a second that buries every other line).
   */
  private storeFailed(error: unknown, kind: Kind): void {
    this.uncounted++;
    this.uncountedInOutage++;
    const now = Date.now();
    if (now - this.warnedAt < STORE_FAILURE_LOG_MS) return;
    this.log.warn({ err: error, kind, letThrough: this.uncounted }, `rate limit store failed; requests let through uncounted (logged at most every ${STORE_FAILURE_LOG_MS / 1000} s)`);
    this.uncounted = 0;
    this.warnedAt = now;
  }

  /** A count the store answered: after failures, one line saying the store is back and how many went uncounted. */
  private storeAnswered(): void {
    if (!this.uncountedInOutage) return;
    this.log.info({ letThrough: this.uncountedInOutage }, 'rate limit store answers again');
    this.uncountedInOutage = 0;
    this.uncounted = 0;
    this.warnedAt = 0;
  }

  close(): Promise<void> {
    return this.closeStore();
  }
}
