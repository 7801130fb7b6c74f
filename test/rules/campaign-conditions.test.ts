import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { earningProgram, unique, uniqueCode } from '../support/program.js';

const CAMPAIGNS = `{ campaigns { id name conditions { minSpend skus categories channels tiers segments firstPurchase daysOfWeek } } }`;
const NODE = `query($id: ID!) { node(id: $id) { ... on Campaign { name conditions { minSpend tiers daysOfWeek firstPurchase } } } }`;

/**
 * A campaign's conditions as staff read them back (newcomer-37: `Campaign` did not expose them, so a
 * weekend-only campaign for Gold members spending 25.00 read in the console and the API as one for
 * every sale, and an operator could not tell why a sale earned nothing from it).
 */
describe('a campaign reads back the conditions it was created with', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(() => t.close());

  it('every condition as sent, and none for a campaign made without', async () => {
    const { currency } = await earningProgram(t, 'C');
    const tier = uniqueCode('GOLD');
    ok(await t.gql(`mutation($input: CreateTierInput!) { createTier(input: $input) { tier { code } userErrors { code message } } }`, { input: { code: tier, name: 'Gold', currency, threshold: 500, rank: 1 } }, t.operatorToken));
    const window = { startsAt: new Date(Date.now() - 3_600_000).toISOString(), endsAt: new Date(Date.now() + 86_400_000).toISOString() };
    const conditions = {
      minSpend: '25.50',
      skus: ['BEANS-1KG'],
      categories: ['COFFEE'],
      channels: ['STORE'],
      tiers: [tier],
      segments: ['staff picks'],
      firstPurchase: true,
      daysOfWeek: [6, 7],
    };
    const create = `mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { campaign { id conditions { minSpend skus categories channels tiers segments firstPurchase daysOfWeek } } userErrors { code message } } }`;
    const weekend = unique('weekend');
    const made = ok(await t.gql(create, { input: { name: weekend, currency, ...window, conditions, outcome: { bonusPoints: 50 } } }, t.operatorToken)) as {
      createCampaign: { campaign: { id: string; conditions: unknown } };
    };
    expect(made.createCampaign.campaign.conditions).toEqual(conditions);

    const plain = unique('plain');
    ok(await t.gql(create, { input: { name: plain, currency, ...window, outcome: { multiplier: 2 } } }, t.operatorToken));

    const { campaigns } = ok(await t.gql(CAMPAIGNS, {}, t.operatorToken)) as { campaigns: { name: string; conditions: unknown }[] };
    expect(campaigns.find((c) => c.name === weekend)!.conditions).toEqual(conditions);
    expect(campaigns.find((c) => c.name === plain)!.conditions).toEqual({
      minSpend: null,
      skus: [],
      categories: [],
      channels: [],
      tiers: [],
      segments: [],
      firstPurchase: false,
      daysOfWeek: [],
    });
    expect(ok(await t.gql(NODE, { id: made.createCampaign.campaign.id }, t.operatorToken))).toEqual({
      node: { name: weekend, conditions: { minSpend: '25.50', tiers: [tier], daysOfWeek: [6, 7], firstPurchase: true } },
    });
  });
});
