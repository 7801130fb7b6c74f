import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCurrency, createCustomer, unique, uniqueCode } from '../support/program.js';
import { startOwnRedis, type OwnRedis } from '../support/redis.js';

/**
 * Rate limits counted in Redis (REDIS_URL) let requests through when Redis fails, rather than
 * failing the API (docs/decisions.md, "The edge"). Hostile pass 9, on a Redis server of the test's
 * own that it stops (SIGSTOP: the connection stays open and nothing answers, as in a network
 * partition or a Redis stuck on a slow command) and kills: a stopped Redis held every request for
 * ever, since a command had no time limit; and a gateway stopping while Redis was gone failed its
 * shutdown ("Stream isn't writeable"), so the jobs were not drained and the database not stopped.
 */
describe('rate limits in a Redis that stops answering', () => {
  let redis: OwnRedis;
  let t: TestGateway;
  let token: string;
  let closed = false;

  beforeAll(async () => {
    redis = await startOwnRedis();
    t = await startTestGateway({ REDIS_URL: redis.url, RATE_LIMIT_KEY_PREFIX: unique('rl'), RATE_LIMIT_CUSTOMER: '1000' });
    const currency = uniqueCode('RD');
    await createCurrency(t, currency);
    token = (await createCustomer(t, currency)).token;
  });
  afterAll(async () => {
    await redis.kill();
    if (!closed) await t.close().catch(() => undefined);
  });

  /** The status of `{ me { id } }`, or "no answer" when none comes within 10 s. */
  const statusOfMe = async () => {
    try {
      const res = await t.fetch('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: '{ me { id } }' }),
        signal: AbortSignal.timeout(10_000),
      });
      return res.status;
    } catch {
      return 'no answer';
    }
  };

  it('answers while Redis is stopped, and again once it answers; stops cleanly once Redis is gone', async () => {
    expect(await statusOfMe()).toBe(200); // the control
    redis.stall();
    expect(await statusOfMe()).toBe(200);
    expect(await statusOfMe()).toBe(200);
    redis.resume();
    expect(await statusOfMe()).toBe(200);
    await redis.kill();
    expect(await statusOfMe()).toBe(200);
    closed = true;
    await expect(t.close()).resolves.toBeUndefined();
  });
});
