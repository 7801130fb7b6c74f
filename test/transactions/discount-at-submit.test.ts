import { ReverseTransactionDocument, SubmitTransactionDocument, TransactionStatusDocument, UpsertCustomerDocument } from '../generated/graphql.js';
import { dataOf, ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { coffeeAndMuffins, createPartner, customerWithOffers, simpleShop } from '../support/program.js';

/**
 * A sale's `discount` is "What the offers applied took off" (schema). The offers are redeemed and
 * priced at submit ("Where conditions are checked": the discount checked is the one processing
 * takes), and the till hands the goods over at that discount. Found by break31b: the sale said
 * 0.00 until its job ran, and for ever when the job failed (its offers REDEEMED and listed in
 * offersApplied). It is now stored with the sale when the till submits it.
 */
describe('a sale\'s discount before and without its processing', () => {
  let t: TestGateway;
  let shop: Awaited<ReturnType<typeof simpleShop>>;
  let till: Awaited<ReturnType<typeof createPartner>>;

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    shop = await simpleShop(t, { priceInPoints: 10 }); // FREE_ITEM MUFFIN with a COFFEE
    till = await createPartner(t, ['transactions:write', 'transactions:read', 'offers:redeem']);
  });
  afterEach(async () => expect(await ledgerViolations(t)).toEqual([]));
  afterAll(() => t.close());

  async function saleWithMuffinOffer() {
    const { customer, codes } = await customerWithOffers(t, shop.currency, shop.listing.id, 1);
    const [code] = codes;
    const input = coffeeAndMuffins(t, customer.externalId, codes, 1, 1);
    const answer = dataOf(await t.gql(SubmitTransactionDocument, { input }, till.credential)).submitTransaction;
    expect(answer.userErrors).toEqual([]);
    return { customer, code, input };
  }

  it('RECEIVED: the offer applied at the till already took 2.80 off, and the sale says so', async () => {
    const { code, input } = await saleWithMuffinOffer();
    const status = ok(await t.gql(TransactionStatusDocument, { externalId: input.externalId }, till.credential)).transaction!;
    expect({ status: status.status, offersApplied: status.offersApplied.map((o) => o.code), discount: status.discount }).toEqual({
      status: 'RECEIVED',
      offersApplied: [code],
      discount: '2.80',
    });
    await t.jobs.runner.runUntilIdle();
    // processed: the same discount
    expect(ok(await t.gql(TransactionStatusDocument, { externalId: input.externalId }, till.credential)).transaction!).toMatchObject({ status: 'PROCESSED', discount: '2.80' });
  });

  it('FAILED: the offer stays REDEEMED and applied (the till gave the muffin), and the sale still says what it took off', async () => {
    const { customer, code, input } = await saleWithMuffinOffer();
    // suspended before the job runs: the sale fails ("The customer is not active.")
    ok(await t.gql(UpsertCustomerDocument, { input: { externalId: customer.externalId, status: 'SUSPENDED' } }, t.operatorToken));
    await t.jobs.runner.runUntilIdle();
    const status = ok(await t.gql(TransactionStatusDocument, { externalId: input.externalId }, till.credential)).transaction!;
    expect({ status: status.status, offersApplied: status.offersApplied.map((o) => o.code), discount: status.discount }).toEqual({
      status: 'FAILED',
      offersApplied: [code],
      discount: '2.80',
    });
  });
  it('returned before its job ran: the sale still says what its offer took off', async () => {
    const { code, input } = await saleWithMuffinOffer();
    expect(ok(await t.gql(ReverseTransactionDocument, { externalId: input.externalId, reason: 'returned' }, till.credential)).reverseTransaction.userErrors).toEqual([]);
    await t.jobs.runner.runUntilIdle();
    const status = ok(await t.gql(TransactionStatusDocument, { externalId: input.externalId }, till.credential)).transaction!;
    expect({ status: status.status, offersApplied: status.offersApplied.map((o) => o.code), discount: status.discount }).toEqual({
      status: 'REVERSED',
      offersApplied: [code],
      discount: '2.80',
    });
  });

  /** The sale's offer share as stored, with the row version PostgreSQL gives each write of it (`xmin`). */
  const shareOf = async (externalId: string) =>
    (
      await t.sql<{ discount: string; version: string }>(
        `select o.discount::text as discount, o.xmin::text as version from transaction_offer o join sales_transaction s on s.id = o.transaction_id where s.external_id = $1`,
        [externalId],
      )
    )[0];

  it('processing leaves the offer\'s share that submit stored as it is: no second write of the same 2.80', async () => {
    const { input } = await saleWithMuffinOffer();
    const before = await shareOf(input.externalId);
    await t.jobs.runner.runUntilIdle();
    expect(ok(await t.gql(TransactionStatusDocument, { externalId: input.externalId }, till.credential)).transaction!).toMatchObject({ status: 'PROCESSED', discount: '2.80' });
    expect(await shareOf(input.externalId)).toEqual(before);
    expect(Number(before.discount)).toBe(2.8);
  });

  it('a sale queued before shares were stored at submit (its share reads 0): processing writes the share', async () => {
    const { input } = await saleWithMuffinOffer();
    await t.sql(`update transaction_offer o set discount = 0 from sales_transaction s where s.id = o.transaction_id and s.external_id = $1`, [input.externalId]);
    await t.jobs.runner.runUntilIdle();
    expect(ok(await t.gql(TransactionStatusDocument, { externalId: input.externalId }, till.credential)).transaction!).toMatchObject({ status: 'PROCESSED', discount: '2.80' });
    expect(Number((await shareOf(input.externalId)).discount)).toBe(2.8);
  });
});
