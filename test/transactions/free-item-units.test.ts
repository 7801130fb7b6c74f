import { SubmitTransactionDocument, TransactionStatusDocument, WalletDocument } from '../generated/graphql.js';
import { dataOf, ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { coffeeAndMuffins, createPartner, customerWithOffers, simpleShop, unique } from '../support/program.js';

/**
 * "Buy 1 coffee, get a free muffin" (SPEC §1's journey offer; `FREE_ITEM` freeSku MUFFIN limited to
 * category COFFEE) needs a coffee bought for each muffin it gives. Found by break31: two of these
 * offers on a sale of one coffee and two muffins both applied, the one coffee "buying" both muffins
 * (5.60 off), and two "buy a muffin, get a muffin" on two muffins made both free. A unit now plays
 * one part in a sale (`priceBasket`, src/transactions/pricing.ts): the second offer takes nothing, so
 * the till is refused OFFER_NOT_APPLICABLE, nothing is stored and both offers stay in the wallet.
 */
describe('two "buy X get Y" offers on one X', () => {
  let t: TestGateway;
  let shop: Awaited<ReturnType<typeof simpleShop>>;
  let till: Awaited<ReturnType<typeof createPartner>>;

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    shop = await simpleShop(t, { priceInPoints: 10 }); // createOffer: FREE_ITEM MUFFIN, categories COFFEE
    till = await createPartner(t, ['transactions:write', 'transactions:read', 'offers:redeem']);
  });
  afterEach(async () => expect(await ledgerViolations(t)).toEqual([]));
  afterAll(() => t.close());

  it('one coffee and two muffins with two "buy a coffee, get a free muffin" offers: one muffin is free, not both', async () => {
    const { customer, codes } = await customerWithOffers(t, shop.currency, shop.listing.id, 2);
    expect(codes).toHaveLength(2);

    const input = coffeeAndMuffins(t, customer.externalId, codes, 1, 2);
    const answer = dataOf(await t.gql(SubmitTransactionDocument, { input }, till.credential)).submitTransaction;
    await t.jobs.runner.runUntilIdle();
    const status = answer.transaction ? ok(await t.gql(TransactionStatusDocument, { externalId: input.externalId }, till.credential)).transaction : null;
    // One coffee pays for one free muffin: the second offer does not apply to this basket and stays in the wallet.
    expect({ errors: answer.userErrors.map((e) => e.code), discount: status?.discount ?? null }).toEqual({ errors: ['OFFER_NOT_APPLICABLE'], discount: null });
    const wallet = ok(await t.gql(WalletDocument, {}, customer.token)).me!.wallet.edges.map((e) => [e.node.code, e.node.status]);
    expect(wallet.sort()).toEqual(codes.map((code) => [code, 'ISSUED']).sort());

    // with a second coffee the same two offers apply: two muffins off
    const twoCoffees = coffeeAndMuffins(t, customer.externalId, codes, 2, 2);
    const applied = dataOf(await t.gql(SubmitTransactionDocument, { input: twoCoffees }, till.credential)).submitTransaction;
    expect(applied.userErrors).toEqual([]);
    await t.jobs.runner.runUntilIdle();
    expect(ok(await t.gql(TransactionStatusDocument, { externalId: twoCoffees.externalId }, till.credential)).transaction!.discount).toBe('5.60');
  });

  it('two muffins with two "buy a muffin, get a muffin free" offers: one muffin is free, not both', async () => {
    const offer = ok(
      await t.gql(
        `mutation($input: CreateOfferInput!) { createOffer(input: $input) { offer { id } userErrors { code } } }`,
        { input: { name: unique('BOGO muffin'), benefit: { kind: 'FREE_ITEM', freeSku: 'MUFFIN', skus: ['MUFFIN'] }, validDays: 30 } },
        t.operatorToken,
      ),
    ) as { createOffer: { offer: { id: string } } };
    const listing = ok(
      await t.gql(
        `mutation($input: AddListingInput!) { addListing(input: $input) { listing { id } userErrors { code } } }`,
        { input: { storeId: shop.store.id, offerId: offer.createOffer.offer.id, priceInPoints: 10 } },
        t.operatorToken,
      ),
    ) as { addListing: { listing: { id: string } } };
    const { customer, codes } = await customerWithOffers(t, shop.currency, listing.addListing.listing.id, 2);
    const input = coffeeAndMuffins(t, customer.externalId, codes, 0, 2);
    const answer = dataOf(await t.gql(SubmitTransactionDocument, { input }, till.credential)).submitTransaction;
    await t.jobs.runner.runUntilIdle();
    const status = answer.transaction ? ok(await t.gql(TransactionStatusDocument, { externalId: input.externalId }, till.credential)).transaction : null;
    expect({ errors: answer.userErrors.map((e) => e.code), discount: status?.discount ?? null }).toEqual({ errors: ['OFFER_NOT_APPLICABLE'], discount: null });
  });
});
