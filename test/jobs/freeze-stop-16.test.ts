import type { MikroORM } from '@mikro-orm/postgresql';
import pino from 'pino';
import { openOrm } from '../../src/db/orm.js';
import { query, sql } from '../../src/db/sql.js';
import { enqueueJob } from '../../src/jobs/queue.js';
import { JOB_HANDLERS } from '../../src/jobs/registry.js';
import { JobRunner } from '../../src/jobs/runner.js';
import { isStopped, resume, resumeAll, stopAt, within10s } from '../support/freeze.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { eventually } from '../support/program.js';

/**
 * The server-side statement timeout, far beyond every wait of this file: the gateway's own bound on
 * an answer (this + DB_CLIENT_TIMEOUT_MARGIN_MS) cannot be what ends a wait here.
 */
const STATEMENT_MS = 60_000;

/** A loop's claim (`JobRunner.claimNext`, either lane), not the probe nor anything else. */
const isClaim = (text: string) => text.includes('pg_try_advisory_xact_lock');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * freeze-stop-16: `JobRunner.stop()` while a loop's claim is in flight on a backend that stopped
 * answering (`kill -STOP`: a frozen server or host, hang-12c). break-16 left it: the stop waited for
 * the claim's bound (DB_STATEMENT_TIMEOUT_MS + DB_CLIENT_TIMEOUT_MARGIN_MS, 17 s by default), past
 * main.ts's 15 s shutdown limit. Each runner has a pool of its own, no LISTEN connection and no local
 * wake-ups.
 */
describe('stop() while a claim hangs on a stopped backend (freeze-stop-16)', () => {
  let t: TestGateway;
  const errors: string[] = [];
  const log = pino({ level: 'error' }, { write: (line: string) => void errors.push(line) });
  let gate: Promise<void> = Promise.resolve();
  let started!: () => void;

  beforeAll(async () => {
    JOB_HANDLERS['test.fs16-effect'] = {
      run: async ({ em }, payload: { tag: string; wait?: boolean }) => {
        if (payload.wait) {
          started();
          await gate;
        }
        await query(em, sql`insert into audit_entry (actor, action, target) values ('test', 'job.effect', ${payload.tag})`);
      },
    };
    t = await startTestGateway({ DB_STATEMENT_TIMEOUT_MS: String(STATEMENT_MS) }, { jobs: 'manual' });
  });
  afterEach(() => {
    resumeAll();
    errors.length = 0;
  });
  afterAll(async () => {
    resumeAll();
    delete JOB_HANDLERS['test.fs16-effect'];
    await t.close();
  });

  const effects = async (tag: string) =>
    Number((await t.sql<{ n: string }>(`select count(*) as n from audit_entry where action = 'job.effect' and target = $1`, [tag]))[0].n);
  const enqueueDue = (tag: string, wait = false) =>
    t.orm.em.fork().transactional((em) => enqueueJob(em, 'test.fs16-effect', { tag, wait }, { runAt: t.clock.now(), wake: 'by-caller' }));
  const jobRow = async (id: number) =>
    (await t.sql<{ status: string; attempts: number; locked_by: string | null }>(`select status, attempts, locked_by from job where id = $1`, [id]))[0];
  /** A runner on a pool of its own; its loops claim as soon as it starts. */
  async function startRunner(leaseMs: number): Promise<{ orm: MikroORM; worker: JobRunner }> {
    const orm = await openOrm({ url: t.databaseUrl, poolMax: 4, timeouts: t.config.dbTimeouts });
    const worker = new JobRunner({ orm, clock: t.clock, config: t.config, log }, JOB_HANDLERS, { leaseMs, pollMs: 200, concurrency: 1, outboundConcurrency: 1, localWakeUps: false });
    await worker.start();
    return { orm, worker };
  }
  const gone = (pid: number) =>
    eventually(async () => (await t.sql<{ n: number }>(`select count(*)::int as n from pg_stat_activity where pid = $1`, [pid]))[0].n === 0, 15_000);

  it('returns while both loops’ claims (main: one statement; outbound: in a transaction) hang, its pool closes, nothing is logged; the job is then claimed by another runner and run once, its attempts counted', async () => {
    const id = (await enqueueDue('claim-cut'))!;
    const pids: number[] = [];
    const frozen = stopAt(
      (text, client) => {
        if (!isClaim(text)) return false;
        pids.push((client as unknown as { processID: number }).processID);
        return true;
      },
      { every: true },
    );
    // the first runner's lease is short: if its cut claim runs once the server goes on, the job is
    // claimable again 2 s later
    const first = await startRunner(2_000);
    let closed = false;
    try {
      // the main loop's and the outbound loop's first claims, each on its own stopped backend
      await within10s(
        eventually(async () => pids.length === 2 && pids.every(isStopped)),
        'two claims on stopped backends',
      ).catch((error: Error) => {
        throw new Error(`${error.message} (${pids.length} seen, stopped: ${pids.map(isStopped)}; ${errors.join(' ')})`);
      });
      frozen.remove();
      // before: stop() waited for the claims' bound (62 s here, 17 s by default)
      await within10s(first.worker.stop(), 'stop()');
      await within10s(first.orm.close(), 'closing the runner’s pool');
      closed = true;
      expect(pids.map(isStopped)).toEqual([true, true]);
      expect(errors).toEqual([]);
      pids.forEach(resume);
      for (const pid of pids) await gone(pid);
      // what the cut claims left: untouched (PENDING, no attempt), or, the main lane's single
      // statement run once the backend went on, claimed under the stopped runner's short lease
      const left = await jobRow(id);
      expect([
        { status: 'PENDING', attempts: 0, locked_by: null },
        { status: 'RUNNING', attempts: 1, locked_by: first.worker.workerId },
      ]).toContainEqual(left);
      const second = await startRunner(30_000);
      try {
        await within10s(
          eventually(async () => (await jobRow(id)).status === 'DONE'),
          'the job run by another runner',
        );
      } finally {
        await second.worker.stop();
        await second.orm.close();
      }
      expect(await effects('claim-cut')).toBe(1);
      expect((await jobRow(id)).attempts).toBe(left.attempts + 1);
      expect(errors).toEqual([]);
    } finally {
      frozen.remove();
      resumeAll();
      await first.worker.stop();
      if (!closed) await first.orm.close();
    }
  });

  it('a job in hand is still finished: stop() waits for a handler that runs past the claims’ patience, and its job is done once', async () => {
    let open!: () => void;
    gate = new Promise<void>((resolve) => (open = resolve));
    const running = new Promise<void>((resolve) => (started = resolve));
    const id = (await enqueueDue('in-hand', true))!;
    const { orm, worker } = await startRunner(30_000);
    try {
      await within10s(running, 'the handler started');
      let stopped = false;
      const stopping = worker.stop().then(() => (stopped = true));
      // past CLAIM_STOP_PATIENCE_MS (1 s): what the stop cuts is a claim, never a job in hand
      await sleep(1_500);
      expect(stopped).toBe(false);
      open();
      await within10s(stopping, 'stop()');
      expect(await jobRow(id)).toMatchObject({ status: 'DONE', attempts: 1 });
      expect(await effects('in-hand')).toBe(1);
      expect(errors).toEqual([]);
    } finally {
      open();
      gate = Promise.resolve();
      await worker.stop();
      await orm.close();
    }
  });
});
