import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { bearerGql, signWith } from '../support/jwks-host.js';
import { unique, uniqueCode } from '../support/program.js';
import { collect, openSocket, type TestSocket } from '../support/ws.js';

/**
 * break38b (live), an attack that held: live-keys-38 judges every open socket's token again when a
 * fetch of JWT_JWKS_URL brings a key set "other than the one held" (compared as JSON text). The
 * same keys in another order, with their members reordered, an extra member and other whitespace
 * count as a change (every token is verified again, the verified cache emptied), but no socket is
 * closed; a failed fetch changes nothing; then withdrawing the RS256 key closes 4401 only its
 * member's socket: the ES256 member's keeps streaming, and the ES256 staff socket and a partner's
 * API-key socket stay open.
 */
describe('held38b-live: sockets across key sets that change, or only look changed', () => {
  let t: TestGateway;
  let jwks: Server;
  let answer: () => [number, string];
  const sockets: TestSocket[] = [];
  let rsa: CryptoKey;
  let ec: CryptoKey;
  let jwkA: JWK;
  let jwkE: JWK;

  const sign = (key: CryptoKey, alg: string, kid: string, sub: string, role?: string) => signWith(key, { alg, kid }, sub, role);

  const gql = (token: string, query: string, variables: Record<string, unknown> = {}) => bearerGql(t, token, query, variables);

  beforeAll(async () => {
    const a = await generateKeyPair('RS256', { extractable: true });
    const e = await generateKeyPair('ES256', { extractable: true });
    rsa = a.privateKey;
    ec = e.privateKey;
    jwkA = { ...(await exportJWK(a.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' };
    jwkE = { ...(await exportJWK(e.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' };
    const first = JSON.stringify({ keys: [jwkA, jwkE] });
    answer = () => [200, first];
    jwks = createServer((_req, res) => {
      const [status, body] = answer();
      res.writeHead(status, { 'content-type': 'application/json' }).end(body);
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    t = await startTestGateway({ JWT_JWKS_URL: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`, JWT_JWKS_MAX_AGE_MS: '600000', WS_SESSION_RECHECK_MS: '50' });
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.dispose()));
    await t.close();
    jwks.closeAllConnections();
    await new Promise((resolve) => jwks.close(resolve));
  });

  const fetchesOf = async (outcome: string) => Number(new RegExp(`gateway_jwks_fetches_total\\{outcome="${outcome}"\\} (\\d+)`).exec(await t.gateway.metrics.render())?.[1] ?? -1);

  it('closes only the withdrawn key’s socket, and none for a reordered set or a failed fetch', async () => {
    const operator = await sign(ec, 'ES256', 'ec-1', 'ops-1', 'operator');
    const currency = uniqueCode('JWH');
    expect((await gql(operator, `mutation C($input: CreateCurrencyInput!) { createCurrency(input: $input) { currency { code } } }`, { input: { code: currency, name: currency, expiryDays: null, pointValue: '0.01', moneyCurrency: 'EUR' } })).status).toBe(200);
    const members = [unique('rsa-member'), unique('ec-member')];
    for (const externalId of members) expect((await gql(operator, `mutation U($input: UpsertCustomerInput!) { upsertCustomer(input: $input) { customer { id } } }`, { input: { externalId, name: externalId } })).body.data).toBeTruthy();
    const partner = await gql(operator, `mutation P($input: CreatePartnerInput!) { createPartner(input: $input) { apiKey userErrors { code } } }`, { input: { name: unique('partner'), scopes: ['customers:read'] } });
    const apiKey = partner.body.data!.createPartner.apiKey as string;
    const adjust = async (externalId: string, amount: number) =>
      expect((await gql(operator, `mutation A($input: AdjustPointsInput!) { adjustPoints(input: $input) { userErrors { code } } }`, { input: { customerExternalId: externalId, currency, amount, reason: 'test', idempotencyKey: unique('adj') } })).body.data?.adjustPoints).toEqual({ userErrors: [] });

    const open = (params: string | Record<string, unknown>) => {
      const s = openSocket(t.url, params);
      sockets.push(s);
      const state = { closed: undefined as number | undefined };
      void s.closed.then((c) => (state.closed = c.code));
      return { s, state };
    };
    const rsaMember = open(await sign(rsa, 'RS256', 'rsa-1', members[0]));
    const ecMember = open(await sign(ec, 'ES256', 'ec-1', members[1]));
    const staff = open(await sign(ec, 'ES256', 'ec-1', 'ops-2', 'operator'));
    const partnerSocket = open({ 'x-api-key': apiKey });
    for (const o of [rsaMember, ecMember, staff, partnerSocket]) await o.s.connected;
    const subscribe = (o: { s: TestSocket }) => collect<{ balanceChanged: { available: number } }>(o.s.client, `subscription S($after: ID) { balanceChanged(after: $after) { available } }`, { after: '0' });
    const rsaSub = subscribe(rsaMember);
    const ecSub = subscribe(ecMember);
    await adjust(members[0], 1);
    await adjust(members[1], 1);
    await rsaSub.until(1);
    await ecSub.until(1);

    // 1. The same keys: in another order, members reordered, an extra member, other whitespace.
    const reorder = (k: JWK) => Object.fromEntries([...Object.entries(k)].reverse().concat([['x-published', '2026-12-05']]));
    answer = () => [200, JSON.stringify({ keys: [reorder(jwkE), reorder(jwkA)] }, null, 3)];
    t.clock.advance(31_000);
    expect((await gql(await sign(ec, 'ES256', 'unknown-kid', 'ops-3', 'operator'), `{ __typename }`)).status).toBe(401);
    expect(await fetchesOf('ok')).toBe(2); // the reordered set was taken
    await adjust(members[0], 2);
    await adjust(members[1], 2);
    expect((await rsaSub.until(2)).map((r) => r.data?.balanceChanged.available)).toEqual([1, 3]);
    expect((await ecSub.until(2)).map((r) => r.data?.balanceChanged.available)).toEqual([1, 3]);

    // 2. A failed fetch.
    answer = () => [500, 'oops'];
    t.clock.advance(31_000);
    expect((await gql(await sign(ec, 'ES256', 'unknown-kid-2', 'ops-3', 'operator'), `{ __typename }`)).status).toBe(503);
    expect(await fetchesOf('http_error')).toBe(1);
    await adjust(members[0], 4);
    expect((await rsaSub.until(3)).map((r) => r.data?.balanceChanged.available)).toEqual([1, 3, 7]);

    // 3. The RS256 key withdrawn.
    answer = () => [200, JSON.stringify({ keys: [jwkE] })];
    t.clock.advance(31_000);
    expect((await gql(await sign(ec, 'ES256', 'unknown-kid-3', 'ops-3', 'operator'), `{ __typename }`)).status).toBe(401);
    expect(await rsaMember.s.closed).toEqual({ code: 4401, reason: 'token no longer valid: its signing key was withdrawn' });
    await adjust(members[1], 4);
    expect((await ecSub.until(3)).map((r) => r.data?.balanceChanged.available)).toEqual([1, 3, 7]);
    expect({ ec: ecMember.state.closed, staff: staff.state.closed, partner: partnerSocket.state.closed, rsaEvents: rsaSub.results.length }).toEqual({ ec: undefined, staff: undefined, partner: undefined, rsaEvents: 3 });
  });
});
