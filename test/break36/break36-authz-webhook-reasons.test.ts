import { PurchaseOfferDocument, ReverseTransactionDocument } from '../generated/graphql.js';
import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCustomer, createPartner, earningProgram, eventually, processedSale, simpleShop, unique } from '../support/program.js';
import { Receiver } from '../support/webhook-receiver.js';

const REGISTER = `mutation Register($input: RegisterWebhookEndpointInput!) {
  registerWebhookEndpoint(input: $input) { endpoint { id } secret userErrors { code field message } } }`;
const HISTORY = `query History($x: String!) { customer(externalId: $x) { externalId pointHistory { edges { node { amount reason } } } } }`;

/**
 * break36 (authorization): what a partner's `balance.changed` webhook tells it of a member's
 * ledger. A partner with `customers:read` reads the loyalty view of any customer, and not
 * `pointHistory`, because the ledger's reasons are staff notes and the wallet's purchases
 * (docs/decisions.md, "What partners see"); "Partner webhooks" says partners are sent "the loyalty
 * view only, as for reads". Each `balance.changed` body carries `change.reason`, the ledger
 * entry's reason: the operator's free-text note of an adjustment, and the name of the offer the
 * member bought into their wallet, to every partner holding `customers:read`; and another
 * partner's words on its own return ("Sale reversed: <its reason>"), which that partner's sales'
 * reads (`transaction(externalId:)`, own sales only) keep from everyone else.
 */
describe("break36 authz: a partner's balance.changed webhook", () => {
  let t: TestGateway;
  const receivers: Receiver[] = [];

  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    await t.close();
  });

  /** The bodies of `balance.changed` sent to `receiver` about `externalId`, once there are `n` (the scheduler's ticks run the dispatcher and the deliveries). */
  const bodiesAbout = (receiver: Receiver, externalId: string, n: number) =>
    eventually(async () => {
      t.clock.advance(1_000);
      await t.runScheduled();
      const mine = receiver.requests
        .map((r) => JSON.parse(r.body) as { type: string; data: { customer: { externalId: string }; change: { amount: number; kind: string; reason?: string | null } | null } })
        .filter((b) => b.type === 'balance.changed' && b.data.customer.externalId === externalId);
      return mine.length >= n ? mine : null;
    }, 30_000);

  it("carries neither the operator's note on an adjustment nor the offer the member bought, which the partner's reads refuse it", async () => {
    const shop = await simpleShop(t, { priceInPoints: 10 });
    const partner = await createPartner(t, ['customers:read', 'webhooks:manage']);
    const receiver = await new Receiver().start();
    receivers.push(receiver);
    const registered = ok(await t.gql<any, unknown>(REGISTER, { input: { url: receiver.url, eventTypes: ['BALANCE_CHANGED'] } }, partner.credential)).registerWebhookEndpoint;
    expect(registered.userErrors).toEqual([]);

    const member = await createCustomer(t, shop.currency, 0);
    const staffNote = `Goodwill ${unique('note')}: complaint about the Elm St barista, account under fraud review`;
    const adjusted = ok(
      await t.gql<any, unknown>(
        `mutation($input: AdjustPointsInput!) { adjustPoints(input: $input) { userErrors { code } } }`,
        { input: { customerExternalId: member.externalId, currency: shop.currency, amount: 50, reason: staffNote, idempotencyKey: unique('adj') } },
        t.operatorToken,
      ),
    ).adjustPoints;
    expect(adjusted.userErrors).toEqual([]);
    ok(await t.gql(PurchaseOfferDocument, { listingId: shop.listing.id, idempotencyKey: unique('buy') }, member.token));
    const offerName = shop.offer.name as string;

    // The control: the same partner may not read the member's ledger, reasons and purchases.
    const read = await t.gql<any, unknown>(HISTORY, { x: member.externalId }, partner.credential);
    expect(read.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);

    const bodies = await bodiesAbout(receiver, member.externalId, 2);
    expect(bodies.map((b) => [b.type, b.data.change?.amount, b.data.change?.kind])).toEqual([
      ['balance.changed', 50, 'ADJUST'],
      ['balance.changed', -10, 'SPEND'],
    ]);
    // What the partner was sent holds nothing its reads refuse it.
    const told = receiver.requests.map((r) => r.body).join('\n');
    expect({ staffNote: told.includes(staffNote), offerBought: told.includes(offerName) }).toEqual({ staffNote: false, offerBought: false });
  });

  it("carries no other partner's reason for returning its own sale", async () => {
    const { money, currency } = await earningProgram(t, 'B36');
    const till = await createPartner(t, ['transactions:write', 'transactions:read']);
    const reader = await createPartner(t, ['customers:read', 'webhooks:manage']);
    const receiver = await new Receiver().start();
    receivers.push(receiver);
    expect(ok(await t.gql<any, unknown>(REGISTER, { input: { url: receiver.url, eventTypes: ['BALANCE_CHANGED'] } }, reader.credential)).registerWebhookEndpoint.userErrors).toEqual([]);
    const member = await createCustomer(t, currency, 0);
    const sale = await processedSale(t, till, member.externalId, money, 10);
    const tillsReason = `Refund ticket ${unique('R')}: grinder returned damaged, store manager approved`;
    expect(ok(await t.gql(ReverseTransactionDocument, { externalId: sale, reason: tillsReason }, till.credential)).reverseTransaction.userErrors).toEqual([]);

    // The control: the reader may not read the till's sale.
    expect(ok(await t.gql<any, unknown>(`query TransactionStatus($externalId: String!) { transaction(externalId: $externalId) { id } }`, { externalId: sale }, { apiKey: (await createPartner(t, ['transactions:read'])).apiKey })).transaction).toBeNull();

    const bodies = await bodiesAbout(receiver, member.externalId, 2);
    expect(bodies.map((b) => [b.data.change?.amount, b.data.change?.kind])).toEqual([
      [100, 'EARN'],
      [-100, 'REVERSAL'],
    ]);
    const told = receiver.requests.map((r) => r.body).join('\n');
    expect({ tillsReason: told.includes(tillsReason) }).toEqual({ tillsReason: false });
  });
});
