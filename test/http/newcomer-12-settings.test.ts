import { ConfigError, loadConfig } from '../../src/config.js';

/**
 * newcomer-12: a newcomer who wrote LOG_LEVEL=verbose (as in other tools) got pino's stack trace,
 * "default level:verbose must be included in custom levels", and exit code 1, where every other bad
 * setting stops start-up with one line naming it (main.ts prints "Configuration error: <message>",
 * exit 2). The level is now checked with the rest of the configuration.
 */
const base = { NODE_ENV: 'development', DATABASE_URL: 'postgres://localhost/x' };

describe('LOG_LEVEL (newcomer-12)', () => {
  it('a level pino does not have is refused naming the setting and the levels it takes', () => {
    expect(() => loadConfig({ ...base, LOG_LEVEL: 'verbose' })).toThrow(
      new ConfigError('LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "verbose"'),
    );
  });

  it('takes the levels in any case, and unset or blank is info (silent under test)', () => {
    expect(loadConfig({ ...base, LOG_LEVEL: 'DEBUG' }).logLevel).toBe('debug');
    expect(loadConfig({ ...base, LOG_LEVEL: ' warn ' }).logLevel).toBe('warn');
    expect(loadConfig({ ...base, LOG_LEVEL: ' ' }).logLevel).toBe('info');
    expect(loadConfig({ ...base, NODE_ENV: 'test' }).logLevel).toBe('silent');
  });
});
