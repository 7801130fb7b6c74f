import type { LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';

/**
 * Answers a `net.connect` `lookup` call from addresses already resolved, in the form it asked for:
 * the family asked for (4, 6, 'IPv4', 'IPv6'; none or 0: any) filters them, then `all` gets the
 * list and otherwise the first address and its family. No address left fails with
 * `<hostname> has no address` (code ENOTFOUND), as getaddrinfo's own answer would. Shared by the
 * webhook destinations' c-ares lookup (src/webhooks/destinations.ts) and the JWKS fetch's shared
 * lookup (src/http/jwks.ts).
 */
export function answerLookup(hostname: string, resolved: LookupAddress[], options: Parameters<LookupFunction>[1], callback: Parameters<LookupFunction>[2]): void {
  const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family;
  const addresses = family === 4 || family === 6 ? resolved.filter((a) => a.family === family) : resolved;
  if (!addresses.length) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '');
  if (options.all) return callback(null, addresses);
  callback(null, addresses[0].address, addresses[0].family);
}
