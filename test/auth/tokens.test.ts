import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, UnsecuredJWT, type CryptoKey } from 'jose';
import { startTestGateway, TEST_JWT_SECRET, type TestGateway } from '../support/gateway.js';

/**
 * Tokens test/auth/authorization.test.ts does not cover (it has forged, `none`, expired, HS512 and
 * tampered tokens on an HS256 gateway): audience and issuer (JWT_AUDIENCE, JWT_ISSUER), and a
 * gateway verifying against a JWKS (RS256), where an HS256 token "signed" with the public key (the
 * algorithm-confusion attack), an HS256 token with the shared secret, `none`, a key of our own
 * under the JWKS's key id, and a wrong audience are all refused.
 */

const ME = '{ me { externalId } }';
const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;
const AUDIENCE = 'reward-gateway';
const ISSUER = 'https://auth.example.test/';

async function me(t: TestGateway, token: string) {
  const res = await t.fetch('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: ME }),
  });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as { data?: unknown; errors?: { extensions?: { code?: string } }[] } };
}

async function expectRefused(t: TestGateway, token: string) {
  const res = await me(t, token);
  expect({ status: res.status, codes: res.body.errors?.map((e) => e.extensions?.code), data: res.body.data }).toEqual({
    status: 401,
    codes: ['UNAUTHENTICATED'],
    data: undefined,
  });
}

/** A customer row straight in the database: these gateways' staff tokens are what is under test. */
async function customerRow(t: TestGateway, externalId: string) {
  await t.sql('insert into customer (external_id) values ($1)', [externalId]);
}

describe('HS256 with JWT_AUDIENCE and JWT_ISSUER', () => {
  let t: TestGateway;
  const secret = new TextEncoder().encode(TEST_JWT_SECRET);
  const token = (claims: { aud?: string; iss?: string }) => {
    const jwt = new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('tok-alice').setExpirationTime(inAnHour());
    if (claims.aud) jwt.setAudience(claims.aud);
    if (claims.iss) jwt.setIssuer(claims.iss);
    return jwt.sign(secret);
  };

  beforeAll(async () => {
    t = await startTestGateway({ JWT_AUDIENCE: AUDIENCE, JWT_ISSUER: ISSUER });
    await customerRow(t, 'tok-alice');
  });
  afterAll(() => t.close());

  it('a token for this audience from this issuer is accepted (the control)', async () => {
    expect(await me(t, await token({ aud: AUDIENCE, iss: ISSUER }))).toEqual({ status: 200, body: { data: { me: { externalId: 'tok-alice' } } } });
  });

  it.each([
    ['another audience', { aud: 'another-api', iss: ISSUER }],
    ['no audience', { iss: ISSUER }],
    ['another issuer', { aud: AUDIENCE, iss: 'https://evil.example.test/' }],
    ['no issuer', { aud: AUDIENCE }],
  ])('a token with %s is refused', async (_name, claims) => {
    await expectRefused(t, await token(claims));
  });

  it('an RS256 token is refused by a gateway configured for HS256', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    await expectRefused(t, await new SignJWT({}).setProtectedHeader({ alg: 'RS256' }).setSubject('tok-alice').setAudience(AUDIENCE).setIssuer(ISSUER).setExpirationTime(inAnHour()).sign(privateKey));
  });
});

describe('RS256 against a JWKS (JWT_JWKS_URL)', () => {
  let t: TestGateway;
  let jwks: Server;
  let privateKey: CryptoKey;
  let publicPem: string;
  const kid = 'key-1';

  const rs = (key: CryptoKey, extra: { aud?: string; exp?: number; kid?: string } = {}) =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid: extra.kid ?? kid })
      .setSubject('jwks-alice')
      .setAudience(extra.aud ?? AUDIENCE)
      .setExpirationTime(extra.exp ?? inAnHour())
      .sign(key);

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    privateKey = pair.privateKey;
    publicPem = await exportSPKI(pair.publicKey);
    const body = JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid, alg: 'RS256', use: 'sig' }] });
    jwks = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(body));
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const { port } = jwks.address() as AddressInfo;
    t = await startTestGateway({ JWT_JWKS_URL: `http://127.0.0.1:${port}/jwks.json`, JWT_AUDIENCE: AUDIENCE });
    await customerRow(t, 'jwks-alice');
  });
  afterAll(async () => {
    await t.close();
    await new Promise((resolve) => jwks.close(resolve));
  });

  it('a token signed with the JWKS key is accepted (the control)', async () => {
    expect(await me(t, await rs(privateKey))).toEqual({ status: 200, body: { data: { me: { externalId: 'jwks-alice' } } } });
  });

  it('HS256 "signed" with the public key as the HMAC secret (algorithm confusion) is refused', async () => {
    const forged = await new SignJWT({}).setProtectedHeader({ alg: 'HS256', kid }).setSubject('jwks-alice').setAudience(AUDIENCE).setExpirationTime(inAnHour())
      .sign(new TextEncoder().encode(publicPem));
    await expectRefused(t, forged);
  });

  it('HS256 with the shared JWT_SECRET is refused once a JWKS is configured', async () => {
    const hs = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('jwks-alice').setAudience(AUDIENCE).setExpirationTime(inAnHour())
      .sign(new TextEncoder().encode(TEST_JWT_SECRET));
    await expectRefused(t, hs);
  });

  it('an unsigned token (alg none) is refused', async () => {
    await expectRefused(t, new UnsecuredJWT({}).setSubject('jwks-alice').setAudience(AUDIENCE).setExpirationTime(inAnHour()).encode());
  });

  it('a token signed with another key under the JWKS key id is refused', async () => {
    const { privateKey: other } = await generateKeyPair('RS256');
    await expectRefused(t, await rs(other));
  });

  it('an expired token is refused', async () => {
    await expectRefused(t, await rs(privateKey, { exp: Math.floor(Date.now() / 1000) - 60 }));
  });

  it('a token for another audience is refused', async () => {
    await expectRefused(t, await rs(privateKey, { aud: 'another-api' }));
  });

  it('a token naming a key id the JWKS does not have is refused', async () => {
    await expectRefused(t, await rs(privateKey, { kid: 'key-2' }));
  });
});

describe('claims that do not check out are each named (edges-11)', () => {
  let t: TestGateway;
  const secret = new TextEncoder().encode(TEST_JWT_SECRET);
  const now = () => Math.floor(Date.now() / 1000);

  beforeAll(async () => {
    t = await startTestGateway({});
    await customerRow(t, 'claims-alice');
  });
  afterAll(() => t.close());

  it.each([
    ['a customer token without exp', () => new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('claims-alice').setIssuedAt().sign(secret), 'The token has no exp claim: this gateway takes only tokens that expire (exp is required).'],
    ['a staff token without exp', () => new SignJWT({ role: 'operator' }).setProtectedHeader({ alg: 'HS256' }).setSubject('staff-1').sign(secret), 'The token has no exp claim: this gateway takes only tokens that expire (exp is required).'],
    ['an exp that is not a number', () => new SignJWT({ exp: 'tomorrow' } as never).setProtectedHeader({ alg: 'HS256' }).setSubject('claims-alice').sign(secret), "The token's exp claim must be a number of seconds since 1970."],
    ['a token not valid for an hour yet', () => new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('claims-alice').setNotBefore(now() + 3600).setExpirationTime(now() + 7200).sign(secret), 'The token is not valid yet (nbf).'],
    ['a token without sub', () => new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(now() + 3600).sign(secret), 'The token has no valid subject.'],
    ['a signature by another secret', () => new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('claims-alice').setExpirationTime(now() + 3600).sign(new TextEncoder().encode(`${TEST_JWT_SECRET}-not`)), "The token's signature does not verify."],
  ])('%s is 401 UNAUTHENTICATED saying which claim, and never served', async (_name, sign, message) => {
    const res = await me(t, await sign());
    expect({ status: res.status, errors: (res.body.errors as { message: string; extensions?: { code?: string } }[] | undefined)?.map((e) => ({ code: e.extensions?.code, message: e.message })), data: res.body.data }).toEqual({
      status: 401,
      errors: [{ code: 'UNAUTHENTICATED', message }],
      data: undefined,
    });
  });

  it('the control: the same customer token with exp is served', async () => {
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('claims-alice').setExpirationTime(now() + 3600).sign(secret);
    expect(await me(t, token)).toEqual({ status: 200, body: { data: { me: { externalId: 'claims-alice' } } } });
  });
});
