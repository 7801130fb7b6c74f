import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { brokenInvariants } from '../support/invariants.js';
import { createCustomer, simpleShop, unique } from '../support/program.js';

/**
 * break-12j: an account's amounts are GraphQL Ints, so a credit is refused when it would take the
 * balance (available + pending) or the lifetime points (lifetimeEarned + pending) past 2147483647.
 * Both refusals said "…points past 2147483647, the most an account can hold." — to a customer whose
 * balance was 0, refused for their lifetime total, with no hint that a credit not counting towards
 * lifetime points (`qualifying: false`) still fits. Found with parallel adjustments and purchases.
 */
describe('a credit refused at the most an account can count (break-12j)', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
  });
  afterAll(() => t.close());
  afterEach(async () => {
    expect(await brokenInvariants(t)).toEqual([]);
  });

  const adjust = async (externalId: string, currency: string, amount: number, qualifying?: boolean) => {
    const res = await t.fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.operatorToken}` },
      body: JSON.stringify({
        query: 'mutation($i: AdjustPointsInput!) { adjustPoints(input: $i) { entry { amount balanceAfter } userErrors { code message } } }',
        variables: { i: { customerExternalId: externalId, currency, amount, reason: 'x', idempotencyKey: unique('k'), ...(qualifying === undefined ? {} : { qualifying }) } },
      }),
    });
    return ((await res.json()) as { data: { adjustPoints: { entry: { amount: number; balanceAfter: number } | null; userErrors: { code: string; message: string }[] } } }).data.adjustPoints;
  };

  it('says the lifetime points are what would pass, and that a credit not counting towards them fits', async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency);
    // 2,000,000,000 lifetime points, all spent: the balance is 0.
    await Promise.all([adjust(customer.externalId, shop.currency, 1_000_000_000), adjust(customer.externalId, shop.currency, 1_000_000_000)]);
    expect((await adjust(customer.externalId, shop.currency, -1_000_000_000)).entry?.balanceAfter).toBe(1_000_000_000);
    expect((await adjust(customer.externalId, shop.currency, -1_000_000_000)).entry?.balanceAfter).toBe(0);

    expect(await adjust(customer.externalId, shop.currency, 1_000_000_000)).toEqual({
      entry: null,
      userErrors: [
        {
          code: 'INVALID',
          message: `This would take the customer's lifetime ${shop.currency} points (lifetimeEarned, with pending points) past 2147483647, the most an account can count; points that do not count towards lifetime points and tiers (an adjustment with qualifying: false) still fit.`,
        },
      ],
    });
    expect((await adjust(customer.externalId, shop.currency, 1_000_000_000, false)).entry).toEqual({ amount: 1_000_000_000, balanceAfter: 1_000_000_000 });
    // The balance's own bound keeps its sentence.
    expect((await adjust(customer.externalId, shop.currency, 1_000_000_000, false)).entry?.balanceAfter).toBe(2_000_000_000);
    expect((await adjust(customer.externalId, shop.currency, 1_000_000_000, false)).userErrors).toEqual([
      { code: 'INVALID', message: `This would take the customer's ${shop.currency} points past 2147483647, the most an account can hold.` },
    ]);
  });
});
