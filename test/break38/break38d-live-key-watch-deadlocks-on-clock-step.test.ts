import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { unique } from '../support/program.js';
import { openSocket, type TestSocket } from '../support/ws.js';

/**
 * break38d (live): live-keys-38b says the key watch's listeners run once the fetch has ended "so a
 * listener whose re-verification needed a fetch (the clock stepped back, so the keys read as old)"
 * no longer joins the fetch waiting for it. But `RemoteKeys.refresh` answers every caller
 * `this.pending.then(() => this.notifying)`, and `notifying` is the promise of the very listeners
 * running: the listener's re-verification starts (or joins) a fetch and then waits for `notifying`,
 * i.e. for itself. src/http/jwks.ts, `refresh`.
 *
 * Here the host clock steps back 2 s right after the fetch that withdrew key "old" (a bad NTP
 * answer): the key watch re-verifies the open socket's token; its `getKey` reads the keys as
 * infinitely old (`elapsed` of a time ahead), starts a background fetch, misses the kid, and awaits
 * `refresh` -> `notifying` -> itself. It never returns.
 *
 * What a user sees: the socket opened with the withdrawn key's token is never closed (it streams
 * until the token's exp, days), and every later request that needs the keys fetched (a token of a
 * kid not held: here the withdrawn key's) hangs for good (no answer, no 401).
 * What they should see: the socket closed 4401, the request answered UNAUTHENTICATED.
 */
describe('break38d-live: the key watch after a clock step back', () => {
  let t: TestGateway;
  let jwks: Server;
  let body: string;
  let rotated: string;
  let oldKey: CryptoKey;
  let armed = false;
  let stepped = false;
  const sockets: TestSocket[] = [];

  const sign = (key: CryptoKey, kid: string, sub: string, role?: string) =>
    new SignJWT(role ? { role, jti: unique('jti') } : { jti: unique('jti') })
      .setProtectedHeader({ alg: 'RS256', kid })
      .setSubject(sub)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + 7 * 86_400)
      .sign(key);

  const gql = async (token: string, query: string, variables: Record<string, unknown> = {}) => {
    const res = await t.fetch('/graphql', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });
    return { status: res.status, body: (await res.json()) as { data?: Record<string, unknown>; errors?: { extensions?: { code?: string } }[] } };
  };

  beforeAll(async () => {
    const a = await generateKeyPair('RS256', { extractable: true });
    const b = await generateKeyPair('RS256', { extractable: true });
    oldKey = a.privateKey;
    body = JSON.stringify({ keys: [{ ...(await exportJWK(a.publicKey)), kid: 'old', alg: 'RS256', use: 'sig' }] });
    rotated = JSON.stringify({ keys: [{ ...(await exportJWK(b.publicKey)), kid: 'new', alg: 'RS256', use: 'sig' }] });
    jwks = createServer((_req, res) => {
      if (body === rotated) armed = true;
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    t = await startTestGateway({ JWT_JWKS_URL: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`, JWT_JWKS_MAX_AGE_MS: '10000', WS_SESSION_RECHECK_MS: '50' });
    // The host's clock steps back 2 s right after the gateway took the rotated key set: the first
    // read of the clock by the key fetch's completion (its `fetchedAt`) is the last one before the step.
    const now = t.clock.now.bind(t.clock);
    t.clock.now = () => {
      if (stepped) return new Date(now().getTime() - 2_000);
      if (armed && /jwks/.test(new Error().stack ?? '')) stepped = true;
      return now();
    };
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.dispose()));
    await t.close();
    jwks.closeAllConnections();
    await new Promise((resolve) => jwks.close(resolve));
  });

  it('closes the withdrawn key socket and answers its token', async () => {
    const externalId = unique('jwks-member');
    const operatorOld = await sign(oldKey, 'old', 'ops-1', 'operator');
    expect((await gql(operatorOld, `mutation U($input: UpsertCustomerInput!) { upsertCustomer(input: $input) { customer { id } } }`, { input: { externalId, name: externalId } })).body.data).toBeTruthy();
    const memberOld = await sign(oldKey, 'old', externalId);
    const socket = openSocket(t.url, memberOld);
    sockets.push(socket);
    await socket.connected;

    // The issuer withdraws "old"; the held keys are past JWT_JWKS_MAX_AGE_MS: a request fetches them in the background.
    body = rotated;
    t.clock.advance(11_000);
    const trigger = gql(await sign(oldKey, 'old', externalId), `{ me { externalId } }`).then((r) => r.body.errors?.[0]?.extensions?.code ?? 'accepted'); // (a token not in the cache of verified ones)

    const stalled = () => new Promise<'stalled'>((resolve) => setTimeout(() => resolve('stalled'), 10_000).unref());
    const first = await Promise.race([trigger, stalled()]);
    const closed = await Promise.race([socket.closed.then((c) => c.code), stalled()]);
    const answer = await Promise.race([gql(await sign(oldKey, 'old', externalId), `{ me { externalId } }`).then((r) => r.body.errors?.[0]?.extensions?.code ?? 'accepted'), stalled()]);
    expect(stepped).toBe(true);
    // Expected { first: 'UNAUTHENTICATED', socket: 4401, request: 'UNAUTHENTICATED' } (the first may be taken by the held key);
    // received { first: 'stalled', socket: 'stalled', request: 'stalled' }.
    expect({ first: first === 'accepted' ? 'UNAUTHENTICATED' : first, socket: closed, request: answer }).toEqual({ first: 'UNAUTHENTICATED', socket: 4401, request: 'UNAUTHENTICATED' });
  }, 90_000);
});
