import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { ApolloServer, HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { MikroORM } from '@mikro-orm/postgresql';
import { Kind, type DocumentNode, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { ClockGuard, clockSkewMessage } from '../clock-guard.js';
import type { Config } from '../config.js';
import type { Ctx, CustomerCaller } from '../context.js';
import type { RequestCtx } from '../graphql/context.js';
import { pendingMigrations, requestEntityManager, requestPool } from '../db/orm.js';
import { deploymentId, redisKeyPrefix } from '../db/deployment.js';
import { outboxReplay } from '../events/events.service.js';
import { EventHub } from '../events/hub.js';
import { createRelay, type EventRelay } from '../events/relay.js';
import { markOperation, mayWrite, readsUntilToldOtherwise } from '../db/reads.js';
import { databaseUnavailable, type Unavailability } from '../db/unavailable.js';
import { answeredCode, clockUnavailable, ErrorCode, formatError, serviceUnavailable, subscriptionOverHttp, unauthenticated, UNAVAILABLE_ANSWER } from '../graphql/errors.js';
import { Loaders } from '../graphql/loaders.js';
import { gatewaySchema } from '../graphql/schema.js';
import { CompiledQueries } from '../graphql/compiled.js';
import { oneMutationField } from '../graphql/mutation-fields.js';
import { documentArmor, documentChecks, introspectionOn } from '../graphql/document-rules.js';
import { IDEMPOTENT_REPLAYED_HEADER, replayExtensions } from '../graphql/replays.js';
import { CLIENT_NAME, partnerClient, PersistedStore } from '../persisted/persisted.service.js';
import { decide, PersistedCode, type TrustedCaller } from '../persisted/trusted.js';
import { Authenticator, BEARER_CHALLENGE, inactiveCustomer, type AuthenticateOptions } from './auth.js';
import { Cors } from './cors.js';
import { HttpDrain } from './drain.js';
import { costLimitPlugin, documentTooLong, ProxyTrust } from './limits.js';
import type { PurgeCounts } from '../jobs/purged.js';
import { Metrics, metricsAccess, RequestMeter, type HttpRoute } from './metrics.js';
import { QueueMetrics } from '../jobs/queue-metrics.js';
import { JOB_HANDLERS } from '../jobs/registry.js';
import { RateLimits } from './rate-limit.js';
import { currentRequestId, withRequestId, withRequestScope } from './security.js';
import { devTokens, devTokensEnabled } from './dev-tokens.js';
import { dropByteOrderMark, inexactField, inexactNumberMessage, parseRequestJson, type InexactNumber } from './request-json.js';
import { isPageRequest, WebApp } from './web.js';
import { startSubscriptionServer } from './ws.js';
import { UpgradeDispatch } from './upgrades.js';

/**
 * The request headers a public GET's answer depends on besides its URL (and Origin, which CORS
 * names): `Accept` picks its media type, and a credential (`Authorization`, `x-api-key`) or a
 * client name (`apollographql-client-name`, which PERSISTED_ONLY holds to its list) turns the same
 * URL into a 401 or a refusal. A shared cache (a CDN) keeps apart what these tell apart, and so
 * never serves the stored anonymous answer in place of the gateway's own (break32c).
 */
const PUBLIC_ANSWER_VARY = 'Accept, Authorization, X-Api-Key, Apollographql-Client-Name';

export interface Gateway {
  url: string;
  port: number;
  server: Server;
  /** This instance's live events (subscribers listen here). */
  events: EventHub;
  /** How committed events reach `events` (its counters, for tests and benchmarks). */
  relay: EventRelay;
  /** graphql-ws sessions on this instance. */
  sockets: { sessionCount(): number; recheck(): Promise<void> };
  /** What /metrics shows (`render()`), readable also once the server stopped answering (tests of its shutdown). */
  metrics: Pick<Metrics, 'render'>;
  /**
   * Takes this instance out of rotation: `/readyz` answers 503 `{"status":"shutting down"}` from
   * now on, while every other request is served as before (stop-18: the shutdown's drain delay,
   * SHUTDOWN_DRAIN_DELAY_MS, in which load balancers stop sending before the listener closes).
   * `close` does the same; calling it more than once changes nothing.
   */
  leaveRotation(): void;
  /**
   * Stops accepting; refuses requests read from then on (503 SHUTTING_DOWN, `Connection: close`);
   * waits (at most 10 s) for the requests and socket operations already running; then stops Apollo,
   * the event relay and the rate limiter. See `HttpDrain`.
   */
  close(): Promise<void>;
}

export interface GatewayDeps {
  config: Config;
  orm: MikroORM;
  /** The database's URL, for the event relay's own connection. */
  databaseUrl: string;
  clock: Clock;
  log: Logger;
  /** The process's clock guard, shared with the job runner (one of the server's own when absent): /readyz and /metrics show it. */
  clockGuard?: ClockGuard;
  /** The process's purge counts, which the job runner adds to and /metrics shows (`gateway_rows_purged_total`); absent: not shown. */
  purges?: PurgeCounts;
  /** The start-up's abort (a stop signal before "gateway ready"): the Redis connects of REDIS_URL end on it, and the start rejects with its reason. */
  signal?: AbortSignal;
}

/** True when every root field of the operation is introspection (`__schema`, `__type`, `__typename`). */
function onlyIntrospection(operation: OperationDefinitionNode, document: DocumentNode): boolean {
  const fragments = new Map(
    document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d.selectionSet] as const),
  );
  const seen = new Set<string>();
  const check = (set: SelectionSetNode): boolean =>
    set.selections.every((s) => {
      if (s.kind === Kind.FIELD) return s.name.value.startsWith('__');
      if (s.kind === Kind.INLINE_FRAGMENT) return check(s.selectionSet);
      if (seen.has(s.name.value)) return true;
      seen.add(s.name.value);
      const fragment = fragments.get(s.name.value);
      return fragment ? check(fragment) : false;
    });
  return check(operation.selectionSet);
}

/**
 * Tells the pool's read retry (`retryLostReads`) what the operation is once Apollo has resolved it,
 * before it runs: a query's statements are reads, a mutation's are not (pool-12).
 */
const operationKind: ApolloServerPlugin<RequestCtx> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ operation }) {
        if (operation) markOperation(operation.operation);
      },
    };
  },
};

/**
 * A mutation some of whose keyed fields were answered from an earlier request's record (replay-22,
 * `IdempotentReplays`): `extensions.idempotentReplays` lists their response paths, and when every
 * mutation field of the request was, the answer carries `Idempotent-Replayed: true`, Stripe's
 * header. `data` stays the first answer's. The compiled path does the same (`CompiledQueries.answer`
 * and handleGraphQL).
 */
const markReplays: ApolloServerPlugin<RequestCtx> = {
  async requestDidStart() {
    return {
      async willSendResponse({ contextValue, response }) {
        const extensions = replayExtensions(contextValue.replays);
        if (!extensions) return;
        if (response.body.kind === 'single') response.body.singleResult.extensions = { ...response.body.singleResult.extensions, ...extensions };
        if (contextValue.replays!.all) response.http.headers.set(IDEMPOTENT_REPLAYED_HEADER, 'true');
      },
    };
  },
};

/** No credentials: introspection only (where it is on), nothing else. */
const requireCredentials: ApolloServerPlugin<RequestCtx> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ contextValue, operation, document }) {
        if (contextValue.caller.kind === 'anonymous' && (!operation || !onlyIntrospection(operation, document))) throw unauthenticated();
      },
    };
  },
};

/**
 * Subscriptions over the socket only (SUBSCRIPTION_OVER_HTTP, 400), as mutations are over HTTP only
 * (MUTATION_OVER_WEBSOCKET): each transport says which operations it carries, before anything runs.
 */
const noSubscriptionOverHttp: ApolloServerPlugin<RequestCtx> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ operation }) {
        if (operation?.operation === 'subscription') throw subscriptionOverHttp();
      },
    };
  },
};

/** The headers whose non-empty value makes a request one a browser preflights (Apollo's `csrfPrevention`). */
const CSRF_PREFLIGHT_HEADERS = ['authorization', 'x-api-key', 'x-apollo-operation-name', 'apollo-require-preflight'] as const;
/** Content types a browser sends cross-site without a preflight (the CORS "simple" ones). */
const SIMPLE_CONTENT_TYPES = ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data'];

/**
 * Whether Apollo's `csrfPrevention` would refuse a request with these headers: a content type a
 * browser sends without a preflight (or none), and no non-empty preflight header.
 */
function csrfSimple(headers: IncomingMessage['headers']): boolean {
  const type = headers['content-type'];
  if (type && !SIMPLE_CONTENT_TYPES.includes(type.split(';')[0].trim().toLowerCase())) return false;
  return !CSRF_PREFLIGHT_HEADERS.some((name) => {
    const value = headers[name];
    return typeof value === 'string' ? value !== '' : value !== undefined;
  });
}

/** Writes a whole answer: a string as text, anything else as JSON; a 401 carries `BEARER_CHALLENGE`. */
function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const challenge = status === 401 ? { 'www-authenticate': BEARER_CHALLENGE } : {};
  res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8', ...challenge, ...headers });
  res.end(text);
}

/**
 * Answers HTTP 503 with `Retry-After` when an operation's error is a wait on the database that a
 * bound cut (`databaseUnavailable`; formatError gives it the code SERVICE_UNAVAILABLE): the answer
 * a client and a load balancer read as "try again", not a 200 carrying an error.
 */
const unavailableStatus: ApolloServerPlugin<RequestCtx> = {
  async requestDidStart() {
    return {
      async didEncounterErrors({ errors, response }) {
        if (!errors.some((e) => databaseUnavailable(e.originalError))) return;
        response.http.status = UNAVAILABLE_ANSWER.status;
        response.http.headers.set('retry-after', UNAVAILABLE_ANSWER.headers['retry-after']);
      },
    };
  },
};

/** How long shutdown waits for requests and socket operations in flight (milliseconds). */
const SHUTDOWN_GRACE_MS = 10_000;

const errorBody = (message: string, code: string, field?: string[]) => ({ errors: [{ message, extensions: { code, ...(field ? { field } : {}) } }] });

/**
 * The first inexact number (`parseRequestJson`) in a GET's JSON parameters, `variables` then
 * `extensions` (the two a POST's body holds as JSON), its path from the body's top as a POST's
 * would be (`["variables", "first"]`), so the same request is answered the same either way (a
 * GET's `extensions` went unchecked: hostile pass 12e). Text that is not JSON is Apollo's to refuse.
 */
function inexactParameter(params: URLSearchParams): InexactNumber | null {
  for (const name of ['variables', 'extensions']) {
    const text = params.get(name);
    if (text === null) continue;
    try {
      const { inexact } = parseRequestJson(text);
      if (inexact) return { ...inexact, path: [name, ...inexact.path] };
    } catch {
      continue;
    }
  }
  return null;
}

class BodyTooLarge extends Error {}
class BodyNotUtf8 extends Error {}
/** The client's connection ended before its body did (it went away, or Node answered 408 past HTTP_REQUEST_TIMEOUT_MS): no one to answer. */
class BodyNotSent extends Error {}

/** Node's answers to a request it could not read (lib/_http_server.js, `socketOnError`), by the parser's error code; 400 for any other. */
const MALFORMED_ANSWERS: Record<string, number> = {
  HPE_HEADER_OVERFLOW: 431,
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 413,
  ERR_HTTP_REQUEST_TIMEOUT: 408,
};

/**
 * The HTTP server's `clientError` handling, as node's own (lib/_http_server.js `socketOnError`,
 * which a `clientError` listener replaces): on a connection whose request node could not read
 * (malformed, headers over `maxHeaderSize`, not complete within `requestTimeout`), answers 431,
 * 413, 408 or 400 with `Connection: close` unless a response of its own has begun (or the socket
 * cannot be written), then destroys the connection. Returns the status written, or undefined when
 * nothing was, so `http_responses_total` counts it (break-18: these answers were not counted).
 */
export function refuseMalformed(error: NodeJS.ErrnoException, socket: Duplex): number | undefined {
  // node's own test (internal): the in-flight response's head already written to the socket, not merely built
  const inFlight = (socket as Duplex & { _httpMessage?: { _headerSent?: boolean } | null })._httpMessage;
  let status: number | undefined;
  if (socket.writable && (!inFlight || !inFlight._headerSent)) {
    status = MALFORMED_ANSWERS[error.code ?? ''] ?? 400;
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\n\r\n`);
  }
  socket.destroy(error);
  return status;
}

/**
 * Bounds how long an answer the gateway is done with may wait on its client: if its connection
 * sends nothing for `sendMs` (the client stopped reading; the kernel's buffers are full) before the
 * answer is all handed over, the connection is cut. Node sets no such bound (`server.timeout` is
 * 0), so each such connection, with its answer in memory, stayed for ever (hostile pass 12c). A
 * client that reads slowly keeps it alive: any progress restarts the count.
 *
 * The bound covers this answer's sending only (hostile pass 12e). An answer queued behind an
 * earlier pipelined one has no socket yet: it is bound when Node hands it the socket. Once it is
 * handed over the socket's timeout is disarmed, before Node's own `finish` handling runs (which
 * arms keepAliveTimeout on an idle connection): left armed, Node's `socketOnTimeout` destroys a
 * socket whose 'timeout' nobody else listens to, and so cut the next pipelined request on the
 * connection whenever it ran longer than `sendMs` while its client was reading.
 */
function bindSending(res: ServerResponse, sendMs: number): void {
  if (res.writableFinished) return;
  const socket = res.socket;
  if (!socket) {
    res.once('socket', () => bindSending(res, sendMs));
    return;
  }
  if (socket.destroyed) return;
  const cut = () => socket.destroy();
  socket.setTimeout(sendMs, cut);
  res.prependOnceListener('finish', () => {
    socket.off('timeout', cut);
    socket.setTimeout(0);
  });
}

/**
 * Decodes UTF-8 strictly: a byte sequence that is not UTF-8 throws instead of reading as U+FFFD. A
 * byte order mark is the caller's to drop (`dropByteOrderMark`, the rule the WebSocket follows too).
 */
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The request body as text, at most `limit` bytes (BodyTooLarge beyond). Bytes that are not UTF-8
 * are BodyNotUtf8: read leniently they became U+FFFD, so two idempotency keys (or names, codes)
 * differing only in such bytes were one key, and the second purchase answered as the first
 * (hostile pass 11). A leading byte order mark is dropped (`dropByteOrderMark`), as over a WebSocket.
 */
async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw new BodyTooLarge();
  const chunks: Buffer[] = [];
  // Read by events, not `for await`: leaving that loop at the limit destroyed the request stream,
  // and node then stopped reading its connection (the body's next bytes found no reader): the 413
  // was sent, but the rest of an upload stood unread in the kernel, and the connection's close in
  // stages (HttpDrain) met a client blocked in its send, reset at its bound (break-25: EPIPE). Past
  // the limit the listener leaves and the stream flows on, its bytes dropped.
  await new Promise<void>((resolve, reject) => {
    let size = 0;
    const take = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      req.off('data', take);
      reject(new BodyTooLarge());
    };
    req.on('data', take);
    req.once('end', () => resolve());
    // A request stream fails or closes before its end only when its connection did: the client's doing, not an internal error.
    req.once('error', () => reject(new BodyNotSent()));
    req.once('close', () => (req.complete ? resolve() : reject(new BodyNotSent())));
  });
  try {
    return STRICT_UTF8.decode(dropByteOrderMark(Buffer.concat(chunks)));
  } catch {
    throw new BodyNotUtf8();
  }
}

/**
 * The Content-Encoding of a request body the gateway cannot read (it reads bodies as sent: no
 * gzip, deflate or br), or null for none or `identity`. Such a body was answered "not valid JSON",
 * which sent its client looking in the wrong place.
 */
function unreadableEncoding(req: IncomingMessage): string | null {
  const encoding = (req.headers['content-encoding'] ?? '').trim().toLowerCase();
  return encoding === '' || encoding === 'identity' ? null : encoding;
}

/**
 * The refusal (400 BAD_REQUEST) of a POST whose Content-Type is not JSON (none, or curl's default
 * `application/x-www-form-urlencoded`, `text/plain`, …), naming the type it came with (at most 100
 * characters of it, JSON-quoted). Apollo answered it "POST body missing, invalid Content-Type, or
 * JSON object has no keys.", and a partner's was refused PERSISTED_QUERY_NOT_ALLOWED "This client
 * runs only its registered operations", which sent the partner to check its ids (newcomer-23).
 */
function notJsonMessage(contentType: string | undefined): string {
  const came = contentType === undefined || contentType.trim() === '' ? 'with no Content-Type' : `as ${JSON.stringify(contentType.slice(0, 100))}`;
  return `A POST body is read as JSON only: send it with the header Content-Type: application/json (this one came ${came}).`;
}

/**
 * Apollo's refusal (400 BAD_REQUEST, its own sentence) of an `extensions` that is neither an object
 * nor null (a string, an array, a number), or undefined when it is one of those or absent.
 * The gateway reads `extensions` (persisted queries) and hands Apollo only what it decided, so
 * Apollo never saw the one sent and such a request ran as if it had none, where the socket closes
 * 4400 for it (edges-12d); `variables` of that kind were already refused, by Apollo.
 */
function extensionsNotAnObject(extensions: unknown, method: string): string | undefined {
  if (extensions === undefined || extensions === null || (typeof extensions === 'object' && !Array.isArray(extensions))) return undefined;
  if (method === 'GET') return 'The extensions search parameter should contain a JSON-encoded object.';
  if (typeof extensions === 'string') return '`extensions` in a POST body should be provided as an object, not a recursively JSON-encoded string.';
  return '`extensions` in a POST body must be an object if provided.';
}

/**
 * The GET parameters that are texts of their own, where a byte order mark can only be an editor's
 * or a Windows stack's: the document (graphql-js skips U+FEFF anyway) and the two JSON texts. Not
 * `operationName`: a name, compared exactly, as the same name in a POST body's JSON or a socket's
 * message is (break-12j: edges-12d dropped a mark there too, so GET ran `\uFEFFNamed` as `Named`
 * where POST and the socket answer "Unknown operation named …").
 */
const GET_PARAMETERS = ['query', 'variables', 'extensions'] as const;

/**
 * Drops one leading byte order mark from each GET parameter of `GET_PARAMETERS` sent once
 * (`dropByteOrderMark`), in place, as from a POST body and a socket's message: one rule for the
 * three (edges-12d; a GET's `variables` with one was refused "invalid JSON"). A parameter sent
 * twice is left for Apollo to refuse ("may only be specified once").
 */
function dropParameterMarks(url: URL): void {
  for (const name of GET_PARAMETERS) {
    const values = url.searchParams.getAll(name);
    if (values.length === 1 && values[0] !== dropByteOrderMark(values[0])) url.searchParams.set(name, dropByteOrderMark(values[0]));
  }
}

/** Whether a URL's query string percent-encodes only UTF-8 (URLSearchParams reads other bytes as U+FFFD). */
function queryStringIsUtf8(search: string): boolean {
  try {
    decodeURIComponent(search);
    return true;
  } catch {
    return false;
  }
}

/**
 * The gateway's HTTP server: `/graphql` (GraphQL over HTTP, POST and GET, and graphql-ws on the
 * same path), `/healthz`, `/readyz`, `/metrics`. Built on node:http directly: nothing between the
 * socket and Apollo but body reading. Listens on `port` and `host` (config's PORT and HOST unless
 * given; port 0: any free one).
 *
 * A start that fails part-way (a Redis connect after another's, the listen when the port was taken
 * meanwhile, the start-up's `signal`) closes what it had opened, last first (the event relay's
 * connections and timers, the rate limits' Redis or pool, the queue metrics' pool, Apollo, the
 * WebSocket server), then rejects with the step's error: before lifecycle-21 they stayed open, and a
 * process that did not exit at once (a test, an embedding program) kept them. The caller's `orm` is
 * the caller's to close.
 */
export async function startGateway(deps: GatewayDeps, port = deps.config.port, host = deps.config.host): Promise<Gateway> {
  const opened: (() => Promise<unknown>)[] = [];
  try {
    return await openGateway(deps, port, host, opened);
  } catch (error) {
    for (const close of opened.reverse()) await close().catch(() => undefined);
    throw error;
  }
}

/** `startGateway`'s work; each part that holds something open puts how to close it on `opened` as soon as it exists. */
async function openGateway({ config, orm, databaseUrl, clock, log, clockGuard, purges, signal }: GatewayDeps, port: number, host: string, opened: (() => Promise<unknown>)[]): Promise<Gateway> {
  const schema = await gatewaySchema();
  const auth = new Authenticator(config, clock, log);
  const guard = clockGuard ?? new ClockGuard(clock, config.clockSkewMaxMs, log);
  // read from the database only when Prometheus scrapes (src/jobs/queue-metrics.ts)
  const queueMetrics = new QueueMetrics(databaseUrl, Object.keys(JOB_HANDLERS), clock);
  opened.push(() => queueMetrics.close());
  const metrics = new Metrics(guard, purges, [...auth.metrics, ...queueMetrics.metrics]);
  metrics.watchPool('requests', await requestPool(orm));
  const persisted = new PersistedStore();
  const armor = documentArmor(config);
  // Every transport validates with these: Apollo (which adds graphql-js's own and introspection's),
  // compiled documents, and the socket (all of them: `checks.rules`).
  const validationRules = [...armor.validationRules, oneMutationField];
  const checks = documentChecks(config, armor);
  const cors = new Cors(config.corsOrigins, config.corsMaxAgeSeconds);
  // Redis is shared beyond this database: its keys and channel carry the deployment's id (break35-instances).
  const usesRedis = config.rateLimit.store === 'redis' || config.events.fanout === 'redis';
  const redisPrefix = usesRedis ? redisKeyPrefix(config.rateLimit.keyPrefix, await deploymentId(orm.em.fork())) : config.rateLimit.keyPrefix;
  const rateLimits = await RateLimits.create(config, databaseUrl, log, signal, redisPrefix);
  opened.push(() => rateLimits.close());
  if (rateLimits.store.pool) metrics.watchPool('rate_limit', rateLimits.store.pool);
  if (rateLimits.store.redis) metrics.watchRedis('rate_limit', rateLimits.store.redis);
  const proxies = ProxyTrust.of(config);
  if (config.trustProxyHops > 0) {
    log.warn('TRUST_PROXY_HOPS believes X-Forwarded-For by count, whoever sends it: a client that reaches the gateway without the proxy can name its own IP. List the proxies in TRUST_PROXY_ADDRESSES instead.');
  }
  if (config.nodeEnv === 'production' && config.metricsToken === undefined) {
    log.warn('METRICS_TOKEN is not set: /metrics answers 404 in production. Set it and scrape with Authorization: Bearer <METRICS_TOKEN>.');
  }
  const web = await WebApp.load(config);
  const logInternal = (err: unknown) => log.error({ err, requestId: currentRequestId() }, 'internal error');
  const logUnavailable = (reason: Unavailability, err: unknown) =>
    log.warn({ reason, err, requestId: currentRequestId() }, `database did not answer in time (${reason}): answered SERVICE_UNAVAILABLE`);
  /** `error` as the client gets it: SERVICE_UNAVAILABLE (logged) for a wait on the database a bound cut, else itself. */
  const unavailableOr = (error: unknown): unknown => {
    const reason = databaseUnavailable(error);
    if (!reason) return error;
    logUnavailable(reason, error);
    return serviceUnavailable();
  };
  const introspection = introspectionOn(config);
  const formatOptions = { hideSuggestions: !introspection, onUnavailable: logUnavailable };
  let migrationsApplied = false;

  const hub = new EventHub(config.events.subscriberQueue, outboxReplay(() => orm.em.fork()));
  const relay = await createRelay(
    {
      databaseUrl,
      mode: config.events.fanout,
      pollMs: config.events.pollMs,
      redisUrl: config.rateLimit.redisUrl,
      keyPrefix: redisPrefix,
      retention: { hours: config.events.retentionHours, clock },
      timeouts: config.dbTimeouts,
    },
    hub,
    log,
  );
  // before it starts: a start that fails part-way (one Redis client connected) is stopped too
  opened.push(() => relay.stop());
  await relay.start(signal);
  for (const [name, redis] of Object.entries(relay.redisClients?.() ?? {})) metrics.watchRedis(name, redis);

  /** The request's context; with `ip`, the caller's rate limit is taken first (failed credentials count per IP). */
  const contextFor = async (headers: Record<string, unknown>, ip?: string, options?: AuthenticateOptions): Promise<RequestCtx> => {
    const em = requestEntityManager(orm);
    const { caller, customer, customerCheck } = await auth.authenticate(headers, em, options).catch(async (error: unknown) => {
      if (ip !== undefined) await rateLimits.take({ kind: 'anonymous' }, ip);
      throw error;
    });
    // A pending check's customer id is the one authentication verified before (an external id
    // names one customer for good): the customer's budget is the right one to take from.
    if (ip !== undefined) await rateLimits.take(caller, ip);
    const loaders = new Loaders(em, caller, clock, config, customerCheck);
    if (customer) loaders.customer.prime(customer.id, customer);
    return { em, caller, loaders, clock, config, log, events: hub, customerCheck };
  };

  /**
   * APQ documents to remember once they have validated, keyed by the request's unit of work:
   * Apollo runs each request on a shallow copy of its context, so the context object is no key.
   */
  const requestKey = (ctx: RequestCtx): object => ctx.em;
  const toRemember = new WeakMap<object, { hash: string; body: string }>();
  const rememberApq: ApolloServerPlugin<RequestCtx> = {
    async requestDidStart({ contextValue }) {
      const pending = toRemember.get(requestKey(contextValue));
      if (!pending) return;
      return {
        // Runs only once the document parsed, validated and passed every didResolveOperation check.
        async executionDidStart() {
          try {
            // A write in a query's request: never sent twice (pool-12).
            await mayWrite(() => persisted.rememberApq(contextValue.em, pending.hash, pending.body, clock.now()));
          } catch (error) {
            log.error({ err: error }, 'could not remember an APQ document');
          }
        },
      };
    },
  };

  /** Partners always run only their list; first-party clients named in PERSISTED_ONLY too. */
  const trustedCaller = (ctx: Ctx, headers: IncomingMessage['headers']): TrustedCaller => {
    const mayRegister = !(config.nodeEnv === 'production' && ctx.caller.kind === 'anonymous');
    if (ctx.caller.kind === 'partner') return { client: partnerClient(ctx.caller.partnerId), persistedOnly: true, mayRegister };
    const name = headers['apollographql-client-name'];
    const client = typeof name === 'string' && CLIENT_NAME.test(name) ? name : undefined;
    return { client, persistedOnly: client !== undefined && config.persistedOnly.includes(client), mayRegister };
  };

  /** Where a mutation's clock check takes a reading when the last is too old (`ClockGuard.writesRefused`). */
  const clockReadingDb = () => orm.em.fork().getKysely();
  /**
   * Mutations wait for a clock that agrees with the database's (clock-12): an instance whose clock
   * stepped would date the write, and write down expiries due by its own wrong hour (points a week
   * early), for good. Refused before anything runs, SERVICE_UNAVAILABLE; queries go on.
   */
  const clockGuardedWrites: ApolloServerPlugin<RequestCtx> = {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation }) {
          if (operation?.operation === 'mutation' && (await guard.writesRefused(clockReadingDb))) throw clockUnavailable();
        },
      };
    },
  };

  const compiled = config.compiledQueries
    ? new CompiledQueries(schema, {
        maxTokens: config.limits.maxTokens,
        maxCost: config.limits.maxCost,
        maxPageSize: config.maxPageSize,
        introspection,
        validationRules,
        // Its one statement checks the customer as authentication would, before it claims or writes (purchase.service).
        customerCheckingMutations: ['purchaseOffer'],
        // As Apollo's plugin judges: with no reading younger than READING_MAX_AGE_MS (an instance
        // with JOBS_ENABLED=false reads the clock for nothing else) one is taken first, shared by
        // the writes that ask meanwhile. Refused: Apollo's path, whose plugin answers 503.
        writesAllowed: () => {
          const refused = guard.writesRefused(clockReadingDb);
          return typeof refused === 'boolean' ? !refused : refused.then((r) => !r);
        },
      })
    : undefined;

  // Node checks these bounds every connectionsCheckingInterval (30 s by default, longer than a
  // short bound): a quarter of the headers' bound, at most a second.
  const { headersMs, requestMs, keepAliveMs } = config.httpTimeouts;
  const httpServer = createServer({
    headersTimeout: headersMs,
    requestTimeout: requestMs,
    keepAliveTimeout: keepAliveMs,
    connectionsCheckingInterval: Math.min(1_000, Math.max(25, Math.floor(headersMs / 4))),
  });
  // The server's one 'upgrade' listener: the drain and the metrics watch upgrades, the WebSocket server answers them.
  const upgrades = new UpgradeDispatch(httpServer);
  const drain = new HttpDrain(httpServer, upgrades, (status) => metrics.respond('unrouted', status));
  let apolloStopped = false;
  const apollo = new ApolloServer<RequestCtx>({
    schema,
    introspection,
    includeStacktraceInErrorResponses: false,
    // A browser cannot send these headers cross-site without a CORS preflight, so a GET carrying
    // one is not a CSRF vector; plain "simple" GETs without any of them are refused.
    csrfPrevention: { requestHeaders: [...CSRF_PREFLIGHT_HEADERS] },
    allowBatchedHttpRequests: false,
    // graphql-js stops parsing past the token limit; formatError tags that QUERY_TOO_COMPLEX.
    parseOptions: { maxTokens: config.limits.maxTokens },
    validationRules,
    formatError: (formatted, error) => withRequestId(formatError(formatted, error, logInternal, formatOptions)),
    plugins: [
      ...(armor.plugins as unknown as ApolloServerPlugin<RequestCtx>[]),
      operationKind,
      requireCredentials,
      noSubscriptionOverHttp,
      unavailableStatus,
      clockGuardedWrites,
      markReplays,
      rememberApq,
      costLimitPlugin({ maxCost: config.limits.maxCost, maxPageSize: config.maxPageSize }) as ApolloServerPlugin<RequestCtx>,
      metrics.apolloPlugin<RequestCtx>(requestKey),
      ApolloServerPluginLandingPageDisabled(),
      // No cache hints are set; the default plugin would still hook every resolved field.
      ApolloServerPluginCacheControlDisabled(),
    ],
    // The gateway owns its shutdown order (src/main.ts, `close` below): Apollo stops last.
    stopOnTerminationSignals: false,
  });
  await apollo.start();
  opened.push(() => apollo.stop());

  const handleGraphQL = async (req: IncomingMessage, res: ServerResponse, url: URL, meter: RequestMeter) => {
    const refuse = (status: number, message: string, code: string, field?: string[]) => {
      metrics.countError(meter, code);
      return send(res, status, errorBody(message, code, field), { 'cache-control': 'private, no-store' });
    };
    let body: unknown;
    if (req.method === 'GET' && !queryStringIsUtf8(url.search)) return refuse(400, 'The query string is not valid UTF-8 text.', 'BAD_REQUEST');
    if (req.method === 'GET') {
      dropParameterMarks(url);
      const inexact = inexactParameter(url.searchParams);
      if (inexact) return refuse(400, inexactNumberMessage(inexact), 'BAD_USER_INPUT', inexactField(inexact.path));
    }
    if (req.method === 'POST') {
      const encoding = unreadableEncoding(req);
      if (encoding) return refuse(415, `Content-Encoding ${encoding} is not supported: send the body uncompressed.`, 'UNSUPPORTED_MEDIA_TYPE');
      let text: string;
      try {
        text = await readBody(req, config.bodyLimitBytes);
      } catch (error) {
        if (error instanceof BodyTooLarge) return refuse(413, `Request body is larger than ${config.bodyLimitBytes} bytes.`, 'PAYLOAD_TOO_LARGE');
        if (error instanceof BodyNotUtf8) return refuse(400, 'The request body is not valid UTF-8 text.', 'BAD_REQUEST');
        if (error instanceof BodyNotSent) {
          metrics.countError(meter, 'BODY_NOT_SENT');
          return log.debug({ requestId: currentRequestId() }, 'the client stopped sending its request body');
        }
        throw error;
      }
      // Shutdown refused it while its body was still coming (HttpDrain): that answer said nothing ran.
      if (res.headersSent) return;
      // A media type's type and subtype are case-insensitive (RFC 9110 §8.3.1): `APPLICATION/JSON`
      // is application/json, and was told to send application/json (break-23).
      if ((req.headers['content-type'] ?? '').toLowerCase().includes('json')) {
        try {
          const parsed = text.length ? parseRequestJson(text) : { value: undefined, inexact: null };
          // A number that JSON's double does not hold as written would reach a field as another value.
          // A batch is refused whatever it holds (Apollo's "Operation batching disabled."): said first,
          // or a client would mend its number only to be told its request's shape was never taken.
          if (parsed.inexact && !Array.isArray(parsed.value)) return refuse(400, inexactNumberMessage(parsed.inexact), 'BAD_USER_INPUT', inexactField(parsed.inexact.path));
          body = parsed.value;
        } catch {
          return refuse(400, 'The request body is not valid JSON.', 'BAD_REQUEST');
        }
      } else {
        // Apollo reads no other type, and a partner's refusal would blame its registered list
        // (newcomer-23: curl's default form type read as "runs only its registered operations").
        return refuse(400, notJsonMessage(req.headers['content-type']), 'BAD_REQUEST');
      }
    }
    // Credentials first: whether the request may carry GraphQL text at all depends on who sends it.
    // A POST may leave the customer's status to the request (CustomerCheck): it is settled before
    // any operation other than a known query runs, and before any answer is written (`answered`).
    const sentBody = body;
    let ctx: RequestCtx | undefined;
    let contextError: unknown;
    try {
      ctx = await contextFor(req.headers, proxies.clientIp(req), { deferCustomerCheck: compiled !== undefined && req.method === 'POST' });
    } catch (error) {
      contextError = unavailableOr(error);
    }

    /**
     * Whether the request's signed-in customer turned out not to be active (a pending CustomerCheck
     * that settles false): then the request is answered exactly as authentication answers such a
     * customer (the failed credentials counted per IP, then 401 UNAUTHENTICATED from Apollo's context),
     * and nothing the request read leaves. The one place every answer to a credentialed request passes.
     */
    const customerRefused = async (before = false): Promise<boolean> => {
      const check = ctx?.customerCheck;
      if (!ctx || !check) return false;
      if (before) {
        // Before an operation that may act on the customer runs: their row, as authentication reads it.
        const row = await check.read(ctx.em);
        if (row) {
          ctx.caller = { ...(ctx.caller as CustomerCaller), status: row.status };
          ctx.loaders.customer.prime(row.id, row);
          ctx.customerCheck = undefined;
          return false;
        }
      } else if (await check.settle(ctx.em)) {
        return false;
      }
      auth.forgetCustomer(check.externalId);
      ctx = undefined;
      contextError = inactiveCustomer();
      const ip = proxies.clientIp(req);
      if (ip !== undefined) await rateLimits.take({ kind: 'anonymous' }, ip).catch((error: unknown) => void (contextError = error));
      return true;
    };

    const answered = async (before = false): Promise<boolean> => {
      if (await customerRefused(before)) {
        await viaApollo(sentBody, url.search);
        return true;
      }
      return false;
    };

    const refuseFor = async (status: number, message: string, code: string) => {
      if (!(await answered())) refuse(status, message, code);
    };

    // A document over MAX_DOCUMENT_BYTES is refused once its caller is known and has paid its
    // rate-limit point, as over the socket (edges-12d: refused before, it was free, so a loop of
    // them was never limited). Nothing parses it either way; failed credentials answer first.
    const tooLong = ctx && documentTooLong(body, url, config.limits.maxDocumentBytes);
    if (tooLong) return refuseFor(400, tooLong, 'QUERY_TOO_COMPLEX');

    // A GET Apollo would refuse as a possible CSRF (no preflight header, no JSON type) is refused
    // before Apollo looks at credentials: a partner GET with its key unset or empty was told to add a
    // content type or a preflight header, and then got 401 (newcomer37). Such a GET gets its
    // credentials' refusal, as a POST does; so does one without credentials for a persisted id
    // (no text: never introspection). Anything else still meets Apollo's check.
    // Refused credentials of any kind (401, 429 past the failed-credentials budget with its
    // Retry-After, 503) go to Apollo marked as preflighted: its context throws the refusal, as for a
    // POST, and nothing runs (break37e: a 429 read "blocked as a potential CSRF").
    let refusedCredentials = false;
    if (req.method === 'GET' && csrfSimple(req.headers)) {
      if (contextError !== undefined) refusedCredentials = true;
      else if (ctx?.caller.kind === 'anonymous' && !url.searchParams.has('query') && url.searchParams.has('extensions')) return refuse(401, unauthenticated().message, ErrorCode.UNAUTHENTICATED);
    }

    const viaApollo = async (apolloBody: unknown, apolloSearch: string) => {
      // Only a handler still running past shutdown's grace period gets here after Apollo stopped.
      if (apolloStopped) {
        metrics.countError(meter, 'SHUTTING_DOWN');
        return HttpDrain.refuse(res);
      }
      const headers = new HeaderMap();
      for (const [name, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
      }
      // Only a request whose credentials are refused (its context throws before anything runs).
      if (refusedCredentials) headers.set('apollo-require-preflight', 'refused-credentials');
      const requestCtx = ctx;
      const result = await apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: apolloSearch, body: apolloBody },
        context: async () => {
          if (contextError !== undefined) {
            // Apollo tells no plugin's didEncounterErrors of a refused context (bad credentials):
            // counted here, under the code it answers (newcomer-18: it was `other`).
            metrics.countError(meter, answeredCode(contextError));
            throw contextError;
          }
          return requestCtx!;
        },
      });
      // Apollo has executed: a pending check is settled before a byte of its answer is written.
      if (requestCtx && (await customerRefused())) return viaApollo(sentBody, url.search);
      for (const [name, value] of result.headers) res.setHeader(name, value);
      res.statusCode = result.status ?? 200;
      // Every 401 of Apollo's (UNAUTHENTICATED from the context, the credentials check or a guard).
      if (res.statusCode === 401) res.setHeader('www-authenticate', BEARER_CHALLENGE);
      if (result.body.kind === 'complete') {
        // Shared caches may keep only what every caller would get alike: a successful GET sent
        // without credentials. Anything a credential could have shaped stays private.
        const shared = req.method === 'GET' && requestCtx?.caller.kind === 'anonymous' && res.statusCode === 200 && !result.body.string.includes('"errors"');
        res.setHeader('cache-control', shared ? `public, max-age=${config.publicMaxAge}` : 'private, no-store');
        // beside CORS's `Vary: Origin` (a second Vary line is the same list, RFC 9110 §5.3)
        if (shared) res.appendHeader('vary', PUBLIC_ANSWER_VARY);
        res.end(result.body.string);
      } else {
        res.setHeader('cache-control', 'private, no-store');
        for await (const chunk of result.body.asyncIterator) res.write(chunk);
        res.end();
      }
    };

    let search = url.search;
    let registered = false;
    if (ctx && (req.method === 'POST' || req.method === 'GET')) {
      const caller = trustedCaller(ctx, req.headers);
      let request: { query: unknown; extensions: unknown } | undefined;
      if (req.method === 'GET') {
        let extensions: unknown;
        try {
          const raw = url.searchParams.get('extensions');
          extensions = raw === null ? undefined : JSON.parse(raw);
        } catch {
          return refuseFor(400, 'The extensions parameter is not valid JSON.', 'BAD_REQUEST');
        }
        request = { query: url.searchParams.get('query') ?? undefined, extensions };
      } else if (body && typeof body === 'object' && !Array.isArray(body)) {
        request = body as { query: unknown; extensions: unknown };
      } else if (caller.persistedOnly) {
        return refuseFor(400, 'This client runs only its registered operations, sent as one JSON request.', PersistedCode.NOT_ALLOWED);
      }
      // (Any other body is Apollo's to refuse: a batch, or JSON that is no object.)
      if (request) {
        const malformed = extensionsNotAnObject(request.extensions, req.method);
        if (malformed) return refuseFor(400, malformed, 'BAD_REQUEST');
        // Decided before any GraphQL text is parsed: a refused document is never parsed at all.
        const decision = await decide(persisted, ctx.em, caller, request);
        if (decision.kind === 'refuse') return refuseFor(decision.status, decision.message, decision.code);
        if (decision.registered) {
          meter.labels = { client: decision.registered.client, operation: decision.registered.name };
          registered = true;
        }
        if (decision.remember) toRemember.set(requestKey(ctx), decision.remember);
        if (req.method === 'GET') {
          const params = new URLSearchParams(url.search);
          if (typeof decision.query === 'string') params.set('query', decision.query);
          if (decision.extensions) params.set('extensions', JSON.stringify(decision.extensions));
          else params.delete('extensions');
          search = `?${params}`;
        } else {
          const { extensions: _sent, ...rest } = body as Record<string, unknown>;
          body = { ...rest, query: decision.query, ...(decision.extensions ? { extensions: decision.extensions } : {}) };
        }
      }
    }
    // Only a query already compiled (so known to be one), or a compiled purchase (whose statement
    // settles the check before it writes), that remembers nothing runs before the customer's status
    // is known; anything else settles it first, as authentication would have.
    if (ctx?.customerCheck && !(compiled?.mayRunBeforeCustomerCheck(body) && !toRemember.has(requestKey(ctx))) && (await answered(true))) return;
    if (ctx) metrics.attach(requestKey(ctx), meter);

    // An operation that needs nothing of Apollo runs compiled; anything else (and any error) is
    // Apollo's (a mutation's outcome is then replayed, not run again: see CompiledQueries), but a
    // query's read a database bound cut, which is thrown and answered 503 by `route`'s catch.
    if (compiled && ctx && req.method === 'POST' && !toRemember.has(requestKey(ctx))) {
      const answer = await compiled.answer(body, req.headers.accept, ctx, registered, req.headers['content-type']);
      if (answer) {
        if (await answered()) return;
        meter.type = answer.operation;
        meter.compiled = true;
        // Framed as Apollo's answers are (a content-length, not chunks).
        res.writeHead(200, {
          'content-type': answer.contentType,
          'cache-control': 'private, no-store',
          'content-length': answer.body.length,
          ...(ctx.replays?.all ? { [IDEMPOTENT_REPLAYED_HEADER]: 'true' } : {}),
        });
        res.end(answer.body);
        return;
      }
    }
    return viaApollo(body, search);
  };

  /**
   * Ready: the database answers, every migration is applied, and this instance's clock agrees with
   * the database's within CLOCK_SKEW_MAX_MS (clock-12: an instance whose clock has stepped runs no
   * job, and its requests would date writes at its own wrong hour, so it asks to be taken out of
   * rotation). Not ready with a clock fault answers both clocks, for the operator.
   */
  let leaving = false;
  const ready = async (): Promise<{ ready: boolean; shuttingDown?: true; clock?: Record<string, unknown> }> => {
    // shutdown has begun (`leaveRotation`): the load balancer takes the instance out, nothing asked
    if (leaving) return { ready: false, shuttingDown: true };
    try {
      const reading = await guard.check(orm.em.fork().getKysely());
      migrationsApplied ||= (await pendingMigrations(orm)) === 0;
      if (reading.skewed) {
        const clockFault = {
          gateway: reading.gatewayAt.toISOString(),
          database: reading.databaseAt.toISOString(),
          skewMs: reading.skewMs,
          maxSkewMs: guard.maxSkewMs,
          message: clockSkewMessage(reading, guard.maxSkewMs),
        };
        return { ready: false, clock: clockFault };
      }
      return { ready: migrationsApplied };
    } catch {
      return { ready: false };
    }
  };

  countUpgradeAnswers(upgrades, (route, status) => metrics.respond(route, status));

  httpServer.on('request', (req, res) => {
    // Every answer's Date by the gateway's clock, the one its idempotency records are dated by: the
    // apps age their kept keys by it, not by the device's clock (apps-25, web/src/shared/gateway-time.ts).
    // The same as Node's own Date unless a test moves the clock.
    res.setHeader('date', clock.now().toUTCString());
    // What `http_responses_total` counts this response under, never the path itself: counted once
    // the response is done (sent, or its connection gone), however it was answered, so a request
    // the drain refused before routing (503 SHUTTING_DOWN) is counted too, as `unrouted` (break-18).
    let routed: HttpRoute = 'unrouted';
    // a response cut before its status was sent is counted under code "other"
    res.once('close', () => metrics.respond(routed, res.headersSent ? res.statusCode : 0));
    withRequestScope(req, res, proxies, (requestId) => drain.run(res, () => {
      const url = new URL(req.url ?? '/', 'http://gateway');
      routed = 'not_found';
      // A GraphQL request's meter, ended once its answer is decided, the catch below's included: a
      // request answered there (503 SERVICE_UNAVAILABLE, 500) was ended as a 200 before (break-18).
      let meter: RequestMeter | undefined;
      const route = async () => {
        switch (url.pathname) {
          case '/graphql': {
            routed = '/graphql';
            // A browser opening the URL (no GraphQL in it): the explorer, not a CSRF refusal.
            if (isPageRequest(req, url)) return await web.explorer(req, res);
            if (cors.handle(req, res)) return;
            const graphqlMeter = (meter = new RequestMeter());
            // The gateway's own statements before the operation (the caller, a persisted document)
            // are reads; the operation's are once it is known to be a query (pool-12).
            return await readsUntilToldOtherwise(() => handleGraphQL(req, res, url, graphqlMeter));
          }
          case '/healthz':
            routed = '/healthz';
            return send(res, 200, { status: 'ok' });
          case '/readyz': {
            routed = '/readyz';
            const readiness = await ready();
            if (readiness.ready) return send(res, 200, { status: 'ready' });
            return send(res, 503, { status: readiness.shuttingDown ? 'shutting down' : 'not ready', ...(readiness.clock ? { clock: readiness.clock } : {}) });
          }
          case '/metrics': {
            routed = '/metrics';
            // Refused before anything is rendered: a refusal costs no more than a 404.
            const access = metricsAccess(config, req.headers.authorization);
            if (access === 'hidden') return send(res, 404, errorBody('Not found: set METRICS_TOKEN to scrape metrics.', 'NOT_FOUND'));
            if (access === 'unauthorized') return send(res, 401, errorBody('Send Authorization: Bearer <METRICS_TOKEN> to scrape metrics.', 'UNAUTHENTICATED'));
            return send(res, 200, await metrics.render(), { 'content-type': metrics.contentType });
          }
          case '/dev/tokens':
            routed = '/dev/tokens';
            if (devTokensEnabled(config) && req.method === 'GET') {
              const tokens = await devTokens(orm, config);
              if (tokens) return send(res, 200, tokens, { 'cache-control': 'no-store' });
              return send(res, 404, errorBody('Not found: demo tokens exist only with the demo program (SEED_DEMO=true), in development.', 'NOT_FOUND'));
            }
            return send(res, 404, errorBody('Not found: demo tokens exist only in development.', 'NOT_FOUND'));
          default:
            // Named before the web app answers: a page is written at once, and its response's
            // 'close' (which counts it) came before `handle` returned, so every page was counted as
            // `not_found` (newcomer-36); only assets, read from disk first, were counted as `web`.
            routed = 'web';
            if (await web.handle(req, res, url)) return;
            routed = 'not_found';
            return send(res, 404, errorBody('Not found: the API is at /graphql.', 'NOT_FOUND'));
        }
      };
      return route().catch((error) => {
        const unavailable = databaseUnavailable(error);
        // the code of the answer written here (an answer begun elsewhere, such as the drain's 503, keeps its own)
        if (meter && !res.headersSent) metrics.countError(meter, unavailable ? ErrorCode.SERVICE_UNAVAILABLE : ErrorCode.INTERNAL_SERVER_ERROR);
        if (unavailable) {
          logUnavailable(unavailable, error);
          if (!res.headersSent) return send(res, UNAVAILABLE_ANSWER.status, UNAVAILABLE_ANSWER.body, UNAVAILABLE_ANSWER.headers);
          return res.destroy();
        }
        log.error({ err: error, requestId }, 'request failed');
        if (!res.headersSent) send(res, 500, { errors: [{ message: 'Internal server error', extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR, requestId } }] });
        else res.destroy();
      }).finally(() => {
        if (meter) metrics.end(meter, res.statusCode);
        bindSending(res, config.httpTimeouts.sendMs);
      });
    }));
  });
  httpServer.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    const refused = refuseMalformed(error, socket);
    if (refused) metrics.respond('unrouted', refused);
  });

  const subscriptions = startSubscriptionServer({
    httpServer,
    upgrades,
    schema,
    // All of them: Apollo adds graphql-js's own and NoSchemaIntrospectionCustomRule itself; graphql-ws does not.
    validationRules: checks.rules,
    formatOptions,
    config,
    orm,
    clock,
    log,
    hub,
    auth,
    rateLimits,
    proxies,
    persisted,
    trustedCaller: (ctx, clientName) => trustedCaller(ctx, { 'apollographql-client-name': clientName }),
    socketClosed: (code) => metrics.socketClosed(code),
  });
  opened.push(() => subscriptions.close(0));
  metrics.watchWebSockets({ sockets: () => subscriptions.socketCount(), subscriptions: () => hub.listenerCount() });

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(port, host, () => resolve());
  });
  const address = httpServer.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  return {
    url: `http://${shownHost}:${address.port}/graphql`,
    port: address.port,
    server: httpServer,
    events: hub,
    relay,
    sockets: subscriptions,
    leaveRotation: () => {
      leaving = true;
    },
    metrics,
    // Once: a second call waits for the first.
    close: () =>
      (closed ??= (async () => {
        leaving = true;
        // HTTP requests and operations over sockets running end first (sockets then close with 1001);
        // Apollo stops only once nothing can reach it any more.
        await drain.close(SHUTDOWN_GRACE_MS, [subscriptions.close(SHUTDOWN_GRACE_MS)]);
        apolloStopped = true;
        await apollo.stop();
        await relay.stop();
        await rateLimits.close();
        await queueMetrics.close();
      })()),
  };
}

/**
 * Counts the answer to each WebSocket upgrade request in `http_responses_total` (wsmetrics-19:
 * only requests were counted): `101` for an upgrade taken, or the refusal ws writes itself (400
 * for a path other than /graphql or bad upgrade headers, 405 for a method other than GET), under route `/graphql` or `not_found` by the path as ws reads
 * it; a connection gone before any answer is counted as code `other`. ws writes the status line on
 * the socket directly (`completeUpgrade`, `abortHandshake` in ws 8), so the socket's first write
 * is read for it, and the socket's own `write`/`end` are put back once it is: the frames after
 * the 101 pass nothing of this. It watches `upgrades`, so it sees only the upgrades the WebSocket
 * server is handed: once that stopped (shutdown), node reads an upgrade request as an ordinary
 * one, refused 503 SHUTTING_DOWN and counted as `unrouted` (break-19, lifecycle-21).
 */
function countUpgradeAnswers(upgrades: UpgradeDispatch, respond: (route: HttpRoute, status: number) => void): void {
  upgrades.watch((req, socket) => {
    const route: HttpRoute = (req.url ?? '').split('?')[0] === '/graphql' ? '/graphql' : 'not_found';
    const { write, end } = socket;
    let counted = false;
    const count = (status: number) => {
      if (counted) return;
      counted = true;
      socket.write = write;
      socket.end = end;
      respond(route, status);
    };
    const statusIn = (chunk: unknown) => {
      if (typeof chunk !== 'string' && !Buffer.isBuffer(chunk)) return;
      const match = /^HTTP\/1\.1 (\d{3}) /.exec(typeof chunk === 'string' ? chunk.slice(0, 16) : chunk.toString('latin1', 0, 16));
      count(match ? Number(match[1]) : 0);
    };
    socket.write = function (this: Duplex, chunk: unknown, ...rest: unknown[]) {
      statusIn(chunk);
      return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
    } as Duplex['write'];
    socket.end = function (this: Duplex, chunk?: unknown, ...rest: unknown[]) {
      statusIn(chunk);
      return (end as (...args: unknown[]) => Duplex).call(this, chunk, ...rest);
    } as Duplex['end'];
    socket.once('close', () => count(0));
  });
}
