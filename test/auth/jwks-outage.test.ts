import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import pino from 'pino';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { jwksHost, type JwksHost } from '../support/jwks-host.js';
import { openSocket } from '../support/ws.js';

const AUDIENCE = 'reward-gateway';
const KID = 'key-1';
const TIMEOUT_MS = 2_000;
const MAX_AGE_MS = 60_000;

/** A logger keeping the warnings about the keys' host, by message. */
function keptLog() {
  const warnings: string[] = [];
  const log = pino({ level: 'warn' }, { write: (line: string) => void warnings.push((JSON.parse(line) as { msg: string }).msg) });
  return { log, fetchFailures: () => warnings.filter((m) => m.startsWith('could not fetch the token keys')) };
}

/** POST `{ me }` with the token: status, codes and how long it took (ms). */
async function me(t: TestGateway, token: string) {
  const started = performance.now();
  const res = await t.fetch('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: '{ me { externalId } }' }),
  });
  const body = (await res.json()) as { data?: { me: { externalId: string } }; errors?: { message: string; extensions?: { code?: string } }[] };
  return { status: res.status, codes: body.errors?.map((e) => e.extensions?.code) ?? [], retryAfter: res.headers.get('retry-after'), ms: performance.now() - started };
}

/**
 * outside-15. A bearer-token request when JWT_JWKS_URL's host hangs or is down. Before, with jose's
 * createRemoteJWKSet: a gateway without keys yet made each request wait jose's 5 s (its
 * `timeoutDuration`) and answered 401 "The token is not valid." to good tokens (500
 * INTERNAL_SERVER_ERROR when the connection was refused), every next request waiting again; once
 * the keys were 10 minutes old each request waited on the host again and failed with the keys in
 * hand. Real gateway, a real HTTP host made to hang, the gateway's clock moved for the keys' age.
 */
describe('JWT_JWKS_URL host that hangs or is down (outside-15)', () => {
  let t: TestGateway;
  let host: JwksHost;
  let privateKey: CryptoKey;
  let n = 0;
  const kept = keptLog();
  /** A new token each time (the gateway keeps tokens it verified for a minute: a repeat would not reach the keys). */
  const token = (kid = KID) =>
    new SignJWT({ n: ++n }).setProtectedHeader({ alg: 'RS256', kid }).setSubject('jwks-bob').setAudience(AUDIENCE).setExpirationTime(Math.floor(Date.now() / 1000) + 3600).sign(privateKey);

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    privateKey = pair.privateKey;
    host = await jwksHost(JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: KID, alg: 'RS256', use: 'sig' }] }));
    host.hang();
    t = await startTestGateway(
      { JWT_JWKS_URL: host.url, JWT_AUDIENCE: AUDIENCE, JWT_JWKS_TIMEOUT_MS: String(TIMEOUT_MS), JWT_JWKS_MAX_AGE_MS: String(MAX_AGE_MS) },
      { log: kept.log },
    );
    await t.sql('insert into customer (external_id) values ($1)', ['jwks-bob']);
    // a first request paid for (the times below are the keys' host's, not a cold gateway's)
    await t.fetch('/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
  });
  afterAll(async () => {
    await t.close();
    await host.close();
  });

  it('before any key is held: concurrent requests share one bounded fetch and are told to retry (503), not that their token is bad; then served once it answers', async () => {
    const tokens = await Promise.all(Array.from({ length: 10 }, () => token()));
    const answers = await Promise.all(tokens.map((tk) => me(t, tk)));
    expect(answers.map(({ status, codes, retryAfter }) => ({ status, codes, retryAfter }))).toEqual(
      Array(10).fill({ status: 503, codes: ['SERVICE_UNAVAILABLE'], retryAfter: '2' }),
    );
    // each answered by one fetch ended at the bound (jose's 5 s before), however many wait: one
    // request to the host, one failure 'no answer within' the bound. (Their times were held to the
    // bound + 1.5 s, which a loaded machine passed, 5.2 s, with one fetch as here.)
    expect(host.requests).toBe(1);
    // the operator is told, once per fetch
    expect(kept.fetchFailures()).toEqual([`could not fetch the token keys (JWT_JWKS_URL): no answer within ${TIMEOUT_MS} ms`]);
    // right after the failure: answered without asking the host again (so with no fetch to wait for)
    const next = await me(t, await token());
    expect({ status: next.status, codes: next.codes, requests: host.requests }).toEqual({ status: 503, codes: ['SERVICE_UNAVAILABLE'], requests: 1 });
    // a socket is closed "try again later" (1013), which graphql-ws clients retry, not 4401
    const socket = openSocket(t.url, await token());
    expect(await socket.closed).toEqual({ code: 1013, reason: 'token keys unavailable: try again in 2 s' });
    await socket.dispose();
    // the host answers again: after the retry interval the next request fetches and is served
    host.answer();
    t.clock.advance(5_000);
    const served = await me(t, await token());
    expect({ status: served.status, codes: served.codes }).toEqual({ status: 200, codes: [] });
  });

  it('with keys held: a host that hangs once they are old delays no request, the held keys are served, and a new key id is told to retry', async () => {
    // (as the first case leaves it, also when it ran alone or failed: the host answers, the retry interval is over)
    host.answer();
    t.clock.advance(5_000);
    expect((await me(t, await token())).status).toBe(200);
    host.hang();
    const before = host.requests;
    t.clock.advance(MAX_AGE_MS + 1);
    const answers = await Promise.all(Array.from({ length: 5 }, async () => me(t, await token())));
    expect(answers.map(({ status, codes }) => ({ status, codes }))).toEqual(Array(5).fill({ status: 200, codes: [] }));
    // none waited for the refresh's bound
    for (const a of answers) expect(a.ms).toBeLessThan(TIMEOUT_MS);
    // one refresh asked for, in the background
    expect(host.requests).toBe(before + 1);
    // a key id not held (a rotation the gateway has not seen) cannot be decided while the host hangs
    const unknown = await me(t, await token('key-2'));
    expect({ status: unknown.status, codes: unknown.codes }).toEqual({ status: 503, codes: ['SERVICE_UNAVAILABLE'] });
    expect(unknown.ms).toBeLessThan(TIMEOUT_MS + 1_500);
    // the held key still serves
    expect((await me(t, await token())).status).toBe(200);
    host.answer();
  });

  it('a host that refuses connections is SERVICE_UNAVAILABLE too, not an internal error', async () => {
    const closed = await jwksHost('{}');
    const url = closed.url;
    await closed.close();
    const refusedLog = keptLog();
    const other = await startTestGateway({ JWT_JWKS_URL: url, JWT_AUDIENCE: AUDIENCE, JWT_JWKS_TIMEOUT_MS: String(TIMEOUT_MS) }, { log: refusedLog.log });
    try {
      const res = await me(other, await token());
      expect({ status: res.status, codes: res.codes }).toEqual({ status: 503, codes: ['SERVICE_UNAVAILABLE'] });
      expect(refusedLog.fetchFailures()).toEqual(['could not fetch the token keys (JWT_JWKS_URL): ECONNREFUSED']);
    } finally {
      await other.close();
    }
  });
});
