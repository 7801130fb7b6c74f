import { UpsertCustomerDocument } from '../generated/graphql.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { createPartner, unique } from '../support/program.js';

const REGISTER = `mutation RegisterPersistedOperations($input: RegisterPersistedOperationsInput!) {
  registerPersistedOperations(input: $input) { count userErrors { code field message } } }`;

/**
 * break37c (API), held: break37 let the JSON scalar take strings up to 50,000 characters and kept
 * 10,000 for every argument string but a manifest operation's body (`LONGER_TEXT`, by path).
 * Attacked: a customer's attributes (a variable, an inline literal, inside a list, a nested object
 * whose keys spell the manifest's path), and the manifest's other strings (an operation's name, a
 * `body` elsewhere than `operations.<i>`): each over 10,000 characters is still BAD_USER_INPUT
 * naming its path, and nothing is written.
 */
describe('break37c api (held): JSON strings past 10,000 characters outside a manifest body', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(() => t.close());

  const long = 'x'.repeat(10_001);
  const refusal = (res: { errors?: readonly { message: string; extensions?: Record<string, unknown> }[] }) =>
    res.errors?.map((e) => [e.extensions?.code, e.message]) ?? [];

  it("refuses a customer's attribute over 10,000 characters however it is sent", async () => {
    const externalId = unique('attr');
    const cases = [
      { note: long },
      { list: ['ok', long] },
      { manifest: { operations: [{ body: long }] } },
      { 'manifest.operations.0': { body: long } },
    ];
    for (const attributes of cases) {
      const res = await t.gql(UpsertCustomerDocument, { input: { externalId, attributes } } as never, t.operatorToken);
      expect(refusal(res)).toEqual([['BAD_USER_INPUT', expect.stringMatching(/^input\.attributes\..* is longer than 10000 characters$/)]]);
    }
    const inline = await t.gql(`mutation { upsertCustomer(input: { externalId: ${JSON.stringify(externalId)}, attributes: { note: ${JSON.stringify(long)} } }) { customer { id } } }`, {}, t.operatorToken);
    expect(refusal(inline)).toEqual([['BAD_USER_INPUT', 'input.attributes.note is longer than 10000 characters']]);
    expect(await t.sql(`select 1 from customer where external_id = $1`, [externalId])).toEqual([]);
  });

  it("refuses a manifest's other strings over 10,000 characters", async () => {
    const partner = await createPartner(t, ['customers:read']);
    const client = (await t.partnerIdOf(partner.apiKey))!;
    const manifests = [
      { format: 'apollo-persisted-query-manifest', version: 1, operations: [{ id: 'a'.repeat(64), name: long, type: 'query', body: '{ tiers { code } }' }] },
      { format: 'apollo-persisted-query-manifest', version: 1, operations: [], body: long },
      { format: 'apollo-persisted-query-manifest', version: 1, operations: [{ id: 'a'.repeat(64), name: 'A', type: 'query', body: '{ tiers { code } }', extra: { body: long } }] },
    ];
    for (const manifest of manifests) {
      const res = await t.gql(REGISTER, { input: { client, manifest } }, t.operatorToken);
      expect(refusal(res)).toEqual([['BAD_USER_INPUT', expect.stringMatching(/^input\.manifest\..* is longer than 10000 characters$/)]]);
    }
  });
});
