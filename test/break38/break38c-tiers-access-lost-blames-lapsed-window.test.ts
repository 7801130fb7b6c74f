import { dataOf, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCustomer, createStore, createTier, earningProgram } from '../support/program.js';

const CREATE = `mutation Create($input: CreateTierInput!) {
  createTier(input: $input) { moves { from to customers } accessLost { kind name tiers customers } userErrors { code } }
}`;
type Created = { createTier: { moves: { from: string | null; to: string | null; customers: number }[]; accessLost: { kind: string; name: string; tiers: string[]; customers: number }[] } };
const STORES = `{ rewardStores(first: 20) { edges { node { name } } } }`;

/**
 * break38c (tier-access): createTier places every customer again (recomputeAllTiers), so its
 * `moves` also write down placements that time already changed: a member whose rolling-window GOLD
 * lapsed (30 days without qualifying points) but whose stored tier is still GOLD (no job ran yet)
 * is "moved" GOLD → no tier. `accessLostBy` counts that move as a loss caused by the new tier.
 * But the member is out of the Gold lounge already (store eligibility reads the tier at now: SPEC
 * §4 "Time"), and listing the new tier there would not bring them back.
 *
 * What the operator sees adding DIAMOND (a threshold nobody reaches): "store “Gold lounge” (GOLD)
 * would lose 1 customer. List the new tier there too to keep them." What they should see: no
 * warning (the new tier moves nobody); at most the moves line says who lapsed.
 */
describe('break38c-tiers: accessLost blames the new tier for a lapsed rolling window', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
  });
  afterAll(() => t.close());

  it('names no store for a member who had left GOLD by time', async () => {
    const { currency } = await earningProgram(t, 'TL', { expiryDays: null });
    await createTier(t, { currency, code: 'GOLD', rank: 1, threshold: 100, windowDays: 30 });
    const member = await createCustomer(t, currency, 150);
    await createStore(t, currency, { name: 'Gold lounge', eligibility: { tiers: ['GOLD'] } } as never);
    const lounge = async () => (ok(await t.gql(STORES, {}, member.token)) as { rewardStores: { edges: { node: { name: string } }[] } }).rewardStores.edges.map((e) => e.node.name);
    expect(await lounge()).toContain('Gold lounge');

    t.clock.advance(31 * 86_400_000); // the window lapses; no job runs
    expect(await lounge()).not.toContain('Gold lounge'); // out already, before any tier is added

    const preview = (dataOf(await t.gql(CREATE, { input: { currency, code: 'DIAMOND', name: 'Diamond', rank: 2, threshold: 100_000, dryRun: true } }, t.operatorToken)) as Created).createTier;
    // Expected []; received [{ kind: 'STORE', name: 'Gold lounge', tiers: ['GOLD'], customers: 1 }].
    expect(preview.accessLost).toEqual([]);
  });
});
