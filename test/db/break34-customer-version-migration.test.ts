import { Migration20261205013000 } from '../../migrations/Migration20261205013000.js';
import { runMigration } from '../support/migrations.js';
import { dataOf, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { unique } from '../support/program.js';

const UPSERT = `mutation UpsertCustomerMig($input: UpsertCustomerInput!) {
  upsertCustomer(input: $input) { customer { version name } userErrors { code } }
}`;
type Payload = { upsertCustomer: { customer: { version: number; name: string | null } | null; userErrors: { code: string }[] } };

/**
 * break34 (customers): Migration20261205013000 on a database that already has customers: a
 * customer starts at 1 plus the updates the audit log holds, so a version read before a down and
 * an up of the migration is not handed out again; a customer with no audit entries starts at 1.
 */
describe('Migration20261205013000 on a database with customers', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
  });
  afterAll(() => t.close());

  const run = (direction: 'up' | 'down') => runMigration(t, Migration20261205013000, direction);
  const upsert = async (input: Record<string, unknown>) => dataOf(await t.gql<Payload, { input: Record<string, unknown> }>(UPSERT, { input }, t.operatorToken)).upsertCustomer;

  it('numbers stored customers by their audited updates; writes count on from there; down and up again', async () => {
    const [edited, plain, raw] = [unique('mig-e'), unique('mig-p'), unique('mig-r')];
    for (const name of ['one', 'two', 'three']) ok(await t.gql(UPSERT, { input: { externalId: edited, name } }, t.operatorToken));
    ok(await t.gql(UPSERT, { input: { externalId: plain } }, t.operatorToken));
    // a change (an upsert that changes nothing keeps the version but is audited: break35 (customers))
    expect((await upsert({ externalId: edited, name: 'four' })).customer!.version).toBe(4);

    await run('down');
    expect(await t.sql(`select 1 from information_schema.columns where table_name = 'customer' and column_name = 'version'`)).toEqual([]);
    // a customer written as the gateway before the migration wrote one, with no audit entry
    await t.sql(`insert into customer (external_id, segments, attributes, created_at, updated_at) values ($1, '{}', '{}', now(), now())`, [raw]);
    await run('up');

    const versions = await t.sql<{ external_id: string; version: number }>(`select external_id, version from customer where external_id = any($1) order by external_id`, [[edited, plain, raw]]);
    expect(Object.fromEntries(versions.map((v) => [v.external_id, v.version]))).toEqual({ [edited]: 4, [plain]: 1, [raw]: 1 });
    // a form read at version 3 before the down is still stale; one read at 4 writes 5
    expect((await upsert({ externalId: edited, expectedVersion: 3, name: 'stale' })).userErrors.map((e) => e.code)).toEqual(['VERSION_CONFLICT']);
    expect(await upsert({ externalId: edited, expectedVersion: 4, name: 'current' })).toEqual({ customer: { version: 5, name: 'current' }, userErrors: [] });
    await expect(t.sql(`update customer set version = 0 where external_id = $1`, [raw])).rejects.toThrow(/customer_version_positive/);

    await run('down');
    await run('up');
    expect(await t.sql(`select version from customer where external_id = $1`, [edited])).toEqual([{ version: 5 }]);
  });
});
