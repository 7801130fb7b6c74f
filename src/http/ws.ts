import { isUtf8 } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { MikroORM } from '@mikro-orm/postgresql';
import {
  getOperationAST,
  GraphQLError,
  parse,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type ValidationRule,
} from 'graphql';
import { getVariableValues } from 'graphql/execution/values.js';
import { CloseCode, type Context as WsContext, type SubscribePayload } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import type { Logger } from 'pino';
import { WebSocket, WebSocketServer } from 'ws';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Caller, Ctx } from '../context.js';
import type { RequestCtx } from '../graphql/context.js';
import { query, sql, idList } from '../db/sql.js';
import type { EventHub, SessionEnd } from '../events/hub.js';
import { checkCost } from '../graphql/cost.js';
import { ErrorCode, formatError, QueryTooComplexError, UNAVAILABLE_RETRY_AFTER_SECONDS, type FormatOptions } from '../graphql/errors.js';
import { requestEntityManager } from '../db/orm.js';
import { mayWrite, readsUntilToldOtherwise } from '../db/reads.js';
import { databaseUnavailable } from '../db/unavailable.js';
import { Loaders } from '../graphql/loaders.js';
import { CLIENT_NAME, type PersistedStore } from '../persisted/persisted.service.js';
import { decide, type TrustedCaller } from '../persisted/trusted.js';
import type { Authenticator } from './auth.js';
import { SHUTTING_DOWN_MESSAGE } from './drain.js';
import type { UpgradeDispatch } from './upgrades.js';
import { textTooLong, type ProxyTrust } from './limits.js';
import type { RateLimits } from './rate-limit.js';
import { dropByteOrderMark, inexactField, inexactNumberIn, inexactNumberMessage, markInexactNumbers } from './request-json.js';

/**
 * Close codes of /graphql's WebSocket (graphql-ws), besides the protocol's own
 * (docs/architecture.md, "Sessions over WebSocket"). graphql-ws clients do not retry 4401 and 4429;
 * they do retry 4403 and 4008.
 */
export const SocketClose = {
  /** No, bad, expired or revoked credentials: reason says which ("token expired"); get new ones, then reconnect. */
  UNAUTHORIZED: 4401,
  /** The credentials are valid but may no longer subscribe (the customer's account was closed). */
  FORBIDDEN: 4403,
  /** More sockets than WS_MAX_SOCKETS_PER_CALLER for this caller on this instance. */
  TOO_MANY_SOCKETS: 4429,
  /** Failed or no credentials past the client IP's anonymous budget (RATE_LIMIT_ANONYMOUS, shared with HTTP): reason says when to try again. */
  RATE_LIMITED: 4429,
  /** A subscriber let more than EVENT_SUBSCRIBER_QUEUE events wait: reconnect and resume with `after`. */
  SLOW_CONSUMER: 4008,
  /**
   * A message that is not UTF-8 text: what ws answers a text frame with such bytes, and the answer a
   * binary frame gets too (graphql-ws read it leniently, each bad byte as U+FFFD; HTTP refuses such a
   * body 400). graphql-ws clients do not retry it.
   */
  NOT_UTF8: 1007,
  /** The instance is shutting down (after its in-flight operations ended): reconnect, resume with `after`. */
  GOING_AWAY: 1001,
  /**
   * The database did not answer in time while the socket connected (a bound of `DbTimeouts` cut the
   * read of its credentials): nothing was wrong with them; reconnect shortly. Also a connection
   * attempt past RATE_LIMIT_WS_CONNECT for its address. RFC 6455's "Try Again Later", which
   * graphql-ws clients retry (4500 they do not); the reason says in how many seconds.
   */
  TRY_AGAIN_LATER: 1013,
} as const;

/**
 * How long a socket the gateway closed waits for its peer to answer the close frame before it is
 * cut (milliseconds): ws's `closeTimeout` for every socket (its default, 30 s, held each socket a
 * vanished peer or a flood left, with its file descriptor; break-12g), and the shutdown's wait.
 * Healthy peers answer within a round trip; the close frame itself is sent before the cut.
 */
const CLOSE_HANDSHAKE_MS = 1_000;

/**
 * How long a socket cut for falling behind (4008, SLOW_CONSUMER) waits for its peer to answer the
 * close (milliseconds): ws's own default. That peer is alive by definition (it read until it fell
 * behind), and its close frame is queued behind the events it has not read yet, so with
 * CLOSE_HANDSHAKE_MS it was cut before it could read the frame and saw 1006 with no reason in
 * place of 4008 "resume with after" (test/events/memory.test.ts). Its stream is already gone, so
 * the wait holds a file descriptor and kernel buffers, not heap.
 */
const SLOW_CONSUMER_CLOSE_MS = 30_000;

/**
 * Sets how long ws waits for `socket`'s peer to answer a close the gateway sends next. ws takes
 * `closeTimeout` per server only and keeps it per socket in `_closeTimeout`, read when the close
 * frame is sent (ws 8, lib/websocket.js `setCloseTimer`); there is no public per-socket setter.
 */
function closeHandshakeBound(socket: WebSocket, ms: number): void {
  (socket as unknown as { _closeTimeout: number })._closeTimeout = ms;
}

/** A connected, acknowledged socket and who is on it. */
export interface Session {
  socket: WebSocket;
  /** `customer:1`, `partner:2`, `staff:x`: what WS_MAX_SOCKETS_PER_CALLER counts. */
  key: string;
  caller: Caller;
  /** The connection's credentials, re-checked for each operation as an HTTP request's would be. */
  credentials: Record<string, unknown>;
  ip: string;
  /** `apollographql-client-name` (connection params or upgrade header): PERSISTED_ONLY applies by it. */
  clientName?: string;
  /**
   * The last instant its token is taken (ms since the epoch; `Authenticated.acceptedUntil`: `exp` plus
   * the leeway HTTP allows), when the socket closes 4401 "token expired"; absent for API keys.
   */
  acceptedUntil?: number;
  /**
   * A customer's: the last position of their event stream when the socket connected, read with
   * their status in one statement. A close at or before it was committed before the socket
   * connected (the account was reopened since): it does not close this socket.
   */
  seenSeq?: number;
  expiryTimer?: NodeJS.Timeout;
  /** Queries and mutations running on this socket (by operation id): a shutdown waits for them. */
  running?: Set<string>;
}

type Extra = { socket: WebSocket; request?: IncomingMessage; session?: Session };
type SocketCtx = WsContext<Record<string, unknown> | undefined, Extra>;

/** An operation's context over a socket: its unit of work and loaders are made when first used and dropped after each event. */
type SocketOperationCtx = RequestCtx & { releaseUnitOfWork(): void };

export interface SubscriptionServerDeps {
  httpServer: Server;
  /** The HTTP server's upgrade dispatcher: the WebSocket server is its handler until `close`. */
  upgrades: UpgradeDispatch;
  schema: GraphQLSchema;
  validationRules: readonly ValidationRule[];
  config: Config;
  orm: MikroORM;
  clock: Clock;
  log: Logger;
  hub: EventHub;
  auth: Authenticator;
  rateLimits: RateLimits;
  /** Whose X-Forwarded-For names the client's IP (connection attempts and anonymous budgets count by it). */
  proxies: ProxyTrust;
  persisted: PersistedStore;
  /** What formatError strips from client errors (name suggestions in production), as over HTTP. */
  formatOptions: FormatOptions;
  /** Partners and PERSISTED_ONLY clients run only their registered operations, as over HTTP. */
  trustedCaller: (ctx: Ctx, clientName: string | undefined) => TrustedCaller;
  /** Told the close code of each WebSocket connection as it ends (whoever closed it; 1006: cut without a close frame), for `websocket_closes_total`. */
  socketClosed?: (code: number) => void;
}

const callerKey = (caller: Caller): string | undefined => {
  switch (caller.kind) {
    case 'customer':
      return `customer:${caller.customerId}`;
    case 'partner':
      return `partner:${caller.partnerId}`;
    case 'staff':
      return `staff:${caller.staffId}`;
    default:
      return undefined;
  }
};

/** Why a mutation over the socket is refused (ErrorCode.MUTATION_OVER_WEBSOCKET), and what to do instead. */
export const MUTATION_OVER_WEBSOCKET_MESSAGE =
  'Mutations are not taken over WebSocket: send them over HTTP POST. (A graphql-ws client resends an unanswered operation after a reconnect, which would run a mutation twice.)';

/** What Apollo answers (400 BAD_REQUEST) a request with neither a document's text nor a persisted one; the socket says the same. */
const NO_DOCUMENT_MESSAGE = 'GraphQL operations must contain a non-empty `query` or a `persistedQuery` extension.';

/** The reason of a 1001 sent to a socket that connects during shutdown. */
const SHUTTING_DOWN_REASON = 'going away: the gateway is shutting down; connect again';

/** A close reason fits a control frame (123 bytes). */
const reasonOf = (text: string) => (Buffer.byteLength(text) <= 123 ? text : Buffer.from(text).subarray(0, 120).toString('utf8').replace(/\uFFFD$/, '') + '…');

/**
 * The connectionParams value named as HTTP header `name` (lower case), its name matched as HTTP
 * matches header names, whatever its case: `X-API-Key` is `x-api-key` there (parity-12: a socket
 * read only `x-api-key`, and `Authorization` besides `authorization`, so a partner whose client
 * wrote the header's usual spelling was refused "credentials required"). The lower-case key first,
 * then the first other spelling in the payload's order.
 */
function paramOf(params: Record<string, unknown>, name: string): unknown {
  const key = Object.keys(params).find((k) => k !== name && k.toLowerCase() === name);
  return params[name] ?? (key === undefined ? undefined : params[key]);
}

/** The close of a socket that sent no credentials: what to send instead. */
const CREDENTIALS_REQUIRED = { code: SocketClose.UNAUTHORIZED, reason: 'credentials required: connectionParams.authorization "Bearer <JWT>" or x-api-key' };

/** The close a refused credential gets: what the client should do is in the reason. */
function credentialClose(error: unknown): { code: number; reason: string } | undefined {
  const code = (error as GraphQLError)?.extensions?.code;
  if (code !== ErrorCode.UNAUTHENTICATED) return undefined;
  const message = (error as Error).message;
  if (/expired/i.test(message)) return { code: SocketClose.UNAUTHORIZED, reason: 'token expired' };
  return { code: SocketClose.UNAUTHORIZED, reason: reasonOf(message) };
}

/**
 * How a session end closes a socket of `caller` whose customer's stream stood at `seenSeq` when it
 * connected, or undefined when the end is not theirs: a customer's close at or before `seenSeq`
 * committed before the socket connected (the account was reopened since).
 */
function endOf(ended: SessionEnd, caller: Caller, seenSeq: number | undefined): { code: number; reason: string } | undefined {
  if (ended.kind === 'customer' && caller.kind === 'customer' && caller.customerId === ended.customerId && (seenSeq ?? 0) < ended.seq) {
    return { code: SocketClose.FORBIDDEN, reason: 'account closed' };
  }
  if (ended.kind === 'partner' && caller.kind === 'partner' && caller.partnerId === ended.partnerId) return { code: SocketClose.UNAUTHORIZED, reason: 'API key revoked' };
  return undefined;
}

/** GraphQL documents already parsed and validated, by text: ten thousand subscribers of one operation share one AST. */
class DocumentCache {
  private readonly entries = new Map<string, { document?: DocumentNode; errors?: readonly GraphQLError[] }>();
  constructor(private readonly max = 500) {}

  get(text: string, compute: () => { document?: DocumentNode; errors?: readonly GraphQLError[] }) {
    let entry = this.entries.get(text);
    if (entry) {
      this.entries.delete(text);
    } else {
      entry = compute();
      if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value!);
    }
    this.entries.set(text, entry);
    return entry;
  }
}

/** A GraphQL error as HTTP would code it: graphql-js leaves parse, validation and variable errors without one. */
function coded(error: GraphQLError, code: string): GraphQLError {
  if (error.extensions?.code) return error;
  return new GraphQLError(error.message, { nodes: error.nodes, source: error.source, positions: error.positions, path: error.path, originalError: error.originalError, extensions: { ...error.extensions, code } });
}

/**
 * graphql-ws on /graphql: sessions whose credentials are checked at connect and for as long as the
 * socket lives, the same refusals and error codes as over HTTP, and the limits of WS_* settings.
 *
 * - Connect: `connectionParams.authorization` (Bearer JWT) or `connectionParams['x-api-key']`.
 *   None, bad, expired or revoked: closed 4401 with the reason, a point of the client IP's anonymous
 *   budget taken as for such an HTTP request (past it, 4429 with when to try again); over
 *   WS_MAX_SOCKETS_PER_CALLER: 4429. A token is taken until `exp` plus the leeway HTTP allows.
 * - While open: closed 4401 "token expired" at the token's `exp` (a timer armed by the periodic
 *   sweep for tokens expiring before the next one), 4403 "account closed" when staff close the
 *   customer, 4401 "API key revoked" when the partner's key is revoked: at once on every instance,
 *   driven by the change's own outbox event (`recordSessionEnd`, read by each relay), and, for a
 *   closure that wrote no event (SQL by hand), by the sweep every WS_SESSION_RECHECK_MS, one
 *   query for all sockets of the instance.
 * - Each operation: credentials and rate limit again, trusted documents (partners, PERSISTED_ONLY),
 *   document size, tokens, depth/aliases/directives, cost, variables: the codes HTTP answers.
 * - Subscriptions and queries only: a mutation is refused MUTATION_OVER_WEBSOCKET (a retrying
 *   client would resend it after a reconnect; docs/decisions.md, "The network edge").
 */
export function startSubscriptionServer(deps: SubscriptionServerDeps) {
  const { config, orm, clock, log, hub, auth, rateLimits, persisted, schema } = deps;
  const documents = new DocumentCache();
  const sessions = new Set<Session>();
  const socketsByCaller = new Map<string, number>();
  /** Operations close() waits for: each in its checks (onSubscribe), and each query or mutation until its result is sent. */
  let inFlight = 0;
  let drained: (() => void) | undefined;
  /** Set once `close` has begun: operations and connections read from then on are refused, as HTTP refuses requests (HttpDrain). */
  let closing = false;

  const wsServer = new WebSocketServer({
    // Upgrades come through `deps.upgrades` (below), not a listener of ws's own on the HTTP server.
    noServer: true,
    path: '/graphql',
    // ws closes the socket (1009) on a larger frame, before reading it, whoever sent it.
    maxPayload: config.ws.maxPayloadBytes,
    // Every close the gateway sends (4401, 4408, 1007, 1013, …), not only the connect budget's and
    // the shutdown's. ws (8.23 here) has the option; @types/ws does not declare it.
    ...({ closeTimeout: CLOSE_HANDSHAKE_MS } as object),
    // Connection attempts count per client IP before the upgrade. Over budget, the upgrade is taken
    // and closed at once (below): a refused upgrade (HTTP 429) reaches a WebSocket client as an
    // error event, not a close, and graphql-ws clients then stop retrying for good (ws-12).
    verifyClient: (info, done) => {
      rateLimits.connectionAttempt(deps.proxies.clientIp(info.req)).then(
        (retryAfter) => {
          if (retryAfter !== undefined) overBudget.set(info.req, retryAfter);
          done(true);
        },
        () => done(true),
      );
    },
  });

  // The WebSocket server answers the upgrades the HTTP server's dispatcher is handed, until `close`.
  const unplugUpgrades = deps.upgrades.handle((req, socket, head) =>
    wsServer.handleUpgrade(req, socket, head, (client, request) => wsServer.emit('connection', client, request)),
  );
  // ws on a server of its own (`server:`) passed that server's 'error' on to itself, and graphql-ws's
  // listener then closes every socket 1011: kept as it was, until `close`, for a server that listens.
  // A listen that fails (the port taken since the start-up's check) is the start's failure, which
  // `startGateway` rejects with and run-gateway says in one line: passed on, it also printed
  // graphql-ws's "Internal error emitted on the WebSocket server. Please check your implementation."
  // and the stack on stderr first (lifecycle-22). graphql-ws listens `once`: a later error, with
  // nobody listening on the WebSocket server, would throw out of the HTTP server's emit, so it is
  // logged instead.
  const passError = (error: Error) => {
    if (!deps.httpServer.listening) return;
    if (wsServer.listenerCount('error') > 0) wsServer.emit('error', error);
    else log.error({ err: error }, 'HTTP server error');
  };
  deps.httpServer.on('error', passError);

  if (deps.socketClosed) {
    const told = deps.socketClosed;
    wsServer.on('connection', (socket: WebSocket) => socket.once('close', (code: number) => told(code)));
  }

  /** Upgrades past RATE_LIMIT_WS_CONNECT, with the seconds until the window frees up. */
  const overBudget = new WeakMap<IncomingMessage, number>();
  // Ahead of graphql-ws's own handler: such a socket is closed 1013 "try again in N s", which
  // graphql-ws clients retry with their back-off, before any message of it is read (no database
  // work); a peer that does not answer the close is cut after CLOSE_HANDSHAKE_MS (`closeTimeout`).
  wsServer.prependListener('connection', (socket: WebSocket, request: IncomingMessage) => {
    const retryAfter = overBudget.get(request);
    if (retryAfter === undefined) return;
    socket.close(SocketClose.TRY_AGAIN_LATER, `too many connection attempts from this address: try again in ${retryAfter} s`);
  });

  const close = (session: Session, code: number, reason: string) => {
    if (session.socket.readyState === WebSocket.OPEN || session.socket.readyState === WebSocket.CONNECTING) session.socket.close(code, reason);
  };

  const armExpiry = (session: Session, horizon: number) => {
    if (session.acceptedUntil === undefined || session.expiryTimer || session.acceptedUntil > horizon) return;
    session.expiryTimer = setTimeout(() => close(session, SocketClose.UNAUTHORIZED, 'token expired'), Math.max(0, session.acceptedUntil - Date.now()));
    session.expiryTimer.unref();
  };

  /** Closes the sockets of customers closed by staff and of revoked API keys; arms expiry timers due before the next sweep (the interval arms them too, whether or not a sweep is running). */
  const sweep = async () => {
    const horizon = Date.now() + config.ws.sessionRecheckMs;
    const customers = new Map<number, Session[]>();
    const partners = new Map<number, Session[]>();
    for (const session of sessions) {
      armExpiry(session, horizon);
      const { caller } = session;
      if (caller.kind === 'customer') customers.set(caller.customerId, [...(customers.get(caller.customerId) ?? []), session]);
      if (caller.kind === 'partner') partners.set(caller.partnerId, [...(partners.get(caller.partnerId) ?? []), session]);
    }
    if (!customers.size && !partners.size) return;
    const em = requestEntityManager(orm);
    const [closed, revoked] = await Promise.all([
      customers.size ? query<{ id: string }>(em, sql`select id from customer where id = any(${idList([...customers.keys()])}) and status = 'CLOSED'`) : [],
      partners.size ? query<{ id: string }>(em, sql`select id from partner where id = any(${idList([...partners.keys()])}) and revoked_at is not null`) : [],
    ]);
    for (const row of closed) for (const s of customers.get(Number(row.id)) ?? []) close(s, SocketClose.FORBIDDEN, 'account closed');
    for (const row of revoked) for (const s of partners.get(Number(row.id)) ?? []) close(s, SocketClose.UNAUTHORIZED, 'API key revoked');
  };
  /**
   * The issuer's key set changed (JWT_JWKS_URL): every session's token is verified again, and one
   * that no longer checks out (its key withdrawn) is closed 4401 before the request that brought
   * the new set is answered (break38 live: such a socket streamed until its token's exp, days). A
   * token that cannot be decided now (the keys unavailable) keeps its session, as a request with it
   * would be answered "try again".
   */
  const stopKeyWatch = auth.onKeysChanged(async () => {
    await Promise.all(
      [...sessions].map(async (session) => {
        const token = /^Bearer\s+(\S+)$/i.exec(String(session.credentials.authorization ?? '').trim())?.[1];
        if (!token) return;
        try {
          await auth.reverifyToken(token);
        } catch (error) {
          if ((error as { extensions?: { code?: unknown } }).extensions?.code === 'UNAUTHENTICATED') close(session, SocketClose.UNAUTHORIZED, 'token no longer valid: its signing key was withdrawn');
        }
      }),
    );
  });

  let sweeping: Promise<void> | undefined;
  const sweepTimer = setInterval(() => {
    // Expiry needs no database: armed on every tick, also while a slow sweep still waits on it
    // (a table lock, a saturated pool), so no token outlives its exp on an open socket.
    const horizon = Date.now() + config.ws.sessionRecheckMs;
    for (const session of sessions) armExpiry(session, horizon);
    if (sweeping) return;
    sweeping = sweep()
      .catch((error: unknown) => log.warn({ err: error }, 'could not re-check WebSocket sessions'))
      .finally(() => (sweeping = undefined));
  }, config.ws.sessionRecheckMs);
  sweepTimer.unref();

  /**
   * Session ends heard while a socket connects, one list per connecting socket: from before its
   * credentials are read until it is a session. An end the relay hands over in between (committed
   * after the read, heard before the socket was in `sessions`) passed it by, and the socket of a
   * customer closed meanwhile stayed open until the sweep (hostile pass 12).
   */
  const connecting = new Set<SessionEnd[]>();

  // A customer closed or a key revoked anywhere: the relay hands this instance the change's own
  // event (src/events/hub.ts has already ended the customer's subscriptions), and its sockets close.
  const unwatch = hub.watchSessions({
    active: () => sessions.size > 0 || connecting.size > 0,
    end: (ended) => {
      for (const heard of connecting) heard.push(ended);
      for (const session of sessions) {
        const closing = endOf(ended, session.caller, session.seenSeq);
        if (closing) close(session, closing.code, closing.reason);
      }
    },
  });

  const forget = (session: Session | undefined) => {
    if (!session || !sessions.delete(session)) return;
    clearTimeout(session.expiryTimer);
    const left = (socketsByCaller.get(session.key) ?? 1) - 1;
    if (left > 0) socketsByCaller.set(session.key, left);
    else socketsByCaller.delete(session.key);
  };

  /**
   * The operation's context: credentials and rate limit again, as for an HTTP request. Credentials
   * that no longer hold (a revoked key, a closed account) close the socket at once, ending its
   * subscriptions too rather than at the next sweep, and count against the client's IP as a failed
   * HTTP request does.
   */
  const operationContext = async (session: Session): Promise<SocketOperationCtx> => {
    let caller: Caller;
    try {
      ({ caller } = await auth.authenticate(session.credentials, requestEntityManager(orm)));
    } catch (error) {
      const refused = credentialClose(error);
      if (!refused) throw error;
      const charged = await chargedRefusal(session.ip, refused);
      // After the refusal is on its way (graphql-ws sends it in the microtasks that follow).
      setImmediate(() => close(session, charged.close.code, charged.close.reason));
      // Over the budget the operation is answered RATE_LIMITED, as HTTP answers 429.
      throw charged.limited ?? error;
    }
    await rateLimits.take(caller, session.ip);
    let em: Ctx['em'] | undefined;
    let loaders: Loaders | undefined;
    const ctx: SocketOperationCtx = {
      caller,
      clock,
      config,
      log,
      events: hub,
      socket: {
        slowConsumer: () => {
          closeHandshakeBound(session.socket, SLOW_CONSUMER_CLOSE_MS);
          close(session, SocketClose.SLOW_CONSUMER, `slow consumer: over ${config.events.subscriberQueue} events waiting; resume with after`);
        },
      },
      get em() {
        return (em ??= requestEntityManager(orm));
      },
      get loaders() {
        return (loaders ??= new Loaders(ctx.em, caller, clock, config));
      },
      releaseUnitOfWork() {
        em = undefined;
        loaders = undefined;
      },
    };
    return ctx;
  };

  /**
   * An operation's errors as HTTP would answer them. A socket has no HTTP request, hence no request
   * id in scope: each result that masks an internal error gets an id of its own, carried by the
   * answer and by the log line, so a user's report finds the line as over HTTP.
   */
  const clean = (errors: readonly GraphQLError[]) => {
    let requestId: string | undefined;
    const logInternal = (err: unknown) => log.error({ err, requestId: (requestId ??= randomUUID()) }, 'internal error');
    return errors.map((e) => {
      const formatted = formatError(e.toJSON(), e, logInternal, deps.formatOptions);
      if (formatted.extensions?.code !== ErrorCode.INTERNAL_SERVER_ERROR) return formatted;
      return { ...formatted, extensions: { ...formatted.extensions, requestId: (requestId ??= randomUUID()) } };
    });
  };
  const refusal = (message: string, code: string) => [new GraphQLError(message, { extensions: { code } })];
  const operationEnded = () => {
    inFlight--;
    if (inFlight === 0) drained?.();
  };

  const clientIp = (request: IncomingMessage | undefined): string | undefined => (request ? deps.proxies.clientIp(request) : undefined);

  /**
   * Takes a point of `ip`'s anonymous budget (RATE_LIMIT_ANONYMOUS, shared with HTTP) for a socket
   * whose credentials failed or were none, as an HTTP request without valid credentials takes one.
   * `close` is the close to send: `refused` itself, or past the budget 4429 "rate limited: try again
   * in N s" (HTTP answers 429 with Retry-After there), with the RATE_LIMITED error as `limited`. A
   * socket with no known address (none in the upgrade) is not counted.
   */
  const chargedRefusal = async (ip: string | undefined, refused: { code: number; reason: string }): Promise<{ close: { code: number; reason: string }; limited?: GraphQLError }> => {
    if (ip === undefined) return { close: refused };
    try {
      await rateLimits.take({ kind: 'anonymous' }, ip);
      return { close: refused };
    } catch (error) {
      const retryAfter = (error as GraphQLError)?.extensions?.retryAfter;
      if (retryAfter === undefined) throw error;
      return { close: { code: SocketClose.RATE_LIMITED, reason: `rate limited: try again in ${String(retryAfter)} s` }, limited: error as GraphQLError };
    }
  };

  /**
   * The close of a socket whose connection failed with `error`: the credential's refusal (4401), a
   * database that did not answer in time or a token whose issuer's keys could not be fetched (1013,
   * retried by clients; the database's logged as HTTP logs it), or an
   * internal error (4500, logged).
   */
  const connectRefusal = (error: unknown): { code: number; reason: string } => {
    const refused = credentialClose(error);
    if (refused) return refused;
    // JWT_JWKS_URL's keys could not be fetched (src/http/jwks.ts): the token may be good, so "retry", not 4401
    if ((error as GraphQLError)?.extensions?.code === ErrorCode.SERVICE_UNAVAILABLE) {
      return { code: SocketClose.TRY_AGAIN_LATER, reason: `token keys unavailable: try again in ${UNAVAILABLE_RETRY_AFTER_SECONDS} s` };
    }
    const unavailable = databaseUnavailable(error);
    if (unavailable) {
      deps.formatOptions.onUnavailable?.(unavailable, error);
      // The seconds HTTP's Retry-After gives, in the one place a socket's client can read them.
      return { code: SocketClose.TRY_AGAIN_LATER, reason: `database unavailable: try again in ${UNAVAILABLE_RETRY_AFTER_SECONDS} s` };
    }
    log.error({ err: error }, 'could not check WebSocket credentials');
    return { code: CloseCode.InternalServerError, reason: 'Internal server error' };
  };

  /** A socket's connection: its credentials and, for a customer, status and stream position; false when refused (the socket is closed with the reason). */
  const connect = async (ctx: SocketCtx, heard: readonly SessionEnd[]): Promise<boolean> => {
    const { socket, request } = ctx.extra;
    const params = ctx.connectionParams ?? {};
    // The other params too, so that a key sent under another name (`api-key`, `apiKey`) is told
    // where it goes, as over HTTP (break36c; parity-12): authenticate reads only these two otherwise.
    const credentials = { ...params, authorization: paramOf(params, 'authorization'), 'x-api-key': paramOf(params, 'x-api-key') };
    let authenticated;
    // The issuer's keys as of the credentials' check: changed before the socket is a session, the
    // key watch judged the sessions without it (see below).
    let keysSeen = auth.keysGeneration;
    try {
      authenticated = await auth.authenticate(credentials, requestEntityManager(orm));
    } catch (error) {
      const refused = connectRefusal(error);
      // Failed credentials count on the client IP's anonymous budget, as over HTTP: a socket gave a
      // guesser a second budget (WS connects) beside HTTP's. Over it, the refusal HTTP answers.
      const closing = refused.code === SocketClose.UNAUTHORIZED ? (await chargedRefusal(clientIp(request), refused)).close : refused;
      socket.close(closing.code, closing.reason);
      return false;
    }
    // No credentials at all: a point of the same budget, as an anonymous HTTP request takes one
    // (parity-12; before, a socket without credentials cost only a connection attempt).
    if (authenticated.caller.kind === 'anonymous') {
      const closing = (await chargedRefusal(clientIp(request), CREDENTIALS_REQUIRED)).close;
      socket.close(closing.code, closing.reason);
      return false;
    }
    // Where the customer's stream stood, with their status, in one snapshot: a close that
    // committed later (seq past this) closes the socket; one before it was undone by a reopen.
    let seenSeq: number | undefined;
    if (authenticated.caller.kind === 'customer') {
      let now: { status: string; seq: string | null } | undefined;
      try {
        [now] = await query<{ status: string; seq: string | null }>(
          requestEntityManager(orm),
          sql`select c.status, s.last_seq as seq from customer c left join event_stream s on s.customer_id = c.id where c.id = ${authenticated.caller.customerId}`,
        );
      } catch (error) {
        const refused = connectRefusal(error);
        socket.close(refused.code, refused.reason);
        return false;
      }
      if (!now || now.status === 'CLOSED') {
        socket.close(SocketClose.FORBIDDEN, 'account closed');
        return false;
      }
      seenSeq = Number(now.seq ?? 0);
    }
    // A close or a revocation that committed after those reads and was heard while they ran.
    for (const ended of heard) {
      const closing = endOf(ended, authenticated.caller, seenSeq);
      if (closing) {
        socket.close(closing.code, closing.reason);
        return false;
      }
    }
    // The issuer's key set changed while this connected: its token is judged by the new keys, as the
    // key watch judged the open sessions (break38b live: a token of a withdrawn key, verified by the
    // old keys, opened a socket the watch never saw). Until no change comes in between, then the
    // session is added with no await: a change after it is the watch's.
    const bearer = /^Bearer\s+(\S+)$/i.exec(String(credentials.authorization ?? '').trim())?.[1];
    while (bearer && auth.keysGeneration !== keysSeen) {
      keysSeen = auth.keysGeneration;
      try {
        await auth.reverifyToken(bearer);
      } catch (error) {
        const refused = connectRefusal(error);
        socket.close(refused.code, refused.code === SocketClose.UNAUTHORIZED ? 'token no longer valid: its signing key was withdrawn' : refused.reason);
        return false;
      }
    }
    // The client may have gone while its credentials were checked: graphql-ws has forgotten it then.
    if (socket.readyState !== WebSocket.OPEN) return false;
    const key = callerKey(authenticated.caller)!;
    const open = socketsByCaller.get(key) ?? 0;
    if (open >= config.ws.maxSocketsPerCaller) {
      socket.close(SocketClose.TOO_MANY_SOCKETS, `too many sockets: at most ${config.ws.maxSocketsPerCaller} per caller`);
      return false;
    }
    const headerName = request?.headers['apollographql-client-name'];
    // The client names itself in connectionParams (`clientName`, as the web apps send it, or the
    // HTTP header's name) or in the upgrade request's header.
    const fromParams = params.clientName ?? paramOf(params, 'apollographql-client-name');
    const named = typeof fromParams === 'string' ? fromParams : headerName;
    const session: Session = {
      socket,
      key,
      caller: authenticated.caller,
      // the two it is re-checked with, not every param the client sent
      credentials: { authorization: credentials.authorization, 'x-api-key': credentials['x-api-key'] },
      ip: clientIp(request) ?? 'unknown',
      clientName: typeof named === 'string' && CLIENT_NAME.test(named) ? named : undefined,
      acceptedUntil: authenticated.acceptedUntil,
      seenSeq,
    };
    // Its token lapsed while the connect read the database (the same instant HTTP stops taking it).
    if (session.acceptedUntil !== undefined && session.acceptedUntil <= Date.now()) {
      socket.close(SocketClose.UNAUTHORIZED, 'token expired');
      return false;
    }
    socketsByCaller.set(key, open + 1);
    sessions.add(session);
    armExpiry(session, Date.now() + config.ws.sessionRecheckMs);
    ctx.extra.session = session;
    // The upgrade request is not needed any more: an idle socket should hold as little as it can.
    delete ctx.extra.request;
    return true;
  };

  /**
   * An operation's execution arguments once every check of HTTP's has passed (credentials and rate
   * limit, trusted documents, size, tokens, validation, operation type, variables, cost), or the
   * errors refusing it. Throws what it could not decide (a database error): see onSubscribe.
   */
  const prepare = async (ctx: SocketCtx, id: string, payload: SubscribePayload): Promise<ExecutionArgs | readonly GraphQLError[]> => {
    const session = ctx.extra.session!;
    // A number JSON's double does not hold as written, marked when the message was parsed
    // (markInexactNumbers): refused first, as HTTP refuses the body, not run as another value.
    const inexact = inexactNumberIn(payload);
    if (inexact) {
      const field = inexactField(inexact.path);
      return [new GraphQLError(inexactNumberMessage(inexact), { extensions: { code: ErrorCode.BAD_USER_INPUT, ...(field ? { field } : {}) } })];
    }
    if (Object.keys(ctx.subscriptions).length > config.ws.maxSubscriptionsPerSocket) {
      return refusal(`At most ${config.ws.maxSubscriptionsPerSocket} operations may run at once on one socket.`, ErrorCode.TOO_MANY_SUBSCRIPTIONS);
    }
    const context = await operationContext(session);
    // The text sent, once its caller has paid the rate-limit point, as over HTTP (`textTooLong`).
    const tooLong = textTooLong(payload.query, config.limits.maxDocumentBytes);
    if (tooLong) return [new QueryTooComplexError(tooLong)];
    // Trusted documents, decided before any text is parsed (as over HTTP); a hash-only request sends `query: ""`.
    const persistedQuery = (payload.extensions as Record<string, unknown> | undefined)?.persistedQuery;
    const decision = await decide(persisted, context.em, deps.trustedCaller(context, session.clientName), {
      query: persistedQuery !== undefined && payload.query === '' ? undefined : payload.query,
      extensions: payload.extensions,
    });
    if (decision.kind === 'refuse') return refusal(decision.message, decision.code);
    const text = decision.query as string;
    // No text and no stored document: Apollo's refusal over HTTP, word for word (the socket parsed
    // the empty text: GRAPHQL_PARSE_FAILED "Unexpected <EOF>"; edges-12d).
    if (!text) return refusal(NO_DOCUMENT_MESSAGE, 'BAD_REQUEST');
    const { document, errors } = documents.get(text, () => {
      let parsed: DocumentNode;
      try {
        parsed = parse(text, { maxTokens: config.limits.maxTokens });
      } catch (error) {
        return { errors: [coded(error as GraphQLError, 'GRAPHQL_PARSE_FAILED')] };
      }
      const invalid = validate(schema, parsed, deps.validationRules);
      return invalid.length ? { errors: invalid.map((e) => coded(e, 'GRAPHQL_VALIDATION_FAILED')) } : { document: parsed };
    });
    if (!document) return errors!;
    const operation = getOperationAST(document, payload.operationName ?? undefined) as OperationDefinitionNode | null;
    if (!operation) {
      const message = payload.operationName ? `Unknown operation named "${payload.operationName}".` : 'Must provide operation name if query contains multiple operations.';
      return refusal(message, 'OPERATION_RESOLUTION_FAILURE');
    }
    // graphql-ws clients resend an operation whose result had not come when the socket dropped,
    // and most mutations carry no idempotency key: one sent here could run twice. Queries and
    // subscriptions change nothing, so running one again is harmless.
    if (operation.operation === 'mutation') return refusal(MUTATION_OVER_WEBSOCKET_MESSAGE, ErrorCode.MUTATION_OVER_WEBSOCKET);
    const variables = getVariableValues(schema, operation.variableDefinitions ?? [], (payload.variables ?? {}) as Record<string, unknown>);
    if (variables.errors) return variables.errors.map((e) => coded(e, ErrorCode.BAD_USER_INPUT));
    const tooCostly = checkCost(schema, document, operation, payload.variables ?? undefined, { maxCost: config.limits.maxCost, maxPageSize: config.maxPageSize });
    if (tooCostly) return [tooCostly];
    if (decision.remember) await mayWrite(() => persisted.rememberApq(context.em, decision.remember!.hash, decision.remember!.body, clock.now())).catch((e: unknown) => log.error({ err: e }, 'could not remember an APQ document'));
    if (operation.operation !== 'subscription') {
      inFlight++;
      (session.running ??= new Set()).add(id);
    }
    return { schema, document, operationName: payload.operationName, variableValues: payload.variables, contextValue: context };
  };

  const cleanup = useServer<Record<string, unknown> | undefined, Extra>(
    {
      schema,
      // Every message is parsed with each number's source text at hand, so a number that would
      // change on parsing (4.500000000000000001 read as 4.5) is refused as over HTTP (`prepare`).
      jsonMessageReviver: markInexactNumbers as (key: string, value: unknown) => unknown,
      onConnect: async (ctx: SocketCtx) => {
        // Its connection_init came in a frame that is not UTF-8 (closed below): not read as credentials.
        if (ctx.extra.socket.readyState !== WebSocket.OPEN) return false;
        // A socket upgraded on an HTTP connection kept open into the shutdown: told to go elsewhere
        // before its credentials are read, as HTTP refuses a request read then.
        if (closing) {
          ctx.extra.socket.close(SocketClose.GOING_AWAY, SHUTTING_DOWN_REASON);
          return false;
        }
        const heard: SessionEnd[] = [];
        connecting.add(heard);
        try {
          return await connect(ctx, heard);
        } finally {
          connecting.delete(heard);
        }
      },
      onClose: (ctx: SocketCtx) => {
        const session = ctx.extra.session;
        for (const _ of session?.running ?? []) operationEnded();
        if (session) session.running = undefined;
        forget(session);
      },
      onSubscribe: async (ctx: SocketCtx, id, payload): Promise<ExecutionArgs | readonly GraphQLError[]> => {
        // A frame that is not UTF-8 closed the socket (below); what graphql-ws read of it does not run.
        if (ctx.extra.socket.readyState !== WebSocket.OPEN) return refusal('The message is not valid UTF-8 text.', 'BAD_REQUEST');
        // During shutdown's grace period: refused before any work (no credentials read, no rate
        // point), as HTTP answers 503 SHUTTING_DOWN; operations already running finish (edges-12d:
        // an open socket took new operations until its 1001).
        if (closing) return refusal(SHUTTING_DOWN_MESSAGE, ErrorCode.SHUTTING_DOWN);
        // Taken: counted in flight from here, not only once its checks pass (`prepare` counts a query
        // or mutation for its execution), so a shutdown beginning while it awaits its credentials, rate
        // point or trusted document waits for its answer instead of closing the socket 1001 under it
        // (break-12j: it ran after the close, its answer lost, on handlers being stopped).
        inFlight++;
        try {
          return await prepare(ctx, id, payload);
        } catch (error) {
          // Thrown here, graphql-ws closed the whole socket with 4500 (which its clients do not
          // retry), ending every other subscription on it: a database bound that cut the operation's
          // credential check did that (hostile pass 12c). The operation's error instead, formatted
          // by onError as every other (SERVICE_UNAVAILABLE, or INTERNAL_SERVER_ERROR with an id).
          if (error instanceof GraphQLError) return [error];
          return [new GraphQLError((error as Error)?.message ?? String(error), { originalError: error as Error })];
        } finally {
          operationEnded();
        }
      },
      onOperation: (_ctx, _id, _payload, args) => {
        // A subscription's checks (resume point, currency) are done: an idle subscriber holds no unit of work.
        (args.contextValue as SocketOperationCtx).releaseUnitOfWork?.();
        return undefined;
      },
      onComplete: (ctx: SocketCtx, id) => {
        // A query or mutation's result has been sent: it no longer holds up a shutdown.
        if (ctx.extra.session?.running?.delete(id)) operationEnded();
      },
      onError: (_ctx, _id, _payload, errors) => clean(errors) as unknown as GraphQLError[],
      onNext: (_ctx, _id, _payload, args, result) => {
        // Each event of a subscription reads through a unit of work of its own.
        (args.contextValue as SocketOperationCtx).releaseUnitOfWork?.();
        return (result.errors?.length ? { ...result, errors: clean(result.errors) } : result) as typeof result;
      },
    },
    wsServer,
    // graphql-ws pings every socket this often and terminates one whose pong has not come as long after.
    config.ws.keepAliveMs,
  );

  // A client's protocol error (an oversized frame: ws has already closed the socket with 1009) is
  // not the server's: graphql-ws would print it to stderr as an internal error and close again with 4500.
  wsServer.on('connection', (socket: WebSocket) => {
    // Mutations are refused over sockets: what each message starts (the connection's and each
    // operation's credentials, a subscription's checks, a query, the reads of every event) is
    // reads, and a read that meets a dead pooled connection is sent again (pool-12).
    // A message's leading byte order mark is dropped before anyone reads it (graphql-ws's JSON.parse
    // closed the socket 4400 for one), as HTTP drops it from a body: one rule, `dropByteOrderMark`.
    const emit = socket.emit;
    socket.emit = (...args: Parameters<WebSocket['emit']>) => {
      if (args[0] === 'message' && Buffer.isBuffer(args[1])) args[1] = dropByteOrderMark(args[1]);
      return readsUntilToldOtherwise(() => emit.apply(socket, args));
    };
    // Ahead of graphql-ws's own listener, which reads a binary frame with String(buffer): a frame
    // that is not UTF-8 closes the socket as ws closes a text frame with such bytes, and graphql-ws's
    // handling of it stops at the closed socket (onConnect, onSubscribe).
    socket.prependListener('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
      if (!isBinary) return;
      const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
      if (!isUtf8(bytes)) socket.close(SocketClose.NOT_UTF8, 'The message is not valid UTF-8 text.');
    });
    socket.removeAllListeners('error');
    socket.on('error', (error: Error & { code?: string }) => log.debug({ err: error }, 'WebSocket protocol error from a client'));
  });

  return {
    /** Sockets open on this instance whose connection was accepted (credentials checked). */
    sessionCount: () => sessions.size,
    /** WebSocket connections open on this instance, those still connecting included. */
    socketCount: () => wsServer.clients.size,
    /** Re-checks every session now (the periodic sweep's work). */
    recheck: () => sweep(),
    /**
     * Shutdown: from now on refuses new operations (SHUTTING_DOWN) and connections (1001), waits
     * (at most `graceMs`) for queries and mutations running over sockets, then closes every socket
     * with 1001 "going away" and stops the WebSocket server.
     */
    async close(graceMs = 10_000): Promise<void> {
      closing = true;
      clearInterval(sweepTimer);
      stopKeyWatch();
      unwatch();
      if (inFlight > 0) {
        await new Promise<void>((resolve) => {
          drained = resolve;
          setTimeout(resolve, graceMs).unref();
        });
      }
      // Sends every socket 1001 and resolves once all have closed. A peer that vanished never answers
      // the close frame: ws waits 30 s for it, and so did the shutdown, for its whole grace period
      // (hostile pass 12c). Healthy peers answer within a round trip; what is left after
      // CLOSE_HANDSHAKE_MS is cut.
      const disposed = cleanup.dispose();
      // The WebSocket server takes no more upgrades: unplugged, the dispatcher leaves the HTTP server
      // (its watchers only watch what ws answers), so node reads an upgrade request as an ordinary
      // request, which the shutdown refuses 503 SHUTTING_DOWN like any other (break-19: left on, nobody
      // answered it). Only the gateway's own listeners go; anyone else's stay (lifecycle-21).
      unplugUpgrades();
      deps.httpServer.off('error', passError);
      for (const session of sessions) clearTimeout(session.expiryTimer);
      const open = [...wsServer.clients].filter((socket) => socket.readyState !== WebSocket.CLOSED);
      if (open.length) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          Promise.all(open.map((socket) => new Promise<void>((resolve) => (socket.readyState === WebSocket.CLOSED ? resolve() : socket.once('close', () => resolve()))))),
          new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_HANDSHAKE_MS))),
        ]);
        clearTimeout(timer);
        for (const socket of open) socket.terminate();
      }
      await disposed;
    },
  };
}
