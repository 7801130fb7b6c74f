import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GraphQLFormattedError } from 'graphql';
import type { ProxyTrust } from './limits.js';

/** What every part of a request's handling may know about it without passing it along. */
interface RequestScope {
  /** Our own id of the request (a UUID), in the `x-request-id` response header and its log lines. */
  requestId: string;
}

const scope = new AsyncLocalStorage<RequestScope>();

/** The id of the HTTP request being handled, when there is one. */
export function currentRequestId(): string | undefined {
  return scope.getStore()?.requestId;
}

/**
 * Headers for API responses (all modes): JSON is never sniffed into HTML, never framed, never
 * allowed to load anything, and sends no referrer. `Strict-Transport-Security` only when the
 * request came over TLS as a trusted proxy reports it (`X-Forwarded-Proto: https` from a peer in
 * TRUST_PROXY_ADDRESSES, or from any peer with TRUST_PROXY_HOPS > 0): the gateway itself speaks
 * plain HTTP behind its TLS terminator, and browsers ignore HSTS over plain HTTP anyway.
 */
function setSecurityHeaders(req: IncomingMessage, res: ServerResponse, proxies: ProxyTrust) {
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('referrer-policy', 'no-referrer');
  res.setHeader('x-frame-options', 'DENY');
  res.setHeader('content-security-policy', "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
  res.setHeader('cross-origin-opener-policy', 'same-origin');
  const proto = req.headers['x-forwarded-proto'];
  if (typeof proto === 'string' && proto.split(',')[0].trim().toLowerCase() === 'https' && proxies.peerSpeaksForClient(req)) {
    res.setHeader('strict-transport-security', 'max-age=31536000; includeSubDomains');
  }
}

/**
 * Starts handling a request: gives it an id (always the gateway's own, never the client's),
 * sets `x-request-id` and the security headers, and runs `handle` with the id in scope so error
 * formatting and logs can carry it.
 */
export function withRequestScope<T>(req: IncomingMessage, res: ServerResponse, proxies: ProxyTrust, handle: (requestId: string) => T): T {
  const requestId = randomUUID();
  res.setHeader('x-request-id', requestId);
  setSecurityHeaders(req, res, proxies);
  return scope.run({ requestId }, () => handle(requestId));
}

/** A masked error (INTERNAL_SERVER_ERROR) carries the request id, so a user's report finds the log line. */
export function withRequestId(formatted: GraphQLFormattedError): GraphQLFormattedError {
  const requestId = currentRequestId();
  if (!requestId || formatted.extensions?.code !== 'INTERNAL_SERVER_ERROR') return formatted;
  return { ...formatted, extensions: { ...formatted.extensions, requestId } };
}
