import pino from 'pino';
import { loadConfig } from '../../src/config.js';
import { freePort } from '../../src/db/embedded.js';
import { EventHub } from '../../src/events/hub.js';
import { createRelay } from '../../src/events/relay.js';
import { RateLimits } from '../../src/http/rate-limit.js';
import { startupFailure } from '../../src/startup.js';
import { TEST_JWT_SECRET } from '../support/gateway.js';

const log = pino({ level: 'silent' });

/**
 * operator-17: a REDIS_URL nobody answers stops the start (rate-limit.ts: "a wrong REDIS_URL stops
 * start-up") with one line naming Redis, where, for what, and the remedy; it read "Start-up
 * failed: Connection is closed.." (ioredis's rejection, its cause only on the 'error' event), which
 * names neither Redis nor REDIS_URL. The password in REDIS_URL is never printed.
 */
describe('a REDIS_URL nobody answers at start-up (operator-17)', () => {
  it('the rate limiter (RATE_LIMIT_STORE=redis) stops the start with one line naming Redis, its address and the remedy', async () => {
    const port = await freePort();
    const config = loadConfig({ NODE_ENV: 'production', JWT_SECRET: TEST_JWT_SECRET, REDIS_URL: `redis://:s3cret-redis@127.0.0.1:${port}` });
    const failure = await RateLimits.create(config, '', log).then(
      async (limits) => {
        await limits.close();
        return 'started';
      },
      (error: unknown) => startupFailure(error, config),
    );
    expect(failure).toBe(
      `Cannot reach Redis at 127.0.0.1:${port} (REDIS_URL, for rate limits: connect ECONNREFUSED 127.0.0.1:${port}): start Redis there, fix REDIS_URL, or unset it to count rate limits and fan events out in PostgreSQL.`,
    );
    expect(failure).not.toContain('s3cret-redis');
  });

  it('the event fan-out (EVENT_FANOUT=redis) alike', async () => {
    const port = await freePort();
    const config = loadConfig({ NODE_ENV: 'production', JWT_SECRET: TEST_JWT_SECRET, REDIS_URL: `redis://127.0.0.1:${port}`, RATE_LIMIT_STORE: 'postgres' });
    const relay = await createRelay({ databaseUrl: '', mode: 'redis', pollMs: 25, redisUrl: config.rateLimit.redisUrl }, new EventHub(10, async () => []), log);
    const failure = await relay.start().then(
      async () => {
        await relay.stop();
        return 'started';
      },
      (error: unknown) => startupFailure(error, config),
    );
    expect(failure).toBe(
      `Cannot reach Redis at 127.0.0.1:${port} (REDIS_URL, for the event fan-out: connect ECONNREFUSED 127.0.0.1:${port}): start Redis there, fix REDIS_URL, or unset it to count rate limits and fan events out in PostgreSQL.`,
    );
  });
});
