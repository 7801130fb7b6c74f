import { CreateCampaignDocument, SetEconomyRuleDocument } from '../generated/graphql.js';
import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCustomer, createPartner, earningProgram, processedSale, unique } from '../support/program.js';
import { toGlobalId } from '../../src/graphql/ids.js';
import { recordStatements } from '../support/statements.js';

/**
 * break37c (API), held: break37 made `node(id:)` and `nodes(ids:)` answer Campaign, EconomyRule
 * and AuditEntry to staff. Attacked: who else reads them by id (a member, a partner holding every
 * scope: null, as before), analysts (read-only staff: they read the lists, so they get the nodes),
 * ids that name no row (null), an economy rule's id after setEconomyRule replaced it (the same id,
 * the new rule, as `economyRules` answers it), a campaign's `pointsAwarded` (the same as the
 * list's, after a sale it awarded), and 100 ids at once (one statement per type, not one per id).
 */
describe('break37c api (held): node(id:) of Campaign, EconomyRule and AuditEntry', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(() => t.close());

  const NODES = `query Nodes($ids: [ID!]!) { nodes(ids: $ids) {
    __typename id
    ... on Campaign { name pointsAwarded currency { code } offer { id } }
    ... on EconomyRule { pointsPerUnit version currency { code } }
    ... on AuditEntry { action target }
  } }`;
  type Answer = { nodes: ({ __typename: string; id: string } & Record<string, unknown>)[] | null };
  const nodesAs = async (ids: string[], credential: Parameters<TestGateway['gql']>[2]) => t.gql<Answer, unknown>(NODES, { ids }, credential);

  it('answers staff only, with what the lists answer, for rows that exist', async () => {
    const { money, currency } = await earningProgram(t, 'N37C');
    const now = t.clock.now().getTime();
    const campaign = ok(
      await t.gql(
        CreateCampaignDocument,
        { input: { name: unique('Bonus'), currency, startsAt: new Date(now - 60_000).toISOString(), endsAt: new Date(now + 86_400_000).toISOString(), outcome: { bonusPoints: 7 } } as never },
        t.operatorToken,
      ),
    ).createCampaign.campaign!;
    const member = await createCustomer(t, currency);
    const till = await createPartner(t, ['customers:read', 'offers:redeem', 'transactions:write', 'transactions:read', 'activities:write', 'webhooks:manage']);
    await processedSale(t, till, member.externalId, money, 5);

    const listed = ok(
      await t.gql<{ campaigns: { id: string; pointsAwarded: number }[]; economyRules: { id: string; currency: { code: string } }[]; auditLog: { edges: { node: { id: string } }[] } }, unknown>(
        `{ campaigns { id pointsAwarded } economyRules { id currency { code } } auditLog(first: 1) { edges { node { id } } } }`,
        {},
        t.analystToken,
      ),
    );
    const ruleId = listed.economyRules.find((r) => r.currency.code === currency)!.id;
    const auditId = listed.auditLog.edges[0].node.id;
    const awarded = listed.campaigns.find((c) => c.id === campaign.id)!.pointsAwarded;
    expect(awarded).toBe(7);

    // The rule set again: its id names the new rule.
    ok(await t.gql(SetEconomyRuleDocument, { input: { currency, pointsPerUnit: '3' } as never }, t.operatorToken));
    const ids = [campaign.id, ruleId, auditId, toGlobalId('Campaign', 987654), toGlobalId('EconomyRule', 987654), toGlobalId('AuditEntry', 987654321)];

    const byStaff = {
      analyst: ok(await nodesAs(ids, t.analystToken)).nodes,
      operator: ok(await nodesAs(ids, t.operatorToken)).nodes,
    };
    const seen = [
      { __typename: 'Campaign', id: campaign.id, name: campaign.name, pointsAwarded: 7, currency: { code: currency }, offer: null },
      { __typename: 'EconomyRule', id: ruleId, pointsPerUnit: '3.0000', version: 2, currency: { code: currency } },
      { __typename: 'AuditEntry', id: auditId, action: expect.any(String), target: expect.any(String) },
      null,
      null,
      null,
    ];
    expect(byStaff).toEqual({ analyst: seen, operator: seen });

    const byOthers = {
      member: ok(await nodesAs(ids, member.token)).nodes,
      partner: ok(await nodesAs(ids, till.credential)).nodes,
    };
    const none = ids.map(() => null);
    expect(byOthers).toEqual({ member: none, partner: none });
  });

  it('reads 100 ids of the three types in one statement per type', async () => {
    const { currency } = await earningProgram(t, 'N37D');
    const now = t.clock.now().getTime();
    const campaigns: string[] = [];
    for (let i = 0; i < 60; i++) {
      const made = ok(
        await t.gql(
          CreateCampaignDocument,
          { input: { name: unique('Many'), currency, startsAt: new Date(now).toISOString(), endsAt: new Date(now + 86_400_000).toISOString(), outcome: { bonusPoints: 1 } } as never },
          t.operatorToken,
        ),
      ).createCampaign.campaign!;
      campaigns.push(made.id);
    }
    const audit = ok(await t.gql<{ auditLog: { edges: { node: { id: string } }[] } }, unknown>(`{ auditLog(first: 39) { edges { node { id } } } }`, {}, t.analystToken)).auditLog.edges.map((e) => e.node.id);
    const rule = ok(await t.gql<{ economyRules: { id: string; currency: { code: string } }[] }, unknown>(`{ economyRules { id currency { code } } }`, {}, t.operatorToken)).economyRules.find(
      (r) => r.currency.code === currency,
    )!.id;
    const ids = [...campaigns, ...audit, rule];
    expect(ids).toHaveLength(100);

    const recording = recordStatements();
    let answer: Answer;
    try {
      answer = ok(await nodesAs(ids, t.operatorToken));
    } finally {
      recording.stop();
    }
    const sent = recording.take().map((s) => s.text.replace(/\s+/g, ' '));
    expect(answer.nodes!.map((n) => n?.__typename)).toEqual([...campaigns.map(() => 'Campaign'), ...audit.map(() => 'AuditEntry'), 'EconomyRule']);
    const reads = {
      campaign: sent.filter((s) => /from campaign c where/.test(s)).length,
      auditEntry: sent.filter((s) => /from "audit_entry"/.test(s)).length,
      economyRule: sent.filter((s) => /from economy_rule r where/.test(s)).length,
    };
    expect(reads).toEqual({ campaign: 1, auditEntry: 1, economyRule: 1 });
  });
});
