import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { adjust, createCurrency, createCustomer, uniqueCode } from '../support/program.js';
import { operatorEndpoints, Receiver, settleWebhooks } from '../support/webhook-receiver.js';

/**
 * break38b (live): an endpoint removed in error (or by a 410 its proxy answered during a deploy)
 * and enabled again at once, as `enableWebhookEndpoint` exists for. The enable now sets
 * `receives_from` to a new snapshot (src/webhooks/webhook.service.ts `enableWebhookEndpoint`), and
 * the dispatcher sends only events whose transaction is not visible in it
 * (src/webhooks/webhook.jobs.ts `receivesEvent`). So an event that committed while the endpoint was
 * registered and live, before the removal, but which the dispatcher had not read yet (it runs once
 * per WEBHOOK_DISPATCH_MS, later behind a backlog), is visible in the enable's snapshot and is
 * never dispatched to it: no delivery row, nothing `replayFailedWebhookDeliveries` can bring back.
 * Before break38 it was sent (the endpoint was live when the dispatcher read it). README: "events of
 * the time it was removed are not sent"; this one is of the time it was registered.
 *
 * What the receiver sees: the +4 made after the enable, never the +3 made while it was registered
 * (and nothing to replay). What it should see: [3, 4] (or at least a FAILED delivery of the +3 to
 * replay), none of what committed while it was removed.
 */
describe('break38b-live: an endpoint removed and enabled again within the dispatcher lag', () => {
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

  const endpoints = operatorEndpoints(() => t);

  it('is still sent the event that committed while it was registered, before the removal', async () => {
    const currency = (await createCurrency(t, uniqueCode('B38R'))).code;
    const member = await createCustomer(t, currency, 0);
    const endpointId = await endpoints.register(receiver.url, ['BALANCE_CHANGED']);
    await settleWebhooks(t);

    t.clock.advance(1_000);
    await adjust(t, member.externalId, currency, 3); // while registered and live; the dispatcher has not run yet

    t.clock.advance(100);
    await endpoints.remove(endpointId);
    t.clock.advance(100);
    expect(await endpoints.enable(endpointId)).toEqual({ endpoint: { disabledAt: null }, userErrors: [] });

    t.clock.advance(1_000);
    await adjust(t, member.externalId, currency, 4); // enabled again
    await settleWebhooks(t);

    const amounts = receiver.requests.map((r) => (JSON.parse(r.body) as { data: { change: { amount: number } } }).data.change.amount);
    const failed = await t.sql<{ n: number }>(`select count(*)::int as n from webhook_delivery where status = 'FAILED'`);
    // Expected { sent: [3, 4] } (or a FAILED +3 to replay); received { sent: [4], failed: 0 }: the +3 is lost for good.
    expect({ sent: amounts, failed: failed[0].n }).toEqual({ sent: [3, 4], failed: 0 });
  });
});
