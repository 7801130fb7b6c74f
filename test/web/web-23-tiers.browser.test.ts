import { gatewaySchema } from '../../src/graphql/schema.js';
import { registerFirstPartyManifests } from '../../src/persisted/first-party.js';
import { leaseChromium, newContext, type ChromiumLease } from '../support/browser.js';
import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';

/**
 * web-23: the unit of "N more to earn for <tier>" in a program whose ladder counts more than one
 * currency, in a real Chromium against a real gateway and database. A ladder's tiers may count
 * different currencies (`CreateTierInput.currency`); `NextTier` said how many points but not which,
 * and the member app took the unit from the member's tier, or from their one balance when they had
 * none: a member with no tier and only BEANS read "100 BEANS more to earn for Silver", a tier
 * counting STARS. Here: Silver (rank 1) counts STARS from 100, Gold (rank 2) BEANS from 1,000.
 */

describe('the next tier in its own currency (web-23)', () => {
  let t: TestGateway;
  let chromium: ChromiumLease;
  const staff = (document: string, input: Record<string, unknown>) => t.gql(document, { input }, t.operatorToken).then(ok);

  beforeAll(async () => {
    t = await startTestGateway({ PERSISTED_ONLY: 'web,console' });
    await registerFirstPartyManifests(t.orm.em.fork(), await gatewaySchema(), t.config, t.clock.now());
    chromium = await leaseChromium();
    for (const code of ['BEANS', 'STARS'])
      await staff(`mutation($input: CreateCurrencyInput!) { createCurrency(input: $input) { userErrors { code message } } }`, { code, name: code === 'BEANS' ? 'Beans' : 'Stars', pointValue: '0.01', moneyCurrency: 'EUR' });
    await staff(`mutation($input: CreateTierInput!) { createTier(input: $input) { userErrors { code message } } }`, { currency: 'STARS', code: 'SILVER', name: 'Silver', rank: 1, threshold: 100 });
    await staff(`mutation($input: CreateTierInput!) { createTier(input: $input) { userErrors { code message } } }`, { currency: 'BEANS', code: 'GOLD', name: 'Gold', rank: 2, threshold: 1000 });
  });
  afterAll(async () => {
    await chromium?.close();
    await t?.close();
  });

  /** A member holding `points` (currency → amount, credited by staff: they qualify). */
  const member = async (externalId: string, points: Record<string, number>) => {
    await staff(`mutation($input: UpsertCustomerInput!) { upsertCustomer(input: $input) { userErrors { code } } }`, { externalId, name: externalId });
    for (const [currency, amount] of Object.entries(points))
      await staff(`mutation($input: AdjustPointsInput!) { adjustPoints(input: $input) { userErrors { code } } }`, { customerExternalId: externalId, currency, amount, reason: 'test', idempotencyKey: `${externalId}-${currency}` });
    return externalId;
  };
  /** What the API and the member app's My points say of the member's way to the next tier. */
  const nextTierOf = async (externalId: string) => {
    type Answer = { customer: { tier: { code: string } | null; nextTier: { code: string; pointsNeeded: number; currency: { code: string } } | null } };
    const answer = await t.gql<Answer, object>(`query($id: String!) { customer(externalId: $id) { tier { code } nextTier { code pointsNeeded currency { code } } } }`, { id: externalId }, t.operatorToken);
    const api = answer.errors?.length ? answer.errors.map((e) => e.message) : answer.data?.customer;
    const context = await newContext(chromium.browser, t.url.replace(/graphql$/, ''), 'phone');
    try {
      const page = await context.newPage();
      await page.goto(`/#token=${await t.customerToken(externalId, 3_600)}`);
      const line = page.getByText(/more to earn for/);
      await line.waitFor();
      return { api, app: await line.innerText() };
    } finally {
      await context.close();
    }
  };

  test('a member with no tier and only BEANS: Silver counts STARS, and the app says so', async () => {
    expect(await nextTierOf(await member('mia', { BEANS: 40 }))).toEqual({
      api: { tier: null, nextTier: { code: 'SILVER', pointsNeeded: 100, currency: { code: 'STARS' } } },
      app: '100 STARS more to earn for Silver',
    });
  }, 60_000);

  test('a member with no tier and both currencies: the app names the unit (it named none)', async () => {
    expect(await nextTierOf(await member('noah', { BEANS: 40, STARS: 30 }))).toEqual({
      api: { tier: null, nextTier: { code: 'SILVER', pointsNeeded: 70, currency: { code: 'STARS' } } },
      app: '70 STARS more to earn for Silver',
    });
  }, 60_000);

  test('a Silver member (STARS) on the way to Gold (BEANS): the unit is the next tier’s, not the tier held', async () => {
    expect(await nextTierOf(await member('olga', { STARS: 150 }))).toEqual({
      api: { tier: { code: 'SILVER' }, nextTier: { code: 'GOLD', pointsNeeded: 1000, currency: { code: 'BEANS' } } },
      app: '1,000 BEANS more to earn for Gold',
    });
  }, 60_000);
});
