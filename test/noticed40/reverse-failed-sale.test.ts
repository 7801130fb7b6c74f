import { ReverseTransactionDocument, SubmitTransactionDocument, TransactionStatusDocument, UpsertCustomerDocument } from '../generated/graphql.js';
import { dataOf, ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { coffeeAndMuffins, createPartner, customerWithOffers, simpleShop } from '../support/program.js';

/**
 * noticed-40: a return of a sale whose processing FAILED (it earned and awarded nothing) answered
 * it REVERSED, with a `sale.reversed` event of nothing taken back: the till was told a return
 * happened, the sale's FAILED and its reason were overwritten, and a partner mirroring the sale saw
 * it "reversed" though it never earned. The return is refused with INVALID naming the failure, and
 * the sale stays FAILED. A sale not yet processed (RECEIVED) is still returned (its processing then
 * does nothing), as documented.
 */
describe('noticed-40: a return of a FAILED sale', () => {
  let t: TestGateway;
  let shop: Awaited<ReturnType<typeof simpleShop>>;
  let till: Awaited<ReturnType<typeof createPartner>>;

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    shop = await simpleShop(t, { priceInPoints: 10 });
    till = await createPartner(t, ['transactions:write', 'transactions:read', 'offers:redeem']);
  });
  afterEach(async () => expect(await ledgerViolations(t)).toEqual([]));
  afterAll(() => t.close());

  /** A sale of a member with an offer applied, submitted (RECEIVED); `fail`: the member is suspended and the job run, so it FAILS. */
  async function sale(fail: boolean) {
    const { customer, codes } = await customerWithOffers(t, shop.currency, shop.listing.id, 1);
    const input = coffeeAndMuffins(t, customer.externalId, codes, 1, 1);
    expect(dataOf(await t.gql(SubmitTransactionDocument, { input }, till.credential)).submitTransaction.userErrors).toEqual([]);
    if (fail) {
      ok(await t.gql(UpsertCustomerDocument, { input: { externalId: customer.externalId, status: 'SUSPENDED' } }, t.operatorToken));
      await t.jobs.runner.runUntilIdle();
    }
    return { customer, input };
  }
  const status = async (externalId: string) => ok(await t.gql(TransactionStatusDocument, { externalId }, till.credential)).transaction!;
  const reversedEvents = async (customerExternalId: string) =>
    (
      await t.sql<{ n: number }>(
        `select count(*)::int as n from outbox_event e join customer c on c.id = e.customer_id where c.external_id = $1 and e.topic = 'TRANSACTION_REVERSED'`,
        [customerExternalId],
      )
    )[0].n;

  it('FAILED: the return is refused INVALID, saying why, and the sale stays FAILED with its reason; no sale.reversed', async () => {
    const { customer, input } = await sale(true);
    expect(await status(input.externalId)).toMatchObject({ status: 'FAILED', failureReason: 'The customer is not active.' });
    const answer = dataOf(await t.gql(ReverseTransactionDocument, { externalId: input.externalId, reason: 'returned' }, till.credential)).reverseTransaction;
    expect(answer.transaction).toBeNull();
    expect(answer.userErrors).toEqual([
      {
        code: 'INVALID',
        field: ['input', 'externalId'],
        message: 'This sale failed ("The customer is not active."): it earned and awarded nothing, so there is nothing to take back. It stays FAILED.',
      },
    ]);
    expect(await status(input.externalId)).toMatchObject({ status: 'FAILED', failureReason: 'The customer is not active.', pointsAwarded: 0 });
    expect(await reversedEvents(customer.externalId)).toBe(0);
    // asked again: the same refusal (not ALREADY_REVERSED)
    const again = dataOf(await t.gql(ReverseTransactionDocument, { externalId: input.externalId, reason: null }, till.credential)).reverseTransaction;
    expect(again.userErrors.map((e) => e.code)).toEqual(['INVALID']);
  });

  it('RECEIVED (not processed yet): the return is taken, and its processing then does nothing', async () => {
    const { customer, input } = await sale(false);
    const answer = dataOf(await t.gql(ReverseTransactionDocument, { externalId: input.externalId, reason: 'returned' }, till.credential)).reverseTransaction;
    expect(answer).toMatchObject({ transaction: { externalId: input.externalId, status: 'REVERSED' }, userErrors: [] });
    await t.jobs.runner.runUntilIdle();
    expect(await status(input.externalId)).toMatchObject({ status: 'REVERSED', pointsAwarded: 0 });
    expect(await reversedEvents(customer.externalId)).toBe(1);
  });
});
