import pg from 'pg';
import pino from 'pino';
import { query, sql } from '../../src/db/sql.js';
import { enqueueJob } from '../../src/jobs/queue.js';
import { JOB_HANDLERS } from '../../src/jobs/registry.js';
import { JobRunner, LISTENER_APPLICATION } from '../../src/jobs/runner.js';
import { SubmitTransactionDocument, TransactionStatusDocument } from '../generated/graphql.js';
import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCustomer, createPartner, earningProgram, eventually, unique } from '../support/program.js';
import { holdConnect } from '../support/statements.js';

/**
 * break-15: hostile pass on idle-15's poll (one probe per instance every JOB_POLL_MS that wakes an
 * idle loop of a lane with a due job). Each test is one attempt to make a due job wait past the
 * poll's bound: a failed probe, a dead worker's lease, a lane busy when the job came due, a burst of
 * due jobs for few loops. Every runner here has no LISTEN connection and no local wake-ups, so only
 * the poll (and the loops waking each other) can move it.
 */
describe('the job runner’s poll under hostile conditions (break-15)', () => {
  let t: TestGateway;
  let slowGate: Promise<void> = Promise.resolve();
  const started: number[] = [];

  beforeAll(async () => {
    JOB_HANDLERS['test.b15-effect'] = {
      run: async ({ em }, payload: { tag: string }) => {
        await query(em, sql`insert into audit_entry (actor, action, target) values ('test', 'job.effect', ${payload.tag})`);
      },
    };
    JOB_HANDLERS['test.b15-slow'] = {
      run: async ({ em }, payload: { tag: string; ms?: number }) => {
        started.push(Date.now());
        if (payload.ms) await new Promise((r) => setTimeout(r, payload.ms));
        else await slowGate;
        await query(em, sql`insert into audit_entry (actor, action, target) values ('test', 'job.effect', ${payload.tag})`);
      },
    };
    // a short statement timeout: a probe blocked by a lock fails within the test
    JOB_HANDLERS['test.b15-outbound'] = {
      lane: 'outbound',
      run: async ({ em }, payload: { tag: string }) => {
        started.push(Date.now());
        await new Promise((r) => setTimeout(r, 400));
        await query(em, sql`insert into audit_entry (actor, action, target) values ('test', 'job.effect', ${payload.tag})`);
      },
    };
    JOB_HANDLERS['test.b15-flaky'] = {
      run: async ({ em }, payload: { tag: string }, job) => {
        if (job.attempts === 1) throw new Error('first attempt fails');
        await query(em, sql`insert into audit_entry (actor, action, target) values ('test', 'job.effect', ${payload.tag})`);
      },
    };
    // and a short acquire timeout: a probe meeting an exhausted pool fails within 1 s (the default
    // 5 s was waited out whole in the exhaustion test)
    t = await startTestGateway({ DB_STATEMENT_TIMEOUT_MS: '1500', DB_ACQUIRE_TIMEOUT_MS: '1000' }, { jobs: 'manual' });
  });
  afterEach(() => t.clock.reset());
  afterAll(async () => {
    delete JOB_HANDLERS['test.b15-effect'];
    delete JOB_HANDLERS['test.b15-slow'];
    delete JOB_HANDLERS['test.b15-outbound'];
    delete JOB_HANDLERS['test.b15-flaky'];
    await t.close();
  });

  const effects = async (tag: string) => Number((await t.sql<{ n: string }>(`select count(*) as n from audit_entry where action = 'job.effect' and target = $1`, [tag]))[0].n);
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
  /** The runner's error lines (its failed probes and claims). */
  const errors: string[] = [];
  const log = pino({ level: 'error' }, { write: (line: string) => void errors.push(line) });
  const runner = (pollMs: number, concurrency = 2, outboundConcurrency = 1) =>
    new JobRunner({ orm: t.orm, clock: t.clock, config: t.config, log }, JOB_HANDLERS, {
      leaseMs: 30_000,
      pollMs,
      concurrency,
      outboundConcurrency,
      localWakeUps: false,
    });
  const enqueue = (kind: string, payload: unknown, runAt = t.clock.now()) =>
    t.orm.em.fork().transactional((em) => enqueueJob(em, kind, payload, { runAt, wake: 'by-caller' }));
  /** Waits until `tag` has `n` effects (up to `maxMs`); answers the time it took (ms). */
  async function until(tag: string, n: number, maxMs = 5_000): Promise<number> {
    const from = Date.now();
    while ((await effects(tag)) < n && Date.now() - from < maxMs) await sleep(20);
    return Date.now() - from;
  }

  /** Waits for `tag`'s one effect and expects it within `ms` (the poll's bound plus a claim and the job, with room for a loaded machine). */
  async function expectRunWithin(tag: string, ms: number): Promise<void> {
    const took = await until(tag, 1);
    expect(await effects(tag)).toBe(1);
    expect(took).toBeLessThan(ms);
  }

  it('after the pool’s connections are killed (pg_terminate_backend), the poll goes on and runs a job that comes due', async () => {
    const worker = runner(200);
    await worker.start();
    try {
      await sleep(300);
      await enqueue('test.b15-effect', { tag: 'after-kill' }, new Date(t.clock.now().getTime() + 5_000));
      // kill every connection of the gateway's pool (not the test's own): the next probes meet dead sockets
      for (let i = 0; i < 3; i++) {
        await t.sql(`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and application_name <> 'reward-gateway tests'`);
        await sleep(250);
      }
      t.clock.advance(5_000);
      await expectRunWithin('after-kill', 2_500);
    } finally {
      await worker.stop();
    }
  });

  it('a job whose NOTIFY was lost (the LISTEN connection killed) is run by the poll', async () => {
    const worker = new JobRunner({ orm: t.orm, clock: t.clock, config: t.config, log }, JOB_HANDLERS, { leaseMs: 30_000, pollMs: 200, concurrency: 2, localWakeUps: false });
    await worker.start(t.databaseUrl);
    // The listener comes back after LISTEN_RETRY_MS (1 s) and then wakes every loop, which would run
    // the job too. Its new connection is held until the job has run, so only the poll can have run
    // it, however slow the machine (a bound of 900 ms stood for this, which a loaded machine passed).
    const relisten = holdConnect(LISTENER_APPLICATION);
    try {
      await sleep(300);
      await t.sql(`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and application_name = $1`, [LISTENER_APPLICATION]);
      // enqueued with its NOTIFY, which no one hears
      await t.orm.em.fork().transactional((em) => enqueueJob(em, 'test.b15-effect', { tag: 'lost-notify' }, { runAt: t.clock.now() }));
      await eventually(async () => (await effects('lost-notify')) === 1);
    } finally {
      relisten.release();
      await worker.stop();
    }
  });

  it('after the pool was exhausted (probes time out waiting for a connection), a due job is run', async () => {
    const worker = runner(200);
    await worker.start();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const holders: Promise<unknown>[] = [];
    try {
      await sleep(300);
      errors.length = 0;
      for (let i = 0; i < t.config.dbPoolMax; i++) holders.push(t.orm.em.fork().transactional(async (em) => {
        await query(em, sql`select 1`);
        await gate;
      }).catch(() => undefined));
      // until a probe has waited out DB_ACQUIRE_TIMEOUT_MS and failed: waited for, not slept on (a
      // loaded machine's probe had not failed yet after the bound and 600 ms)
      await eventually(async () => errors.length > 0, t.config.dbTimeouts.acquireMs + 15_000);
      release();
      await Promise.all(holders);
      await enqueue('test.b15-effect', { tag: 'after-exhaustion' }, new Date(t.clock.now().getTime() + 5_000));
      t.clock.advance(5_000);
      await expectRunWithin('after-exhaustion', 2_500);
    } finally {
      release();
      await worker.stop();
    }
  });

  it('after probes time out (the job table locked past the statement timeout), a due job is run', async () => {
    const worker = runner(200);
    await worker.start();
    try {
      await sleep(300);
      await enqueue('test.b15-effect', { tag: 'after-lock' }, new Date(t.clock.now().getTime() + 5_000));
      errors.length = 0;
      const client = new pg.Client({ connectionString: t.databaseUrl });
      await client.connect();
      try {
        await client.query('begin');
        await client.query('set local statement_timeout = 0');
        await client.query('lock table job in access exclusive mode');
        // until probes (and claims) have failed meanwhile, past the statement bound: waited for, not
        // slept on (the bound and 800 ms), as a loaded machine's probe may fail later
        await eventually(async () => errors.length > 0, t.config.dbTimeouts.statementMs + t.config.dbTimeouts.clientMarginMs + 15_000);
        await client.query('rollback');
      } finally {
        await client.end();
      }
      t.clock.advance(5_000);
      await expectRunWithin('after-lock', 2_500);
    } finally {
      await worker.stop();
    }
  });

  it('a RUNNING job of a dead worker (lease run out, no live transaction) is run by the poll', async () => {
    const worker = runner(200);
    await worker.start();
    try {
      await sleep(300);
      const id = await enqueue('test.b15-effect', { tag: 'dead-lease' });
      await t.sql(`update job set status = 'RUNNING', attempts = 1, locked_by = 'worker-dead', locked_until = $2 where id = $1`, [id, new Date(t.clock.now().getTime() + 10_000)]);
      await sleep(600);
      expect(await effects('dead-lease')).toBe(0); // its lease holds it
      t.clock.advance(10_000);
      await expectRunWithin('dead-lease', 2_500);
    } finally {
      await worker.stop();
    }
  });

  it('a job that came due while every loop was busy is run within a poll of a loop finishing', async () => {
    const worker = runner(200, 1);
    let release!: () => void;
    slowGate = new Promise<void>((r) => (release = r));
    await worker.start();
    try {
      await sleep(300);
      await enqueue('test.b15-slow', { tag: 'busy-first' });
      t.clock.advance(1); // nothing woke the loop: the poll does
      while (started.length === 0) await sleep(10);
      await enqueue('test.b15-effect', { tag: 'busy-second' }); // no wake-up: the only loop is busy
      await sleep(500); // polls meanwhile see no idle loop
      release();
      await until('busy-first', 1);
      await expectRunWithin('busy-second', 2_000);
    } finally {
      release();
      await worker.stop();
      started.length = 0;
    }
  });

  // The two bursts below measure their spread against the poll's interval, which is long (3 s) so
  // that the work itself (two rounds of 400 ms jobs, and their claims) fits in it however loaded the
  // machine: with a 1 s poll they were held to 1.5 s and 1 s, which a loaded machine's claims
  // and timers can pass. One job woken per poll would spread them over several polls.
  const BURST_POLL_MS = 3_000;

  it('eight jobs due at once for four loops run four at a time, not one per poll', async () => {
    const worker = runner(BURST_POLL_MS, 4);
    await worker.start();
    try {
      await sleep(300);
      const runAt = new Date(t.clock.now().getTime() + 5_000);
      for (let i = 0; i < 8; i++) await enqueue('test.b15-slow', { tag: 'burst', ms: 400 }, runAt);
      t.clock.advance(5_000);
      await until('burst', 8, 15_000);
      expect(await effects('burst')).toBe(8);
      const spread = Math.max(...started) - Math.min(...started);
      // one poll wakes a loop, which wakes the next: two rounds of four (~400 ms apart), all within
      // one poll's interval; one per poll would take seven intervals (21 s)
      expect(spread).toBeLessThan(BURST_POLL_MS);
    } finally {
      await worker.stop();
      started.length = 0;
    }
  });

  it('four deliveries to four endpoints due at once for two outbound loops run two at a time', async () => {
    const worker = runner(BURST_POLL_MS, 1, 2);
    await worker.start();
    try {
      await sleep(300);
      const runAt = new Date(t.clock.now().getTime() + 5_000);
      await t.orm.em.fork().transactional(async (em) => {
        for (let i = 0; i < 4; i++) await enqueueJob(em, 'test.b15-outbound', { tag: 'out-burst' }, { runAt, wake: 'by-caller', group: `b15-endpoint-${i}` });
      });
      t.clock.advance(5_000);
      await until('out-burst', 4, 15_000);
      expect(await effects('out-burst')).toBe(4);
      const spread = Math.max(...started) - Math.min(...started);
      expect(spread).toBeLessThan(BURST_POLL_MS); // two rounds of two, ~400 ms apart; not one per poll (three intervals, 9 s)
    } finally {
      await worker.stop();
      started.length = 0;
    }
  });

  it('a retry scheduled by backoff on one instance is run by another’s poll once the clock reaches it', async () => {
    const a = runner(200);
    const b = runner(200);
    // The retry comes due on the test's clock, which stands still until the test moves it: on the
    // wall clock its backoff ran out while a loaded machine was still seeing the first attempt's
    // failure, and `a` ran the retry itself.
    t.clock.freeze();
    await a.start();
    try {
      await sleep(300);
      await enqueue('test.b15-flaky', { tag: 'retried' }, new Date(t.clock.now().getTime() + 5_000));
      t.clock.advance(5_000);
      // failed once, retry after backoff (in the future); waited for as long as the machine takes (it had 3 s)
      const row = await eventually(async () => {
        const [job] = await t.sql<{ status: string; attempts: number }>(`select status, attempts from job where kind = 'test.b15-flaky'`);
        return job?.status === 'PENDING' && job.attempts === 1 && job;
      });
      expect(row).toEqual({ status: 'PENDING', attempts: 1 });
      await a.stop();
      await b.start();
      await sleep(600);
      expect(await effects('retried')).toBe(0); // not due yet
      t.clock.advance(60_000);
      await expectRunWithin('retried', 2_500);
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  it('stop() while a probe is in flight leaves no rejection and no running poll', async () => {
    const rejections: unknown[] = [];
    const onRejection = (e: unknown) => rejections.push(e);
    process.on('unhandledRejection', onRejection);
    try {
      for (let i = 0; i < 5; i++) {
        const worker = runner(5);
        await worker.start();
        await sleep(7 + i);
        await worker.stop();
      }
      await sleep(200);
      expect(rejections).toEqual([]);
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  });
});

/**
 * break-15 on the whole stack: a sale submitted while the instance's LISTEN connection is gone (its
 * NOTIFY heard by no one; the gateway's own wake-ups go by NOTIFY here, as another instance's do) is
 * processed by the runner's poll while the listener is down (its new connection held by the test).
 */
describe('a sale whose NOTIFY was lost (break-15)', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'background', jobPollMs: 200, jobLocalWakeUps: false });
  });
  afterAll(() => t.close());

  it('is processed within the poll while the wake-up connection is down', async () => {
    const { money, currency } = await earningProgram(t, 'BF');
    const till = await createPartner(t, ['transactions:write', 'transactions:read']);
    const customer = await createCustomer(t, currency);
    const listening = `select pid from pg_stat_activity where datname = current_database() and query ilike 'listen reward_gateway_jobs%'`;
    for (let round = 0; round < 2; round++) {
      const [{ pid }] = await t.sql<{ pid: number }>(listening);
      // the listener's new connection (it tries after 1 s) is held until the sale is processed: only
      // the poll can have done it, however slow the machine (it was held to 900 ms)
      const relisten = holdConnect(LISTENER_APPLICATION);
      try {
        await t.sql(`select pg_terminate_backend($1)`, [pid]);
        const externalId = unique('sale');
        const input = { externalId, customerExternalId: customer.externalId, occurredAt: t.clock.now().toISOString(), currency: money, lines: [{ sku: 'A', quantity: 1, unitPrice: '1.00' }] };
        ok(await t.gql(SubmitTransactionDocument, { input }, till.credential));
        await eventually(async () => ok(await t.gql(TransactionStatusDocument, { externalId }, till.credential)).transaction?.status === 'PROCESSED');
      } finally {
        relisten.release();
      }
      await eventually(async () => (await t.sql<{ pid: number }>(listening)).length === 1); // listening again before the next round
    }
  });
});
