import { dataOf, startTestGateway, type TestGateway } from '../support/gateway.js';
import { adjust, createCurrency, createCustomer, uniqueCode } from '../support/program.js';
import { recordStatements } from '../support/statements.js';
import { Receiver, settleWebhooks } from '../support/webhook-receiver.js';

/**
 * break38c (live): the dispatcher skips, with no statement, the events of a type no endpoint listens
 * to ("the others cost no statement (most events, most of the time)": `wanted` in
 * src/webhooks/webhook.jobs.ts `dispatchWebhooks`). break38b made it `disabled_at is null or
 * removed_from is not null`, so an endpoint removed once (by staff, its partner, a 410, and then
 * its partner revoked) keeps its event types "wanted" for ever: every such event, years later,
 * costs one `insert … select` on webhook_endpoint per event, which can never write a row (the
 * events committed after the removal are not owed to it). A program that tried a webhook once pays
 * it on every balance change for good.
 *
 * What an operator sees: a dispatcher doing one statement per event with no endpoint live.
 * What it should do: once its cursor is past the removal, nothing for a removed endpoint (e.g.
 * want a removed endpoint's types only while some event visible in `removed_from` may still be
 * read: the dispatch cursor's snapshot does not yet see the removal's transaction).
 */
describe('break38c-live: a removed endpoint keeps its event types wanted for ever', () => {
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

  it('writes no delivery statement for events long after the only endpoint was removed', async () => {
    const currency = (await createCurrency(t, uniqueCode('B38W'))).code;
    const member = await createCustomer(t, currency, 0);
    const { registerWebhookEndpoint } = await op<{ registerWebhookEndpoint: { endpoint: { id: string } } }>(
      `mutation R($input: RegisterWebhookEndpointInput!) { registerWebhookEndpoint(input: $input) { endpoint { id } userErrors { code } } }`,
      { url: receiver.url, eventTypes: ['BALANCE_CHANGED'] },
    );
    await op(`mutation X($input: RemoveWebhookEndpointInput!) { removeWebhookEndpoint(input: $input) { endpoint { disabledAt } userErrors { code } } }`, {
      endpointId: registerWebhookEndpoint.endpoint.id,
    });
    await settleWebhooks(t); // the dispatcher is past the removal
    t.clock.advance(86_400_000);

    for (let i = 1; i <= 10; i++) await adjust(t, member.externalId, currency, i);
    const recording = recordStatements();
    try {
      await settleWebhooks(t);
      const inserts = recording.take().filter((s) => /insert into webhook_delivery/i.test(s.text)).length;
      // Expected 0 (no endpoint can be owed these events); received 10: one statement per event.
      expect(inserts).toBe(0);
    } finally {
      recording.stop();
    }
    expect(receiver.requests).toHaveLength(0);
  });
});
