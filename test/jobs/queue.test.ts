import pg from 'pg';
import pino from 'pino';
import { query, sql } from '../../src/db/sql.js';
import { enqueueJob, wakeWorkers } from '../../src/jobs/queue.js';
import { JOB_HANDLERS } from '../../src/jobs/registry.js';
import { JobRunner, PermanentJobError } from '../../src/jobs/runner.js';
import { Scheduler } from '../../src/jobs/scheduler.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

/** The PostgreSQL job queue: retries with backoff, a dead state, take-over after a crash, once-only runs. */
describe('the job queue', () => {
  let t: TestGateway;
  const failures: string[] = [];
  let flakyCalls = 0;
  let inFlight = 0;
  let mostAtOnce = 0;

  beforeAll(async () => {
    // Test-only kinds: one that always fails, one whose effect is a row we can count.
    JOB_HANDLERS['test.always-fails'] = {
      run: async () => {
        flakyCalls++;
        throw new Error(`boom ${flakyCalls}`);
      },
      onFailed: async ({ em }, _payload, reason) => {
        failures.push(reason);
        await query(em, sql`insert into audit_entry (actor, action, target, reason) values ('test', 'job.failed', 'job', ${reason})`);
      },
    };
    JOB_HANDLERS['test.permanent'] = {
      run: async () => {
        throw new PermanentJobError('cannot ever work');
      },
    };
    JOB_HANDLERS['test.effect'] = {
      run: async ({ em }, payload: { tag: string }) => {
        await query(em, sql`insert into audit_entry (actor, action, target) values ('test', 'job.effect', ${payload.tag})`);
      },
    };
    JOB_HANDLERS['test.slow-effect'] = {
      run: async ({ em }, payload: { tag: string }) => {
        inFlight++;
        mostAtOnce = Math.max(mostAtOnce, inFlight);
        try {
          await query(em, sql`insert into audit_entry (actor, action, target) values ('test', 'job.effect', ${payload.tag})`);
          await new Promise((resolve) => setTimeout(resolve, 30));
        } finally {
          inFlight--;
        }
      },
    };
    t = await startTestGateway({}, { jobs: 'manual' });
  });
  afterEach(() => t.clock.reset());
  afterAll(async () => {
    for (const kind of ['test.always-fails', 'test.permanent', 'test.effect', 'test.slow-effect']) delete JOB_HANDLERS[kind];
    await t.close();
  });

  const enqueue = (kind: string, payload: unknown, maxAttempts = 3) =>
    t.orm.em.fork().transactional((em) => enqueueJob(em, kind, payload, { runAt: t.clock.now(), maxAttempts }));
  /**
   * Enqueues one job of `kind` per payload, in one transaction (its NOTIFY is sent once, at the
   * commit). Set-up: thirty or forty transactions at once waited for the pool's twenty connections,
   * and on a loaded machine past DB_ACQUIRE_TIMEOUT_MS ("timeout exceeded when trying to connect"),
   * which is no part of what the tests ask.
   */
  const enqueueAll = (kind: string, payloads: unknown[]) =>
    t.orm.em.fork().transactional(async (em) => {
      const ids: number[] = [];
      for (const payload of payloads) ids.push((await enqueueJob(em, kind, payload, { runAt: t.clock.now(), maxAttempts: 3 }))!);
      return ids;
    });
  const jobRow = async (id: number) =>
    (await t.sql<{ status: string; attempts: number; last_error: string | null; run_at: Date }>(`select status, attempts, last_error, run_at from job where id = $1`, [id]))[0];
  const effects = async (tag: string) => Number((await t.sql<{ n: string }>(`select count(*) as n from audit_entry where action = 'job.effect' and target = $1`, [tag]))[0].n);
  const runner = (leaseMs = 30_000) =>
    new JobRunner({ orm: t.orm, clock: t.clock, config: t.config, log: pino({ level: 'silent' }) }, JOB_HANDLERS, { leaseMs, pollMs: 25, backoffMs: 1_000, maxBackoffMs: 60_000 });

  it('retries a failing job with exponential backoff, then marks it FAILED with its reason', async () => {
    t.clock.freeze();
    const id = (await enqueue('test.always-fails', {}, 3))!;
    const worker = runner();
    expect(await worker.runOne()).toBe(true);
    let row = await jobRow(id);
    expect(row).toMatchObject({ status: 'PENDING', attempts: 1, last_error: 'boom 1' });
    expect(new Date(row.run_at).getTime() - t.clock.now().getTime()).toBe(1_000);
    expect(await worker.runOne()).toBe(false); // not due yet

    t.clock.advance(1_000);
    expect(await worker.runOne()).toBe(true);
    row = await jobRow(id);
    expect(row).toMatchObject({ status: 'PENDING', attempts: 2, last_error: 'boom 2' });
    t.clock.advance(1_000);
    expect(await worker.runOne()).toBe(false); // the second wait is twice as long
    t.clock.advance(1_000);
    expect(await worker.runOne()).toBe(true);
    expect(await jobRow(id)).toMatchObject({ status: 'FAILED', attempts: 3, last_error: 'boom 3' });
    expect(failures).toEqual(['boom 3']);
    t.clock.advance(60_000);
    expect(await worker.runOne()).toBe(false);
    t.clock.reset();
  });

  it('fails a PermanentJobError at once', async () => {
    const id = (await enqueue('test.permanent', {}, 5))!;
    await runner().runOne();
    expect(await jobRow(id)).toMatchObject({ status: 'FAILED', attempts: 1, last_error: 'cannot ever work' });
  });

  it('a worker that dies holding a job leaves it to another after the lease, with one effect', async () => {
    const id = (await enqueue('test.effect', { tag: 'crash' }))!;
    const dead = runner(5_000);
    const claimed = await dead.claim(); // claims, then "dies" before doing anything
    expect(claimed?.id).toBe(id);
    const survivor = runner(5_000);
    expect(await survivor.runOne()).toBe(false); // the lease still holds
    t.clock.advance(5_001);
    expect(await survivor.runOne()).toBe(true);
    expect(await jobRow(id)).toMatchObject({ status: 'DONE', attempts: 2 });
    // the first worker comes back to life and finishes: its lease is gone, so nothing commits
    await dead.execute(claimed!);
    expect(await effects('crash')).toBe(1);
    expect(await jobRow(id)).toMatchObject({ status: 'DONE', attempts: 2 });
  });

  it('several workers at once run each job exactly once', async () => {
    const ids = await enqueueAll('test.effect', Array.from({ length: 30 }, (_, i) => ({ tag: `many-${i}` })));
    const workers = [runner(), runner(), runner(), runner()];
    await Promise.all(workers.map((w) => w.runUntilIdle()));
    const rows = await t.sql<{ status: string; attempts: number }>(`select status, attempts from job where id = any($1::bigint[])`, [ids]);
    expect(rows.every((r) => r.status === 'DONE' && r.attempts === 1)).toBe(true);
    const counts = await Promise.all(ids.map((_, i) => effects(`many-${i}`)));
    expect(counts).toEqual(Array(30).fill(1));
  });

  it('one runner with JOB_CONCURRENCY loops runs jobs side by side, each exactly once', async () => {
    const worker = new JobRunner({ orm: t.orm, clock: t.clock, config: t.config, log: pino({ level: 'silent' }) }, JOB_HANDLERS, {
      leaseMs: 30_000,
      pollMs: 25,
      concurrency: 4,
    });
    await worker.start(t.databaseUrl);
    try {
      const ids = await enqueueAll('test.slow-effect', Array.from({ length: 40 }, (_, i) => ({ tag: `loops-${i}` })));
      const done = async () => Number((await t.sql<{ n: string }>(`select count(*) as n from job where id = any($1::bigint[]) and status = 'DONE'`, [ids]))[0].n);
      for (let waited = 0; (await done()) < 40 && waited < 20_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
      const rows = await t.sql<{ status: string; attempts: number }>(`select status, attempts from job where id = any($1::bigint[])`, [ids]);
      expect(rows.every((r) => r.status === 'DONE' && r.attempts === 1)).toBe(true);
      expect(await Promise.all(ids.map((_, i) => effects(`loops-${i}`)))).toEqual(Array(40).fill(1));
      expect(mostAtOnce).toBeGreaterThan(1);
      expect(mostAtOnce).toBeLessThanOrEqual(4);
    } finally {
      await worker.stop();
    }
  });

  it('jobs enqueued for a wake-up after commit (coalesced) all wake the workers: none waits for a poll', async () => {
    // A worker that, after its first look, would poll only every ten minutes: only wake-ups move it.
    const worker = new JobRunner({ orm: t.orm, clock: t.clock, config: t.config, log: pino({ level: 'silent' }) }, JOB_HANDLERS, {
      leaseMs: 30_000,
      pollMs: 600_000,
      concurrency: 2,
    });
    await worker.start(t.databaseUrl);
    try {
      // Bursts of commits from many callers at once, each waking after its own commit, as sales do.
      const ids: number[] = [];
      for (let burst = 0; burst < 5; burst++) {
        const batch = await Promise.all(
          Array.from({ length: 8 }, async (_, i) => {
            const id = await t.orm.em.fork().transactional((em) => enqueueJob(em, 'test.effect', { tag: `woken-${burst}-${i}` }, { runAt: t.clock.now(), wake: 'by-caller' }));
            wakeWorkers(t.orm.em.fork(), 'test.effect');
            return id!;
          }),
        );
        ids.push(...batch);
        await new Promise((resolve) => setTimeout(resolve, 20 * burst));
      }
      const done = async () => Number((await t.sql<{ n: string }>(`select count(*) as n from job where id = any($1::bigint[]) and status = 'DONE'`, [ids]))[0].n);
      for (let waited = 0; (await done()) < ids.length && waited < 20_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await done()).toBe(ids.length);
    } finally {
      await worker.stop();
    }
  });

  it('workers that keep up claim once per job: no loop looks for work that is not there', async () => {
    // Issue 12: every claim is a statement; each job used to cost three (the woken loop's, the
    // next loop's it woke, and its own again after the job), two of which found nothing.
    const worker = new JobRunner({ orm: t.orm, clock: t.clock, config: t.config, log: pino({ level: 'silent' }) }, JOB_HANDLERS, {
      leaseMs: 30_000,
      pollMs: 600_000,
      concurrency: 4,
    });
    const original = pg.Client.prototype.query;
    let claims = 0;
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string } | undefined)?.text;
      if (text?.includes("set status = 'RUNNING'")) claims++;
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof original;
    try {
      await worker.start(t.databaseUrl);
      const done = async (id: number) => (await t.sql<{ status: string }>(`select status from job where id = $1`, [id]))[0].status === 'DONE';
      // the loops' first look at start-up, once it has found nothing: the four loops and the two
      // delivery loops (DEFAULT_RUNNER_OPTIONS.outboundConcurrency; their claim is a transaction
      // since webhook-14, so it could land after a wait for four only, and was counted)
      for (let waited = 0; claims < 6 && waited < 5_000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
      claims = 0;
      for (let i = 0; i < 10; i++) {
        const id = (await t.orm.em.fork().transactional((em) => enqueueJob(em, 'test.effect', { tag: `one-claim-${i}` }, { runAt: t.clock.now(), wake: 'by-caller' })))!;
        wakeWorkers(t.orm.em.fork(), 'test.effect');
        for (let waited = 0; !(await done(id)) && waited < 10_000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
        expect(await done(id)).toBe(true);
        await new Promise((resolve) => setTimeout(resolve, 30)); // a loop that would look again has done so by now
      }
      expect(await Promise.all(Array.from({ length: 10 }, (_, i) => effects(`one-claim-${i}`)))).toEqual(Array(10).fill(1));
      expect(claims).toBe(10);
    } finally {
      pg.Client.prototype.query = original;
      await worker.stop();
    }
  });

  it.each([1, 3])('with %i loop(s) busy on slow jobs, bursts, jobs that come due by the clock and wake-ups sent meanwhile: each runs once, none waits for a poll', async (concurrency) => {
    const worker = new JobRunner({ orm: t.orm, clock: t.clock, config: t.config, log: pino({ level: 'silent' }) }, JOB_HANDLERS, {
      leaseMs: 30_000,
      pollMs: 600_000, // after the first look, only wake-ups move the loops
      concurrency,
    });
    await worker.start(t.databaseUrl);
    const tag = `busy-${concurrency}`;
    const woken = async (kind: string, payload: unknown, runAt = t.clock.now()) => {
      const id = (await t.orm.em.fork().transactional((em) => enqueueJob(em, kind, payload, { runAt, wake: 'by-caller' })))!;
      wakeWorkers(t.orm.em.fork(), kind);
      return id;
    };
    try {
      const ids: number[] = [];
      for (let round = 0; round < 4; round++) {
        // every loop busy on a slow job, and jobs arriving while they are
        ids.push(...(await Promise.all(Array.from({ length: concurrency }, (_, i) => woken('test.slow-effect', { tag: `${tag}-slow-${round}-${i}` })))));
        ids.push(...(await Promise.all(Array.from({ length: 5 }, (_, i) => woken('test.effect', { tag: `${tag}-burst-${round}-${i}` })))));
        // one due 5 s from now: its wake-up finds nothing due; then the clock moves and the wake-up is
        // sent again. 5 s, not more: leases run on this clock, and over the four rounds it moves 20 s,
        // less than the 30 s lease, so no slow job still running is taken over as if its worker had died.
        const later = await woken('test.effect', { tag: `${tag}-later-${round}` }, new Date(t.clock.now().getTime() + 5_000));
        ids.push(later);
        t.clock.advance(5_000 + 1);
        wakeWorkers(t.orm.em.fork(), 'test.effect');
        await new Promise((resolve) => setTimeout(resolve, 10 * round));
      }
      const done = async () => Number((await t.sql<{ n: string }>(`select count(*) as n from job where id = any($1::bigint[]) and status = 'DONE'`, [ids]))[0].n);
      for (let waited = 0; (await done()) < ids.length && waited < 20_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await done()).toBe(ids.length);
      const rows = await t.sql<{ attempts: number }>(`select attempts from job where id = any($1::bigint[])`, [ids]);
      expect(rows.filter((r) => r.attempts !== 1)).toEqual([]);
      const counts = await t.sql<{ target: string; n: string }>(`select target, count(*) as n from audit_entry where action = 'job.effect' and target like $1 group by target having count(*) <> 1`, [`${tag}-%`]);
      expect(counts).toEqual([]);
      expect(Number((await t.sql<{ n: string }>(`select count(*) as n from audit_entry where action = 'job.effect' and target like $1`, [`${tag}-%`]))[0].n)).toBe(ids.length);
    } finally {
      await worker.stop();
    }
  });

  it('schedules enqueue each time slot once, however many instances tick', async () => {
    const schedules = [{ kind: 'test.effect', everyMs: 60_000 }];
    const instances = Array.from({ length: 5 }, () => new Scheduler(t.orm, t.clock, schedules, t.jobs.runner.guard));
    const created = await Promise.all(instances.map((s) => s.tick()));
    expect(created.reduce((a, b) => a + b, 0)).toBe(1);
    expect((await Promise.all(instances.map((s) => s.tick()))).reduce((a, b) => a + b, 0)).toBe(0);
    t.clock.advance(60_000);
    expect((await Promise.all(instances.map((s) => s.tick()))).reduce((a, b) => a + b, 0)).toBe(1);
  });
});
