import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { jwksHost, meStatus, type JwksHost } from '../support/jwks-host.js';
import { eventually } from '../support/program.js';

const AUDIENCE = 'reward-gateway';
const KID = 'key-1';
const MAX_AGE_MS = 10_000;

/** What /metrics shows of the token keys: successful fetches, and the keys' age (s). */
async function keysShown(t: TestGateway): Promise<{ ok: number; age: number | undefined }> {
  const text = await (await t.fetch('/metrics')).text();
  const ok = Number(/^gateway_jwks_fetches_total\{outcome="ok"\} (\S+)$/m.exec(text)?.[1]);
  const age = /^gateway_jwks_keys_age_seconds (\S+)$/m.exec(text)?.[1];
  return { ok, age: age === undefined ? undefined : Number(age) };
}

/**
 * break-16: the gateway's clock stepped back (an NTP correction, a VM restored) after the token keys
 * were fetched. JWT_JWKS_MAX_AGE_MS is counted on that clock: the keys must still be fetched again
 * once they are due, not held as fresh for as long as the step (a withdrawn key trusted that long).
 */
describe('the token keys after the gateway’s clock is stepped back (break-16)', () => {
  let t: TestGateway;
  let host: JwksHost;
  let privateKey: CryptoKey;
  let n = 0;
  const me = async () => {
    const jwt = await new SignJWT({ n: ++n })
      .setProtectedHeader({ alg: 'RS256', kid: KID })
      .setSubject('jwks-back')
      .setAudience(AUDIENCE)
      .setExpirationTime(Math.floor(Date.now() / 1000) + 3600)
      .sign(privateKey);
    return meStatus(t, jwt);
  };

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    privateKey = pair.privateKey;
    host = await jwksHost(JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: KID, alg: 'RS256', use: 'sig' }] }));
    t = await startTestGateway({ JWT_JWKS_URL: host.url, JWT_AUDIENCE: AUDIENCE, JWT_JWKS_MAX_AGE_MS: String(MAX_AGE_MS) });
    await t.sql('insert into customer (external_id) values ($1)', ['jwks-back']);
  });
  afterAll(async () => {
    await t.close();
    await host.close();
  });

  it('keys fetched, the clock stepped back an hour: the next token past JWT_JWKS_MAX_AGE_MS of real time fetches them again, and the age shown starts again', async () => {
    expect(await me()).toBe(200);
    expect((await keysShown(t)).ok).toBe(1);
    t.clock.advance(-3_600_000);
    // the age is read on the same clock: negative until the next fetch
    expect((await keysShown(t)).age).toBeLessThan(0);
    // JWT_JWKS_MAX_AGE_MS later (the clock still an hour short of the fetch's reading)
    t.clock.advance(MAX_AGE_MS + 1_000);
    const requests = host.requests;
    expect(await me()).toBe(200);
    // before: no fetch until the clock passed the first fetch's reading again, an hour on
    await eventually(async () => (await keysShown(t)).ok === 2, 5_000);
    expect(host.requests).toBe(requests + 1);
    const after = (await keysShown(t)).age!;
    expect(after).toBeGreaterThanOrEqual(0);
    expect(after).toBeLessThan(30);
  });
});
