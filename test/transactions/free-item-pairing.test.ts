import { SubmitTransactionDocument, TransactionStatusDocument, WalletDocument, type SubmitTransactionInput } from '../generated/graphql.js';
import { dataOf, ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { addListing, createPartner, createStore, customerWithOffers, simpleShop, unique } from '../support/program.js';

/**
 * Money at the till (found by break32's hostile pass, mended in priceBasket). "Buy a pastry, get a free muffin" (FREE_ITEM MUFFIN limited to
 * category PASTRY) on a basket of two muffins: one sent with category PASTRY, one without. The
 * basket has a free unit (either muffin) and a pastry bought besides it (the other muffin), so the
 * offer applies (docs/decisions.md, "A unit plays one part in a sale": one unit of the free SKU and
 * one qualifying unit as its X). priceBasket picked the free unit first (the first MUFFIN line, the
 * pastry one) and only then looked for an X; finding none besides that line's single unit, it took
 * nothing, though the other muffin could have been the free one. So the same basket was refused or
 * 2.80 off depending on which muffin the till scanned first.
 */
describe('a free item whose basket has a free unit and an X, found only in one pairing', () => {
  let t: TestGateway;
  let till: Awaited<ReturnType<typeof createPartner>>;
  let currency: string;
  let listingId: string;

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    ({ currency } = await simpleShop(t));
    const offer = ok(
      await t.gql(
        `mutation($input: CreateOfferInput!) { createOffer(input: $input) { offer { id } userErrors { code } } }`,
        { input: { name: unique('Pastry and a free muffin'), benefit: { kind: 'FREE_ITEM', freeSku: 'MUFFIN', categories: ['PASTRY'] }, validDays: 30 } },
        t.operatorToken,
      ),
    ) as { createOffer: { offer: { id: string } } };
    const store = await createStore(t, currency);
    listingId = (await addListing(t, store.id, offer.createOffer.offer.id, { priceInPoints: 10 })).id;
    till = await createPartner(t, ['transactions:write', 'transactions:read', 'offers:redeem']);
  });
  afterEach(async () => expect(await ledgerViolations(t)).toEqual([]));
  afterAll(() => t.close());

  const sale = (customerExternalId: string, code: string, lines: SubmitTransactionInput['lines']): SubmitTransactionInput => ({
    externalId: unique('sale'),
    customerExternalId,
    occurredAt: t.clock.now().toISOString(),
    currency: 'EUR',
    lines,
    offerCodes: [code],
  });

  async function submitted(lines: SubmitTransactionInput['lines']) {
    const { customer, codes } = await customerWithOffers(t, currency, listingId, 1);
    const input = sale(customer.externalId, codes[0], lines);
    const answer = dataOf(await t.gql(SubmitTransactionDocument, { input }, till.credential)).submitTransaction;
    await t.jobs.runner.runUntilIdle();
    const stored = answer.transaction ? ok(await t.gql(TransactionStatusDocument, { externalId: input.externalId }, till.credential)).transaction : null;
    const wallet = ok(await t.gql(WalletDocument, {}, customer.token)).me!.wallet.edges.map((e) => e.node.status);
    return { errors: answer.userErrors.map((e) => e.code), discount: stored?.discount ?? null, status: stored?.status ?? null, wallet };
  }

  const pastryMuffin = { sku: 'MUFFIN', category: 'PASTRY', quantity: 1, unitPrice: '2.80' };
  const plainMuffin = { sku: 'MUFFIN', quantity: 1, unitPrice: '2.80' };

  it('the muffin without a category scanned first: 2.80 off (it is free, the pastry muffin is the X)', async () => {
    expect(await submitted([plainMuffin, pastryMuffin])).toEqual({ errors: [], discount: '2.80', status: 'PROCESSED', wallet: ['REDEEMED'] });
  });

  it('the same two muffins, the pastry one scanned first: the offer applies the same', async () => {
    expect(await submitted([pastryMuffin, plainMuffin])).toEqual({ errors: [], discount: '2.80', status: 'PROCESSED', wallet: ['REDEEMED'] });
  });
});
