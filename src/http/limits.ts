import type { ApolloServerPlugin } from '@apollo/server';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { checkCost } from '../graphql/cost.js';

/**
 * The cost limit (`MAX_QUERY_COST`), checked once the operation is known and before it runs. It is
 * a plugin rather than a validation rule because list sizes come from variables (`first: $n`),
 * which validation never sees; Apollo caches validation per document, not per request.
 */
export function costLimitPlugin(limits: { maxCost: number; maxPageSize: number }): ApolloServerPlugin<never> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operation, request }) {
          if (!operation) return;
          const error = checkCost(schema, document, operation, request.variables, limits);
          if (error) throw error;
        },
      };
    },
  };
}

/**
 * The GraphQL document a client sent as text (POST body's `query`, or GET's `?query=`), when it is
 * longer than `maxBytes` (UTF-8): a document of few tokens can still be long (a 90 kB string
 * literal), and nothing should parse it. Persisted operations, sent by id, are not client text.
 */
export function documentTooLong(body: unknown, url: URL, maxBytes: number): string | undefined {
  const query = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as { query?: unknown }).query : url.searchParams.get('query');
  if (typeof query !== 'string' || query.length <= maxBytes / 4) return undefined;
  return Buffer.byteLength(query, 'utf8') > maxBytes ? `The document is longer than ${maxBytes} bytes.` : undefined;
}

/**
 * The client's IP address: the socket's peer, or, behind `trustProxyHops` proxies, the address the
 * outermost trusted proxy saw (counted from the right of `X-Forwarded-For`, which a client can
 * only prepend to). Never a string the client chose freely: it must parse as an IP.
 */
export function clientIp(req: IncomingMessage, trustProxyHops: number): string {
  const peer = req.socket.remoteAddress ?? 'unknown';
  if (trustProxyHops === 0) return peer;
  const header = req.headers['x-forwarded-for'];
  const hops = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map((h) => h.trim()).filter(Boolean);
  const candidate = hops[hops.length - trustProxyHops] ?? hops[0];
  return candidate && isIP(candidate) ? candidate : peer;
}
