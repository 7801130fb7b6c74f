import { query, sql } from '../../src/db/sql.js';
import { webhookDeliveriesPageSql } from '../../src/webhooks/webhook.service.js';
import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';

const FAILED_PAGE = `query Failed($after: String) {
  webhookDeliveries(first: 30, status: FAILED, after: $after) { edges { node { messageId } } pageInfo { hasNextPage endCursor } } }`;
type FailedPage = { webhookDeliveries: { edges: { node: { messageId: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } };

/** Plan nodes, depth first. */
type PlanNode = { 'Node Type': string; 'Relation Name'?: string; 'Index Name'?: string; Plans?: PlanNode[] };
const nodesOf = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(nodesOf)];

/**
 * webhooks-23 (break3-22 "Left"): `webhookDeliveries(status: FAILED)`, the console's Webhooks page,
 * read the log by id downwards and filtered the status, so FAILED deliveries older than many
 * DELIVERED ones (a partner down past the schedule, then weeks of traffic within the retention)
 * cost a scan of all of those per page: 212 ms and 24 886 buffers for a page at 1 000 000
 * deliveries (Migration20261203090000's note). Asserted on the plan's shape, not on time, at
 * 20 000 DELIVERED deliveries newer than 45 FAILED ones, with the page's answer beside it.
 */
describe('the FAILED deliveries page reads webhook_delivery_undelivered_idx (webhooks-23)', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
  });
  afterAll(() => t.close());

  it('pages through the FAILED deliveries by the index, not through the DELIVERED ones', async () => {
    const [{ id: endpointId }] = await t.sql<{ id: string }>(
      `insert into webhook_endpoint (url, event_types, secret, created_by) values ('https://hooks.example/h', '{balance.changed}', 'whsec_x', 'test') returning id`,
    );
    await t.sql(
      `insert into webhook_delivery (endpoint_id, event_id, event_type, body, status, attempts, last_error, finished_at)
       select $1, g, 'balance.changed', '{}', case when g <= 45 then 'FAILED' else 'DELIVERED' end, 1, case when g <= 45 then 'HTTP 503' end, now()
         from generate_series(1, 20045) g`,
      [endpointId],
    );
    await t.sql(`analyze webhook_delivery`);

    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: FailedPage['webhookDeliveries'] = ok(await t.gql<FailedPage, unknown>(FAILED_PAGE, { after }, t.analystToken)).webhookDeliveries;
      seen.push(...page.edges.map((e) => e.node.messageId));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(Array.from({ length: 45 }, (_, i) => `evt_${45 - i}`));

    // The statement the page runs, for its first page and a later one, any endpoint or this one.
    for (const [endpoint, cursor] of [[null, null], [null, 30], [Number(endpointId), null]] as const) {
      const [{ 'QUERY PLAN': [{ Plan: plan }] }] = await query<{ 'QUERY PLAN': { Plan: PlanNode }[] }>(
        t.orm.em.fork(),
        sql`explain (format json) ${webhookDeliveriesPageSql({ endpointId: endpoint, status: 'FAILED' }, { kind: 'WebhookDelivery', limit: 30, after: cursor === null ? null : [cursor] })}`,
      );
      const reads = nodesOf(plan).filter((n) => n['Relation Name'] === 'webhook_delivery');
      expect(reads.map((n) => `${n['Node Type']} ${n['Index Name'] ?? ''}`.trim())).toEqual([expect.stringMatching(/^Index (Only )?Scan webhook_delivery_undelivered_idx$/)]);
    }
  }, 120_000);
});
