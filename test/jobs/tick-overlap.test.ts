import pino from 'pino';
import { ClockGuard } from '../../src/clock-guard.js';
import { closeOrm, openOrm } from '../../src/db/orm.js';
import { Scheduler } from '../../src/jobs/scheduler.js';
import { WEBHOOK_DISPATCH } from '../../src/webhooks/webhook.jobs.js';
import { resumeAll, stopAt, within10s } from '../support/freeze.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

/** The one-statement tick of schedules without catch-up (`Scheduler.tickCurrentSlots`). */
const isTick = (text: string) => text.includes('inserted as (') && text.includes('insert into job (kind, payload, run_at, unique_key, max_attempts, created_at)');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A scheduler ticking on a frozen server (every tick's backend stopped, `kill -STOP`, as a frozen
 * host looks to the gateway): each tick waits for its statement bound, here a minute. Before, the
 * interval started a tick every period regardless, each taking a pooled connection or waiting for
 * one (the webhook dispatcher's every WEBHOOK_DISPATCH_MS: 17 stacked by the default bound), so the
 * pool that serves requests was soon all ticks. Now one tick at a time.
 */
describe('a scheduler on a frozen server', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ DB_STATEMENT_TIMEOUT_MS: '60000' }, { jobs: 'manual' });
  });
  afterEach(() => resumeAll());
  afterAll(async () => {
    resumeAll();
    await t.close();
  });

  it('starts no tick while one waits for its answer: one pooled connection held, none waited for, and requests still served', async () => {
    const orm = await openOrm({ url: t.databaseUrl, poolMax: 4, timeouts: t.config.dbTimeouts });
    const pool = await (orm.em.getConnection() as unknown as { getNativeClient(): Promise<import('pg').Pool> }).getNativeClient();
    const log = pino({ level: 'silent' });
    const scheduler = new Scheduler(orm, t.clock, [{ kind: WEBHOOK_DISPATCH, everyMs: 100 }], new ClockGuard(t.clock, t.config.clockSkewMaxMs, log));
    let ticksSent = 0;
    const frozen = stopAt((text) => isTick(text) && ++ticksSent > 0, { every: true });
    try {
      scheduler.start(50, () => undefined);
      await within10s(frozen.pid, 'the first tick');
      await sleep(1_000); // twenty periods
      // before: a tick every 50 ms, four holding the pool's four connections, the rest waiting for one
      expect(ticksSent).toBe(1);
      expect({ lent: pool.totalCount - pool.idleCount, waiting: pool.waitingCount }).toEqual({ lent: 1, waiting: 0 });
      // the pool's other connections still serve
      expect(await orm.em.fork().getConnection().execute('select 1 as one')).toEqual([{ one: 1 }]);
    } finally {
      frozen.remove();
      scheduler.stop();
      resumeAll();
      await closeOrm(orm);
    }
  });
});
