import { Webhook } from 'standardwebhooks';
import { dataOf, startTestGateway, type TestGateway } from '../support/gateway.js';
import { adjust, createCurrency, createCustomer, createPartner, uniqueCode } from '../support/program.js';
import { Receiver, settleWebhooks } from '../support/webhook-receiver.js';

/**
 * held38 (live): a partner's receiver fails (500, then a 302 redirect to a receiver that would
 * answer 200), each attempt under the same `webhook-id` and body, signed anew (verifiable with
 * `standardwebhooks`); then the partner is revoked while a retry is due. The retry sends nothing:
 * the delivery ends FAILED, "The endpoint was removed.", and later events reach it no more.
 */
describe('held38-live: a revoked partner with a retry due', () => {
  let t: TestGateway;
  let receiver: Receiver;
  let elsewhere: Receiver;

  beforeAll(async () => {
    t = await startTestGateway({ WEBHOOK_BACKOFF_MS: '1000' }, { jobs: 'manual', random: () => 0 });
    receiver = await new Receiver().start();
    elsewhere = await new Receiver().start();
  });
  afterAll(async () => {
    await receiver.close();
    await elsewhere.close();
    await t.close();
  });

  it('gets nothing more once revoked, and what it got was one signed message under one id', async () => {
    const currency = (await createCurrency(t, uniqueCode('H38R'))).code;
    const member = await createCustomer(t, currency, 0);
    const partner = await createPartner(t, ['customers:read']);
    const registered = dataOf(
      await t.gql<{ registerWebhookEndpoint: { endpoint: { id: string }; secret: string } }, unknown>(
        `mutation R($input: RegisterWebhookEndpointInput!) { registerWebhookEndpoint(input: $input) { endpoint { id } secret userErrors { code } } }`,
        { input: { url: receiver.url, eventTypes: ['BALANCE_CHANGED'], partnerId: partner.id } },
        t.operatorToken,
      ),
    ).registerWebhookEndpoint;

    // 500, then a redirect (to a receiver that would answer 200), then 500s
    receiver.status = () => (receiver.requests.length === 1 ? 302 : 500);
    receiver.headers = () => ({ location: elsewhere.url });
    await adjust(t, member.externalId, currency, 9);
    await settleWebhooks(t); // the first attempts (the retries 1 s, 2 s after)
    const sent = receiver.requests.length;
    expect(receiver.requests.slice(0, 2).map((r) => r.answered)).toEqual([500, 302]);
    expect(elsewhere.requests).toEqual([]);

    const hook = new Webhook(registered.secret);
    const ids = new Set(receiver.requests.map((r) => r.headers['webhook-id']));
    expect(ids.size).toBe(1);
    for (const r of receiver.requests) {
      expect(hook.verify(r.body, r.headers as Record<string, string>)).toMatchObject({ type: 'balance.changed', data: { change: { amount: 9, kind: 'ADJUST' } } });
      expect(JSON.parse(r.body).data.change.reason).toBeUndefined(); // a partner's body has no reason (break36)
    }

    const revoked = dataOf(
      await t.gql<{ revokePartner: { userErrors: unknown[] } }, unknown>(
        `mutation V($input: RevokePartnerInput!) { revokePartner(input: $input) { userErrors { code message } } }`,
        { input: { partnerId: partner.id, reason: 'contract ended' } },
        t.operatorToken,
      ),
    );
    expect(revoked.revokePartner.userErrors).toEqual([]);
    t.clock.advance(60_000);
    await settleWebhooks(t);
    await adjust(t, member.externalId, currency, 1);
    await settleWebhooks(t);
    expect(receiver.requests.length).toBe(sent);
    const [delivery] = await t.sql<{ status: string; last_error: string }>(
      `select d.status, d.last_error from webhook_delivery d where d.endpoint_id = $1`,
      [(await t.sql<{ id: string }>(`select id from webhook_endpoint where url = $1`, [receiver.url]))[0].id],
    );
    expect(delivery).toEqual({ status: 'FAILED', last_error: 'The endpoint was removed.' });
  });
});
