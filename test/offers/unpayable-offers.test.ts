import {
  AddListingDocument,
  CreateCampaignDocument,
  CreateCurrencyDocument,
  CreateGiftListDocument,
  CreateOfferDocument,
  GiftListsDocument,
  PurchaseOfferDocument,
  UpdateOfferDocument,
} from '../generated/graphql.js';
import { dataOf, ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCustomer, createPartner, createStore, unique } from '../support/program.js';

const UNPAYABLE = `query Unpayable($first: Int, $after: String) {
  unpayableOffers(first: $first, after: $after) {
    edges { cursor node { holder holderId currency moneyCurrency field amount message offer { id version name } } }
    pageInfo { hasNextPage endCursor }
  }
}`;

type Unpayable = {
  holder: string;
  holderId: string;
  currency: string | null;
  moneyCurrency: string | null;
  field: string | null;
  amount: string | null;
  message: string;
  offer: { id: string; version: number; name: string };
};
type UnpayablePage = { unpayableOffers: { edges: { cursor: string; node: Unpayable }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } };

const REPLACE = `mutation Replace($input: IssueReplacementOfferInput!) {
  issueReplacementOffer(input: $input) {
    issuedOffer { id status moneyCurrency offer { version benefit { amountOff } } }
    replaced { id status }
    userErrors { code field message }
  }
}`;
type ReplacePayload = {
  issueReplacementOffer: {
    issuedOffer: { id: string; status: string; moneyCurrency: string | null; offer: { version: number; benefit: { amountOff: string | null } } } | null;
    replaced: { id: string; status: string } | null;
    userErrors: { code: string; field: string[] | null; message: string }[];
  };
};

/**
 * What staff can act on when data from before money-12 holds offers no till can apply in their
 * program's money ("2.50" off in yen): `unpayableOffers` lists the listings, gift lists, campaigns
 * and live wallet items holding one, with the reason (offsale-12b, docs/decisions.md); a wallet
 * item whose money was never recorded can now be replaced once staff name it; a member's gift
 * lists no longer offer an option the claim would refuse. The state before the upgrade is made by
 * hand, as in test/offers/off-sale.test.ts.
 */
describe('offers no till can apply: what staff see and can remedy (offsale-12b)', () => {
  let t: TestGateway;
  const PROGRAM = 'UNPAY_JPY';
  const DAY = 86_400_000;

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    ok(await t.gql(CreateCurrencyDocument, { input: { code: PROGRAM, name: PROGRAM, expiryDays: null, pointValue: '1', moneyCurrency: 'JPY' } }, t.operatorToken));
  });
  afterEach(async () => expect(await ledgerViolations(t)).toEqual([]));
  afterAll(() => t.close());

  const yenOffer = async (amountOff = '200') =>
    ok(await t.gql(CreateOfferDocument, { input: { name: unique('yen'), benefit: { kind: 'AMOUNT_OFF', amountOff }, validDays: 30 } }, t.operatorToken)).createOffer.offer!;
  /** Makes the offer's current version read `amount` off, as stored before money-12. */
  const makeFiner = async (name: string, amount = '2.50') =>
    expect(await t.sql(`update offer_version ov set amount_off = $2::numeric from offer o where ov.id = o.current_version_id and ov.name = $1 returning ov.id`, [name, amount])).toHaveLength(1);
  const unpayable = async (token = t.operatorToken, first = 20, after: string | null = null) => t.gql<UnpayablePage, unknown>(UNPAYABLE, { first, after }, token);
  const all = async () => ok(await unpayable()).unpayableOffers.edges.map((e) => e.node);
  const replace = (input: Record<string, unknown>) => t.gql<ReplacePayload, unknown>(REPLACE, { input }, t.operatorToken);

  it('staff list every holder and live wallet item with the reason, page through them, and each leaves the list once remedied', async () => {
    const store = await createStore(t, PROGRAM);
    const listed = await yenOffer();
    const listing = ok(await t.gql(AddListingDocument, { input: { storeId: store.id, offerId: listed.id, priceInPoints: 10 } }, t.operatorToken)).addListing.listing!;
    const customer = await createCustomer(t, PROGRAM, 10);
    const bought = ok(await t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: unique('buy') }, customer.token)).purchaseOffer.purchase!;
    const gift = await yenOffer('100');
    const list = ok(await t.gql(CreateGiftListDocument, { input: { currency: PROGRAM, name: unique('gifts'), threshold: 10, offerIds: [gift.id] } }, t.operatorToken)).createGiftList.giftList!;
    const awarded = await yenOffer('300');
    const now = t.clock.now().getTime();
    const window = { startsAt: new Date(now - DAY).toISOString(), endsAt: new Date(now + DAY).toISOString() };
    const campaign = ok(await t.gql(CreateCampaignDocument, { input: { name: unique('camp'), currency: PROGRAM, ...window, outcome: { offerId: awarded.id } } }, t.operatorToken)).createCampaign.campaign!;
    expect(await all()).toEqual([]);

    // Before money-12: the listed offer (and the version the customer bought), the gift and the award read in cents.
    await makeFiner(listed.name);
    await makeFiner(gift.name, '1.5');
    await makeFiner(awarded.name, '0.01');
    const finer = (amount: string) => `This offer's amountOff ${amount} is finer than JPY can be paid in (it has no decimals).`;
    const expected = [
      { holder: 'LISTING', holderId: listing.id, currency: PROGRAM, moneyCurrency: 'JPY', field: 'amountOff', amount: '2.50', message: finer('2.50'), offer: { id: listed.id, version: 1, name: listed.name } },
      { holder: 'GIFT_LIST', holderId: list.id, currency: PROGRAM, moneyCurrency: 'JPY', field: 'amountOff', amount: '1.5', message: finer('1.5'), offer: { id: gift.id, version: 1, name: gift.name } },
      { holder: 'CAMPAIGN', holderId: campaign.id, currency: PROGRAM, moneyCurrency: 'JPY', field: 'amountOff', amount: '0.01', message: finer('0.01'), offer: { id: awarded.id, version: 1, name: awarded.name } },
      { holder: 'ISSUED_OFFER', holderId: bought.issuedOffer.id, currency: null, moneyCurrency: 'JPY', field: 'amountOff', amount: '2.50', message: finer('2.50'), offer: { id: listed.id, version: 1, name: listed.name } },
    ];
    expect(await all()).toEqual(expected);

    // Two at a time, then the rest after the cursor.
    const first = ok(await unpayable(t.operatorToken, 2)).unpayableOffers;
    expect(first.edges.map((e) => e.node.holder)).toEqual(['LISTING', 'GIFT_LIST']);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const rest = ok(await unpayable(t.operatorToken, 2, first.pageInfo.endCursor)).unpayableOffers;
    expect(rest.edges.map((e) => e.node.holder)).toEqual(['CAMPAIGN', 'ISSUED_OFFER']);
    expect(rest.pageInfo.hasNextPage).toBe(false);

    // Analysts read it too; a customer and a partner do not.
    const analyst = ok(await unpayable(t.analystToken)).unpayableOffers.edges;
    expect(analyst).toHaveLength(4);
    expect((await unpayable(customer.token)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const partner = await createPartner(t, ['customers:read']);
    expect((await t.gql(UNPAYABLE, { first: 5 }, { apiKey: partner.credential.apiKey, asText: true })).errors?.[0]?.extensions?.code).toMatch(/FORBIDDEN|PERSISTED_QUERY_NOT_ALLOWED/);

    // The remedies: editing the listed offer takes the listing off the list; the wallet item stays
    // until it is replaced (its version is the one bought), then it is gone too.
    ok(await t.gql(UpdateOfferDocument, { input: { offerId: listed.id, benefit: { kind: 'AMOUNT_OFF', amountOff: '3' } } }, t.operatorToken));
    expect((await all()).map((u) => u.holder)).toEqual(['GIFT_LIST', 'CAMPAIGN', 'ISSUED_OFFER']);
    const replaced = ok(await replace({ issuedOfferId: bought.issuedOffer.id, unusable: true, reason: 'half yen', idempotencyKey: unique('r') })).issueReplacementOffer;
    expect(replaced.userErrors).toEqual([]);
    expect((await all()).map((u) => u.holder)).toEqual(['GIFT_LIST', 'CAMPAIGN']);
  });

  it('a live wallet item with a money amount and no recorded money is listed, and replaced once staff name its money', async () => {
    const store = await createStore(t, PROGRAM);
    const offer = await yenOffer('200');
    const listing = ok(await t.gql(AddListingDocument, { input: { storeId: store.id, offerId: offer.id, priceInPoints: 10 } }, t.operatorToken)).addListing.listing!;
    const customer = await createCustomer(t, PROGRAM, 10);
    const bought = ok(await t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: unique('buy') }, customer.token)).purchaseOffer.purchase!;
    // Issued before issued_offer.money_currency, its program not traced.
    expect(await t.sql(`update issued_offer set money_currency = null where code = $1 returning id`, [bought.issuedOffer.code])).toHaveLength(1);

    const listed = (await all()).filter((u) => u.holderId === bought.issuedOffer.id);
    expect(listed).toEqual([
      expect.objectContaining({ holder: 'ISSUED_OFFER', moneyCurrency: null, field: 'amountOff', amount: '200.00', message: "This offer's amountOff 200.00 is in no recorded money, so no till naming its money can apply it." }),
    ]);

    const input = { issuedOfferId: bought.issuedOffer.id, unusable: true, reason: 'money not recorded', idempotencyKey: unique('r') };
    // Not named: refused as before, now saying what to send.
    const unnamed = dataOf(await replace(input)).issueReplacementOffer;
    expect(unnamed.userErrors).toEqual([expect.objectContaining({ code: 'INVALID', field: ['input', 'issuedOfferId'], message: expect.stringMatching(/name the money of the program it was issued in \(moneyCurrency\)/) })]);
    // A live offer is replaced only with unusable, money named or not.
    const notUnusable = dataOf(await replace({ ...input, unusable: false, idempotencyKey: unique('r'), moneyCurrency: 'JPY' })).issueReplacementOffer;
    expect(notUnusable.userErrors).toEqual([expect.objectContaining({ code: 'INVALID', field: ['input', 'issuedOfferId'], message: expect.stringMatching(/send unusable: true/) })]);

    const named = ok(await replace({ ...input, idempotencyKey: unique('r'), moneyCurrency: 'JPY' })).issueReplacementOffer;
    expect(named.userErrors).toEqual([]);
    expect(named.replaced).toMatchObject({ id: bought.issuedOffer.id, status: 'VOIDED' });
    expect(named.issuedOffer).toMatchObject({ status: 'ISSUED', moneyCurrency: 'JPY', offer: { version: 1, benefit: { amountOff: '200.00' } } });
    const [audit] = await t.sql<{ details: { moneyCurrency?: string } }>(`select details from audit_entry where action = 'issueReplacementOffer' order by id desc limit 1`);
    expect(audit.details.moneyCurrency).toBe('JPY');
    expect((await all()).filter((u) => u.holderId === bought.issuedOffer.id)).toEqual([]);

    // A recorded money is not overridden.
    const other = ok(await t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: unique('buy') }, (await createCustomer(t, PROGRAM, 10)).token)).purchaseOffer.purchase!;
    await t.sql(`update offer_version set amount_off = 2.50 where id = (select offer_version_id from issued_offer where code = $1)`, [other.issuedOffer.code]);
    const overridden = dataOf(await replace({ issuedOfferId: other.issuedOffer.id, unusable: true, reason: 'other money', idempotencyKey: unique('r'), moneyCurrency: 'EUR' })).issueReplacementOffer;
    expect(overridden.userErrors).toEqual([expect.objectContaining({ code: 'INVALID', field: ['input', 'moneyCurrency'], message: "This offer's money is JPY, recorded when it was issued; it is not replaced in EUR." })]);
  });

  it("a member's gift list does not offer an option the claim would refuse; a list with no other option is not shown", async () => {
    const good = await yenOffer('100');
    const bad = await yenOffer('200');
    const onlyBad = await yenOffer('300');
    const both = ok(await t.gql(CreateGiftListDocument, { input: { currency: PROGRAM, name: unique('both'), threshold: 10, offerIds: [good.id, bad.id] } }, t.operatorToken)).createGiftList.giftList!;
    const lone = ok(await t.gql(CreateGiftListDocument, { input: { currency: PROGRAM, name: unique('lone'), threshold: 10, offerIds: [onlyBad.id] } }, t.operatorToken)).createGiftList.giftList!;
    await makeFiner(bad.name);
    await makeFiner(onlyBad.name);
    const customer = await createCustomer(t, PROGRAM, 10);
    const lists = ok(await t.gql(GiftListsDocument, {}, customer.token)).me!.giftLists.filter((l) => [both.id, lone.id].includes(l.id));
    expect(lists.map((l) => ({ id: l.id, options: l.options.map((o) => o.name) }))).toEqual([{ id: both.id, options: [good.name] }]);

    // Edited to yen, the option is offered again.
    ok(await t.gql(UpdateOfferDocument, { input: { offerId: bad.id, benefit: { kind: 'AMOUNT_OFF', amountOff: '2' } } }, t.operatorToken));
    const again = ok(await t.gql(GiftListsDocument, {}, customer.token)).me!.giftLists.find((l) => l.id === both.id)!;
    expect(again.options.map((o) => o.name)).toEqual([good.name, bad.name]);
  });
});
