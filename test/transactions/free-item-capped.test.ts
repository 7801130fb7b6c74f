import { ReverseTransactionDocument, TransactionStatusDocument, WalletDocument, type SubmitTransactionInput } from '../generated/graphql.js';
import { dataOf, ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { buyListing, createCustomer, createPartner, earningProgram, listedOffer, unique } from '../support/program.js';

/**
 * Found by break32d's hostile pass on break32b, mended in priceBasket. A FREE_ITEM with a maxDiscount takes at most the cap off its
 * unit, yet priceBasket counted that unit as "given free" (givenFree[free]++) and spreads what the
 * line has left over the other units only: the next free unit was then worth
 * ceil(net / (quantity - givenFree)), which includes what the capped unit still pays.
 * Two muffins at 2.80: "a free muffin, up to 1.00" then "a free muffin": 1.00 + 2.80 = 3.80 is due
 * (1.80 paid, 18 points); the till took 5.60 until break32d (both muffins free, 0 points). In the other order
 * (issued the other way) the same two offers take 3.80: before break32b (min(unitPrice, net)) both did.
 */
describe('a free unit after a capped free unit on its line', () => {
  let t: TestGateway;
  let till: Awaited<ReturnType<typeof createPartner>>;
  let money: string;
  let currency: string;
  let cappedFree: string;
  let freeMuffin: string;


  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    ({ money, currency } = await earningProgram(t, 'CFU')); // 10 points per unit of money, FLOOR
    cappedFree = await listedOffer(t, currency, { kind: 'FREE_ITEM', freeSku: 'MUFFIN', maxDiscount: '1.00' });
    freeMuffin = await listedOffer(t, currency, { kind: 'FREE_ITEM', freeSku: 'MUFFIN' });
    till = await createPartner(t, ['transactions:write', 'transactions:read', 'offers:redeem']);
  });
  afterEach(async () => expect(await ledgerViolations(t)).toEqual([]));
  afterAll(() => t.close());

  async function muffins(order: string[], quantity: number, split = false) {
    const customer = await createCustomer(t, currency, 100);
    for (const listingId of order) await buyListing(t, customer.token, listingId);
    const codes = ok(await t.gql(WalletDocument, {}, customer.token)).me!.wallet.edges.map((e) => e.node.code);
    const input: SubmitTransactionInput = {
      externalId: unique('sale'),
      customerExternalId: customer.externalId,
      occurredAt: t.clock.now().toISOString(),
      currency: money,
      lines: split ? Array.from({ length: quantity }, () => ({ sku: 'MUFFIN', category: 'PASTRY', quantity: 1, unitPrice: '2.80' })) : [{ sku: 'MUFFIN', category: 'PASTRY', quantity, unitPrice: '2.80' }],
      offerCodes: codes,
    };
    const answer = dataOf(
      await t.gql<{ submitTransaction: { transaction: { discount: string } | null; userErrors: { code: string }[] } }, object>(
        'mutation($input: SubmitTransactionInput!) { submitTransaction(input: $input) { transaction { discount } userErrors { code } } }',
        { input },
        till.credential,
      ),
    ).submitTransaction;
    expect(answer.userErrors).toEqual([]);
    const atSubmit = answer.transaction!.discount;
    await t.jobs.runner.runUntilIdle();
    const sale = ok(await t.gql(TransactionStatusDocument, { externalId: input.externalId }, till.credential)).transaction!;
    expect(ok(await t.gql(ReverseTransactionDocument, { externalId: input.externalId, reason: 'returned' }, till.credential)).reverseTransaction.userErrors).toEqual([]);
    return { atSubmit, status: sale.status, total: sale.total, discount: sale.discount, pointsAwarded: sale.pointsAwarded };
  }

  it('free (uncapped) issued first, then the capped one: 2.80 + 1.00 off, 1.80 paid, 18 points', async () => {
    expect(await muffins([freeMuffin, cappedFree], 2)).toEqual({ atSubmit: '3.80', status: 'PROCESSED', total: '5.60', discount: '3.80', pointsAwarded: 18 });
  });

  it('the capped one issued first, then the free one: the same 3.80 off', async () => {
    expect(await muffins([cappedFree, freeMuffin], 2)).toEqual({ atSubmit: '3.80', status: 'PROCESSED', total: '5.60', discount: '3.80', pointsAwarded: 18 });
  });

  it('the same two muffins scanned as two lines, capped one first: 3.80 off', async () => {
    expect(await muffins([cappedFree, freeMuffin], 2, true)).toEqual({ atSubmit: '3.80', status: 'PROCESSED', total: '5.60', discount: '3.80', pointsAwarded: 18 });
  });

  it('three muffins, two capped free then one free: 1.00 + 1.00 + 2.80 = 4.80 off, 3.60 paid', async () => {
    expect(await muffins([cappedFree, cappedFree, freeMuffin], 3)).toEqual({ atSubmit: '4.80', status: 'PROCESSED', total: '8.40', discount: '4.80', pointsAwarded: 36 });
  });
});
