import { CreateTierDocument, ProfileDocument } from '../generated/graphql.js';
import { dataOf, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { adjust, createCurrency, createCustomer, createTier, uniqueCode } from '../support/program.js';

/**
 * break36 (tiers): a tier ranked above another of the same currency and window, with a lower
 * threshold, makes the lower-ranked tier unreachable for every member (the highest-ranked tier
 * reached wins), while `nextTier` keeps sending members towards it. createTier takes it silently;
 * as with a gift list naming one offer twice (INVALID), a ladder that can never place anyone on one
 * of its tiers is a mistake in its configuration and should be refused with nothing written.
 */
describe('break36 tiers: a ladder whose thresholds go down as ranks go up', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(() => t.close());

  it('createTier refuses a higher rank with a lower threshold than a tier of the same currency and window', async () => {
    const currency = uniqueCode('L');
    await createCurrency(t, currency, null);
    await createTier(t, { currency, code: 'B36_SILVER', rank: 801, threshold: 500 });
    const member = await createCustomer(t, currency, 120);
    // what the member reads before: 380 more points to SILVER
    const before = ok(await t.gql(ProfileDocument, {}, member.token)).me!;
    expect(before.nextTier).toMatchObject({ code: 'B36_SILVER', pointsNeeded: 380 });

    const res = dataOf(
      await t.gql(CreateTierDocument, { input: { currency, code: 'B36_GOLD', name: 'Gold', rank: 802, threshold: 100 } }, t.operatorToken),
    ).createTier;
    expect(res.userErrors.map((e) => e.code)).toEqual(['INVALID']);
    expect(res.tier).toBeNull();

    // nothing changed: no GOLD on the ladder, the member still on their way to SILVER
    const tiers = await t.sql<{ code: string }>(`select code from tier where currency_code = $1 order by rank`, [currency]);
    expect(tiers.map((x) => x.code)).toEqual(['B36_SILVER']);
    await adjust(t, member.externalId, currency, 1);
    const after = ok(await t.gql(ProfileDocument, {}, member.token)).me!;
    expect(after.tier).toBeNull();
    expect(after.nextTier).toMatchObject({ code: 'B36_SILVER', pointsNeeded: 379 });
  });
});
