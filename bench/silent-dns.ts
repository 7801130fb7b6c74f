/**
 * outside-15's demonstration of a silent DNS server against getaddrinfo (not part of the suite: it
 * needs the system resolver itself to hang). Run as root in a mount namespace whose resolv.conf
 * names a silent address:
 *
 *   echo 'nameserver 127.0.0.77' > /tmp/silent-resolv.conf
 *   unshare -m sh -c 'mount --bind /tmp/silent-resolv.conf /etc/resolv.conf &&
 *     node --import ./test/support/ts-hooks.mjs bench/silent-dns.ts jose'      # or: remote-keys
 *
 * It listens on 127.0.0.77:53 and drops every query, makes four verifications against a JWKS host
 * named `jwks.issuer.example` (jose's createRemoteJWKSet, one after another; or RemoteKeys, 5 s
 * apart on its clock, its retry interval), then times `dns.lookup('localhost')`, which waits for a
 * getaddrinfo thread. docs/decisions.md, outside-15, has the figures.
 */
import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { createRemoteJWKSet, type CompactJWSHeaderParameters, type FlattenedJWSInput } from 'jose';
import { RemoteKeys } from '../src/http/jwks.js';

const silent = dgram.createSocket('udp4');
let queries = 0;
silent.on('message', () => queries++);
await new Promise<void>((resolve) => silent.bind(53, '127.0.0.77', resolve));
const url = new URL('http://jwks.issuer.example:8080/jwks.json');
const header: CompactJWSHeaderParameters = { alg: 'RS256', kid: 'k' };
const token = {} as FlattenedJWSInput;
const which = process.argv[2] === 'jose' ? 'jose' : 'remote-keys';
const started = performance.now();
const failed = (i: number) => (error: Error) => console.log(which, i, error.constructor.name, `${Math.round(performance.now() - started)} ms`);
if (which === 'jose') {
  const jwks = createRemoteJWKSet(url, { timeoutDuration: 500 });
  for (let i = 0; i < 4; i++) await jwks(header, token).catch(failed(i));
} else {
  let offset = 0;
  const keys = new RemoteKeys(url, { timeoutMs: 500, maxAgeMs: 600_000 }, { now: () => new Date(Date.now() + offset) });
  for (let i = 0; i < 4; i++) {
    await Promise.resolve(keys.getKey(header, token)).catch(failed(i));
    offset += 5_000;
  }
}
const before = performance.now();
await lookup('localhost');
console.log(which, `then dns.lookup('localhost') waited ${Math.round(performance.now() - before)} ms; queries the silent server got: ${queries}`);
silent.close();
process.exit(0);
