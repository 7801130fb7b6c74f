import { ConfigError, loadConfig } from '../../src/config.js';

/**
 * What an operator reads when a socket or HTTP bound is set wrong: start-up stops with one message
 * that says the whole rule (trial-12b). The behaviour of the bounds is tested in hostile-12c-edge
 * and hostile-12c-sockets.
 */
const base = { NODE_ENV: 'test', DATABASE_URL: 'postgres://localhost/x' };

describe('HTTP receiving bounds at start-up', () => {
  it('names the default when only one of the two bounds was set', () => {
    expect(() => loadConfig({ ...base, HTTP_REQUEST_TIMEOUT_MS: '5000' })).toThrow(
      new ConfigError(
        'HTTP_HEADERS_TIMEOUT_MS (10000 ms, the default) must not be more than HTTP_REQUEST_TIMEOUT_MS (5000 ms): the headers are part of the request. Lower the first or raise the second.',
      ),
    );
    expect(() => loadConfig({ ...base, HTTP_HEADERS_TIMEOUT_MS: '40000' })).toThrow(
      new ConfigError(
        'HTTP_HEADERS_TIMEOUT_MS (40000 ms) must not be more than HTTP_REQUEST_TIMEOUT_MS (30000 ms, the default): the headers are part of the request. Lower the first or raise the second.',
      ),
    );
  });

  it('takes equal bounds and the documented range', () => {
    expect(loadConfig({ ...base, HTTP_HEADERS_TIMEOUT_MS: '100', HTTP_REQUEST_TIMEOUT_MS: '100', HTTP_SEND_TIMEOUT_MS: '3600000' }).httpTimeouts).toEqual({
      headersMs: 100,
      requestMs: 100,
      sendMs: 3_600_000,
      keepAliveMs: 72_000,
    });
    expect(() => loadConfig({ ...base, HTTP_SEND_TIMEOUT_MS: '5' })).toThrow(new ConfigError('HTTP_SEND_TIMEOUT_MS must be a whole number from 100 to 3600000, got "5"'));
    // Not a number gets the same whole rule as out of range: the range was missing (trial-12c).
    expect(() => loadConfig({ ...base, HTTP_SEND_TIMEOUT_MS: '30s' })).toThrow(new ConfigError('HTTP_SEND_TIMEOUT_MS must be a whole number from 100 to 3600000, got "30s"'));
    expect(() => loadConfig({ ...base, PORT: 'http' })).toThrow(new ConfigError('PORT must be a whole number from 0 to 65535, got "http"'));
  });
});

describe('HTTP_KEEP_ALIVE_TIMEOUT_MS at start-up', () => {
  const rule =
    "HTTP_KEEP_ALIVE_TIMEOUT_MS must be a whole number of milliseconds from 1000 to 3600000 (default 72000): how long an idle keep-alive connection stays open for its client's next request; keep it above the idle timeout of any load balancer in front";
  it.each(['999', '0', '3600001', '72s'])('refuses %s with the whole rule', (value) => {
    expect(() => loadConfig({ ...base, HTTP_KEEP_ALIVE_TIMEOUT_MS: value })).toThrow(new ConfigError(`${rule}, got "${value}"`));
  });

  it('takes the bounds, and 72 s by default (longer than an AWS load balancer\'s 60 s idle timeout; Node\'s own is 5 s)', () => {
    expect(loadConfig({ ...base, HTTP_KEEP_ALIVE_TIMEOUT_MS: '1000' }).httpTimeouts.keepAliveMs).toBe(1_000);
    expect(loadConfig({ ...base, HTTP_KEEP_ALIVE_TIMEOUT_MS: '3600000' }).httpTimeouts.keepAliveMs).toBe(3_600_000);
    expect(loadConfig(base).httpTimeouts.keepAliveMs).toBe(72_000);
  });
});

describe('WS_KEEPALIVE_MS at start-up', () => {
  it.each(['50', '100', '-1', '4000000'])('refuses %s with the whole rule, 0 included', (value) => {
    expect(() => loadConfig({ ...base, WS_KEEPALIVE_MS: value })).toThrow(
      new ConfigError(`WS_KEEPALIVE_MS must be 0 (no heartbeat) or between 1000 and 3600000 (milliseconds; shorter beats cut healthy sockets during a garbage collection pause), got "${value}"`),
    );
  });

  it('takes 0, the bounds and the default', () => {
    expect(loadConfig({ ...base, WS_KEEPALIVE_MS: '0' }).ws.keepAliveMs).toBe(0);
    expect(loadConfig({ ...base, WS_KEEPALIVE_MS: '1000' }).ws.keepAliveMs).toBe(1_000);
    expect(loadConfig({ ...base, WS_KEEPALIVE_MS: '3600000' }).ws.keepAliveMs).toBe(3_600_000);
    expect(loadConfig(base).ws.keepAliveMs).toBe(12_000);
    expect(() => loadConfig({ ...base, WS_KEEPALIVE_MS: '12s' })).toThrow(new ConfigError('WS_KEEPALIVE_MS must be 0 (no heartbeat) or between 1000 and 3600000 (milliseconds; shorter beats cut healthy sockets during a garbage collection pause), got "12s"'));
  });
});

describe('CLOCK_SKEW_MAX_MS at start-up (clock-12)', () => {
  const rule =
    'CLOCK_SKEW_MAX_MS must be a whole number of milliseconds from 100 to 3600000 (default 10000): how far this gateway\'s clock may be from the database\'s, either way, for it to run background jobs and take mutations';
  it('refuses a value out of range or not a number with the whole rule, and takes the bounds and the default', () => {
    expect(() => loadConfig({ ...base, CLOCK_SKEW_MAX_MS: '50' })).toThrow(new ConfigError(`${rule}; got "50"`));
    expect(() => loadConfig({ ...base, CLOCK_SKEW_MAX_MS: '10s' })).toThrow(new ConfigError(`${rule}; got "10s"`));
    expect(() => loadConfig({ ...base, CLOCK_SKEW_MAX_MS: '3600001' })).toThrow(new ConfigError(`${rule}; got "3600001"`));
    expect(loadConfig({ ...base, CLOCK_SKEW_MAX_MS: '100' }).clockSkewMaxMs).toBe(100);
    expect(loadConfig({ ...base, CLOCK_SKEW_MAX_MS: '3600000' }).clockSkewMaxMs).toBe(3_600_000);
    expect(loadConfig(base).clockSkewMaxMs).toBe(10_000);
  });
});
