import { existsSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { MIGRATION_LOCK_KEY } from '../../src/db/database.js';
import { compiledGateway } from '../support/build.js';
import { createMigratedDatabase } from '../support/gateway.js';
import { eventually } from '../support/program.js';
import { onDataDir, postgresProcessesFor, spawnGateway, type SpawnedGateway } from '../support/processes.js';

/** The run's build of the gateway (`tsc -p tsconfig.build.json`, test/support/build.ts), set by beforeAll. */
let build: string;

/** The start-up's logged steps, in order (src/run-gateway.ts, src/db/database.ts), up to the HTTP server's start. */
const BEFORE_HTTP = ['starting embedded PostgreSQL', 'migrating the database', 'seeding the demo program'];

/**
 * `stage` or a later step that comes before the HTTP server's start: where a signal sent on
 * `stage`'s line lands when the step ends first (a loaded machine may take longer to send it than
 * the step takes). The steps the tests wait on are seconds long; the test only asserts that the
 * start-up was stopped before the HTTP server started.
 */
const atOrAfter = (stage: string) => expect.stringMatching(new RegExp(`^(${BEFORE_HTTP.slice(BEFORE_HTTP.indexOf(stage)).join('|')}|checking the clocks|checking the program)$`));

/**
 * Sends `signal` to the gateway (to its whole process group with `group`, as Ctrl-C in a terminal
 * does) and answers how it ended: its exit code (null: killed by the signal), the step its
 * "stopping: <signal> during start-up (<step>)" line named, how many such lines it logged, whether it said "stopped", whether its
 * HTTP server had started, and its error lines. `beforeExit` runs once the stop line is out
 * (a second signal, a test's lock released so the held step can end).
 */
async function stopWith(gateway: SpawnedGateway, signal: 'SIGTERM' | 'SIGINT', options: { group?: boolean; beforeExit?: () => Promise<void> } = {}) {
  process.kill(options.group ? -gateway.child.pid! : gateway.child.pid!, signal);
  if (options.beforeExit) {
    await gateway.until(/"msg":"stopping: /, 30_000);
    await options.beforeExit();
  }
  const code = await gateway.exited;
  const output = gateway.output();
  return {
    code,
    stoppedAt: new RegExp(`"msg":"stopping: ${signal} during start-up \\(([^)]+)\\)"`).exec(output)?.[1] ?? null,
    stopLines: output.split('\n').filter((line) => line.includes('"msg":"stopping: ')).length,
    stopped: output.includes('"msg":"stopped"'),
    httpStarted: /"msg":"starting the HTTP server"|listening on/.test(output),
    errors: output.split('\n').filter((line) => /"level":[56]0|Start-up failed/.test(line)),
  };
}

/** `stopWith`'s answer for a start-up stopped cleanly at `stage` (a name, or `atOrAfter` one): exit 0, one stop line, "stopped", no HTTP server, no error. */
const stoppedCleanly = (stage: unknown) => ({ code: 0, stoppedAt: stage, stopLines: 1, stopped: true, httpStarted: false, errors: [] });

/** What a stop leaves of the embedded PostgreSQL on `dataDir`: its processes, and whether its postmaster.pid is still there. */
const leftOf = (dataDir: string) => ({ postgres: postgresProcessesFor(dataDir), pidFile: existsSync(path.join(dataDir, 'pg', 'postmaster.pid')) });

/**
 * early-19: a SIGTERM or SIGINT in the first seconds of `npm start` (while the embedded PostgreSQL
 * starts, while the database migrates, while the demo program is seeded) met Node's default: the
 * process was killed (exit by signal, nothing logged), and an embedded server started meanwhile was
 * left running. The gateway now stops from any step of its start-up: one line naming the signal
 * and the step, what had started stopped, nothing later started, exit 0 as a running gateway's
 * clean stop.
 */
describe('a signal during start-up (early-19)', () => {
  beforeAll(async () => {
    build = await compiledGateway();
  }, 600_000); // tsc, here or in the other worker, on a shared two-core machine

  it('with the embedded database: stops cleanly at each step, leaves no PostgreSQL running, and the next start on the same DATA_DIR works', async () => {
    await onDataDir(build, async (dataDir, start) => {
      // Ctrl-C (the whole process group: initdb too) on a fresh DATA_DIR, while the cluster is made
      let gateway = start();
      await gateway.until(/"msg":"starting embedded PostgreSQL"/);
      expect({ ...(await stopWith(gateway, 'SIGINT', { group: true })), ...leftOf(dataDir) }).toEqual({
        ...stoppedCleanly(atOrAfter('starting embedded PostgreSQL')),
        postgres: [],
        pidFile: false,
      });

      // SIGTERM (a supervisor's) while the database migrates, then while the demo program is seeded
      for (const stage of ['migrating the database', 'seeding the demo program']) {
        gateway = start();
        await gateway.until(new RegExp(`"msg":"${stage}"`));
        expect({ ...(await stopWith(gateway, 'SIGTERM')), ...leftOf(dataDir) }).toEqual({ ...stoppedCleanly(atOrAfter(stage)), postgres: [], pidFile: false });
      }

      // the next start on the same DATA_DIR: migrated and seeded whole, serving
      gateway = start();
      const serving = gateway;
      await eventually(async () => /listening on (http:\S+)/.test(serving.output()) || serving.child.exitCode !== null, 120_000);
      const url = /listening on (http:\S+)/.exec(gateway.output())?.[1];
      const token = /customer \(cust-alice\): (\S+)/.exec(gateway.output())?.[1];
      expect(url).toBeDefined();
      const res = await fetch(url!, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: '{ me { externalId balances { available } } }' }),
      });
      expect(await res.json()).toEqual({ data: { me: { externalId: 'cust-alice', balances: [{ available: 420 }] } } });
      process.kill(gateway.child.pid!, 'SIGTERM');
      expect(await gateway.exited).toBe(0);
      expect(leftOf(dataDir)).toEqual({ postgres: [], pidFile: false });
    });
  }, 240_000);

  // DATABASE_URL: nothing embedded to stop, the pools closed. Each step is held by a lock of the
  // test's (another gateway's migration; the demo seed's own lock), so the signal lands in it.
  it('with DATABASE_URL: stops cleanly while it waits to migrate and while it seeds, leaves no session, and the next start works', async () => {
    const db = await createMigratedDatabase();
    const admin = new pg.Client({ connectionString: db.url, application_name: 'early-19 test' });
    await admin.connect();
    const gateways: SpawnedGateway[] = [];
    const start = () => {
      const gateway = spawnGateway(build, { DATABASE_URL: db.url, SEED_DEMO: 'true' });
      gateways.push(gateway);
      return gateway;
    };
    /** Sessions on the database other than the test's: the gateway's, until they are all gone. */
    const othersGone = () =>
      eventually(
        async () => (await admin.query<{ n: number }>(`select count(*)::int as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`)).rows[0].n === 0,
        15_000,
      );
    try {
      await admin.query(`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`); // as another gateway migrating
      let gateway = start();
      await gateway.until(/another gateway is migrating this database: waiting/);
      expect(await stopWith(gateway, 'SIGTERM')).toEqual(stoppedCleanly('migrating the database'));
      await admin.query(`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`);
      await othersGone();

      await admin.query(`select pg_advisory_lock(hashtext('reward-gateway-demo-seed'))`); // as another gateway seeding
      gateway = start();
      await gateway.until(/"msg":"seeding the demo program"/);
      // a second signal while it stops (Ctrl-C after the SIGTERM): as a running gateway's outside its
      // drain delay, nothing more (no second line, no other exit); then the seed gets its lock
      const secondSignalThenUnlock = async () => {
        process.kill(gateway.child.pid!, 'SIGINT');
        await admin.query(`select pg_advisory_unlock(hashtext('reward-gateway-demo-seed'))`);
      };
      expect(await stopWith(gateway, 'SIGTERM', { beforeExit: secondSignalThenUnlock })).toEqual(stoppedCleanly('seeding the demo program'));
      await othersGone();

      gateway = start();
      expect(await gateway.until(/"msg":"gateway ready"/)).toBe(true);
      expect(await stopWith(gateway, 'SIGTERM')).toEqual({ code: 0, stoppedAt: null, stopLines: 0, stopped: true, httpStarted: true, errors: [] });
    } finally {
      for (const gateway of gateways) if (gateway.child.exitCode === null && gateway.child.signalCode === null) gateway.child.kill('SIGKILL');
      await admin.end();
      await db.drop();
    }
  }, 240_000);
});
