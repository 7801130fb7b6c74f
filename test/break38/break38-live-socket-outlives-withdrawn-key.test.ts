import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { bearerGql, signWith } from '../support/jwks-host.js';
import { unique, uniqueCode } from '../support/program.js';
import { collect, openSocket, type TestSocket } from '../support/ws.js';

/**
 * break38 (live): SPEC §3 "A subscription lives only as long as its credentials". With
 * JWT_JWKS_URL, the issuer withdraws a signing key (a rotation after the key leaked): the gateway
 * fetches the new set and refuses every token of the old key over HTTP, but a socket opened with
 * such a token goes on streaming the member's balance until the token's `exp` (days, for an app's
 * token). The WebSocket server re-checks open sessions only for closed customers and revoked API
 * keys (src/http/ws.ts `sweep`) and the token's `exp` (`armExpiry`); nothing re-verifies a session's
 * token when the keys change, and the Authenticator's `verified` cache (src/http/auth.ts `verify`,
 * up to a minute) keeps taking the very token string on the socket's next operation too.
 *
 * What a holder of a token of the withdrawn key sees: the member's next balance change, pushed
 * after the gateway already refuses that key. What it should see: its socket closed 4401 once
 * the key is gone (as for an expired token), no event after it.
 */
describe('break38-live: a socket whose token was signed by a key the issuer withdrew', () => {
  let t: TestGateway;
  let jwks: Server;
  let body: string;
  let rotated: string;
  let oldKey: CryptoKey;
  let newKey: CryptoKey;
  const sockets: TestSocket[] = [];

  const sign = (key: CryptoKey, kid: string, sub: string, role?: string) => signWith(key, { alg: 'RS256', kid }, sub, role);

  const gql = (token: string, query: string, variables: Record<string, unknown> = {}) => bearerGql(t, token, query, variables);

  beforeAll(async () => {
    const a = await generateKeyPair('RS256', { extractable: true });
    const b = await generateKeyPair('RS256', { extractable: true });
    oldKey = a.privateKey;
    newKey = b.privateKey;
    const jwkA = { ...(await exportJWK(a.publicKey)), kid: 'old', alg: 'RS256', use: 'sig' };
    const jwkB = { ...(await exportJWK(b.publicKey)), kid: 'new', alg: 'RS256', use: 'sig' };
    body = JSON.stringify({ keys: [jwkA] });
    rotated = JSON.stringify({ keys: [jwkB] });
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

  it('is closed 4401 once the key is withdrawn, and gets no event after it', async () => {
    const operatorOld = await sign(oldKey, 'old', 'ops-1', 'operator');
    const currency = uniqueCode('JW');
    const externalId = unique('jwks-member');
    expect((await gql(operatorOld, `mutation C($input: CreateCurrencyInput!) { createCurrency(input: $input) { currency { code } } }`, { input: { code: currency, name: currency, expiryDays: null, pointValue: '0.01', moneyCurrency: 'EUR' } })).status).toBe(200);
    expect((await gql(operatorOld, `mutation U($input: UpsertCustomerInput!) { upsertCustomer(input: $input) { customer { id } } }`, { input: { externalId, name: externalId } })).body.data).toBeTruthy();
    const adjust = async (operator: string, amount: number) => {
      const answer = await gql(operator, `mutation A($input: AdjustPointsInput!) { adjustPoints(input: $input) { entry { id } userErrors { code } } }`, {
        input: { customerExternalId: externalId, currency, amount, reason: 'test', idempotencyKey: unique('adj') },
      });
      expect(answer.body.data?.adjustPoints).toMatchObject({ userErrors: [] });
    };

    const memberOld = await sign(oldKey, 'old', externalId);
    const socket = openSocket(t.url, memberOld);
    sockets.push(socket);
    await socket.connected;
    const start = (await gql(memberOld, `{ lastEventId }`)).body.data?.lastEventId as string;
    expect(start).toBe('0');
    const sub = collect<{ balanceChanged: { available: number } }>(socket.client, `subscription S($after: ID) { balanceChanged(after: $after) { available } }`, { after: start });
    await adjust(operatorOld, 1);
    expect((await sub.until(1).catch((e) => { throw new Error(`${e}: ${JSON.stringify(sub.results)} ${String(sub.failure)}`); }))[0].data?.balanceChanged.available).toBe(1); // the control: the socket streams

    // The issuer rotates: the old key is withdrawn. The gateway fetches the new set when a token of the new key comes.
    body = rotated;
    t.clock.advance(31_000);
    const operatorNew = await sign(newKey, 'new', 'ops-1', 'operator');
    const closedOrEvent = Promise.race([
      socket.closed.then((c) => ({ closed: c.code })),
      sub.until(2, 60_000).then((r) => ({ pushedAfterWithdrawal: r[1].data?.balanceChanged.available })),
    ]);
    expect((await gql(operatorNew, `{ __typename }`)).status).toBe(200);
    // The old key is now refused over HTTP (a token of it the gateway has not seen before).
    const fresh = await gql(await sign(oldKey, 'old', externalId), `{ me { externalId } }`);
    expect(fresh.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');

    await adjust(operatorNew, 2);
    // Expected { closed: 4401 }; received { pushedAfterWithdrawal: 3 }: the balance reached the withdrawn key's holder.
    expect(await closedOrEvent).toEqual({ closed: 4401 });
  });

  it('a key added beside the one a socket was opened with keeps that socket streaming', async () => {
    const third = await generateKeyPair('ES256', { extractable: true });
    const keyB = JSON.parse(rotated).keys[0];
    const operator = await sign(newKey, 'new', 'ops-1', 'operator');
    const currency = uniqueCode('JW');
    const externalId = unique('jwks-member');
    await gql(operator, `mutation C($input: CreateCurrencyInput!) { createCurrency(input: $input) { currency { code } } }`, { input: { code: currency, name: currency, expiryDays: null, pointValue: '0.01', moneyCurrency: 'EUR' } });
    await gql(operator, `mutation U($input: UpsertCustomerInput!) { upsertCustomer(input: $input) { customer { id } } }`, { input: { externalId, name: externalId } });
    const adjust = (amount: number) =>
      gql(operator, `mutation A($input: AdjustPointsInput!) { adjustPoints(input: $input) { userErrors { code } } }`, { input: { customerExternalId: externalId, currency, amount, reason: 'test', idempotencyKey: unique('adj') } });
    const member = await sign(newKey, 'new', externalId);
    const socket = openSocket(t.url, member);
    sockets.push(socket);
    await socket.connected;
    // From the stream's start (`after`), so an event committed before the subscription is set up is replayed, not missed.
    const start = (await gql(member, `{ lastEventId }`)).body.data?.lastEventId as string;
    const sub = collect<{ balanceChanged: { available: number } }>(socket.client, `subscription S($after: ID) { balanceChanged(after: $after) { available } }`, { after: start });
    await adjust(1);
    await sub.until(1);

    // The issuer adds a key (a rotation's first step): the set changes, the socket's key stays.
    body = JSON.stringify({ keys: [keyB, { ...(await exportJWK(third.publicKey)), kid: 'third', alg: 'ES256', use: 'sig' }] });
    t.clock.advance(31_000);
    const thirdToken = await signWith(third.privateKey, { alg: 'ES256', kid: 'third' }, 'ops-3', 'operator');
    expect((await gql(thirdToken, `{ __typename }`)).status).toBe(200);
    await adjust(2);
    expect((await sub.until(2)).map((r) => r.data?.balanceChanged.available)).toEqual([1, 3]);
  });
});
