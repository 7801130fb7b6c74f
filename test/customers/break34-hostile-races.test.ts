import { signToken } from '../../src/http/auth.js';
import { Migration20261205013000 } from '../../migrations/Migration20261205013000.js';
import { dataOf, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { runMigration } from '../support/migrations.js';
import { unique } from '../support/program.js';

const UPSERT = `mutation UpsertCustomerRaces($input: UpsertCustomerInput!) {
  upsertCustomer(input: $input) { customer { version } userErrors { code message } }
}`;
type Payload = { upsertCustomer: { customer: { version: number } | null; userErrors: { code: string; message: string }[] } };

/**
 * break34 hostile (held): checked writes from several versions, unchecked writes and status changes
 * (which take the status lock) sent at once, by two operators. What must hold: no version handed
 * out twice or skipped, the customer's version is 1 plus the writes that answered a customer, one
 * audit entry each, and every refusal names a current version other than the one it was made from.
 * Then the migration, down and up, on those customers: each gets back the version it had.
 */
describe('break34 hostile: mixed parallel upserts and the migration after them', () => {
  let t: TestGateway;
  let second: string;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    second = await signToken(t.config, { sub: 'staff-second-races', role: 'operator' });
  });
  afterAll(() => t.close());
  const send = async (input: Record<string, unknown>, token = t.operatorToken) => dataOf(await t.gql<Payload, { input: Record<string, unknown> }>(UPSERT, { input }, token)).upsertCustomer;

  it('successive versions, one audit entry a write, refusals naming another version; down and up keeps them', async () => {
    const customers: string[] = [];
    for (let round = 0; round < 6; round++) {
      const externalId = unique('races');
      customers.push(externalId);
      ok(await t.gql(UPSERT, { input: { externalId, segments: ['a'] } }, t.operatorToken));
      const inputs = Array.from({ length: 16 }, (_, i) => ({
        externalId,
        segments: ['a', `t${i}`],
        ...(i % 2 === 0 ? { expectedVersion: 1 + (i % 6) } : {}),
        ...(i % 4 === 1 ? { status: 'SUSPENDED' } : i % 4 === 3 ? { status: 'ACTIVE' } : {}),
      }));
      const payloads = await Promise.all(inputs.map((input, i) => send(input, i % 3 ? second : t.operatorToken)));
      for (const [i, p] of payloads.entries()) if (!('expectedVersion' in inputs[i])) expect(p.userErrors).toEqual([]);
      const versions = payloads.filter((p) => p.customer).map((p) => p.customer!.version).sort((a, b) => a - b);
      expect(versions).toEqual(Array.from({ length: versions.length }, (_, i) => i + 2));
      const [row] = await t.sql<{ version: number; updates: number }>(
        `select version, (select count(*)::int from audit_entry where action = 'updateCustomer' and target = 'Customer:' || c.id) as updates from customer c where external_id = $1`,
        [externalId],
      );
      expect(row).toEqual({ version: 1 + versions.length, updates: versions.length });
      for (const [i, p] of payloads.entries()) {
        if (p.customer) continue;
        const [, made, now] = /made from version (\d+): the customer is now version (\d+)/.exec(p.userErrors[0].message)!;
        expect(Number(made)).toBe(inputs[i].expectedVersion);
        expect(Number(now)).not.toBe(Number(made));
        expect(Number(now)).toBeLessThanOrEqual(row.version);
      }
    }
    const before = await t.sql<{ external_id: string; version: number }>(`select external_id, version from customer order by id`);
    for (const direction of ['down', 'up'] as const) await runMigration(t, Migration20261205013000, direction);
    expect(await t.sql(`select external_id, version from customer order by id`)).toEqual(before);
    expect(before.filter((c) => customers.includes(c.external_id)).every((c) => c.version > 1)).toBe(true);
  });
});
