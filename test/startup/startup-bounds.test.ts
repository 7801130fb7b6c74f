import { seedDemo } from '../../src/demo/seed.js';
import { gatewaySchema } from '../../src/graphql/schema.js';
import { registerFirstPartyManifests } from '../../src/persisted/first-party.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { holdLocks } from '../support/locks.js';

/**
 * Start-up work is not a request (docs/decisions.md, "start-up-bounds"): the demo seed and the
 * registration of the web apps' operations ran under the request pool's DB_STATEMENT_TIMEOUT_MS,
 * so an instance that started while another was seeding or registering (two instances of a deploy
 * at once), or a seed on a loaded machine, failed its start with "canceling statement due to
 * statement timeout" (seen as a CI failure of the browser tests' set-up at 500 ms).
 */
describe('start-up work waits for another instance past DB_STATEMENT_TIMEOUT_MS', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ DB_STATEMENT_TIMEOUT_MS: '200' });
  });
  afterAll(() => t.close());

  it('the demo seed waits for another instance seeding, and then seeds once', async () => {
    // Another instance's seed transaction, holding the seed's lock for three times the bound.
    const other = await holdLocks(t, `select pg_advisory_xact_lock(hashtext('reward-gateway-demo-seed'))`, []);
    try {
      const seeding = seedDemo(t.orm, t.config, t.clock);
      await other.waiters(1);
      await new Promise((r) => setTimeout(r, 600));
      await other.release();
      expect(await seeding).toBe(true);
      expect(await seedDemo(t.orm, t.config, t.clock)).toBe(false);
      expect(await t.sql(`select code from point_currency`)).toEqual([{ code: 'BEANS' }]);
    } finally {
      await other.release();
    }
  });

  it("the web apps' operations are registered once another instance's registration lets go of its rows", async () => {
    // Another instance registering the same documents: its inserts' rows stay locked until it commits.
    const other = await holdLocks(t, `lock table persisted_document in exclusive mode`, []);
    try {
      const registering = registerFirstPartyManifests(t.orm.em.fork(), await gatewaySchema(), t.config, t.clock.now());
      await other.waiters(1);
      await new Promise((r) => setTimeout(r, 600));
      await other.release();
      const added = await registering;
      expect(Object.keys(added).sort()).toEqual(['console', 'web']);
      expect(added.web).toBeGreaterThan(0);
      const [{ n }] = await t.sql<{ n: number }>(`select count(*)::int as n from persisted_operation where client in ('web', 'console')`);
      expect(n).toBe(added.web + added.console);
    } finally {
      await other.release();
    }
  });
});
