import { ConfigError, loadConfig } from '../../src/config.js';
import { TEST_JWT_SECRET } from '../support/gateway.js';

/** loadConfig's refusal for `env`, or 'taken'. */
function refusal(env: Record<string, string>): string {
  try {
    loadConfig(env);
    return 'taken';
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.message;
  }
}

/**
 * operator-17: a misspelt setting was ignored without a word. With NODE_ENV=production and
 * `DATABSE_URL=postgres://…` the gateway started an embedded PostgreSQL in DATA_DIR, seeded the
 * demo program and served it as the loyalty program; `LOG_LEVL=warn` logged at info. Start-up now
 * stops (exit 2, as for any bad setting) naming the variable and the setting it resembles.
 */
describe('a misspelt setting stops start-up, naming the setting it resembles (operator-17)', () => {
  const production = { NODE_ENV: 'production', JWT_SECRET: TEST_JWT_SECRET };

  it.each([
    ['DATABSE_URL', 'DATABASE_URL'],
    ['database_url', 'DATABASE_URL'],
    ['DATABASE_URI', 'DATABASE_URL'],
    ['LOG_LEVL', 'LOG_LEVEL'],
    ['METRIC_TOKEN', 'METRICS_TOKEN'],
    ['REDIS_URI', 'REDIS_URL'],
  ])('%s: did you mean %s?', (name, setting) => {
    expect(refusal({ ...production, [name]: 'postgres://app@db.internal:5432/loyalty' })).toBe(
      `${name} is not a setting of the gateway: did you mean ${setting}? (${setting} is unset, so its default would be used.) Rename it; if ${name} belongs to another program, set ${setting} explicitly`,
    );
  });

  it("another program's variable next to the setting it resembles, set explicitly, is taken", () => {
    expect(refusal({ ...production, LOGLEVEL: 'debug', LOG_LEVEL: 'info' })).toBe('taken');
  });

  it("a host's usual variables are not taken for misspelt settings", () => {
    const host = {
      PATH: '/usr/bin',
      HOME: '/home/node',
      HOSTNAME: 'gw-7d9f',
      NODE_VERSION: '24.21.0',
      NODE_OPTIONS: '--enable-source-maps',
      YARN_VERSION: '1.22.22',
      REDIS_PORT: 'tcp://10.0.0.9:6379',
      REDIS_SERVICE_HOST: '10.0.0.9',
      KUBERNETES_SERVICE_PORT: '443',
      npm_lifecycle_event: 'start',
      npm_package_name: 'reward-gateway',
      npm_config_cache: '/root/.npm',
      INIT_CWD: '/app',
      TERM: 'xterm',
      LANG: 'C.UTF-8',
    };
    expect(refusal({ ...production, ...host })).toBe('taken');
  });
});
