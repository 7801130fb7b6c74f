import fc from 'fast-check';
import { ConfigError, editDistance, loadConfig, misspeltSettings } from '../../src/config.js';
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

  /** The optimal string alignment distance by its whole table, as src/config.ts measured it before start-44. */
  function wholeTable(a: string, b: string): number {
    const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
    for (let i = 1; i <= a.length; i++) {
      for (let j = 1; j <= b.length; j++) {
        d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
        if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
    return d[a.length][b.length];
  }

  it('measures an edit distance as the whole table does, and answers max + 1 for any over a bound', () => {
    const word = fc.stringMatching(/^[ABX_]{0,9}$/);
    fc.assert(
      fc.property(word, word, fc.integer({ min: 0, max: 4 }), (a, b, max) => {
        const whole = wholeTable(a, b);
        expect(editDistance(a, b)).toBe(whole);
        expect(editDistance(a, b, max)).toBe(whole <= max ? whole : max + 1);
      }),
      { numRuns: 2_000 },
    );
    expect([editDistance('LOG_LEVL', 'LOG_LEVEL'), editDistance('DATABSE_URL', 'DATABASE_URL', 2), editDistance('AB', 'BA'), editDistance('', 'ABC', 1)]).toEqual([1, 1, 1, 2]);
  });

  it('finds what a scan of every setting by the whole table finds (start-44: measured only up to the bound), no name lost', () => {
    // The settings loadConfig reads, recorded as loadConfig records them.
    const settings = new Set<string>();
    loadConfig(new Proxy({ ...production }, { get: (target, name) => (typeof name === 'string' && settings.add(name), Reflect.get(target, name)) }));
    const names = [...settings];
    /** The scan before start-44: every unset setting measured whole. */
    const scanned = (env: Record<string, string>) =>
      Object.keys(env).flatMap((name) => {
        if (settings.has(name) || name.length < 5) return [];
        const near = names.find((setting) => env[setting] === undefined && wholeTable(name.toUpperCase(), setting) <= (setting.length < 8 ? 1 : 2));
        return near ? [[name, near]] : [];
      });
    // Names a few edits from a setting (either case), and names of no setting at all.
    const edited = fc
      .tuple(fc.constantFrom(...names), fc.array(fc.tuple(fc.nat(), fc.constantFrom('insert', 'delete', 'replace', 'swap'), fc.constantFrom('A', 'E', 'S', '_', 'L', 'X')), { maxLength: 4 }), fc.boolean())
      .map(([setting, edits, lower]) => {
        let name = setting;
        for (const [at, kind, letter] of edits) {
          const i = at % (name.length + 1);
          if (kind === 'insert') name = name.slice(0, i) + letter + name.slice(i);
          else if (kind === 'delete') name = name.slice(0, i) + name.slice(i + 1);
          else if (kind === 'replace') name = name.slice(0, i) + letter + name.slice(i + 1);
          else if (i + 1 < name.length) name = name.slice(0, i) + name[i + 1] + name[i] + name.slice(i + 2);
        }
        return lower ? name.toLowerCase() : name;
      });
    const other = fc.stringMatching(/^[A-Za-z_]{1,30}$/);
    fc.assert(
      fc.property(fc.dictionary(fc.oneof(edited, other), fc.constant('x'), { maxKeys: 12 }), (variables) => {
        const env = { ...production, ...variables };
        expect(misspeltSettings(env, settings)).toEqual(scanned(env));
      }),
      { numRuns: 400 },
    );
  });
});
