import { parse } from 'graphql';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCustomer, createPartner, simpleShop } from '../support/program.js';
import { manifestFromDocument } from '../../src/persisted/manifest.js';

/**
 * break37 (API), held: a partner runs only its registered operations, and by GET the trusted-
 * document decision reads `query` and `extensions` with URLSearchParams.get (the first of each),
 * while Apollo reads the query string again afterwards. A partner that repeats `query` or
 * `extensions` in the query string, putting its registered body or hash first and free text second
 * (or the other way round), never gets the free text run: the registered body replaces every
 * `query` it sent, or the request is refused PERSISTED_QUERY_NOT_ALLOWED; nothing of another
 * customer's personal data or of the program's partners comes back.
 */
describe('break37 api (held): a partner repeating query-string parameters on GET', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(() => t.close());

  it('runs its registered operation or nothing', async () => {
    const { currency } = await simpleShop(t);
    const member = await createCustomer(t, currency, 10);
    const other = await createCustomer(t, currency, 10);
    const partner = await createPartner(t, ['customers:read']);
    const [op] = manifestFromDocument(parse(`query Lookup($externalId: String!) { customer(externalId: $externalId) { externalId } }`)).operations;
    await t.register({ apiKey: partner.apiKey }, { format: 'apollo-persisted-query-manifest', version: 1, operations: [op] });

    const free = `{ customer(externalId: "${other.externalId}") { externalId email } partners { id name } }`;
    const ext = JSON.stringify({ persistedQuery: { version: 1, sha256Hash: op.id } });
    const vars = JSON.stringify({ externalId: member.externalId });
    const qs = (pairs: [string, string][]) => '?' + pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
    const cases: Record<string, [string, string][]> = {
      'body then free': [['extensions', ext], ['variables', vars], ['query', op.body], ['query', free]],
      'free then body': [['extensions', ext], ['variables', vars], ['query', free], ['query', op.body]],
      'empty then free': [['extensions', ext], ['variables', vars], ['query', ''], ['query', free]],
      'hash then no hash': [['extensions', ext], ['extensions', '{}'], ['variables', vars], ['query', free]],
      'no hash then hash': [['extensions', '{}'], ['extensions', ext], ['variables', vars], ['query', free]],
    };
    const answers: Record<string, [number, string]> = {};
    for (const [name, pairs] of Object.entries(cases)) {
      const res = await t.fetch(`/graphql${qs(pairs)}`, { headers: { 'x-api-key': partner.apiKey } });
      const text = await res.text();
      expect({ name, leaked: text.includes(other.externalId) || text.includes('"partners"') }).toEqual({ name, leaked: false });
      const body = JSON.parse(text) as { data?: { customer: { externalId: string } }; errors?: { extensions: { code: string } }[] };
      answers[name] = [res.status, body.data ? `customer ${body.data.customer.externalId === member.externalId ? 'asked' : 'other'}` : body.errors![0].extensions.code];
    }
    expect(answers).toEqual({
      'body then free': [200, 'customer asked'],
      'free then body': [400, 'PERSISTED_QUERY_NOT_ALLOWED'],
      'empty then free': [400, 'PERSISTED_QUERY_NOT_ALLOWED'],
      'hash then no hash': [400, 'PERSISTED_QUERY_NOT_ALLOWED'],
      'no hash then hash': [400, 'PERSISTED_QUERY_NOT_ALLOWED'],
    });
  });
});
