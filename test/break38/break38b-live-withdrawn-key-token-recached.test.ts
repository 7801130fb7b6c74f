import { execFileSync } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, rmSync, open as openAsync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { bearerGql, signWith } from '../support/jwks-host.js';
import { unique, uniqueCode } from '../support/program.js';
import { collect, openSocket, waitFor, type TestSocket } from '../support/ws.js';

/**
 * break38b (live): live-keys-38 empties the Authenticator's cache of verified tokens when
 * JWT_JWKS_URL's key set changes (src/http/auth.ts, the `remote.onChange` listener). But a
 * verification that began under the old set and ends after the clear writes its token into the
 * emptied cache (`Authenticator.verify`: `this.verified.set(...)` after `verifySignature`, with no
 * check that the keys changed meanwhile), for up to a minute. The usual way in: keys older than
 * JWT_JWKS_MAX_AGE_MS are fetched in the background while the held (old) ones verify the request
 * (`RemoteKeys.getKey`), so the very request that brought the new set is verified with the old
 * key, and its signature check (WebCrypto, on libuv's thread pool: here held busy, as any burst of
 * crypto, DNS or file work does) finishes after the fetch's clear.
 *
 * The token of the withdrawn key is then taken from the cache: over HTTP (the gateway already
 * holds the set without that key), and at a socket's connect, whose session the key watch never
 * judges again (it ran before); a subscription started on it streams the member's balance until the
 * token's exp (days), the break38 fault again.
 *
 * What the holder of a token of the withdrawn key sees: 200 with the member's data after the
 * gateway took the new key set, and a socket that opens and streams. What it should see:
 * UNAUTHENTICATED, and the socket closed 4401 (as for a token of that key not seen before).
 */
describe('break38b-live: a token of a withdrawn key verified across the key change', () => {
  let t: TestGateway;
  let jwks: Server;
  let body: string;
  let rotated: string;
  let fetches = 0;
  let oldKey: CryptoKey;
  let newKey: CryptoKey;
  let fifoDir: string;
  const sockets: TestSocket[] = [];

  const sign = (key: CryptoKey, kid: string, sub: string, role?: string) => signWith(key, { alg: 'RS256', kid }, sub, role);

  const gql = (token: string, query: string, variables: Record<string, unknown> = {}) => bearerGql(t, token, query, variables);

  beforeAll(async () => {
    const a = await generateKeyPair('RS256', { extractable: true });
    const b = await generateKeyPair('RS256', { extractable: true });
    oldKey = a.privateKey;
    newKey = b.privateKey;
    body = JSON.stringify({ keys: [{ ...(await exportJWK(a.publicKey)), kid: 'old', alg: 'RS256', use: 'sig' }] });
    rotated = JSON.stringify({ keys: [{ ...(await exportJWK(b.publicKey)), kid: 'new', alg: 'RS256', use: 'sig' }] });
    jwks = createServer((_req, res) => {
      fetches++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    t = await startTestGateway({ JWT_JWKS_URL: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`, JWT_JWKS_MAX_AGE_MS: '10000', WS_SESSION_RECHECK_MS: '50' });
    fifoDir = mkdtempSync(join(tmpdir(), 'b38b-pool-'));
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.dispose()));
    await t.close();
    jwks.closeAllConnections();
    await new Promise((resolve) => jwks.close(resolve));
    rmSync(fifoDir, { recursive: true, force: true });
  });

  /** Holds every thread of libuv's pool (an open of a FIFO waits for its writer); answers the release. */
  function holdThreadPool(): () => void {
    const size = Number(process.env.UV_THREADPOOL_SIZE) || 4;
    const fifos = Array.from({ length: size }, (_, i) => join(fifoDir, `hold-${unique('f')}-${i}`));
    for (const f of fifos) execFileSync('mkfifo', [f]);
    for (const f of fifos) openAsync(f, 'r', (_e, fd) => fd !== undefined && closeSync(fd));
    return () => {
      for (const f of fifos) closeSync(openSync(f, 'w'));
    };
  }

  const okFetches = async () => Number(/gateway_jwks_fetches_total\{outcome="ok"\} (\d+)/.exec(await t.gateway.metrics.render())?.[1] ?? 0);

  it('is refused once the gateway holds the set without its key', async () => {
    const operatorOld = await sign(oldKey, 'old', 'ops-1', 'operator');
    const currency = uniqueCode('JWC');
    const externalId = unique('jwks-member');
    expect((await gql(operatorOld, `mutation C($input: CreateCurrencyInput!) { createCurrency(input: $input) { currency { code } } }`, { input: { code: currency, name: currency, expiryDays: null, pointValue: '0.01', moneyCurrency: 'EUR' } })).status).toBe(200);
    expect((await gql(operatorOld, `mutation U($input: UpsertCustomerInput!) { upsertCustomer(input: $input) { customer { id } } }`, { input: { externalId, name: externalId } })).body.data).toBeTruthy();
    expect(await okFetches()).toBe(1);

    // The issuer withdraws the old key; the gateway's keys are past JWT_JWKS_MAX_AGE_MS.
    body = rotated;
    t.clock.advance(11_000);
    const memberOld = await sign(oldKey, 'old', externalId);
    const release = holdThreadPool();
    // This request starts the background fetch and is verified with the held (old) key.
    const first = gql(memberOld, `{ me { externalId } }`);
    try {
      await waitFor(async () => (await okFetches()) === 2, 15_000, 'the new key set taken');
    } finally {
      release();
    }
    expect(fetches).toBe(2);
    await first; // (accepted or not: the keys were being fetched in the background when it came)

    // The gateway now holds only the new key: a token of the old key it has not seen is refused (the control) ...
    const fresh = await gql(await sign(oldKey, 'old', externalId), `{ me { externalId } }`);
    expect(fresh.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    // ... and so must be the one verified across the change.
    const again = await gql(memberOld, `{ me { externalId } }`);
    const socket = openSocket(t.url, memberOld);
    sockets.push(socket);
    const connect = await Promise.race([socket.connected.then(() => 'connected'), socket.closed.then((c) => c.code)]);
    let streamed: number | undefined;
    if (connect === 'connected') {
      const sub = collect<{ balanceChanged: { available: number } }>(socket.client, `subscription S($after: ID) { balanceChanged(after: $after) { available } }`, { after: '0' });
      const operatorNew = await sign(newKey, 'new', 'ops-1', 'operator');
      const adjusted = await gql(operatorNew, `mutation A($input: AdjustPointsInput!) { adjustPoints(input: $input) { userErrors { code } } }`, {
        input: { customerExternalId: externalId, currency, amount: 5, reason: 'test', idempotencyKey: unique('adj') },
      });
      expect(adjusted.body.data?.adjustPoints).toEqual({ userErrors: [] });
      streamed = await sub.until(1, 15_000).then((r) => r[0].data?.balanceChanged.available).catch(() => undefined);
    }
    const http = again.body.errors?.[0]?.extensions?.code ?? JSON.stringify(again.body.data);
    // Expected { http: 'UNAUTHENTICATED', socket: 4401 }; received { http: '{"me":{"externalId":…}}', socket: 'connected', streamed: 5 }.
    expect({ http, socket: connect, streamed }).toEqual({ http: 'UNAUTHENTICATED', socket: 4401, streamed: undefined });
  });
});
