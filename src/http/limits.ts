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

/** An IPv6 address (any notation, zone id allowed) as its eight 16-bit words, or null. */
function ipv6Words(ip: string): number[] | null {
  let address = ip.split('%')[0].toLowerCase();
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number);
    address = `${address.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = address.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const groups = halves.length === 2 ? [...head, ...Array<string>(8 - head.length - tail.length).fill('0'), ...tail] : head;
  const words = groups.map((g) => parseInt(g, 16));
  return words.length === 8 && words.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffff) ? words : null;
}

/**
 * What a client IP (as `clientIp` answers it) counts against in per-IP budgets: an IPv4 address
 * as itself (also when written IPv4-mapped, `::ffff:198.51.100.7`, as dual-stack sockets and some
 * proxies write it), an IPv6 address by its /64 (`2001:db8:1:2::/64`). Anything else as it is.
 */
export function ipBudgetKey(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  const words = ipv6Words(ip);
  if (!words) return ip;
  if (words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff) {
    return [words[6] >> 8, words[6] & 0xff, words[7] >> 8, words[7] & 0xff].join('.');
  }
  const kept = IPV6_BUDGET_PREFIX / 16;
  return `${words.slice(0, kept).map((w) => w.toString(16)).join(':')}::/${IPV6_BUDGET_PREFIX}`;
}
