import {
  AddListingDocument,
  AuditLogDocument,
  CreateCampaignDocument,
  CreateOfferDocument,
  LockOfferDocument,
  ProfileDocument,
  PurchaseOfferDocument,
  RedeemOfferDocument,
  SetEconomyRuleDocument,
  SubmitTransactionDocument,
  TransactionStatusDocument,
  UpsertCustomerDocument,
  WalletDocument,
  type CreateOfferInput,
  type SubmitTransactionInput,
} from '../generated/graphql.js';
import { dataOf, ledgerViolations, ok, startTestGateway, writeCounts, type TestGateway } from '../support/gateway.js';
import { createCurrency, createCustomer, createPartner, createStore, ownedOffer, unique } from '../support/program.js';

const SECOND = 1_000;
const DAY = 86_400_000;

const REPLACE = `mutation Replace($input: IssueReplacementOfferInput!) {
  issueReplacementOffer(input: $input) {
    issuedOffer { id code status source offer { name version } }
    replaced { id code status }
    userErrors { code field message }
  }
}`;

type ReplacePayload = {
  issueReplacementOffer: {
    issuedOffer: { id: string; code: string; status: string; source: string; offer: { name: string; version: number } } | null;
    replaced: { id: string; code: string; status: string } | null;
    userErrors: { code: string; field: string[] | null; message: string }[];
  };
};

/**
 * Issue 7, kind 3: an offer is redeemed at most once, and only where it applies. Through HTTP with
 * the partner and staff contracts: a redemption the till was told about is final (a failed sale does
 * not give it back; staff replace it, audited), an offer's conditions (SKUs, categories, channels,
 * amount, validity) are checked where it is applied, compared in any case and spacing, and an offer
 * that does not apply is refused with OFFER_NOT_APPLICABLE and stays usable.
 */
describe('offers at the till: at most once, and only where they apply', () => {
  let t: TestGateway;
  let currency: string;
  let store: { id: string };
  let till: Awaited<ReturnType<typeof createPartner>>;

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    currency = 'APPL';
    await createCurrency(t, currency);
    // Earning in the sale's money (EUR), so category matching shows in the points too.
    ok(await t.gql(SetEconomyRuleDocument, { input: { currency, pointsPerUnit: '1', categoryMultipliers: [{ category: 'PASTRY', multiplier: 3 }], excludedSkus: ['GIFTCARD'] } }, t.operatorToken));
    store = await createStore(t, currency);
    till = await createPartner(t, ['transactions:write', 'transactions:read', 'offers:redeem']);
  });
  afterEach(async () => {
    t.clock.reset();
    expect(await ledgerViolations(t)).toEqual([]);
  });
  afterAll(() => t.close());

  /** A new customer who bought an offer made from `benefit` (and the rest of `extra`) for 1 point. */
  const owned = (benefit: CreateOfferInput['benefit'], extra: Partial<CreateOfferInput> = {}) => ownedOffer(t, currency, store.id, benefit, extra);

  const sale = (customerExternalId: string, lines: SubmitTransactionInput['lines'], extra: Partial<SubmitTransactionInput> = {}): SubmitTransactionInput => ({
    externalId: unique('sale'),
    customerExternalId,
    channel: 'STORE',
    occurredAt: t.clock.now().toISOString(),
    currency: 'EUR',
    lines,
    ...extra,
  });
  const submit = async (input: SubmitTransactionInput) => dataOf(await t.gql(SubmitTransactionDocument, { input }, till.credential)).submitTransaction;
  const statusOf = async (externalId: string) => ok(await t.gql(TransactionStatusDocument, { externalId }, till.credential)).transaction;
  const walletStatus = async (token: string, code: string) =>
    ok(await t.gql(WalletDocument, {}, token)).me!.wallet.edges.find((e) => e.node.code === code)?.node.status;

  const COFFEE = { sku: 'LATTE', category: 'COFFEE', quantity: 1, unitPrice: '3.50' };
  const MUFFIN = { sku: 'MUFFIN', category: 'PASTRY', quantity: 1, unitPrice: '2.80' };

  it('a redemption the till was told about is final: a sale that then fails keeps the offer REDEEMED', async () => {
    const offer = await owned({ kind: 'FREE_ITEM', freeSku: 'MUFFIN', categories: ['COFFEE'] });
    const first = sale(offer.customer.externalId, [COFFEE, MUFFIN], { offerCodes: [offer.code] });
    expect(await submit(first)).toMatchObject({ transaction: { status: 'RECEIVED' }, userErrors: [] });
    // The till hands out the muffin; then the account is suspended before the sale is processed.
    ok(await t.gql(UpsertCustomerDocument, { input: { externalId: offer.customer.externalId, status: 'SUSPENDED' } }, t.operatorToken));
    await t.jobs.runner.runUntilIdle();
    expect(await statusOf(first.externalId)).toMatchObject({ status: 'FAILED', failureReason: 'The customer is not active.', pointsAwarded: 0, offersApplied: [{ code: offer.code }] });
    expect(await walletStatus(offer.customer.token, offer.code)).toBe('REDEEMED');

    // Once active again, a second sale cannot redeem it a second time, nor can the till directly.
    ok(await t.gql(UpsertCustomerDocument, { input: { externalId: offer.customer.externalId, status: 'ACTIVE' } }, t.operatorToken));
    const second = sale(offer.customer.externalId, [COFFEE, MUFFIN], { offerCodes: [offer.code] });
    expect(await submit(second)).toMatchObject({ transaction: null, userErrors: [{ code: 'OFFER_NOT_REDEEMABLE', field: ['input', 'offerCodes', '0'] }] });
    expect(dataOf(await t.gql(RedeemOfferDocument, { code: offer.code }, till.credential)).redeemOffer.userErrors.map((e) => e.code)).toEqual(['OFFER_NOT_REDEEMABLE']);
    expect(await statusOf(second.externalId)).toBeNull();
    const events = await t.sql<{ change: string }>(
      `select e.payload->>'change' as change from outbox_event e join customer c on c.id = e.customer_id
        where e.topic = 'WALLET_CHANGED' and c.external_id = $1 order by e.id`,
      [offer.customer.externalId],
    );
    expect(events.map((e) => e.change)).toEqual(['ISSUED', 'REDEEMED']);
  });

  it('operators replace a used-up offer explicitly: once, idempotent, audited', async () => {
    const offer = await owned({ kind: 'PERCENT_OFF', percentOff: 10 });
    const replace = (input: Record<string, unknown>, token = t.operatorToken) => t.gql<ReplacePayload, unknown>(REPLACE, { input }, token);
    const input = { issuedOfferId: offer.id, reason: 'Sale S-1 failed after the muffin was handed out', idempotencyKey: unique('replace') };

    // Still usable: nothing to replace.
    expect(dataOf(await replace(input)).issueReplacementOffer.userErrors).toMatchObject([{ code: 'INVALID', field: ['input', 'issuedOfferId'] }]);
    ok(await t.gql(RedeemOfferDocument, { code: offer.code, transactionExternalId: 'S-1' }, till.credential));

    // Only operators.
    for (const token of [t.analystToken, offer.customer.token]) expect((await replace(input, token)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await t.gql(REPLACE, { input }, till.credential)).errors?.[0].extensions?.code).toMatch(/FORBIDDEN|PERSISTED_QUERY_NOT_ALLOWED/);

    const made = ok(await replace(input)).issueReplacementOffer;
    expect(made.replaced).toEqual({ id: offer.id, code: offer.code, status: 'REDEEMED' });
    expect(made.issuedOffer).toMatchObject({ status: 'ISSUED', source: 'STAFF', offer: { name: offer.offer.name, version: 1 } });
    expect(made.issuedOffer!.code).not.toBe(offer.code);

    // A repeat with the key answers the same; another key is refused: an offer is replaced once.
    expect(ok(await replace(input)).issueReplacementOffer.issuedOffer).toEqual(made.issuedOffer);
    expect(dataOf(await replace({ ...input, idempotencyKey: unique('again') })).issueReplacementOffer.userErrors.map((e) => e.code)).toEqual(['ALREADY_EXISTS']);
    expect(dataOf(await replace({ ...input, issuedOfferId: made.issuedOffer!.id })).issueReplacementOffer.userErrors.map((e) => e.code)).toEqual(['IDEMPOTENCY_KEY_REUSED']);
    // The key with another reason is another request (the audit log keeps the first one's), as for
    // adjustPoints: refused, not answered as if its reason had been recorded (hostile pass 9).
    expect(dataOf(await replace({ ...input, reason: 'Customer complained' })).issueReplacementOffer.userErrors).toEqual([
      { code: 'IDEMPOTENCY_KEY_REUSED', field: ['input', 'idempotencyKey'], message: expect.any(String) },
    ]);

    const wallet = ok(await t.gql(WalletDocument, {}, offer.customer.token)).me!.wallet.edges.map((e) => [e.node.code, e.node.status]);
    expect(wallet).toEqual([[made.issuedOffer!.code, 'ISSUED'], [offer.code, 'REDEEMED']]);
    const audit = ok(await t.gql(AuditLogDocument, { first: 5 }, t.analystToken)).auditLog.edges.map((e) => e.node);
    expect(audit.filter((a) => a.action === 'issueReplacementOffer')).toEqual([
      expect.objectContaining({ actor: 'staff:staff-op', reason: input.reason, target: `IssuedOffer:${Buffer.from(offer.id, 'base64url').toString().split(':')[1]}` }),
    ]);
    // And the replacement is the customer's to use.
    const used = sale(offer.customer.externalId, [COFFEE], { offerCodes: [made.issuedOffer!.code] });
    expect(await submit(used)).toMatchObject({ userErrors: [] });
  });

  it('categories and SKUs match in any case and spacing: `pastry` is PASTRY', async () => {
    const offer = await owned({ kind: 'PERCENT_OFF', percentOff: 20, categories: ['PASTRY'] });
    const input = sale(offer.customer.externalId, [COFFEE, { ...MUFFIN, category: 'pastry' }], { offerCodes: [offer.code] });
    expect(await submit(input)).toMatchObject({ userErrors: [] });
    await t.jobs.runner.runUntilIdle();
    // 20% of 2.80; points: 3.50 × 1 + 2.24 × 3 (the rule's PASTRY multiplier) = 10.22 → 10.
    expect(await statusOf(input.externalId)).toMatchObject({ status: 'PROCESSED', discount: '0.56', total: '6.30', pointsAwarded: 10 });

    const free = await owned({ kind: 'FREE_ITEM', freeSku: ' muffin ', skus: ['latte'] });
    const freeSale = sale(free.customer.externalId, [{ ...COFFEE, sku: 'Latte ' }, { ...MUFFIN, sku: 'MUFFIN', category: '  Pastry' }], { offerCodes: [free.code] });
    expect(await submit(freeSale)).toMatchObject({ userErrors: [] });
    await t.jobs.runner.runUntilIdle();
    expect(await statusOf(freeSale.externalId)).toMatchObject({ status: 'PROCESSED', discount: '2.80' });

    // Campaign conditions and the economy rule's excluded SKUs compare the same way.
    ok(
      await t.gql(
        CreateCampaignDocument,
        {
          input: {
            name: 'Pastry bonus',
            currency,
            startsAt: new Date(t.clock.now().getTime() - DAY).toISOString(),
            endsAt: new Date(t.clock.now().getTime() + DAY).toISOString(),
            conditions: { categories: ['Pastry'], channels: ['store'] },
            outcome: { bonusPoints: 7 },
          },
        },
        t.operatorToken,
      ),
    );
    const buyer = await createCustomer(t, currency);
    const bonusSale = sale(buyer.externalId, [{ ...MUFFIN, category: 'PASTRY ' }, { sku: 'giftcard', category: null, quantity: 1, unitPrice: '10.00' }], { channel: 'Store' });
    expect(await submit(bonusSale)).toMatchObject({ userErrors: [] });
    await t.jobs.runner.runUntilIdle();
    // 2.80 × 3 = 8.4 → 8 base (the gift card earns nothing), + 7 bonus.
    expect(await statusOf(bonusSale.externalId)).toMatchObject({ status: 'PROCESSED', pointsAwarded: 15 });
  });

  it('an offer that does not apply to the basket is OFFER_NOT_APPLICABLE, and stays usable', async () => {
    const cases: [string, CreateOfferInput['benefit'], Partial<CreateOfferInput>, Partial<SubmitTransactionInput>][] = [
      ['a free item not in the basket', { kind: 'FREE_ITEM', freeSku: 'SCONE' }, {}, { lines: [COFFEE, MUFFIN] }],
      ['buy a coffee, get a muffin, without a coffee', { kind: 'FREE_ITEM', freeSku: 'MUFFIN', categories: ['COFFEE'] }, {}, { lines: [MUFFIN] }],
      ['a category not in the basket', { kind: 'PERCENT_OFF', percentOff: 20, categories: ['PASTRY'] }, {}, { lines: [COFFEE] }],
      ['a SKU not in the basket', { kind: 'AMOUNT_OFF', amountOff: '1.00', skus: ['CROISSANT'] }, {}, { lines: [COFFEE, MUFFIN] }],
      ['an amount off larger than the basket', { kind: 'AMOUNT_OFF', amountOff: '5.00' }, {}, { lines: [COFFEE] }],
      ['an amount off larger than its qualifying lines', { kind: 'AMOUNT_OFF', amountOff: '3.00', categories: ['PASTRY'] }, {}, { lines: [COFFEE, MUFFIN] }],
      ['another channel', { kind: 'PERCENT_OFF', percentOff: 10 }, { channels: ['APP'] }, { lines: [COFFEE], channel: 'STORE' }],
      ['no channel for a channel-limited offer', { kind: 'PERCENT_OFF', percentOff: 10 }, { channels: ['APP'] }, { lines: [COFFEE], channel: null }],
      ['a basket of nothing to pay', { kind: 'PERCENT_OFF', percentOff: 10 }, {}, { lines: [{ ...COFFEE, unitPrice: '0.00' }] }],
    ];
    for (const [name, benefit, extra, basket] of cases) {
      const offer = await owned(benefit, extra);
      const before = await writeCounts(t);
      const input = sale(offer.customer.externalId, basket.lines ?? [COFFEE], { ...basket, offerCodes: [offer.code] });
      const answer = await submit(input);
      expect([name, answer.transaction, answer.userErrors.map((e) => [e.code, e.field])]).toEqual([name, null, [['OFFER_NOT_APPLICABLE', ['input', 'offerCodes', '0']]]]);
      expect([name, await walletStatus(offer.customer.token, offer.code)]).toEqual([name, 'ISSUED']);
      expect([name, await writeCounts(t)]).toEqual([name, before]);
    }

    // Where it does apply, the same offers go through (e.g. the channel in another spelling).
    const app = await owned({ kind: 'PERCENT_OFF', percentOff: 10 }, { channels: ['APP'] });
    expect(await submit(sale(app.customer.externalId, [COFFEE], { channel: ' app', offerCodes: [app.code] }))).toMatchObject({ userErrors: [] });
    expect(await walletStatus(app.customer.token, app.code)).toBe('REDEEMED');
  });

  it('a sale refused OFFER_NOT_APPLICABLE tells the till what to do, and done so (the same externalId, without the code) it is recorded and the offer stays in the wallet', async () => {
    // newcomer-36: "This offer does not apply to anything in this basket." left a POS developer
    // unsure whether the sale was kept, and whether its externalId could be sent again.
    const offer = await owned({ kind: 'AMOUNT_OFF', amountOff: '1.00', skus: ['CROISSANT'] });
    const refused = sale(offer.customer.externalId, [COFFEE], { offerCodes: [offer.code] });
    expect((await submit(refused)).userErrors).toEqual([
      {
        code: 'OFFER_NOT_APPLICABLE',
        field: ['input', 'offerCodes', '0'],
        message: 'This offer does not apply to anything in this basket. Nothing was recorded and the offer stays in the member\'s wallet: send the sale again without this code (the same externalId) to record it.',
      },
    ]);
    expect(await submit({ ...refused, offerCodes: [] })).toMatchObject({ transaction: { status: 'RECEIVED' }, userErrors: [] });
    expect(await walletStatus(offer.customer.token, offer.code)).toBe('ISSUED');
  });

  it('with two offers, the one that does not apply is named, and neither is used', async () => {
    const customer = await createCustomer(t, currency, 100);
    const buy = async (benefit: CreateOfferInput['benefit']) => {
      const offer = ok(await t.gql(CreateOfferDocument, { input: { name: unique('o'), benefit } }, t.operatorToken)).createOffer.offer!;
      const listing = ok(await t.gql(AddListingDocument, { input: { storeId: store.id, offerId: offer.id, priceInPoints: 1 } }, t.operatorToken)).addListing.listing!;
      return ok(await t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: unique('k') }, customer.token)).purchaseOffer.purchase!.issuedOffer.code;
    };
    const coffeeOff = await buy({ kind: 'AMOUNT_OFF', amountOff: '3.50' });
    const anythingOff = await buy({ kind: 'AMOUNT_OFF', amountOff: '1.00' });
    // The first (by issue) takes the whole coffee, so the second has nothing left to take.
    const answer = await submit(sale(customer.externalId, [COFFEE], { offerCodes: [anythingOff, coffeeOff] }));
    expect(answer.userErrors.map((e) => [e.code, e.field])).toEqual([['OFFER_NOT_APPLICABLE', ['input', 'offerCodes', '0']]]);
    expect([await walletStatus(customer.token, coffeeOff), await walletStatus(customer.token, anythingOff)]).toEqual(['ISSUED', 'ISSUED']);
  });

  it('the till may name the channel when locking or redeeming: another one is OFFER_NOT_APPLICABLE', async () => {
    const offer = await owned({ kind: 'PERCENT_OFF', percentOff: 10 }, { channels: ['APP', 'ONLINE'] });
    const lockIn = (channel: string | null) =>
      t.gql(`mutation($code: String!, $channel: String) { lockOffer(input: { code: $code, lockId: "b", channel: $channel }) { issuedOffer { status } userErrors { code field } } }`, { code: offer.code, channel }, till.credential);
    const redeemIn = (channel: string | null) =>
      t.gql(`mutation($code: String!, $channel: String) { redeemOffer(input: { code: $code, channel: $channel }) { issuedOffer { status } userErrors { code field } } }`, { code: offer.code, channel }, till.credential);
    expect(dataOf(await lockIn('STORE'))).toEqual({ lockOffer: { issuedOffer: null, userErrors: [{ code: 'OFFER_NOT_APPLICABLE', field: ['input', 'channel'] }] } });
    expect(dataOf(await redeemIn('STORE'))).toEqual({ redeemOffer: { issuedOffer: null, userErrors: [{ code: 'OFFER_NOT_APPLICABLE', field: ['input', 'channel'] }] } });
    expect(await walletStatus(offer.customer.token, offer.code)).toBe('ISSUED');
    expect(dataOf(await lockIn('online'))).toEqual({ lockOffer: { issuedOffer: { status: 'LOCKED' }, userErrors: [] } });
    expect(dataOf(await t.gql(LockOfferDocument, { code: offer.code, lockId: 'b' }, till.credential)).lockOffer.userErrors).toEqual([]);
  });

  it('validity at redemption: usable one second before expiresAt, refused from that second on, before any sweep', async () => {
    const early = await owned({ kind: 'PERCENT_OFF', percentOff: 10 }, { validDays: 2 });
    const late = await owned({ kind: 'PERCENT_OFF', percentOff: 10 }, { validDays: 2 });
    const expiresAt = new Date(early.expiresAt!).getTime();
    const moveTo = (at: number) => {
      t.clock.freeze();
      t.clock.advance(at - t.clock.now().getTime());
    };
    moveTo(expiresAt - SECOND);
    expect(await submit(sale(early.customer.externalId, [COFFEE], { offerCodes: [early.code] }))).toMatchObject({ userErrors: [] });
    moveTo(new Date(late.expiresAt!).getTime());
    expect(await walletStatus(late.customer.token, late.code)).toBe('EXPIRED');
    const refused = await submit(sale(late.customer.externalId, [COFFEE], { offerCodes: [late.code] }));
    expect(refused.userErrors.map((e) => e.code)).toEqual(['OFFER_NOT_REDEEMABLE']);
    expect((await t.gql(LockOfferDocument, { code: late.code, lockId: 'x' }, till.credential)).data?.lockOffer.userErrors.map((e) => e.code)).toEqual(['OFFER_NOT_REDEEMABLE']);
    expect(ok(await t.gql(ProfileDocument, {}, late.customer.token)).me!.balances[0].available).toBe(99);
  });
});
