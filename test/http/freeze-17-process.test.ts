import pg from 'pg';
import { PURGE_RATE_LIMITS } from '../../src/http/rate-limit-retention.job.js';
import { JOBS_CHANNEL } from '../../src/jobs/queue.js';
import { compiledGateway } from '../support/build.js';
import { resumeAll } from '../support/freeze.js';
import { freezeSessions, startCompiledGateway, terminate, untilStartJobsDone, type CompiledGateway } from '../support/frozen-gateway.js';
import { createMigratedDatabase } from '../support/gateway.js';
import { INVARIANTS } from '../support/invariants.js';
import { eventually } from '../support/program.js';

/** The application_name of this test's own sessions, which are never stopped. */
const TEST_APPLICATION = 'freeze-17 test';
/** The advisory lock the test's job waits for (held by the test's own session). */
const HOLD_KEY = 1717;

/**
 * freeze-17: the compiled gateway (`startCompiledGateway`: DATABASE_URL on the test server,
 * DB_STATEMENT_TIMEOUT_MS 60 s) given SIGTERM while a job it has claimed is in the middle of its transaction
 * and every session it has on its database is stopped (`kill -STOP`, a frozen server). The job's
 * statement is held where the test wants it by a trigger of the test's on `job` that waits for an
 * advisory lock the test holds: its completion (the transaction's first statement, a BEFORE UPDATE
 * trigger) or its commit (a deferred constraint trigger). main.ts exits 1 ("shutdown took too
 * long") when its shutdown passes 15 s.
 */
describe('the gateway process stopped while a job in hand meets a frozen database (freeze-17)', () => {
  let build: string;
  beforeAll(async () => {
    build = await compiledGateway();
  }, 600_000);
  afterAll(() => resumeAll());

  const triggers = {
    completion: `create trigger fs17_hold before update on job for each row execute function fs17_hold()`,
    commit: `create constraint trigger fs17_hold after update on job deferrable initially deferred for each row execute function fs17_hold()`,
  };

  it.each(Object.keys(triggers) as (keyof typeof triggers)[])(
    'its %s held: exits 0 on SIGTERM within its shutdown limit, and the job is left whole (done by its commit, or under its lease with no effect)',
    async (where) => {
      const database = await createMigratedDatabase();
      const holder = new pg.Client({ connectionString: database.url, application_name: TEST_APPLICATION });
      const admin = new pg.Client({ connectionString: database.url, application_name: TEST_APPLICATION });
      let gateway: CompiledGateway | undefined;
      try {
        gateway = await startCompiledGateway(build, database.url);
        await holder.connect();
        await admin.connect();
        // the start's scheduled jobs done: the only job in hand below is the test's
        await untilStartJobsDone(admin);
        await admin.query(`create function fs17_hold() returns trigger language plpgsql as $$
          begin
            if new.status = 'DONE' and new.payload ? 'fs17' then perform pg_advisory_xact_lock(${HOLD_KEY}); end if;
            return new;
          end $$`);
        await admin.query(triggers[where]);
        await holder.query(`select pg_advisory_lock($1)`, [HOLD_KEY]);
        const {
          rows: [{ id }],
        } = await admin.query<{ id: number }>(`insert into job (kind, payload, run_at) values ($1, '{"fs17": true}', now()) returning id`, [PURGE_RATE_LIMITS]);
        // its wake-up, as enqueueJob sends it, until the job's statement waits for the test's lock
        const held = async () => {
          await admin.query(`select pg_notify($1, $2)`, [JOBS_CHANNEL, PURGE_RATE_LIMITS]);
          return (
            await admin.query<{ n: number }>(
              `select count(*)::int as n from pg_stat_activity where datname = current_database() and state = 'active' and wait_event_type = 'Lock'
                  and application_name <> $1 and query ${where === 'commit' ? `= 'commit'` : `like 'update job set status = ''DONE''%'`}`,
              [TEST_APPLICATION],
            )
          ).rows[0].n === 1;
        };
        await eventually(held, 10_000);
        // every session of the gateway's on its database frozen (this test's own excepted)
        expect(await freezeSessions(admin, TEST_APPLICATION)).toBeGreaterThan(1);
        expect(await terminate(gateway)).toEqual({ code: 0, tooLong: false });
        expect(gateway.output()).toContain('"msg":"stopped"');
        expect(gateway.output()).toContain('job left to its lease');
        // the server goes on and the test's lock is released: the job's statement ends, and its
        // session with it (its client is gone)
        resumeAll();
        await holder.query(`select pg_advisory_unlock($1)`, [HOLD_KEY]);
        await eventually(
          async () =>
            (await admin.query<{ n: number }>(`select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name <> $1`, [TEST_APPLICATION]))
              .rows[0].n === 0,
          15_000,
        );
        const {
          rows: [job],
        } = await admin.query<{ status: string; attempts: number }>(`select status, attempts from job where id = $1`, [id]);
        // the completion rolled back with the session: the claim stands (RUNNING, its lease); a commit
        // already waiting in the server ran whole
        expect(job).toEqual(where === 'commit' ? { status: 'DONE', attempts: 1 } : { status: 'RUNNING', attempts: 1 });
        expect((await admin.query(INVARIANTS)).rows).toEqual([]);
      } finally {
        if (gateway && gateway.child.exitCode === null) gateway.child.kill('SIGKILL');
        resumeAll();
        await holder.end().catch(() => undefined);
        await admin.end().catch(() => undefined);
        await database.drop();
      }
    },
    300_000,
  );
});
