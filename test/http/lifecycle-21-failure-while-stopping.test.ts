import pg from 'pg';
import { compiledGateway } from '../support/build.js';
import { createMigratedDatabase } from '../support/gateway.js';
import { eventually } from '../support/program.js';
import { spawnGateway, type SpawnedGateway } from '../support/processes.js';

/**
 * lifecycle-21 (break2-19 left it): a start-up step that fails by itself while a stop signal is
 * pending. early-19's start-up `catch` took any error once a signal had come for the signal's cut,
 * so the failure was logged at debug only and the process exited 0, "stopped": a supervisor and an
 * operator saw a clean stop of a start that had failed. The compiled gateway on a test-server
 * database: SIGTERM while the demo seed waits for its lock (held by the test, as another gateway
 * seeding), then the seed's session is ended by the server (`pg_terminate_backend`, as an operator
 * or a failover would), so the seed fails on its own while the stop waits for it.
 */
describe('a start-up step that fails while a stop signal is pending (lifecycle-21)', () => {
  let build: string;
  beforeAll(async () => {
    build = await compiledGateway();
  }, 600_000);

  it('exits 1 with the failure at error level, not 0 as a clean stop', async () => {
    const db = await createMigratedDatabase();
    const admin = new pg.Client({ connectionString: db.url, application_name: 'lifecycle-21 test' });
    await admin.connect();
    let gateway: SpawnedGateway | undefined;
    try {
      await admin.query(`select pg_advisory_lock(hashtext('reward-gateway-demo-seed'))`); // as another gateway seeding
      gateway = spawnGateway(build, { DATABASE_URL: db.url, SEED_DEMO: 'true' });
      await gateway.until(/"msg":"seeding the demo program"/);
      const waiting = `select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and wait_event_type = 'Lock'`;
      await eventually(async () => (await admin.query(waiting)).rowCount === 1, 30_000); // the seed waits for the lock
      process.kill(gateway.child.pid!, 'SIGTERM');
      await gateway.until(/"msg":"stopping: /, 30_000);
      await admin.query(`select pg_terminate_backend(pid) from (${waiting}) w`);
      const code = await gateway.exited;
      const lines = gateway.output().split('\n');
      expect({
        code,
        stoppedAt: lines.map((line) => /"msg":"stopping: SIGTERM during start-up \(([^)]+)\)"/.exec(line)?.[1]).find(Boolean),
        errorLines: lines.filter((line) => /"level":50/.test(line)).map((line) => (JSON.parse(line) as { msg: string; err?: { message?: string } }).msg + ': ' + (JSON.parse(line) as { err?: { message?: string } }).err?.message),
        failure: lines.filter((line) => line.startsWith('Start-up failed')),
        stopped: lines.some((line) => line.includes('"msg":"stopped"')),
      }).toEqual({
        code: 1,
        stoppedAt: 'seeding the demo program',
        errorLines: ['start-up failed while stopping (seeding the demo program): terminating connection due to administrator command'],
        failure: [expect.stringContaining('terminating connection due to administrator command')],
        stopped: false,
      });
    } finally {
      if (gateway && gateway.child.exitCode === null && gateway.child.signalCode === null) gateway.child.kill('SIGKILL');
      await admin.end();
      await db.drop();
    }
  }, 240_000);
});
