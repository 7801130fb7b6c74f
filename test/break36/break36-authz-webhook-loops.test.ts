import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { adjust, createCurrency, createCustomer, createPartner, eventually, uniqueCode } from '../support/program.js';
import { holdingReceiver } from '../support/webhook-receiver.js';

const REGISTER = `mutation Register($input: RegisterWebhookEndpointInput!) {
  registerWebhookEndpoint(input: $input) { endpoint { id } secret userErrors { code field message } } }`;

/**
 * break36 (authorization and isolation between partners): the gateway sends webhooks in
 * WEBHOOK_CONCURRENCY loops (default 2) shared by every endpoint, and bounds each endpoint to
 * WEBHOOK_ENDPOINT_CONCURRENCY (default 1) request in flight, so that "one endpoint that hangs
 * delays only its own deliveries" (webhook-14). Nothing bounds a partner: one partner holding
 * `webhooks:manage` registers as many endpoints as it likes (a URL each), and two of its own that
 * accept the connection and never answer hold both loops for WEBHOOK_TIMEOUT_MS per delivery, so
 * every other partner's deliveries (and the program's) wait behind them. A partner spends the
 * delivery capacity of every other (SPEC §4 limits "rate per key"; §5.6). Mended: a partner's
 * deliveries share its own bound, WEBHOOK_PARTNER_CONCURRENCY (docs/decisions.md, break36 (authz)).
 */
describe('break36 authz: one partner whose endpoints hang', () => {
  let t: TestGateway;
  const receivers: Awaited<ReturnType<typeof holdingReceiver>>[] = [];
  const receiver = async (hanging: boolean) => {
    const r = await holdingReceiver(hanging);
    receivers.push(r);
    return r;
  };
  const register = async (url: string, credential: { apiKey: string }) => {
    const answer = ok(await t.gql<any, unknown>(REGISTER, { input: { url, eventTypes: ['BALANCE_CHANGED'] } }, credential)).registerWebhookEndpoint;
    expect(answer.userErrors).toEqual([]);
  };

  beforeAll(async () => {
    // The default WEBHOOK_CONCURRENCY (2) and WEBHOOK_ENDPOINT_CONCURRENCY (1); a receiver's minute
    // to answer so that the hanging requests stay open while the test looks.
    t = await startTestGateway({ WEBHOOK_TIMEOUT_MS: '60000' });
  });
  afterAll(async () => {
    for (const r of receivers) r.answerHeld();
    await Promise.all(receivers.map((r) => r.close()));
    await t.close();
  });

  it("does not hold back another partner's deliveries", async () => {
    const currency = uniqueCode('WL');
    await createCurrency(t, currency);
    const hog = await createPartner(t, ['customers:read', 'webhooks:manage']);
    const other = await createPartner(t, ['customers:read', 'webhooks:manage']);
    const hogsFirst = await receiver(true);
    const hogsSecond = await receiver(true);
    const others = await receiver(false);
    await register(hogsFirst.url, hog.credential);
    await register(hogsSecond.url, hog.credential);
    await register(others.url, other.credential);

    const member = await createCustomer(t, currency);
    for (let i = 0; i < 3; i++) await adjust(t, member.externalId, currency, 10);
    t.clock.advance(t.config.webhooks.dispatchMs); // the dispatcher's next slot
    await t.jobs.dispatcher.tick();

    // The hog's endpoints hold a request open: one, its partner's bound (WEBHOOK_PARTNER_CONCURRENCY,
    // half of the two loops), not one each (before the mend: both loops).
    await eventually(async () => hogsFirst.held.length + hogsSecond.held.length >= 1, 10_000);
    // The other partner is sent its three, as it would be were the hog's receivers answering.
    const received = await eventually(async () => (others.ids.length === 3 ? others.ids.length : null), 15_000).catch(() => others.ids.length);
    expect({ otherPartnerReceived: received, hogHeld: hogsFirst.held.length + hogsSecond.held.length }).toEqual({ otherPartnerReceived: 3, hogHeld: 1 });
  });
});
