import {
  AddListingDocument,
  CreateCampaignDocument,
  CreateCurrencyDocument,
  CreateGiftListDocument,
  CreateOfferDocument,
  ProgramStatsDocument,
  PurchaseOfferDocument,
  ReverseTransactionDocument,
  SetEconomyRuleDocument,
  SubmitTransactionDocument,
  TransactionStatusDocument,
  UpdateOfferDocument,
  WalletDocument,
  type CreateOfferInput,
  type SubmitTransactionInput,
} from '../generated/graphql.js';
import { dataOf, ledgerViolations, ok, startTestGateway, writeCounts, type TestGateway } from '../support/gateway.js';
import { createCustomer, createPartner, createStore, earningProgram, unique } from '../support/program.js';

const DAY = 86_400_000;

/**
 * Money with the decimals of its currency (docs/decisions.md, "Money and time edges (money-12)"):
 * ISO 4217 gives KWD, BHD, OMR, TND, JOD three decimals and JPY, KRW none. Through HTTP with the
 * contract's operations, on a real PostgreSQL: a price is taken when it is a whole number of the
 * money's minor units (zeros past them too), refused with BAD_USER_INPUT naming the line's
 * `unitPrice` otherwise; totals, discounts, points and the liability are exact in that money.
 */
describe('money in the decimals of its currency (money-12)', () => {
  let t: TestGateway;
  let till: Awaited<ReturnType<typeof createPartner>>;
  const KWD = 'FILSPTS';
  const JPY = 'YENPTS';
  const stores: Record<string, { id: string }> = {};

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    for (const [code, moneyCurrency, pointsPerUnit, pointValue] of [
      [KWD, 'KWD', '10', '0.001'],
      [JPY, 'JPY', '0.01', '1'],
    ]) {
      ok(await t.gql(CreateCurrencyDocument, { input: { code, name: code, expiryDays: null, pointValue, moneyCurrency } }, t.operatorToken));
      ok(await t.gql(SetEconomyRuleDocument, { input: { currency: code, pointsPerUnit } }, t.operatorToken));
      stores[code] = await createStore(t, code);
    }
    till = await createPartner(t, ['transactions:write', 'transactions:read', 'offers:redeem']);
  });
  afterEach(async () => expect(await ledgerViolations(t)).toEqual([]));
  afterAll(() => t.close());

  const sale = (customerExternalId: string, currency: string, lines: SubmitTransactionInput['lines'], offerCodes?: string[]): SubmitTransactionInput => ({
    externalId: unique('sale'),
    customerExternalId,
    occurredAt: t.clock.now().toISOString(),
    currency,
    lines,
    ...(offerCodes ? { offerCodes } : {}),
  });
  const submit = async (input: SubmitTransactionInput) => t.gql(SubmitTransactionDocument, { input }, till.credential);
  const processed = async (externalId: string) => {
    await t.jobs.runner.runUntilIdle();
    return ok(await t.gql(TransactionStatusDocument, { externalId }, till.credential)).transaction!;
  };
  const balance = async (externalId: string, currency: string) =>
    (await t.sql<{ available: number }>(`select available from point_account a join customer c on c.id = a.customer_id where c.external_id = $1 and a.currency_code = $2`, [externalId, currency]))[0]
      ?.available ?? 0;

  /** Refused at the edge: BAD_USER_INPUT naming `field`, with `message`, and nothing written. */
  async function refusedAtTheEdge(input: SubmitTransactionInput, field: string[], message: string) {
    const before = await writeCounts(t);
    const answer = await submit(input);
    expect(answer.errors?.map((e) => ({ code: e.extensions?.code, field: e.extensions?.field, message: e.message }))).toEqual([{ code: 'BAD_USER_INPUT', field, message }]);
    expect(await writeCounts(t)).toEqual(before);
  }

  it('a KWD sale priced in fils is taken, totalled and earned on exactly, and its return takes back exactly that', async () => {
    const customer = await createCustomer(t, KWD);
    // 3 × 1.250 + 0.125 = 3.875 KWD; 10 points per dinar: 38.75 → 38 (the rule's FLOOR)
    const input = sale(customer.externalId, 'KWD', [
      { sku: 'LATTE', quantity: 3, unitPrice: '1.250' },
      { sku: 'SUGAR', quantity: 1, unitPrice: '0.125' },
    ]);
    expect(ok(await submit(input)).submitTransaction.userErrors).toEqual([]);
    expect(await processed(input.externalId)).toMatchObject({ status: 'PROCESSED', total: '3.875', discount: '0.000', pointsAwarded: 38 });
    expect(await balance(customer.externalId, KWD)).toBe(38);

    expect(ok(await t.gql(ReverseTransactionDocument, { externalId: input.externalId, reason: 'returned' }, till.credential)).reverseTransaction.userErrors).toEqual([]);
    expect(await balance(customer.externalId, KWD)).toBe(0);
  });

  it('a price finer than its money is refused, naming the line: 10.5 JPY, 1.2345 KWD; zeros past its decimals are taken', async () => {
    const customer = await createCustomer(t, JPY);
    await refusedAtTheEdge(
      sale(customer.externalId, 'JPY', [
        { sku: 'LATTE', quantity: 1, unitPrice: '480' },
        { sku: 'MUFFIN', quantity: 2, unitPrice: '10.5' },
      ]),
      ['input', 'lines', '1', 'unitPrice'],
      'lines.1.unitPrice 10.5 is not an amount of JPY, which has no decimals',
    );
    await refusedAtTheEdge(
      sale(customer.externalId, 'KWD', [{ sku: 'LATTE', quantity: 1, unitPrice: '1.2345' }]),
      ['input', 'lines', '0', 'unitPrice'],
      'lines.0.unitPrice 1.2345 is not an amount of KWD, which has 3 decimals',
    );

    // ¥1000.00 is ¥1000: a till that writes every price with two decimals is understood
    const input = sale(customer.externalId, 'JPY', [{ sku: 'BEANS', quantity: 2, unitPrice: '1000.00' }]);
    expect(ok(await submit(input)).submitTransaction.userErrors).toEqual([]);
    // 0.01 points per yen: 2000 × 0.01 = 20
    expect(await processed(input.externalId)).toMatchObject({ status: 'PROCESSED', total: '2000', discount: '0', pointsAwarded: 20 });
  });

  /** A customer of `program` with an offer made of `benefit`, bought in its store for 1 point. */
  async function bought(program: string, benefit: CreateOfferInput['benefit']) {
    const offer = ok(await t.gql(CreateOfferDocument, { input: { name: unique('offer'), benefit, validDays: 30 } }, t.operatorToken)).createOffer.offer!;
    const listing = ok(await t.gql(AddListingDocument, { input: { storeId: stores[program].id, offerId: offer.id, priceInPoints: 1 } }, t.operatorToken)).addListing.listing!;
    const customer = await createCustomer(t, program, 10);
    const issued = ok(await t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: unique('buy') }, customer.token)).purchaseOffer.purchase!.issuedOffer;
    return { code: issued.code, customer };
  }

  it('a percent off a KWD sale is rounded to the fil, not to the cent', async () => {
    const { code, customer } = await bought(KWD, { kind: 'PERCENT_OFF', percentOff: 10 });
    const input = sale(customer.externalId, 'KWD', [{ sku: 'LATTE', quantity: 3, unitPrice: '1.125' }], [code]);
    expect(ok(await submit(input)).submitTransaction.userErrors).toEqual([]);
    // 10 % of 3.375 = 0.3375 → 0.338 (half up); paid 3.037 → 30.37 points → 30
    expect(await processed(input.externalId)).toMatchObject({ total: '3.375', discount: '0.338', pointsAwarded: 30 });
  });

  it('an amount off finer than its money (2.50 off in a JPY program) is not applicable: the offer is kept, nothing written', async () => {
    const { code, customer } = await bought(JPY, { kind: 'AMOUNT_OFF', amountOff: '200' });
    // as an offer issued before such offers were refused where they are put (below) would be
    await t.sql(`update offer_version set amount_off = 2.50 where id = (select offer_version_id from issued_offer where code = $1)`, [code]);
    const before = await writeCounts(t);
    const answer = dataOf(await submit(sale(customer.externalId, 'JPY', [{ sku: 'LATTE', quantity: 1, unitPrice: '480' }], [code]))).submitTransaction;
    expect(answer).toEqual({
      transaction: null,
      userErrors: [
        {
          code: 'OFFER_NOT_APPLICABLE',
          field: ['input', 'offerCodes', '0'],
          message: "This offer's amount is finer than JPY can be paid in (it has no decimals), so it cannot be used on this sale." +
            " Nothing was recorded and the offer stays in the member's wallet: send the sale again without this code (the same externalId) to record it.",
        },
      ],
    });
    expect(await writeCounts(t)).toEqual(before);
  });

  it('an offer whose amount is finer than a program\'s money is not put in it: a listing, a gift list, a campaign, an edit', async () => {
    const newOffer = async (amountOff: string, maxDiscount?: string) =>
      ok(
        await t.gql(
          CreateOfferDocument,
          { input: { name: unique('offer'), benefit: maxDiscount ? { kind: 'PERCENT_OFF', percentOff: 10, maxDiscount } : { kind: 'AMOUNT_OFF', amountOff }, validDays: 30 } },
          t.operatorToken,
        ),
      ).createOffer.offer!;
    const halfYen = await newOffer('2.50');
    const cappedAtHalfYen = await newOffer('', '2.50');
    const whole = await newOffer('200');
    const message = (field: string) => `This offer's ${field} 2.50 is finer than JPY, the money of this program, can be paid in (it has no decimals).`;
    const before = await writeCounts(t);
    const giftLists = async () => (await t.sql<{ n: number }>(`select count(*)::int as n from gift_list`))[0].n;
    const campaigns = async () => (await t.sql<{ n: number }>(`select count(*)::int as n from campaign`))[0].n;
    const [giftListsBefore, campaignsBefore] = [await giftLists(), await campaigns()];

    const listing = dataOf(await t.gql(AddListingDocument, { input: { storeId: stores[JPY].id, offerId: halfYen.id, priceInPoints: 1 } }, t.operatorToken)).addListing;
    expect(listing).toEqual({ listing: null, userErrors: [{ code: 'INVALID', field: ['input', 'offerId'], message: message('amountOff') }] });
    const capped = dataOf(await t.gql(AddListingDocument, { input: { storeId: stores[JPY].id, offerId: cappedAtHalfYen.id, priceInPoints: 1 } }, t.operatorToken)).addListing;
    expect(capped.userErrors).toEqual([{ code: 'INVALID', field: ['input', 'offerId'], message: message('maxDiscount') }]);

    const gifts = dataOf(await t.gql(CreateGiftListDocument, { input: { currency: JPY, name: unique('gifts'), threshold: 10, offerIds: [whole.id, halfYen.id] } }, t.operatorToken)).createGiftList;
    expect(gifts).toEqual({ giftList: null, userErrors: [{ code: 'INVALID', field: ['input', 'offerIds', '1'], message: message('amountOff') }] });

    const window = { startsAt: t.clock.now().toISOString(), endsAt: new Date(t.clock.now().getTime() + DAY).toISOString() };
    const campaign = dataOf(await t.gql(CreateCampaignDocument, { input: { name: unique('c'), currency: JPY, ...window, outcome: { offerId: halfYen.id } } }, t.operatorToken)).createCampaign;
    expect(campaign).toEqual({ campaign: null, userErrors: [{ code: 'INVALID', field: ['input', 'outcome', 'offerId'], message: message('amountOff') }] });
    expect(await writeCounts(t)).toEqual(before);
    expect([await giftLists(), await campaigns()]).toEqual([giftListsBefore, campaignsBefore]);

    // in a KWD store 2.50 is 2.500: taken; an edit to 2.50 of an offer listed in a JPY store is not
    ok(await t.gql(AddListingDocument, { input: { storeId: stores[KWD].id, offerId: halfYen.id, priceInPoints: 1 } }, t.operatorToken));
    ok(await t.gql(AddListingDocument, { input: { storeId: stores[JPY].id, offerId: whole.id, priceInPoints: 1 } }, t.operatorToken));
    const edit = dataOf(await t.gql(UpdateOfferDocument, { input: { offerId: whole.id, benefit: { kind: 'AMOUNT_OFF', amountOff: '2.50' } } }, t.operatorToken)).updateOffer;
    expect(edit).toEqual({
      offer: null,
      userErrors: [
        { code: 'INVALID', field: ['input', 'benefit', 'amountOff'], message: "This offer's amountOff 2.50 is finer than JPY, the money of a program it is offered in, can be paid in (it has no decimals)." },
      ],
    });
  });

  it("the liability of points is in the money's decimals: fils for KWD, whole yen for JPY", async () => {
    const from = new Date(t.clock.now().getTime() - DAY).toISOString();
    const to = new Date(t.clock.now().getTime() + DAY).toISOString();
    const stats = async (currency: string) => ok(await t.gql(ProgramStatsDocument, { currency, from, to }, t.analystToken)).programStats!;
    const kwd = await stats(KWD);
    // every point is worth 0.001 KWD: the liability is the outstanding points in fils
    expect(kwd.outstandingLiability).toBe((kwd.outstandingPoints / 1000).toFixed(3));
    const jpy = await stats(JPY);
    expect(jpy.outstandingLiability).toBe(String(jpy.outstandingPoints));
  });

  it("a campaign's days of the week are days, and the till's: the offset occurredAt was written with (UTC+14, UTC+9, UTC−12)", async () => {
    const { currency, money } = await earningProgram(t, 'DAYS', { expiryDays: null });
    // the clock on the coming Wednesday, 12:00 UTC, a week or more ahead
    const now = t.clock.now().getTime();
    const wednesday = Math.floor(now / DAY) * DAY + (((3 - new Date(now).getUTCDay() + 7) % 7) + 7) * DAY + 12 * 3_600_000;
    t.clock.advance(wednesday - now);
    const tuesday = new Date(wednesday - DAY).toISOString().slice(0, 10);
    const monday = new Date(wednesday - 2 * DAY).toISOString().slice(0, 10);
    const wednesdayDate = new Date(wednesday).toISOString().slice(0, 10);
    const window = { startsAt: new Date(wednesday - 7 * DAY).toISOString(), endsAt: new Date(wednesday + DAY).toISOString() };
    expect(ok(await t.gql(CreateCampaignDocument, { input: { name: 'Tuesday bonus', currency, ...window, conditions: { daysOfWeek: [2] }, outcome: { bonusPoints: 100 } } }, t.operatorToken)).createCampaign.userErrors).toEqual([]);
    const customer = await createCustomer(t, currency);
    const awarded = async (occurredAt: string) => {
      const input = sale(customer.externalId, money, [{ sku: 'BEANS', quantity: 1, unitPrice: '1.00' }]);
      expect(ok(await submit({ ...input, occurredAt })).submitTransaction.userErrors).toEqual([]);
      const r = await processed(input.externalId);
      return r.pointsAwarded; // 10 from the economy rule, 110 with the bonus
    };
    // a campaign for some days of the week applied on none (days_of_week was text[]: "2" is not 2)
    expect({ utcTuesday: await awarded(`${tuesday}T12:00:00Z`), utcMonday: await awarded(`${monday}T12:00:00Z`) }).toEqual({ utcTuesday: 110, utcMonday: 10 });
    // the till's day, by the offset it wrote: Tuesday in Kiribati, Baker Island and Tokyo is not Tuesday in UTC
    expect({
      kiribatiTuesdayDawn: await awarded(`${tuesday}T00:30:00+14:00`), // Monday 10:30 UTC
      tokyoWednesdayMorning: await awarded(`${wednesdayDate}T08:00:00+09:00`), // Tuesday 23:00 UTC
      bakerIslandTuesdayNight: await awarded(`${tuesday}T23:30:00-12:00`), // Wednesday 11:30 UTC
      tokyoTuesdayEvening: await awarded(`${tuesday}T20:00:00+09:00`), // Tuesday 11:00 UTC
    }).toEqual({ kiribatiTuesdayDawn: 110, tokyoWednesdayMorning: 10, bakerIslandTuesdayNight: 110, tokyoTuesdayEvening: 110 });
    // an offset no time zone has (RFC 3339's syntax takes up to +23:59) is refused at the edge, not by the database
    const beyond = await submit({ ...sale(customer.externalId, money, [{ sku: 'BEANS', quantity: 1, unitPrice: '1.00' }]), occurredAt: `${tuesday}T20:00:00+20:00` });
    expect(beyond.errors?.map((e) => ({ code: e.extensions?.code, field: e.extensions?.field }))).toEqual([{ code: 'BAD_USER_INPUT', field: ['input', 'occurredAt'] }]);
    expect(beyond.errors?.[0].message).toMatch(/UTC offset between -18:00 and \+18:00/);
    // a repeat of a sale in another offset is the same sale (the same instant), answered as the first: its offset stands
    const input = sale(customer.externalId, money, [{ sku: 'BEANS', quantity: 1, unitPrice: '1.00' }]);
    const first = ok(await submit({ ...input, occurredAt: `${wednesdayDate}T08:00:00+09:00` })).submitTransaction.transaction;
    expect(ok(await submit({ ...input, occurredAt: `${tuesday}T23:00:00Z` })).submitTransaction).toEqual({ transaction: first, userErrors: [] });
    expect((await processed(input.externalId)).pointsAwarded).toBe(10);
  });

  it('a program in a money of large numbers earns one point per 100,000 of it (pointsPerUnit 0.00001, VND)', async () => {
    ok(await t.gql(CreateCurrencyDocument, { input: { code: 'DONGPTS', name: 'Dong points', expiryDays: null, pointValue: '1000', moneyCurrency: 'VND' } }, t.operatorToken));
    const rule = ok(await t.gql(SetEconomyRuleDocument, { input: { currency: 'DONGPTS', pointsPerUnit: '0.00001' } }, t.operatorToken)).setEconomyRule;
    expect(rule.rule).toMatchObject({ pointsPerUnit: '0.00001' });
    const customer = await createCustomer(t, 'DONGPTS');
    const input = sale(customer.externalId, 'VND', [{ sku: 'PHO', quantity: 5, unitPrice: '55000' }]);
    expect(ok(await submit(input)).submitTransaction.userErrors).toEqual([]);
    // 275,000₫ × 0.00001 = 2.75 → 2 (FLOOR)
    expect(await processed(input.externalId)).toMatchObject({ total: '275000', pointsAwarded: 2 });
    // a rule written with fewer decimals is answered as before, with four
    expect(ok(await t.gql(SetEconomyRuleDocument, { input: { currency: 'DONGPTS', pointsPerUnit: '1' } }, t.operatorToken)).setEconomyRule.rule).toMatchObject({ pointsPerUnit: '1.0000' });
  });

  it('a KWD offer takes fils off (0.125 KWD), and a KWD campaign can ask for a minimum spend in fils', async () => {
    const { code, customer } = await bought(KWD, { kind: 'AMOUNT_OFF', amountOff: '0.125' });
    const window = { startsAt: new Date(t.clock.now().getTime() - DAY).toISOString(), endsAt: new Date(t.clock.now().getTime() + DAY).toISOString() };
    ok(await t.gql(CreateCampaignDocument, { input: { name: unique('fils'), currency: KWD, ...window, conditions: { minSpend: '2.625' }, outcome: { bonusPoints: 7 } } }, t.operatorToken));
    // 2.750 − 0.125 = 2.625 paid: the minimum is met; 26.25 → 26 points and the bonus
    const input = sale(customer.externalId, 'KWD', [{ sku: 'LATTE', quantity: 1, unitPrice: '2.750' }], [code]);
    expect(ok(await submit(input)).submitTransaction.userErrors).toEqual([]);
    expect(await processed(input.externalId)).toMatchObject({ total: '2.750', discount: '0.125', pointsAwarded: 26 + 7 });
    // 2.749 − 0.125 = 2.624: not met
    const other = await bought(KWD, { kind: 'AMOUNT_OFF', amountOff: '0.125' });
    const below = sale(other.customer.externalId, 'KWD', [{ sku: 'LATTE', quantity: 1, unitPrice: '2.749' }], [other.code]);
    expect(ok(await submit(below)).submitTransaction.userErrors).toEqual([]);
    expect(await processed(below.externalId)).toMatchObject({ discount: '0.125', pointsAwarded: 26 });
  });
  it('an offer of a campaign that ended is not edited finer than its money while a late sale can still be in it (break-12f)', async () => {
    const offer = ok(await t.gql(CreateOfferDocument, { input: { name: unique('offer'), benefit: { kind: 'AMOUNT_OFF', amountOff: '200' }, validDays: 30 } }, t.operatorToken)).createOffer.offer!;
    // a JPY campaign of the day before yesterday: it ended yesterday
    const now = t.clock.now().getTime();
    const window = { startsAt: new Date(now - 2 * DAY).toISOString(), endsAt: new Date(now - DAY).toISOString() };
    ok(await t.gql(CreateCampaignDocument, { input: { name: unique('ended'), currency: JPY, ...window, outcome: { offerId: offer.id } } }, t.operatorToken));
    // a till may still send a sale that happened in it (SALE_MAX_AGE_DAYS), which awards the offer as it is then
    const edit = dataOf(await t.gql(UpdateOfferDocument, { input: { offerId: offer.id, benefit: { kind: 'AMOUNT_OFF', amountOff: '2.50' } } }, t.operatorToken)).updateOffer;
    expect(edit.userErrors.map((e) => ({ code: e.code, field: e.field }))).toEqual([{ code: 'INVALID', field: ['input', 'benefit', 'amountOff'] }]);
    // so the offer a late sale of the campaign awards is one a yen till can apply
    const customer = await createCustomer(t, JPY);
    const late = { ...sale(customer.externalId, 'JPY', [{ sku: 'LATTE', quantity: 1, unitPrice: '480' }]), occurredAt: new Date(now - 1.5 * DAY).toISOString() };
    expect(ok(await submit(late)).submitTransaction.userErrors).toEqual([]);
    expect((await processed(late.externalId)).awards.map((a) => a.kind)).toContain('OFFER');
    const [awarded] = ok(await t.gql(WalletDocument, {}, customer.token)).me!.wallet.edges;
    const used = ok(await submit(sale(customer.externalId, 'JPY', [{ sku: 'LATTE', quantity: 1, unitPrice: '480' }], [awarded.node.code]))).submitTransaction;
    expect(used.userErrors).toEqual([]);
  });
});
