import { toGlobalId } from '../../src/graphql/ids.js';
import { signToken } from '../../src/http/auth.js';
import { UpsertCustomerDocument } from '../generated/graphql.js';
import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { recordStatements, sentFor, type SentStatement } from '../support/statements.js';

/** The audit log as the console reads it, with the time window (audit-49). */
const LOG = `query($about: ID, $actor: String, $action: String, $from: DateTime, $to: DateTime, $first: Int, $after: String) {
  auditLog(about: $about, actor: $actor, action: $action, from: $from, to: $to, first: $first, after: $after) {
    edges { cursor node { action actor reason at } }
    pageInfo { hasNextPage endCursor }
  }
}`;
type LogArgs = { about?: string; actor?: string; action?: string; from?: string; to?: string; first?: number; after?: string | null };
type LogAnswer = { auditLog: { edges: { cursor: string; node: { action: string; actor: string; reason: string | null; at: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } };
/** Plan nodes, depth first. */
type PlanNode = { 'Node Type': string; 'Index Name'?: string; Plans?: PlanNode[] };
const nodesOf = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(nodesOf)];

/**
 * audit-49: staff read the audit log of a time window ("what did the desk change on 2 December?"),
 * newest first by the time of each change. Before, the log had no time filter: the only way to a
 * day three months back was Show older, page after page from today.
 */
describe('the audit log of a time window (audit-49)', () => {
  let t: TestGateway;
  let ann: string;
  const log = (args: LogArgs) => t.gql<LogAnswer, LogArgs>(LOG, args, t.operatorToken);
  const page = async (args: LogArgs) => ok(await log({ first: 100, ...args })).auditLog;
  /** Each entry of the page as `reason@at`: the reason names which change it is. */
  const entries = async (args: LogArgs) => (await page(args)).edges.map((e) => `${e.node.reason}@${e.node.at}`);
  const upsert = async (input: Record<string, unknown>, credential = t.operatorToken) => ok(await t.gql(UpsertCustomerDocument, { input: input as { externalId: string } }, credential));

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    const two = await signToken(t.config, { sub: 'staff-two', role: 'operator' });
    // Five changes; the fourth made with the clock set back (an operator's clock, or a test's): its id
    // is after the third's, its time between the first's and the second's.
    t.clock.freeze();
    const at = (iso: string) => t.clock.moveTo(Date.parse(iso));
    at('2030-12-01T10:00:00.000Z');
    await upsert({ externalId: 'win-ann', name: 'Ann Window', reason: 'A: created' });
    at('2030-12-02T00:00:00.000Z'); // exactly on a day's boundary
    await upsert({ externalId: 'win-ann', name: 'Ann Window-Smith', reason: 'B: renamed' });
    at('2030-12-03T09:00:00.000Z');
    await upsert({ externalId: 'win-ann', status: 'SUSPENDED', reason: 'C: suspended' }, two);
    at('2030-12-01T12:00:00.000Z');
    await upsert({ externalId: 'win-bob', name: 'Bob Window', reason: 'D: created, clock set back' });
    at('2030-12-04T08:00:00.000Z');
    await upsert({ externalId: 'win-bob', name: 'Bob Window-Jones', reason: 'E: renamed' });
    t.clock.reset();
    ann = (ok(await t.gql(`query { customer(externalId: "win-ann") { id } }`, {}, t.operatorToken)) as { customer: { id: string } }).customer.id;
  });
  afterAll(() => t.close());

  it('keeps the changes made in [from, to), newest first by their time', async () => {
    // a day: the change at its first instant is in it, the one at the next day's first instant is not
    expect(await entries({ from: '2030-12-01T00:00:00Z', to: '2030-12-02T00:00:00Z' })).toEqual([
      'D: created, clock set back@2030-12-01T12:00:00.000Z',
      'A: created@2030-12-01T10:00:00.000Z',
    ]);
    expect(await entries({ from: '2030-12-02T00:00:00Z' })).toEqual(['E: renamed@2030-12-04T08:00:00.000Z', 'C: suspended@2030-12-03T09:00:00.000Z', 'B: renamed@2030-12-02T00:00:00.000Z']);
    // by time, not by the order committed in: D, committed after C, was made before B
    expect(await entries({ from: '2030-01-01T00:00:00Z', to: '2030-12-03T00:00:00Z' })).toEqual([
      'B: renamed@2030-12-02T00:00:00.000Z',
      'D: created, clock set back@2030-12-01T12:00:00.000Z',
      'A: created@2030-12-01T10:00:00.000Z',
    ]);
    // an offset is an instant: 01:00 at +01:00 is midnight UTC, so B is the window's first change
    expect(await entries({ from: '2030-12-02T01:00:00+01:00', to: '2030-12-03T09:00:00Z' })).toEqual(['B: renamed@2030-12-02T00:00:00.000Z']);
    // a window with nothing in it: an empty page, not an error
    expect(await page({ from: '2030-12-05T00:00:00Z' })).toEqual({ edges: [], pageInfo: { hasNextPage: false, endCursor: null } });
  });

  it('pages through a window one change at a time, each once, in its order', async () => {
    const window = { from: '2030-01-01T00:00:00Z', to: '2031-01-01T00:00:00Z' };
    const seen: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 10; i++) {
      const one: LogAnswer['auditLog'] = await page({ ...window, first: 1, after });
      seen.push(...one.edges.map((e) => e.node.reason ?? ''));
      if (!one.pageInfo.hasNextPage) break;
      after = one.pageInfo.endCursor;
    }
    expect(seen).toEqual(['E: renamed', 'C: suspended', 'B: renamed', 'D: created, clock set back', 'A: created']);
  });

  it("takes a cursor from the whole log as a place in time: the changes made before that one's", async () => {
    // the whole log, in the order committed in: E, D, C, B, A
    const whole = await page({});
    const d = whole.edges.find((e) => e.node.reason === 'D: created, clock set back')!;
    expect(whole.edges.slice(0, 5).map((e) => e.node.reason?.[0])).toEqual(['E', 'D', 'C', 'B', 'A']);
    // in time, only A was made before D
    expect(await entries({ from: '2030-01-01T00:00:00Z', after: d.cursor })).toEqual(['A: created@2030-12-01T10:00:00.000Z']);
  });

  it('with the other filters: about a customer, by an actor', async () => {
    // a change to Ann's wallet offer (as issueReplacementOffer records it: its target the offer, customer_id hers), made on 3 December
    await t.sql(
      `insert into audit_entry (actor, action, target, customer_id, reason, at)
       select 'staff:staff-op', 'issueReplacementOffer', 'IssuedOffer:999999', id, 'W: wallet', '2030-12-03T10:00:00Z' from customer where external_id = 'win-ann'`,
    );
    expect(await entries({ about: ann, from: '2030-12-02T00:00:00Z', to: '2030-12-04T00:00:00Z' })).toEqual([
      'W: wallet@2030-12-03T10:00:00.000Z',
      'C: suspended@2030-12-03T09:00:00.000Z',
      'B: renamed@2030-12-02T00:00:00.000Z',
    ]);
    expect(await entries({ about: ann, to: '2030-12-02T00:00:00Z' })).toEqual(['A: created@2030-12-01T10:00:00.000Z']);
    expect(await entries({ actor: 'staff:staff-two', from: '2030-12-01T00:00:00Z' })).toEqual(['C: suspended@2030-12-03T09:00:00.000Z']);
    expect(await entries({ actor: 'staff:staff-two', to: '2030-12-03T09:00:00Z' })).toEqual([]);
  });

  it('refuses a to not after from, and an instant it cannot read', async () => {
    const refusal = async (args: LogArgs) => {
      const res = await log(args);
      return [res.data ?? null, res.errors?.map((e) => [e.extensions?.code, e.extensions?.field ?? null])];
    };
    expect(await refusal({ from: '2030-12-02T00:00:00Z', to: '2030-12-02T00:00:00Z' })).toEqual([null, [['BAD_USER_INPUT', ['to']]]]);
    expect(await refusal({ from: '2030-12-03T00:00:00Z', to: '2030-12-02T00:00:00Z' })).toEqual([null, [['BAD_USER_INPUT', ['to']]]]);
    const unreadable = await log({ from: '2 December' });
    expect(unreadable.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    expect(unreadable.errors?.[0].message).toMatch(/from/);
  });

  // Ordered by id, a window far back read every later entry before its first: the planner, taking
  // the window's entries as spread evenly through the ids, walked the primary key from the newest.
  // And a review of the first version (the time index alone): with a filter whose entries all lie
  // after the window (a new hire's, a new customer's), the window was read backwards to its start
  // and every other entry dropped, for an empty page.
  it("reads a window far back in a long log a page's worth, with or without a filter whose entries lie elsewhere", async () => {
    const customer = 777_777; // entries name a customer's row id; none need exist for the log to be read
    await t.sql(
      `insert into audit_entry (actor, action, target, customer_id, at)
       select case when i % 10 = 0 then 'staff:plan-op' else 'system:crm-sync' end, 'updateCustomer', 'Customer:' || (i % 3000 + 1), null,
              timestamptz '2029-01-01' + i * interval '150 seconds'
       from generate_series(1, 200000) i
       union all
       -- a new hire's changes, and a customer's own and their wallet's, all in December
       select case when i % 3 = 0 then 'staff:new-hire' else 'staff:plan-op' end,
              case when i % 2 = 0 then 'updateCustomer' else 'issueReplacementOffer' end,
              case when i % 2 = 0 then 'Customer:${customer}' else 'IssuedOffer:' || i end,
              case when i % 2 = 0 then null else ${customer} end,
              timestamptz '2029-12-01' + i * interval '60 seconds'
       from generate_series(1, 6000) i`,
    );
    await t.sql('analyze audit_entry');
    const windowArgs = { from: '2029-02-01T00:00:00Z', to: '2029-02-02T00:00:00Z', first: 30 };
    const beforeDecember = { from: '2029-02-01T00:00:00Z', to: '2029-07-01T00:00:00Z', first: 30 };
    const recorder = recordStatements();
    const results: Awaited<ReturnType<typeof log>>[] = [];
    let sent: SentStatement[] = [];
    try {
      const first = await log(windowArgs);
      const firstPage = ok(first).auditLog;
      expect(firstPage.edges.map((e) => e.node.at)).toEqual(Array.from({ length: 30 }, (_, i) => new Date(Date.parse('2029-02-02T00:00:00Z') - (i + 1) * 150_000).toISOString()));
      const second = await log({ ...windowArgs, after: firstPage.pageInfo.endCursor });
      expect(ok(second).auditLog.edges[0].node.at).toBe(new Date(Date.parse('2029-02-02T00:00:00Z') - 31 * 150_000).toISOString());
      const byActor = await log({ ...windowArgs, actor: 'staff:plan-op' });
      expect(ok(byActor).auditLog.edges).toHaveLength(30);
      results.push(first, second, byActor);
      // none of theirs before December: empty pages, read from their own entries
      for (const args of [
        { ...beforeDecember, actor: 'staff:new-hire' },
        { to: beforeDecember.to, actor: 'staff:new-hire' },
        { ...beforeDecember, actor: 'staff:new-hire', action: 'updateCustomer' },
        { ...beforeDecember, action: 'issueReplacementOffer' },
        { to: beforeDecember.to, about: toGlobalId('Customer', customer) },
        { ...beforeDecember, about: toGlobalId('Customer', customer) },
      ]) {
        const none = await log(args);
        expect(ok(none).auditLog.edges).toEqual([]);
        results.push(none);
      }
      const all = recorder.take();
      sent = results.map((result) => sentFor(all, result).find((st) => st.text.includes('from "audit_entry"'))!);
    } finally {
      recorder.stop();
    }
    expect(sent).toHaveLength(9);
    for (const { text, values } of sent) {
      const [{ 'QUERY PLAN': [plan] }] = await t.sql<{ 'QUERY PLAN': { Plan: PlanNode & { 'Shared Hit Blocks': number; 'Shared Read Blocks': number } }[] }>(
        `explain (analyze, buffers, format json) ${text}`,
        values ?? [],
      );
      // an index of the time (alone, or after the filter's value)
      expect(nodesOf(plan.Plan).some((n) => /^audit_entry_(\w+_)?at_idx$/.test(n['Index Name'] ?? ''))).toBe(true);
      // a page's entries and the index pages above them; the id order read ~170,000 entries first,
      // the time index alone with a new hire's filter ~86,000 (thousands of buffers)
      expect(plan.Plan['Shared Hit Blocks'] + plan.Plan['Shared Read Blocks']).toBeLessThan(80);
    }
  }, 60_000);
});
