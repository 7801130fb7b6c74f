import { dataOf, startTestGateway, type TestGateway } from '../support/gateway.js';
import { CREATE_TIER_ANSWER, createCurrency, createCustomer, createTier, type CreateTierAnswer } from '../support/program.js';


/**
 * money-24 (newcomer-24 "Left"): creating a tier places every customer on the ladder again, at
 * once, and said nothing of it: a threshold-0 tier for a second currency, ranked above the top,
 * took the whole demo off GOLD (and its ×1.5), with only `customersMoved` in the audit details.
 * createTier now answers how many customers move and between which tiers, and `dryRun` answers
 * that without writing anything. (That tier itself is refused since break36b: a threshold-0 tier
 * ranked above others leaves them unreachable; here the new tier tops the ladder with more points.) A real gateway and PostgreSQL; its own database, so the
 * customers counted are this file's.
 */
describe('createTier says who it moves, and can say it before (money-24)', () => {
  let t: TestGateway;
  let gold: string;
  let green: string;

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    await createCurrency(t, 'BEANS');
    await createCurrency(t, 'STARS');
    await createTier(t, { currency: 'BEANS', code: 'GREEN', rank: 1, threshold: 0 });
    await createTier(t, { currency: 'BEANS', code: 'GOLD', rank: 2, threshold: 100, multiplier: 1.5 });
    gold = (await createCustomer(t, 'BEANS', 150)).externalId;
    green = (await createCustomer(t, 'BEANS', 10)).externalId;
  });
  afterAll(async () => {
    await t?.close();
  });

  const tierOf = async (externalId: string) =>
    dataOf(await t.gql<{ customer: { tier: { code: string } | null } }, unknown>(`query($e: String!) { customer(externalId: $e) { tier { code } } }`, { e: externalId }, t.operatorToken)).customer.tier?.code;
  const create = async (extra: Record<string, unknown>) =>
    dataOf(await t.gql<CreateTierAnswer, unknown>(CREATE_TIER_ANSWER, { input: { currency: 'BEANS', code: 'STAR', name: 'Star', rank: 3, threshold: 120, ...extra } }, t.operatorToken)).createTier;
  const audited = async () => (await t.sql(`select details->'customersMoved' as moved from audit_entry where action = 'createTier' and details->>'code' = 'STAR'`)).map((r) => r.moved);

  it('a dry run answers who would move and writes nothing; the tier then answers the same and moves them', async () => {
    expect([await tierOf(gold), await tierOf(green)]).toEqual(['GOLD', 'GREEN']);
    const moves = [{ from: 'GOLD', to: 'STAR', customers: 1 }];

    expect(await create({ dryRun: true })).toEqual({ tier: null, customersMoved: 1, moves, dryRun: true, userErrors: [] });
    expect([await tierOf(gold), await tierOf(green)]).toEqual(['GOLD', 'GREEN']);
    expect(await t.sql(`select 1 from tier where code = 'STAR'`)).toEqual([]);
    expect(await audited()).toEqual([]);

    expect(await create({})).toEqual({ tier: { code: 'STAR' }, customersMoved: 1, moves, dryRun: false, userErrors: [] });
    expect([await tierOf(gold), await tierOf(green)]).toEqual(['STAR', 'GREEN']);
    expect(await audited()).toEqual([1]);
    // The same request again (the code is its key): the tier, and what the first one moved.
    expect(await create({})).toEqual({ tier: { code: 'STAR' }, customersMoved: 1, moves, dryRun: false, userErrors: [] });
  });

  it('a dry run is refused as the request would be', async () => {
    expect((await create({ code: 'OTHER', dryRun: true })).userErrors).toEqual([
      { code: 'ALREADY_EXISTS', field: ['input', 'rank'], message: expect.stringContaining('Rank 3 is taken by tier STAR') },
    ]);
  });
});
