import { dataOf, startTestGateway, type TestGateway } from '../support/gateway.js';
import { adjust, createCurrency, createCustomer, uniqueCode } from '../support/program.js';
import { operatorEndpoints, dispatchAllButDeliveries, Receiver, settleWebhooks } from '../support/webhook-receiver.js';

/**
 * held38c (live): break38b's "an event committed before a removal, read while the endpoint is
 * removed, gets a delivery that ends FAILED 'The endpoint was removed.'", with the removal a
 * receiver's 410 Gone. Held: the events committed before the 410's removal and dispatched after it
 * end FAILED at once (no attempt, no retry, the endpoint not marked failing), nothing after the
 * removal gets a delivery, a replay is refused while it is removed; once enabled, one replay sends
 * each exactly once (the 410's delivery too), its resend under the same key sends nothing, another
 * key finds nothing FAILED; what commits after the enable is sent.
 */
describe('held38c-live: a 410 removal within the dispatcher lag, then enable and replay', () => {
  let t: TestGateway;
  let receiver: Receiver;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    receiver = await new Receiver().start();
  });
  afterAll(async () => {
    await receiver.close();
    await t.close();
  });

  const op = async <T>(query: string, input: Record<string, unknown>) => dataOf(await t.gql<T, unknown>(query, { input }, t.operatorToken));
  const endpoints = operatorEndpoints(() => t);
  const replay = (endpointId: string, idempotencyKey: string) =>
    op<{ replayFailedWebhookDeliveries: { replayed: number | null; userErrors: { code: string }[] } }>(
      `mutation P($input: ReplayFailedWebhookDeliveriesInput!) { replayFailedWebhookDeliveries(input: $input) { replayed userErrors { code } } }`,
      { endpointId, idempotencyKey },
    ).then((d) => d.replayFailedWebhookDeliveries);
  const sent = () => receiver.requests.map((r) => (JSON.parse(r.body) as { data: { change: { amount: number } } }).data.change.amount);

  it('ends the pre-removal events FAILED once, and replays each once after the enable', async () => {
    const currency = (await createCurrency(t, uniqueCode('H38G'))).code;
    const member = await createCustomer(t, currency, 0);
    const endpointId = await endpoints.register(receiver.url, ['BALANCE_CHANGED']);
    await settleWebhooks(t);
    await adjust(t, member.externalId, currency, 1);
    await settleWebhooks(t);
    expect(sent()).toEqual([1]);

    receiver.status = () => 410;
    await adjust(t, member.externalId, currency, 2);
    await dispatchAllButDeliveries(t); // +2's delivery waits
    await adjust(t, member.externalId, currency, 3);
    await adjust(t, member.externalId, currency, 4); // committed while live, not read yet
    expect(await t.jobs.runner.runOne()).toBeTruthy(); // +2 answered 410: the endpoint is removed
    await adjust(t, member.externalId, currency, 5); // committed while removed
    await settleWebhooks(t);
    await settleWebhooks(t);

    const rows = await t.sql<{ amount: number; status: string; attempts: number; last_error: string }>(
      `select (body::jsonb #>> '{data,change,amount}')::int as amount, status, attempts, last_error from webhook_delivery order by 1`,
    );
    expect(rows.map((r) => [r.amount, r.status, r.attempts])).toEqual([
      [1, 'DELIVERED', 1],
      [2, 'FAILED', 1],
      [3, 'FAILED', 0],
      [4, 'FAILED', 0],
    ]);
    expect(rows.slice(2).map((r) => r.last_error)).toEqual(['The endpoint was removed.', 'The endpoint was removed.']);
    const [endpoint] = await t.sql<{ failing_since: Date | null; disabled_at: Date | null }>(`select failing_since, disabled_at from webhook_endpoint`);
    expect({ failing: endpoint.failing_since, removed: endpoint.disabled_at !== null }).toEqual({ failing: null, removed: true });
    expect(sent()).toEqual([1, 2]);
    expect((await replay(endpointId, 'while-removed')).userErrors.map((e) => e.code)).toEqual(['INVALID']);

    receiver.status = () => 200;
    expect((await endpoints.enable(endpointId)).userErrors).toEqual([]);
    expect(await replay(endpointId, 'after-enable')).toEqual({ replayed: 3, userErrors: [] });
    await adjust(t, member.externalId, currency, 6);
    await settleWebhooks(t);
    expect(await replay(endpointId, 'after-enable')).toEqual({ replayed: 3, userErrors: [] }); // the first answer, nothing sent
    expect(await replay(endpointId, 'again')).toEqual({ replayed: 0, userErrors: [] });
    await settleWebhooks(t);
    expect(sent().slice(2).sort()).toEqual([2, 3, 4, 6]);
  });
});
