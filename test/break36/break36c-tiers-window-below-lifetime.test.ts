import { CreateTierDocument, ProfileDocument } from '../generated/graphql.js';
import { dataOf, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { adjust, createCurrency, createCustomer, createTier, uniqueCode } from '../support/program.js';

/**
 * break36c (tiers): refuseUnreachable compares only tiers of one window ("points in a shorter
 * window can exceed those of a longer one after returns, so no order between windows is sound").
 * But a lifetime count is never below a rolling window's count of the same currency: a return's
 * correction (`qualifying_adjustment`) is dated at the returned credit's moment, so it lowers
 * every count that held the credit, and lifetime points are max(0, every qualifying movement),
 * i.e. the window's movements plus older ones that net to 0 or more (each older credit minus its
 * own return); a longer window likewise holds a shorter one. Only an operator's explicit qualifying
 * debit (adjustPoints, negative, qualifying: true) can make a shorter count exceed a longer one.
 * So a lifetime (or longer-window) tier ranked above a rolling tier of the same
 * currency, at a threshold no higher, is always reached first: nobody can be placed on the
 * rolling tier, for good (tiers are never edited), while members are sent towards it. createTier
 * takes that ladder as it took the equal-window one break36 refused.
 */
describe('break36c tiers: a rolling-window tier below a lifetime tier of the same currency that needs no more points', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(() => t.close());

  const code = () => uniqueCode('W');

  it('createTier refuses a rolling tier (365 days, 1,000 points) under a lifetime GOLD at 1,000 points', async () => {
    const currency = code();
    await createCurrency(t, currency, null);
    await createTier(t, { currency, code: 'B36C_GOLD', rank: 931, threshold: 1000 });
    const res = dataOf(
      await t.gql(
        CreateTierDocument,
        { input: { currency, code: 'B36C_SILVER', name: 'Silver (this year)', rank: 930, threshold: 1000, windowDays: 365 } },
        t.operatorToken,
      ),
    ).createTier;
    // Had it been taken: a member earning 1,200 points this year holds 1,200 lifetime points too, so GOLD.
    const member = await createCustomer(t, currency, 0);
    await adjust(t, member.externalId, currency, 1200);
    const me = ok(await t.gql(ProfileDocument, {}, member.token)).me!;
    // and one with 300 points is sent towards SILVER ("700 points needed"), which at 1,000 makes them GOLD
    const onTheWay = await createCustomer(t, currency, 300);
    const next = ok(await t.gql(ProfileDocument, {}, onTheWay.token)).me!.nextTier;
    expect({
      codes: res.userErrors.map((e) => e.code),
      field: res.userErrors[0]?.field ?? null,
      namesGold: /B36C_GOLD/.test(res.userErrors[0]?.message ?? ''),
      tier: res.tier?.code ?? null,
      next: next && { code: next.code, pointsNeeded: next.pointsNeeded },
    }).toEqual({ codes: ['INVALID'], field: ['input', 'threshold'], namesGold: true, tier: null, next: { code: 'B36C_GOLD', pointsNeeded: 700 } });
    // (whether refused or not, the member who earned 1,200 this year is GOLD: SILVER is never reached)
    expect(me.tier?.code).toBe('B36C_GOLD');
  });

  it('and a 30-day tier under a 365-day tier of the same currency needing no more points (a year holds the month)', async () => {
    const currency = code();
    await createCurrency(t, currency, null);
    await createTier(t, { currency, code: 'B36C_YEARLY', rank: 936, threshold: 800, windowDays: 365 });
    const res = dataOf(
      await t.gql(CreateTierDocument, { input: { currency, code: 'B36C_MONTHLY', name: 'This month', rank: 935, threshold: 800, windowDays: 30 } }, t.operatorToken),
    ).createTier;
    expect({ codes: res.userErrors.map((e) => e.code), tier: res.tier?.code ?? null }).toEqual({ codes: ['INVALID'], tier: null });
  });

  it('the ladder the rule should still take: a rolling tier above a lifetime one, whatever its threshold', async () => {
    const currency = code();
    await createCurrency(t, currency, null);
    await createTier(t, { currency, code: 'B36C_LIFE', rank: 940, threshold: 1000 });
    const res = dataOf(
      await t.gql(CreateTierDocument, { input: { currency, code: 'B36C_YEAR', name: 'This year', rank: 941, threshold: 500, windowDays: 365 } }, t.operatorToken),
    ).createTier;
    expect(res.userErrors).toEqual([]);
    expect(res.tier?.code).toBe('B36C_YEAR');
  });
});
