import { fromGlobalId } from '../../src/graphql/ids.js';
import { dataOf, ok, type Credential, type TestGateway } from '../support/gateway.js';
import { createCustomer, createPartner, earningProgram, submitSale } from '../support/program.js';
import { deliveriesOf, gatewayWithReceiver, type Receiver } from '../support/webhook-receiver.js';

const REGISTER = `mutation Register($input: RegisterWebhookEndpointInput!) {
  registerWebhookEndpoint(input: $input) { endpoint { id } userErrors { code field message } } }`;
const REPLAY = `mutation Replay($input: ReplayWebhookDeliveryInput!) {
  replayWebhookDelivery(input: $input) { delivery { id status } userErrors { code field message } } }`;
const REPLAY_ALL = `mutation ReplayAll($input: ReplayFailedWebhookDeliveriesInput!) {
  replayFailedWebhookDeliveries(input: $input) { replayed skipped { eventType count code message } userErrors { code field message } } }`;

type UserErrors = { code: string; field: string[]; message: string }[];
type Replay = { replayWebhookDelivery: { delivery: { id: string; status: string } | null; userErrors: UserErrors } };
type ReplayAll = { replayFailedWebhookDeliveries: { replayed: number | null; skipped: { eventType: string; count: number; code: string; message: string }[] | null; userErrors: UserErrors } };

const NO_LONGER = "The endpoint's partner no longer holds transactions:read, which sale.processed events need, so a replay would not be sent.";

/**
 * small-25 (webhooks-25's "Left"): a replay of a delivery whose event type the endpoint's partner
 * may no longer read (its scopes narrowed since the delivery was written) was accepted, by the
 * partner (webhooks:manage) and by staff alike, and the delivery then ended FAILED at its attempt
 * ("The partner may not read sale.processed events."), nothing sent. Now one such replay is refused
 * up front (NOT_ELIGIBLE, nothing written), and a bulk replay leaves such deliveries FAILED and
 * says how many and why (`skipped`), replaying the rest. A real gateway and PostgreSQL, a real
 * receiver; the narrowing is written in the database, as the API has no way to change a partner's
 * scopes (docs/decisions.md, newcomer-19: "A partner's scopes cannot be changed").
 */
describe("a replay of a delivery the endpoint's partner may no longer read is refused up front (small-25)", () => {
  const started = gatewayWithReceiver({ WEBHOOK_MAX_ATTEMPTS: '1' }, { jobs: 'manual', random: () => 0 });
  let t: TestGateway;
  let receiver: Receiver;
  beforeAll(() => {
    ({ t, receiver } = started);
  });

  const replay = async (credential: Credential, deliveryId: string) => dataOf(await t.gql<Replay, unknown>(REPLAY, { input: { deliveryId } }, credential)).replayWebhookDelivery;
  const replayAll = async (credential: Credential, endpointId: string, idempotencyKey: string) =>
    dataOf(await t.gql<ReplayAll, unknown>(REPLAY_ALL, { input: { endpointId, idempotencyKey } }, credential)).replayFailedWebhookDeliveries;
  const deliveryJobs = async () => (await t.sql<{ n: number }>(`select count(*)::int as n from job where kind = 'webhooks.deliver' and status = 'PENDING'`))[0].n;
  const deliverDue = async () => {
    t.clock.advance(t.config.webhooks.dispatchMs);
    await t.runScheduled();
  };

  it('one replay, by the partner or staff: NOT_ELIGIBLE, nothing written; a bulk replay skips them and says so; the rest are replayed and delivered', async () => {
    const { money, currency } = await earningProgram(t, 'RBS');
    const till = await createPartner(t, ['transactions:write', 'transactions:read', 'customers:read', 'webhooks:manage']);
    const endpointId = ok(
      await t.gql<{ registerWebhookEndpoint: { endpoint: { id: string } } }, unknown>(REGISTER, { input: { url: receiver.url, eventTypes: ['SALE_PROCESSED', 'BALANCE_CHANGED'] } }, till.credential),
    ).registerWebhookEndpoint.endpoint.id;
    // Two sales, each a sale.processed and a balance.changed, every delivery FAILED at its one attempt.
    receiver.status = () => 503;
    const customer = await createCustomer(t, currency);
    for (const amount of [3, 4]) await submitSale(t, till, customer.externalId, money, amount);
    await t.jobs.runner.runUntilIdle();
    await deliverDue();
    const failed = await deliveriesOf(t, till.credential, endpointId);
    expect(failed.map((d) => [d.eventType, d.status]).sort()).toEqual([
      ['BALANCE_CHANGED', 'FAILED'],
      ['BALANCE_CHANGED', 'FAILED'],
      ['SALE_PROCESSED', 'FAILED'],
      ['SALE_PROCESSED', 'FAILED'],
    ]);
    // The partner no longer reads its sales' outcomes.
    await t.sql(`update partner set scopes = array_remove(scopes, 'transactions:read') where id = $1`, [fromGlobalId(till.id, 'Partner', 'id')]);
    receiver.status = () => 200;
    const [saleOne, saleTwo] = failed.filter((d) => d.eventType === 'SALE_PROCESSED');
    const [balanceOne] = failed.filter((d) => d.eventType === 'BALANCE_CHANGED');

    const refused = { delivery: null, userErrors: [{ code: 'NOT_ELIGIBLE', field: ['input', 'deliveryId'], message: NO_LONGER }] };
    const jobsBefore = await deliveryJobs();
    expect({ byPartner: await replay(till.credential, saleOne.id), byStaff: await replay(t.operatorToken, saleTwo.id), jobs: await deliveryJobs() }).toEqual({
      byPartner: refused,
      byStaff: refused,
      jobs: jobsBefore,
    });
    // The control: a type the partner still reads is replayed
    expect(await replay(till.credential, balanceOne.id)).toEqual({ delivery: { id: balanceOne.id, status: 'PENDING' }, userErrors: [] });

    // All at once: the other balance.changed replayed; the two sale.processed left FAILED, counted, and why
    const all = await replayAll(till.credential, endpointId, 'all-1');
    expect(all).toEqual({ replayed: 1, skipped: [{ eventType: 'SALE_PROCESSED', count: 2, code: 'NOT_ELIGIBLE', message: NO_LONGER }], userErrors: [] });
    // A resend under the key answers the first answer, skips included
    expect(await replayAll(till.credential, endpointId, 'all-1')).toEqual(all);
    await deliverDue();
    const after = await deliveriesOf(t, t.operatorToken, endpointId);
    expect(after.map((d) => [d.eventType, d.status, d.lastError]).sort()).toEqual([
      ['BALANCE_CHANGED', 'DELIVERED', null],
      ['BALANCE_CHANGED', 'DELIVERED', null],
      ['SALE_PROCESSED', 'FAILED', 'HTTP 503'],
      ['SALE_PROCESSED', 'FAILED', 'HTTP 503'],
    ]);
    const audit = await t.sql<{ details: unknown }>(`select details from audit_entry where action = 'replayFailedWebhookDeliveries' and target = $1`, [
      `WebhookEndpoint:${fromGlobalId(endpointId, 'WebhookEndpoint', 'id')}`,
    ]);
    expect(audit.map((a) => a.details)).toEqual([{ replayed: 1, skipped: [{ type: 'sale.processed', count: 2 }] }]);
  });
});
