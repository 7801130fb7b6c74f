import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { JWKS_RETRY_MS } from '../../src/http/jwks.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { jwksHost, meStatus, type JwksHost, type JwksHostMode } from '../support/jwks-host.js';
import { eventually } from '../support/program.js';

const AUDIENCE = 'reward-gateway';
const KID = 'key-1';
const TIMEOUT_MS = 300;
const MAX_AGE_MS = 10_000;
/** The `outcome` labels an operator's alerts name (src/http/jwks.ts JWKS_FETCH_OUTCOMES), written out: the test holds them to what the README says. */
const OUTCOMES = ['ok', 'timeout', 'http_error', 'invalid', 'network'] as const;
type JwksFetchOutcome = (typeof OUTCOMES)[number];

/** What /metrics shows of the token keys' fetches: the count per outcome, and the keys' age (s; undefined when not shown). */
async function jwksMetrics(t: TestGateway): Promise<{ fetches: Record<string, number>; age: number | undefined; text: string }> {
  const text = await (await t.fetch('/metrics')).text();
  const fetches: Record<string, number> = {};
  for (const [, outcome, value] of text.matchAll(/^gateway_jwks_fetches_total\{outcome="([a-z_]+)"\} (\S+)$/gm)) fetches[outcome] = Number(value);
  const age = /^gateway_jwks_keys_age_seconds (\S+)$/m.exec(text)?.[1];
  return { fetches, age: age === undefined ? undefined : Number(age), text };
}

/** Every outcome at 0 but those given. */
const counts = (some: Partial<Record<JwksFetchOutcome, number>>) => Object.fromEntries(OUTCOMES.map((o) => [o, some[o] ?? 0]));

/**
 * leftovers-16: a JWT_JWKS_URL host that fails is seen in /metrics before members are answered 503:
 * every fetch of the keys is counted by outcome, and the held keys' age is shown. A real gateway, a
 * real HTTP host made to answer, fail (500), hang, send a body that is not a key set, and reset the
 * connection; the gateway's clock moved for the keys' age.
 */
describe('the token keys’ fetches in /metrics (leftovers-16)', () => {
  let t: TestGateway;
  let host: JwksHost;
  let privateKey: CryptoKey;
  let n = 0;
  /** A new token each time (a repeat is answered from the gateway's cache of verified tokens). */
  const token = () =>
    new SignJWT({ n: ++n }).setProtectedHeader({ alg: 'RS256', kid: KID }).setSubject('jwks-metrics').setAudience(AUDIENCE).setExpirationTime(Math.floor(Date.now() / 1000) + 3600).sign(privateKey);
  const me = async () => meStatus(t, await token());

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    privateKey = pair.privateKey;
    host = await jwksHost(JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: KID, alg: 'RS256', use: 'sig' }] }));
    t = await startTestGateway({ JWT_JWKS_URL: host.url, JWT_AUDIENCE: AUDIENCE, JWT_JWKS_TIMEOUT_MS: String(TIMEOUT_MS), JWT_JWKS_MAX_AGE_MS: String(MAX_AGE_MS) });
    await t.sql('insert into customer (external_id) values ($1)', ['jwks-metrics']);
  });
  afterAll(async () => {
    await t.close();
    await host.close();
  });

  it('counts each fetch by outcome while the held keys serve, and shows their age', async () => {
    // before any token: every outcome at 0, no age (no keys yet)
    const start = await jwksMetrics(t);
    expect(start.fetches).toEqual(counts({}));
    expect(start.age).toBeUndefined();
    expect(start.text).toContain('# TYPE gateway_jwks_keys_age_seconds gauge');

    expect(await me()).toBe(200);
    expect((await jwksMetrics(t)).fetches).toEqual(counts({ ok: 1 }));
    t.clock.advance(4_000);
    const aged = (await jwksMetrics(t)).age!;
    expect(aged).toBeGreaterThanOrEqual(4);
    expect(aged).toBeLessThan(4 + 30); // the test's own real time on a loaded machine

    // each failing host: the keys are due again (and the retry interval past), the request is
    // served from the held keys, and the background fetch is counted by how it failed
    const failures: [JwksHostMode, JwksFetchOutcome][] = [
      ['fail', 'http_error'],
      ['hang', 'timeout'],
      ['garbage', 'invalid'],
      ['reset', 'network'],
      // break38b live: an issuer publishing no key is a failed fetch, not every key withdrawn (taken,
      // the member's next request was 401 and every socket closed 4401)
      ['empty', 'invalid'],
    ];
    const expected: Partial<Record<JwksFetchOutcome, number>> = { ok: 1 };
    let moved = 4_000;
    for (const [mode, outcome] of failures) {
      host.set(mode);
      t.clock.advance(MAX_AGE_MS + JWKS_RETRY_MS);
      moved += MAX_AGE_MS + JWKS_RETRY_MS;
      expect(await me()).toBe(200);
      expected[outcome] = (expected[outcome] ?? 0) + 1;
      await eventually(async () => (await jwksMetrics(t)).fetches[outcome] === expected[outcome]);
      const now = await jwksMetrics(t);
      expect({ mode, fetches: now.fetches }).toEqual({ mode, fetches: counts(expected) });
      // the age goes on from the last successful fetch
      expect(now.age).toBeGreaterThanOrEqual(moved / 1000);
    }

    // the host answers again: the next due fetch succeeds and the age starts again
    host.answer();
    t.clock.advance(JWKS_RETRY_MS);
    expect(await me()).toBe(200);
    await eventually(async () => (await jwksMetrics(t)).fetches.ok === 2);
    const after = await jwksMetrics(t);
    expect(after.fetches).toEqual(counts({ ...expected, ok: 2 }));
    expect(after.age).toBeLessThan(30);
  });

  it('no keys held and the host failing: the 503s come with a counted failure', async () => {
    const down = await jwksHost('{}');
    down.set('fail');
    const other = await startTestGateway({ JWT_JWKS_URL: down.url, JWT_AUDIENCE: AUDIENCE, JWT_JWKS_TIMEOUT_MS: String(TIMEOUT_MS) });
    try {
      const res = await other.fetch('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await token()}` },
        body: JSON.stringify({ query: '{ me { externalId } }' }),
      });
      expect(res.status).toBe(503);
      const shown = await jwksMetrics(other);
      expect(shown.fetches).toEqual(counts({ http_error: 1 }));
      expect(shown.age).toBeUndefined();
    } finally {
      await other.close();
      await down.close();
    }
  });

  it('a gateway without JWT_JWKS_URL shows no token key metrics', async () => {
    const plain = await startTestGateway({});
    try {
      expect((await (await plain.fetch('/metrics')).text()).includes('gateway_jwks_')).toBe(false);
    } finally {
      await plain.close();
    }
  });
});
