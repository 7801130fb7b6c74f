/**
 * The apps' GraphQL client: Apollo Client over HTTP for queries and mutations, graphql-ws for the
 * member's live events. Every operation is sent as a trusted document: only its id (the SHA-256
 * GraphQL Code Generator put in the document's `__meta__.hash`), never its text, with
 * `apollographql-client-name` naming the app's list (`web` or `console`).
 */
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from '@apollo/client';
import { relayStylePagination } from '@apollo/client/utilities';
import { SetContextLink } from '@apollo/client/link/context';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { ServerError } from '@apollo/client/errors';
import { OperationTypeNode, type DocumentNode } from 'graphql';
import { createClient, type Client as WsClient } from 'graphql-ws';
import { Observable, type Subscription } from 'rxjs';
import { retryAfterOfHeader, retryAfterOfReason, retryWaitMs } from './backoff';
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
  const header = () => retryAfterOfHeader(response?.headers.get('retry-after'));
  if (outcome) {
    const ext = outcome.errors?.[0]?.extensions;
    if (!ext || !BUSY_CODES.has(String(ext.code))) return null;
    return { hint: typeof ext.retryAfter === 'number' ? ext.retryAfter : header() };
  }
  if (ServerError.is(error)) {
    if (error.statusCode !== 503 && error.statusCode !== 429) return null;
    return { hint: retryAfterOfHeader(error.response.headers.get('retry-after')) };
  }
  return error instanceof TypeError ? {} : null; // fetch's "Failed to fetch"
}

/**
 * Sends a query again when the gateway was busy or unreachable, at most QUERY_ATTEMPTS times in all,
 * each after `retryWaitMs` (capped full jitter, never sooner than the gateway's hint). Mutations
 * pass through untouched: the screen that sent one shows the problem and when to try again
 * (a purchase keeps its idempotency key for that).
 */
export const retryBusyQueries = new ApolloLink((operation, forward) => {
  if (operation.operationType !== OperationTypeNode.QUERY) return forward(operation);
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
  return new ApolloClient({
    link: ApolloLink.from([auth, retryBusyQueries, trusted, new HttpLink({ uri: '/graphql' })]),
    // Relay connections that screens page with fetchMore({ after }): the cache appends each page
    // (Apollo's relayStylePagination), so no screen merges edges by hand.
    cache: new InMemoryCache({
      typePolicies: {
        Query: { fields: { auditLog: relayStylePagination() } },
        Customer: { fields: { pointHistory: relayStylePagination() } },
      },
    }),
    defaultOptions: { watchQuery: { fetchPolicy: 'cache-and-network' } },
  });
}

/** The member's live connection: the graphql-ws client and the function that ends it. */
export interface LiveConnection {
  ws: WsClient;
  /** Closes the socket and removes the page listeners the connection added. */
  dispose: () => void;
}

/**
 * A graphql-ws client on the gateway's /graphql for the signed-in member (subscriptions only).
 *
 * Between attempts it waits `retryWaitMs` (full jitter, capped at RETRY_CAP_MS; graphql-ws's own
 * default doubled without a cap: 2^n s plus up to 3 s, over four minutes after eight failures), and
 * never less than a close reason's "try again in N s" (1013 from the gateway). A wait ends at once
 * when the browser comes back online or the tab becomes visible again, unless the gateway's hint
 * still runs; going offline ends the socket (graphql-ws then retries, and cannot know otherwise
 * that a socket that was open across the outage is dead).
 */
export function createLiveClient(app: AppName, token: string): LiveConnection {
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
  const ws = createClient({
    url,
    connectionParams: { authorization: `Bearer ${token}`, clientName: app },
    retryAttempts: Infinity,
    retryWait,
    // Reconnect after network trouble, never after staff closed the account (4403): that would
    // only count against the connection rate limit.
    shouldRetry: (event) => !(event && typeof event === 'object' && 'code' in event && (event as CloseEvent).code === 4403),
  });
  const offClosed = ws.on('closed', (event) => {
    const seconds = retryAfterOfReason((event as CloseEvent | undefined)?.reason);
    hintUntil = seconds === undefined ? 0 : Date.now() + seconds * 1000;
  });
  const online = () => wake?.();
  const offline = () => ws.terminate();
  const visible = () => {
    if (document.visibilityState === 'visible') wake?.();
  };
  window.addEventListener('online', online);
  window.addEventListener('offline', offline);
  document.addEventListener('visibilitychange', visible);
  return {
    ws,
    dispose: () => {
      window.removeEventListener('online', online);
      window.removeEventListener('offline', offline);
      document.removeEventListener('visibilitychange', visible);
      offClosed();
      void ws.dispose();
    },
  };
}

/**
 * Subscribes by id (an empty `query`, `extensions.persistedQuery`), as over HTTP.
 * @returns the function that ends the subscription.
 */
export function subscribeById<T>(ws: WsClient, document: DocumentNode, onData: (data: T) => void, onError: (error: unknown) => void): () => void {
  return ws.subscribe<T>(
    { query: '', extensions: { persistedQuery: { version: 1, sha256Hash: operationId(document) } } },
    {
      next: (result) => {
        if (result.data) onData(result.data as T);
        if (result.errors?.length) onError(result.errors);
      },
      error: onError,
      complete: () => undefined,
    },
  );
}
