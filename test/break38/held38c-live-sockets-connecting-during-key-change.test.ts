import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { unique } from '../support/program.js';
import { firstResult, openSocket, type TestSocket } from '../support/ws.js';

/**
 * held38c (live keys): many sockets connect while the issuer's key set changes (live-keys-38b: the
 * connect's re-verification loop in src/http/ws.ts, `Authenticator.verify`'s retry on a moved
 * generation, the key watch run after the fetch). The set goes from {old RS256, both ES256} to
 * {both, new}: every socket of the withdrawn `old` key, open before or connecting meanwhile, ends
 * 4401; every socket of `both` (a key in both sets) stays and answers; a second change (the issuer
 * flips back and forth: {both, new} → {both, old2}) in the middle of it does not stall the requests
 * that brought it.
 */
describe('held38c-live: sockets connecting while the key set changes', () => {
  let t: TestGateway;
  let jwks: Server;
  let body: string;
  let keys: Record<'old' | 'both' | 'new' | 'old2', { priv: CryptoKey; jwk: Record<string, unknown>; alg: string }>;
  const sockets: TestSocket[] = [];

  const sign = (name: keyof typeof keys, sub: string) =>
    new SignJWT({ role: 'operator', jti: unique('jti') })
      .setProtectedHeader({ alg: keys[name].alg, kid: name })
      .setSubject(sub)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + 86_400)
      .sign(keys[name].priv);
  const set = (...names: (keyof typeof keys)[]) => JSON.stringify({ keys: names.map((n) => keys[n].jwk) });
  const status = async (token: string) =>
    (await t.fetch('/graphql', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query: '{ __typename }' }) })).status;

  beforeAll(async () => {
    const make = async (name: string, alg: 'RS256' | 'ES256') => {
      const pair = await generateKeyPair(alg, { extractable: true });
      return { priv: pair.privateKey, jwk: { ...(await exportJWK(pair.publicKey)), kid: name, alg, use: 'sig' }, alg };
    };
    keys = { old: await make('old', 'RS256'), both: await make('both', 'ES256'), new: await make('new', 'RS256'), old2: await make('old2', 'RS256') };
    body = set('old', 'both');
    jwks = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(body));
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    t = await startTestGateway({ JWT_JWKS_URL: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`, JWT_JWKS_MAX_AGE_MS: '10000', WS_SESSION_RECHECK_MS: '50' });
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.dispose()));
    await t.close();
    jwks.closeAllConnections();
    await new Promise((resolve) => jwks.close(resolve));
  });

  const open = async (name: keyof typeof keys) => {
    const s = openSocket(t.url, await sign(name, unique(`ops-${name}`)));
    sockets.push(s);
    return s;
  };

  it('closes every withdrawn-key socket 4401 and keeps every socket of a key in both sets', async () => {
    expect(await status(await sign('old', 'ops-0'))).toBe(200);
    const before = { old: await open('old'), both: await open('both') };
    await Promise.all([before.old.connected, before.both.connected]);

    body = set('both', 'new');
    t.clock.advance(31_000);
    const during = await Promise.all([...Array.from({ length: 8 }, () => open('old')), ...Array.from({ length: 8 }, () => open('both'))]);
    const requests = Promise.all([status(await sign('new', 'ops-n')), status(await sign('both', 'ops-b')), status(await sign('old', 'ops-o'))]);
    expect(await requests).toEqual([200, 200, 401]);
    // the issuer flips again while more connect: a key id no set had yet brings the next set
    t.clock.advance(31_000);
    body = set('both', 'old2');
    const more = await Promise.all([open('both'), open('old')]);
    expect(await status(await sign('old2', 'ops-o2'))).toBe(200);
    during.splice(8, 0, more[1]);
    during.push(more[0]);

    const olds = [before.old, ...during.slice(0, 9)];
    const boths = [before.both, ...during.slice(9)];
    expect((await Promise.all(olds.map((s) => s.closed))).map((c) => c.code)).toEqual(olds.map(() => 4401));
    for (const s of boths) await s.connected;
    const answers = await Promise.all(boths.map((s) => firstResult(s.client, '{ __typename }')));
    expect(answers.map((a) => a.data?.__typename)).toEqual(boths.map(() => 'Query'));
  });
});
