import { SubmitTransactionDocument, TransactionStatusDocument, WalletDocument, type SubmitTransactionInput } from '../generated/graphql.js';
import { dataOf, ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { buyListing, createCustomer, createPartner, earningProgram, listedOffer, unique } from '../support/program.js';

/**
 * break33: the "X" of a limited free item was chosen greedily, offer by offer, the first qualifying
 * line, so a later free item could find none left in one scan order and apply in another.
 * - "a free muffin with a coffee or a latte", then "a free muffin with a latte", on a latte, a
 *   coffee and two muffins: scanned latte first, the first offer counted the latte as its X and
 *   the second found nothing to count (the till refused the sale OFFER_NOT_APPLICABLE); scanned
 *   coffee first, both applied.
 * - "a free coffee with a muffin or a scone", then "a free muffin", on a muffin, a scone and a
 *   coffee: scanned muffin first, the first offer counted the muffin as its X, so the second had no
 *   muffin to give; scanned scone first, both applied.
 * Now the X's are matched over the whole sale (priceBasket): same basket, same discount, same points.
 */
describe('two limited free items whose X could be taken from each other, in either scan order', () => {
  let t: TestGateway;
  let till: Awaited<ReturnType<typeof createPartner>>;
  let money: string;
  let currency: string;
  let muffinWithCoffeeOrLatte: string;
  let muffinWithLatte: string;
  let coffeeWithMuffinOrScone: string;
  let freeMuffin: string;

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    ({ money, currency } = await earningProgram(t, 'FIM'));
    muffinWithCoffeeOrLatte = await listedOffer(t, currency, { kind: 'FREE_ITEM', freeSku: 'MUFFIN', skus: ['COFFEE', 'LATTE'] });
    muffinWithLatte = await listedOffer(t, currency, { kind: 'FREE_ITEM', freeSku: 'MUFFIN', skus: ['LATTE'] });
    coffeeWithMuffinOrScone = await listedOffer(t, currency, { kind: 'FREE_ITEM', freeSku: 'COFFEE', skus: ['MUFFIN', 'SCONE'] });
    freeMuffin = await listedOffer(t, currency, { kind: 'FREE_ITEM', freeSku: 'MUFFIN' });
    till = await createPartner(t, ['transactions:write', 'transactions:read', 'offers:redeem']);
  });
  afterEach(async () => expect(await ledgerViolations(t)).toEqual([]));
  afterAll(() => t.close());

  const latte = { sku: 'LATTE', category: 'COFFEE', quantity: 1, unitPrice: '3.60' };
  const coffee = { sku: 'COFFEE', category: 'COFFEE', quantity: 1, unitPrice: '3.20' };
  const muffin = { sku: 'MUFFIN', category: 'PASTRY', quantity: 1, unitPrice: '2.80' };
  const twoMuffins = { ...muffin, quantity: 2 };
  const scone = { sku: 'SCONE', category: 'PASTRY', quantity: 1, unitPrice: '2.50' };

  /** A new customer holding `listings`' offers (bought in that order, so applied in it) submits `lines` with them all. */
  async function submitted(listings: string[], lines: SubmitTransactionInput['lines']) {
    const customer = await createCustomer(t, currency, 100);
    for (const listingId of listings) await buyListing(t, customer.token, listingId);
    const codes = ok(await t.gql(WalletDocument, {}, customer.token)).me!.wallet.edges.map((e) => e.node.code);
    const input: SubmitTransactionInput = { externalId: unique('sale'), customerExternalId: customer.externalId, occurredAt: t.clock.now().toISOString(), currency: money, lines, offerCodes: codes };
    const answer = dataOf(await t.gql(SubmitTransactionDocument, { input }, till.credential)).submitTransaction;
    await t.jobs.runner.runUntilIdle();
    const stored = answer.transaction ? ok(await t.gql(TransactionStatusDocument, { externalId: input.externalId }, till.credential)).transaction : null;
    const wallet = ok(await t.gql(WalletDocument, {}, customer.token)).me!.wallet.edges.map((e) => e.node.status);
    return { errors: answer.userErrors.map((e) => e.code), discount: stored?.discount ?? null, pointsAwarded: stored?.pointsAwarded ?? null, wallet };
  }

  // both muffins free (5.60 off); the latte and the coffee pay 6.80: 68 points
  const bothMuffinsFree = { errors: [], discount: '5.60', pointsAwarded: 68, wallet: ['REDEEMED', 'REDEEMED'] };

  it('coffee, latte, two muffins: both free muffins', async () => {
    expect(await submitted([muffinWithCoffeeOrLatte, muffinWithLatte], [coffee, latte, twoMuffins])).toEqual(bothMuffinsFree);
  });

  it('latte, coffee, two muffins: the same (before: the latte was the first offer\'s X, the second refused)', async () => {
    expect(await submitted([muffinWithCoffeeOrLatte, muffinWithLatte], [latte, coffee, twoMuffins])).toEqual(bothMuffinsFree);
  });

  // the coffee and the muffin free (6.00 off); the scone pays 2.50: 25 points
  const coffeeAndMuffinFree = { errors: [], discount: '6.00', pointsAwarded: 25, wallet: ['REDEEMED', 'REDEEMED'] };

  it('scone, muffin, coffee: a free coffee (the scone its X) and a free muffin', async () => {
    expect(await submitted([coffeeWithMuffinOrScone, freeMuffin], [scone, muffin, coffee])).toEqual(coffeeAndMuffinFree);
  });

  it('muffin, scone, coffee: the same (before: the muffin was the first offer\'s X, so no muffin was left to give)', async () => {
    expect(await submitted([coffeeWithMuffinOrScone, freeMuffin], [muffin, scone, coffee])).toEqual(coffeeAndMuffinFree);
  });
});
