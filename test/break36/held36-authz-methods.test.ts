import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCustomer, createPartner, simpleShop } from '../support/program.js';

/**
 * break36 (authorization), held: trusted documents are decided for GET and POST only
 * (src/http/server.ts); any other method goes to Apollo undecided. A partner, which runs only its
 * registered operations, sending an unregistered document by PUT, PATCH, DELETE or HEAD is refused
 * 405 and nothing of it runs (no customer's data in the answer).
 */
describe('break36 authz (held): a partner sending free text by another HTTP method', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(() => t.close());

  it('is answered 405 with no data, whatever the method', async () => {
    const { currency } = await simpleShop(t);
    const member = await createCustomer(t, currency, 10);
    const partner = await createPartner(t, ['customers:read']);
    await t.register({ apiKey: partner.apiKey }, `query CustomerByExternalId($externalId: String!) { customer(externalId: $externalId) { id } }`);
    const text = `{ customer(externalId: "${member.externalId}") { externalId email balances { available } } }`;
    const answers: Record<string, [number, boolean]> = {};
    for (const method of ['PUT', 'PATCH', 'DELETE', 'HEAD']) {
      const res = await t.fetch(`/graphql?query=${encodeURIComponent(text)}`, {
        method,
        headers: { 'x-api-key': partner.apiKey, 'content-type': 'application/json', 'apollo-require-preflight': 'true' },
        body: method === 'HEAD' ? undefined : JSON.stringify({ query: text }),
      });
      answers[method] = [res.status, (await res.text()).includes(member.externalId)];
    }
    expect(answers).toEqual({ PUT: [405, false], PATCH: [405, false], DELETE: [405, false], HEAD: [405, false] });
    // the control: the same text by POST is refused as not on the partner's list
    const post = await t.fetch('/graphql', { method: 'POST', headers: { 'x-api-key': partner.apiKey, 'content-type': 'application/json' }, body: JSON.stringify({ query: text }) });
    expect([post.status, ((await post.json()) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code]).toEqual([400, 'PERSISTED_QUERY_NOT_ALLOWED']);
  });
});
