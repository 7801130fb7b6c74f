import { ProfileDocument, RecordActivityDocument, SetActivityRuleDocument, UpsertCustomerDocument } from '../generated/graphql.js';
import { dataOf, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCurrency, createCustomer, createPartner, uniqueCode } from '../support/program.js';

/**
 * break36 (activities): a REFERRAL naming a CLOSED customer pays the referrer. A closed account is
 * no longer a member (it cannot sign in, earn or spend; tierMix leaves it out), so nobody was
 * brought into the program, yet the referrer earns the full referral points (500 here) and the
 * closed account's one referral is used up. Any partner with `activities:write` can turn every
 * closed account into points for whoever it names. Expected: refused (NOT_ELIGIBLE on
 * `input.reference`), nothing credited, the referrer's balance unchanged.
 */
describe('break36 activities: a referral of a closed account', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(() => t.close());

  it('is refused and credits nothing', async () => {
    const currency = uniqueCode('R');
    await createCurrency(t, currency, null);
    const partner = await createPartner(t, ['activities:write']);
    ok(await t.gql(SetActivityRuleDocument, { input: { currency, kind: 'REFERRAL', points: 500 } }, t.operatorToken));
    const referrer = await createCustomer(t, currency);
    const gone = await createCustomer(t, currency);
    ok(await t.gql(UpsertCustomerDocument, { input: { externalId: gone.externalId, status: 'CLOSED' } }, t.operatorToken));

    const res = dataOf(await t.gql(RecordActivityDocument, { customerExternalId: referrer.externalId, kind: 'REFERRAL', reference: gone.externalId }, partner.credential)).recordActivity;
    expect(res.userErrors.map((e) => e.code)).toEqual(['NOT_ELIGIBLE']);
    expect(res.pointsAwarded ?? 0).toBe(0);
    const balances = ok(await t.gql(ProfileDocument, {}, referrer.token)).me!.balances;
    expect(balances.find((b) => b.currency.code === currency)?.available ?? 0).toBe(0);
  });
});
