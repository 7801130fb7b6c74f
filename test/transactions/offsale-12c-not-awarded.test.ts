import { CreateCampaignDocument, CreateCurrencyDocument, CreateOfferDocument, SetEconomyRuleDocument, SubmitTransactionDocument, TransactionStatusDocument } from '../generated/graphql.js';
import { webhookBody } from '../../src/webhooks/webhook.events.js';
import { ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCustomer, createPartner, unique } from '../support/program.js';

const STAFF_SALE = `query StaffSale($externalId: String!) {
  transaction(externalId: $externalId) {
    status pointsAwarded
    awards { kind rule points }
    offersNotAwarded { rule reason message offer { id version benefit { amountOff } } }
  }
}`;
type StaffSale = {
  transaction: {
    status: string;
    pointsAwarded: number;
    awards: { kind: string; rule: string; points: number }[];
    offersNotAwarded: { rule: string; reason: string; message: string; offer: { id: string; version: number; benefit: { amountOff: string | null } } | null }[];
  } | null;
};

/**
 * A campaign's offer skipped at a sale because no till could apply it in the sale's money ("2.50"
 * off in yen, data from before money-12; offsale-12) left no trace on the sale: its points were
 * awarded and nothing said an offer was due. The sale now reports it (`offersNotAwarded`, and in
 * its TRANSACTION_PROCESSED event and `sale.processed` webhook body), as it does an offer past its
 * end (offsale-12c, docs/decisions.md). The state before the upgrade is made by hand.
 */
describe('a sale reports the offers its campaigns did not issue (offsale-12c)', () => {
  let t: TestGateway;
  let till: Awaited<ReturnType<typeof createPartner>>;
  const PROGRAM = 'NOTAW_JPY';
  const DAY = 86_400_000;

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    ok(await t.gql(CreateCurrencyDocument, { input: { code: PROGRAM, name: PROGRAM, expiryDays: null, pointValue: '1', moneyCurrency: 'JPY' } }, t.operatorToken));
    ok(await t.gql(SetEconomyRuleDocument, { input: { currency: PROGRAM, pointsPerUnit: '0.01' } }, t.operatorToken));
    till = await createPartner(t, ['transactions:write', 'transactions:read']);
  });
  afterEach(async () => expect(await ledgerViolations(t)).toEqual([]));
  afterAll(() => t.close());

  it('a yen campaign whose offer reads "2.50 off": the points, and the offer not awarded with its reason, for staff and in the sale\'s event', async () => {
    const offer = ok(await t.gql(CreateOfferDocument, { input: { name: unique('yen off'), benefit: { kind: 'AMOUNT_OFF', amountOff: '200' }, validDays: 30 } }, t.operatorToken)).createOffer.offer!;
    const now = t.clock.now().getTime();
    const window = { startsAt: new Date(now - DAY).toISOString(), endsAt: new Date(now + DAY).toISOString() };
    const campaign = ok(
      await t.gql(CreateCampaignDocument, { input: { name: unique('camp'), currency: PROGRAM, ...window, outcome: { bonusPoints: 5, offerId: offer.id } } }, t.operatorToken),
    ).createCampaign.campaign!;
    await t.sql(`update offer_version ov set amount_off = 2.50 from offer o where ov.id = o.current_version_id and ov.name = $1`, [offer.name]);
    const customer = await createCustomer(t, PROGRAM);
    const externalId = unique('sale');
    const input = { externalId, customerExternalId: customer.externalId, occurredAt: t.clock.now().toISOString(), currency: 'JPY', lines: [{ sku: 'LATTE', quantity: 2, unitPrice: '500' }] };
    expect(ok(await t.gql(SubmitTransactionDocument, { input }, till.credential)).submitTransaction.userErrors).toEqual([]);
    await t.jobs.runner.runUntilIdle();

    const [{ id: campaignId }] = await t.sql<{ id: string }>(`select id::text from campaign where name = $1`, [campaign.name]);
    const rule = `campaign:${campaignId}:${campaign.name}`;
    const message = "This offer's amountOff 2.50 is finer than JPY can be paid in (it has no decimals). It was not issued; the campaign's points were awarded.";
    const sale = ok(await t.gql<StaffSale, unknown>(STAFF_SALE, { externalId }, t.operatorToken)).transaction!;
    expect(sale).toEqual({
      status: 'PROCESSED',
      pointsAwarded: 15,
      awards: [
        { kind: 'POINTS', rule: `economy:${PROGRAM}`, points: 10 },
        { kind: 'POINTS', rule, points: 5 },
      ],
      offersNotAwarded: [{ rule, reason: 'AMOUNT_FINER_THAN_MONEY', message, offer: { id: offer.id, version: 1, benefit: { amountOff: '2.50' } } }],
    });
    // The partner's own view of the sale (the contract's TransactionStatus) is unchanged; its webhook says it.
    expect(ok(await t.gql(TransactionStatusDocument, { externalId }, till.credential)).transaction).toMatchObject({ status: 'PROCESSED', pointsAwarded: 15 });

    const [event] = await t.sql<{ payload: Record<string, unknown>; customer_id: string; created_at: Date; id: string }>(
      `select e.payload, e.customer_id, e.created_at, e.id from outbox_event e join sales_transaction s on s.id = (e.payload->>'transactionId')::bigint
        where e.topic = 'TRANSACTION_PROCESSED' and s.external_id = $1`,
      [externalId],
    );
    expect(event.payload.offersNotAwarded).toEqual([{ rule, campaignId: Number(campaignId), offerVersionId: expect.any(Number), reason: 'AMOUNT_FINER_THAN_MONEY', message }]);
    const body = JSON.parse(
      webhookBody('sale.processed', {
        ...event,
        topic: 'TRANSACTION_PROCESSED',
        customerId: Number(event.customer_id),
        createdAt: event.created_at,
        rowId: Number(event.id),
        customerExternalId: customer.externalId,
        salePartnerId: null,
        saleExternalId: externalId,
      } as unknown as Parameters<typeof webhookBody>[1]),
    );
    expect(body.data.sale.offersNotAwarded).toEqual([{ rule, reason: 'AMOUNT_FINER_THAN_MONEY', message }]);
  });

  it('an offer past its fixed end is reported alike (OFFER_ENDED); a sale whose campaign issues its offer reports nothing', async () => {
    const now = t.clock.now().getTime();
    const ended = ok(
      await t.gql(CreateOfferDocument, { input: { name: unique('ended'), benefit: { kind: 'AMOUNT_OFF', amountOff: '100' }, validUntil: new Date(now + 60_000).toISOString() } }, t.operatorToken),
    ).createOffer.offer!;
    const fine = ok(await t.gql(CreateOfferDocument, { input: { name: unique('fine'), benefit: { kind: 'AMOUNT_OFF', amountOff: '100' }, validDays: 30 } }, t.operatorToken)).createOffer.offer!;
    const window = { startsAt: new Date(now - DAY).toISOString(), endsAt: new Date(now + 2 * DAY).toISOString() };
    for (const o of [ended, fine]) {
      ok(await t.gql(CreateCampaignDocument, { input: { name: unique('camp'), currency: PROGRAM, ...window, outcome: { offerId: o.id } } }, t.operatorToken));
    }
    t.clock.advance(120_000);
    const customer = await createCustomer(t, PROGRAM);
    const externalId = unique('sale');
    const input = { externalId, customerExternalId: customer.externalId, occurredAt: t.clock.now().toISOString(), currency: 'JPY', lines: [{ sku: 'LATTE', quantity: 1, unitPrice: '500' }] };
    expect(ok(await t.gql(SubmitTransactionDocument, { input }, till.credential)).submitTransaction.userErrors).toEqual([]);
    await t.jobs.runner.runUntilIdle();
    const sale = ok(await t.gql<StaffSale, unknown>(STAFF_SALE, { externalId }, t.operatorToken)).transaction!;
    expect(sale.awards.filter((a) => a.kind === 'OFFER')).toHaveLength(1);
    const notAwarded = sale.offersNotAwarded.filter((n) => n.offer?.id === ended.id || n.offer?.id === fine.id);
    expect(notAwarded).toEqual([{ rule: expect.stringMatching(/^campaign:/), reason: 'OFFER_ENDED', message: expect.stringMatching(/^This offer ended at .*It was not issued/), offer: expect.objectContaining({ id: ended.id }) }]);
  });
});
