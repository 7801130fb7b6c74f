import type { MikroORM } from '@mikro-orm/postgresql';
import pino from 'pino';
import { openOrm } from '../../src/db/orm.js';
import { query, sql } from '../../src/db/sql.js';
import { enqueueJob } from '../../src/jobs/queue.js';
import { JOB_HANDLERS } from '../../src/jobs/registry.js';
import { JobRunner, LISTENER_APPLICATION } from '../../src/jobs/runner.js';
import { backendsOf, isStopped, resume, resumeAll, stop, stopAt, untilStopped, within10s } from '../support/freeze.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { eventually } from '../support/program.js';

/**
 * The server-side statement timeout, far beyond every wait of this file: the gateway's own bound on
 * an answer (this + DB_CLIENT_TIMEOUT_MARGIN_MS, 2 s) cannot be what ends a wait here.
 */
const STATEMENT_MS = 60_000;

/** The runner's poll statement (`JobRunner.probe`), not its claims. */
const isProbe = (text: string) => text.includes('lateral (select abs(db.at_ms');

/**
 * leftovers-16: the job runner's poll (idle-15: one probe per JOB_POLL_MS) when its probe meets a
 * backend that stopped answering (`kill -STOP`, as a frozen host or a flow a firewall dropped looks
 * to the gateway; hang-12c). Each runner here has an ORM (pool) of its own, no LISTEN connection and
 * no local wake-ups: only the poll moves its loops, and closing its pool shows what it still holds.
 */
describe('a job runner whose probe hangs on a stopped backend (leftovers-16)', () => {
  let t: TestGateway;
  const errors: string[] = [];
  const log = pino({ level: 'error' }, { write: (line: string) => void errors.push(line) });

  beforeAll(async () => {
    JOB_HANDLERS['test.fp-effect'] = {
      run: async ({ em }, payload: { tag: string }) => {
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
    delete JOB_HANDLERS['test.fp-effect'];
    await t.close();
  });

  const effects = async (tag: string) => Number((await t.sql<{ n: string }>(`select count(*) as n from audit_entry where action = 'job.effect' and target = $1`, [tag]))[0].n);
  /** A job due now, enqueued without any wake-up: only a poll can find it. */
  const enqueueDue = (tag: string) => t.orm.em.fork().transactional((em) => enqueueJob(em, 'test.fp-effect', { tag }, { runAt: t.clock.now(), wake: 'by-caller' }));
  /** A runner on a pool of its own, polling every 200 ms (with a LISTEN connection when `listen`). */
  async function startRunner(listen = false): Promise<{ orm: MikroORM; worker: JobRunner }> {
    const orm = await openOrm({ url: t.databaseUrl, poolMax: 4, timeouts: t.config.dbTimeouts });
    const worker = new JobRunner({ orm, clock: t.clock, config: t.config, log }, JOB_HANDLERS, { leaseMs: 30_000, pollMs: 200, concurrency: 2, localWakeUps: false });
    await worker.start(listen ? t.databaseUrl : undefined);
    return { orm, worker };
  }
  /** Waits until the backend `pid` has ended its session (a stopped backend whose socket was closed ends once it goes on). */
  const gone = (pid: number) => eventually(async () => (await t.sql<{ n: number }>(`select count(*)::int as n from pg_stat_activity where pid = $1`, [pid]))[0].n === 0, 15_000);

  it('the poll goes on beside the hung probe: a job due meanwhile runs while that backend is still stopped; once it goes on the loops still run jobs', async () => {
    const { orm, worker } = await startRunner();
    const frozen = stopAt(isProbe);
    try {
      const pid = await within10s(frozen.pid, 'a probe');
      await enqueueDue('due-while-stopped');
      // before: no probe was sent again until the hung one's bound (62 s here; 17 s by default)
      await within10s(eventually(async () => (await effects('due-while-stopped')) === 1), 'the due job run');
      expect(isStopped(pid)).toBe(true);
      resume(pid);
      await enqueueDue('due-after-resume');
      await within10s(eventually(async () => (await effects('due-after-resume')) === 1), 'the next due job run');
      expect(errors).toEqual([]);
    } finally {
      frozen.remove();
      resumeAll();
      await worker.stop();
      await orm.close();
    }
  });

  /**
   * Starts a runner (with its LISTEN connection when `listen`), stops its probe's backend (and its
   * LISTEN connection's too), then expects stop() to return and the runner's pool to close while
   * they are still stopped, with nothing logged; lets them go on and waits for their sessions to end.
   */
  async function stopWhileHung(listen: boolean): Promise<void> {
    const { orm, worker } = await startRunner(listen);
    const listener = listen ? (await backendsOf(t, LISTENER_APPLICATION))[0] : undefined;
    if (listen) expect(listener).toBeDefined();
    const frozen = stopAt(isProbe);
    let closed = false;
    try {
      const stopped = [await within10s(frozen.pid, 'a probe')];
      if (listener !== undefined) {
        stop(listener);
        await untilStopped(listener);
        stopped.push(listener);
      }
      // before: with the LISTEN connection stopped, pg's end() waited for the server to close it
      await within10s(worker.stop(), 'stop()');
      // before: the pool waited for the probe's connection until its bound (62 s here, 17 s by
      // default: past the gateway's 15 s shutdown, which then exits 1 "shutdown took too long")
      await within10s(orm.close(), 'closing the runner’s pool');
      closed = true;
      expect(stopped.map(isStopped)).toEqual(stopped.map(() => true));
      stopped.forEach(resume);
      for (const pid of stopped) await gone(pid);
      expect(errors).toEqual([]);
    } finally {
      frozen.remove();
      resumeAll();
      await worker.stop();
      if (!closed) await orm.close();
    }
  }

  it('stop() while the probe hangs: returns, and closes the probe’s connection (the pool closes while the backend is still stopped); nothing is logged', () => stopWhileHung(false));

  it('stop() while its probe and its LISTEN connection both hang (the whole runner’s server frozen): returns, and its pool closes', () => stopWhileHung(true));
});
