import { dataOf, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { adjust, createCurrency, createTier, unique, uniqueCode } from '../support/program.js';

const UPSERT = `mutation($input: UpsertCustomerInput!) { upsertCustomer(input: $input) { customer { externalId segments version status } userErrors { code } } }`;
type Answer = { upsertCustomer: { customer: { version: number; segments: string[]; status: string } | null; userErrors: { code: string }[] } };

/**
 * break35b-instances probe (held): customer_version_bump with this build's writers only: real
 * parallel upserts, a close, an unchanged sync, a tier placement, updated_at by the gateway's clock.
 */
describe('customer_version_bump under this build (break35b-instances)', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
  }, 60_000);
  afterAll(async () => t?.close());

  it('counts each change once', async () => {
    const currency = uniqueCode('VT');
    await createCurrency(t, currency);
    await createTier(t, { currency, code: 'GOLD', rank: 1, threshold: 10 });
    const externalId = unique('vt');
    const version = async () => (await t.sql<{ version: number; updated_at: Date }>(`select version, updated_at from customer where external_id = $1`, [externalId]))[0];
    ok(await t.gql(UPSERT, { input: { externalId, name: 'A' } }, t.operatorToken));
    expect((await version()).version).toBe(1);
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) => t.gql(UPSERT, { input: { externalId, segments: [`S${i}`], expectedVersion: 1 } }, t.operatorToken)),
    );
    const codes = answers.map((a) => (dataOf(a) as Answer).upsertCustomer.userErrors.map((e) => e.code).join() || 'ok');
    expect(codes.filter((c) => c === 'ok')).toHaveLength(1);
    expect(codes.filter((c) => c === 'VERSION_CONFLICT')).toHaveLength(11);
    expect((await version()).version).toBe(2);
    
    const closed = dataOf(await t.gql(UPSERT, { input: { externalId, status: 'CLOSED', expectedVersion: 2 } }, t.operatorToken)) as Answer;
    expect(closed.upsertCustomer.customer?.version).toBe(3);
    const v3 = await version();
    expect(v3.version).toBe(3);
    ok(await t.gql(UPSERT, { input: { externalId, status: 'ACTIVE' } }, t.operatorToken));
    expect((await version()).version).toBe(4);
    const before = await version();
    await adjust(t, externalId, currency, 50); // tier placement
    const [{ tier }] = await t.sql<{ tier: string | null }>(`select tier_id::text as tier from customer where external_id = $1`, [externalId]);
    expect(tier).not.toBeNull();
    expect((await version()).version).toBe(before.version);
    ok(await t.gql(UPSERT, { input: { externalId, status: 'ACTIVE' } }, t.operatorToken)); // unchanged
    expect((await version()).version).toBe(4);
    await Promise.all(Array.from({ length: 10 }, (_, i) => t.gql(UPSERT, { input: { externalId, name: `N${i}` } }, t.operatorToken)));
    expect((await version()).version).toBe(14);
  }, 60_000);
});
