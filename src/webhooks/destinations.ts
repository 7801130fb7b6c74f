import type { LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { answerLookup } from '../http/lookup-answer.js';
import { PartnerDns, type PartnerDnsSettings } from './partner-dns.js';

/**
 * Where webhooks may be sent (docs/decisions.md, "The network edge"): only to global unicast
 * addresses. A partner with `webhooks:manage` names the URL, so without this the gateway would
 * POST, from inside the network, to whatever it names: private ranges (10/8, 172.16/12,
 * 192.168/16, CGNAT 100.64/10), loopback, link-local (169.254.169.254, a cloud's metadata
 * service), unique-local (fc00::/7), multicast, broadcast, unspecified (0.0.0.0, which Linux
 * connects to as loopback), reserved and documentation ranges, and IPv6 forms that embed an IPv4
 * address (IPv4-mapped: judged as the IPv4 address; IPv4-compatible, NAT64, 6to4, Teredo: refused). ipaddr.js
 * names the ranges (`range()`); anything but `unicast` is refused unless allowed:
 * - `WEBHOOK_ALLOWED_DESTINATIONS`: CIDR ranges allowed anyway (a test rig, a receiver on the
 *   same private network in development);
 * - `WEBHOOK_ALLOW_HTTP_LOCALHOST` (on outside production): loopback too, for local receivers.
 *
 * Checked at registration for a literal IP or `localhost` (`internalHostOf`), and when sending on
 * the address actually connected to: a host name is resolved by the agents' `lookup`, which
 * refuses the name when any address it resolves to is refused, and the connection is made to the
 * addresses it checked (no second resolution, so no DNS-rebinding window). Names are resolved by
 * `PartnerDns` (c-ares, bounded by WEBHOOK_DNS_TIMEOUT_MS), never on libuv's thread pool.
 */
export class WebhookDestinations {
  private readonly ranges: [ipaddr.IPv4 | ipaddr.IPv6, number][];
  private pooled: { 'http:': http.Agent; 'https:': https.Agent } | undefined;
  /** Made at first lookup: a registration's check (`internalHostOf`) needs no resolver. */
  private resolver: PartnerDns | undefined;

  /**
   * @param allowed CIDR ranges allowed although internal, as `loadConfig` checked them (`127.0.0.0/8`)
   * @param allowLoopback whether loopback addresses are allowed (WEBHOOK_ALLOW_HTTP_LOCALHOST)
   * @param idleSocketMs how long a pooled connection may stay idle before it is closed
   * @param dns the DNS servers host names are asked of (none: the system's) and the bound on a lookup
   */
  constructor(
    allowed: readonly string[],
    readonly allowLoopback: boolean,
    private readonly idleSocketMs = 30_000,
    private readonly dns: PartnerDnsSettings = { servers: [], timeoutMs: 3_000 },
  ) {
    this.ranges = allowed.map((cidr) => ipaddr.parseCIDR(cidr));
  }

  /** Agents whose connections go only to checked addresses (keep-alive: a pooled socket was checked when it connected). Made at first use. */
  get agents(): { 'http:': http.Agent; 'https:': https.Agent } {
    const options = { keepAlive: true, timeout: this.idleSocketMs, lookup: this.lookup };
    return (this.pooled ??= { 'http:': new http.Agent(options), 'https:': new https.Agent(options) });
  }

  /** The destinations of a configuration's `webhooks` settings. */
  static of(webhooks: { allowedDestinations?: readonly string[]; allowHttpLocalhost: boolean; timeoutMs: number; dnsServers?: readonly string[]; dnsTimeoutMs?: number }): WebhookDestinations {
    return new WebhookDestinations(webhooks.allowedDestinations ?? [], webhooks.allowHttpLocalhost, Math.max(30_000, webhooks.timeoutMs + 1_000), {
      servers: webhooks.dnsServers ?? [],
      timeoutMs: webhooks.dnsTimeoutMs ?? 3_000,
    });
  }

  /**
   * Why `address` may not receive webhooks: ipaddr.js's name of its range (`loopback`, `private`,
   * `linkLocal`, `uniqueLocal`, `multicast`, `unspecified`, `reserved`, …), or null when it may.
   * An IPv4-mapped IPv6 address is judged as its IPv4 address; text that is no IP is refused.
   */
  refusal(address: string): string | null {
    if (!isIP(address)) return 'not an IP address';
    let parsed: ipaddr.IPv4 | ipaddr.IPv6;
    try {
      parsed = ipaddr.process(address);
    } catch {
      return 'not an IP address';
    }
    if (this.ranges.some(([network, bits]) => network.kind() === parsed.kind() && parsed.match(network, bits))) return null;
    const range = parsed.range();
    // ipaddr.js names no range for ::/96 (IPv4-compatible, deprecated by RFC 4291): `::7f00:1`
    // was unicast while `::127.0.0.1`, the same address, was loopback. Never a public host.
    if (range === 'unicast' && parsed.kind() === 'ipv6' && parsed.match(IPV4_COMPATIBLE[0], IPV4_COMPATIBLE[1])) return 'ipv4Compatible';
    if (range === 'unicast' || (range === 'loopback' && this.allowLoopback)) return null;
    return range;
  }

  /**
   * Why a URL's host may not receive webhooks, judged without DNS: a literal IP's range (see
   * `refusal`), or `loopback` for `localhost` and `*.localhost` (RFC 6761: always loopback);
   * null for any other name (checked when sending, once resolved).
   */
  internalHostOf(url: URL): string | null {
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    if (isIP(host)) return this.refusal(host);
    const name = host.toLowerCase().replace(/\.$/, '');
    if (name === 'localhost' || name.endsWith('.localhost')) return this.allowLoopback ? null : 'loopback';
    return null;
  }

  /**
   * `net.connect`'s `lookup`: resolves by `PartnerDns` (hosts file, then c-ares, bounded), and fails
   * with `destination not allowed: <name> resolves to <address> (<range>)` (code EDESTINATION) when
   * any address of the name is refused, so a name cannot point at an internal address by one of its
   * records; a lookup that fails fails with `PartnerDns`'s error (EDNSTIMEOUT, ENOTFOUND, …).
   * Answers in the form asked for (`all` or one address); the family asked for (4 or 6) filters.
   */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    (this.resolver ??= new PartnerDns(this.dns)).resolve(hostname).then(
      (resolved: LookupAddress[]) => {
        for (const { address } of resolved) {
          const refused = this.refusal(address);
          if (refused) return callback(destinationError(`destination not allowed: ${hostname} resolves to ${address} (${refused})`), '');
        }
        answerLookup(hostname, resolved, options, callback);
      },
      (error: NodeJS.ErrnoException) => callback(error, ''),
    );
  };
}

/** ::/96, IPv4-compatible IPv6 addresses (RFC 4291 §2.5.5.1, deprecated): `::` and `::1` have ranges of their own. */
const IPV4_COMPATIBLE = ipaddr.parseCIDR('::/96');

/** The error of a refused destination: its message is the delivery's recorded reason. */
export function destinationError(message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code: 'EDESTINATION' });
}
