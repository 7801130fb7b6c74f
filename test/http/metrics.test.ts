import { randomBytes } from 'node:crypto';
import { CustomerByExternalIdDocument } from '../generated/graphql.js';
import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCustomer, createPartner, simpleShop } from '../support/program.js';

/**
 * /metrics (issue 8): requests, errors and latency per client and registered operation, and
 * everything else under one `other` label; no client-chosen string becomes a label.
 */
describe('/metrics', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(() => t.close());

  const graphqlSeries = async () =>
    (await (await t.fetch('/metrics')).text()).split('\n').filter((line) => line.startsWith('graphql_'));

  it('stays bounded under 1,000 requests with random operation names', async () => {
    const { currency } = await simpleShop(t);
    const customer = await createCustomer(t, currency, 10);
    const send = (name: string, headers: Record<string, string> = {}) =>
      fetch(t.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${customer.token}`, ...headers },
        body: JSON.stringify({ query: `query ${name} { me { externalId } }`, operationName: name }),
      }).then((r) => r.status);
    const randomName = () => `Op_${randomBytes(24).toString('hex')}`;
    // warm up every kind of series once: a success, and an error
    await send(randomName());
    await send(`${randomName()} { nope }`);
    const before = await graphqlSeries();
    const names: string[] = [];
    for (let batch = 0; batch < 20; batch++) {
      const statuses = await Promise.all(
        Array.from({ length: 50 }, (_, i) => {
          const name = randomName();
          names.push(name);
          // a third name themselves as a client too, and a tenth send an invalid document
          return send(i % 10 === 0 ? `${name} { nope }` : name, i % 3 === 0 ? { 'apollographql-client-name': `client-${name.slice(3, 20).toLowerCase()}` } : {});
        }),
      );
      expect(statuses.filter((s) => s !== 200 && s !== 400)).toEqual([]);
    }
    const after = await graphqlSeries();
    const names_ = (lines: string[]) => lines.map((l) => l.replace(/ [\d.e+-]+$/, ''));
    expect(names_(after)).toEqual(names_(before));
    const text = after.join('\n');
    for (const name of names.slice(0, 50)) expect(text).not.toContain(name.slice(3, 20));
    expect(text).toMatch(/graphql_requests_total\{client="other",operation="other",type="query"\} (\d+)/);
    expect(Number(/graphql_requests_total\{client="other",operation="other",type="query"\} (\d+)/.exec(text)![1])).toBeGreaterThanOrEqual(900);
  }, 240_000); // a thousand requests on a shared two-core machine

  it('counts registered operations per client and operation name', async () => {
    const { currency } = await simpleShop(t);
    const customer = await createCustomer(t, currency, 10);
    const partner = await createPartner(t, ['customers:read']);
    const reader = await createPartner(t, ['transactions:read']);
    ok(await t.gql(CustomerByExternalIdDocument, { externalId: customer.externalId }, partner.credential));
    ok(await t.gql(CustomerByExternalIdDocument, { externalId: customer.externalId }, partner.credential));
    const refused = await t.gql(CustomerByExternalIdDocument, { externalId: customer.externalId }, reader.credential);
    expect(refused.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    const text = (await graphqlSeries()).join('\n');
    const client = (id: string) => `partner:${Buffer.from(id, 'base64url').toString().split(':')[1]}`;
    expect(text).toContain(`graphql_requests_total{client="${client(partner.id)}",operation="CustomerByExternalId",type="query"} 2`);
    expect(text).toContain(`graphql_request_duration_seconds_count{client="${client(partner.id)}",operation="CustomerByExternalId",type="query"} 2`);
    expect(text).not.toContain(`graphql_request_errors_total{client="${client(partner.id)}"`);
    // with the operation's type and the error's code (metrics-18)
    expect(text).toContain(`graphql_request_errors_total{client="${client(reader.id)}",operation="CustomerByExternalId",type="query",code="FORBIDDEN"} 1`);
  });
});
