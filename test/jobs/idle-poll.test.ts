import pg from 'pg';
import pino from 'pino';
import { ClockGuard } from '../../src/clock-guard.js';
import { SESSION_SET_UP } from '../../src/db/orm.js';
import { query, sql } from '../../src/db/sql.js';
import { enqueueJob } from '../../src/jobs/queue.js';
import { JOB_HANDLERS } from '../../src/jobs/registry.js';
import { JobRunner } from '../../src/jobs/runner.js';
import { Scheduler } from '../../src/jobs/scheduler.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { allAsleep } from '../support/job-runner.js';
import { eventually } from '../support/program.js';

/**
 * idle-15: what an idle instance's job runner and schedulers cost the database, and that the jobs
 * still run when due. The runner's poll is one statement per JOB_POLL_MS for all its loops (it was a
 * claim by every idle loop, the outbound ones in a transaction each); a tick of schedules without
 * catch-up (the webhook dispatcher's, every WEBHOOK_DISPATCH_MS) is one statement (it was a
 * transaction of four).
 */
describe('an idle instance’s job polling (idle-15)', () => {
  let t: TestGateway;
  /** Holds `test.idle-held`'s first attempt inside its transaction until resolved. */
  let heldGate: Promise<void> = Promise.resolve();
  let heldStarted = 0;

  beforeAll(async () => {
    JOB_HANDLERS['test.idle-effect'] = {
      // a scheduled run's payload is its slot: no tag
      run: async ({ em }, payload: { tag?: string }) => {
        await query(em, sql`insert into audit_entry (actor, action, target) values ('test', 'job.effect', ${payload.tag ?? 'scheduled'})`);
      },
    };
    JOB_HANDLERS['test.idle-held'] = {
      run: async ({ em }, payload: { tag: string }, job) => {
        if (job.attempts === 1) {
          heldStarted++;
          await heldGate;
        }
        await query(em, sql`insert into audit_entry (actor, action, target) values ('test', 'job.effect', ${payload.tag})`);
      },
    };
    JOB_HANDLERS['test.idle-outbound'] = {
      lane: 'outbound',
      run: async ({ em }, payload: { tag: string }) => {
        await query(em, sql`insert into audit_entry (actor, action, target) values ('test', 'job.effect', ${payload.tag})`);
      },
    };
    t = await startTestGateway({}, { jobs: 'manual' });
  });
  afterEach(() => t.clock.reset());
  afterAll(async () => {
    delete JOB_HANDLERS['test.idle-effect'];
    delete JOB_HANDLERS['test.idle-outbound'];
    delete JOB_HANDLERS['test.idle-held'];
    await t.close();
  });

  const effects = async (tag: string) => Number((await t.sql<{ n: string }>(`select count(*) as n from audit_entry where action = 'job.effect' and target = $1`, [tag]))[0].n);
  const runner = (pollMs: number) =>
    new JobRunner({ orm: t.orm, clock: t.clock, config: t.config, log: pino({ level: 'silent' }) }, JOB_HANDLERS, {
      leaseMs: 30_000,
      pollMs,
      concurrency: 4,
      outboundConcurrency: 2,
      localWakeUps: false,
    });

  /** The statements this process's pg clients send while `during` runs (every pool, the gateway's relay too), those `matching` only. */
  async function statementsDuring(during: () => Promise<void>, matching: RegExp = /./): Promise<string[]> {
    const original = pg.Client.prototype.query;
    const seen: string[] = [];
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      const text = typeof args[0] === 'string' ? args[0] : ((args[0] as { text?: string } | undefined)?.text ?? '');
      if (matching.test(text)) seen.push(text);
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof original;
    try {
      await during();
    } finally {
      pg.Client.prototype.query = original;
    }
    return seen;
  }

  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));


  it('six idle loops (four, and two of the delivery lane) ask the database once per poll, not once each', async () => {
    const worker = runner(100);
    await worker.start();
    try {
      await allAsleep(worker); // the loops' first look at start-up is over
      const seen = await statementsDuring(() => sleep(1_000), /\bjob\b|^\s*(begin|commit|rollback)\b/i);
      // ten polls: ten statements on the job table (none in a transaction). Each loop claiming on
      // its own was ~90: 60 claims, and begin and commit around the delivery loops' 20.
      expect(seen.length).toBeLessThanOrEqual(13);
      expect(seen.filter((s) => /^\s*begin/i.test(s))).toEqual([]);
    } finally {
      await worker.stop();
    }
  });

  it('jobs that come due by the clock, in either lane, are run by the next poll without any wake-up', async () => {
    const worker = runner(200);
    await worker.start(); // no LISTEN connection, no local wake-ups: only the poll can move the loops
    try {
      const runAt = new Date(t.clock.now().getTime() + 5_000);
      await t.orm.em.fork().transactional(async (em) => {
        await enqueueJob(em, 'test.idle-effect', { tag: 'idle-main' }, { runAt, wake: 'by-caller' });
        await enqueueJob(em, 'test.idle-outbound', { tag: 'idle-outbound' }, { runAt, wake: 'by-caller', group: 'idle-endpoint' });
      });
      await sleep(600); // three polls: neither is due yet
      expect([await effects('idle-main'), await effects('idle-outbound')]).toEqual([0, 0]);
      t.clock.advance(5_000); // a moved clock (deliberate, not a skew: the instance still claims)
      // Nothing but the poll moves these loops, so each job run is the poll's doing. How soon is the
      // machine's speed, not this test's subject (a bound of 2.5 s stood here).
      await eventually(async () => (await effects('idle-main')) + (await effects('idle-outbound')) >= 2);
      expect([await effects('idle-main'), await effects('idle-outbound')]).toEqual([1, 1]);
    } finally {
      await worker.stop();
    }
  });

  it('a job running past its lease under a live worker (its row locked) wakes no loop at each poll; once that worker’s session dies, the next poll has it claimed again (leftovers-16)', async () => {
    const worker = runner(100);
    await worker.start(); // no LISTEN connection, no local wake-ups: only the poll can move the loops
    let release!: () => void;
    heldGate = new Promise<void>((r) => (release = r));
    heldStarted = 0;
    try {
      await allAsleep(worker); // the loops' first look at start-up is over
      const id = await t.orm.em.fork().transactional((em) => enqueueJob(em, 'test.idle-held', { tag: 'held-past-lease' }, { runAt: t.clock.now(), wake: 'by-caller' }));
      const started = Date.now();
      while (heldStarted === 0 && Date.now() - started < 5_000) await sleep(20);
      expect(heldStarted).toBe(1);
      // its lease (30 s) runs out; its worker is alive, in the job's transaction, holding the row
      t.clock.advance(31_000);
      const claims = /update job set status = 'RUNNING'/;
      const seen = await statementsDuring(() => sleep(1_000), /\bjob\b/);
      // ten polls: each probe, and no claim (each poll woke an idle loop whose claim skipped the locked row)
      expect(seen.filter((text) => claims.test(text))).toEqual([]);
      expect(seen.length).toBeLessThanOrEqual(13);
      expect(await t.sql(`select status, attempts from job where id = $1`, [id])).toEqual([{ status: 'RUNNING', attempts: 1 }]);

      // the worker's session dies (its transaction with it): the row is free, the lease long over
      const ended = await t.sql<{ pid: number }>(
        `select pg_terminate_backend(pid) as ended, pid from pg_stat_activity
          where datname = current_database() and state like 'idle in transaction%' and query like 'update job set status = ''DONE''%'`,
      );
      expect(ended).toHaveLength(1);
      // only the poll moves these loops, so the run is its doing; how soon is the machine's speed,
      // not this test's subject (a bound of 2.5 s stood here)
      await eventually(async () => (await effects('held-past-lease')) >= 1);
      expect(await effects('held-past-lease')).toBe(1);
      expect(await t.sql(`select status, attempts from job where id = $1`, [id])).toEqual([{ status: 'DONE', attempts: 2 }]);
    } finally {
      release();
      await worker.stop();
    }
  });

  it('a tick of schedules without catch-up is one statement; two instances ticking enqueue the slot once; a skewed clock enqueues nothing', async () => {
    t.clock.freeze(); // one slot for both ticks
    const schedule = [{ kind: 'test.idle-effect', everyMs: 1_000 }];
    const guards = [0, 1].map(() => new ClockGuard(t.clock, t.config.clockSkewMaxMs, pino({ level: 'silent' })));
    const [a, b] = guards.map((guard) => new Scheduler(t.orm, t.clock, schedule, guard));
    const slotKey = () => `test.idle-effect:${Math.floor(t.clock.now().getTime() / 1_000)}`;
    const jobsOfSlot = async () => Number((await t.sql<{ n: string }>(`select count(*) as n from job where unique_key = $1`, [slotKey()]))[0].n);

    let created: number[] = [];
    const seen = await statementsDuring(async () => {
      created = await Promise.all([a.tick(), b.tick()]);
    });
    // the wake-up after the commit (a NOTIFY here: no runner of this process is started) aside, and
    // the set-up of a connection the pool opens for the second tick (a runner's start no longer grows it: start-27)
    expect(seen.filter((text) => !/pg_notify/.test(text) && text !== SESSION_SET_UP)).toHaveLength(2);
    expect(created.sort()).toEqual([0, 1]);
    expect(await jobsOfSlot()).toBe(1);
    expect(guards.map((g) => g.last?.skewed)).toEqual([false, false]);

    t.clock.stepHost(2 * t.config.clockSkewMaxMs); // the host's clock off the database's: a slot not yet enqueued
    expect(await a.tick()).toBe(0);
    expect(await jobsOfSlot()).toBe(0);
    expect(guards[0].last?.skewed).toBe(true);
  });

  it("a tick's job is run at once by an idle loop of the same instance, with no NOTIFY and no poll", async () => {
    const worker = new JobRunner({ orm: t.orm, clock: t.clock, config: t.config, log: pino({ level: 'silent' }) }, JOB_HANDLERS, { leaseMs: 30_000, pollMs: 600_000, concurrency: 2 });
    await worker.start(t.databaseUrl);
    try {
      await allAsleep(worker); // two loops and two delivery loops (the default): their first look at start-up is over; the next poll is ten minutes away
      t.clock.freeze();
      t.clock.advance(60_000); // a slot no other test of this file enqueued
      const scheduler = new Scheduler(t.orm, t.clock, [{ kind: 'test.idle-effect', everyMs: 1_000 }], worker.guard);
      const slot = Math.floor(t.clock.now().getTime() / 1_000);
      const done = async () =>
        (await t.sql<{ status: string }>(`select status from job where unique_key = $1`, [`test.idle-effect:${slot}`]))[0]?.status === 'DONE';
      const seen = await statementsDuring(async () => {
        expect(await scheduler.tick()).toBe(1);
        const started = Date.now();
        while (!(await done()) && Date.now() - started < 5_000) await sleep(20);
      });
      expect(await done()).toBe(true);
      expect(seen.filter((text) => /pg_notify/.test(text))).toEqual([]);
    } finally {
      await worker.stop();
    }
  });
});
