import {
  AdjustPointsDocument,
  ClaimGiftDocument,
  CreateCurrencyDocument,
  LockOfferDocument,
  RecordActivityDocument,
  RedeemOfferDocument,
  ReleaseOfferDocument,
  ReverseTransactionDocument,
  SetActivityRuleDocument,
  SubmitTransactionDocument,
} from '../generated/graphql.js';
import { compiledRequests, dataOf, gatewayPerBlock, type GqlResult, ok, type TestGateway } from '../support/gateway.js';
import { boughtOffer as buyShopOffer, createCurrency, createCustomer, createOffer as newOffer, createPartner, earningProgram, simpleShop, submitSale, unique, uniqueCode } from '../support/program.js';

const MINUTE = 60_000;

/** What tells a replay apart outside `data`: the answer's extension and its header. */
const marks = (res: GqlResult<unknown>) => ({ extensions: res.extensions, header: res.headers.get('idempotent-replayed') });
const UNMARKED = { extensions: undefined, header: null };
const replayed = (...paths: string[][]) => ({ extensions: { idempotentReplays: paths }, header: 'true' });

/**
 * replay-22 (newcomer-22's leftover), through HTTP on the embedded database:
 * - a keyed mutation answered from an earlier request's record (RecordActivity's reference,
 *   purchaseOffer's key, a sale's externalId, adjustPoints', a create's idempotencyKey) answers the
 *   same `data` as the first, and says it is a replay outside it: `extensions.idempotentReplays`
 *   (the replayed fields' response paths, aliases as sent) and `Idempotent-Replayed: true`; a first
 *   request and a refusal carry neither. Over the compiled path (a partner's registered operation,
 *   a hot document) and Apollo's alike.
 * - ReverseTransaction of a sale already reversed says when (ALREADY_REVERSED as before).
 * - ReleaseOffer sent again for a lock its basket released says it was released and when
 *   (LOCK_NOT_HELD as before), to that partner and basket only.
 */
describe('idempotent replays marked (replay-22)', () => {
  let t: TestGateway;

  gatewayPerBlock((gateway) => (t = gateway));

  it('RecordActivity sent again answers the same pointsAwarded, marked as a replay (a partner operation, compiled)', async () => {
    const currency = uniqueCode('A');
    await createCurrency(t, currency);
    ok(await t.gql(SetActivityRuleDocument, { input: { currency, kind: 'REVIEW', points: 20 } }, t.operatorToken));
    const customer = await createCustomer(t, currency);
    const till = await createPartner(t, ['activities:write']);
    const record = () => t.gql(RecordActivityDocument, { customerExternalId: customer.externalId, kind: 'REVIEW', reference: 'review-77' }, till.credential);

    const compiledBefore = await compiledRequests(t);
    const first = await record();
    const again = await record();
    expect(first.data).toEqual({ recordActivity: { pointsAwarded: 20, userErrors: [] } });
    expect(marks(first)).toEqual(UNMARKED);
    expect(again.data).toEqual(first.data);
    expect(marks(again)).toEqual(replayed(['recordActivity']));
    // both answered by the compiled path (its own serialisation of the answer)
    expect((await compiledRequests(t)) - compiledBefore).toBe(2);
    // A new reference is a new activity: not marked.
    const other = await t.gql(RecordActivityDocument, { customerExternalId: customer.externalId, kind: 'REVIEW', reference: 'review-78' }, till.credential);
    expect(marks(other)).toEqual(UNMARKED);
  });

  it('purchaseOffer retried with its key: the same data, marked under its alias, on Apollo and compiled paths; a refusal is not marked', async () => {
    const shop = await simpleShop(t, { priceInPoints: 10 });
    const customer = await createCustomer(t, shop.currency, 1000);
    const buy = `mutation Buy($listingId: ID!, $key: String!) {
      buy: purchaseOffer(input: { listingId: $listingId, idempotencyKey: $key }) { purchase { id pointsPaid } balance { available } userErrors { code } }
    }`;
    const send = (key: string, listingId = shop.listing.id) => t.gql<unknown, Record<string, unknown>>(buy, { listingId, key }, customer.token);

    const compiledBefore = await compiledRequests(t);
    // A document sent as text is compiled from its third sighting: the first key's two requests go through Apollo.
    const first = await send('k-1');
    const again = await send('k-1');
    expect(marks(first)).toEqual(UNMARKED);
    expect(again.data).toEqual(first.data);
    expect(marks(again)).toEqual(replayed(['buy']));
    expect(await compiledRequests(t)).toBe(compiledBefore);
    // The second key's: compiled (the purchase's one statement, which claims the key).
    const second = await send('k-2');
    const secondAgain = await send('k-2');
    expect((await compiledRequests(t)) - compiledBefore).toBe(2);
    expect(marks(second)).toEqual(UNMARKED);
    expect(secondAgain.data).toEqual(second.data);
    expect(marks(secondAgain)).toEqual(replayed(['buy']));
    expect((second.data as { buy: { balance: { available: number } } }).buy.balance.available).toBe(980);

    // The key for another listing: refused, nothing replayed.
    const otherShop = await simpleShop(t, { priceInPoints: 10 });
    const reused = await send('k-1', otherShop.listing.id);
    expect((reused.data as { buy: { userErrors: { code: string }[] } }).buy.userErrors).toEqual([{ code: 'IDEMPOTENCY_KEY_REUSED' }]);
    expect(marks(reused)).toEqual(UNMARKED);
  });

  it("a sale's externalId, adjustPoints' and a create's idempotencyKey, a currency's code, a redemption's transactionExternalId, a gift claim's key: a repeat is marked, the first is not", async () => {
    const { money, currency } = await earningProgram(t, 'RPL');
    const customer = await createCustomer(t, currency);
    const till = await createPartner(t, ['transactions:write']);
    const input = {
      externalId: unique('sale'),
      customerExternalId: customer.externalId,
      occurredAt: t.clock.now().toISOString(),
      currency: money,
      lines: [{ sku: 'BEANS', category: 'COFFEE', quantity: 1, unitPrice: '4.50' }],
    };
    const adjustment = { input: { customerExternalId: customer.externalId, currency, amount: 5, reason: 'goodwill', idempotencyKey: unique('adj') } };
    const offer = { input: { name: unique('Muffin'), benefit: { kind: 'FREE_ITEM', freeSku: 'MUFFIN' }, validDays: 30, idempotencyKey: unique('create') } };
    const createOffer = `mutation($input: CreateOfferInput!) { createOffer(input: $input) { offer { id } userErrors { code } } }`;
    const currencyCode = uniqueCode('S');
    const code = await buyShopOffer(t, await simpleShop(t, { priceInPoints: 10 }));
    const redeemer = await createPartner(t, ['offers:redeem']);
    const giftOffer = await newOffer(t);
    const member = await createCustomer(t, currency, 100);
    const list = { input: { currency, name: unique('list'), threshold: 10, offerIds: [giftOffer.id], idempotencyKey: unique('list') } };
    const createGiftList = `mutation($input: CreateGiftListInput!) { createGiftList(input: $input) { giftList { id } userErrors { code } } }`;
    let giftListId = '';
    const cases: [string, () => Promise<GqlResult<unknown>>][] = [
      ['submitTransaction', () => t.gql(SubmitTransactionDocument, { input }, till.credential)],
      ['adjustPoints', () => t.gql(AdjustPointsDocument, adjustment, t.operatorToken)],
      ['createOffer', () => t.gql<unknown, Record<string, unknown>>(createOffer, offer, t.operatorToken)],
      ['createCurrency', () => t.gql(CreateCurrencyDocument, { input: { code: currencyCode, name: 'Stars', expiryDays: null, pointValue: '0.01', moneyCurrency: 'EUR' } }, t.operatorToken)],
      ['redeemOffer', () => t.gql(RedeemOfferDocument, { code: code.code, transactionExternalId: 'sale-r22' }, redeemer.credential)],
      [
        'createGiftList',
        async () => {
          const res = await t.gql<{ createGiftList: { giftList: { id: string } } }, Record<string, unknown>>(createGiftList, list, t.operatorToken);
          giftListId = res.data!.createGiftList.giftList.id;
          return res;
        },
      ],
      ['claimGift', () => t.gql(ClaimGiftDocument, { giftListId, optionId: giftOffer.id, idempotencyKey: 'claim-r22' }, member.token)],
    ];
    const seen = [];
    const expected = [];
    for (const [field, send] of cases) {
      const first = await send();
      const again = await send();
      seen.push({ field, errors: first.errors, first: marks(first), again: { data: again.data, ...marks(again) } });
      expected.push({ field, errors: undefined, first: UNMARKED, again: { data: first.data, ...replayed([field]) } });
    }
    expect(seen).toEqual(expected);
  });

  it('ReverseTransaction of a sale already reversed says when it was reversed (ALREADY_REVERSED, not a replay)', async () => {
    const { money, currency } = await earningProgram(t, 'REV');
    const customer = await createCustomer(t, currency);
    const till = await createPartner(t, ['transactions:write']);
    const externalId = await submitSale(t, till, customer.externalId, money, 10);
    t.clock.freeze();
    const reversedAt = t.clock.now();
    expect(ok(await t.gql(ReverseTransactionDocument, { externalId }, till.credential)).reverseTransaction.transaction?.status).toBe('REVERSED');
    t.clock.advance(5 * MINUTE);
    const again = await t.gql(ReverseTransactionDocument, { externalId }, till.credential);
    expect(dataOf(again).reverseTransaction).toEqual({
      transaction: null,
      userErrors: [{ code: 'ALREADY_REVERSED', field: ['input', 'externalId'], message: `This sale was already reversed at ${reversedAt.toISOString()}: nothing more is taken back.` }],
    });
    expect(marks(again)).toEqual(UNMARKED);
  });

  it('ReleaseOffer sent again for a released lock says it was released and when, to its basket only', async () => {
    const shop = await simpleShop(t, { priceInPoints: 10 });
    const till = await createPartner(t, ['offers:redeem']);
    const otherVendor = await createPartner(t, ['offers:redeem']);
    const offer = await buyShopOffer(t, shop);
    const release = async (lockId: string, key = till) => dataOf(await t.gql(ReleaseOfferDocument, { code: offer.code, lockId }, key.credential)).releaseOffer;

    ok(await t.gql(LockOfferDocument, { code: offer.code, lockId: 'basket-9' }, till.credential));
    t.clock.freeze();
    const releasedAt = t.clock.now();
    expect(await release('basket-9')).toEqual({ issuedOffer: { id: offer.id, code: offer.code, status: 'ISSUED' }, userErrors: [] });
    t.clock.advance(2 * MINUTE);
    expect(await release('basket-9')).toEqual({
      issuedOffer: null,
      userErrors: [
        {
          code: 'LOCK_NOT_HELD',
          field: ['input', 'lockId'],
          message: `Basket "basket-9" already released its lock on this offer code at ${releasedAt.toISOString()}: there is no lock left to release.`,
        },
      ],
    });
    // Another basket of the same till, and another partner's basket of the same name: the unknown-code answer.
    const noLock = { issuedOffer: null, userErrors: [{ code: 'LOCK_NOT_HELD', field: ['input', 'lockId'], message: 'This basket holds no lock on this offer.' }] };
    expect(await release('basket-10')).toEqual(noLock);
    expect(await release('basket-9', otherVendor)).toEqual(noLock);
  });
});
