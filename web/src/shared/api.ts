/**
 * The apps' GraphQL client: Apollo Client over HTTP for queries and mutations, graphql-ws for the
 * member's live events. Every operation is sent as a trusted document: only its id (the SHA-256
 * GraphQL Code Generator put in the document's `__meta__.hash`), never its text, with
 * `apollographql-client-name` naming the app's list (`web` or `console`).
 */
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from '@apollo/client';
import generatedPossibleTypes from './possible-types';
import { SetContextLink } from '@apollo/client/link/context';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { ServerError } from '@apollo/client/errors';
import { OperationTypeNode, type DocumentNode } from 'graphql';
import { createClient, type Client as WsClient } from 'graphql-ws';
import { Observable, type Subscription } from 'rxjs';
import { retryAfterOfHeader, retryAfterOfReason, retryWaitMs } from './backoff';
import { noteGatewayDate } from './gateway-time';
import { distinctPagination, keptPagination } from './pagination';
import { relayStylePagination } from '@apollo/client/utilities';
import type { AppName } from './session';

/** Codes that mean "nothing ran, send it again later" (README "The API"). */
const BUSY_CODES = new Set(['SERVICE_UNAVAILABLE', 'RATE_LIMITED', 'SHUTTING_DOWN']);
/** Attempts of one query in all (the first and its retries) before its error is shown. */
export const QUERY_ATTEMPTS = 4;

/**
 * Whether a query's answer or failure is worth sending again, and the gateway's hint (seconds):
 * a 503/429 or a busy code (its `extensions.retryAfter`, else the `Retry-After` header), or no
 * answer at all (the network). Anything else (a refusal, a fault) is shown as it is.
 */
function busyOf(outcome: { errors?: readonly { extensions?: Record<string, unknown> }[] } | undefined, error: unknown, response: Response | undefined): { hint?: number } | null {
  const header = () => retryAfterOfHeader(response?.headers);
  if (outcome) {
    const ext = outcome.errors?.[0]?.extensions;
    if (!ext || !BUSY_CODES.has(String(ext.code))) return null;
    return { hint: typeof ext.retryAfter === 'number' ? ext.retryAfter : header() };
  }
  if (ServerError.is(error)) {
    if (error.statusCode !== 503 && error.statusCode !== 429) return null;
    return { hint: retryAfterOfHeader(error.response.headers) };
  }
  return error instanceof TypeError ? {} : null; // fetch's "Failed to fetch"
}

/**
 * The operation context's key for a query whose caller retries it itself (`ownRetries: true`):
 * `retryBusyQueries` sends it once. The member shell's resume-point read loops with its own back-off
 * (break2-22): retried here as well, each of its waits was followed by a whole query's attempts
 * (QUERY_ATTEMPTS, their own back-off starting again at 1 s), four requests a cycle whose waits never
 * grew past 4 s, from every tab of every member while the gateway could not answer.
 */
export interface OwnRetriesContext {
  ownRetries?: boolean;
}

/**
 * Sends a query again when the gateway was busy or unreachable, at most QUERY_ATTEMPTS times in all,
 * each after `retryWaitMs` (capped full jitter, never sooner than the gateway's hint). Mutations
 * pass through untouched: the screen that sent one shows the problem and when to try again
 * (a purchase keeps its idempotency key for that); so do queries whose caller retries them
 * (`OwnRetriesContext`). An `OfflineError` (the browser is offline: `answerWithin`) is not a
 * TypeError and is handed to the screen at once; the client reads again on `online` (web-23).
 */
export const retryBusyQueries = new ApolloLink((operation, forward) => {
  if (operation.operationType !== OperationTypeNode.QUERY || (operation.getContext() as OwnRetriesContext).ownRetries) return forward(operation);
  return new Observable((observer) => {
    let failures = 0;
    let current: Subscription | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const later = (hint: number | undefined) => {
      current?.unsubscribe();
      timer = setTimeout(() => ((timer = undefined), attempt()), retryWaitMs(failures++, hint));
    };
    const attempt = () => {
      current = forward(operation).subscribe({
        next: (result) => {
          const busy = busyOf(result as never, undefined, operation.getContext().response as Response | undefined);
          if (busy && failures < QUERY_ATTEMPTS - 1) return later(busy.hint);
          observer.next(result);
        },
        error: (error: unknown) => {
          const busy = busyOf(undefined, error, undefined);
          if (busy && failures < QUERY_ATTEMPTS - 1) return later(busy.hint);
          observer.error(error);
        },
        complete: () => {
          if (timer === undefined) observer.complete();
        },
      });
    };
    attempt();
    return () => {
      clearTimeout(timer);
      current?.unsubscribe();
    };
  });
});

/** The operation context's key for `answerWithin`: milliseconds each attempt may wait for its answer (overrides the defaults below). */
export interface AnswerWithinContext {
  answerWithinMs?: number;
}

/**
 * How long one attempt of a query waits for its answer by default (milliseconds; `answerWithin`).
 * Longer than the gateway's own bound on a statement (DB_STATEMENT_TIMEOUT_MS 15 s + the 2 s
 * client margin, src/config.ts): a gateway that is slow but working answers (503 with
 * `Retry-After` at worst) before this, so only a request the network left hanging is given up.
 */
export const QUERY_ANSWER_WITHIN_MS = 20_000;
/**
 * How long a mutation waits for its answer by default (milliseconds; `answerWithin`). A mutation is
 * never sent again by the app: given up, its outcome is unknown (`NoAnswerError`), and the screen
 * says so and lets the member or operator send it again (with the same idempotency key where it
 * takes one). Longer than a query's: a write may wait on row locks in more than one statement.
 */
export const MUTATION_ANSWER_WITHIN_MS = 30_000;

/**
 * Why a write's answer never came, so its outcome is unknown (the request may have reached the
 * gateway and run): `timeout`, no answer within its wait (web-22); `cut`, fetch failed ("Failed to
 * fetch": the connection broke or was refused; the app cannot tell whether the request had left,
 * web-23); `offline`, the browser went offline while it waited (web-23).
 */
export type NoAnswerReason = 'timeout' | 'cut' | 'offline';

/**
 * An attempt that got no answer: given up by `answerWithin` (no answer, not even headers, within its
 * wait, or the browser went offline meanwhile), or a mutation whose fetch failed. A TypeError (as
 * fetch's "Failed to fetch"), so `retryBusyQueries` sends a query again as for a network failure.
 * For a mutation the request may have reached the gateway and run: `problemOf` reads it as
 * OUTCOME_UNKNOWN, whose sentence depends on `reason` and `keyed`.
 */
export class NoAnswerError extends TypeError {
  /**
   * @param operationType the operation's kind (`query`, `mutation`)
   * @param keyed whether its variables carry `input.idempotencyKey`: sent again with the same key, it
   *   answers the first outcome and has no second effect (SPEC: "a repeat with the same key returns
   *   the first result and has no second effect, also when the two arrive at once")
   * @param reason why no answer came (NoAnswerReason)
   * @param ms the wait that passed (milliseconds; `timeout` only)
   */
  constructor(
    readonly operationType: OperationTypeNode,
    readonly keyed: boolean,
    readonly reason: NoAnswerReason = 'timeout',
    ms = 0,
  ) {
    super(reason === 'timeout' ? `No answer within ${ms / 1000} s.` : reason === 'offline' ? 'The browser went offline before the answer came.' : 'The connection failed before the answer came.');
    this.name = 'NoAnswerError';
  }
}

/**
 * A request the app did not send, or a read it gave up, because the browser is offline
 * (`navigator.onLine` false when it was to be sent, or its `offline` event while it waited; web-23).
 * Not a TypeError: `retryBusyQueries` does not send it again on its back-off (its waits, with a
 * query's answer wait, held a screen at "Loading…" for about 87 s on a dead network); the screen
 * says "offline" at once and the client reads its failed screens again on the browser's `online`
 * event (`createApi`). A mutation is failed with it only when it was never sent: one in flight
 * when the browser goes offline is a `NoAnswerError` (`offline`), its outcome unknown.
 */
export class OfflineError extends Error {
  /** @param operationType the operation's kind (`query`, `mutation`) */
  constructor(readonly operationType: OperationTypeNode) {
    super('The browser is offline.');
    this.name = 'OfflineError';
  }
}

/**
 * A request the browser refused before it went to the network (web-24): the app's fetch threw
 * (synchronously, as a wrapper an extension or a monitoring script put on `window.fetch` may), the
 * request could not be made (a header or body the browser rejects: `new Request` throws a
 * TypeError), or anything else failed before `handOver` gave it to fetch. Nothing was sent, so a
 * write's outcome is known: nothing changed (it said "not known whether this went through", as a
 * TypeError after the send does). Not a TypeError: `retryBusyQueries` does not send a read again
 * on its back-off (the same request would be refused the same way); the screen offers "Try again".
 */
export class NotSentError extends Error {
  /**
   * @param operationType the operation's kind (`query`, `mutation`)
   * @param cause what was thrown before the send
   */
  constructor(
    readonly operationType: OperationTypeNode,
    readonly cause: unknown,
  ) {
    super(`The browser refused to send the request: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'NotSentError';
  }
}

/**
 * The operation context's record of whether its request was given to the browser's fetch
 * (`handOver` sets `sent`): an error before then is `NotSentError` (or, offline, `OfflineError`),
 * after it a write's outcome is unknown. A symbol key of `fetchOptions`, which Apollo's HttpLink
 * spreads into the options it gives its `fetch`.
 */
const HANDOVER = Symbol('handover');
interface Handover {
  sent: boolean;
}

/**
 * The HttpLink's fetch: makes the `Request` first (the browser's own checks of its URL, headers and
 * body, which throw before anything leaves), checks the browser is online, then gives it to the
 * page's current `fetch` and notes that (`Handover.sent`, read by `answerWithin`). Whatever fails
 * before that is a rejection with what was thrown; `answerWithin` reads it as not sent. Each answer's
 * `Date` header is noted as the gateway's time (gateway-time.ts).
 */
function handOver(uri: RequestInfo | URL, options: RequestInit & { [HANDOVER]?: Handover } = {}): Promise<Response> {
  const { [HANDOVER]: handover, ...init } = options;
  try {
    if (browserOffline()) throw new TypeError('The browser is offline.');
    const pending = fetch(new Request(uri, init));
    if (handover) handover.sent = true;
    // every answer tells the gateway's time, by which kept idempotency keys are aged (apps-25)
    return pending.then((response) => (noteGatewayDate(response), response));
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new TypeError(String(error)));
  }
}

/** Whether the browser says it has no network at all (`navigator.onLine` false). True online means only "a network": not that the gateway answers. */
export const browserOffline = () => typeof navigator !== 'undefined' && navigator.onLine === false;

/** Whether an operation's variables carry an idempotency key (`input.idempotencyKey`, the API's shape for keyed mutations). */
const keyedOf = (variables: Record<string, unknown> | undefined) => {
  const input = variables?.input as { idempotencyKey?: unknown } | undefined;
  return typeof input?.idempotencyKey === 'string' && input.idempotencyKey !== '';
};

/**
 * A per-attempt answer wait for every query and mutation: an attempt with no answer within its wait
 * (the context's `answerWithinMs`, else QUERY_ANSWER_WITHIN_MS or MUTATION_ANSWER_WITHIN_MS) is
 * aborted with a `NoAnswerError`. `retryBusyQueries` (before it in the chain) sends a query again
 * after its wait, as for a network failure (unless the caller retries itself: `OwnRetriesContext`),
 * and after its attempts the screen shows the error with "Try again"; a mutation fails with it and
 * is not sent again. Without it a request the network left hanging (a half-open connection, a proxy
 * that holds it) held its screen at "Loading…" until the browser gave up (minutes): fetch has no
 * timeout of its own (live-22 gave one to the resume-point read only; web-22 to every operation).
 *
 * The browser's own word on its network (web-23): an operation is not sent while `navigator.onLine`
 * is false, and one waiting when the `offline` event comes is given up at once (`OfflineError`; a
 * mutation in flight: `NoAnswerError` `offline`). A mutation whose fetch fails ("Failed to fetch",
 * a TypeError) is a `NoAnswerError` `cut`: the request may have arrived, its outcome is unknown
 * (it said "The server cannot be reached", as if nothing had happened).
 */
export const answerWithin = new ApolloLink((operation, forward) => {
  const type = operation.operationType;
  if (type !== OperationTypeNode.QUERY && type !== OperationTypeNode.MUTATION) return forward(operation);
  const ms = (operation.getContext() as AnswerWithinContext).answerWithinMs ?? (type === OperationTypeNode.QUERY ? QUERY_ANSWER_WITHIN_MS : MUTATION_ANSWER_WITHIN_MS);
  const keyed = keyedOf(operation.variables);
  return new Observable((observer) => {
    if (browserOffline()) {
      observer.error(new OfflineError(type));
      return;
    }
    const controller = new AbortController();
    const handover: Handover = { sent: false };
    operation.setContext(({ fetchOptions }: { fetchOptions?: RequestInit }) => ({ fetchOptions: { ...fetchOptions, signal: controller.signal, [HANDOVER]: handover } }));
    const timer = ms ? setTimeout(() => controller.abort(new NoAnswerError(type, keyed, 'timeout', ms)), ms) : undefined;
    const wentOffline = () => controller.abort(type === OperationTypeNode.MUTATION && handover.sent ? new NoAnswerError(type, keyed, 'offline') : new OfflineError(type));
    window.addEventListener('offline', wentOffline);
    const settled = () => {
      clearTimeout(timer);
      window.removeEventListener('offline', wentOffline);
    };
    // fetch's own failure (not our abort): a write's outcome is unknown; a read with the browser
    // offline is not retried on the back-off. Before the hand-over nothing left (web-24).
    const failureOf = (error: unknown) => {
      if (error instanceof NoAnswerError || error instanceof OfflineError) return error;
      if (!handover.sent && !isHttpAnswer(error)) return browserOffline() ? new OfflineError(type) : new NotSentError(type, error);
      if (!(error instanceof TypeError)) return error;
      if (type === OperationTypeNode.MUTATION) return new NoAnswerError(type, keyed, browserOffline() ? 'offline' : 'cut');
      return browserOffline() ? new OfflineError(type) : error;
    };
    const current = forward(operation).subscribe({
      next: (result) => observer.next(result),
      error: (error: unknown) => (settled(), observer.error(failureOf(error))),
      complete: () => (settled(), observer.complete()),
    });
    return () => {
      settled();
      current.unsubscribe();
    };
  });
});

/** Whether `error` is the gateway's answer (a status and body: Apollo's ServerError, or GraphQL errors), not a failure to send. */
const isHttpAnswer = (error: unknown) => ServerError.is(error) || (typeof error === 'object' && error !== null && 'errors' in error);

/**
 * Reads again, when the browser's `online` event comes, every screen's query that failed (web-23):
 * a screen told "offline" mends itself once the network is back, without the member's "Try again".
 */
function readAgainWhenOnline(client: ApolloClient): void {
  window.addEventListener('online', () => {
    for (const query of client.getObservableQueries('active')) if (query.getCurrentResult().error) void query.refetch().catch(() => undefined);
  });
}

/**
 * Whether the gateway answered the mutation field `field` (its response name: the alias, else the
 * field's name) from an earlier request with the same key instead of running it (replay-22: the
 * response's `extensions.idempotentReplays` lists the replayed fields' paths, `[["purchaseOffer"]]`).
 * Its `data` is then the first answer's, byte for byte: what was done, and when, is the first time's.
 * @param extensions a mutation result's `extensions` (Apollo Client hands them over with `data`)
 */
export function answeredByReplay(extensions: Record<string, unknown> | undefined, field: string): boolean {
  const paths = extensions?.idempotentReplays;
  return Array.isArray(paths) && paths.some((path) => Array.isArray(path) && path.length === 1 && path[0] === field);
}

/** The operation's registered id: codegen's `sha256:<hex>` without its prefix. */
export function operationId(document: DocumentNode): string {
  const hash = (document as DocumentNode & { __meta__?: { hash?: string } }).__meta__?.hash;
  if (!hash) throw new Error('This document has no persisted id: run npm run codegen.');
  return hash.replace(/^sha256:/, '');
}

/** An Apollo Client for one app, sending the current token (read at each request). */
export function createApi(app: AppName, token: () => string | null): ApolloClient {
  const auth = new SetContextLink((previous) => {
    const current = token();
    return { headers: { ...previous.headers, 'apollographql-client-name': app, ...(current ? { authorization: `Bearer ${current}` } : {}) } };
  });
  const trusted = new PersistedQueryLink({
    generateHash: (document) => operationId(document),
    // Never fall back to sending the text: the gateway holds these clients to their lists.
    retry: () => false,
    disable: () => false,
  });
  const client = new ApolloClient({
    link: ApolloLink.from([auth, retryBusyQueries, answerWithin, trusted, new HttpLink({ uri: '/graphql', fetch: handOver })]),
    // Relay connections that screens page with fetchMore({ after }): the cache appends each page
    // (Apollo's relayStylePagination), so no screen merges edges by hand. Lists of rows that stay
    // (offers held, stores, listings, offers, the ledger) keep the pages shown after a first page
    // read again (keptPagination, break32e); lists a refresh may empty of rows further down (failed
    // deliveries, unpayable offers) and the audit log are read again from the start, as before.
    cache: new InMemoryCache({
      // the schema's interfaces and their types (generated by `npm run codegen`): a fragment on Node
      // (the console's AuditObject) applies to the Customer or Offer it reads (audit-47)
      possibleTypes: generatedPossibleTypes.possibleTypes,
      typePolicies: {
        Query: {
          fields: {
            // a list per filter (audit-46): the page of one customer's changes is not the whole log's
            auditLog: relayStylePagination(['about', 'actor', 'action', 'reason', 'from', 'to']),
            // The console's customer search: a list per search text (customer-search-40), each
            // customer once though an edit between pages moved it (hostile40).
            customers: distinctPagination(['search']),
            unpayableOffers: relayStylePagination(),
            // The console's Webhooks page (webhooks-22); without these "Show older" fetched the next
            // page into a cache entry of its own and the list stayed at its first 30 (break3-22).
            webhookEndpoints: relayStylePagination(),
            webhookDeliveries: relayStylePagination(['status', 'endpointId']),
            // The console's Stores and Offers pages (break32: they showed their first page only).
            rewardStores: keptPagination(),
            offers: keptPagination(),
          },
        },
        Customer: {
          fields: {
            pointHistory: keptPagination(),
            // The member's Wallet and Rewards, the console's customer (break32).
            wallet: keptPagination(['status']),
            eligibleRewardStores: keptPagination(),
          },
        },
        // A store's offers: the member's store page, the console's "Show more listings" (break32).
        RewardStore: { fields: { listings: keptPagination() } },
      },
    }),
    // 'merge': a query read again hands its lists' policies what the cache holds (Apollo's default,
    // 'overwrite', hands them nothing), so keptPagination can keep the pages shown after the first.
    // Only the pagination policies have merge functions of their own; nothing else reads it.
    defaultOptions: { watchQuery: { fetchPolicy: 'cache-and-network', refetchWritePolicy: 'merge' } },
  });
  readAgainWhenOnline(client);
  return client;
}

/** How long after the socket opened, and after each pong, the app pings the gateway (graphql-ws `keepAlive`, milliseconds). */
export const LIVE_PING_MS = 15_000;
/** How long a ping waits for its pong before the socket is taken for dead (milliseconds). */
export const LIVE_PONG_TIMEOUT_MS = 10_000;

/** Why the live connection stopped for good: the screens say so instead of "Reconnecting…". */
export type LiveEnd =
  /** 4401 and the app holds no other token than the one refused: the member must sign in again. */
  | { kind: 'signed-out'; reason: string }
  /** 4403 "account closed": staff closed the account; reconnecting cannot help. */
  | { kind: 'account-closed'; reason: string };

/** The part of graphql-ws's client the screens use, kept across the clients one connection makes. */
export interface LiveClient {
  /**
   * `connected`/`closed`: graphql-ws's socket events. `resubscribed`: a subscription the gateway
   * ended with a busy error (its socket still open) was sent again: the feed is live again (what
   * changed in between is replayed to a subscription sent with `after`: `subscribeAfter`).
   */
  on(event: 'connected' | 'closed' | 'resubscribed', listener: (...args: unknown[]) => void): () => void;
  subscribe: WsClient['subscribe'];
}

/** The member's live connection: the client the screens subscribe through and the function that ends it. */
export interface LiveConnection {
  ws: LiveClient;
  /** Closes the socket and removes the page listeners the connection added. */
  dispose: () => void;
}

/** A screen's subscription as the live connection keeps it: sent again on each new client, and after a busy error. */
interface ActiveSubscription {
  payload: Parameters<WsClient['subscribe']>[0];
  sink: Parameters<WsClient['subscribe']>[1];
  /** Ends it on the client it was last sent on. */
  stop?: () => void;
  /** Busy errors in a row since its last event (the back-off's attempt count). */
  failures: number;
  /** The pending resend after a busy error. */
  retry?: ReturnType<typeof setTimeout>;
}

/**
 * Whether a subscription's `error` message (graphql-ws hands its GraphQL errors over as an array)
 * is the gateway saying "busy, subscribe again later", and its hint (`extensions.retryAfter`, seconds).
 */
function busyOfSubscription(error: unknown): { hint?: number } | undefined {
  if (!Array.isArray(error)) return undefined;
  const ext = (error as { extensions?: Record<string, unknown> }[]).find((e) => BUSY_CODES.has(String(e?.extensions?.code)))?.extensions;
  if (!ext) return undefined;
  return { hint: typeof ext.retryAfter === 'number' ? ext.retryAfter : undefined };
}

/** A graphql-ws close event (a close, not an error of one operation). */
const closeOf = (value: unknown): CloseEvent | undefined =>
  value && typeof value === 'object' && 'code' in value && 'reason' in value ? (value as CloseEvent) : undefined;

/**
 * The member's live connection to the gateway's /graphql (graphql-ws, subscriptions only).
 *
 * - Between attempts it waits `retryWaitMs` (full jitter, capped at RETRY_CAP_MS; graphql-ws's own
 *   default doubled without a cap), never less than a close reason's "try again in N s" (1013, 4429
 *   from the gateway, src/http/ws.ts). A wait ends at once when the browser comes back online or the
 *   tab becomes visible again, unless the gateway's hint still runs; going offline ends the socket.
 * - graphql-ws ends its client for good on 4401 and 4429 whatever `shouldRetry` says (its
 *   `shouldRetryConnectOrThrow` lists them as fatal), so the member had to reload. Here a 4429
 *   ("rate limited: try again in N s", "too many sockets") makes a new client after that wait and
 *   subscribes again; a 4401 reads the token again (`token()`) and connects with it if it is
 *   another one, and otherwise ends with `signed-out` (no loop: each new attempt needs a new token);
 *   a 4403 (account closed) ends with `account-closed`, never retried.
 * - The app pings every LIVE_PING_MS and terminates a socket whose pong has not come within
 *   LIVE_PONG_TIMEOUT_MS (graphql-ws's "ping/pong timeout" recipe; terminate, not close, because a
 *   close handshake with a vanished peer would wait on it): a socket whose network went away
 *   silently is noticed and replaced.
 * @param token the member's current token, read at each connect
 * @param onEnd told once when the connection stops for good
 */
export function createLiveClient(app: AppName, token: () => string | null, onEnd: (end: LiveEnd) => void): LiveConnection {
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;
  /** When the gateway's last hint ends (epoch milliseconds; 0: no hint). */
  let hintUntil = 0;
  /** Ends the pending wait early (the browser is back online, or the tab is visible again). */
  let wake: (() => void) | null = null;
  const retryWait = (failures: number) =>
    new Promise<void>((resolve) => {
      const hintLeft = hintUntil - Date.now();
      let timer = setTimeout(done, retryWaitMs(failures, hintLeft > 0 ? hintLeft / 1000 : undefined));
      function done() {
        clearTimeout(timer);
        wake = null;
        resolve();
      }
      wake = () => {
        const left = hintUntil - Date.now();
        if (left <= 0) return done();
        clearTimeout(timer);
        timer = setTimeout(done, left); // the gateway asked for this much more: not sooner
      };
    });

  const listeners = {
    connected: new Set<(...args: unknown[]) => void>(),
    closed: new Set<(...args: unknown[]) => void>(),
    resubscribed: new Set<(...args: unknown[]) => void>(),
  };
  /** The screens' subscriptions, subscribed again on each new client (and, after a busy error, on the same one). */
  const active = new Set<ActiveSubscription>();
  let current: WsClient;
  /** The token the current client connects with (a 4401 refused this one). */
  let sentToken: string | null = null;
  /** New clients made in a row after fatal closes, without a connection in between. */
  let restarts = 0;
  let ended = false;
  let restarting = false;

  const end = (how: LiveEnd) => {
    if (ended) return;
    ended = true;
    void current.dispose();
    onEnd(how);
  };

  /**
   * A subscription's failure: a fatal close of the client is the connection's to handle. A busy
   * error of the operation alone (SERVICE_UNAVAILABLE, RATE_LIMITED, SHUTTING_DOWN: the gateway
   * could not read the stream in time, and its socket stays open) is told to the screen and the
   * subscription is sent again on the same socket after `retryWaitMs`, never sooner than its
   * `retryAfter`: graphql-ws ends an operation on its `error` message and never sends it again, so
   * the feed stopped for good while the badge said "Reconnecting…" (lead-13). Anything else is the screen's.
   */
  const failed = (error: unknown, entry: ActiveSubscription, client: WsClient) => {
    const { sink } = entry;
    const close = closeOf(error);
    if (ended || restarting) return;
    const busy = close ? undefined : busyOfSubscription(error);
    if (busy) {
      sink.error?.(error);
      entry.retry = setTimeout(
        () => {
          entry.retry = undefined;
          if (ended || restarting || client !== current || !active.has(entry)) return;
          subscribeOn(client, entry);
          for (const l of listeners.resubscribed) l();
        },
        retryWaitMs(entry.failures++, busy.hint),
      );
      return;
    }
    if (close?.code === 4403) return end({ kind: 'account-closed', reason: close.reason });
    if (close?.code === 4401) {
      const next = token();
      if (!next || next === sentToken) return end({ kind: 'signed-out', reason: close.reason });
      return restart(false);
    }
    if (close?.code === 4429) return restart(true);
    sink.error?.(error);
  };

  const restart = (wait: boolean) => {
    restarting = true;
    void current.dispose();
    void (wait ? retryWait(restarts++) : Promise.resolve()).then(() => {
      restarting = false;
      if (!ended) start();
    });
  };

  const start = () => {
    sentToken = token();
    let pongTimer: ReturnType<typeof setTimeout> | undefined;
    const client = createClient({
      url,
      connectionParams: { authorization: `Bearer ${sentToken ?? ''}`, clientName: app },
      retryAttempts: Infinity,
      retryWait,
      keepAlive: LIVE_PING_MS,
      // Reconnect after network trouble, never after staff closed the account (4403): that would
      // only count against the connection rate limit.
      shouldRetry: (event) => closeOf(event)?.code !== 4403,
      on: {
        ping: (received) => {
          if (received) return;
          clearTimeout(pongTimer);
          pongTimer = setTimeout(() => client.terminate(), LIVE_PONG_TIMEOUT_MS);
        },
        pong: (received) => {
          if (received) clearTimeout(pongTimer);
        },
        connected: (...args) => {
          restarts = 0;
          for (const l of listeners.connected) l(...args);
        },
        closed: (event) => {
          clearTimeout(pongTimer);
          const seconds = retryAfterOfReason(closeOf(event)?.reason);
          hintUntil = seconds === undefined ? 0 : Date.now() + seconds * 1000;
          for (const l of listeners.closed) l(event);
        },
      },
    });
    current = client;
    for (const entry of active) subscribeOn(client, entry);
  };

  const subscribeOn = (client: WsClient, entry: ActiveSubscription) => {
    clearTimeout(entry.retry);
    entry.retry = undefined;
    entry.stop = client.subscribe(entry.payload, {
      next: (value) => {
        entry.failures = 0;
        entry.sink.next(value);
      },
      error: (error) => (client === current ? failed(error, entry, client) : undefined),
      complete: () => (client === current && !restarting ? entry.sink.complete() : undefined),
    });
  };

  start();
  const online = () => wake?.();
  const offline = () => current.terminate();
  const visible = () => {
    if (document.visibilityState === 'visible') wake?.();
  };
  window.addEventListener('online', online);
  window.addEventListener('offline', offline);
  document.addEventListener('visibilitychange', visible);
  return {
    ws: {
      on: (event, listener) => {
        listeners[event].add(listener);
        return () => listeners[event].delete(listener);
      },
      subscribe: (payload, sink) => {
        const entry: ActiveSubscription = { payload, sink: sink as ActiveSubscription['sink'], failures: 0 };
        active.add(entry);
        if (!ended) subscribeOn(current, entry);
        return () => {
          active.delete(entry);
          clearTimeout(entry.retry);
          entry.stop?.();
        };
      },
    },
    dispose: () => {
      ended = true;
      for (const entry of active) clearTimeout(entry.retry);
      window.removeEventListener('online', online);
      window.removeEventListener('offline', offline);
      document.removeEventListener('visibilitychange', visible);
      void current.dispose();
    },
  };
}

/** What a screen does with one subscription's messages (`subscribeAfter`). */
export interface SubscriptionHandlers<T> {
  /** An event's data. */
  data: (data: T) => void;
  /**
   * An event the gateway could not resolve (a `next` with errors, e.g. its read cut by the
   * database's bound): the subscription goes on, but the screen missed a change and reads again.
   */
  missed: (errors: readonly unknown[]) => void;
  /** The subscription ended with an error (after a busy one, the live connection sends it again: `resubscribed`). */
  ended: (error: unknown) => void;
}

/** What a resuming subscription (`subscribeAfter`) also needs: each event's id, and a new start after EVENT_ID_EXPIRED. */
export interface ResumingHandlers<T> extends SubscriptionHandlers<T> {
  /** The event's `eventId` (its data must select it), the next resume point. */
  eventIdOf: (data: T) => string;
  /**
   * The gateway no longer keeps every event after the resume point (EVENT_ID_EXPIRED: a long
   * disconnection): read a new resume point (`lastEventId`) and then what the screens show, and
   * resolve with that point; the subscription starts again after it. A rejection ends it (`ended`).
   */
  expired: () => Promise<string>;
}

/** Whether a subscription's errors (an `error` message's, or a `next` message's) say EVENT_ID_EXPIRED: its resume point's events are no longer all kept. */
const isExpired = (error: unknown) => Array.isArray(error) && (error as { extensions?: { code?: unknown } }[]).some((e) => e?.extensions?.code === 'EVENT_ID_EXPIRED');

/**
 * Subscribes by id (an empty `query`, `extensions.persistedQuery`), as over HTTP, with
 * `variables.after`: first `start`, then the `eventId` of the last event received (live-21).
 * Every sending of it carries the resume point as it is then: graphql-ws 6 sends the same payload
 * object again on each new socket (client.js `subscribe`: its retry loop stringifies `payload` at
 * each send), and `createLiveClient` does on a new client and after a busy refusal; `variables` is a
 * getter, so each of those resumes after the last event seen and the gateway replays what came
 * in between. Without it a resubscription started live at the gateway's head, and a change
 * committed between the screens' refresh and that start was never shown.
 * @param start a resume point no newer than what the screens read (`lastEventId`, read before them)
 * @returns the function that ends the subscription.
 */
export function subscribeAfter<T>(ws: Pick<WsClient, 'subscribe'>, document: DocumentNode, start: string, on: ResumingHandlers<T>): () => void {
  let after = start;
  let stopped = false;
  const payload = {
    query: '',
    get variables() {
      return { after };
    },
    extensions: { persistedQuery: { version: 1, sha256Hash: operationId(document) } },
  };
  let stop = () => {};
  // The gateway answers an expired point with a `next` carrying the error, then `complete` (the
  // resume check), or ends a replay that meets a pruned event so: either way that subscription is over.
  const restart = () => {
    stop();
    on.expired().then(
      (next) => {
        if (stopped) return;
        after = next;
        send();
      },
      (failure: unknown) => (stopped ? undefined : on.ended(failure)),
    );
  };
  const send = () => {
    stop = ws.subscribe<T>(payload, {
      next: (result) => {
        if (result.data) {
          after = on.eventIdOf(result.data as T);
          on.data(result.data as T);
        }
        if (isExpired(result.errors)) return restart();
        // (an event without data keeps the resume point before it: a resume replays it)
        if (result.errors?.length) on.missed(result.errors);
      },
      error: (error) => (isExpired(error) ? restart() : on.ended(error)),
      complete: () => undefined,
    });
  };
  send();
  return () => {
    stopped = true;
    stop();
  };
}
