import { CreateCampaignDocument, SetEconomyRuleDocument } from '../generated/graphql.js';
import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { adjust, createCurrency, createCustomer, unique } from '../support/program.js';

/**
 * break37 (API): "Objects that clients refetch implement `Node` with global ids" (SPEC §3), and
 * `node(id:)` is "Any object by its global id; null if it does not exist or is not yours to see".
 * `Campaign`, `EconomyRule` and `AuditEntry` implement `Node`; the staff reads (`campaigns`,
 * `economyRules`, `auditLog`) hand out their ids; yet `node(id:)` and `nodes(ids:)` answer null
 * for each, also to the staff who just listed them (src/graphql/node.resolver.ts has no case for
 * Campaign or EconomyRule; AuditEntry's is `return null`). A console (Apollo's cache, Relay's
 * refetch) that refetches a campaign it shows, or an audit entry an analyst opened, is told it
 * does not exist. A correct gateway answers each with the object, as it does an offer or a tier.
 */
describe('break37 api: node(id:) of the Node types staff read', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
  });
  afterAll(() => t.close());

  const NODE = `query Refetch($id: ID!) { node(id: $id) { __typename id } }`;
  const refetch = async (id: string, token: string) => ok(await t.gql<{ node: { __typename: string; id: string } | null }, unknown>(NODE, { id }, token)).node;

  it('answers a campaign, an economy rule and an audit entry to the staff who listed them', async () => {
    const currency = (await createCurrency(t, 'NODE37')).code;
    const now = t.clock.now().getTime();
    const campaign = ok(
      await t.gql(
        CreateCampaignDocument,
        { input: { name: unique('Weekend bonus'), currency, startsAt: new Date(now).toISOString(), endsAt: new Date(now + 86_400_000).toISOString(), outcome: { bonusPoints: 5 } } as never },
        t.operatorToken,
      ),
    ).createCampaign.campaign!;
    ok(await t.gql(SetEconomyRuleDocument, { input: { currency, pointsPerUnit: '10' } as never }, t.operatorToken));
    const member = await createCustomer(t, currency);
    await adjust(t, member.externalId, currency, 25);

    const listed = ok(
      await t.gql<{ campaigns: { id: string }[]; economyRules: { id: string }[] }, unknown>(`{ campaigns { id } economyRules { id } }`, {}, t.operatorToken),
    );
    const ruleId = listed.economyRules[0].id;
    expect(listed.campaigns.map((c) => c.id)).toContain(campaign.id);
    const audit = ok(await t.gql<{ auditLog: { edges: { node: { id: string } }[] } }, unknown>(`{ auditLog(first: 1) { edges { node { id } } } }`, {}, t.analystToken)).auditLog;
    const auditId = audit.edges[0].node.id;

    const answers = {
      campaign: await refetch(campaign.id, t.operatorToken),
      economyRule: await refetch(ruleId, t.operatorToken),
      auditEntry: await refetch(auditId, t.analystToken),
    };
    expect(answers).toEqual({
      campaign: { __typename: 'Campaign', id: campaign.id },
      economyRule: { __typename: 'EconomyRule', id: ruleId },
      auditEntry: { __typename: 'AuditEntry', id: auditId },
    });
  });
});
