import type { ApolloServerPlugin } from '@apollo/server';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
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
 * only prepend to), without a port a proxy may add. Never a string the client chose freely: it must parse as an IP.
 */
export function clientIp(req: IncomingMessage, trustProxyHops: number): string {
  const peer = req.socket.remoteAddress ?? 'unknown';
  if (trustProxyHops === 0) return peer;
  const header = req.headers['x-forwarded-for'];
  const hops = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map((h) => h.trim()).filter(Boolean);
  const candidate = addressOf(hops[hops.length - trustProxyHops] ?? hops[0]);
  return candidate ?? peer;
}

/**
 * An X-Forwarded-For entry as a bare IP address, or undefined when it is none. Some proxies write
 * the client's port too (`203.0.113.1:51234`, `[2001:db8::1]:443`, as Azure's gateways do):
 * refusing those fell back to the proxy's own address, one budget for every client behind it.
 */
function addressOf(entry: string | undefined): string | undefined {
  if (!entry) return undefined;
  if (isIP(entry)) return entry;
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(entry);
  if (bracketed && isIP(bracketed[1]) === 6) return bracketed[1];
  const v4WithPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(entry);
  if (v4WithPort && isIP(v4WithPort[1]) === 4) return v4WithPort[1];
  return undefined;
}

/**
 * The prefix length an IPv6 client counts by: one subscriber gets a whole /64 (often more), so a
 * per-address budget would let one client rotate through 2^64 addresses.
 */
export const IPV6_BUDGET_PREFIX = 64;

/**
 * What a client IP (as `clientIp` answers it) counts against in per-IP budgets: an IPv4 address
 * as itself (also when written IPv4-mapped, `::ffff:198.51.100.7`, as dual-stack sockets and some
 * proxies write it), an IPv6 address by its /64 (`2001:db8:1:2::/64`). Anything else as it is.
 */
export function ipBudgetKey(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  let address: ipaddr.IPv6;
  try {
    address = ipaddr.IPv6.parse(ip); // any notation: compressed, embedded IPv4, a zone id
  } catch {
    return ip;
  }
  if (address.isIPv4MappedAddress()) return address.toIPv4Address().toString();
  const kept = IPV6_BUDGET_PREFIX / 16;
  return `${address.parts.slice(0, kept).map((w) => w.toString(16)).join(':')}::/${IPV6_BUDGET_PREFIX}`;
}
