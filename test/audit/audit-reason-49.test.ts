import { UpsertCustomerDocument } from '../generated/graphql.js';
import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { recordStatements, sentFor } from '../support/statements.js';

const LOG = `query($reason: String, $actor: String, $from: DateTime, $first: Int, $after: String) {
  auditLog(reason: $reason, actor: $actor, from: $from, first: $first, after: $after) {
    edges { node { action actor reason } }
    pageInfo { hasNextPage endCursor }
  }
}`;
type LogArgs = { reason?: string; actor?: string; from?: string; first?: number; after?: string | null };
type LogAnswer = { auditLog: { edges: { node: { action: string; actor: string; reason: string | null } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } };
/** Plan nodes, depth first. */
type PlanNode = { 'Node Type': string; 'Index Name'?: string; Plans?: PlanNode[] };
const nodesOf = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(nodesOf)];

/**
 * audit-49b: staff find the changes whose reason holds some words ("stolen", "goodwill"), case and
 * accents aside. Before, a reason was read only by paging through the log (audit-46's "Not done: a
 * free-text search of reasons").
 */
describe('the audit log of the changes whose reason holds some words (audit-49b)', () => {
  let t: TestGateway;
  const log = (args: LogArgs) => t.gql<LogAnswer, LogArgs>(LOG, args, t.operatorToken);
  const reasons = async (args: LogArgs) => ok(await log({ first: 100, ...args })).auditLog.edges.map((e) => e.node.reason);

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    // one written by the API, as an operator writes it; the others as the log holds them
    ok(await t.gql(UpsertCustomerDocument, { input: { externalId: 'reason-ann', status: 'SUSPENDED', reason: 'Card reported STOLEN at the till' } }, t.operatorToken));
    await t.sql(
      `insert into audit_entry (actor, action, target, reason, at)
       select 'staff:reason-op', 'adjustPoints', 'PointCurrency:PTS', r, now() + n * interval '1 second'
         from unnest(array['Goodwill: late delivery', '1000 points moved by the CRM', '100% off applied by mistake', 'under_score in a name',
                           'Refund to Ross', 'Café visit refund', 'goodwill', 'a backslash \\ here']) with ordinality as x(r, n)
       union all
       select 'system:crm-sync', 'updateCustomer', 'Customer:1', null, now() from generate_series(1, 5)`,
    );
  });
  afterAll(() => t.close());

  it('finds the reasons holding the words anywhere, case and accents aside, newest first', async () => {
    expect(await reasons({ reason: 'stolen' })).toEqual(['Card reported STOLEN at the till']);
    expect(await reasons({ reason: 'GOODWILL' })).toEqual(['goodwill', 'Goodwill: late delivery']);
    expect(await reasons({ reason: 'cafe' })).toEqual(['Café visit refund']);
    expect(await reasons({ reason: '  CAFÉ VISIT ' })).toEqual(['Café visit refund']);
    expect(await reasons({ reason: 'refund' })).toEqual(['Café visit refund', 'Refund to Ross']);
    expect(await reasons({ reason: 'no such words' })).toEqual([]);
  });

  it("reads %, _ and a backslash as themselves, not as LIKE's wildcards", async () => {
    // as wildcards, "100%" would also find "1000 points…", "r_s" "Refund to Ross", "\ h" nothing or an error
    expect(await reasons({ reason: '100%' })).toEqual(['100% off applied by mistake']);
    expect(await reasons({ reason: 'r_s' })).toEqual(['under_score in a name']);
    expect(await reasons({ reason: 'h \\ h' })).toEqual(['a backslash \\ here']);
    expect(await reasons({ reason: '%%%' })).toEqual([]);
  });

  it('with the other filters, and a page at a time', async () => {
    expect(await reasons({ reason: 'refund', actor: 'staff:reason-op' })).toEqual(['Café visit refund', 'Refund to Ross']);
    expect(await reasons({ reason: 'stolen', actor: 'staff:reason-op' })).toEqual([]);
    expect(await reasons({ reason: 'goodwill', from: '2000-01-01T00:00:00Z' })).toEqual(['goodwill', 'Goodwill: late delivery']);
    const first = ok(await log({ reason: 'goodwill', first: 1 })).auditLog;
    const second = ok(await log({ reason: 'goodwill', first: 1, after: first.pageInfo.endCursor })).auditLog;
    expect([first.edges[0].node.reason, first.pageInfo.hasNextPage, second.edges[0].node.reason, second.pageInfo.hasNextPage]).toEqual(['goodwill', true, 'Goodwill: late delivery', false]);
  });

  it('refuses a search under 3 characters, a blank one, and one over 320', async () => {
    const refusal = async (reason: string) => {
      const res = await log({ reason });
      return [res.data ?? null, res.errors?.map((e) => [e.extensions?.code, e.extensions?.field, e.message])];
    };
    expect(await refusal(' ab ')).toEqual([null, [['BAD_USER_INPUT', ['reason'], 'reason must have at least 3 characters to search for']]]);
    expect((await refusal(' \u200b'))[1]).toEqual([['BAD_USER_INPUT', ['reason'], expect.stringMatching(/^reason must not be blank/)]]);
    expect(await refusal('x'.repeat(321))).toEqual([null, [['BAD_USER_INPUT', ['reason'], 'reason must have at most 320 characters']]]);
  });

  it("reads a rare reason's entries by the reasons' trigram index, and a common one's page among the newest, never the whole log", async () => {
    await t.sql(
      `insert into audit_entry (actor, action, target, reason, at)
       select 'staff:bulk', 'adjustPoints', 'PointCurrency:PTS', case when i % 2 = 0 then 'Monthly goodwill run' end, now() - i * interval '1 minute'
         from generate_series(1, 100000) i
       union all
       select 'staff:bulk', 'adjustPoints', 'PointCurrency:PTS', 'Chargeback from the acquirer', now() - interval '300 days' from generate_series(1, 3)`,
    );
    // as autovacuum leaves it: the rows inserted at once since the index was built wait in its
    // pending list (GIN's fast update), which every search reads whole until a vacuum merges it
    await t.sql('vacuum analyze audit_entry');
    const recorder = recordStatements();
    let sent;
    try {
      const rare = await log({ reason: 'chargeback', first: 30 });
      expect(ok(rare).auditLog.edges.map((e) => e.node.reason)).toEqual(Array(3).fill('Chargeback from the acquirer'));
      const common = await log({ reason: 'goodwill', first: 30 });
      expect(ok(common).auditLog.edges.map((e) => e.node.reason)).toEqual(Array(30).fill('Monthly goodwill run'));
      const all = recorder.take();
      sent = [rare, common].map((result) => sentFor(all, result).find((st) => st.text.includes('from "audit_entry"'))!);
    } finally {
      recorder.stop();
    }
    const plans = [];
    for (const { text, values } of sent) {
      const [{ 'QUERY PLAN': [plan] }] = await t.sql<{ 'QUERY PLAN': { Plan: PlanNode & { 'Shared Hit Blocks': number; 'Shared Read Blocks': number } }[] }>(
        `explain (analyze, buffers, format json) ${text}`,
        values ?? [],
      );
      plans.push({ indexes: nodesOf(plan.Plan).map((n) => n['Index Name']).filter(Boolean), buffers: plan.Plan['Shared Hit Blocks'] + plan.Plan['Shared Read Blocks'] });
    }
    // the rare word: the newest 2,000 entries, then its three older ones by the reasons' index; the
    // common word: its page within the newest 2,000, the index not read. Before (one read by the
    // index, then a sort): the common word fetched and sorted all its 50,002 entries, 1,331 buffers.
    expect(plans.map((p) => p.indexes.includes('audit_entry_reason_key_idx'))).toEqual([true, true]);
    expect(plans.map((p) => p.buffers < 80)).toEqual([true, true]);
  }, 60_000);
});
