import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { adjust, createCurrency, createCustomer, uniqueCode } from '../support/program.js';
import { operatorEndpoints, Receiver, settleWebhooks } from '../support/webhook-receiver.js';

/**
 * break38d (live): an endpoint removed and enabled eleven times within the dispatcher's lag (a
 * receiver behind a flapping proxy answering 410, re-enabled each time by an operator's script; or
 * any toggling while the dispatcher is stopped or behind). `removeEndpoint` keeps only the last
 * REMOVAL_WINDOWS_KEPT (10) windows (`lastWindows`), dropping the oldest by count, not by whether
 * the dispatcher has read past it (src/webhooks/endpoint-removal.ts). The eleventh removal drops
 * the first window, and the event that committed inside it, not yet read, becomes owed again.
 *
 * What the receiver sees: [1, 2, 3], the +2 made while the endpoint was removed included.
 * What it should see (README: "events of the time it was removed are not sent"): [1, 3].
 */
describe('break38d-live: an endpoint removed and enabled eleven times within the dispatcher lag', () => {
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

  const { register, remove, enable } = operatorEndpoints(() => t);

  it('is not sent what committed during the first of eleven removals', async () => {
    const currency = (await createCurrency(t, uniqueCode('B38C'))).code;
    const member = await createCustomer(t, currency, 0);
    const endpointId = await register(receiver.url, ['BALANCE_CHANGED']);
    await settleWebhooks(t);

    t.clock.advance(1_000);
    await adjust(t, member.externalId, currency, 1); // live
    t.clock.advance(100);
    await remove(endpointId);
    t.clock.advance(100);
    await adjust(t, member.externalId, currency, 2); // removed: never owed
    t.clock.advance(100);
    expect((await enable(endpointId)).userErrors).toEqual([]);
    // Ten more removals and enables, nothing committed in them, the dispatcher not run meanwhile.
    for (let i = 0; i < 10; i++) {
      t.clock.advance(100);
      await remove(endpointId);
      t.clock.advance(100);
      expect((await enable(endpointId)).userErrors).toEqual([]);
    }
    t.clock.advance(1_000);
    await adjust(t, member.externalId, currency, 3); // live
    await settleWebhooks(t);

    const amounts = receiver.requests.map((r) => (JSON.parse(r.body) as { data: { change: { amount: number } } }).data.change.amount).sort();
    // Expected [1, 3]; received [1, 2, 3]: the first window was dropped by count, its +2 sent.
    expect(amounts).toEqual([1, 3]);
  });
});
