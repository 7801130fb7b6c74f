import { toGlobalId } from '../../src/graphql/ids.js';
import { CreateCampaignDocument } from '../generated/graphql.js';
import { dataOf, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCustomer, createPartner, earningProgram, unique } from '../support/program.js';

const DAY = 86_400_000;
const END = `mutation($input: EndCampaignInput!) { endCampaign(input: $input) { campaign { id endsAt } userErrors { code field message } } }`;
const CONDITIONS = `query($id: ID!) { node(id: $id) { ... on Campaign { startsAt endsAt conditions { minSpend skus categories channels tiers segments firstPurchase daysOfWeek } } } }`;

/**
 * break38b (campaigns), held: endCampaign's refusals (a reason of 501 characters, a partner with
 * every scope, a customer, an analyst, an id of another type, an unknown id) change nothing and log
 * nothing; a reason of exactly 500 characters, with control characters, is kept as sent; a campaign
 * row written the old way (only the columns of the first migration) reads back lists, never null;
 * a cancelled campaign reads back through node(id:) with startsAt = endsAt.
 */
describe('held: endCampaign and conditions at their edges', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
  });
  afterAll(() => t.close());

  it('refusals change nothing; 500 characters are kept', async () => {
    const { currency } = await earningProgram(t, 'A');
    const c = ok(
      await t.gql(
        CreateCampaignDocument,
        { input: { name: unique('edges'), currency, startsAt: new Date(Date.now() - DAY).toISOString(), endsAt: new Date(Date.now() + DAY).toISOString(), outcome: { bonusPoints: 5 } } as never },
        t.operatorToken,
      ),
    ).createCampaign.campaign!;
    const partner = await createPartner(t, ['transactions:write', 'transactions:read', 'customers:read', 'offers:redeem']);
    const customer = await createCustomer(t, currency);
    const codes = async (input: object, token: string) => (await t.gql(END, { input }, token)).errors?.map((e) => e.extensions?.code);
    expect(await codes({ campaignId: c.id, reason: 'x'.repeat(501) }, t.operatorToken)).toEqual(['BAD_USER_INPUT']);
    expect(await codes({ campaignId: toGlobalId('EconomyRule', 1) }, t.operatorToken)).toEqual(['BAD_USER_INPUT']);
    for (const token of [t.analystToken, customer.token]) expect(await codes({ campaignId: c.id }, token)).toEqual(['FORBIDDEN']);
    expect((await t.gql(END, { input: { campaignId: c.id } }, partner.credential)).errors?.length).toBeGreaterThan(0);
    const unknown = (dataOf(await t.gql(END, { input: { campaignId: toGlobalId('Campaign', 2 ** 53 - 1) } }, t.operatorToken)) as { endCampaign: { userErrors: { code: string }[] } }).endCampaign;
    expect(unknown.userErrors.map((e) => e.code)).toEqual(['NOT_FOUND']);
    const [before] = await t.sql<{ ends_at: Date; n: number }>(
      `select ends_at, (select count(*) from audit_entry where action = 'endCampaign' and target = 'Campaign:' || c.id)::int as n from campaign c where c.name = $1`,
      [c.name],
    );
    expect({ endsAt: before.ends_at.toISOString(), n: before.n }).toEqual({ endsAt: c.endsAt, n: 0 });

    const reason = `${'Wrong bonus\u0007\n\t'.repeat(35)}${'y'.repeat(500 - 14 * 35)}`;
    expect(reason.length).toBe(500);
    ok(await t.gql(END, { input: { campaignId: c.id, reason } }, t.operatorToken));
    const [kept] = await t.sql<{ reason: string }>(
      `select a.reason from audit_entry a join campaign c on a.target = 'Campaign:' || c.id where a.action = 'endCampaign' and c.name = $1`,
      [c.name],
    );
    expect(kept.reason).toBe(reason);
  });

  it('an old row reads back empty lists; a cancelled campaign reads startsAt = endsAt', async () => {
    const { currency } = await earningProgram(t, 'O');
    const start = new Date(Date.now() + 2 * DAY);
    const [{ id }] = await t.sql<{ id: string }>(
      `insert into campaign (name, currency_code, starts_at, ends_at, min_spend, bonus_points) values ($1, $2, $3, $4, 3, 5) returning id::text`,
      [unique('old'), currency, start, new Date(start.getTime() + DAY)],
    );
    const globalId = toGlobalId('Campaign', Number(id));
    ok(await t.gql(END, { input: { campaignId: globalId } }, t.operatorToken));
    const node = (ok(await t.gql(CONDITIONS, { id: globalId }, t.operatorToken)) as { node: { startsAt: string; endsAt: string; conditions: Record<string, unknown> } }).node;
    expect(node.startsAt).toBe(start.toISOString());
    expect(node.endsAt).toBe(start.toISOString());
    expect({ ...node.conditions, minSpend: Number(node.conditions.minSpend) }).toEqual({ minSpend: 3, skus: [], categories: [], channels: [], tiers: [], segments: [], firstPurchase: false, daysOfWeek: [] });
  });
});
