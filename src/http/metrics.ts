import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApolloServerPlugin } from '@apollo/server';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type Metric } from 'prom-client';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { ClockGuard } from '../clock-guard.js';
import type { Config } from '../config.js';
import { answeredCode, ErrorCode, UserErrorCode } from '../graphql/errors.js';
import type { PurgeCounts } from '../jobs/purged.js';

/**
 * The process's own metrics (prom-client's defaults: CPU, memory, handles, event loop delay, GC),
 * collected once per process and shown by every gateway's /metrics. `collectDefaultMetrics` starts
 * a GC observer and an event-loop delay monitor (a 10 ms timer) that are never stopped, so one call
 * per gateway (as before isolation-15) left one of each running for every gateway a process had
 * ever made: a test worker makes ~150 and keeps them all (jest-light-runner); with 1000 made, an
 * idle 2 s cost 235–328 ms of CPU, 11–123 ms with them sharing one (docs/decisions.md,
 * isolation-15). A server runs one gateway, so what /metrics shows is unchanged.
 */
let processMetrics: Registry | undefined;

function processRegistry(): Registry {
  if (!processMetrics) {
    processMetrics = new Registry();
    collectDefaultMetrics({ register: processMetrics });
  }
  return processMetrics;
}

/** The one label value of every request that is not a registered operation of a known client. */
export const OTHER = 'other';

/** Who ran what: a registered operation's client and name, or OTHER for both. */
export interface OperationLabels {
  client: string;
  operation: string;
}

/** One request being measured, from the first byte read to the last written. */
export class RequestMeter {
  readonly started = process.hrtime.bigint();
  labels: OperationLabels = { client: OTHER, operation: OTHER };
  /** query, mutation, subscription; unknown until the document is resolved. */
  type = 'unknown';
  errored = false;
  /** The first error's code (`errorCodeLabel`), the request's in `graphql_request_errors_total`. */
  errorCode: string | undefined;
  /** Answered by a compiled document (src/graphql/compiled.ts) rather than by Apollo. */
  compiled = false;
}

/**
 * How /metrics answers a scrape: `serve` the metrics; `unauthorized` (401 with a Bearer challenge):
 * METRICS_TOKEN is set and the request did not send `Authorization: Bearer <METRICS_TOKEN>`;
 * `hidden` (404): production without METRICS_TOKEN, so no one reads it.
 */
export type MetricsAccess = 'serve' | 'unauthorized' | 'hidden';

const sha256 = (text: string) => createHash('sha256').update(text).digest();

/**
 * Whether a scrape sending `authorization` (the request's `Authorization` header) may read /metrics
 * (docs/decisions.md, "/metrics answers to METRICS_TOKEN"). Unset METRICS_TOKEN: open outside
 * production (the demo, the suite), hidden in production. The token is compared in constant time:
 * the SHA-256 digests of the sent and the configured token, by `timingSafeEqual`, so neither the
 * time taken nor a length check tells a guesser how close it came. The scheme is case-insensitive
 * (RFC 9110 §11.1).
 */
export function metricsAccess(config: Pick<Config, 'metricsToken' | 'nodeEnv'>, authorization: string | undefined): MetricsAccess {
  if (config.metricsToken === undefined) return config.nodeEnv === 'production' ? 'hidden' : 'serve';
  const sent = /^Bearer +(\S+) *$/i.exec(authorization ?? '')?.[1];
  return sent !== undefined && timingSafeEqual(sha256(sent), sha256(config.metricsToken)) ? 'serve' : 'unauthorized';
}

/**
 * The error codes that are labels of `graphql_errors_total` and `graphql_request_errors_total`: the
 * contract's (`ErrorCode`, and the refusals' `UserErrorCode`, which a query's refusal carries), Apollo Server's own (`ApolloServerErrorCode`) and those of the gateway's
 * HTTP edge (src/http/server.ts, src/persisted). A code outside it is counted as `other`: a label
 * set fixed by this list, not by the order codes first came (as the 50 first-seen codes were).
 */
export const METRIC_ERROR_CODES: ReadonlySet<string> = new Set([
  ...Object.values(ErrorCode),
  ...Object.values(UserErrorCode),
  // Apollo Server 5's ApolloServerErrorCode
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'BAD_REQUEST',
  // the gateway's HTTP edge and persisted documents
  'PERSISTED_QUERY_NOT_ALLOWED',
  'PERSISTED_QUERY_HASH_MISMATCH',
  'UNSUPPORTED_MEDIA_TYPE',
  'BODY_NOT_SENT',
  'NOT_FOUND',
]);

/** `code` as a metric label: itself when in METRIC_ERROR_CODES, else OTHER; a missing code is an internal error's. */
export function errorCodeLabel(code: unknown): string {
  if (code === undefined || code === null) return ErrorCode.INTERNAL_SERVER_ERROR;
  return typeof code === 'string' && METRIC_ERROR_CODES.has(code) ? code : OTHER;
}

/**
 * The `route` label of `http_responses_total`: the gateway's own paths, `web` for what the web app
 * served, `not_found` for any other path, `unrouted` for an answer given before any routing (503
 * SHUTTING_DOWN of an instance shutting down; node's 400, 408, 413, 431 to a request it could not
 * read). Never the path a client sent.
 */
export type HttpRoute = '/graphql' | '/healthz' | '/readyz' | '/metrics' | '/dev/tokens' | 'web' | 'not_found' | 'unrouted';

/** A response's status as a label: the status the server set (100–599), else `other`. */
const statusLabel = (status: number) => (Number.isInteger(status) && status >= 100 && status <= 599 ? String(status) : OTHER);

const OPERATION_TYPES = new Set(['query', 'mutation', 'subscription']);

/**
 * The close codes `websocket_closes_total` shows as themselves: RFC 6455's (1000–1015, 1005 and
 * 1006 being "none received" and "cut"), graphql-ws's (4400, 4401, 4403, 4406, 4408, 4409, 4429,
 * 4499, 4500, 4504) and the gateway's own (`SocketClose` in src/http/ws.ts: 4008). Any other code a
 * peer closes with is `other`, so a client cannot grow the series.
 */
const WEBSOCKET_CLOSE_CODES = new Set([
  1000, 1001, 1002, 1003, 1005, 1006, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 1015, 4008, 4400, 4401, 4403, 4406, 4408, 4409, 4429, 4499, 4500, 4504,
]);

/** What `Metrics.watchWebSockets` reads at each scrape (no statement, no timer). */
export interface WebSocketCounts {
  /** WebSocket connections open on this instance (upgraded, whatever their state in graphql-ws). */
  sockets(): number;
  /** Subscriptions streaming events on this instance (the event hub's listeners). */
  subscriptions(): number;
}

/**
 * Prometheus metrics at /metrics: process defaults, and GraphQL requests, errors and latency per
 * client and operation. Labels hold only values the server chose: a registered operation's client
 * (`partner:<id>` or a first-party name an operator registered) and name, or `other` for
 * everything else, so a client sending random operation names cannot grow the series.
 */
export class Metrics {
  private readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'graphql_requests_total',
    help: 'GraphQL requests by client and registered operation ("other": anything not registered)',
    labelNames: ['client', 'operation', 'type'],
    registers: [this.registry],
  });
  private readonly failed = new Counter({
    name: 'graphql_request_errors_total',
    help: 'GraphQL requests answered with errors (or an HTTP status of 400 or more), by client, registered operation, operation type and the first error\'s code (a stable code, or "other")',
    labelNames: ['client', 'operation', 'type', 'code'],
    registers: [this.registry],
  });
  private readonly duration = new Histogram({
    name: 'graphql_request_duration_seconds',
    help: 'GraphQL request duration by client and registered operation',
    labelNames: ['client', 'operation', 'type'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  private readonly errors = new Counter({
    name: 'graphql_errors_total',
    help: 'GraphQL errors by code',
    labelNames: ['code'],
    registers: [this.registry],
  });
  private readonly parsed = new Counter({
    name: 'graphql_documents_parsed_total',
    help: 'GraphQL documents parsed and validated (a cached document is not parsed again)',
    registers: [this.registry],
  });
  private readonly compiled = new Counter({
    name: 'graphql_requests_compiled_total',
    help: 'GraphQL requests answered by a compiled query document instead of the interpreter',
    registers: [this.registry],
  });
  private readonly responses = new Counter({
    name: 'http_responses_total',
    help: 'HTTP responses by route (the gateway\'s paths, "web", "not_found") and status code',
    labelNames: ['route', 'code'],
    registers: [this.registry],
  });
  private readonly socketCloses = new Counter({
    name: 'websocket_closes_total',
    help: 'WebSocket connections ended, by close code (RFC 6455, graphql-ws and the gateway\'s own: 4401 credentials, 4403 account closed, 4429 too many, 4008 slow consumer, 1001 shutdown, 1006 cut without a close; "other" for any other code)',
    labelNames: ['code'],
    registers: [this.registry],
  });
  private webSockets?: WebSocketCounts;
  private readonly pools = new Map<string, pg.Pool>();
  private readonly redisClients = new Map<string, Redis>();
  private readonly meters = new WeakMap<object, RequestMeter>();

  /**
   * `clockGuard`: the process's clock guard, whose last comparison is shown as
   * `gateway_clock_skew_seconds` (this clock − the database's: positive ahead; absent until the
   * first comparison) and `gateway_clock_skewed` (1 while jobs are refused for it). `purges`: the
   * process's purge counts, shown as `gateway_rows_purged_total{table}` (src/jobs/purged.ts).
   * `shown`: metrics another part of this gateway keeps, shown as they are (the token keys'
   * fetches, `Authenticator.metrics`).
   */
  constructor(clockGuard?: ClockGuard, purges?: PurgeCounts, shown: readonly Metric[] = []) {
    processRegistry();
    const pools = this.pools;
    const redisClients = this.redisClients;
    new Gauge({
      name: 'gateway_db_pool_connections',
      help: "Connections of this instance's PostgreSQL pools, by pool and state (in_use: lent out or opening; idle: open and free)",
      labelNames: ['pool', 'state'],
      registers: [this.registry],
      collect() {
        for (const [name, pool] of pools) {
          this.set({ pool: name, state: 'in_use' }, pool.totalCount - pool.idleCount);
          this.set({ pool: name, state: 'idle' }, pool.idleCount);
        }
      },
    });
    new Gauge({
      name: 'gateway_db_pool_waiting_requests',
      help: "Callers waiting for a connection of this instance's PostgreSQL pools (every connection in use), by pool",
      labelNames: ['pool'],
      registers: [this.registry],
      collect() {
        for (const [name, pool] of pools) this.set({ pool: name }, pool.waitingCount);
      },
    });
    new Gauge({
      name: 'gateway_db_pool_max_connections',
      help: "The most connections each of this instance's PostgreSQL pools opens, by pool",
      labelNames: ['pool'],
      registers: [this.registry],
      collect() {
        for (const [name, pool] of pools) this.set({ pool: name }, pool.options.max);
      },
    });
    new Gauge({
      name: 'gateway_redis_up',
      help: "1 while this instance's Redis connection is ready, 0 otherwise (connecting, reconnecting, closed), by client; absent without REDIS_URL",
      labelNames: ['client'],
      registers: [this.registry],
      collect() {
        for (const [name, redis] of redisClients) this.set({ client: name }, redis.status === 'ready' ? 1 : 0);
      },
    });
    const webSockets = () => this.webSockets;
    new Gauge({
      name: 'gateway_websocket_connections',
      help: 'WebSocket connections open on this instance (/graphql, graphql-ws); absent until the WebSocket server is started',
      registers: [this.registry],
      collect() {
        const counts = webSockets();
        if (counts) this.set(counts.sockets());
      },
    });
    new Gauge({
      name: 'gateway_subscriptions',
      help: 'GraphQL subscriptions streaming events on this instance; absent until the WebSocket server is started',
      registers: [this.registry],
      collect() {
        const counts = webSockets();
        if (counts) this.set(counts.subscriptions());
      },
    });
    if (purges) this.registry.registerMetric(purges.counter);
    for (const metric of shown) this.registry.registerMetric(metric);
    if (clockGuard) {
      new Gauge({
        name: 'gateway_clock_skew_seconds',
        help: "This gateway's clock minus the database's at the last comparison (job claim, tick or /readyz), in seconds",
        registers: [this.registry],
        collect() {
          if (clockGuard.last) this.set(clockGuard.last.skewMs / 1000);
        },
      });
      new Gauge({
        name: 'gateway_clock_skewed',
        help: '1 while the clock is off the database clock by more than CLOCK_SKEW_MAX_MS: background jobs and mutations are refused and /readyz answers 503',
        registers: [this.registry],
        collect() {
          this.set(clockGuard.last?.skewed ? 1 : 0);
        },
      });
    }
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return Registry.merge([processRegistry(), this.registry]).metrics();
  }

  /**
   * Ties a request to its meter, so the Apollo plugin can fill in type and errors. `key` is an
   * object of the request's context (Apollo runs each request on a shallow copy of the context
   * object, so the context itself cannot be the key).
   */
  attach(key: object, meter: RequestMeter): void {
    this.meters.set(key, meter);
  }

  /**
   * Shows `pool` (a pg-pool) as `pool="<name>"` in `gateway_db_pool_*`, read at each scrape from
   * the pool's own counts (no statement).
   */
  watchPool(name: string, pool: pg.Pool): void {
    this.pools.set(name, pool);
  }

  /** Shows the WebSocket server's open connections and subscriptions (`gateway_websocket_connections`, `gateway_subscriptions`), read at each scrape. */
  watchWebSockets(counts: WebSocketCounts): void {
    this.webSockets = counts;
  }

  /** Counts one WebSocket connection ended with close `code` (`websocket_closes_total`; an unknown code as `other`). */
  socketClosed(code: number): void {
    this.socketCloses.inc({ code: WEBSOCKET_CLOSE_CODES.has(code) ? String(code) : OTHER });
  }

  /** Shows `redis` as `client="<name>"` in `gateway_redis_up`, read at each scrape from its status. */
  watchRedis(name: string, redis: Redis): void {
    this.redisClients.set(name, redis);
  }

  /** Counts an error code (`errorCodeLabel`); the request's first is its code in `graphql_request_errors_total`. */
  countError(meter: RequestMeter, code: unknown): void {
    const label = errorCodeLabel(code);
    this.errors.inc({ code: label });
    meter.errored = true;
    meter.errorCode ??= label;
  }

  /**
   * Records a finished request; any HTTP status of 400 or more counts as an error too (code
   * `other` when no error code was counted for it).
   */
  end(meter: RequestMeter, status: number): void {
    const seconds = Number(process.hrtime.bigint() - meter.started) / 1e9;
    const type = OPERATION_TYPES.has(meter.type) ? meter.type : 'unknown';
    this.requests.inc({ ...meter.labels, type });
    this.duration.observe({ ...meter.labels, type }, seconds);
    if (meter.errored || status >= 400) this.failed.inc({ ...meter.labels, type, code: meter.errorCode ?? OTHER });
    if (meter.compiled) this.compiled.inc();
  }

  /** Counts one HTTP response (`http_responses_total`) once it is answered: its route and the status sent. */
  respond(route: HttpRoute, status: number): void {
    this.responses.inc({ route, code: statusLabel(status) });
  }

  /** `keyOf` finds in a request's context the key given to `attach`. */
  apolloPlugin<C extends object>(keyOf: (contextValue: C) => object): ApolloServerPlugin<C> {
    const metrics = this;
    return {
      async requestDidStart({ contextValue }) {
        const meter = metrics.meters.get(keyOf(contextValue)) ?? new RequestMeter();
        return {
          async parsingDidStart() {
            metrics.parsed.inc();
          },
          async didResolveOperation({ operation }) {
            meter.type = operation?.operation ?? 'unknown';
          },
          async didEncounterErrors({ errors: list }) {
            // the code the caller is answered (formatError's), not the one raised (newcomer-18)
            for (const error of list) metrics.countError(meter, answeredCode(error));
          },
        };
      },
    };
  }
}
