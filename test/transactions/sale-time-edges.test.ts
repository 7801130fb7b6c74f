import { CreateCampaignDocument, SubmitTransactionDocument, TransactionStatusDocument } from '../generated/graphql.js';
import { dataOf, ledgerViolations, ok, startTestGateway, writeCounts, type TestGateway } from '../support/gateway.js';
import { createCustomer, createPartner, earningProgram, unique } from '../support/program.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * Hostile pass 6: when a sale happened, at the edges. A till's clock may run ahead (a day's
 * tolerance) and a till may send a sale late (up to SALE_MAX_AGE_DAYS); neither may earn from a
 * campaign the sale was not in: one that had not started when the sale reached us, or one that
 * ended long before it was sent.
 */
describe('when a sale happened, at the edges', () => {
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
});
