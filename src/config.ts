import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Every setting the gateway reads, read once from the environment, typed and validated.
 * A bad value stops start-up with a message that names the variable.
 */
export interface Config {
  port: number;
  host: string;
  nodeEnv: 'development' | 'production' | 'test';
  databaseUrl: string | undefined;
  dataDir: string;
  jwtSecret: string;
  jwtSecretIsDefault: boolean;
  jwtJwksUrl: string | undefined;
  /**
   * How JWT_JWKS_URL's keys are fetched (src/http/jwks.ts, outside-15): one fetch may take
   * `timeoutMs` (JWT_JWKS_TIMEOUT_MS, default 2000, 100–30000); keys older than `maxAgeMs`
   * (JWT_JWKS_MAX_AGE_MS, default 600000, 10000–86400000) are fetched again in the background
   * while they are still served.
   */
  jwks: { timeoutMs: number; maxAgeMs: number };
  jwtIssuer: string | undefined;
  jwtAudience: string | undefined;
  /**
   * How far, in seconds, the gateway's clock may disagree with a token issuer's
   * (JWT_CLOCK_TOLERANCE_SECONDS, default 5, 0 to 300): a token is taken this long past its `exp`
   * (and before its `nbf`), over HTTP and on a socket alike; an open socket closes 4401 at `exp`
   * plus it (`tokenAcceptedUntil`, src/http/auth.ts).
   */
  jwtClockToleranceSeconds: number;
  seedDemo: boolean;
  logLevel: string;
  dbPoolMax: number;
  /**
   * How long a pooled PostgreSQL connection may sit unused before the pool closes it, in
   * milliseconds (DB_POOL_IDLE_MS); 0, the default, keeps every connection the pool opened (up to
   * DB_POOL_MAX) for the life of the process. `poolIdle` gives the rule and why (pool-12).
   */
  dbPoolIdleMs: number;
  /** How long the gateway waits on PostgreSQL before it gives up (docs/decisions.md, "A database that stalls"). */
  dbTimeouts: DbTimeouts;
  maxPageSize: number;
  bodyLimitBytes: number;
  /**
   * How long a client may take to send a request (milliseconds), answered 408 and closed past it:
   * its headers (HTTP_HEADERS_TIMEOUT_MS, default 10 s) and the whole request, body included
   * (HTTP_REQUEST_TIMEOUT_MS, default 30 s; not less than the headers' bound). Only receiving is
   * bounded: a request being answered is the database bounds' to cut. An answer that cannot be
   * handed over because its connection moves nothing for HTTP_SEND_TIMEOUT_MS (default 30 s: the
   * client stopped reading) has its connection cut. A keep-alive connection idle for
   * HTTP_KEEP_ALIVE_TIMEOUT_MS (default 72 s, advertised as `Keep-Alive: timeout=72`) is closed;
   * Node waits one more second (`keepAliveTimeoutBuffer`) before it does.
   */
  httpTimeouts: { headersMs: number; requestMs: number; sendMs: number; keepAliveMs: number };
  /**
   * How long, in ms, a SIGTERM's shutdown keeps serving with `/readyz` answering 503 before it stops
   * accepting (SHUTDOWN_DRAIN_DELAY_MS, 0 to 120000; default 5000 with NODE_ENV=production, 0
   * otherwise): a load balancer (Kubernetes' endpoints, an ALB's target group) takes the instance
   * out on the failed probe or the pod's deletion, and new connections still reach it meanwhile,
   * which would be refused if the listener closed at once (stop-18; operator-17's proposal).
   * SIGINT (Ctrl-C) and SIGHUP skip it, also after the SIGTERM; a second SIGTERM does not (npm start
   * passes on its group's SIGTERM, break2-19). The stop's own 15 s limit counts after it.
   */
  shutdownDrainDelayMs: number;
  limits: { maxDepth: number; maxCost: number; maxAliases: number; maxTokens: number; maxDirectives: number; maxDocumentBytes: number };
  /**
   * Requests per caller per window, counted in a store every instance shares (PostgreSQL, or Redis
   * when `REDIS_URL` is set). 0 turns a kind's limit off.
   */
  rateLimit: {
    windowSeconds: number;
    customer: number;
    partner: number;
    staff: number;
    /** Per client IP, for callers without (valid) credentials. */
    anonymous: number;
    /** WebSocket connection attempts per client IP. */
    wsConnect: number;
    store: 'postgres' | 'redis';
    redisUrl: string | undefined;
    /** Put before every key, so several deployments (or test runs) can share one Redis. */
    keyPrefix: string;
  };
  /** Browser origins allowed to call /graphql (exact `scheme://host:port`, or `scheme://host:*`). */
  corsOrigins: string[];
  corsMaxAgeSeconds: number;
  /**
   * Reverse proxies in front of the gateway whose `X-Forwarded-For`/`X-Forwarded-Proto` are
   * believed, by count (TRUST_PROXY_HOPS): that many entries from the right, whoever the peer is.
   * 0 (the default) believes none and uses the socket's address. Prefer `trustProxyAddresses`.
   */
  trustProxyHops: number;
  /**
   * Reverse proxies in front of the gateway, by address (TRUST_PROXY_ADDRESSES): CIDR ranges in
   * canonical form (`10.0.0.0/8`, `2001:db8::/32`; a single address as /32 or /128). A peer in
   * one may speak for the client: X-Forwarded-For is walked from the right past listed proxies
   * (see `ProxyTrust`), and its X-Forwarded-Proto is believed. Empty: none listed.
   */
  trustProxyAddresses: string[];
  expiringSoonDays: number;
  /**
   * How old a sale may be when a till sends it (its `occurredAt`), in days: older ones are refused
   * (INVALID), so a late upload cannot earn from campaigns long over (SALE_MAX_AGE_DAYS, default 30).
   */
  saleMaxAgeDays: number;
  /** Accounts (points write-down) or customers (tier recompute, birthday points) one batch job run takes (LEDGER_JOB_BATCH). */
  ledgerJobBatch: number;
  /** Issued offers the wallet sweeper writes down per kind and transaction (WALLET_SWEEP_BATCH). */
  walletSweepBatch: number;
  /** Run the job worker and scheduler in this process. */
  jobsEnabled: boolean;
  jobPollMs: number;
  /** Jobs one instance runs at once (JOB_CONCURRENCY), each in its own transaction. */
  jobConcurrency: number;
  /** How long a claimed job is its worker's (JOB_LEASE_MS): a crashed worker's jobs are taken over after it. */
  jobLeaseMs: number;
  schedulerTickMs: number;
  webhooks: {
    /**
     * Allow `http://` endpoint URLs on localhost/127.0.0.1/::1, and loopback destinations over
     * either scheme (WEBHOOK_ALLOW_HTTP_LOCALHOST; default on outside production).
     */
    allowHttpLocalhost: boolean;
    /**
     * Internal addresses webhooks may be sent to anyway, as CIDR ranges (WEBHOOK_ALLOWED_DESTINATIONS,
     * same syntax as TRUST_PROXY_ADDRESSES; default none): every other private, loopback,
     * link-local, unique-local, multicast, reserved or unspecified address is refused
     * (src/webhooks/destinations.ts).
     */
    allowedDestinations: string[];
    /**
     * Attempts per delivery before it is FAILED (WEBHOOK_MAX_ATTEMPTS, default 17, 1–100). With the
     * default backoff the 17th comes at least about 29 hours after the first (5 s doubling to
     * 20 480 s, then three of 6 h, each plus up to half of it at random: `retryDelayMs`), so a receiver down for a day gets every event once it is back: Standard
     * Webhooks recommends a schedule spanning days (webhooks-22; before, 8 attempts over about 11
     * minutes).
     */
    maxAttempts: number;
    /**
     * First retry delay in ms; doubles per attempt up to `maxBackoffMs` (WEBHOOK_BACKOFF_MS, default
     * 5000, 10–3600000; WEBHOOK_MAX_BACKOFF_MS, default 21600000 = 6 h, 10–86400000). The least
     * wait: up to half of it is added at random, and a 429's or 503's Retry-After lengthens it,
     * never past `maxBackoffMs` (src/webhooks/webhook.jobs.ts, `retryDelayMs`; webhooks-23).
     */
    backoffMs: number;
    maxBackoffMs: number;
    /**
     * Deliveries one instance sends at once (WEBHOOK_CONCURRENCY), in job loops of their own besides
     * the JOB_CONCURRENCY ones, so receivers that hang delay other deliveries, never a sale's
     * processing or any other job (break-13). None holds a pooled connection while it waits on a
     * receiver (webhook-14).
     */
    concurrency: number;
    /**
     * Deliveries to one endpoint in flight at once, across all instances (WEBHOOK_ENDPOINT_CONCURRENCY,
     * default 1, 1–64): an endpoint that hangs holds at most this many of the WEBHOOK_CONCURRENCY
     * loops, and the others keep sending to the other endpoints (webhook-14). One endpoint's
     * throughput is then at most this many ÷ its answer time.
     */
    endpointConcurrency: number;
    /**
     * Deliveries to one partner's endpoints in flight at once, across all instances
     * (WEBHOOK_PARTNER_CONCURRENCY, default half of WEBHOOK_CONCURRENCY rounded down, at least 1;
     * 1–64): a partner whose endpoints hang (as many as it registers) holds at most this many of
     * the loops, and the others keep sending to other partners and the program (break36, authz:
     * two endpoints of one partner held both default loops). The program's own endpoints have no
     * such bound.
     */
    partnerConcurrency: number;
    /** How long a receiver has to answer, in ms (WEBHOOK_TIMEOUT_MS). */
    timeoutMs: number;
    /**
     * DNS servers partners' host names are asked of (WEBHOOK_DNS_SERVERS: comma-separated `ip` or
     * `ip:port`, `[ipv6]:port`; default none: the system's, from /etc/resolv.conf), by c-ares, never
     * on libuv's thread pool (src/webhooks/partner-dns.ts, outside-15).
     */
    dnsServers: string[];
    /**
     * The bound on one lookup of a partner's host name, in ms (WEBHOOK_DNS_TIMEOUT_MS, default
     * 3000, 100–30000): past it the attempt fails with `DNS lookup of <name> had no answer within <n> ms`.
     */
    dnsTimeoutMs: number;
    /** Outbox events the dispatcher reads per job run (WEBHOOK_DISPATCH_BATCH). */
    dispatchBatch: number;
    /**
     * The dispatcher's period, in ms (WEBHOOK_DISPATCH_MS, default 1000, 100–3600000): at most one
     * run per period across instances, started when an outbox write wakes it (dispatch-17).
     */
    dispatchMs: number;
    /**
     * How long the dispatcher goes without a run when nothing wakes it, in ms
     * (WEBHOOK_DISPATCH_FALLBACK_MS, default 30000, from WEBHOOK_DISPATCH_MS to 3600000): the bound
     * on the delay of an event whose wake-up was lost (its writer died between its commit and its
     * NOTIFY, a LISTEN connection that cannot come back, a row written by hand). Equal to
     * WEBHOOK_DISPATCH_MS, the dispatcher runs every period as it did before dispatch-17.
     */
    dispatchFallbackMs: number;
  };
  /**
   * First-party clients (by their `apollographql-client-name` header) held to their registered
   * operations, as partners always are (PERSISTED_ONLY=mobile,web). Default: none.
   */
  persistedOnly: string[];
  /**
   * Seconds an automatic persisted query (APQ) document is kept in PostgreSQL after a client sent
   * its text (APQ_TTL_SECONDS, default 300 as Apollo Server's APQ entries in a shared cache; 60 to
   * 31 536 000, a year). Past it the purge job (src/persisted/apq-retention.job.ts) removes it
   * unless a manifest put it on a client's list (registered documents are kept: they are a
   * contract). A client that sends the hash of a removed document is answered
   * PERSISTED_QUERY_NOT_FOUND and sends the text again, as the APQ protocol has it.
   */
  apqTtlSeconds: number;
  /** Seconds a shared cache may keep a response that is the same for every caller (PUBLIC_MAX_AGE). */
  publicMaxAge: number;
  /**
   * The bearer token /metrics answers to (METRICS_TOKEN; at least 16 printable ASCII characters, no
   * spaces). Unset: /metrics is open outside production and not served (404) in production
   * (docs/decisions.md, "/metrics answers to METRICS_TOKEN").
   */
  metricsToken?: string;
  /**
   * Query documents a caller has registered, and any other sent a few times, run compiled to
   * JavaScript (graphql-jit) instead of through graphql-js and Apollo's pipeline
   * (COMPILED_QUERIES, default on; see src/graphql/compiled.ts).
   */
  compiledQueries: boolean;
  /** graphql-ws sessions on /graphql (docs/decisions.md, "Sessions over WebSocket"). */
  ws: {
    /** Largest WebSocket frame (message) taken, in bytes (WS_MAX_PAYLOAD_BYTES); a larger one closes the socket with 1009. */
    maxPayloadBytes: number;
    /** Operations one socket may have running at once (WS_MAX_SUBSCRIPTIONS); one more is refused TOO_MANY_SUBSCRIPTIONS. */
    maxSubscriptionsPerSocket: number;
    /** Sockets one caller (customer, partner, staff member) may hold on one instance (WS_MAX_SOCKETS_PER_CALLER); one more closes 4429. */
    maxSocketsPerCaller: number;
    /** How often open sockets' customers and API keys are checked for closure and revocation (WS_SESSION_RECHECK_MS). */
    sessionRecheckMs: number;
    /**
     * Heartbeat (WS_KEEPALIVE_MS, milliseconds; 0: none): every socket is pinged this often and
     * dropped when its pong has not come this long after, so a peer gone without a FIN is freed
     * (its subscriptions ended, its WS_MAX_SOCKETS_PER_CALLER slot given back) within two intervals.
     */
    keepAliveMs: number;
  };
  /**
   * Hours an idempotency key's answer is kept after it was given (IDEMPOTENCY_RETENTION_HOURS,
   * default 24, as Stripe keeps keys; 1 to 8760, a year). Within it a resend with the key gets the
   * first answer; past it the purge job (src/idempotency/retention.job.ts) removes the record and a
   * resend is a new request. Keys that are also a business key of what they created (a sale's
   * externalId, a currency's, tier's or store's code) are kept with that row (docs/decisions.md,
   * "retain-13").
   */
  idempotencyRetentionHours: number;
  /** Event delivery (docs/decisions.md, "Resumable subscriptions and a polling relay"). */
  /**
   * How far, in milliseconds, this instance's clock may be from PostgreSQL's (either way) for it to
   * run background jobs and take mutations (CLOCK_SKEW_MAX_MS, default 10 000, 100 to 3 600 000).
   * Past it the instance runs no job (expiry, tiers, awards, prune, webhooks, sales: each stays due
   * for another instance), enqueues no slot, answers mutations and /readyz 503 and logs both clocks
   * (src/clock-guard.ts).
   */
  clockSkewMaxMs: number;
  events: {
    /** postgres: every instance reads the outbox; redis: one reads it and fans out through Redis pub/sub (EVENT_FANOUT); off: no delivery. */
    fanout: 'postgres' | 'redis' | 'off';
    /** How often the outbox is read, in ms (EVENT_POLL_MS). */
    pollMs: number;
    /**
     * Hours events are kept (EVENT_RETENTION_HOURS, default 168): how far back `after:` may resume a
     * subscription, and how long an outbox event the webhook dispatcher has passed, a finished
     * webhook delivery and its attempts, and a done job are kept before the hourly prune job
     * (src/events/retention.job.ts) removes them.
     */
    retentionHours: number;
    /** Events one subscriber may let wait before it is closed as a slow consumer (EVENT_SUBSCRIBER_QUEUE). */
    subscriberQueue: number;
  };
}

/**
 * Bounds on waiting for PostgreSQL, in milliseconds; 0 waits for ever (PostgreSQL's and pg's own
 * default). A request cut by one answers 503 SERVICE_UNAVAILABLE with `Retry-After`, and what it
 * had begun is rolled back (src/db/unavailable.ts).
 */
export interface DbTimeouts {
  /** For a connection from the pool: a free one, or a new one to connect (DB_ACQUIRE_TIMEOUT_MS). */
  acquireMs: number;
  /**
   * For one statement of a request, lock waits included (DB_STATEMENT_TIMEOUT_MS; PostgreSQL's
   * `statement_timeout`). Jobs and migrations lift it for their transactions (`liftRequestTimeouts`).
   */
  statementMs: number;
  /**
   * For a request's transaction left open with nothing running (DB_IDLE_IN_TRANSACTION_TIMEOUT_MS;
   * PostgreSQL's `idle_in_transaction_session_timeout`): the session is ended, its locks released.
   */
  idleInTransactionMs: number;
  /**
   * How much longer than `statementMs` the gateway itself waits for a statement's answer before it
   * gives the statement up and closes its connection (DB_CLIENT_TIMEOUT_MARGIN_MS, default 2000,
   * 100 to 600 000). `statementMs` is enforced by PostgreSQL, so a server that cannot run (stopped,
   * swapped out, a network dropping packets without a reset) never applies it; this bound holds
   * anyway (hang-12c, src/db/orm.ts `boundStatements`). No bound when `statementMs` is 0.
   */
  clientMarginMs: number;
}

/**
 * The client-side bound on one statement of a request (ms): DB_STATEMENT_TIMEOUT_MS plus
 * DB_CLIENT_TIMEOUT_MARGIN_MS, or 0 (none) when the statement timeout is 0 (waits for ever).
 */
export function clientBoundMs(timeouts: DbTimeouts): number {
  return timeouts.statementMs > 0 ? timeouts.statementMs + timeouts.clientMarginMs : 0;
}

export const DEV_JWT_SECRET = 'reward-gateway-development-secret-change-me';

/** JWT secrets published with the code (DEV_JWT_SECRET, .env.example's placeholder): refused in production. */
const PUBLISHED_JWT_SECRETS: readonly string[] = [DEV_JWT_SECRET, 'change-me-to-a-long-random-secret-of-32-chars-or-more'];

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

/**
 * A whole-number setting: `fallback` when unset, empty or only spaces (as the text settings read
 * it: `HOST=" "` is the default host), else an integer from `min` to `max`, written in digits.
 * Raises ConfigError naming the setting, the whole rule and the value given, the same sentence
 * whether the value is not a number ("10s") or out of range (trial-12c: "must be a whole number"
 * alone left the operator to guess the range). A number spelled otherwise ("1e3", "+2000") is told
 * to be written in digits: the range alone read as if 1000 were refused (break-12i). `rule`
 * replaces the generic "a whole number from min to max" for settings whose rule has more to it (0
 * meaning "off", say).
 */
function int(env: Env, name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER, rule?: string): number {
  const text = env[name]?.trim();
  // Only spaces is unset, as for every text setting: it was refused `got ""`, the value that means the default.
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  const digits = /^-?\d+$/.test(text);
  if (!digits || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `${min} or more` : `from ${min} to ${max}`;
    const spelling = !digits && Number.isInteger(value) ? ', written in digits only' : '';
    throw new ConfigError(`${name} must be ${rule ?? `a whole number ${range}`}${spelling}, got "${text}"`);
  }
  return value;
}

/**
 * A whole-number setting where 0 turns the thing off: `fallback` when unset, else 0 or an integer
 * from `min` to `max`. Raises ConfigError with `rule` (the whole rule, in words) for anything else.
 */
function intOrOff(env: Env, name: string, fallback: number, min: number, max: number, rule: string): number {
  const value = int(env, name, fallback, 0, max, rule);
  if (value !== 0 && value < min) throw new ConfigError(`${name} must be ${rule}, got "${env[name]?.trim()}"`);
  return value;
}

/**
 * CLOCK_SKEW_MAX_MS (`Config.clockSkewMaxMs`). Raises ConfigError naming the whole rule: a whole
 * number of milliseconds from 100 (below it a round trip's own time would count as skew) to
 * 3 600 000 (an hour: past it jobs would run on a clock off by hours).
 */
function clockSkewMaxMs(env: Env): number {
  try {
    return int(env, 'CLOCK_SKEW_MAX_MS', 10_000, 100, 3_600_000);
  } catch {
    throw new ConfigError(
      `CLOCK_SKEW_MAX_MS must be a whole number of milliseconds from 100 to 3600000 (default 10000): how far this gateway's clock may be from the database's, either way, for it to run background jobs and take mutations; got "${env.CLOCK_SKEW_MAX_MS?.trim()}"`,
    );
  }
}

/**
 * WEBHOOK_DISPATCH_MS and WEBHOOK_DISPATCH_FALLBACK_MS (`Config.webhooks`): the fallback is a whole
 * number of ms from WEBHOOK_DISPATCH_MS to 3600000 (an hour), default 30000 (or WEBHOOK_DISPATCH_MS
 * when that is longer). Raises ConfigError naming the whole rule for any other value.
 */
function webhookDispatch(env: Env): { dispatchMs: number; dispatchFallbackMs: number } {
  const dispatchMs = int(env, 'WEBHOOK_DISPATCH_MS', 1_000, 100, 3_600_000);
  const rule = `a whole number of milliseconds from WEBHOOK_DISPATCH_MS (${dispatchMs}) to 3600000 (default 30000): how long the webhook dispatcher may go without a run when no outbox write wakes it, the bound on a lost wake-up's delay`;
  const dispatchFallbackMs = int(env, 'WEBHOOK_DISPATCH_FALLBACK_MS', Math.max(30_000, dispatchMs), dispatchMs, 3_600_000, rule);
  return { dispatchMs, dispatchFallbackMs };
}

/**
 * APQ_TTL_SECONDS (`Config.apqTtlSeconds`): a whole number of seconds from 60 to 31536000 (a
 * year), default 300 (Apollo Server's APQ time-to-live in a shared cache). Under a minute a client
 * would send most texts twice; over a year the table keeps every document any client ever sent.
 * Raises ConfigError naming the whole rule for any other value.
 */
function apqTtlSeconds(env: Env): number {
  const rule =
    'a whole number of seconds from 60 to 31536000 (default 300): how long an automatic persisted query sent by a client is kept before it must send its text again';
  return int(env, 'APQ_TTL_SECONDS', 300, 60, 31_536_000, rule);
}

/**
 * IDEMPOTENCY_RETENTION_HOURS (`Config.idempotencyRetentionHours`): a whole number of hours from 1
 * to 8760 (a year), default 24. Below an hour a client's own retries (minutes apart, after a
 * timeout or a dropped connection) could outlive the key and run twice; over a year the records
 * grow without a purpose. Raises ConfigError naming the whole rule for any other value.
 */
function idempotencyRetentionHours(env: Env): number {
  const rule =
    'a whole number of hours from 1 to 8760 (default 24): how long after its answer a request sent again with the same idempotency key gets that answer instead of running again';
  return int(env, 'IDEMPOTENCY_RETENTION_HOURS', 24, 1, 8_760, rule);
}

/**
 * HTTP_HEADERS_TIMEOUT_MS, HTTP_REQUEST_TIMEOUT_MS and HTTP_SEND_TIMEOUT_MS (`Config.httpTimeouts`),
 * each 100 ms to an hour, and HTTP_KEEP_ALIVE_TIMEOUT_MS, 1 s to an hour. Raises ConfigError for a
 * value out of range, or for a headers bound above the request's (Node refuses it), naming which of
 * the two was the default.
 *
 * The keep-alive default is 72 s, Fastify's (its `keepAliveTimeout`), where Node's is 5 s: a client
 * that sends a request on a pooled connection just as the server closes it for idleness gets
 * `socket hang up`/ECONNRESET for a request that may have run (Node's agent does not retry a
 * POST, nor read the `Keep-Alive: timeout` hint). A till or app pausing between requests for
 * about 5 s hit it (the till bench's clients did), and so did a load balancer whose idle timeout is
 * longer than the server's (AWS ALB's is 60 s): the server's must be the longer (docs/decisions.md,
 * "keep-alive").
 */
function httpTimeouts(env: Env): Config['httpTimeouts'] {
  const headersMs = int(env, 'HTTP_HEADERS_TIMEOUT_MS', 10_000, 100, 3_600_000);
  const requestMs = int(env, 'HTTP_REQUEST_TIMEOUT_MS', 30_000, 100, 3_600_000);
  if (headersMs > requestMs) {
    // Name the one the operator did not set as the default: setting HTTP_REQUEST_TIMEOUT_MS=5000 alone
    // is refused for a headers bound they never wrote.
    const shown = (name: string, value: number) => `${name} (${value} ms${env[name] ? '' : ', the default'})`;
    throw new ConfigError(
      `${shown('HTTP_HEADERS_TIMEOUT_MS', headersMs)} must not be more than ${shown('HTTP_REQUEST_TIMEOUT_MS', requestMs)}: the headers are part of the request. Lower the first or raise the second.`,
    );
  }
  return {
    headersMs,
    requestMs,
    sendMs: int(env, 'HTTP_SEND_TIMEOUT_MS', 30_000, 100, 3_600_000),
    keepAliveMs: int(
      env,
      'HTTP_KEEP_ALIVE_TIMEOUT_MS',
      72_000,
      1_000,
      3_600_000,
      "a whole number of milliseconds from 1000 to 3600000 (default 72000): how long an idle keep-alive connection stays open for its client's next request; keep it above the idle timeout of any load balancer in front",
    ),
  };
}

/**
 * DB_POOL_IDLE_MS (`Config.dbPoolIdleMs`): 0 (the default: keep idle connections) or 1000 to
 * 86400000 ms (a day). pg-pool's own default closed a connection after 10 s unused, so every lull
 * of a few seconds (a burst's end, the benchmark's other servers' turns) closed all but one, and
 * the next burst paid for new PostgreSQL sessions: a backend's start, its catalog caches and every
 * named statement prepared again (bench/README.md, pool-12). Below a second a pool would churn
 * between two requests. Raises ConfigError with that whole rule for any other value.
 */
function poolIdle(env: Env): number {
  const rule = '0 (keep idle connections open, the default) or between 1000 and 86400000 (milliseconds a pooled connection may sit unused before it is closed)';
  return intOrOff(env, 'DB_POOL_IDLE_MS', 0, 1_000, 86_400_000, rule);
}

/**
 * DB_CLIENT_TIMEOUT_MARGIN_MS (`DbTimeouts.clientMarginMs`): 100 to 600 000 ms, default 2000. Below
 * 100 ms a statement PostgreSQL cancels at its own timeout could be cut by the gateway first, its
 * cancellation's answer still on the way (a 57014 is a clean 503; a cut closes a connection); over
 * ten minutes the bound no longer bounds anything a caller would wait for. Raises ConfigError with
 * that whole rule for any other value.
 */
function clientMargin(env: Env): number {
  const rule = `a whole number from 100 to 600000 (milliseconds the gateway waits for a statement's answer beyond DB_STATEMENT_TIMEOUT_MS before it closes the connection; default 2000)`;
  return int(env, 'DB_CLIENT_TIMEOUT_MARGIN_MS', 2_000, 100, 600_000, rule);
}

/** The shortest heartbeat WS_KEEPALIVE_MS takes (ms), 0 aside. */
export const WS_KEEPALIVE_MIN_MS = 1_000;

/**
 * WS_KEEPALIVE_MS: 0 (no heartbeat) or 1 s to an hour; default 12 s (graphql-ws's own). The pong
 * wait is a timer, and timers run before the event loop reads the pongs already waiting in the
 * kernel: a pause of the loop as long as the interval (a full GC of a busy heap, a long synchronous
 * task) cut healthy sockets. Measured by ws-12: at 200 ms, two forced full collections cut 622 of
 * 3000 idle healthy sockets; 100 ms was allowed. A second is well above a pause of a healthy process
 * and well below any proxy's idle timeout (parity-12). Raises ConfigError stating the whole rule for
 * any other value (hostile-12c; the message, trial-12b).
 */
function wsKeepAlive(env: Env): number {
  // One message for every value refused: the generic "from 0 to 3600000" read as if 50 were taken.
  const rule = `0 (no heartbeat) or between ${WS_KEEPALIVE_MIN_MS} and 3600000 (milliseconds; shorter beats cut healthy sockets during a garbage collection pause)`;
  return intOrOff(env, 'WS_KEEPALIVE_MS', 12_000, WS_KEEPALIVE_MIN_MS, 3_600_000, rule);
}

/** pino's levels, most to least severe, and `silent`: what LOG_LEVEL takes. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * LOG_LEVEL: one of {@link LOG_LEVELS}, in any case (`INFO` is `info`); unset or blank: `silent`
 * under NODE_ENV=test, else `info`. Raises ConfigError naming the levels for any other value
 * (newcomer-12): pino itself threw a stack ("default level:verbose must be included in custom
 * levels") and the process exited 1, unlike every other bad setting (one line, exit 2).
 */
function logLevel(env: Env, nodeEnv: Config['nodeEnv']): string {
  const raw = env.LOG_LEVEL?.trim().toLowerCase();
  if (!raw) return nodeEnv === 'test' ? 'silent' : 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(raw)) throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${env.LOG_LEVEL}"`);
  return raw;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${env[name]}"`);
}

function names(env: Env, name: string, pattern: RegExp): string[] {
  const list = (env[name] ?? '').split(',').map((n) => n.trim()).filter(Boolean);
  const bad = list.filter((n) => !pattern.test(n));
  if (bad.length) throw new ConfigError(`${name} must be a comma-separated list of client names (${pattern.source}), got "${bad.join('", "')}"`);
  return [...new Set(list)];
}

/**
 * `CORS_ORIGINS`: comma-separated origins, each exactly `http(s)://host[:port]` (no path), or with
 * `:*` as the port to allow any port of that host (handy for local development servers); `none`
 * allows no browser origin. Set but listing nothing (`CORS_ORIGINS=`, `CORS_ORIGINS=" , "`) stops
 * start-up (edges-11): it used to mean "no origin", unlike every other empty setting (which means
 * the default), so a value left blank in a deployment's template silently shut the web apps out
 * in development, or read as "the default" to whoever wrote it.
 */
function origins(env: Env, name: string, fallback: string[]): string[] {
  const raw = env[name];
  if (raw === undefined) return fallback;
  if (raw.trim() === 'none') return [];
  const list = raw.split(',').map((o) => o.trim()).filter(Boolean);
  if (!list.length) {
    throw new ConfigError(
      `${name} is set but lists no origin: unset it for the default (${fallback.length ? fallback.join(', ') : 'no origin'}), list origins such as https://app.example.com, or write ${name}=none to allow no browser origin`,
    );
  }
  for (const origin of list) {
    const wildcardPort = /^https?:\/\/[^/:*]+:\*$/.test(origin);
    let parsed: URL | undefined;
    try {
      parsed = new URL(wildcardPort ? origin.replace(/:\*$/, '') : origin);
    } catch {
      parsed = undefined;
    }
    const exact = parsed && !parsed.host.includes('*') && ['http:', 'https:'].includes(parsed.protocol) && (wildcardPort ? `${parsed.origin}:*` === origin : parsed.origin === origin);
    if (!exact) throw new ConfigError(`${name} must list origins like https://app.example.com or http://localhost:*, got "${origin}"`);
  }
  return list;
}

/** Express's names for address ranges (`trust proxy`), as TRUST_PROXY_ADDRESSES and WEBHOOK_ALLOWED_DESTINATIONS take them. */
const RANGE_NAMES: Record<string, string[]> = {
  loopback: ['127.0.0.0/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

/**
 * `TRUST_PROXY_ADDRESSES`, `WEBHOOK_ALLOWED_DESTINATIONS`: comma-separated IP addresses (`10.0.0.7`, `2001:db8::1`), CIDR ranges
 * (`10.0.0.0/8`) or Express's names (`loopback`, `linklocal`, `uniquelocal`), as canonical CIDR
 * text. An IPv4-mapped IPv6 range (`::ffff:10.0.0.0/104`) is taken as the IPv4 range it maps.
 * Addresses must be written in full (no `10.1`, no port, no host name); throws ConfigError otherwise.
 */
function ipRanges(env: Env, name: string): string[] {
  const list = (env[name] ?? '').split(',').map((n) => n.trim()).filter(Boolean);
  const out: string[] = [];
  for (const item of list) {
    if (Object.hasOwn(RANGE_NAMES, item)) {
      out.push(...RANGE_NAMES[item]);
      continue;
    }
    const [address, prefix, ...rest] = item.split('/');
    const bits = address.includes('%') ? 0 : isIP(address) === 4 ? 32 : isIP(address) === 6 ? 128 : 0;
    const length = prefix === undefined ? bits : /^\d{1,3}$/.test(prefix) ? Number(prefix) : -1;
    if (!bits || rest.length || length < 0 || length > bits) {
      throw new ConfigError(`${name} must list IP addresses or CIDR ranges (or loopback, linklocal, uniquelocal), comma-separated; got "${item}"`);
    }
    let range: [ipaddr.IPv4 | ipaddr.IPv6, number] = [ipaddr.parse(address), length];
    if (range[0] instanceof ipaddr.IPv6 && range[0].isIPv4MappedAddress() && length >= 96) range = [range[0].toIPv4Address(), length - 96];
    // the network address: 10.1.2.3/8 is 10.0.0.0/8
    const network = range[0].kind() === 'ipv4' ? ipaddr.IPv4.networkAddressFromCIDR(`${range[0].toString()}/${range[1]}`) : ipaddr.IPv6.networkAddressFromCIDR(`${range[0].toString()}/${range[1]}`);
    out.push(`${network.toString()}/${range[1]}`);
  }
  return [...new Set(out)];
}

/**
 * `WEBHOOK_DNS_SERVERS`: comma-separated DNS servers as c-ares's `setServers` takes them: an IP
 * address (`10.0.0.2`, `2001:db8::53`), or with a port (`127.0.0.1:5353`, `[::1]:5353`); empty for
 * the system's. Throws ConfigError naming the item otherwise (a host name cannot be a DNS server).
 */
function dnsServers(env: Env, name: string): string[] {
  const list = (env[name] ?? '').split(',').map((n) => n.trim()).filter(Boolean);
  for (const item of list) {
    const withPort = /^(?:\[([^\]]+)\]|(\d+\.\d+\.\d+\.\d+)):(\d{1,5})$/.exec(item);
    const ok = withPort
      ? isIP(withPort[1] ?? withPort[2]) === (withPort[1] ? 6 : 4) && Number(withPort[3]) >= 1 && Number(withPort[3]) <= 65535
      : isIP(item) !== 0 && !item.includes('%');
    if (!ok) throw new ConfigError(`${name} must list DNS servers as IP addresses, optionally with a port (10.0.0.2, 127.0.0.1:5353, [::1]:5353), comma-separated; got "${item}"`);
  }
  return [...new Set(list)];
}

function url(env: Env, name: string, protocols: string[]): string | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(`${name} is not a valid URL`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(`${name} must use ${protocols.join(' or ')}, got ${parsed.protocol}`);
  }
  return raw;
}

/**
 * Damerau-Levenshtein (optimal string alignment) distance between `a` and `b`: insertions,
 * deletions, substitutions and swaps of two neighbours each cost 1 (Wagner-Fischer's table, two
 * rows back kept for the swaps). With `max`, any distance over it is answered `max + 1` as soon as
 * it is sure: strings whose lengths differ by more (an edit changes the length by at most one), or
 * a row of the table whose least value is over it (a row's least value never falls in the next).
 * loadConfig asks this of every variable in the environment against every setting it does not
 * hold; measured whole, that was 450 ms of a start with npm's ~190 variables (start-44).
 */
export function editDistance(a: string, b: string, max = Infinity): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let before = new Array<number>(b.length + 1);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  let row = new Array<number>(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    row[0] = i;
    let least = i;
    for (let j = 1; j <= b.length; j++) {
      let d = Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, before[j - 2] + 1);
      row[j] = d;
      if (d < least) least = d;
    }
    if (least > max) return max + 1;
    [before, previous, row] = [previous, row, before];
  }
  return Math.min(previous[b.length], max + 1);
}

/**
 * Variables of `env` that look like a misspelt setting: not a setting (`settings`, the names
 * `loadConfig` read), within one edit (names under 8 characters) or two of a setting that is
 * unset, case aside (`DATABSE_URL`, `database_url`, `LOG_LEVL`). Each as `[variable, setting]`.
 * A misspelt setting was ignored without a word: with `DATABSE_URL` a production gateway started
 * on an embedded PostgreSQL in DATA_DIR, seeded the demo program and served it (operator-17).
 */
export function misspeltSettings(env: Env, settings: ReadonlySet<string>): [string, string][] {
  const found: [string, string][] = [];
  for (const name of Object.keys(env)) {
    if (settings.has(name) || name.length < 5) continue;
    const upper = name.toUpperCase();
    for (const setting of settings) {
      if (env[setting] !== undefined) continue;
      const bound = setting.length < 8 ? 1 : 2;
      if (editDistance(upper, setting, bound) <= bound) {
        found.push([name, setting]);
        break;
      }
    }
  }
  return found;
}

/**
 * Every setting from `env` (default `process.env`), checked (`readConfig`). Raises ConfigError for a
 * bad value, and for a variable that looks like a misspelt setting (`misspeltSettings`): one that
 * belongs to another program can stay when the setting it resembles is set explicitly.
 */
export function loadConfig(env: Env = process.env): Config {
  const settings = new Set<string>();
  const recorded = new Proxy(env, {
    get: (target, name) => {
      if (typeof name === 'string') settings.add(name);
      return Reflect.get(target, name);
    },
  });
  const config = readConfig(recorded);
  const misspelt = misspeltSettings(env, settings);
  if (misspelt.length) {
    const [name, setting] = misspelt[0];
    throw new ConfigError(
      `${name} is not a setting of the gateway: did you mean ${setting}? (${setting} is unset, so its default would be used.) Rename it; if ${name} belongs to another program, set ${setting} explicitly${misspelt.length > 1 ? `. Also: ${misspelt.slice(1).map(([n, s]) => `${n} (${s}?)`).join(', ')}` : ''}`,
    );
  }
  return config;
}

/** The settings in `env`, each checked; see `loadConfig`. */
function readConfig(env: Env): Config {
  const nodeEnv = (env.NODE_ENV?.trim() || 'development') as Config['nodeEnv'];
  if (!['development', 'production', 'test'].includes(nodeEnv)) {
    throw new ConfigError(`NODE_ENV must be development, production or test, got "${env.NODE_ENV}"`);
  }
  // Set but blank in production (a compose file's `${DATABASE_URL}` with the variable missing): the
  // embedded database would start and, by default, serve the demo program in place of the real one;
  // refused, as a blank CORS_ORIGINS is (break37, ops). Elsewhere blank reads as unset, as every
  // setting does (the embedded database: what a development .env's empty line means).
  if (nodeEnv === 'production' && env.DATABASE_URL !== undefined && env.DATABASE_URL.trim() === '') {
    throw new ConfigError('DATABASE_URL is set but blank under NODE_ENV=production: give the PostgreSQL URL, or unset it to run on the embedded database');
  }
  const databaseUrl = url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']);
  const jwtJwksUrl = url(env, 'JWT_JWKS_URL', ['https:', 'http:']);
  const redisUrl = url(env, 'REDIS_URL', ['redis:', 'rediss:']);
  // Its path is the database's number (redis://host:6379/2): anything else crashed the start with
  // ioredis' uncaught "ERR value is not an integer or out of range" (break37, ops).
  if (redisUrl && !/^\/?(\d{1,5})?$/.test(new URL(redisUrl).pathname)) {
    throw new ConfigError(`REDIS_URL's path must be the Redis database's number (e.g. redis://host:6379/0), got "${new URL(redisUrl).pathname}"`);
  }
  const rateLimitStore = (env.RATE_LIMIT_STORE?.trim() || (redisUrl ? 'redis' : 'postgres')) as Config['rateLimit']['store'];
  if (!['postgres', 'redis'].includes(rateLimitStore)) throw new ConfigError(`RATE_LIMIT_STORE must be postgres or redis, got "${env.RATE_LIMIT_STORE}"`);
  if (rateLimitStore === 'redis' && !redisUrl) throw new ConfigError('RATE_LIMIT_STORE=redis needs REDIS_URL');
  const eventFanout = (env.EVENT_FANOUT?.trim() || (redisUrl ? 'redis' : 'postgres')) as Config['events']['fanout'];
  if (!['postgres', 'redis', 'off'].includes(eventFanout)) throw new ConfigError(`EVENT_FANOUT must be postgres, redis or off, got "${env.EVENT_FANOUT}"`);
  if (eventFanout === 'redis' && !redisUrl) throw new ConfigError('EVENT_FANOUT=redis needs REDIS_URL');
  const keyPrefix = env.RATE_LIMIT_KEY_PREFIX?.trim() || 'rg';
  if (!/^[A-Za-z0-9_-]{1,40}$/.test(keyPrefix)) throw new ConfigError('RATE_LIMIT_KEY_PREFIX must be 1 to 40 letters, digits, _ or -');
  const trustProxyHops = int(env, 'TRUST_PROXY_HOPS', 0, 0, 10);
  const trustProxyAddresses = ipRanges(env, 'TRUST_PROXY_ADDRESSES');
  if (trustProxyHops > 0 && trustProxyAddresses.length) {
    throw new ConfigError('Set TRUST_PROXY_ADDRESSES or TRUST_PROXY_HOPS, not both: the addresses say which peers may add to X-Forwarded-For, the hop count trusts any.');
  }
  const secret = env.JWT_SECRET?.trim();
  if (nodeEnv === 'production' && !secret && !jwtJwksUrl) {
    throw new ConfigError('JWT_SECRET (or JWT_JWKS_URL) is required when NODE_ENV=production');
  }
  if (secret !== undefined && secret !== '' && secret.length < 32) {
    throw new ConfigError('JWT_SECRET must be at least 32 characters (256 bits for HS256)');
  }
  // Secrets anyone can read (this file's development default, .env.example's placeholder) sign
  // tokens anyone can make: refused where they would guard a real program (break37, ops).
  if (nodeEnv === 'production' && secret !== undefined && PUBLISHED_JWT_SECRETS.includes(secret)) {
    throw new ConfigError('JWT_SECRET is a published example value (the development default or .env.example\'s): anyone could sign staff tokens; set a random secret (e.g. `openssl rand -hex 32`)');
  }
  // The first retry delay above the longest (or the longest written in seconds) made every retry
  // wait the maximum, a day's retries in a minute; refused naming both, as the other ordered pairs are.
  const webhookBackoff = { first: int(env, 'WEBHOOK_BACKOFF_MS', 5_000, 10, 3_600_000), max: int(env, 'WEBHOOK_MAX_BACKOFF_MS', 21_600_000, 10, 86_400_000) };
  if (webhookBackoff.first > webhookBackoff.max) {
    throw new ConfigError(`WEBHOOK_BACKOFF_MS (${webhookBackoff.first}, the first retry's delay) must not exceed WEBHOOK_MAX_BACKOFF_MS (${webhookBackoff.max}, the longest): both are milliseconds`);
  }
  const metricsToken = env.METRICS_TOKEN?.trim() || undefined;
  if (metricsToken !== undefined && !/^[\x21-\x7e]{16,}$/.test(metricsToken)) {
    throw new ConfigError('METRICS_TOKEN must be at least 16 characters, printable ASCII without spaces (e.g. the output of `openssl rand -hex 32`)');
  }
  return {
    port: int(env, 'PORT', 4000, 0, 65535),
    host: env.HOST?.trim() || '0.0.0.0',
    nodeEnv,
    databaseUrl,
    dataDir: env.DATA_DIR?.trim() || '.data',
    jwtSecret: secret || DEV_JWT_SECRET,
    jwtSecretIsDefault: !secret,
    jwtJwksUrl,
    jwks: { timeoutMs: int(env, 'JWT_JWKS_TIMEOUT_MS', 2_000, 100, 30_000), maxAgeMs: int(env, 'JWT_JWKS_MAX_AGE_MS', 600_000, 10_000, 86_400_000) },
    jwtIssuer: env.JWT_ISSUER?.trim() || undefined,
    jwtAudience: env.JWT_AUDIENCE?.trim() || undefined,
    jwtClockToleranceSeconds: int(env, 'JWT_CLOCK_TOLERANCE_SECONDS', 5, 0, 300),
    seedDemo: bool(env, 'SEED_DEMO', !databaseUrl),
    logLevel: logLevel(env, nodeEnv),
    dbPoolMax: int(env, 'DB_POOL_MAX', 20, 1, 1000),
    dbPoolIdleMs: poolIdle(env),
    dbTimeouts: {
      acquireMs: int(env, 'DB_ACQUIRE_TIMEOUT_MS', 5_000, 0, 600_000),
      statementMs: int(env, 'DB_STATEMENT_TIMEOUT_MS', 15_000, 0, 3_600_000),
      idleInTransactionMs: int(env, 'DB_IDLE_IN_TRANSACTION_TIMEOUT_MS', 60_000, 0, 3_600_000),
      clientMarginMs: clientMargin(env),
    },
    maxPageSize: int(env, 'MAX_PAGE_SIZE', 100, 1, 1000),
    bodyLimitBytes: int(env, 'BODY_LIMIT_BYTES', 100_000, 1_000, 10_000_000),
    httpTimeouts: httpTimeouts(env),
    shutdownDrainDelayMs: int(env, 'SHUTDOWN_DRAIN_DELAY_MS', nodeEnv === 'production' ? 5_000 : 0, 0, 120_000),
    limits: {
      maxDepth: int(env, 'MAX_QUERY_DEPTH', 12, 2, 100),
      maxCost: int(env, 'MAX_QUERY_COST', 20_000, 10, 10_000_000),
      maxAliases: int(env, 'MAX_QUERY_ALIASES', 15, 0, 1000),
      maxTokens: int(env, 'MAX_QUERY_TOKENS', 2_000, 50, 100_000),
      maxDirectives: int(env, 'MAX_QUERY_DIRECTIVES', 20, 0, 1000),
      maxDocumentBytes: int(env, 'MAX_DOCUMENT_BYTES', 20_000, 100, 10_000_000),
    },
    rateLimit: {
      windowSeconds: int(env, 'RATE_LIMIT_WINDOW_SECONDS', 60, 1, 86_400),
      customer: int(env, 'RATE_LIMIT_CUSTOMER', 300, 0, 10_000_000),
      partner: int(env, 'RATE_LIMIT_PARTNER', 1_200, 0, 10_000_000),
      staff: int(env, 'RATE_LIMIT_STAFF', 600, 0, 10_000_000),
      anonymous: int(env, 'RATE_LIMIT_ANONYMOUS', 60, 0, 10_000_000),
      wsConnect: int(env, 'RATE_LIMIT_WS_CONNECT', 60, 0, 10_000_000),
      store: rateLimitStore,
      redisUrl,
      keyPrefix,
    },
    corsOrigins: origins(env, 'CORS_ORIGINS', nodeEnv === 'development' ? ['http://localhost:*', 'http://127.0.0.1:*'] : []),
    corsMaxAgeSeconds: int(env, 'CORS_MAX_AGE_SECONDS', 600, 0, 86_400),
    trustProxyHops,
    trustProxyAddresses,
    expiringSoonDays: int(env, 'EXPIRING_SOON_DAYS', 30, 1, 3650),
    saleMaxAgeDays: int(env, 'SALE_MAX_AGE_DAYS', 30, 1, 3650),
    ledgerJobBatch: int(env, 'LEDGER_JOB_BATCH', 500, 1, 100_000),
    walletSweepBatch: int(env, 'WALLET_SWEEP_BATCH', 1000, 1, 100_000),
    jobsEnabled: bool(env, 'JOBS_ENABLED', true),
    jobPollMs: int(env, 'JOB_POLL_MS', 1_000, 10, 600_000),
    jobConcurrency: int(env, 'JOB_CONCURRENCY', 4, 1, 64),
    jobLeaseMs: int(env, 'JOB_LEASE_MS', 60_000, 1_000, 3_600_000),
    schedulerTickMs: int(env, 'SCHEDULER_TICK_MS', 30_000, 100, 3_600_000),
    clockSkewMaxMs: clockSkewMaxMs(env),
    idempotencyRetentionHours: idempotencyRetentionHours(env),
    webhooks: {
      allowHttpLocalhost: bool(env, 'WEBHOOK_ALLOW_HTTP_LOCALHOST', nodeEnv !== 'production'),
      allowedDestinations: ipRanges(env, 'WEBHOOK_ALLOWED_DESTINATIONS'),
      maxAttempts: int(env, 'WEBHOOK_MAX_ATTEMPTS', 17, 1, 100),
      backoffMs: webhookBackoff.first,
      maxBackoffMs: webhookBackoff.max,
      timeoutMs: int(env, 'WEBHOOK_TIMEOUT_MS', 10_000, 100, 120_000),
      dnsServers: dnsServers(env, 'WEBHOOK_DNS_SERVERS'),
      dnsTimeoutMs: int(env, 'WEBHOOK_DNS_TIMEOUT_MS', 3_000, 100, 30_000),
      concurrency: int(env, 'WEBHOOK_CONCURRENCY', 2, 1, 64),
      endpointConcurrency: int(env, 'WEBHOOK_ENDPOINT_CONCURRENCY', 1, 1, 64),
      partnerConcurrency: int(env, 'WEBHOOK_PARTNER_CONCURRENCY', Math.max(1, Math.floor(int(env, 'WEBHOOK_CONCURRENCY', 2, 1, 64) / 2)), 1, 64),
      dispatchBatch: int(env, 'WEBHOOK_DISPATCH_BATCH', 500, 1, 10_000),
      ...webhookDispatch(env),
    },
    persistedOnly: names(env, 'PERSISTED_ONLY', /^[a-z][a-z0-9_-]{0,39}$/),
    apqTtlSeconds: apqTtlSeconds(env),
    publicMaxAge: int(env, 'PUBLIC_MAX_AGE', 60, 0, 86_400),
    metricsToken,
    compiledQueries: bool(env, 'COMPILED_QUERIES', true),
    ws: {
      maxPayloadBytes: int(env, 'WS_MAX_PAYLOAD_BYTES', 100_000, 1_000, 10_000_000),
      maxSubscriptionsPerSocket: int(env, 'WS_MAX_SUBSCRIPTIONS', 20, 1, 10_000),
      maxSocketsPerCaller: int(env, 'WS_MAX_SOCKETS_PER_CALLER', 10, 1, 100_000),
      sessionRecheckMs: int(env, 'WS_SESSION_RECHECK_MS', 15_000, 50, 3_600_000),
      keepAliveMs: wsKeepAlive(env),
    },
    events: {
      fanout: eventFanout,
      pollMs: int(env, 'EVENT_POLL_MS', 25, 5, 60_000),
      retentionHours: int(env, 'EVENT_RETENTION_HOURS', 168, 1, 87_600),
      subscriberQueue: int(env, 'EVENT_SUBSCRIBER_QUEUE', 500, 1, 1_000_000),
    },
  };
}
