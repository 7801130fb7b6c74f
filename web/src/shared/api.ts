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
import type { DocumentNode } from 'graphql';
import { createClient, type Client as WsClient } from 'graphql-ws';
import type { AppName } from './session';

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
    link: ApolloLink.from([auth, trusted, new HttpLink({ uri: '/graphql' })]),
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

/** A graphql-ws client on the gateway's /graphql for the signed-in member (subscriptions only). */
export function createLiveClient(app: AppName, token: string): WsClient {
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;
  return createClient({
    url,
    connectionParams: { authorization: `Bearer ${token}`, clientName: app },
    retryAttempts: Infinity,
    // Reconnect after network trouble, never after the gateway refused the token (4403): that
    // only counts against the connection rate limit. graphql-ws backs off between attempts.
    shouldRetry: (event) => !(event && typeof event === 'object' && 'code' in event && (event as CloseEvent).code === 4403),
  });
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
