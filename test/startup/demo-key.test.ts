import { readFileSync } from 'node:fs';
import { demoPartnerKey, seedDemo } from '../../src/demo/seed.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

const manifest = JSON.parse(readFileSync(new URL('../../schema/partner-manifest.json', import.meta.url), 'utf8')) as { operations: { id: string; name: string }[] };
const customerById = manifest.operations.find((op) => op.name === 'CustomerByExternalId')!.id;

/**
 * The demo POS key `npm start` prints is derived from JWT_SECRET, and the README has a new user set
 * JWT_SECRET in .env after a first start. Found by newcomer-16: on the seeded DATA_DIR the next
 * start printed a key derived from the new secret, which the gateway refused (the database kept the
 * first secret's key), while the key derived from the development secret, in the source, still worked.
 */
describe('the demo POS key follows JWT_SECRET across starts', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(() => t?.close());

  /** CustomerByExternalId by id with `key`, as the README's partner example sends it: the HTTP status and the answer. */
  async function asPos(key: string) {
    const res = await t.fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key },
      body: JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: customerById } }, variables: { externalId: 'cust-alice' } }),
    });
    return { status: res.status, body: (await res.json()) as { data?: { customer: { externalId: string } | null }; errors?: { message: string; extensions: { code: string } }[] } };
  }
  const refused = { status: 401, body: { errors: [{ message: 'Unknown or revoked API key.', extensions: { code: 'UNAUTHENTICATED' } }] } };
  const served = { status: 200, body: { data: { customer: { externalId: 'cust-alice' } } } };
  const withSecret = (letter: string) => ({ ...t.config, jwtSecret: letter.repeat(40) });

  it('a start under another JWT_SECRET prints a key that works, and the old key stops working', async () => {
    const first = withSecret('a');
    const second = withSecret('b');
    expect(await seedDemo(t.orm, first, t.clock)).toBe(true);
    expect(await asPos(demoPartnerKey(first))).toMatchObject(served);

    expect(await seedDemo(t.orm, second, t.clock)).toBe(false);
    expect(await asPos(demoPartnerKey(second))).toMatchObject(served);
    expect(await asPos(demoPartnerKey(first))).toEqual(refused);
    // one partner still, its prefix the new key's, and one audit entry for the change
    expect(await t.sql(`select name, key_prefix from partner`)).toEqual([{ name: 'Demo POS', key_prefix: demoPartnerKey(second).slice(0, 9) }]);
    expect(await t.sql(`select actor, action from audit_entry where action = 'rekeyDemoPartner'`)).toEqual([{ actor: 'staff:seed', action: 'rekeyDemoPartner' }]);

    // the same secret again changes nothing
    expect(await seedDemo(t.orm, second, t.clock)).toBe(false);
    expect(await asPos(demoPartnerKey(second))).toMatchObject(served);
    expect(await t.sql(`select count(*)::int as n from audit_entry where action = 'rekeyDemoPartner'`)).toEqual([{ n: 1 }]);
  });

  it('a demo partner an operator revoked stays revoked under a new secret', async () => {
    const current = withSecret('b');
    const partnerId = await t.partnerIdOf(demoPartnerKey(current));
    const res = await t.fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.operatorToken}` },
      body: JSON.stringify({ query: 'mutation ($id: ID!) { revokePartner(input: { partnerId: $id, reason: "test" }) { userErrors { code } } }', variables: { id: partnerId } }),
    });
    expect(await res.json()).toEqual({ data: { revokePartner: { userErrors: [] } } });

    const next = withSecret('c');
    expect(await seedDemo(t.orm, next, t.clock)).toBe(false);
    expect(await asPos(demoPartnerKey(next))).toEqual(refused);
    expect(await asPos(demoPartnerKey(current))).toEqual(refused);
  });
});
