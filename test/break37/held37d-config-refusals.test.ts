import { ConfigError, loadConfig } from '../../src/config.js';

/**
 * held37d (ops): f297c22's new refusals, attacked for false refusals (valid setups refused) and
 * ways around (case, padding, quotes). Held: REDIS_URL with a trailing slash, rediss:, a username,
 * query parameters, no path; a JWT_SECRET that merely contains a published one; padding around a
 * published secret or a blank DATABASE_URL (trimmed, still refused); NODE_ENV in another case
 * (refused as a value, never read as development); a backoff equal to its maximum.
 */
const read = (env: Record<string, string>) => {
  try {
    loadConfig({ PATH: '', ...env });
    return 'taken';
  } catch (error) {
    if (error instanceof ConfigError) return `refused: ${error.message}`;
    throw error;
  }
};
const production = { NODE_ENV: 'production', JWT_SECRET: 'f0e1d2c3b4a5968778695a4b3c2d1e0f-0123456789', DATABASE_URL: 'postgres://gw@db.internal:5432/loyalty', CORS_ORIGINS: 'https://shop.example.com' };

describe('held37d ops: the new configuration refusals', () => {
  it.each([
    'redis://127.0.0.1:6379',
    'redis://127.0.0.1:6379/',
    'redis://127.0.0.1:6379/3',
    'rediss://cache.example.com:6380/1',
    'redis://loyalty:s3cret@127.0.0.1:6379/2',
    'redis://:s3cret@127.0.0.1:6379/0?family=6',
    'redis://127.0.0.1:6379?db=4',
    '  redis://127.0.0.1:6379/5  ',
  ])('takes REDIS_URL=%j', (url) => {
    expect(read({ ...production, REDIS_URL: url })).toBe('taken');
  });

  it.each(['redis://127.0.0.1:6379/abc', 'redis://127.0.0.1:6379/0/1', 'redis://127.0.0.1:6379/%31'])('refuses REDIS_URL=%j naming its path', (url) => {
    expect(read({ ...production, REDIS_URL: url })).toMatch(/^refused: REDIS_URL's path/);
  });

  it.each([
    ' reward-gateway-development-secret-change-me ',
    '\treward-gateway-development-secret-change-me\n',
    'change-me-to-a-long-random-secret-of-32-chars-or-more   ',
  ])('refuses the published JWT_SECRET %j however padded', (secret) => {
    expect(read({ ...production, JWT_SECRET: secret })).toMatch(/^refused: JWT_SECRET is a published example value/);
  });

  it('takes a secret that merely contains a published one, and a published one outside production', () => {
    expect(read({ ...production, JWT_SECRET: 'reward-gateway-development-secret-change-me-9f8e7d6c5b4a' })).toBe('taken');
    expect(read({ NODE_ENV: 'development', JWT_SECRET: 'reward-gateway-development-secret-change-me' })).toBe('taken');
  });

  it.each(['', '   ', '\t'])('refuses DATABASE_URL=%j in production', (blank) => {
    expect(read({ ...production, DATABASE_URL: blank })).toMatch(/^refused: DATABASE_URL is set but blank/);
  });

  it.each(['Production', 'PRODUCTION', 'prod'])('NODE_ENV=%j is refused, never read as development', (nodeEnv) => {
    expect(read({ ...production, NODE_ENV: nodeEnv })).toMatch(/^refused: NODE_ENV must be/);
  });

  it('WEBHOOK_BACKOFF_MS equal to its maximum is taken, one above refused', () => {
    expect(read({ ...production, WEBHOOK_BACKOFF_MS: '60000', WEBHOOK_MAX_BACKOFF_MS: '60000' })).toBe('taken');
    expect(read({ ...production, WEBHOOK_BACKOFF_MS: '60001', WEBHOOK_MAX_BACKOFF_MS: '60000' })).toMatch(/^refused: WEBHOOK_BACKOFF_MS/);
  });
});
