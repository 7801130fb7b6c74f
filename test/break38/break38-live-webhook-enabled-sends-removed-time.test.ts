import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { adjust, createCurrency, createCustomer, uniqueCode } from '../support/program.js';
import { operatorEndpoints, Receiver, settleWebhooks } from '../support/webhook-receiver.js';

/**
 * break38 (live): README "Webhooks": "To receive again, an operator or the partner enables it
 * (...): the same URL, event types and secret; events of the time it was removed are not sent".
 * The dispatcher decides by the endpoint's state when it reads the event (`dispatchWebhooks`:
 * `e.disabled_at is null` at dispatch time), not when the event committed, and an enable keeps no
 * trace of the removed interval (`enableWebhookEndpoint` only clears `disabled_at`). The dispatcher
 * runs at most once per WEBHOOK_DISPATCH_MS, 30 s when a wake-up was lost, and later behind a
 * backlog, so an endpoint removed and enabled again within that lag gets the events committed
 * while it was removed.
 *
 * What the receiver sees: the balance.changed of a change made while its endpoint was removed
 * (say, removed because the receiver leaked data, or a 410 Gone), sent after the enable. What it
 * should see: only the events committed while the endpoint was enabled (here: the +4, not the +3).
 */
describe('break38-live: an endpoint removed and enabled again', () => {
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

  it('is not sent the events committed while it was removed', async () => {
    const currency = (await createCurrency(t, uniqueCode('B38E'))).code;
    const member = await createCustomer(t, currency, 0);
    const endpointId = await endpoints.register(receiver.url, ['BALANCE_CHANGED']);
    await settleWebhooks(t);

    t.clock.advance(1_000);
    expect((await endpoints.remove(endpointId)).endpoint!.disabledAt).not.toBeNull();

    t.clock.advance(1_000);
    await adjust(t, member.externalId, currency, 3); // while removed

    t.clock.advance(1_000);
    expect(await endpoints.enable(endpointId)).toEqual({ endpoint: { disabledAt: null }, userErrors: [] });

    t.clock.advance(1_000);
    await adjust(t, member.externalId, currency, 4); // enabled again

    await settleWebhooks(t);
    const amounts = receiver.requests.map((r) => (JSON.parse(r.body) as { data: { change: { amount: number } } }).data.change.amount);
    // Expected [4] (only what committed while enabled); received [3, 4].
    expect(amounts).toEqual([4]);
  });
});
