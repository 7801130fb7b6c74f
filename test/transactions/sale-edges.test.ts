import { CreateCampaignDocument, CreateOfferDocument, CreateTierDocument, PurchaseOfferDocument, SetEconomyRuleDocument, SubmitTransactionDocument, TransactionStatusDocument } from '../generated/graphql.js';
import { dataOf, ledgerViolations, ok, startTestGateway, writeCounts, type TestGateway } from '../support/gateway.js';
import { addListing, createCustomer, createPartner, createStore, earningProgram, unique } from '../support/program.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * Hostile pass 6: sales at the edges of time and money. When a sale happened: A till's clock may run ahead (a day's
 * tolerance) and a till may send a sale late (up to SALE_MAX_AGE_DAYS); neither may earn from a
 * campaign the sale was not in: one that had not started when the sale reached us, or one that
 * ended long before it was sent. What it earns: exactly what its rules say, rounded once, with
 * no binary floating point error deciding a point either way.
 */
describe('sales at the edges of time and money', () => {
  let t: TestGateway;
  let program: Awaited<ReturnType<typeof earningProgram>>;
  let till: Awaited<ReturnType<typeof createPartner>>;

  beforeAll(async () => {
    t = await startTestGateway({ SALE_MAX_AGE_DAYS: '30' }, { jobs: 'manual' });
    program = await earningProgram(t, 'W');
    till = await createPartner(t, ['transactions:write', 'transactions:read']);
  });
  afterEach(async () => {
    t.clock.reset();
    expect(await ledgerViolations(t)).toEqual([]);
  });
  afterAll(() => t.close());

  const campaign = async (name: string, startsAt: number, endsAt: number, bonusPoints: number) =>
    ok(
      await t.gql(
        CreateCampaignDocument,
        { input: { name, currency: program.currency, startsAt: new Date(startsAt).toISOString(), endsAt: new Date(endsAt).toISOString(), outcome: { bonusPoints } } },
        t.operatorToken,
      ),
    ).createCampaign.campaign!;

  const submit = async (customerExternalId: string, occurredAt: number) => {
    const externalId = unique('sale');
    const input = {
      externalId,
      customerExternalId,
      occurredAt: new Date(occurredAt).toISOString(),
      currency: program.money,
      lines: [{ sku: 'LATTE', quantity: 1, unitPrice: '1.00' }],
    };
    return { externalId, answer: dataOf(await t.gql(SubmitTransactionDocument, { input }, till.credential)).submitTransaction };
  };

  /** Processes what is queued and answers the sale's awards by rule. */
  const awards = async (externalId: string) => {
    await t.jobs.runner.runUntilIdle();
    const sale = ok(await t.gql(TransactionStatusDocument, { externalId }, till.credential)).transaction!;
    expect(sale.status).toBe('PROCESSED');
    return sale.awards.map((a) => `${a.rule.replace(/^campaign:\d+:/, 'campaign:')} ${a.points}`);
  };

  it("a sale stamped by a till whose clock runs ahead does not earn from a campaign that starts after the sale reached us", async () => {
    t.clock.freeze();
    const now = t.clock.now().getTime();
    const name = unique('starts tonight');
    await campaign(name, now + 12 * HOUR, now + 5 * DAY, 700);
    const customer = await createCustomer(t, program.currency);

    const ahead = await submit(customer.externalId, now + 20 * HOUR); // within the day's tolerance
    expect(ahead.answer.userErrors).toEqual([]);
    expect(await awards(ahead.externalId)).toEqual([`economy:${program.currency} 10`]);

    // once the campaign has started, a sale at the till earns from it (the control)
    t.clock.advance(12 * HOUR);
    const inside = await submit(customer.externalId, t.clock.now().getTime());
    expect(await awards(inside.externalId)).toEqual([`economy:${program.currency} 10`, `campaign:${name} 700`]);
  });

  it('a sale older than SALE_MAX_AGE_DAYS is INVALID on occurredAt and writes nothing; one at the bound is taken', async () => {
    t.clock.freeze();
    const now = t.clock.now().getTime();
    const customer = await createCustomer(t, program.currency);
    const before = await writeCounts(t);
    for (const occurredAt of [now - 30 * DAY - 1, now - 365 * DAY, new Date('0001-01-01T00:00:00Z').getTime()]) {
      const late = await submit(customer.externalId, occurredAt);
      expect(late.answer).toEqual({ transaction: null, userErrors: [{ code: 'INVALID', field: ['input', 'occurredAt'], message: expect.stringMatching(/30 days/) }] });
    }
    expect(await writeCounts(t)).toEqual(before);

    const atTheBound = await submit(customer.externalId, now - 30 * DAY);
    expect(atTheBound.answer.userErrors).toEqual([]);

    // a repeat of a sale taken in time is answered with it, however late the repeat comes
    t.clock.advance(2 * DAY);
    const input = { externalId: atTheBound.externalId, customerExternalId: customer.externalId, occurredAt: new Date(now - 30 * DAY).toISOString(), currency: program.money, lines: [{ sku: 'LATTE', quantity: 1, unitPrice: '1.00' }] };
    expect(dataOf(await t.gql(SubmitTransactionDocument, { input }, till.credential)).submitTransaction).toEqual(atTheBound.answer);
  });

  it('a late sale within the bound still earns from the campaign it happened in, though that campaign has ended (held: tills upload offline sales)', async () => {
    t.clock.freeze();
    const now = t.clock.now().getTime();
    const name = unique('last week');
    await campaign(name, now - 10 * DAY, now - 3 * DAY, 500);
    const customer = await createCustomer(t, program.currency);
    const late = await submit(customer.externalId, now - 5 * DAY);
    expect(await awards(late.externalId)).toEqual([`economy:${program.currency} 10`, `campaign:${name} 500`]);
  });

  it("a campaign's multiplier adds exactly base × (multiplier − 1): ×1.15 on 100 points is 15, not 14 (held before by noise settling; kept exact)", async () => {
    const m = await earningProgram(t, 'M');
    const name = unique('x1.15');
    const now = t.clock.now().getTime();
    ok(
      await t.gql(
        CreateCampaignDocument,
        { input: { name, currency: m.currency, startsAt: new Date(now - DAY).toISOString(), endsAt: new Date(now + DAY).toISOString(), outcome: { multiplier: 1.15 } } },
        t.operatorToken,
      ),
    );
    const customer = await createCustomer(t, m.currency);
    const externalId = unique('sale');
    const input = { externalId, customerExternalId: customer.externalId, occurredAt: new Date(now).toISOString(), currency: m.money, lines: [{ sku: 'LATTE', quantity: 1, unitPrice: '10.00' }] };
    ok(await t.gql(SubmitTransactionDocument, { input }, till.credential));
    expect(await awards(externalId)).toEqual([`economy:${m.currency} 100`, `campaign:${name} 15`]);
  });

  it("a percent-off offer takes its percent of the basket to the cent, half up: 0.35 % of 110.00 is 0.39 (floats made it 0.38), and the points are earned on the rest", async () => {
    const shop = await earningProgram(t, 'P');
    const offer = ok(await t.gql(CreateOfferDocument, { input: { name: 'a little off', benefit: { kind: 'PERCENT_OFF', percentOff: 0.35 } as never } }, t.operatorToken)).createOffer.offer!;
    const store = await createStore(t, shop.currency);
    const listing = await addListing(t, store.id, offer.id, { priceInPoints: 10 });
    const customer = await createCustomer(t, shop.currency, 10);
    const code = ok(await t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: unique('buy') }, customer.token)).purchaseOffer.purchase!.issuedOffer.code;
    const externalId = unique('sale');
    const input = { externalId, customerExternalId: customer.externalId, occurredAt: t.clock.now().toISOString(), currency: shop.money, lines: [{ sku: 'GRINDER', quantity: 1, unitPrice: '110.00' }], offerCodes: [code] };
    ok(await t.gql(SubmitTransactionDocument, { input }, till.credential));
    await t.jobs.runner.runUntilIdle();
    const sale = ok(await t.gql(TransactionStatusDocument, { externalId }, till.credential)).transaction!;
    expect({ total: sale.total, discount: sale.discount, pointsAwarded: sale.pointsAwarded }).toEqual({ total: '110.00', discount: '0.39', pointsAwarded: 1096 }); // 109.61 × 10, floored
  });

  // (creates a threshold-0 tier: every customer after it earns ×1.5, so it comes last)
  it('earning is exact: 0.01 × 133.3333 points per unit × a 1.5 tier is 1.9999995, floored to 1 (binary floating point made it 2), ceiled to 2', async () => {
    const exactProgram = await earningProgram(t, 'X');
    ok(await t.gql(SetEconomyRuleDocument, { input: { currency: exactProgram.currency, pointsPerUnit: '133.3333', rounding: 'FLOOR' } }, t.operatorToken));
    ok(await t.gql(CreateTierDocument, { input: { currency: exactProgram.currency, code: 'X_ONE_HALF', name: 'x1.5', rank: 900, threshold: 0, multiplier: 1.5 } }, t.operatorToken));
    const customer = await createCustomer(t, exactProgram.currency);
    const cent = async () => {
      const externalId = unique('cent');
      const input = { externalId, customerExternalId: customer.externalId, occurredAt: t.clock.now().toISOString(), currency: exactProgram.money, lines: [{ sku: 'MINT', quantity: 1, unitPrice: '0.01' }] };
      ok(await t.gql(SubmitTransactionDocument, { input }, till.credential));
      await t.jobs.runner.runUntilIdle();
      return ok(await t.gql(TransactionStatusDocument, { externalId }, till.credential)).transaction!.pointsAwarded;
    };
    expect(await cent()).toBe(1);
    ok(await t.gql(SetEconomyRuleDocument, { input: { currency: exactProgram.currency, pointsPerUnit: '133.3333', rounding: 'CEIL' } }, t.operatorToken));
    expect(await cent()).toBe(2);
  });
});
