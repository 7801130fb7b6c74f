import type { LookupAddress } from 'node:dns';
import { promises as dnsPromises } from 'node:dns';
import { readFile } from 'node:fs/promises';

/** The hosts file read before DNS, as getaddrinfo reads it (`/etc/hosts`). */
const HOSTS_FILE = '/etc/hosts';
/** How long the hosts file's names are kept before it is read again, in ms. */
const HOSTS_TTL_MS = 10_000;

/** What `PartnerDns` is told: the DNS servers to ask and how long a lookup may take. */
export interface PartnerDnsSettings {
  /**
   * DNS servers (`1.1.1.1`, `10.0.0.2:5353`, `[2001:db8::53]:53`), as WEBHOOK_DNS_SERVERS lists them;
   * empty for the system's (`/etc/resolv.conf`, read by c-ares).
   */
  servers: readonly string[];
  /** The bound on one lookup, A and AAAA together, in ms (WEBHOOK_DNS_TIMEOUT_MS). */
  timeoutMs: number;
}

/**
 * Resolves partners' webhook host names without the libuv thread pool (outside-15). `dns.lookup`
 * is getaddrinfo on one of libuv's four threads, for as long as the name's DNS server takes to
 * answer: a partner whose DNS server never answers held a thread for each lookup (glibc gives up
 * after its own timeouts, 5 s × attempts × servers), and with four of them everything else the
 * pool runs waited (file reads, crypto, zlib, the gateway's own lookups of DATABASE_URL's or
 * JWT_JWKS_URL's host). Here a name is asked of DNS by c-ares (`dns.promises.Resolver`, on the
 * event loop's own sockets), A and AAAA at once, each try bounded, the whole lookup bounded by
 * `timeoutMs`, so a hanging server costs a socket and a timer, never a thread.
 *
 * The hosts file is read first, as getaddrinfo did (so `localhost` and names a development machine
 * lists there resolve as before); `*.localhost` not listed there is loopback (RFC 6761 §6.3).
 * c-ares asks for the name as written (no search domains): partners' URLs name their hosts in full.
 *
 * Errors (each a `NodeJS.ErrnoException`, its message what a delivery records):
 * - `EDNSTIMEOUT`: `DNS lookup of <name> had no answer within <n> ms`;
 * - `ENOTFOUND`: the name has no A or AAAA record;
 * - any other c-ares code (`ESERVFAIL`, `EREFUSED`, `ECONNREFUSED`, …) as c-ares gives it.
 */
export class PartnerDns {
  private readonly resolver: dnsPromises.Resolver;
  private hosts: { names: Map<string, LookupAddress[]>; readAt: number } | undefined;

  constructor(private readonly settings: PartnerDnsSettings) {
    // Two tries within the bound: the second is sent at half of it (c-ares then waits twice as
    // long, past the bound, so the bound's own timer is what ends a lookup, at `timeoutMs` exactly).
    this.resolver = new dnsPromises.Resolver({ timeout: Math.max(1, Math.floor(settings.timeoutMs / 2)), tries: 2 });
    if (settings.servers.length) this.resolver.setServers([...settings.servers]);
  }

  /** Every address of `hostname` (IPv4 first), from the hosts file or DNS; rejects as the class says. */
  async resolve(hostname: string): Promise<LookupAddress[]> {
    const name = hostname.toLowerCase().replace(/\.$/, '');
    const listed = (await this.hostsFile()).get(name);
    if (listed) return listed;
    if (name === 'localhost' || name.endsWith('.localhost')) return [{ address: '127.0.0.1', family: 4 }, { address: '::1', family: 6 }];
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(dnsError('EDNSTIMEOUT', `DNS lookup of ${name} had no answer within ${this.settings.timeoutMs} ms`)), this.settings.timeoutMs);
    });
    try {
      const [v4, v6] = await Promise.race([Promise.allSettled([this.resolver.resolve4(name), this.resolver.resolve6(name)]), deadline]);
      const addresses = [
        ...(v4.status === 'fulfilled' ? v4.value.map((address) => ({ address, family: 4 })) : []),
        ...(v6.status === 'fulfilled' ? v6.value.map((address) => ({ address, family: 6 })) : []),
      ];
      if (addresses.length) return addresses;
      const codes = [v4, v6].map((r) => (r.status === 'rejected' ? (r.reason as NodeJS.ErrnoException).code : 'ENODATA'));
      if (codes.includes('ETIMEOUT')) throw dnsError('EDNSTIMEOUT', `DNS lookup of ${name} had no answer within ${this.settings.timeoutMs} ms`);
      const other = codes.find((code) => code !== 'ENOTFOUND' && code !== 'ENODATA');
      throw other ? dnsError(other, `DNS lookup of ${name} failed: ${other}`) : dnsError('ENOTFOUND', `${name} has no address`);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The hosts file's names and their addresses, read again after HOSTS_TTL_MS; empty when it cannot be read. */
  private async hostsFile(): Promise<Map<string, LookupAddress[]>> {
    const now = performance.now();
    if (this.hosts && now - this.hosts.readAt < HOSTS_TTL_MS) return this.hosts.names;
    const text = await readFile(HOSTS_FILE, 'utf8').catch(() => '');
    this.hosts = { names: parseHosts(text), readAt: now };
    return this.hosts.names;
  }
}

/**
 * The names of a hosts file's text (`address name [aliases…]`, `#` comments), lower case, each
 * with its addresses in file order, IPv4 first.
 */
export function parseHosts(text: string): Map<string, LookupAddress[]> {
  const names = new Map<string, LookupAddress[]>();
  for (const line of text.split('\n')) {
    const [address, ...aliases] = line.replace(/#.*/, '').trim().split(/\s+/);
    const family = address?.includes(':') ? 6 : 4;
    if (!address || !aliases.length || !/^[0-9a-fA-F:.]+$/.test(address)) continue;
    for (const alias of aliases) {
      const list = names.get(alias.toLowerCase()) ?? [];
      if (!list.some((a) => a.address === address)) list.push({ address, family });
      names.set(alias.toLowerCase(), list);
    }
  }
  for (const list of names.values()) list.sort((a, b) => a.family - b.family);
  return names;
}

function dnsError(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}
