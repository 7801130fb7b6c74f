import pg from 'pg';
import { JOBS_CHANNEL, wakeWorkers } from '../../src/jobs/queue.js';
import { resumeAll, stopAt } from '../support/freeze.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

/**
 * isolation-15: `wakeWorkers` sends one NOTIFY at a time per job kind and folds the calls made
 * meanwhile into the next. That was per kind for the whole process: while one database's NOTIFY
 * hung (its server frozen), a wake-up for the same kind on another database (another test gateway,
 * in this file or a later one of the worker) was folded into it and never sent.
 */
describe('wake-ups of job workers on two databases', () => {
  let frozen: TestGateway;
  let other: TestGateway;
  beforeAll(async () => {
    frozen = await startTestGateway({}, { jobs: 'manual' });
    other = await startTestGateway({}, { jobs: 'manual' });
  });
  afterEach(resumeAll);
  afterAll(async () => {
    resumeAll();
    await frozen?.close();
    await other?.close();
  });

  it("one database's NOTIFY held up does not hold up the other's", async () => {
    const listener = new pg.Client({ connectionString: other.databaseUrl });
    await listener.connect();
    const heard: string[] = [];
    listener.on('notification', (n) => heard.push(n.payload ?? ''));
    await listener.query(`listen ${JOBS_CHANNEL}`);
    const frozenDb = new URL(frozen.databaseUrl).pathname.slice(1);
    const stopped = stopAt((text, client) => text.includes('pg_notify') && (client as unknown as { database: string }).database === frozenDb);
    try {
      wakeWorkers(frozen.orm.em.fork(), 'test.effect');
      await stopped.pid;
      wakeWorkers(other.orm.em.fork(), 'test.effect');
      for (let waited = 0; !heard.length && waited < 3_000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(heard).toEqual(['test.effect']);
    } finally {
      stopped.remove();
      resumeAll();
      await listener.end();
    }
  });
});
