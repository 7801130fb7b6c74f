import type { startTestGateway as StartTestGateway } from '../support/gateway.js';

/**
 * isolation-15: a worker keeps test/support/gateway.ts loaded for all the files it runs, so the
 * run's migrated template database, which it makes once and keeps, must not be kept when making it
 * failed: every later file of the worker then failed with the first one's error instead of trying
 * again (under jest's own runner each file loaded the module afresh and tried again).
 *
 * The module is loaded with a query of its own (a fresh instance, nothing kept yet, whatever files
 * ran before), and the failure is a run id PostgreSQL cannot take in a database name.
 */
describe('the test template database (test/support/gateway.ts)', () => {
  it('is made again by the next test gateway after making it failed', async () => {
    const { startTestGateway } = (await import(new URL('../support/gateway.ts?template-retry', import.meta.url).href)) as { startTestGateway: typeof StartTestGateway };
    const runId = process.env.TEST_RUN_ID;
    process.env.TEST_RUN_ID = 'not a name';
    try {
      await expect(startTestGateway({}, { jobs: 'manual' })).rejects.toThrow(/syntax error/);
    } finally {
      process.env.TEST_RUN_ID = runId;
    }
    const t = await startTestGateway({}, { jobs: 'manual' });
    try {
      expect((await t.sql<{ n: number }>(`select count(*)::int as n from customer`))[0].n).toBe(0);
    } finally {
      await t.close();
    }
  });
});
