import { CreateCampaignDocument } from '../generated/graphql.js';
import { dataOf, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCustomer, createStore, createTier, earningProgram, unique } from '../support/program.js';

const CREATE = `mutation Create($input: CreateTierInput!) {
  createTier(input: $input) {
    tier { code }
    moves { from to customers }
    accessLost { kind id name tiers customers }
    dryRun
    userErrors { code message }
  }
}`;
type Created = {
  createTier: {
    tier: { code: string } | null;
    moves: { from: string | null; to: string | null; customers: number }[];
    accessLost: { kind: string; id: string; name: string; tiers: string[]; customers: number }[];
    dryRun: boolean | null;
    userErrors: unknown[];
  };
};

/**
 * newcomer-37: an operator added PLATINUM above GOLD and the top members, moved to PLATINUM, were
 * out of the GOLD-only lounge (tier lists match exactly), and neither the preview nor the answer said
 * so. `createTier` now names the stores and campaigns (not ended) whose tier list names the tier
 * moved customers leave and not the one they go to, with how many, on its preview and its answer.
 */
describe('adding a tier names the stores and campaigns its moves take customers out of', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
  });
  afterAll(() => t.close());

  it('a GOLD-only store and campaign lose the members moved up; a store listing no tier and an ended campaign do not', async () => {
    const { currency } = await earningProgram(t, 'TA', { expiryDays: null });
    await createTier(t, { currency, code: 'GOLD', rank: 1, threshold: 100 });
    await Promise.all([createCustomer(t, currency, 150), createCustomer(t, currency, 700), createCustomer(t, currency, 900), createCustomer(t, currency, 20)]);
    const goldOnly = await createStore(t, currency, { name: 'Gold lounge', eligibility: { tiers: ['GOLD'] } } as never);
    await createStore(t, currency, { name: 'Open store' } as never);
    const now = Date.now();
    const campaign = async (name: string, startsAt: number, endsAt: number) =>
      ok(
        await t.gql(
          CreateCampaignDocument,
          { input: { name, currency, startsAt: new Date(startsAt).toISOString(), endsAt: new Date(endsAt).toISOString(), conditions: { tiers: ['GOLD'] }, outcome: { bonusPoints: 5 } } as never },
          t.operatorToken,
        ),
      ).createCampaign.campaign!;
    const goldCampaign = await campaign(unique('Gold weekend'), now - 86_400_000, now + 86_400_000);
    await campaign(unique('Gold last month'), now - 40 * 86_400_000, now - 30 * 86_400_000);

    const input = { currency, code: 'PLATINUM', name: 'Platinum', rank: 2, threshold: 500 };
    const preview = (dataOf(await t.gql(CREATE, { input: { ...input, dryRun: true } }, t.operatorToken)) as Created).createTier;
    const expected = [
      { kind: 'STORE', id: goldOnly.id, name: 'Gold lounge', tiers: ['GOLD'], customers: 2 },
      { kind: 'CAMPAIGN', id: goldCampaign.id, name: goldCampaign.name, tiers: ['GOLD'], customers: 2 },
    ];
    expect(preview).toEqual({ tier: null, moves: [{ from: 'GOLD', to: 'PLATINUM', customers: 2 }], accessLost: expected, dryRun: true, userErrors: [] });

    const created = (dataOf(await t.gql(CREATE, { input }, t.operatorToken)) as Created).createTier;
    expect(created).toEqual({ tier: { code: 'PLATINUM' }, moves: [{ from: 'GOLD', to: 'PLATINUM', customers: 2 }], accessLost: expected, dryRun: false, userErrors: [] });
  });
});

describe('a store listing the tier moved to as well is not named', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
  });
  afterAll(() => t.close());

  it('GOLD and PLATINUM listed: a member moved from one to the other keeps the store; DIAMOND added above moves one out', async () => {
    const { currency } = await earningProgram(t, 'TB', { expiryDays: null });
    await createTier(t, { currency, code: 'GOLD', rank: 1, threshold: 100 });
    await createTier(t, { currency, code: 'PLATINUM', rank: 2, threshold: 500 });
    await Promise.all([createCustomer(t, currency, 150), createCustomer(t, currency, 700), createCustomer(t, currency, 900)]);
    const both = await createStore(t, currency, { name: 'Gold and Platinum', eligibility: { tiers: ['GOLD', 'PLATINUM'] } } as never);
    const preview = (dataOf(await t.gql(CREATE, { input: { currency, code: 'DIAMOND', name: 'Diamond', rank: 3, threshold: 800, dryRun: true } }, t.operatorToken)) as Created).createTier;
    expect({ moves: preview.moves, accessLost: preview.accessLost }).toEqual({
      moves: [{ from: 'PLATINUM', to: 'DIAMOND', customers: 1 }],
      accessLost: [{ kind: 'STORE', id: both.id, name: 'Gold and Platinum', tiers: ['GOLD', 'PLATINUM'], customers: 1 }],
    });
    // A threshold that moves nobody names nothing.
    const none = (dataOf(await t.gql(CREATE, { input: { currency, code: 'DIAMOND', name: 'Diamond', rank: 3, threshold: 5000, dryRun: true } }, t.operatorToken)) as Created).createTier;
    expect({ moves: none.moves, accessLost: none.accessLost }).toEqual({ moves: [], accessLost: [] });
  });
});
