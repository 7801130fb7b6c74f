import {
  LockOfferDocument,
  ProfileDocument,
  PurchaseOfferDocument,
  RedeemOfferDocument,
  ReverseTransactionDocument,
  SetEconomyRuleDocument,
  SubmitTransactionDocument,
  TransactionStatusDocument,
  UpsertCustomerDocument,
} from '../generated/graphql.js';
import { dataOf, ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { addListing, createCustomer, createOffer, createPartner, createStore, unique } from '../support/program.js';

/**
 * Invariant §5.6 for partners: a till vendor's sales are its own. Every read and write of a sale by
 * its externalId is scoped to the calling partner, so two vendors may use the same externalId and
 * neither reaches the other's sale: not to return it, read it, refetch it by id, or be answered
 * with it as an idempotent repeat.
 */
describe("one till vendor never reaches another's sales", () => {
  let t: TestGateway;
  let vendorA: Awaited<ReturnType<typeof createPartner>>;
  let vendorB: Awaited<ReturnType<typeof createPartner>>;
  const currency = 'PF_PTS';
  const money = 'TTD';

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    ok(
      await t.gql(
        `mutation($input: CreateCurrencyInput!) { createCurrency(input: $input) { userErrors { code } } }`,
        { input: { code: currency, name: currency, pointValue: '0.01', moneyCurrency: money } },
        t.operatorToken,
      ),
    );
    ok(await t.gql(SetEconomyRuleDocument, { input: { currency, pointsPerUnit: '10' } }, t.operatorToken));
    vendorA = await createPartner(t, ['transactions:write', 'transactions:read']);
    vendorB = await createPartner(t, ['transactions:write', 'transactions:read']);
  });
  afterAll(async () => {
    expect(await ledgerViolations(t)).toEqual([]);
    await t.close();
  });

  const sale = (externalId: string, customerExternalId: string, unitPrice: string) => ({
    externalId,
    customerExternalId,
    occurredAt: t.clock.now().toISOString(),
    currency: money,
    lines: [{ sku: 'COFFEE', quantity: 1, unitPrice }],
  });
  const submit = async (input: ReturnType<typeof sale>, vendor: typeof vendorA) =>
    ok(await t.gql(SubmitTransactionDocument, { input }, vendor.credential)).submitTransaction.transaction!;
  const statusFor = async (externalId: string, vendor: typeof vendorA) => ok(await t.gql(TransactionStatusDocument, { externalId }, vendor.credential)).transaction;
  const available = async (token: string) => ok(await t.gql(ProfileDocument, {}, token)).me!.balances[0].available;
  const node = async (id: string, vendor: typeof vendorA) =>
    (ok(await t.gql(`query($id: ID!) { node(id: $id) { id } }`, { id }, vendor.credential)) as { node: { id: string } | null }).node;

  it('the same externalId at two vendors is two sales, each answered, read, refetched and returned only by its own vendor', async () => {
    const customer = await createCustomer(t, currency);
    const externalId = unique('S');
    const saleOfA = sale(externalId, customer.externalId, '10.00');
    const salesA = await submit(saleOfA, vendorA);
    await t.jobs.runner.runUntilIdle();
    expect(await available(customer.token)).toBe(100);

    // B knows A's externalId (and the sale's global id): none of it reaches A's sale.
    const foreignReturn = dataOf(await t.gql(ReverseTransactionDocument, { externalId, reason: 'not mine' }, vendorB.credential)).reverseTransaction;
    expect(foreignReturn).toMatchObject({ transaction: null, userErrors: [{ code: 'NOT_FOUND' }] });
    expect(await statusFor(externalId, vendorB)).toBeNull();
    expect(await node(salesA.id, vendorB)).toBeNull();
    expect(await node(salesA.id, vendorA)).toEqual({ id: salesA.id });
    // by global id a partner reaches its own sales and nothing else: not the customer behind them
    expect(await node(customer.id, vendorA)).toBeNull();
    expect(await node((await createStore(t, currency)).id, vendorA)).toBeNull();
    expect(await statusFor(externalId, vendorA)).toMatchObject({ id: salesA.id, status: 'PROCESSED' });
    expect(await available(customer.token)).toBe(100);

    // B's own sale under the same externalId is a new sale, not a repeat of A's.
    const salesB = await submit(sale(externalId, customer.externalId, '5.00'), vendorB);
    expect(salesB.id).not.toBe(salesA.id);
    await t.jobs.runner.runUntilIdle();
    expect(await available(customer.token)).toBe(150);
    // A's repeat answers A's sale, though B's is the newer one with that externalId.
    expect((await submit(saleOfA, vendorA)).id).toBe(salesA.id);
    expect((await statusFor(externalId, vendorA))!.id).toBe(salesA.id);
    expect((await statusFor(externalId, vendorB))!.id).toBe(salesB.id);

    // B returns its sale: A's stays as it was.
    const returned = dataOf(await t.gql(ReverseTransactionDocument, { externalId, reason: 'returned' }, vendorB.credential)).reverseTransaction;
    expect(returned).toMatchObject({ transaction: { id: salesB.id, status: 'REVERSED' }, userErrors: [] });
    expect(await statusFor(externalId, vendorA)).toMatchObject({ id: salesA.id, status: 'PROCESSED' });
    expect(await available(customer.token)).toBe(100);
  });
});

/**
 * A SUSPENDED (or CLOSED) customer's offers cannot be used at a till (SPEC §2 Customer status):
 * not locked, not redeemed, not applied to a sale, whether the till starts before or after the
 * suspension, and nothing of a refused attempt is written.
 */
describe("the till refuses a suspended customer's offers", () => {
  let t: TestGateway;
  let till: Awaited<ReturnType<typeof createPartner>>;
  const currency = 'SUSP_PTS';
  const money = 'TRY';

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    ok(
      await t.gql(
        `mutation($input: CreateCurrencyInput!) { createCurrency(input: $input) { userErrors { code } } }`,
        { input: { code: currency, name: currency, pointValue: '0.01', moneyCurrency: money } },
        t.operatorToken,
      ),
    );
    till = await createPartner(t, ['transactions:write', 'offers:redeem']);
  });
  afterAll(async () => {
    expect(await ledgerViolations(t)).toEqual([]);
    await t.close();
  });

  async function suspendedWithOffers() {
    const customer = await createCustomer(t, currency, 100);
    const store = await createStore(t, currency);
    const listing = await addListing(t, store.id, (await createOffer(t)).id, { priceInPoints: 10 });
    const buy = async () => ok(await t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: unique('buy') }, customer.token)).purchaseOffer.purchase!.issuedOffer.code;
    const codes = [await buy(), await buy(), await buy(), await buy()];
    // one offer is locked by a basket before the account is suspended
    ok(await t.gql(LockOfferDocument, { code: codes[3], lockId: 'early-basket', ttlSeconds: 600 }, till.credential));
    ok(await t.gql(UpsertCustomerDocument, { input: { externalId: customer.externalId, status: 'SUSPENDED' } }, t.operatorToken));
    return { customer, codes };
  }
  const statuses = async (codes: string[]) =>
    (await t.sql<{ code: string; status: string }>(`select code, status from issued_offer where code = any($1) order by code`, [codes])).map((r) => r.status);

  it('lockOffer, redeemOffer and a sale naming the offer are all OFFER_NOT_REDEEMABLE', async () => {
    const { customer, codes } = await suspendedWithOffers();
    const before = await statuses(codes);
    const lock = dataOf(await t.gql(LockOfferDocument, { code: codes[0], lockId: 'b', ttlSeconds: 60 }, till.credential)).lockOffer;
    expect(lock.userErrors.map((e) => e.code)).toEqual(['OFFER_NOT_REDEEMABLE']);
    const redeem = dataOf(await t.gql(RedeemOfferDocument, { code: codes[1], transactionExternalId: unique('r') }, till.credential)).redeemOffer;
    expect(redeem.userErrors.map((e) => e.code)).toEqual(['OFFER_NOT_REDEEMABLE']);
    const input = { externalId: unique('sale'), customerExternalId: customer.externalId, occurredAt: t.clock.now().toISOString(), currency: money, lines: [{ sku: 'X', quantity: 1, unitPrice: '3.00' }], offerCodes: [codes[2]] };
    const submitted = dataOf(await t.gql(SubmitTransactionDocument, { input }, till.credential)).submitTransaction;
    expect(submitted).toMatchObject({ transaction: null, userErrors: [{ code: 'OFFER_NOT_REDEEMABLE', field: ['input', 'offerCodes', '0'] }] });
    // the basket that locked before the suspension cannot redeem it either
    const held = dataOf(await t.gql(RedeemOfferDocument, { code: codes[3], lockId: 'early-basket', transactionExternalId: unique('r') }, till.credential)).redeemOffer;
    expect(held.userErrors.map((e) => e.code)).toEqual(['OFFER_NOT_REDEEMABLE']);
    const lockedSale = { ...input, externalId: unique('sale'), offerCodes: [codes[3]], lockId: 'early-basket' };
    expect(dataOf(await t.gql(SubmitTransactionDocument, { input: lockedSale }, till.credential)).submitTransaction.userErrors.map((e) => e.code)).toEqual([
      'OFFER_NOT_REDEEMABLE',
    ]);

    expect(await statuses(codes)).toEqual(before);
    expect(before.filter((s) => s === 'REDEEMED')).toEqual([]);
    const [{ n }] = await t.sql<{ n: string }>(`select count(*) as n from sales_transaction where money_currency = $1`, [money]);
    expect(Number(n)).toBe(0);
  });
});
