import { signToken } from '../../src/http/auth.js';
import { dataOf, expectRefusedAtTheEdge, expectRefusedWith, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { unique } from '../support/program.js';

const UPSERT = `mutation UpsertCustomerVersioned($input: UpsertCustomerInput!) {
  upsertCustomer(input: $input) { customer { externalId version status segments attributes name } userErrors { code field message } }
}`;
const READ = `query CustomerVersion($externalId: String!) { customer(externalId: $externalId) { version status segments attributes name } }`;

type Customer = { externalId: string; version: number; status: string; segments: string[]; attributes: Record<string, unknown>; name: string | null };
type Payload = { upsertCustomer: { customer: Customer | null; userErrors: { code: string; field: string[]; message: string }[] } };

/**
 * break34 (customers): `upsertCustomer` replaces `segments` and `attributes` when sent, so a writer
 * that read a customer, added a tag and sent the list back removed a tag another writer added in
 * between, and a status written from a stale read switched a closed or suspended customer back.
 * Each customer now has a `version`, and `expectedVersion` (0: create only) makes a write from a
 * stale read VERSION_CONFLICT with nothing written.
 */
describe('upsertCustomer with expectedVersion', () => {
  let t: TestGateway;
  let second: string;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    second = await signToken(t.config, { sub: 'staff-second', role: 'operator' });
  });
  afterAll(() => t.close());

  const upsert = async (input: Record<string, unknown>, token = t.operatorToken) => dataOf(await t.gql<Payload, { input: Record<string, unknown> }>(UPSERT, { input }, token)).upsertCustomer;
  const read = async (externalId: string) => ok(await t.gql<{ customer: Customer }, { externalId: string }>(READ, { externalId }, t.operatorToken)).customer;

  it('a customer is version 1 when created and one more at each update, with or without expectedVersion', async () => {
    const externalId = unique('ver');
    expect(await upsert({ externalId, name: 'Ada' })).toMatchObject({ customer: { version: 1 }, userErrors: [] });
    expect(await upsert({ externalId, name: 'Ada L' })).toMatchObject({ customer: { version: 2, name: 'Ada L' }, userErrors: [] });
    expect(await upsert({ externalId, expectedVersion: 2, segments: ['vip'] })).toMatchObject({ customer: { version: 3, segments: ['vip'] }, userErrors: [] });
    expect(await read(externalId)).toMatchObject({ version: 3, name: 'Ada L', segments: ['vip'] });
  });

  it('a write that changes no value keeps the version and updatedAt, so a sync re-sending what is stored stales no other writer', async () => {
    const externalId = unique('same');
    const READ_AT = `query CustomerUpdatedAt($externalId: String!) { customer(externalId: $externalId) { version updatedAt } }`;
    const readAt = async () => ok(await t.gql<{ customer: { version: number; updatedAt: string } }, { externalId: string }>(READ_AT, { externalId }, t.operatorToken)).customer;
    const full = { externalId, name: 'Ada', email: 'ada@example.com', birthDate: '1990-02-03', status: 'ACTIVE', segments: ['vip', 'newsletter'], attributes: { store: 7, tags: { a: 1, b: 2 } } };
    expect(await upsert(full)).toMatchObject({ customer: { version: 1 }, userErrors: [] });
    const created = await readAt();
    // the same values again, the attributes' keys in another order (the same JSON object), and an
    // upsert naming no field at all: nothing changes
    expect(await upsert({ ...full, attributes: { tags: { b: 2, a: 1 }, store: 7 } })).toMatchObject({ customer: { version: 1 }, userErrors: [] });
    expect(await upsert({ externalId, expectedVersion: 1 })).toMatchObject({ customer: { version: 1 }, userErrors: [] });
    expect(await upsert({ externalId, expectedVersion: 1, segments: ['vip', 'newsletter', 'vip'] })).toMatchObject({ customer: { version: 1 }, userErrors: [] });
    expect(await readAt()).toEqual(created);
    // a writer that read version 1 before the re-sends still writes
    expect(await upsert({ externalId, expectedVersion: 1, segments: ['vip'] }, second)).toMatchObject({ customer: { version: 2, segments: ['vip'] }, userErrors: [] });
    // a cleared field is a change
    expect(await upsert({ externalId, expectedVersion: 2, email: null })).toMatchObject({ customer: { version: 3 }, userErrors: [] });
    expect((await readAt()).updatedAt > created.updatedAt).toBe(true);
    // a stale write that would change nothing is still refused: it was made from another version
    await expectRefusedWith(t, () => t.gql(UPSERT, { input: { externalId, expectedVersion: 2, segments: ['vip'] } }, second), 'upsertCustomer', 'VERSION_CONFLICT', ['input', 'expectedVersion'], /now version 3/);
  });

  it('the second of two writers that read version 1 is refused, and the first one’s tag stays', async () => {
    const externalId = unique('tags');
    ok(await t.gql(UPSERT, { input: { externalId, segments: ['newsletter'] } }, t.operatorToken));
    // both read version 1 with ['newsletter']; the first adds 'vip'
    expect(await upsert({ externalId, expectedVersion: 1, segments: ['newsletter', 'vip'] })).toMatchObject({ customer: { version: 2 }, userErrors: [] });
    // the second, from its stale read, adds 'student' and would drop 'vip'
    await expectRefusedWith(
      t,
      () => t.gql(UPSERT, { input: { externalId, expectedVersion: 1, segments: ['newsletter', 'student'] } }, second),
      'upsertCustomer',
      'VERSION_CONFLICT',
      ['input', 'expectedVersion'],
      /made from version 1: the customer is now version 2, and nothing was saved/,
    );
    expect(await read(externalId)).toMatchObject({ version: 2, segments: ['newsletter', 'vip'] });
    // read again, its change made on version 2 is written
    expect(await upsert({ externalId, expectedVersion: 2, segments: ['newsletter', 'vip', 'student'] }, second)).toMatchObject({
      customer: { version: 3, segments: ['newsletter', 'vip', 'student'] },
      userErrors: [],
    });
  });

  it('0 creates only: a second create of one externalId is refused instead of overwriting the first', async () => {
    const externalId = unique('create');
    expect(await upsert({ externalId, expectedVersion: 0, name: 'First', attributes: { source: 'pos' } })).toMatchObject({ customer: { version: 1, name: 'First' }, userErrors: [] });
    await expectRefusedWith(
      t,
      () => t.gql(UPSERT, { input: { externalId, expectedVersion: 0, name: 'Second', attributes: { source: 'crm' } } }, second),
      'upsertCustomer',
      'VERSION_CONFLICT',
      ['input', 'expectedVersion'],
      /made when no customer had this externalId: the customer is now version 1/,
    );
    expect(await read(externalId)).toMatchObject({ version: 1, name: 'First', attributes: { source: 'pos' } });
  });

  it('a version above 0 for an externalId no customer has is refused and creates nobody', async () => {
    const externalId = unique('ghost');
    await expectRefusedWith(
      t,
      () => t.gql(UPSERT, { input: { externalId, expectedVersion: 4, name: 'Ghost' } }, t.operatorToken),
      'upsertCustomer',
      'VERSION_CONFLICT',
      ['input', 'expectedVersion'],
      /made from version 4: no customer has it now/,
    );
    expect(await t.sql(`select 1 from customer where external_id = $1`, [externalId])).toEqual([]);
  });

  it('a stale status write is refused whole: a closed customer is not opened again, and a stale close records no session end', async () => {
    const externalId = unique('status');
    ok(await t.gql(UPSERT, { input: { externalId } }, t.operatorToken));
    expect(await upsert({ externalId, expectedVersion: 1, status: 'CLOSED' })).toMatchObject({ customer: { version: 2, status: 'CLOSED' }, userErrors: [] });
    await expectRefusedWith(
      t,
      () => t.gql(UPSERT, { input: { externalId, expectedVersion: 1, status: 'ACTIVE', name: 'Reopened' } }, second),
      'upsertCustomer',
      'VERSION_CONFLICT',
      ['input', 'expectedVersion'],
      /now version 2/,
    );
    expect(await read(externalId)).toMatchObject({ version: 2, status: 'CLOSED', name: null });

    // a close from a stale read: no outbox event, no audit entry (expectRefusedWith compares every table)
    const other = unique('status');
    ok(await t.gql(UPSERT, { input: { externalId: other } }, t.operatorToken));
    ok(await t.gql(UPSERT, { input: { externalId: other, name: 'Moved on' } }, t.operatorToken));
    await expectRefusedWith(t, () => t.gql(UPSERT, { input: { externalId: other, expectedVersion: 1, status: 'CLOSED' } }, second), 'upsertCustomer', 'VERSION_CONFLICT', ['input', 'expectedVersion'], /now version 2/);
    expect(await read(other)).toMatchObject({ version: 2, status: 'ACTIVE' });
  });

  it('of writes sent at once from one version, exactly one is written (real parallel requests), and the audit names the version each was made from', async () => {
    const externalId = unique('race');
    ok(await t.gql(UPSERT, { input: { externalId, segments: ['a'] } }, t.operatorToken));
    const tags = Array.from({ length: 8 }, (_, i) => `tag ${i}`);
    const payloads = await Promise.all(tags.map((tag, i) => upsert({ externalId, expectedVersion: 1, segments: ['a', tag], ...(i % 3 === 0 ? { status: 'SUSPENDED' } : {}) }, i % 2 ? second : t.operatorToken)));
    const written = payloads.filter((p) => p.customer);
    expect(written).toHaveLength(1);
    expect(payloads.filter((p) => p.userErrors[0]?.code === 'VERSION_CONFLICT')).toHaveLength(tags.length - 1);
    expect(await read(externalId)).toMatchObject({ version: 2, segments: written[0].customer!.segments });
    const audit = await t.sql<{ action: string; details: { expectedVersion?: number } }>(
      `select action, details from audit_entry where target = (select 'Customer:' || id from customer where external_id = $1) order by id`,
      [externalId],
    );
    expect(audit.map((a) => [a.action, a.details.expectedVersion])).toEqual([
      ['createCustomer', undefined],
      ['updateCustomer', 1],
    ]);
  });

  it('parallel creates with 0: one customer, one created, the rest refused', async () => {
    const externalId = unique('race0');
    const payloads = await Promise.all(Array.from({ length: 6 }, (_, i) => upsert({ externalId, expectedVersion: 0, name: `Creator ${i}` }, i % 2 ? second : t.operatorToken)));
    expect(payloads.filter((p) => p.customer).map((p) => p.customer!.version)).toEqual([1]);
    expect(payloads.filter((p) => p.userErrors[0]?.code === 'VERSION_CONFLICT')).toHaveLength(5);
    expect(await t.sql(`select version from customer where external_id = $1`, [externalId])).toEqual([{ version: 1 }]);
  });

  it('a negative expectedVersion is bad input, refused before anything is read', async () => {
    await expectRefusedAtTheEdge(t, () => t.gql(UPSERT, { input: { externalId: unique('neg'), expectedVersion: -1 } }, t.operatorToken), 'input.expectedVersion', /expectedVersion/);
  });
});
