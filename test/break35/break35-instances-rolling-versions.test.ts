import { dataOf, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { postTo, stageRollingUpgrade, type OldGateway } from '../support/old-gateway.js';
import { unique } from '../support/program.js';

/**
 * break35-instances (rolling upgrade): README "Running several instances" promises "Older instances
 * go on serving while a newer one migrates (a rolling upgrade ...)". Migration20261205013000
 * (commit cac1228) adds `customer.version` (default 1) and upsertCustomer's `expectedVersion`:
 * "When the customer is at another version, nothing is written and the answer is VERSION_CONFLICT
 * ... so a write from a stale read (segments or attributes read, changed and sent back) cannot put
 * back what another write changed." The build before it (cac1228^) updates customers without
 * touching `version`.
 *
 * What staff see during the upgrade: a CRM reads a customer (version 1, segments [GOLD_CLUB]); an
 * operator whose requests land on an instance still on the previous build adds VIP; the CRM sends
 * its edit made from the stale read with expectedVersion 1 to an upgraded instance. Expected:
 * VERSION_CONFLICT (the customer changed after the read). Actual: the write is taken and VIP is
 * silently lost — the version check cannot see writes by the older instances, for the whole
 * length of the rolling upgrade.
 *
 * Fixed (Migration20261205051000): a trigger adds one to the version when a statement changes one
 * of the customer's values and leaves the version as it was, so the old build's edits count.
 */
const OLD = 'cac1228^';
const UPSERT = `mutation($input: UpsertCustomerInput!) { upsertCustomer(input: $input) { customer { externalId segments version } userErrors { code field message } } }`;
const UPSERT_OLD = `mutation($input: UpsertCustomerInput!) { upsertCustomer(input: $input) { customer { externalId segments } userErrors { code field message } } }`;

describe('rolling upgrade across Migration20261205013000: a customer edit on the instance still on the old build (break35-instances)', () => {
  let t: TestGateway;
  let old: OldGateway | undefined;

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    // The database as the previous release left it (its newer migrations undone), the old instance
    // serving on it; then the new release's first instance migrates.
    const staged = await stageRollingUpgrade(t, OLD, 'Migration20261204221803', async () => {
      const [{ n }] = await t.sql<{ n: number }>(`select count(*)::int as n from information_schema.columns where table_name = 'customer' and column_name = 'version'`);
      expect(n).toBe(0);
    });
    old = staged.old;
    expect(staged.applied).toEqual(staged.expected);
  }, 120_000);
  afterAll(async () => {
    await old?.terminate();
    await t?.close();
  });

  it('a write from a read made before an edit on the old instance is refused VERSION_CONFLICT', async () => {
    const externalId = unique('crm');
    const created = ok(await t.gql(UPSERT, { input: { externalId, segments: ['GOLD_CLUB'] } }, t.operatorToken)) as { upsertCustomer: { customer: { version: number } } };
    const read = created.upsertCustomer.customer.version; // what the CRM read
    expect(read).toBe(1);

    // an operator's edit, answered by an instance still on the old build
    const onOld = await postTo(old!.url, { query: UPSERT_OLD, variables: { input: { externalId, segments: ['GOLD_CLUB', 'VIP'] } } }, { authorization: `Bearer ${t.operatorToken}` });
    expect(onOld.body.errors ?? []).toEqual([]);
    expect(onOld.body.data.upsertCustomer.customer.segments).toEqual(['GOLD_CLUB', 'VIP']);

    // the old build's edit counts once, as an upgraded instance's would (Migration20261205051000's trigger)
    const versionOf = async () => (await t.sql<{ version: number }>(`select version from customer where external_id = $1`, [externalId]))[0].version;
    expect(await versionOf()).toBe(2);

    // the CRM's write made from its read, on an upgraded instance
    const stale = dataOf(await t.gql(UPSERT, { input: { externalId, segments: ['GOLD_CLUB', 'NEWSLETTER'], expectedVersion: read } }, t.operatorToken)) as {
      upsertCustomer: { customer: { segments: string[] } | null; userErrors: { code: string }[] };
    };
    const [{ segments }] = await t.sql<{ segments: string[] }>(`select segments from customer where external_id = $1`, [externalId]);
    expect({ userErrors: stale.upsertCustomer.userErrors.map((e) => e.code), segments }).toEqual({ userErrors: ['VERSION_CONFLICT'], segments: ['GOLD_CLUB', 'VIP'] });
  });

  it("counts each writer's change once: the new build's edit is not bumped again, the old build's unchanged resend and a tier write keep the version", async () => {
    const externalId = unique('crm');
    ok(await t.gql(UPSERT, { input: { externalId, segments: ['A'] } }, t.operatorToken));
    const versionOf = async () => (await t.sql<{ version: number }>(`select version from customer where external_id = $1`, [externalId]))[0].version;
    const edited = ok(await t.gql(UPSERT, { input: { externalId, segments: ['A', 'B'], expectedVersion: 1 } }, t.operatorToken)) as { upsertCustomer: { customer: { version: number } } };
    expect([edited.upsertCustomer.customer.version, await versionOf()]).toEqual([2, 2]);
    // the old build re-sending what is stored: no value changes
    const same = await postTo(old!.url, { query: UPSERT_OLD, variables: { input: { externalId, segments: ['A', 'B'] } } }, { authorization: `Bearer ${t.operatorToken}` });
    expect(same.body.errors ?? []).toEqual([]);
    expect(await versionOf()).toBe(2);
    // a tier placement's statement (recomputeTier's columns)
    await t.sql(`update customer set tier_id = null, tier_placed_at = now(), updated_at = now() where external_id = $1`, [externalId]);
    expect(await versionOf()).toBe(2);
    // a writer that leaves updated_at as it was gets the transaction's time
    const [before] = await t.sql<{ updated_at: Date }>(`select updated_at from customer where external_id = $1`, [externalId]);
    await t.sql(`update customer set name = 'Someone' where external_id = $1`, [externalId]);
    const [after] = await t.sql<{ version: number; updated_at: Date }>(`select version, updated_at from customer where external_id = $1`, [externalId]);
    expect(after.version).toBe(3);
    expect(after.updated_at.getTime()).toBeGreaterThan(before.updated_at.getTime());
  });
});
