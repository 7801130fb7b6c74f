import pg from 'pg';
import { dataOf, startTestGateway, type TestGateway } from '../support/gateway.js';
import { adjust, createCurrency, createCustomer, uniqueCode } from '../support/program.js';
import { dispatchAllButDeliveries, Receiver, settleWebhooks } from '../support/webhook-receiver.js';

/**
 * held38d (live): break38c's `stillOwedAfterRemoval` (a removed endpoint's types stay wanted only
 * while its removal snapshot's xmax is past the dispatch cursor's xmin), attacked with a long
 * transaction (a console session left open, with an xid) held across the registration, the
 * dispatcher's runs, the removal and the enable, so the cursor's xmin stays behind everything. Held:
 * the +2 committed before the removal and read after it ends FAILED "The endpoint was removed."
 * (not silently dropped), the +3 of the removed time gets no delivery, in runs made while the long
 * transaction is open and after it commits; after the enable one replay sends the +2, and the +4
 * committed after the enable is sent.
 */
describe('held38d-live: a long transaction open across a removal', () => {
  let t: TestGateway;
  let receiver: Receiver;
  let long: pg.Client;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    receiver = await new Receiver().start();
    long = new pg.Client({ connectionString: t.databaseUrl });
    await long.connect();
  });
  afterAll(async () => {
    await long.end();
    await receiver.close();
    await t.close();
  });

  const op = async <T>(query: string, input: Record<string, unknown>) => dataOf(await t.gql<T, unknown>(query, { input }, t.operatorToken));
  const sent = () => receiver.requests.map((r) => (JSON.parse(r.body) as { data: { change: { amount: number } } }).data.change.amount).sort();

  it('ends the pre-removal event FAILED, sends nothing of the removed time, replays it after the enable', async () => {
    const currency = (await createCurrency(t, uniqueCode('H38D'))).code;
    const member = await createCustomer(t, currency, 0);
    await long.query('begin');
    await long.query('select pg_current_xact_id()'); // an xid: every snapshot's xmin stays at most this
    const { registerWebhookEndpoint } = await op<{ registerWebhookEndpoint: { endpoint: { id: string } } }>(
      `mutation R($input: RegisterWebhookEndpointInput!) { registerWebhookEndpoint(input: $input) { endpoint { id } userErrors { code } } }`,
      { url: receiver.url, eventTypes: ['BALANCE_CHANGED'] },
    );
    const endpointId = registerWebhookEndpoint.endpoint.id;
    await adjust(t, member.externalId, currency, 1);
    await settleWebhooks(t);
    expect(sent()).toEqual([1]);

    await adjust(t, member.externalId, currency, 2); // committed while live, not read yet
    await op(`mutation X($input: RemoveWebhookEndpointInput!) { removeWebhookEndpoint(input: $input) { userErrors { code } } }`, { endpointId });
    await adjust(t, member.externalId, currency, 3); // committed while removed
    await dispatchAllButDeliveries(t);
    await dispatchAllButDeliveries(t);
    await long.query('commit');
    await settleWebhooks(t);

    const rows = await t.sql<{ amount: number; status: string; last_error: string | null }>(
      `select (body::jsonb #>> '{data,change,amount}')::int as amount, status, last_error from webhook_delivery order by 1`,
    );
    expect(rows.map((r) => [r.amount, r.status, r.last_error])).toEqual([
      [1, 'DELIVERED', null],
      [2, 'FAILED', 'The endpoint was removed.'],
    ]);

    const enabled = await op<{ enableWebhookEndpoint: { userErrors: unknown[] } }>(
      `mutation E($input: EnableWebhookEndpointInput!) { enableWebhookEndpoint(input: $input) { userErrors { code } } }`,
      { endpointId },
    );
    expect(enabled.enableWebhookEndpoint.userErrors).toEqual([]);
    const replayed = await op<{ replayFailedWebhookDeliveries: { replayed: number | null; userErrors: unknown[] } }>(
      `mutation P($input: ReplayFailedWebhookDeliveriesInput!) { replayFailedWebhookDeliveries(input: $input) { replayed userErrors { code } } }`,
      { endpointId, idempotencyKey: 'after-enable' },
    );
    expect(replayed.replayFailedWebhookDeliveries).toEqual({ replayed: 1, userErrors: [] });
    await adjust(t, member.externalId, currency, 4);
    await settleWebhooks(t);
    expect(sent()).toEqual([1, 2, 4]);
  });
});
