import { Webhook } from 'standardwebhooks';
import { ReverseTransactionDocument, TransactionStatusDocument } from '../generated/graphql.js';
import { dataOf, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCustomer, createPartner, earningProgram, submitSale } from '../support/program.js';
import { Receiver, settleWebhooks } from '../support/webhook-receiver.js';

const REGISTER = `mutation Register($input: RegisterWebhookEndpointInput!) {
  registerWebhookEndpoint(input: $input) { endpoint { id eventTypes } secret userErrors { code field message } } }`;

type Registered = { registerWebhookEndpoint: { endpoint: { id: string; eventTypes: string[] } | null; secret: string | null; userErrors: { code: string; field: string[]; message: string }[] } };
type SaleReversed = {
  type: 'sale.reversed';
  timestamp: string;
  data: { eventId: string; customer: { id: string; externalId: string }; sale: { id: string; externalId: string; pointsReversed: number; pointsOwed: number; reversedByCurrency?: unknown[]; reason: string | null } };
};

/**
 * webhooks-24 (newcomer-23 "Left"): a return sent no event of its own, so a partner mirroring
 * points saw `sale.processed` and then only `balance.changed` entries it had to match to a sale.
 * `sale.reversed` is written in the return's transaction (the outbox) and sent as every event is:
 * signed, to the sale's own partner (with transactions:read) and the program's endpoints, once per
 * return however often the till sends it. A real gateway and PostgreSQL, a real receiver, the
 * clock moved; the returns are real parallel requests.
 */
describe('sale.reversed (webhooks-24)', () => {
  let t: TestGateway;
  let receiver: Receiver;
  let money: string;
  let currency: string;
  let till: Awaited<ReturnType<typeof createPartner>>;
  let tillSecret = '';
  let programSecret = '';

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual', random: () => 0 });
    receiver = await new Receiver().start();
    ({ money, currency } = await earningProgram(t, 'REV'));
    till = await createPartner(t, ['transactions:write', 'transactions:read', 'webhooks:manage']);
    const other = await createPartner(t, ['transactions:write', 'transactions:read', 'webhooks:manage']);
    const register = async (input: Record<string, unknown>, credential: Parameters<TestGateway['gql']>[2]) => {
      const answer = ok(await t.gql<Registered, unknown>(REGISTER, { input }, credential)).registerWebhookEndpoint;
      expect(answer.userErrors).toEqual([]);
      return answer;
    };
    const ofTill = await register({ url: `${receiver.url}?till`, eventTypes: ['SALE_PROCESSED', 'SALE_REVERSED'] }, till.credential);
    expect(ofTill.endpoint!.eventTypes).toEqual(['SALE_PROCESSED', 'SALE_REVERSED']);
    tillSecret = ofTill.secret!;
    await register({ url: `${receiver.url}?other`, eventTypes: ['SALE_REVERSED'] }, other.credential);
    programSecret = (await register({ url: `${receiver.url}?program`, eventTypes: ['SALE_REVERSED'] }, t.operatorToken)).secret!;
  });
  afterAll(async () => {
    await receiver?.close();
    await t?.close();
  });

  const settle = () => settleWebhooks(t);
  const reverse = async (externalId: string) =>
    dataOf(await t.gql(ReverseTransactionDocument, { externalId, reason: 'returned at till 1' }, till.credential)).reverseTransaction;
  /** The sale.reversed messages received, each with the endpoint it was sent to (`?till`, …). */
  const reversals = () =>
    receiver.requests.filter((r) => (JSON.parse(r.body) as { type: string }).type === 'sale.reversed').map((r) => ({ to: r.url.split('?')[1], request: r, body: JSON.parse(r.body) as SaleReversed }));

  it('a return is sent once, signed, to its partner and the program, however often the till sends it (also at once)', async () => {
    const customer = await createCustomer(t, currency);
    const sale = await submitSale(t, till, customer.externalId, money, 8);
    await settle();
    expect(ok(await t.gql(TransactionStatusDocument, { externalId: sale }, till.credential)).transaction?.status).toBe('PROCESSED');
    expect(reversals()).toEqual([]);

    // The till sends its return five times at once (a retry storm after a lost answer), then once more.
    const answers = await Promise.all(Array.from({ length: 5 }, () => reverse(sale)));
    expect(answers.filter((a) => a.transaction?.status === 'REVERSED')).toHaveLength(1);
    expect(answers.flatMap((a) => a.userErrors.map((e) => e.code)).sort()).toEqual(Array(4).fill('ALREADY_REVERSED'));
    expect((await reverse(sale)).userErrors.map((e) => e.code)).toEqual(['ALREADY_REVERSED']);
    await settle();
    await settle();

    const got = reversals();
    expect(got.map((g) => g.to).sort()).toEqual(['program', 'till']); // not the other partner's endpoint
    expect(new Set(got.map((g) => g.request.headers['webhook-id'])).size).toBe(1);
    for (const { to, request } of got) {
      const secret = to === 'till' ? tillSecret : programSecret;
      expect(() => new Webhook(secret).verify(request.body, request.headers as Record<string, string>)).not.toThrow();
    }
    const body = got.find((g) => g.to === 'till')!.body;
    expect(body).toMatchObject({
      type: 'sale.reversed',
      data: { customer: { externalId: customer.externalId }, sale: { externalId: sale, pointsReversed: 80, pointsOwed: 0, reason: 'returned at till 1' } },
    });
    expect(`evt_${body.data.eventId}`).toBe(got[0].request.headers['webhook-id']);
  });

  it('a return of a sale not processed yet is sent too, with nothing taken back, and the sale is never sent as processed', async () => {
    const customer = await createCustomer(t, currency);
    const before = receiver.requests.length;
    const sale = await submitSale(t, till, customer.externalId, money, 5);
    expect((await reverse(sale)).transaction?.status).toBe('REVERSED'); // before its processing job ran
    await settle();
    const sent = receiver.requests.slice(before).map((r) => ({ to: r.url.split('?')[1], body: JSON.parse(r.body) as SaleReversed }));
    expect(sent.map((s) => [s.to, s.body.type]).sort()).toEqual([
      ['program', 'sale.reversed'],
      ['till', 'sale.reversed'],
    ]);
    expect(sent[0].body.data.sale).toEqual({ id: expect.any(String), externalId: sale, pointsReversed: 0, pointsOwed: 0, reversedByCurrency: [], reason: 'returned at till 1' });
  });

  it('a partner without transactions:read may not subscribe to it', async () => {
    const writer = await createPartner(t, ['transactions:write', 'webhooks:manage']);
    const answer = dataOf(await t.gql<Registered, unknown>(REGISTER, { input: { url: `${receiver.url}?writer`, eventTypes: ['SALE_REVERSED'] } }, writer.credential)).registerWebhookEndpoint;
    expect(answer.userErrors).toEqual([
      { code: 'NOT_ELIGIBLE', field: ['input', 'eventTypes', '0'], message: "A partner's endpoint receives only what the partner may read: sale.reversed needs transactions:read." },
    ]);
  });
});
