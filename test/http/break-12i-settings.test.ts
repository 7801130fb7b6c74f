import { ConfigError, loadConfig } from '../../src/config.js';

/**
 * break-12i: what an operator reads for a whole-number setting written oddly. A value of only
 * spaces (an `.env` line `PORT= `, a compose file's `" "`) is unset, as every text setting reads it
 * (`HOST`, `DATA_DIR`, `RATE_LIMIT_STORE`…); it was refused `got ""`, quoting the very value that
 * means the default. A number spelled otherwise than in digits ("1e3", "+2000") is told so: the
 * range alone ("between 1000 and 3600000, got "1e3"") read as if 1000 were out of it.
 */
const base = { NODE_ENV: 'test', DATABASE_URL: 'postgres://localhost/x' };

describe('whole-number settings written oddly (break-12i)', () => {
  it('only spaces is the default, as for the text settings', () => {
    const config = loadConfig({ ...base, PORT: ' ', WS_KEEPALIVE_MS: '  ', DB_POOL_IDLE_MS: '\t', HOST: ' ' });
    expect([config.port, config.ws.keepAliveMs, config.dbPoolIdleMs, config.host]).toEqual([4000, 12_000, 0, '0.0.0.0']);
  });

  it('a number not written in digits is told to be, with the rule', () => {
    expect(() => loadConfig({ ...base, WS_KEEPALIVE_MS: '1e3' })).toThrow(
      new ConfigError(
        'WS_KEEPALIVE_MS must be 0 (no heartbeat) or between 1000 and 3600000 (milliseconds; shorter beats cut healthy sockets during a garbage collection pause), written in digits only, got "1e3"',
      ),
    );
    expect(() => loadConfig({ ...base, MAX_PAGE_SIZE: '+50' })).toThrow(new ConfigError('MAX_PAGE_SIZE must be a whole number from 1 to 1000, written in digits only, got "+50"'));
    // Not a whole number at all: the rule alone, as before.
    expect(() => loadConfig({ ...base, MAX_PAGE_SIZE: '1.5' })).toThrow(new ConfigError('MAX_PAGE_SIZE must be a whole number from 1 to 1000, got "1.5"'));
  });
});
