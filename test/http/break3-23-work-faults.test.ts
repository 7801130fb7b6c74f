import pg from 'pg';
import { compiledGateway } from '../support/build.js';
import { fuzzNote, fuzzSample } from '../support/fuzz.js';
import { createMigratedDatabase, HIGH_RATE_LIMITS, TEST_JWT_SECRET, TEST_SQL_APPLICATION } from '../support/gateway.js';
import { sessionProxy, type SessionProxy } from '../support/pg-wire.js';
import { spawnGateway, stopReport, type SpawnedGateway } from '../support/processes.js';
import { adjustBeans, adjustmentLoad, gatewayUrl, replayedLedger, signalled, tokenFor } from '../support/signal-load.js';

/**
 * break3-23: PostgreSQL faults under load (four clients adjusting points with idempotency keys) on
 * a test-server database: every session of the gateway's ended (`pg_terminate_backend`) twice, or
 * the server gone (a proxy in front of it closed: connects refused), then a SIGTERM; then a new
 * gateway on the same database sent every key again. Held: exit 0 and "stopped", one ledger entry
 * per key, balances equal their ledger sums.
 *
 * Each fault runs every run, at one of its timings drawn by TEST_FUZZ_SEED (every one with
 * TEST_FUZZ=full, test/support/fuzz.ts): the three rounds of sessions ended are the same case with
 * the gap between the two ends (500, 800, 1100 ms) and the wait before the SIGTERM (0, 100, 200 ms)
 * shifted, and PostgreSQL gone is one fault SIGTERMed 0, 700 or 2500 ms later.
 */
const ROUNDS = fuzzSample('break3-23-work-faults: sessions ended', [0, 1, 2], { kind: () => 'sessions ended twice' });
const GONE_FOR = fuzzSample('break3-23-work-faults: PostgreSQL gone', [0, 700, 2500], { kind: () => 'PostgreSQL gone' });

describe(`break3-23: faults during work [${fuzzNote()}]`, () => {
  let build: string;
  beforeAll(async () => {
    build = await compiledGateway();
  }, 600_000);

  const env = { SEED_DEMO: 'true', JWT_SECRET: TEST_JWT_SECRET, JOBS_ENABLED: 'true', JOB_POLL_MS: '100', ...HIGH_RATE_LIMITS };

  /**
   * Starts a gateway (through a proxy that passes everything), loads it, runs `fault` (given the
   * admin session and the proxy), SIGTERMs it, then replays every key on a new gateway on the
   * database itself; answers how the stop ended and what the ledger holds.
   */
  async function faultUnderLoad(prefix: string, fault: (admin: pg.Client, proxy: SessionProxy) => Promise<void>) {
    const db = await createMigratedDatabase();
    const proxy = await sessionProxy(db.url, () => false);
    let gateway: SpawnedGateway = spawnGateway(build, { ...env, DATABASE_URL: proxy.url });
    const admin = new pg.Client({ connectionString: db.url, application_name: TEST_SQL_APPLICATION });
    await admin.connect();
    try {
      await gateway.until(/"msg":"gateway ready"/, 120_000);
      const op = await tokenFor('staff-olivia', 'operator');
      await adjustBeans(gatewayUrl(gateway), op, 'cust-alice', 100_000, `${prefix}-seed`, 'seed');
      const load = adjustmentLoad(() => gatewayUrl(gateway), op, prefix);
      await new Promise((resolve) => setTimeout(resolve, 700));
      await fault(admin, proxy);
      const code = await signalled(gateway, 'SIGTERM');
      await load.stop();
      const { stopped } = stopReport(gateway, code === 'hung' ? null : code);
      gateway = spawnGateway(build, { ...env, DATABASE_URL: db.url });
      await gateway.until(/"msg":"gateway ready"/, 120_000);
      const ledger = await replayedLedger(gatewayUrl(gateway), op, load.keys, admin);
      return { code, stopped, ...ledger, keys: load.keys.length };
    } finally {
      if (gateway.child.exitCode === null) gateway.child.kill('SIGTERM');
      await gateway.exited;
      await admin.end();
      await proxy.close().catch(() => undefined);
      await db.drop();
    }
  }

  const endSessions = (admin: pg.Client) => admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`);

  it.each(ROUNDS.map((round) => [round, 500 + round * 300, 100 * round]))('sessions ended twice under load, then SIGTERM (round %d: %d ms between the ends, SIGTERM %d ms after the second)', async (round, gapMs, tailMs) => {
    const result = await faultUnderLoad(`r${round}`, async (admin) => {
      await endSessions(admin);
      await new Promise((resolve) => setTimeout(resolve, gapMs));
      await endSessions(admin);
      await new Promise((resolve) => setTimeout(resolve, tailMs));
    });
    expect(result).toEqual({ code: 0, stopped: true, refused: 0, entries: result.keys, violations: [], keys: result.keys });
  }, 240_000);

  it.each(GONE_FOR.map((afterMs) => [afterMs]))('PostgreSQL gone under load, SIGTERM %d ms later', async (afterMs) => {
    const result = await faultUnderLoad(`g${afterMs}`, async (_admin, proxy) => {
      await proxy.close();
      await new Promise((resolve) => setTimeout(resolve, afterMs));
    });
    expect(result).toEqual({ code: 0, stopped: true, refused: 0, entries: result.keys, violations: [], keys: result.keys });
  }, 240_000);
});
