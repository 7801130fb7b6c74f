import pg from 'pg';
import { compiledGateway } from '../support/build.js';
import { createTestDatabase } from '../support/gateway.js';
import { spawnGateway, type SpawnedGateway } from '../support/processes.js';

/**
 * held37 (ops): a first deploy starts two instances at once on one empty database, both with
 * SEED_DEMO=true (a staging deployment with the demo program) and the jobs on. One migrates while
 * the other waits ("another gateway is migrating this database"), then both reach the seed: it is
 * taken under a transaction-level advisory lock, so one seeds and the other finds it there. Both are
 * ready, the demo is there once (three customers, one currency, one demo POS partner), each
 * migration is recorded once, and both stop with exit 0. Held on main (three runs by hand and
 * this test); test/db/database.test.ts (operator-17) has three openDatabase calls in one process,
 * never two whole gateway processes with the seed and the first-party manifests' registration.
 */
describe('held37 ops: two gateway processes start at once on one empty database with SEED_DEMO', () => {
  let build: string;
  let database: { url: string; drop(): Promise<void> };
  const gateways: SpawnedGateway[] = [];
  beforeAll(async () => {
    build = await compiledGateway();
    database = await createTestDatabase();
  }, 600_000);
  afterAll(async () => {
    for (const gateway of gateways) {
      if (gateway.child.exitCode === null && gateway.child.signalCode === null) {
        gateway.child.kill('SIGKILL');
        await gateway.exited;
      }
    }
    await database.drop();
  });

  it('both start, the demo is seeded once, every migration recorded once, both stop cleanly', async () => {
    for (let i = 0; i < 2; i++) gateways.push(spawnGateway(build, { DATABASE_URL: database.url, SEED_DEMO: 'true', JOBS_ENABLED: 'true' }));
    for (const gateway of gateways) await gateway.until(/"msg":"gateway ready"/, 180_000);
    const ready = gateways.map((g) => g.output().includes('"msg":"gateway ready"'));
    const seeded = gateways.map((g) => (g.output().includes('"msg":"demo program seeded"') ? 'seeded' : g.output().includes('"msg":"demo program already there: nothing seeded"') ? 'found' : 'neither')).sort();
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const counts = (
      await client.query<{ customers: number; currencies: number; partners: number; migrations: number; names: number }>(
        `select (select count(*)::int from customer) as customers, (select count(*)::int from point_currency) as currencies,
                (select count(*)::int from partner) as partners,
                (select count(*)::int from mikro_orm_migrations) as migrations, (select count(distinct name)::int from mikro_orm_migrations) as names`,
      )
    ).rows[0];
    await client.end();
    for (const gateway of gateways) gateway.child.kill('SIGTERM');
    const codes = await Promise.all(gateways.map((g) => g.exited));
    const errors = gateways.flatMap((g) => g.output().split('\n').filter((l) => /"level":[56]0|Start-up failed/.test(l)));
    expect({ ready, seeded, customers: counts.customers, currencies: counts.currencies, partners: counts.partners, oncePerMigration: counts.migrations === counts.names, codes, errors }).toEqual({
      ready: [true, true],
      seeded: ['found', 'seeded'],
      customers: 3,
      currencies: 1,
      partners: 1,
      oncePerMigration: true,
      codes: [0, 0],
      errors: [],
    });
  }, 300_000);
});
