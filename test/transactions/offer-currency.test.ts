import {
  AddListingDocument,
  ClaimGiftDocument,
  CreateCampaignDocument,
  CreateCurrencyDocument,
  CreateGiftListDocument,
  CreateOfferDocument,
  EligibleRewardStoresDocument,
  PurchaseOfferDocument,
  RedeemOfferDocument,
  RewardStoreOffersDocument,
  SetEconomyRuleDocument,
  SubmitTransactionDocument,
  TransactionStatusDocument,
  type CreateOfferInput,
  type SubmitTransactionInput,
} from '../generated/graphql.js';
import { dataOf, ledgerViolations, ok, startTestGateway, writeCounts, type TestGateway } from '../support/gateway.js';
import { createCustomer, createPartner, createStore, storeOf, unique } from '../support/program.js';
import { DEMO, demoPartnerKey, seedDemo } from '../../src/demo/seed.js';

/** What a sale refused OFFER_NOT_APPLICABLE is told after why (src/transactions/transaction.service.ts, notApplicableToSale). */
const SALE_NOT_RECORDED = " Nothing was recorded and the offer stays in the member's wallet: send the sale again without this code (the same externalId) to record it.";

const DAY = 86_400_000;

/** The wallet with the field the app shows "€2 off" from (an addition to the contract's Wallet). */
const WALLET = `query WalletMoney { me { id wallet(first: 50) { edges { node { id code status source moneyCurrency } } } } }`;
type WalletMoney = { me: { wallet: { edges: { node: { id: string; code: string; status: string; source: string; moneyCurrency: string | null } }[] } } };

/** RedeemOffer and LockOffer as a till that says the sale's money (the optional `currency`, an addition). */
const REDEEM = `mutation RedeemIn($code: String!, $currency: String) {
  redeemOffer(input: { code: $code, currency: $currency }) { issuedOffer { code status moneyCurrency } userErrors { code field message } }
}`;
const LOCK = `mutation LockIn($code: String!, $lockId: String!, $currency: String) {
  lockOffer(input: { code: $code, lockId: $lockId, currency: $currency }) { issuedOffer { code status moneyCurrency } userErrors { code field message } }
}`;
type TillPayload = { issuedOffer: { code: string; status: string; moneyCurrency: string | null } | null; userErrors: { code: string; field: string[] | null; message: string }[] };

/**
 * An offer's amounts are in the money of the program it was issued in (docs/decisions.md, "An
 * offer's money is its program's"). Through HTTP with the contract's operations: two programs, one
 * valued in EUR and one in JPY; offers bought, claimed from a gift list and awarded by a campaign
 * in each; sales in both moneys. An amount off or a maximum discount applies only to a sale in the
 * offer's money (else OFFER_NOT_APPLICABLE, nothing written, the offer still ISSUED); percent off
 * without a cap and a free item apply in any money.
 */
describe("an offer's amounts are in its program's money", () => {
  let t: TestGateway;
  let till: Awaited<ReturnType<typeof createPartner>>;
  const EURO = 'EUROBEANS';
  const YEN = 'YENBEANS';
  const stores: Record<string, { id: string }> = {};

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    for (const [code, moneyCurrency] of [
      [EURO, 'EUR'],
      [YEN, 'JPY'],
    ]) {
      ok(await t.gql(CreateCurrencyDocument, { input: { code, name: code, expiryDays: null, pointValue: '0.01', moneyCurrency } }, t.operatorToken));
      ok(await t.gql(SetEconomyRuleDocument, { input: { currency: code, pointsPerUnit: '1' } }, t.operatorToken));
      stores[code] = await createStore(t, code);
    }
    till = await createPartner(t, ['transactions:write', 'transactions:read', 'offers:redeem']);
  });
  afterEach(async () => expect(await ledgerViolations(t)).toEqual([]));
  afterAll(() => t.close());

  const newOffer = async (benefit: CreateOfferInput['benefit']) =>
    ok(await t.gql(CreateOfferDocument, { input: { name: unique('offer'), benefit, validDays: 30 } }, t.operatorToken)).createOffer.offer!;

  /** A new customer of `program` who bought an offer made from `benefit` in its store for 1 point. */
  async function bought(program: string, benefit: CreateOfferInput['benefit']) {
    const offer = await newOffer(benefit);
    const listing = ok(await t.gql(AddListingDocument, { input: { storeId: stores[program].id, offerId: offer.id, priceInPoints: 1 } }, t.operatorToken)).addListing
      .listing!;
    const customer = await createCustomer(t, program, 100);
    const issued = ok(await t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: unique('buy') }, customer.token)).purchaseOffer.purchase!
      .issuedOffer;
    return { code: issued.code, id: issued.id, customer };
  }

  const sale = (customerExternalId: string, currency: string, offerCodes: string[], unitPrice = '10.00'): SubmitTransactionInput => ({
    externalId: unique('sale'),
    customerExternalId,
    channel: 'STORE',
    occurredAt: t.clock.now().toISOString(),
    currency,
    lines: [
      { sku: 'LATTE', category: 'COFFEE', quantity: 1, unitPrice },
      { sku: 'MUFFIN', category: 'PASTRY', quantity: 1, unitPrice: '3.00' },
    ],
    offerCodes,
  });
  const submit = async (input: SubmitTransactionInput) => dataOf(await t.gql(SubmitTransactionDocument, { input }, till.credential)).submitTransaction;
  const processed = async (externalId: string) => {
    await t.jobs.runner.runUntilIdle();
    return ok(await t.gql(TransactionStatusDocument, { externalId }, till.credential)).transaction;
  };
  const walletOf = async (token: string) => ok(await t.gql<WalletMoney, unknown>(WALLET, {}, token)).me.wallet.edges.map((e) => e.node);
  const inWallet = async (token: string, code: string) => (await walletOf(token)).find((n) => n.code === code);

  /** Refused as a whole: OFFER_NOT_APPLICABLE on the code, naming both moneys; nothing written, the offer still ISSUED. */
  async function expectRefused(input: SubmitTransactionInput, token: string, offerMoney: string, what: 'amount' | 'maximum discount' = 'amount') {
    const before = await writeCounts(t);
    const answer = await submit(input);
    expect(answer.transaction).toBeNull();
    expect(answer.userErrors).toEqual([
      { code: 'OFFER_NOT_APPLICABLE', field: ['input', 'offerCodes', '0'], message: `This offer's ${what} is in ${offerMoney}; this sale is in ${input.currency}.${SALE_NOT_RECORDED}` },
    ]);
    expect(await writeCounts(t)).toEqual(before);
    expect(ok(await t.gql(TransactionStatusDocument, { externalId: input.externalId }, till.credential)).transaction).toBeNull();
    expect((await inWallet(token, input.offerCodes![0]))?.status).toBe('ISSUED');
  }

  it('an amount off bought in a EUR program is refused on a JPY sale, and applies on a EUR sale', async () => {
    const offer = await bought(EURO, { kind: 'AMOUNT_OFF', amountOff: '2.00' });
    expect(await inWallet(offer.customer.token, offer.code)).toMatchObject({ source: 'PURCHASE', moneyCurrency: 'EUR' });
    const balance = async () => (await t.sql<{ available: number }>(`select available from point_account a join customer c on c.id = a.customer_id where c.external_id = $1`, [offer.customer.externalId]))[0].available;
    const points = await balance();

    // ¥2 off a JPY sale was what the till took before: money lost either way.
    await expectRefused(sale(offer.customer.externalId, 'JPY', [offer.code], '1000'), offer.customer.token, 'EUR');
    expect(await balance()).toBe(points);

    const eur = sale(offer.customer.externalId, 'EUR', [offer.code]);
    expect(await submit(eur)).toMatchObject({ transaction: { status: 'RECEIVED' }, userErrors: [] });
    expect(await processed(eur.externalId)).toMatchObject({ status: 'PROCESSED', total: '13.00', discount: '2.00', offersApplied: [{ code: offer.code }] });
    expect((await inWallet(offer.customer.token, offer.code))?.status).toBe('REDEEMED');
  });

  it('"500.00 off" meant for JPY is refused on a EUR sale (not €500 off)', async () => {
    const offer = await bought(YEN, { kind: 'AMOUNT_OFF', amountOff: '500.00' });
    expect((await inWallet(offer.customer.token, offer.code))?.moneyCurrency).toBe('JPY');
    await expectRefused(sale(offer.customer.externalId, 'EUR', [offer.code], '600.00'), offer.customer.token, 'JPY');
    const yen = sale(offer.customer.externalId, 'JPY', [offer.code], '600');
    expect(await submit(yen)).toMatchObject({ transaction: { status: 'RECEIVED' }, userErrors: [] });
    expect(await processed(yen.externalId)).toMatchObject({ status: 'PROCESSED', discount: '500' });
  });

  it('a percent off capped by a maximum discount is refused in another money; uncapped percent off and a free item apply in any', async () => {
    const capped = await bought(EURO, { kind: 'PERCENT_OFF', percentOff: 50, maxDiscount: '1.00' });
    // A capped percent off or free item has no amount: the till is told the cap is in EUR (newcomer-19).
    await expectRefused(sale(capped.customer.externalId, 'JPY', [capped.code]), capped.customer.token, 'EUR', 'maximum discount');
    const cappedFreeItem = await bought(EURO, { kind: 'FREE_ITEM', freeSku: 'MUFFIN', maxDiscount: '2.50' });
    await expectRefused(sale(cappedFreeItem.customer.externalId, 'JPY', [cappedFreeItem.code]), cappedFreeItem.customer.token, 'EUR', 'maximum discount');

    const percent = await bought(EURO, { kind: 'PERCENT_OFF', percentOff: 10 });
    const percentSale = sale(percent.customer.externalId, 'JPY', [percent.code], '1000');
    expect(await submit(percentSale)).toMatchObject({ transaction: { status: 'RECEIVED' }, userErrors: [] });
    // in whole yen (money-12): 10 % of ¥1003 is ¥100.30, rounded half up to ¥100 (it was "100.30", a third of a sen off)
    expect(await processed(percentSale.externalId)).toMatchObject({ status: 'PROCESSED', total: '1003', discount: '100' });

    const muffin = await bought(EURO, { kind: 'FREE_ITEM', freeSku: 'MUFFIN' });
    const muffinSale = sale(muffin.customer.externalId, 'JPY', [muffin.code], '1000');
    expect(await submit(muffinSale)).toMatchObject({ transaction: { status: 'RECEIVED' }, userErrors: [] });
    expect(await processed(muffinSale.externalId)).toMatchObject({ status: 'PROCESSED', discount: '3' });
  });

  it('an offer claimed from a gift list is in the money of the list', async () => {
    const offer = await newOffer({ kind: 'AMOUNT_OFF', amountOff: '100.00' });
    const list = ok(await t.gql(CreateGiftListDocument, { input: { currency: YEN, name: unique('list'), threshold: 10, offerIds: [offer.id] } }, t.operatorToken))
      .createGiftList.giftList!;
    const customer = await createCustomer(t, YEN, 50);
    const issued = ok(await t.gql(ClaimGiftDocument, { giftListId: list.id, optionId: offer.id, idempotencyKey: unique('claim') }, customer.token)).claimGift.issuedOffer!;
    expect(await inWallet(customer.token, issued.code)).toMatchObject({ source: 'GIFT', moneyCurrency: 'JPY' });

    await expectRefused(sale(customer.externalId, 'EUR', [issued.code], '150.00'), customer.token, 'JPY');
    const yen = sale(customer.externalId, 'JPY', [issued.code], '150');
    expect(await submit(yen)).toMatchObject({ transaction: { status: 'RECEIVED' }, userErrors: [] });
    expect(await processed(yen.externalId)).toMatchObject({ status: 'PROCESSED', discount: '100' });
  });

  it("an offer a campaign awards is in the campaign's money", async () => {
    const offer = await newOffer({ kind: 'AMOUNT_OFF', amountOff: '1.50', skus: ['LATTE'] });
    const window = { startsAt: new Date(t.clock.now().getTime() - DAY).toISOString(), endsAt: new Date(t.clock.now().getTime() + DAY).toISOString() };
    ok(await t.gql(CreateCampaignDocument, { input: { name: unique('camp'), currency: EURO, ...window, conditions: { skus: ['ESPRESSO-BEANS'] }, outcome: { offerId: offer.id } } }, t.operatorToken));
    const customer = await createCustomer(t, EURO);
    const earning = { ...sale(customer.externalId, 'EUR', []), lines: [{ sku: 'ESPRESSO-BEANS', quantity: 1, unitPrice: '12.00' }] };
    ok(await t.gql(SubmitTransactionDocument, { input: earning }, till.credential));
    expect(await processed(earning.externalId)).toMatchObject({ status: 'PROCESSED' });
    const awarded = (await walletOf(customer.token)).find((n) => n.source === 'CAMPAIGN');
    expect(awarded).toMatchObject({ status: 'ISSUED', moneyCurrency: 'EUR' });

    await expectRefused(sale(customer.externalId, 'JPY', [awarded!.code], '500'), customer.token, 'EUR');
    const eur = sale(customer.externalId, 'EUR', [awarded!.code]);
    expect(await submit(eur)).toMatchObject({ transaction: { status: 'RECEIVED' }, userErrors: [] });
    expect(await processed(eur.externalId)).toMatchObject({ status: 'PROCESSED', discount: '1.50' });
  });

  it("a staff replacement keeps the replaced offer's money", async () => {
    const offer = await bought(EURO, { kind: 'AMOUNT_OFF', amountOff: '2.00' });
    ok(await t.gql(RedeemOfferDocument, { code: offer.code, transactionExternalId: unique('S') }, till.credential));
    const replaced = ok(
      await t.gql<{ issueReplacementOffer: { issuedOffer: { code: string; source: string; moneyCurrency: string | null } | null } }, unknown>(
        `mutation Replace($input: IssueReplacementOfferInput!) { issueReplacementOffer(input: $input) { issuedOffer { code source moneyCurrency } userErrors { code } } }`,
        { input: { issuedOfferId: offer.id, reason: 'the sale failed', idempotencyKey: unique('replace') } },
        t.operatorToken,
      ),
    ).issueReplacementOffer.issuedOffer!;
    expect(replaced).toMatchObject({ source: 'STAFF', moneyCurrency: 'EUR' });
    await expectRefused(sale(offer.customer.externalId, 'JPY', [replaced.code], '1000'), offer.customer.token, 'EUR');
  });

  it('redeemOffer and lockOffer refuse an amount in another money when the till names the sale currency, and tell it the money', async () => {
    const offer = await bought(EURO, { kind: 'AMOUNT_OFF', amountOff: '2.00' });
    const redeem = async (currency: string | null) => dataOf(await t.gql<{ redeemOffer: TillPayload }, unknown>(REDEEM, { code: offer.code, currency }, till.credential)).redeemOffer;
    const lock = async (currency: string | null) =>
      dataOf(await t.gql<{ lockOffer: TillPayload }, unknown>(LOCK, { code: offer.code, lockId: 'basket-1', currency }, till.credential)).lockOffer;
    const refusal = { code: 'OFFER_NOT_APPLICABLE', field: ['input', 'currency'], message: "This offer's amount is in EUR; this sale is in JPY." };

    // The sale's money as a sale takes it: an ISO 4217 code in capitals.
    const lower = await t.gql(REDEEM, { code: offer.code, currency: 'jpy' }, till.credential);
    expect(lower.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    expect(await lock('JPY')).toEqual({ issuedOffer: null, userErrors: [refusal] });
    expect(await redeem('JPY')).toEqual({ issuedOffer: null, userErrors: [refusal] });
    expect((await inWallet(offer.customer.token, offer.code))?.status).toBe('ISSUED');
    expect(await lock('EUR')).toMatchObject({ issuedOffer: { status: 'LOCKED', moneyCurrency: 'EUR' }, userErrors: [] });
    expect(await redeem('EUR')).toMatchObject({ issuedOffer: null, userErrors: [{ code: 'LOCK_HELD' }] });

    // Without a currency (the contract's RedeemOffer) the till is not checked: it applies the
    // discount itself, and the answer says in which money.
    const other = await bought(EURO, { kind: 'AMOUNT_OFF', amountOff: '2.00' });
    const contract = dataOf(await t.gql(RedeemOfferDocument, { code: other.code }, till.credential)).redeemOffer;
    expect(contract).toMatchObject({ issuedOffer: { status: 'REDEEMED' }, userErrors: [] });
    expect((await inWallet(other.customer.token, other.code))?.moneyCurrency).toBe('EUR');

    // An uncapped percent off redeems whatever money the till names.
    const percent = await bought(EURO, { kind: 'PERCENT_OFF', percentOff: 10 });
    const anyMoney = dataOf(await t.gql<{ redeemOffer: TillPayload }, unknown>(REDEEM, { code: percent.code, currency: 'JPY' }, till.credential)).redeemOffer;
    expect(anyMoney).toMatchObject({ issuedOffer: { status: 'REDEEMED', moneyCurrency: 'EUR' }, userErrors: [] });
  });

  it('an offer whose money is not known applies only if its benefit has no money value', async () => {
    const amount = await bought(EURO, { kind: 'AMOUNT_OFF', amountOff: '2.00' });
    const percent = await bought(EURO, { kind: 'PERCENT_OFF', percentOff: 10 });
    await t.sql(`update issued_offer set money_currency = null where code = any($1)`, [[amount.code, percent.code]]);
    expect((await inWallet(amount.customer.token, amount.code))?.moneyCurrency).toBeNull();
    const refused = await submit(sale(amount.customer.externalId, 'EUR', [amount.code]));
    expect(refused.userErrors).toEqual([
      { code: 'OFFER_NOT_APPLICABLE', field: ['input', 'offerCodes', '0'], message: `This offer's amount is in no known currency, so it cannot be used on a sale in EUR.${SALE_NOT_RECORDED}` },
    ]);
    expect(await submit(sale(percent.customer.externalId, 'EUR', [percent.code]))).toMatchObject({ transaction: { status: 'RECEIVED' }, userErrors: [] });
  });

  it('the migration traces offers issued before it to their program', async () => {
    // Rows as the gateway wrote them before the column: money unknown.
    const purchase = await bought(YEN, { kind: 'AMOUNT_OFF', amountOff: '10.00' });
    await t.sql(`update issued_offer set money_currency = null`);
    const { Migration20261130200000 } = await import('../../migrations/Migration20261130200000.js');
    const migration = new Migration20261130200000(t.orm.driver, t.orm.config);
    await migration.down();
    await migration.up();
    for (const statement of migration.getQueries()) {
      if (typeof statement !== 'string') throw new Error('the migration is plain SQL');
      await t.sql(statement);
    }
    const rows = await t.sql<{ source: string; money_currency: string | null }>(`select source, money_currency from issued_offer order by id`);
    expect(rows.filter((r) => r.money_currency === null)).toEqual([]);
    expect((await inWallet(purchase.customer.token, purchase.code))?.moneyCurrency).toBe('JPY');
    expect(new Set(rows.map((r) => r.source))).toEqual(new Set(['PURCHASE', 'GIFT', 'CAMPAIGN', 'STAFF']));
  });
});

/** The demo program still works end to end: "€2 off your order" bought in BEANS (valued in EUR) redeems at the demo POS on a EUR sale. */
describe('the demo till', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    await seedDemo(t.orm, t.config, t.clock);
  });
  afterAll(() => t.close());

  it('"€2 off your order" takes €2 off a EUR sale, and is refused on a sale in another money', async () => {
    const alice = await t.customerToken(DEMO.customers.alice);
    const pos = { apiKey: demoPartnerKey(t.config) };
    const stores = ok(await t.gql(EligibleRewardStoresDocument, {}, alice)).me!.eligibleRewardStores.edges;
    const everyday = stores.find((e) => e.node.code === 'everyday')!.node;
    const store = storeOf(ok(await t.gql(RewardStoreOffersDocument, { storeId: everyday.id }, alice)).node);
    const twoOff = store.listings.edges.find((e) => e.node.offer.name === '€2 off your order')!.node;
    const code = ok(await t.gql(PurchaseOfferDocument, { listingId: twoOff.id, idempotencyKey: unique('demo') }, alice)).purchaseOffer.purchase!.issuedOffer.code;
    const sale = (currency: string): SubmitTransactionInput => ({
      externalId: unique('demo-sale'),
      customerExternalId: DEMO.customers.alice,
      channel: 'STORE',
      occurredAt: t.clock.now().toISOString(),
      currency,
      lines: [{ sku: 'LATTE', category: 'COFFEE', quantity: 2, unitPrice: '3.50' }],
      offerCodes: [code],
    });
    const inUsd = await t.gql(SubmitTransactionDocument, { input: sale('USD') }, pos);
    expect(dataOf(inUsd).submitTransaction.userErrors).toMatchObject([{ code: 'OFFER_NOT_APPLICABLE', message: `This offer's amount is in EUR; this sale is in USD.${SALE_NOT_RECORDED}` }]);
    const inEur = sale('EUR');
    expect(dataOf(await t.gql(SubmitTransactionDocument, { input: inEur }, pos)).submitTransaction).toMatchObject({ transaction: { status: 'RECEIVED' }, userErrors: [] });
    await t.jobs.runner.runUntilIdle();
    expect(ok(await t.gql(TransactionStatusDocument, { externalId: inEur.externalId }, pos)).transaction).toMatchObject({
      status: 'PROCESSED',
      total: '7.00',
      discount: '2.00',
      offersApplied: [{ code }],
    });
  });
});
