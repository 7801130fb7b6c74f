import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config.js';
import { RateLimits } from '../../src/http/rate-limit.js';
import { createLogger } from '../../src/logging.js';
import { TEST_JWT_SECRET } from '../support/gateway.js';
import { unique } from '../support/program.js';
import { startOwnRedis, type OwnRedis } from '../support/redis.js';

/**
 * operator-17: with the rate limiter's Redis unreachable every request is let through uncounted
 * (as designed), and each one wrote a warning: a Redis down for 15 s under 4 requests/s wrote 69
 * lines across two instances, and a busy gateway would write one per request for the whole outage.
 * Now the first failure is logged at once, later ones at most every 10 s with how many went
 * uncounted, and one line says when the store answers again and how many it missed.
 */
describe("a failing rate-limit store's log (operator-17)", () => {
  let redis: OwnRedis;
  let limits: RateLimits | undefined;
  const lines: { level: number; msg: string; letThrough?: number }[] = [];
  const log = createLogger('info', new Writable({ write: (chunk, _encoding, done) => (lines.push(JSON.parse(String(chunk))), done()) }));

  beforeAll(async () => {
    redis = await startOwnRedis();
  });
  afterAll(async () => {
    await redis.kill();
    await limits?.close().catch(() => undefined);
  });

  it('twenty requests while Redis does not answer: all let through, one warning; one line when it answers again', async () => {
    const config = loadConfig({ NODE_ENV: 'production', JWT_SECRET: TEST_JWT_SECRET, REDIS_URL: redis.url, RATE_LIMIT_KEY_PREFIX: unique('rl'), RATE_LIMIT_WS_CONNECT: '1000' });
    limits = await RateLimits.create(config, '', log);
    expect(await limits.connectionAttempt('192.0.2.1')).toBeUndefined(); // the control, counted
    redis.stall();
    const during = await Promise.all(Array.from({ length: 20 }, (_, i) => limits!.connectionAttempt(`192.0.2.${i + 2}`)));
    expect(during).toEqual(Array(20).fill(undefined)); // let through
    redis.resume();
    expect(await limits.connectionAttempt('192.0.2.1')).toBeUndefined();
    const failures = lines.filter((l) => l.msg.startsWith('rate limit store failed'));
    // before: 20 warnings, one per request
    expect(failures.map((l) => l.letThrough)).toEqual([1]);
    expect(lines.filter((l) => l.msg === 'rate limit store answers again').map((l) => l.letThrough)).toEqual([20]);
  });
});
