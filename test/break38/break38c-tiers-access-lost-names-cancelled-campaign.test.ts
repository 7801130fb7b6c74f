import { CreateCampaignDocument } from '../generated/graphql.js';
import { dataOf, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCustomer, createTier, earningProgram, unique } from '../support/program.js';

const CREATE = `mutation Create($input: CreateTierInput!) {
  createTier(input: $input) { moves { from to customers } accessLost { kind name tiers customers } userErrors { code } }
}`;
type Created = { createTier: { moves: { from: string | null; to: string | null; customers: number }[]; accessLost: { kind: string; name: string; tiers: string[]; customers: number }[] } };

/**
 * break38c (tier-access): `accessLostBy` (src/tiers/tier.service.ts) takes every campaign with
 * `ends_at > now` as "not ended". A campaign cancelled by endCampaign before its start keeps the
 * window [startsAt, startsAt), its end (= its start) still ahead: it will never run, yet it is named.
 *
 * What the operator sees adding PLATINUM above GOLD: "Tier lists match exactly: campaign “Gold
 * spring” (GOLD) would lose 1 customer. List the new tier there too to keep them." about a campaign
 * the console's State column reads "cancelled". What they should see: no warning for it.
 */
describe('break38c-tiers: a cancelled campaign named in accessLost', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
  });
  afterAll(() => t.close());

  it('names no campaign that will never run', async () => {
    const { currency } = await earningProgram(t, 'TC', { expiryDays: null });
    await createTier(t, { currency, code: 'GOLD', rank: 1, threshold: 100 });
    await createCustomer(t, currency, 700);
    const now = Date.now();
    const name = unique('Gold spring');
    const campaign = ok(
      await t.gql(
        CreateCampaignDocument,
        { input: { name, currency, startsAt: new Date(now + 10 * 86_400_000).toISOString(), endsAt: new Date(now + 20 * 86_400_000).toISOString(), conditions: { tiers: ['GOLD'] }, outcome: { bonusPoints: 5 } } as never },
        t.operatorToken,
      ),
    ).createCampaign.campaign!;
    const ended = dataOf(
      await t.gql(`mutation($input: EndCampaignInput!) { endCampaign(input: $input) { campaign { startsAt endsAt } userErrors { code } } }`, { input: { campaignId: campaign.id, reason: 'made by mistake' } }, t.operatorToken),
    ) as { endCampaign: { campaign: { startsAt: string; endsAt: string } } };
    expect(ended.endCampaign.campaign.endsAt).toBe(ended.endCampaign.campaign.startsAt); // cancelled

    const preview = (dataOf(await t.gql(CREATE, { input: { currency, code: 'PLATINUM', name: 'Platinum', rank: 2, threshold: 500, dryRun: true } }, t.operatorToken)) as Created).createTier;
    expect(preview.moves).toEqual([{ from: 'GOLD', to: 'PLATINUM', customers: 1 }]);
    // Expected []; received [{ kind: 'CAMPAIGN', name: 'Gold spring…', tiers: ['GOLD'], customers: 1 }].
    expect(preview.accessLost).toEqual([]);
  });
});
