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
  return textTooLong(typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as { query?: unknown }).query : url.searchParams.get('query'), maxBytes);
}

/**
 * The refusal of a document's text `query` longer than `maxBytes` (UTF-8), or undefined (shorter,
 * or not text): the one check of HTTP (`documentTooLong`) and the socket (on `payload.query`), made
 * on both once the caller's credentials and rate-limit point are taken (edges-12d).
 */
export function textTooLong(query: unknown, maxBytes: number): string | undefined {
  if (typeof query !== 'string' || query.length <= maxBytes / 4) return undefined;
  return Buffer.byteLength(query, 'utf8') > maxBytes ? `The document is longer than ${maxBytes} bytes.` : undefined;
}

/**
 * Which peers may speak for the client (docs/decisions.md, "The network edge"): the proxies of
 * TRUST_PROXY_ADDRESSES (CIDR ranges), or, with TRUST_PROXY_HOPS, any peer for that many hops
 * (the older setting: a client that reaches the gateway without the proxy can then name any IP).
 * Made once per gateway from its config.
 */
export class ProxyTrust {
  private readonly ranges: [ipaddr.IPv4 | ipaddr.IPv6, number][];

  /**
   * @param hops TRUST_PROXY_HOPS (0: count no hops)
   * @param addresses TRUST_PROXY_ADDRESSES as `loadConfig` checked them (`10.0.0.0/8`, `::1/128`)
   */
  constructor(
    readonly hops: number,
    addresses: readonly string[] = [],
  ) {
    this.ranges = addresses.map((cidr) => ipaddr.parseCIDR(cidr));
  }

  static of(config: { trustProxyHops: number; trustProxyAddresses?: readonly string[] }): ProxyTrust {
    return new ProxyTrust(config.trustProxyHops, config.trustProxyAddresses ?? []);
  }

  /** Whether `address` (an IP as a socket or X-Forwarded-For writes it; IPv4-mapped counts as IPv4) is a listed proxy. */
  isProxy(address: string): boolean {
    if (!this.ranges.length || !isIP(address)) return false;
    let parsed: ipaddr.IPv4 | ipaddr.IPv6;
    try {
      parsed = ipaddr.process(address);
    } catch {
      return false;
    }
    return this.ranges.some(([network, bits]) => network.kind() === parsed.kind() && parsed.match(network, bits));
  }

  /** Whether the request's peer may report the client's scheme (`X-Forwarded-Proto`): a listed proxy, or any peer when hops are counted. */
  peerSpeaksForClient(req: IncomingMessage): boolean {
    return this.hops > 0 || this.isProxy(req.socket.remoteAddress ?? '');
  }

  /**
   * The client's IP address. With listed proxies: the peer unless it is one; then X-Forwarded-For
   * from the right (a client can only prepend to it), past each listed proxy, to the first
   * address that is not one (all listed: the leftmost), as Express's `trust proxy` does with
   * addresses. With a hop count: the address the outermost of that many proxies saw, whoever
   * the peer. A port a proxy adds is dropped; an entry that is no IP ends the walk at the last
   * address known (the proxy that wrote it). Never a string the client chose freely: it must parse as an IP.
   */
  clientIp(req: IncomingMessage): string {
    const peer = req.socket.remoteAddress ?? 'unknown';
    if (this.hops === 0 && !this.ranges.length) return peer;
    const header = req.headers['x-forwarded-for'];
    const hops = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map((h) => h.trim()).filter(Boolean);
    if (this.hops > 0) return addressOf(hops[hops.length - this.hops] ?? hops[0]) ?? peer;
    let client = peer;
    for (let i = hops.length; this.isProxy(client) && i > 0; i--) {
      const next = addressOf(hops[i - 1]);
      if (!next) break;
      client = next;
    }
    return client;
  }
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
