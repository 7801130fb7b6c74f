import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { adjust, createCurrency, createCustomer, uniqueCode } from '../support/program.js';
import { operatorEndpoints, Receiver, settleWebhooks } from '../support/webhook-receiver.js';

/**
 * break38c (live): an endpoint removed and enabled twice within the dispatcher's lag (an operator
 * toggling it, or a proxy answering 410 twice during a deploy, each enabled again at once).
 * `removeEndpoint` overwrites `removed_from` and clears `enabled_from` at each removal, so the
 * endpoint remembers only its LAST removed window (src/webhooks/webhook.jobs.ts `receivesEvent`).
 * An event that committed during the FIRST removal is visible in the second removal's snapshot, so
 * it reads as "committed before the removal": owed, and sent.
 *
 * What the receiver sees: [1, 2, 3, 4], the +2 made while the endpoint was removed included.
 * What it should see (README: "events of the time it was removed are not sent"): [1, 3, 4].
 */
describe('break38c-live: an endpoint removed and enabled twice within the dispatcher lag', () => {
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
  const { remove, enable } = endpoints;

  it('is not sent what committed during the first of its two removals', async () => {
    const currency = (await createCurrency(t, uniqueCode('B38C'))).code;
    const member = await createCustomer(t, currency, 0);
    const endpointId = await endpoints.register(receiver.url, ['BALANCE_CHANGED']);
    await settleWebhooks(t);

    t.clock.advance(1_000);
    await adjust(t, member.externalId, currency, 1); // live
    t.clock.advance(100);
    await remove(endpointId);
    t.clock.advance(100);
    await adjust(t, member.externalId, currency, 2); // removed: never owed
    t.clock.advance(100);
    expect((await enable(endpointId)).userErrors).toEqual([]);
    t.clock.advance(100);
    await adjust(t, member.externalId, currency, 3); // live again
    t.clock.advance(100);
    await remove(endpointId);
    t.clock.advance(100);
    expect((await enable(endpointId)).userErrors).toEqual([]);
    t.clock.advance(1_000);
    await adjust(t, member.externalId, currency, 4); // live
    await settleWebhooks(t);

    const amounts = receiver.requests.map((r) => (JSON.parse(r.body) as { data: { change: { amount: number } } }).data.change.amount).sort();
    // Expected [1, 3, 4]; received [1, 2, 3, 4]: the +2 of the first removed time is sent.
    expect(amounts).toEqual([1, 3, 4]);
  });
});
