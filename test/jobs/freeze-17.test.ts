import type { MikroORM } from '@mikro-orm/postgresql';
import type pg from 'pg';
import pino from 'pino';
import { openOrm } from '../../src/db/orm.js';
import { query, sql } from '../../src/db/sql.js';
import { enqueueJob, JOBS_CHANNEL } from '../../src/jobs/queue.js';
import { JOB_HANDLERS } from '../../src/jobs/registry.js';
import { JobRunner, LISTENER_APPLICATION, type JobHandler } from '../../src/jobs/runner.js';
import { PROCESS_TRANSACTION } from '../../src/transactions/transaction.service.js';
import { isStopped, resume, resumeAll, stopAt, within10s } from '../support/freeze.js';
import { ledgerViolations, startTestGateway, type TestGateway } from '../support/gateway.js';
import { INVARIANTS } from '../support/invariants.js';
import { allAsleep } from '../support/job-runner.js';
import { createCustomer, createPartner, earningProgram, eventually, submitSale } from '../support/program.js';

/**
 * The server-side statement timeout, far beyond every wait of this file: the gateway's own bound on
 * an answer (this + DB_CLIENT_TIMEOUT_MARGIN_MS) cannot be what ends a wait here.
 */
const STATEMENT_MS = 60_000;
/** The first runner's lease: long, so that only the test's clock moves a job past it. */
const LEASE_MS = 60_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const poolOf = (orm: MikroORM) => (orm.em.getConnection() as unknown as { getNativeClient(): Promise<pg.Pool> }).getNativeClient();
const pidOf = (client: pg.Client) => (client as unknown as { processID: number }).processID;

/** A main-lane claim (`JobRunner.claimNext`), not the probe nor anything else. */
const isClaim = (text: string) => text.includes('pg_try_advisory_xact_lock');

/**
 * freeze-17: what `JobRunner.stop()` does with a job already claimed whose transaction meets a
 * frozen server (its backend stopped, `kill -STOP`: hang-12c), with a real sale's processing (the
 * ledger's points); what a claim cut by the stop leaves; and start()/stop() in any order. Each
 * runner here has a pool of its own, and no local wake-ups.
 */
describe('stop() with a job in hand on a frozen server; start() and stop() in any order (freeze-17)', () => {
  let t: TestGateway;
  const errors: string[] = [];
  const log = pino({ level: 'error' }, { write: (line: string) => void errors.push(line) });
  /** Only the sale's processing: no outbound loop, so every `begin`/`commit` on a runner's pool is the job's. */
  const saleHandlers: Record<string, JobHandler> = { [PROCESS_TRANSACTION]: JOB_HANDLERS[PROCESS_TRANSACTION] };
  let money: string;
  let currency: string;
  let till: Awaited<ReturnType<typeof createPartner>>;

  beforeAll(async () => {
    JOB_HANDLERS['test.fs17-effect'] = {
      run: async ({ em }, payload: { tag: string }) => {
        await query(em, sql`insert into audit_entry (actor, action, target) values ('test', 'job.effect', ${payload.tag})`);
      },
    };
    JOB_HANDLERS['test.fs17-lease'] = {
      lane: 'outbound',
      mode: 'lease',
      run: async (jc, payload: { tag: string }) => {
        await jc.em.transactional(async (em) => {
          await jc.complete(em);
          await query(em, sql`insert into audit_entry (actor, action, target) values ('test', 'job.effect', ${payload.tag})`);
        });
      },
    };
    t = await startTestGateway({ DB_STATEMENT_TIMEOUT_MS: String(STATEMENT_MS) }, { jobs: 'manual' });
    ({ money, currency } = await earningProgram(t, 'FS17'));
    till = await createPartner(t, ['transactions:write', 'transactions:read']);
  });
  afterEach(() => {
    resumeAll();
    errors.length = 0;
    t.clock.reset();
  });
  afterAll(async () => {
    resumeAll();
    delete JOB_HANDLERS['test.fs17-effect'];
    delete JOB_HANDLERS['test.fs17-lease'];
    await t.close();
  });

  /** A runner on a pool of its own; `mine` collects that pool's connections (for `stopAt`). */
  async function startRunner(handlers: Record<string, JobHandler>, leaseMs: number, databaseUrl?: string) {
    const orm = await openOrm({ url: t.databaseUrl, poolMax: 4, timeouts: t.config.dbTimeouts });
    const pool = await poolOf(orm);
    const mine = new Set<unknown>((pool as unknown as { _clients: unknown[] })._clients);
    pool.on('connect', (client) => void mine.add(client));
    const worker = new JobRunner({ orm, clock: t.clock, config: t.config, log }, handlers, { leaseMs, pollMs: 50, concurrency: 1, localWakeUps: false });
    await worker.start(databaseUrl);
    return { orm, worker, mine };
  }
  const gone = (pid: number) =>
    eventually(async () => (await t.sql<{ n: number }>(`select count(*)::int as n from pg_stat_activity where pid = $1`, [pid]))[0].n === 0, 15_000);
  const saleJob = async (externalId: string) =>
    (
      await t.sql<{ status: string; attempts: number; locked_by: string | null }>(
        `select j.status, j.attempts, j.locked_by from job j join sales_transaction s on s.id = (j.payload->>'transactionId')::bigint
          where j.kind = $1 and s.external_id = $2`,
        [PROCESS_TRANSACTION, externalId],
      )
    )[0];
  const saleStatus = async (externalId: string) => (await t.sql<{ status: string }>(`select status from sales_transaction where external_id = $1`, [externalId]))[0].status;
  /** What the customer holds: the cached balance, the ledger's sum and its entries. */
  const holdings = async (externalId: string) =>
    (
      await t.sql<{ available: number; ledger: number; entries: number }>(
        `select a.available, (select coalesce(sum(e.amount), 0) from ledger_entry e where e.account_id = a.id)::int as ledger,
                (select count(*) from ledger_entry e where e.account_id = a.id)::int as entries
           from point_account a join customer c on c.id = a.customer_id where c.external_id = $1 and a.currency_code = $2`,
        [externalId, currency],
      )
    )[0] ?? { available: 0, ledger: 0, entries: 0 };
  const invariantsBroken = async () => [...(await ledgerViolations(t)), ...(await t.sql(INVARIANTS))];
  /**
   * A second runner, started with `handlers`; `meanwhile` (if any) runs once its loops' first
   * claims are done, then the test's clock is moved past the first runner's lease (`leaseMs`), and
   * it resolves once `done` holds, with the second runner's worker id.
   */
  async function takenOver(handlers: Record<string, JobHandler>, leaseMs: number, done: () => Promise<boolean>, meanwhile?: () => Promise<void>): Promise<string> {
    const second = await startRunner(handlers, 30_000);
    try {
      await allAsleep(second.worker);
      await meanwhile?.();
      t.clock.advance(leaseMs + 1_000);
      await within10s(eventually(done), 'the job taken over by another runner');
      return second.worker.workerId;
    } finally {
      await second.worker.stop();
      await second.orm.close();
    }
  }
  const processed = (externalId: string) => async () => (await saleStatus(externalId)) === 'PROCESSED';

  // The job's statement each case stops the backend before (on the runner's own pool only).
  const phases: [string, (text: string) => boolean][] = [
    ['transaction’s begin', (text) => text === 'begin'],
    ['completion (its first statement)', (text) => text.startsWith(`update job set status = 'DONE'`)],
    ['commit', (text) => text === 'commit'],
  ];

  it.each(phases)(
    'a claimed sale whose %s meets a stopped backend: stop() returns, the pool closes, nothing logged; the sale’s points are awarded once, by another runner after the lease or by the commit itself',
    async (_phase, matches) => {
      const customer = await createCustomer(t, currency);
      const externalId = await submitSale(t, till, customer.externalId, money, 12);
      let pid = 0;
      let mine = new Set<unknown>();
      const frozen = stopAt((text, client) => {
        if (!mine.has(client) || !matches(text)) return false;
        pid = pidOf(client);
        return true;
      });
      // the runner's loop claims the sale's job at once
      const first = await startRunner(saleHandlers, LEASE_MS);
      mine = first.mine;
      let closed = false;
      try {
        await within10s(frozen.pid, 'the job’s statement on a stopped backend');
        // before: stop() waited for the statement's bound (a begin: 62 s here; the completion,
        // which lifts the request bounds, and everything after it in the job's transaction: none)
        await within10s(first.worker.stop(), 'stop()');
        await within10s(first.orm.close(), 'closing the runner’s pool');
        closed = true;
        expect(isStopped(pid)).toBe(true);
        expect(errors).toEqual([]);
        resume(pid);
        await gone(pid);
        const left = await saleJob(externalId);
        if (left.status === 'DONE') {
          // the commit was in the stopped backend's socket: it ran whole once the backend went on
          expect(_phase).toBe('commit');
        } else {
          // rolled back with the session: the claim stands, under the stopped runner's lease
          expect(left).toEqual({ status: 'RUNNING', attempts: 1, locked_by: first.worker.workerId });
          expect(await saleStatus(externalId)).not.toBe('PROCESSED');
          expect(await holdings(customer.externalId)).toMatchObject({ entries: 0 });
          await takenOver(saleHandlers, LEASE_MS, processed(externalId));
          expect((await saleJob(externalId)).attempts).toBe(2);
        }
        expect(await saleStatus(externalId)).toBe('PROCESSED');
        expect(await holdings(customer.externalId)).toEqual({ available: 120, ledger: 120, entries: 1 });
        expect(await invariantsBroken()).toEqual([]);
        expect(errors).toEqual([]);
      } finally {
        frozen.remove();
        resumeAll();
        await first.worker.stop();
        if (!closed) await first.orm.close();
      }
    },
  );

  it('a `lease` job (as a webhook delivery) whose completing transaction meets a stopped backend: stop() returns, the pool closes; the job is left under its lease with no effect, then done once by another runner', async () => {
    const effects = async (tag: string) =>
      Number((await t.sql<{ n: string }>(`select count(*) as n from audit_entry where action = 'job.effect' and target = $1`, [tag]))[0].n);
    const id = (await t.orm.em.fork().transactional((em) => enqueueJob(em, 'test.fs17-lease', { tag: 'lease-cut' }, { runAt: t.clock.now(), wake: 'by-caller' })))!;
    const leaseHandlers = { 'test.fs17-lease': JOB_HANDLERS['test.fs17-lease'] };
    let mine = new Set<unknown>();
    const frozen = stopAt((text, client) => mine.has(client) && text.startsWith(`update job set status = 'DONE'`));
    const first = await startRunner(leaseHandlers, LEASE_MS);
    mine = first.mine;
    const row = async () => (await t.sql<{ status: string; attempts: number; locked_by: string | null }>(`select status, attempts, locked_by from job where id = $1`, [id]))[0];
    try {
      const pid = await within10s(frozen.pid, 'the completion on a stopped backend');
      // before: its transaction went through the request pool, which the runner cannot close, and
      // the completion lifts the request bounds: no bound at all
      await within10s(first.worker.stop(), 'stop()');
      await within10s(first.orm.close(), 'closing the runner’s pool');
      expect(errors).toEqual([]);
      resume(pid);
      await gone(pid);
      expect(await row()).toEqual({ status: 'RUNNING', attempts: 1, locked_by: first.worker.workerId });
      expect(await effects('lease-cut')).toBe(0);
      // an outbound job's lease: RunnerOptions.outboundLeaseMs (120 s by default)
      const second = await takenOver(leaseHandlers, 120_000, async () => (await row()).status === 'DONE');
      expect(await row()).toEqual({ status: 'DONE', attempts: 2, locked_by: second });
      expect(await effects('lease-cut')).toBe(1);
      expect(errors).toEqual([]);
    } finally {
      frozen.remove();
      resumeAll();
      await first.worker.stop();
    }
  });

  it('a main-lane claim cut by stop() and run once its backend goes on leaves the sale under the stopped runner’s lease: a live runner passes it over until the lease ends, then processes it once', async () => {
    const customer = await createCustomer(t, currency);
    const externalId = await submitSale(t, till, customer.externalId, money, 12);
    let mine = new Set<unknown>();
    const frozen = stopAt((text, client) => mine.has(client) && isClaim(text));
    const first = await startRunner(saleHandlers, LEASE_MS);
    mine = first.mine;
    try {
      const pid = await within10s(frozen.pid, 'a claim on a stopped backend');
      await within10s(first.worker.stop(), 'stop()');
      await within10s(first.orm.close(), 'closing the runner’s pool');
      resume(pid);
      // the claim was in its socket: it runs (well within CLOCK_SKEW_MAX_MS of its sending) and commits
      await within10s(
        eventually(async () => (await saleJob(externalId)).status === 'RUNNING'),
        'the cut claim run',
      );
      expect(await saleJob(externalId)).toEqual({ status: 'RUNNING', attempts: 1, locked_by: first.worker.workerId });
      await gone(pid);
      // a live runner's claims (each loop's first, at its start) pass the leased job over; once the
      // lease ends, its poll finds it
      const second = await takenOver(saleHandlers, LEASE_MS, processed(externalId), async () => {
        expect(await saleJob(externalId)).toEqual({ status: 'RUNNING', attempts: 1, locked_by: first.worker.workerId });
        expect(await holdings(customer.externalId)).toMatchObject({ entries: 0 });
      });
      expect(await saleJob(externalId)).toEqual({ status: 'DONE', attempts: 2, locked_by: second });
      expect(await holdings(customer.externalId)).toEqual({ available: 120, ledger: 120, entries: 1 });
      expect(await invariantsBroken()).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      frozen.remove();
      resumeAll();
      await first.worker.stop();
    }
  });

  it('start() and stop() in any order, awaited or not, end as the last call asked: a stop() followed at once by a start() returns and the runner works (one LISTEN connection); stops and starts interleaved end stopped, nothing left open, no job run', async () => {
    const listeners = async () =>
      (await t.sql<{ n: number }>(`select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name = $1`, [LISTENER_APPLICATION]))[0].n;
    const effects = async (tag: string) =>
      Number((await t.sql<{ n: string }>(`select count(*) as n from audit_entry where action = 'job.effect' and target = $1`, [tag]))[0].n);
    const enqueueDue = async (tag: string) => {
      const id = await t.orm.em.fork().transactional((em) => enqueueJob(em, 'test.fs17-effect', { tag }, { runAt: t.clock.now(), wake: 'by-caller' }));
      await t.sql(`select pg_notify($1, 'test.fs17-effect')`, [JOBS_CHANNEL]);
      return id!;
    };
    const { orm, worker } = await startRunner(JOB_HANDLERS, 30_000, t.databaseUrl);
    try {
      await allAsleep(worker);
      // before: the new start's loops kept the old stop waiting (the old loops went on too), for good
      const stopping = worker.stop();
      const starting = worker.start(t.databaseUrl);
      await within10s(Promise.all([stopping, starting]), 'stop() then start()');
      await enqueueDue('restarted');
      await within10s(
        eventually(async () => (await effects('restarted')) === 1),
        'a job run after the restart',
      );
      await eventually(async () => (await listeners()) === 1);
      // interleaved, the last a stop
      const calls = [worker.stop(), worker.start(t.databaseUrl), worker.stop(), worker.start(t.databaseUrl), worker.stop()];
      await within10s(Promise.all(calls), 'the interleaved calls');
      await eventually(async () => (await listeners()) === 0);
      const id = await enqueueDue('after-stop');
      // a negative check: polls every 50 ms would have run it by now
      await sleep(1_000);
      expect(await effects('after-stop')).toBe(0);
      expect((await t.sql<{ status: string }>(`select status from job where id = $1`, [id]))[0].status).toBe('PENDING');
      expect(await listeners()).toBe(0);
      await within10s(orm.close(), 'closing the runner’s pool');
      expect(errors).toEqual([]);
      await t.sql(`delete from job where id = $1`, [id]);
    } finally {
      await worker.stop();
    }
  });
});
