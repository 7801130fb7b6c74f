import { SubmitTransactionDocument, TransactionStatusDocument, WalletDocument, type SubmitTransactionInput } from '../generated/graphql.js';
import { dataOf, ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { buyListing, createCustomer, createPartner, earningProgram, listedOffer, unique } from '../support/program.js';

/**
 * Found by break32d's hostile pass on break32b, mended in priceBasket. Two offers: "a free muffin with a coffee or a pastry" (FREE_ITEM
 * MUFFIN, skus [COFFEE], categories [PASTRY]; issued first, so applied first) and "a free muffin".
 * Basket: a coffee and two muffins (PASTRY), each muffin scanned as its own line. The rule says the
 * "X" is taken from another line than the free unit's "so that line's units stay free for later
 * offers" (priceBasket; decisions "A unit plays one part in a sale"), and break32b made the result
 * not depend on scan order for a basket that meets an offer. Scanned coffee first, both offers
 * apply (5.60 off). Scanned muffin, muffin, coffee: the first offer takes the second MUFFIN line as
 * its X (`lines.findIndex(i !== f && boughtOn(i))` took the first other qualifying line, a unit of the
 * free SKU, while the coffee qualifies), so "a free muffin" found no muffin and the till refused
 * the sale OFFER_NOT_APPLICABLE.
 */
describe('two free-muffin offers, a coffee and two muffin lines, in either scan order', () => {
  let t: TestGateway;
  let till: Awaited<ReturnType<typeof createPartner>>;
  let money: string;
  let currency: string;
  let withCoffeeOrPastry: string;
  let freeMuffin: string;


  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    ({ money, currency } = await earningProgram(t, 'FSO'));
    withCoffeeOrPastry = await listedOffer(t, currency, { kind: 'FREE_ITEM', freeSku: 'MUFFIN', skus: ['COFFEE'], categories: ['PASTRY'] });
    freeMuffin = await listedOffer(t, currency, { kind: 'FREE_ITEM', freeSku: 'MUFFIN' });
    till = await createPartner(t, ['transactions:write', 'transactions:read', 'offers:redeem']);
  });
  afterEach(async () => expect(await ledgerViolations(t)).toEqual([]));
  afterAll(() => t.close());

  const coffee = { sku: 'COFFEE', category: 'COFFEE', quantity: 1, unitPrice: '3.20' };
  const muffin = { sku: 'MUFFIN', category: 'PASTRY', quantity: 1, unitPrice: '2.80' };

  async function submitted(lines: SubmitTransactionInput['lines']) {
    const customer = await createCustomer(t, currency, 100);
    for (const listingId of [withCoffeeOrPastry, freeMuffin]) await buyListing(t, customer.token, listingId);
    const codes = ok(await t.gql(WalletDocument, {}, customer.token)).me!.wallet.edges.map((e) => e.node.code);
    const input: SubmitTransactionInput = { externalId: unique('sale'), customerExternalId: customer.externalId, occurredAt: t.clock.now().toISOString(), currency: money, lines, offerCodes: codes };
    const answer = dataOf(await t.gql(SubmitTransactionDocument, { input }, till.credential)).submitTransaction;
    await t.jobs.runner.runUntilIdle();
    const stored = answer.transaction ? ok(await t.gql(TransactionStatusDocument, { externalId: input.externalId }, till.credential)).transaction : null;
    return { errors: answer.userErrors.map((e) => e.code), discount: stored?.discount ?? null, pointsAwarded: stored?.pointsAwarded ?? null };
  }

  it('coffee scanned first: both muffins free, 5.60 off, 32 points on the coffee', async () => {
    expect(await submitted([coffee, muffin, muffin])).toEqual({ errors: [], discount: '5.60', pointsAwarded: 32 });
  });

  it('muffin, muffin, coffee: the same basket, the same 5.60 off', async () => {
    expect(await submitted([muffin, muffin, coffee])).toEqual({ errors: [], discount: '5.60', pointsAwarded: 32 });
  });
});
