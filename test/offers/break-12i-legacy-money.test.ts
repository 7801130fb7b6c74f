import { AddListingDocument, CreateCurrencyDocument, CreateOfferDocument, PurchaseOfferDocument } from '../generated/graphql.js';
import { dataOf, ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCustomer, createStore, unique } from '../support/program.js';

const UNPAYABLE = `query { unpayableOffers(first: 100) { edges { node { holder holderId moneyCurrency field amount message } } } }`;
const REPLACE = `mutation Replace($input: IssueReplacementOfferInput!) {
  issueReplacementOffer(input: $input) { issuedOffer { status moneyCurrency } replaced { id status } userErrors { code field message } }
}`;
type ReplacePayload = {
  issueReplacementOffer: {
    issuedOffer: { status: string; moneyCurrency: string | null } | null;
    replaced: { id: string; status: string } | null;
    userErrors: { code: string; field: string[] | null; message: string }[];
  };
};

/**
 * break-12i: a wallet item recorded in a money that is not an ISO 4217 currency in use (a program
 * configured with a withdrawn code such as DEM, whose money operators then set to EUR as start-up
 * advises) has an amount no till can apply: tills name ISO moneys only (the sale's and
 * redeemOffer's `currency`), so it is OFFER_NOT_APPLICABLE at every till naming its money, as an
 * item in no recorded money is. offsale-12b gave staff a list and a remedy for the second; the
 * first was neither listed (DEM read as a two-decimal money its amounts fit) nor replaceable
 * ("can be applied in DEM; it is not unusable", and naming EUR: "recorded when it was issued").
 */
describe('a wallet item in a money no till names is listed for staff and replaceable (break-12i)', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
  });
  afterEach(async () => expect(await ledgerViolations(t)).toEqual([]));
  afterAll(() => t.close());

  it('lists it with why, and replaces it in the money staff name', async () => {
    const code = unique('LEGACY').toUpperCase().replace(/[^A-Z0-9]/g, '_').slice(0, 20);
    ok(await t.gql(CreateCurrencyDocument, { input: { code, name: code, expiryDays: null, pointValue: '1', moneyCurrency: 'EUR' } }, t.operatorToken));
    const store = await createStore(t, code);
    const offer = ok(await t.gql(CreateOfferDocument, { input: { name: unique('five off'), benefit: { kind: 'AMOUNT_OFF', amountOff: '5' }, validDays: 30 } }, t.operatorToken)).createOffer.offer!;
    const listing = ok(await t.gql(AddListingDocument, { input: { storeId: store.id, offerId: offer.id, priceInPoints: 10 } }, t.operatorToken)).addListing.listing!;
    const customer = await createCustomer(t, code, 10);
    const bought = ok(await t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: unique('buy') }, customer.token)).purchaseOffer.purchase!;
    // Issued while the program's money read DEM (recorded as it was), fixed to EUR since.
    expect(await t.sql(`update issued_offer set money_currency = 'DEM' where code = $1 returning id`, [bought.issuedOffer.code])).toHaveLength(1);

    const listed = ok(await t.gql<{ unpayableOffers: { edges: { node: Record<string, unknown> }[] } }, unknown>(UNPAYABLE, {}, t.operatorToken)).unpayableOffers.edges
      .map((e) => e.node)
      .filter((u) => u.holderId === bought.issuedOffer.id);
    expect(listed).toEqual([
      expect.objectContaining({ holder: 'ISSUED_OFFER', moneyCurrency: 'DEM', field: 'amountOff', amount: '5.00', message: expect.stringMatching(/DEM.*not an ISO 4217 currency in use/) }),
    ]);

    const input = { issuedOfferId: bought.issuedOffer.id, unusable: true, reason: 'money withdrawn', idempotencyKey: unique('r') };
    const unnamed = dataOf(await t.gql<ReplacePayload, unknown>(REPLACE, { input }, t.operatorToken)).issueReplacementOffer;
    expect(unnamed.userErrors).toEqual([expect.objectContaining({ code: 'INVALID', field: ['input', 'issuedOfferId'], message: expect.stringMatching(/\(moneyCurrency\)/) })]);
    const named = dataOf(await t.gql<ReplacePayload, unknown>(REPLACE, { input: { ...input, idempotencyKey: unique('r'), moneyCurrency: 'EUR' } }, t.operatorToken)).issueReplacementOffer;
    expect(named.userErrors).toEqual([]);
    expect(named.replaced).toMatchObject({ id: bought.issuedOffer.id, status: 'VOIDED' });
    expect(named.issuedOffer).toEqual({ status: 'ISSUED', moneyCurrency: 'EUR' });
  });
});
