import pg from 'pg';
import { JOBS_CHANNEL } from '../../src/jobs/queue.js';
import { compiledGateway } from '../support/build.js';
import { resumeAll } from '../support/freeze.js';
import { freezeSessions, startCompiledGateway, terminate, untilStartJobsDone, type CompiledGateway } from '../support/frozen-gateway.js';
import { createMigratedDatabase } from '../support/gateway.js';
import { eventually } from '../support/program.js';

/** The application_name of this test's own sessions, which are never stopped. */
const TEST_APPLICATION = 'freeze-stop-16 test';

/**
 * freeze-stop-16: the compiled gateway (`startCompiledGateway`: DATABASE_URL on the test server,
 * DB_STATEMENT_TIMEOUT_MS 60 s) given SIGTERM while one of its job loops' claims is in flight and
 * every session it has on its database is stopped (`kill -STOP`, a frozen server). main.ts exits 1
 * ("shutdown took too long") when its shutdown passes 15 s.
 */
describe('the gateway process stopped while its database is frozen under a claim (freeze-stop-16)', () => {
  let build: string;
  beforeAll(async () => {
    build = await compiledGateway();
  }, 600_000);
  afterAll(() => resumeAll());

  it('exits 0 on SIGTERM, within its shutdown limit, with no "shutdown took too long"', async () => {
    const database = await createMigratedDatabase();
    const locker = new pg.Client({ connectionString: database.url, application_name: TEST_APPLICATION });
    const admin = new pg.Client({ connectionString: database.url, application_name: TEST_APPLICATION });
    let gateway: CompiledGateway | undefined;
    try {
      gateway = await startCompiledGateway(build, database.url);
      await locker.connect();
      await admin.connect();
      // no job in hand when the table is locked: what is shown is a claim's wait (a job in hand is
      // freeze-17's, test/http/freeze-17-process.test.ts)
      await untilStartJobsDone(admin);
      // the job table locked: the loop woken below claims, and its claim waits (a probe's too)
      await locker.query('begin');
      await locker.query('lock table job in access exclusive mode');
      // a wake-up as enqueueJob sends it (its payload is a main-lane kind), until a loop's claim waits
      // (found by its first lines: pg_stat_activity keeps a statement's first 1,024 bytes, and the
      // claim's advisory locks moved past them when the partner bound came in, break36)
      const claimWaiting = async () => {
        await admin.query(`select pg_notify($1, 'test.freeze-stop')`, [JOBS_CHANNEL]);
        return (
          await admin.query<{ n: number }>(
            `select count(*)::int as n from pg_stat_activity where datname = current_database() and state = 'active' and wait_event_type = 'Lock' and query like '%update job set status = ''RUNNING''%'`,
          )
        ).rows[0].n > 0;
      };
      await eventually(claimWaiting, 10_000);
      // and every session of the gateway's on its database frozen (this test's own excepted)
      expect(await freezeSessions(admin, TEST_APPLICATION)).toBeGreaterThan(1);
      expect(await terminate(gateway)).toEqual({ code: 0, tooLong: false });
      expect(gateway.output()).toContain('"msg":"stopped"');
    } finally {
      if (gateway && gateway.child.exitCode === null) gateway.child.kill('SIGKILL');
      resumeAll();
      await locker.end().catch(() => undefined);
      await admin.end().catch(() => undefined);
      await database.drop();
    }
  }, 300_000);
});
