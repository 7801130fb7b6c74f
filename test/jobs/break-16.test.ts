import type { MikroORM } from '@mikro-orm/postgresql';
import type pg from 'pg';
import pino from 'pino';
import { closeOrm, openOrm, SESSION_SET_UP } from '../../src/db/orm.js';
import { query, sql } from '../../src/db/sql.js';
import { enqueueJob } from '../../src/jobs/queue.js';
import { JOB_HANDLERS } from '../../src/jobs/registry.js';
import { JobRunner } from '../../src/jobs/runner.js';
import { isStopped, resume, resumeAll, stop, stopAt, untilStopped, within10s } from '../support/freeze.js';
import { startTestGateway, TEST_SQL_APPLICATION, type TestGateway } from '../support/gateway.js';
import { allAsleep } from '../support/job-runner.js';
import { eventually } from '../support/program.js';

/** The runner's poll statement (`JobRunner.probe`), not its claims. */
const isProbe = (text: string) => text.includes('lateral (select abs(db.at_ms');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const poolOf = (orm: MikroORM) => (orm.em.getConnection() as unknown as { getNativeClient(): Promise<pg.Pool> }).getNativeClient();

/** A pool's connections: open, idle, lent out (open − idle), and callers waiting for one. */
const countsOf = (pool: pg.Pool) => ({
  total: pool.totalCount,
  idle: pool.idleCount,
  lent: pool.totalCount - pool.idleCount,
  waiting: pool.waitingCount,
});

/**
 * break-16: hostile pass on leftovers-16's probe (a pooled connection of its own, taken from the pg
 * pool directly, cut by stop(); a second probe beside one unanswered for a second; `for update skip
 * locked` on a RUNNING row past its lease) and on the gateway's shutdown with a frozen server.
 */
describe('the job runner’s probe, its pooled connection and its row lock (break-16)', () => {
  let t: TestGateway;
  const errors: string[] = [];
  const log = pino({ level: 'error' }, { write: (line: string) => void errors.push(line) });

  beforeAll(async () => {
    JOB_HANDLERS['test.b16-effect'] = {
      run: async ({ em }, payload: { tag: string }) => {
        await query(em, sql`insert into audit_entry (actor, action, target) values ('test', 'job.effect', ${payload.tag})`);
      },
    };
    t = await startTestGateway({ DB_STATEMENT_TIMEOUT_MS: '1000' }, { jobs: 'manual' });
  });
  afterEach(() => {
    resumeAll();
    errors.length = 0;
    t.clock.reset();
  });
  afterAll(async () => {
    resumeAll();
    delete JOB_HANDLERS['test.b16-effect'];
    await t.close();
  });

  const effects = async (tag: string) =>
    Number((await t.sql<{ n: string }>(`select count(*) as n from audit_entry where action = 'job.effect' and target = $1`, [tag]))[0].n);
  const enqueueDue = (tag: string) =>
    t.orm.em.fork().transactional((em) => enqueueJob(em, 'test.b16-effect', { tag }, { runAt: t.clock.now(), wake: 'by-caller' }));
  /** A runner on a pool of its own (`poolMax` connections), no LISTEN connection, no local wake-ups: only its poll moves it. */
  async function startRunner(poolMax: number, pollMs = 50, concurrency = 2, statementMs = t.config.dbTimeouts.statementMs): Promise<{ orm: MikroORM; pool: pg.Pool; worker: JobRunner }> {
    const orm = await openOrm({
      url: t.databaseUrl,
      poolMax,
      timeouts: { ...t.config.dbTimeouts, statementMs },
    });
    const worker = new JobRunner({ orm, clock: t.clock, config: t.config, log }, JOB_HANDLERS, { leaseMs: 30_000, pollMs, concurrency, localWakeUps: false });
    await worker.start();
    return { orm, pool: await poolOf(orm), worker };
  }

  it('a probe whose backend is terminated mid-statement: its connection leaves the pool once, the pool serves again, and a due job runs', async () => {
    const { orm, pool, worker } = await startRunner(2);
    const frozen = stopAt(isProbe);
    try {
      const pid = await within10s(frozen.pid, 'a probe');
      // SIGTERM waits in the stopped backend; it ends the session as soon as it goes on
      await t.sql(`select pg_terminate_backend($1) from pg_stat_activity where datname = current_database() and pid = $1`, [pid]);
      resume(pid);
      await enqueueDue('after-terminate');
      await within10s(
        eventually(async () => (await effects('after-terminate')) === 1),
        'the due job run',
      );
      await eventually(async () => countsOf(pool).lent === 0);
      const counts = countsOf(pool);
      expect(counts.total).toBeLessThanOrEqual(2);
      expect(counts.waiting).toBe(0);
      // a statement of the pool's own still gets a connection
      expect(await orm.em.getConnection().execute(`select 1 as one`)).toEqual([{ one: 1 }]);
    } finally {
      frozen.remove();
      await worker.stop();
      await orm.close();
    }
  });

  it('start/stop in a tight loop against a 1 ms poll: no connection is released twice or kept, nothing is logged, the pool closes', async () => {
    const orm = await openOrm({
      url: t.databaseUrl,
      poolMax: 2,
      timeouts: t.config.dbTimeouts,
    });
    const pool = await poolOf(orm);
    const worker = new JobRunner({ orm, clock: t.clock, config: t.config, log }, JOB_HANDLERS, {
      leaseMs: 30_000,
      pollMs: 1,
      concurrency: 1,
      localWakeUps: false,
    });
    const unhandled: unknown[] = [];
    const onUnhandled = (error: unknown) => void unhandled.push(error);
    process.on('unhandledRejection', onUnhandled);
    try {
      for (let i = 0; i < 40; i++) {
        await worker.start();
        await sleep(i % 7);
        // twice at once: the second waits for the same loops and the same (absent) LISTEN connection
        await Promise.all([worker.stop(), worker.stop()]);
      }
      await sleep(100);
      expect(countsOf(pool)).toMatchObject({ lent: 0, waiting: 0 });
      expect(unhandled).toEqual([]);
      expect(errors).toEqual([]);
      // and it still works after all that
      await worker.start();
      await enqueueDue('after-churn');
      await within10s(
        eventually(async () => (await effects('after-churn')) === 1),
        'the due job run',
      );
      await worker.stop();
      await within10s(orm.close(), 'closing the pool');
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await worker.stop();
    }
  });

  it('a pool of one held by a long transaction: the probe waits its turn (logged when it times out), stop() meanwhile returns, and the pool then closes', async () => {
    const { orm, pool, worker } = await startRunner(1);
    // the loops' first claims done: what waits for the connection below is the poll's probes (a
    // 300 ms sleep was not enough on a loaded machine: two claims waited beside two probes)
    await allAsleep(worker);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const holding = orm.em.fork().transactional(async (em) => {
      await query(em, sql`select 1`);
      await held;
    });
    try {
      // the probe queues behind the transaction (at most two probes, never one per poll)
      await eventually(async () => pool.waitingCount > 0);
      await sleep(1_500);
      expect(pool.waitingCount).toBeLessThanOrEqual(2);
      await within10s(worker.stop(), 'stop()');
      release();
      await holding;
      await eventually(async () => countsOf(pool).lent === 0 && pool.waitingCount === 0);
      await within10s(orm.close(), 'closing the pool');
    } finally {
      release();
      await worker.stop();
    }
  });

  it('the probe hands its connection back as the pool lent it: the session settings other statements rely on are unchanged', async () => {
    const { orm, worker } = await startRunner(1, 5);
    try {
      await sleep(300);
      await worker.stop();
      const [row] = await orm.em
        .getConnection()
        .execute<{ app: string; timeout: string; isolation: string; commit: string }[]>(
          `select current_setting('application_name') as app, current_setting('statement_timeout') as timeout, current_setting('default_transaction_isolation') as isolation, current_setting('synchronous_commit') as commit`,
        );
      expect(row).toEqual({
        app: 'reward-gateway requests',
        timeout: '1s',
        isolation: 'read committed',
        commit: 'on',
      });
    } finally {
      await worker.stop();
      await orm.close();
    }
  });

  it('the statement bound (DB_STATEMENT_TIMEOUT_MS + margin) ends a probe whose backend stopped: its connection is dropped and logged, the pool keeps no connection lent', async () => {
    const { orm, pool, worker } = await startRunner(4, 200);
    const frozen = stopAt(isProbe);
    try {
      const pid = await within10s(frozen.pid, 'a probe');
      // bound: 1000 + 2000 ms; the gateway's own timer, since the stopped server applies nothing
      await within10s(
        eventually(async () => errors.some((line) => /job runner error/.test(line)), 8_000),
        'the bound',
      );
      await eventually(async () => countsOf(pool).lent === 0);
      resume(pid);
      await eventually(async () => (await t.sql<{ n: number }>(`select count(*)::int as n from pg_stat_activity where pid = $1`, [pid]))[0].n === 0, 10_000);
    } finally {
      frozen.remove();
      await worker.stop();
      await orm.close();
    }
  });

  it('stop() with two probes hung side by side (a second goes beside the first after a second): both connections cut, nothing lent, nothing logged', async () => {
    // A statement bound of 20 s (not the file's 1 s): the second probe goes beside the first after
    // a second, and on a loaded machine (nice 15 beside busy loops) it came after the 2.5 s this
    // waited within the 3 s bound (dispatch-17 saw it fail once).
    const { orm, pool, worker } = await startRunner(4, 100, 2, 20_000);
    const pids: number[] = [];
    const frozen = stopAt(
      (text, client) => {
        if (!isProbe(text)) return false;
        pids.push((client as unknown as { processID: number }).processID);
        return true;
      },
      { every: true },
    );
    try {
      // within the bound (22 s here), so that only stop() can end them
      await within10s(
        eventually(async () => pids.length === 2, 9_000),
        'two probes',
      );
      // SIGSTOP takes effect when the kernel next runs the backend: on a loaded machine the second
      // was still `R` after the close (CI run of 15d3410: [true, false]); wait until both are `T`
      await within10s(Promise.all(pids.map(untilStopped)), 'both probes stopped');
      expect(countsOf(pool).lent).toBe(2);
      await within10s(Promise.all([worker.stop(), worker.stop()]), 'stop() twice');
      await within10s(orm.close(), 'closing the pool');
      expect(pids.map(isStopped)).toEqual([true, true]);
      expect(errors).toEqual([]);
    } finally {
      frozen.remove();
      resumeAll();
      await worker.stop();
    }
  });

  it('a connection the pool opens as its backend stops (its READ COMMITTED setting unanswered): the statement waiting for it fails by the bound, the pool drops it and serves again', async () => {
    const orm = await openOrm({ url: t.databaseUrl, poolMax: 2, timeouts: t.config.dbTimeouts });
    const pool = await poolOf(orm);
    // the pool's open connection taken: the statement below needs a new one
    const held = await pool.connect();
    let heldOut = true;
    const frozen = stopAt((text) => text === SESSION_SET_UP);
    try {
      const waiting = orm.em.getConnection().execute(`select 1 as one`);
      const pid = await within10s(frozen.pid, 'a new connection');
      // before: no bound (DB_ACQUIRE_TIMEOUT_MS ends at the start-up, boundStatements starts after this)
      await expect(within10s(waiting, 'the statement')).rejects.toThrow(/timeout/i);
      held.release();
      heldOut = false;
      expect(countsOf(pool)).toMatchObject({ lent: 0, waiting: 0 });
      resume(pid);
      expect(await orm.em.getConnection().execute(`select 1 as one`)).toEqual([{ one: 1 }]);
    } finally {
      frozen.remove();
      resumeAll();
      if (heldOut) held.release();
      await orm.close();
    }
  });

  it('two instances and twenty dead workers’ jobs: every one is taken over once and done, none twice', async () => {
    const a = await startRunner(3, 20, 2);
    const b = await startRunner(3, 20, 2);
    try {
      const ids: number[] = [];
      const later = new Date(t.clock.now().getTime() + 3_600_000);
      for (let i = 0; i < 20; i++)
        ids.push((await t.orm.em.fork().transactional((em) => enqueueJob(em, 'test.b16-effect', { tag: `dead-${i}` }, { runAt: later, wake: 'by-caller' })))!);
      // claimed by a worker that died: RUNNING, its lease already over, no transaction holding the row
      await t.sql(`update job set status = 'RUNNING', attempts = 1, locked_by = 'worker-dead', locked_until = $2 where id = any($1::bigint[])`, [
        ids,
        new Date(t.clock.now().getTime() - 1),
      ]);
      await within10s(
        eventually(
          async () => (await t.sql<{ n: number }>(`select count(*)::int as n from job where id = any($1::bigint[]) and status = 'DONE'`, [ids]))[0].n === 20,
        ),
        'twenty takeovers',
      );
      const rows = await t.sql<{ attempts: number }>(`select attempts from job where id = any($1::bigint[])`, [ids]);
      expect(rows.map((r) => r.attempts)).toEqual(ids.map(() => 2));
      for (let i = 0; i < 20; i++) expect(await effects(`dead-${i}`)).toBe(1);
      expect(errors).toEqual([]);
    } finally {
      await a.worker.stop();
      await b.worker.stop();
      await a.orm.close();
      await b.orm.close();
    }
  });
});

/**
 * The whole gateway's shutdown (src/main.ts: `gateway.close()`, `jobs.stop()`, then the database's
 * close, `closeOrm`) while every one of its sessions is stopped (a frozen server or host;
 * hang-12c), with the gateway's own job runner (LISTEN connection, poll, scheduler and webhook
 * dispatcher ticks) and event relay running. main.ts exits 1 ("shutdown took too long") after 15 s.
 */
describe('the gateway’s shutdown on a frozen server (break-16)', () => {
  let t: TestGateway;
  const errors: string[] = [];
  const log = pino({ level: 'error' }, { write: (line: string) => void errors.push(line) });
  beforeAll(async () => {
    // a bound far beyond this test's waits: what ends them cannot be the statement bound
    t = await startTestGateway({ DB_STATEMENT_TIMEOUT_MS: '60000' }, { jobPollMs: 100, log });
  });
  afterAll(async () => {
    resumeAll();
    await t.close();
  });

  it('closes the gateway, stops the jobs and closes the pool while every session of the gateway is stopped; nothing logged as an error', async () => {
    // as src/main.ts's jobs do (the test gateway ticks its schedulers only when a test asks)
    t.jobs.dispatcher.start(t.config.webhooks.dispatchMs, (error) => log.error({ err: error }, 'webhook dispatch tick failed'));
    await sleep(300);
    const pids = (
      await t.sql<{ pid: number }>(
        `select pid from pg_stat_activity where datname = current_database() and backend_type = 'client backend' and application_name <> $1 and pid <> pg_backend_pid()`,
        [TEST_SQL_APPLICATION],
      )
    ).map((r) => r.pid);
    expect(pids.length).toBeGreaterThan(2);
    // the dispatcher's slot stays the one it has enqueued: its ticks go on (one statement each) and
    // wake no loop, so no claim is in flight at the stop (a claim still waits its bound: left as is)
    t.clock.freeze();
    pids.forEach(stop);
    // and every statement the gateway sends from now on, on a new connection too: a frozen server
    // (its postmaster is not stopped here, since other databases share it)
    const frozen = stopAt(
      (_, client) =>
        (
          client as unknown as {
            connectionParameters: { application_name?: string };
          }
        ).connectionParameters.application_name !== TEST_SQL_APPLICATION,
      { every: true },
    );
    try {
      // the relay, the dispatcher, the scheduler and the poll meet the frozen server meanwhile
      await sleep(1_500);
      // before: the event relay's goodbye was never answered
      await within10s(t.gateway.close(), 'gateway.close()');
      await within10s(t.jobs.stop(), 'jobs.stop()');
      // before: the pool waited for the dispatcher's tick until its bound (60 s here, 17 s by default)
      await within10s(closeOrm(t.orm), 'closing the pool');
      expect(errors).toEqual([]);
    } finally {
      frozen.remove();
    }
  });
});
