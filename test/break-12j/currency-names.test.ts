import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCustomer, simpleShop, unique } from '../support/program.js';

/**
 * break-12j: a point-currency code that differs from a real one only by what a reader cannot see
 * (a zero-width space, a tab, surrounding spaces) was refused "No currency STARS<U+200B>." — the real
 * code's spelling, read as "STARS does not exist". The code is now quoted with what is unseen
 * spelled out; a plain visible code is named as before.
 */
describe('a currency code no currency has, named in its refusal (break-12j)', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
  });
  afterAll(() => t.close());

  const adjustIn = async (externalId: string, currency: string) => {
    const res = await t.fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.operatorToken}` },
      body: JSON.stringify({
        query: 'mutation($i: AdjustPointsInput!) { adjustPoints(input: $i) { entry { amount } userErrors { code message field } } }',
        variables: { i: { customerExternalId: externalId, currency, amount: 1, reason: 'x', idempotencyKey: unique('k') } },
      }),
    });
    return ((await res.json()) as { data: { adjustPoints: { userErrors: unknown[] } } }).data.adjustPoints.userErrors;
  };

  it('spells out an invisible character or white space in the code, and names a visible code as written', async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency);
    const field = ['input', 'currency'];
    expect(await adjustIn(customer.externalId, `${shop.currency}\u200b`)).toEqual([{ code: 'NOT_FOUND', message: `No currency "${shop.currency}\\u200B".`, field }]);
    expect(await adjustIn(customer.externalId, `${shop.currency}\t`)).toEqual([{ code: 'NOT_FOUND', message: `No currency "${shop.currency}\\t".`, field }]);
    expect(await adjustIn(customer.externalId, ` ${shop.currency} `)).toEqual([{ code: 'NOT_FOUND', message: `No currency " ${shop.currency} ".`, field }]);
    expect(await adjustIn(customer.externalId, shop.currency.toLowerCase())).toEqual([{ code: 'NOT_FOUND', message: `No currency ${shop.currency.toLowerCase()}.`, field }]);
  });

  it('does the same for a currency argument of a query (pointHistory)', async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency);
    const res = await t.fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${customer.token}` },
      body: JSON.stringify({ query: 'query($c: String) { me { pointHistory(currency: $c, first: 1) { edges { cursor } } } }', variables: { c: `${shop.currency}\u200b` } }),
    });
    const body = (await res.json()) as { errors: { message: string; extensions: { code: string } }[] };
    expect(body.errors.map((e) => [e.extensions.code, e.message])).toEqual([['BAD_USER_INPUT', `No currency "${shop.currency}\\u200B".`]]);
  });
});
