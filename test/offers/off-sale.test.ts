import {
  AddListingDocument,
  ClaimGiftDocument,
  CreateCampaignDocument,
  CreateCurrencyDocument,
  CreateGiftListDocument,
  CreateOfferDocument,
  PurchaseOfferDocument,
  SetEconomyRuleDocument,
  SubmitTransactionDocument,
  TransactionStatusDocument,
  UpdateOfferDocument,
  WalletDocument,
} from '../generated/graphql.js';
import { logOffersNoTillCanApply } from '../../src/offers/offer.service.js';
import { expectRefusedWith, ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCustomer, createPartner, createStore, unique } from '../support/program.js';

/**
 * Data from before money-12 still put offers no till can apply on sale: a yen listing, gift list
 * or campaign whose offer reads "2.50" off (amounts were cents then; money-12 refuses to make one
 * since). Each path now refuses or skips it: a purchase and a gift claim are OFFER_UNAVAILABLE with
 * nothing written, a campaign's sale awards its points but not the offer; the start-up log lists
 * each holder for staff (offsale-12, docs/decisions.md). The state before the upgrade is made by
 * hand, as in test/wallet/unusable-replacement.test.ts: the offer's current version reads "2.50".
 */
describe('an offer no till can apply in its program money is not sold, claimed or awarded (offsale-12)', () => {
  let t: TestGateway;
  let till: Awaited<ReturnType<typeof createPartner>>;
  let store: { id: string };
  const PROGRAM = 'OFFSALE_JPY';
  const DAY = 86_400_000;

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    ok(await t.gql(CreateCurrencyDocument, { input: { code: PROGRAM, name: PROGRAM, expiryDays: null, pointValue: '1', moneyCurrency: 'JPY' } }, t.operatorToken));
    // one point per ¥100
    ok(await t.gql(SetEconomyRuleDocument, { input: { currency: PROGRAM, pointsPerUnit: '0.01' } }, t.operatorToken));
    store = await createStore(t, PROGRAM);
    till = await createPartner(t, ['transactions:write', 'transactions:read', 'offers:redeem']);
  });
  afterEach(async () => expect(await ledgerViolations(t)).toEqual([]));
  afterAll(() => t.close());

  /** An offer of ¥200 off whose current version is then made to read "2.50" off, as stored before money-12. */
  async function halfYenOffer() {
    const offer = ok(await t.gql(CreateOfferDocument, { input: { name: unique('yen off'), benefit: { kind: 'AMOUNT_OFF', amountOff: '200' }, validDays: 30 } }, t.operatorToken)).createOffer.offer!;
    const makeHalfYen = async () =>
      expect(await t.sql(`update offer_version ov set amount_off = 2.50 from offer o where ov.id = o.current_version_id and ov.name = $1 returning ov.id`, [offer.name])).toHaveLength(1);
    return { offer, makeHalfYen };
  }

  const editTo = async (offerId: string, amountOff: string) =>
    expect(ok(await t.gql(UpdateOfferDocument, { input: { offerId, benefit: { kind: 'AMOUNT_OFF', amountOff } } }, t.operatorToken)).updateOffer.userErrors).toEqual([]);

  it('a yen listing of "2.50 off" is not bought: OFFER_UNAVAILABLE, no points taken, nothing written; on sale again once edited', async () => {
    const { offer, makeHalfYen } = await halfYenOffer();
    const listing = ok(await t.gql(AddListingDocument, { input: { storeId: store.id, offerId: offer.id, priceInPoints: 10 } }, t.operatorToken)).addListing.listing!;
    await makeHalfYen();
    const customer = await createCustomer(t, PROGRAM, 10);
    const buy = (idempotencyKey: string) => t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey }, customer.token);
    await expectRefusedWith(t, () => buy(unique('buy')), 'purchaseOffer', 'OFFER_UNAVAILABLE', ['input', 'listingId'], /^This offer cannot be bought now: .* No points were taken\.$/);
    expect(ok(await t.gql(WalletDocument, {}, customer.token)).me!.wallet.edges).toEqual([]);

    // Staff edit the offer to an amount of yen: the same listing sells it again, at the new version.
    await editTo(offer.id, '3');
    const bought = ok(await buy(unique('buy'))).purchaseOffer;
    expect(bought.userErrors).toEqual([]);
    expect((await t.sql<{ amount: string }>(`select ov.amount_off::text as amount from issued_offer io join offer_version ov on ov.id = io.offer_version_id where io.code = $1`, [bought.purchase!.issuedOffer.code]))[0].amount).toBe('3.00');
  });

  it('a yen gift list offering "2.50 off" is not claimed: OFFER_UNAVAILABLE, nothing spent or written', async () => {
    const { offer, makeHalfYen } = await halfYenOffer();
    const list = ok(await t.gql(CreateGiftListDocument, { input: { currency: PROGRAM, name: unique('gifts'), threshold: 10, offerIds: [offer.id] } }, t.operatorToken)).createGiftList.giftList!;
    await makeHalfYen();
    const customer = await createCustomer(t, PROGRAM, 10);
    await expectRefusedWith(
      t,
      () => t.gql(ClaimGiftDocument, { giftListId: list.id, optionId: offer.id, idempotencyKey: unique('claim') }, customer.token),
      'claimGift',
      'OFFER_UNAVAILABLE',
      ['input', 'optionId'],
      /^This offer cannot be picked now: .* No points were taken\.$/,
    );
  });

  it("a yen campaign awarding \"2.50 off\" gives its points but not the offer; the start-up log names every holder", async () => {
    const { offer, makeHalfYen } = await halfYenOffer();
    const now = t.clock.now().getTime();
    const window = { startsAt: new Date(now - DAY).toISOString(), endsAt: new Date(now + DAY).toISOString() };
    const campaign = ok(
      await t.gql(CreateCampaignDocument, { input: { name: unique('camp'), currency: PROGRAM, ...window, outcome: { bonusPoints: 5, offerId: offer.id } } }, t.operatorToken),
    ).createCampaign.campaign!;
    await makeHalfYen();
    const customer = await createCustomer(t, PROGRAM);
    const externalId = unique('sale');
    const input = { externalId, customerExternalId: customer.externalId, occurredAt: t.clock.now().toISOString(), currency: 'JPY', lines: [{ sku: 'LATTE', quantity: 2, unitPrice: '500' }] };
    expect(ok(await t.gql(SubmitTransactionDocument, { input }, till.credential)).submitTransaction.userErrors).toEqual([]);
    await t.jobs.runner.runUntilIdle();
    const sale = ok(await t.gql(TransactionStatusDocument, { externalId }, till.credential)).transaction!;
    // ¥1000 at one point per ¥100, and the campaign's 5; no offer
    expect(sale).toMatchObject({ status: 'PROCESSED', pointsAwarded: 15 });
    expect(sale.awards.map((a) => a.kind)).not.toContain('OFFER');
    expect(ok(await t.gql(WalletDocument, {}, customer.token)).me!.wallet.edges).toEqual([]);

    // What staff see at start-up: this campaign among the holders (the earlier tests' listing was
    // edited back to yen, so it is not; their gift list still offers "2.50 off").
    const warned: { details: object; message: string }[] = [];
    const found = await logOffersNoTillCanApply(t.orm.em.fork(), { warn: (details, message) => warned.push({ details, message }) });
    expect(found.map((f) => [f.holder, f.money, f.amountOff])).toEqual([
      ['campaign', 'JPY', '2.50'],
      ['giftList', 'JPY', '2.50'],
    ]);
    const [stored] = await t.sql<{ campaign: number; offer: number }>(`select c.id as campaign, c.offer_id as offer from campaign c where c.name = $1`, [campaign.name]);
    expect(found[0]).toMatchObject({ holderId: Number(stored.campaign), currency: PROGRAM, offerId: Number(stored.offer) });
    expect(warned[0].message).toMatch(/^campaign \d+ holds offer \d+ \(version 1\) whose amount is finer than JPY can be paid in: it is not sold, claimed or awarded until/);
  });
});
