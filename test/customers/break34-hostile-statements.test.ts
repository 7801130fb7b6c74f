import { dataOf, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { unique } from '../support/program.js';
import { recordStatements, transactionSent } from '../support/statements.js';

const UPSERT = `mutation UpsertCustomerStatements($input: UpsertCustomerInput!) { upsertCustomer(input: $input) { customer { version } userErrors { code message } } }`;
type Payload = { upsertCustomer: { customer: { version: number } | null; userErrors: { code: string; message: string }[] } };

/**
 * break34 hostile: what a write with `expectedVersion` costs. The check is meant to ride in the
 * upsert's own `on conflict ... where`, but for a number above 0 the service first reads the
 * customer's version in a statement of its own (so the insert cannot create a customer the writer
 * thought existed), and with a status it then reads the same row again for the status lock. What a
 * CRM sync sees: each checked write is one more round trip to PostgreSQL than an unchecked one
 * (begin select insert insert commit, vs begin insert insert commit; a checked status change three
 * selects), on exactly the writes the feature asks syncs to make. The existence test belongs in the
 * insert (a customer that exists makes it conflict, and then the version is compared under the lock).
 */
describe('break34 hostile: a checked upsert costs what an unchecked one does', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
  });
  afterAll(() => t.close());

  const sentBy = async (input: Record<string, unknown>) => {
    const recording = recordStatements();
    try {
      const answer = dataOf(await t.gql<Payload, { input: Record<string, unknown> }>(UPSERT, { input }, t.operatorToken)).upsertCustomer;
      return { answer, sent: transactionSent(recording.take()) };
    } finally {
      recording.stop();
    }
  };

  it('an update with expectedVersion sends the statements of one without, with or without a status', async () => {
    const externalId = unique('cost');
    ok(await t.gql(UPSERT, { input: { externalId } }, t.operatorToken));
    const unchecked = await sentBy({ externalId, name: 'a' });
    const checked = await sentBy({ externalId, name: 'b', expectedVersion: 2 });
    expect(checked.answer).toEqual({ customer: { version: 3 }, userErrors: [] });
    expect(checked.sent).toEqual(unchecked.sent);
    expect(checked.sent).toEqual(['begin', 'insert', 'insert', 'commit']);

    const uncheckedStatus = await sentBy({ externalId, status: 'SUSPENDED' });
    const checkedStatus = await sentBy({ externalId, status: 'ACTIVE', expectedVersion: 4 });
    expect(checkedStatus.answer).toEqual({ customer: { version: 5 }, userErrors: [] });
    expect(checkedStatus.sent).toEqual(uncheckedStatus.sent);
  });

  it('a version above 0 for an externalId nobody has still creates nobody, and says so', async () => {
    const externalId = unique('cost-ghost');
    const { answer } = await sentBy({ externalId, expectedVersion: 3, name: 'Ghost' });
    expect(answer.customer).toBeNull();
    expect(answer.userErrors).toEqual([{ code: 'VERSION_CONFLICT', message: expect.stringMatching(/made from version 3: no customer has it now/) }]);
    expect(await t.sql(`select 1 from customer where external_id = $1`, [externalId])).toEqual([]);
  });
});
