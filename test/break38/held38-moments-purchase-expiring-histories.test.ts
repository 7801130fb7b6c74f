import { dataOf, ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { addListing, adjust, createCustomer, createOffer, createPartner, createStore, earningProgram, processedSale, submitSale, unique } from '../support/program.js';

const DAY = 86_400_000;
const BALANCE = 'currency { code } available pending lifetimeEarned expiringSoon { amount expiresAt }';
const BUY = `mutation($listingId: ID!, $idempotencyKey: String!) {
  purchaseOffer(input: { listingId: $listingId, idempotencyKey: $idempotencyKey }) { balance { ${BALANCE} } userErrors { code message } }
}`;
const CLAIM = `mutation($giftListId: ID!, $optionId: ID!, $idempotencyKey: String!) {
  claimGift(input: { giftListId: $giftListId, optionId: $optionId, idempotencyKey: $idempotencyKey }) { balance { ${BALANCE} } userErrors { code } }
}`;
const ME = `{ me { balances { ${BALANCE} } } }`;
const RETURN = `mutation($e: String!) { reverseTransaction(input: { externalId: $e }) { userErrors { code } } }`;
type Balance = { currency: { code: string }; available: number; pending: number; lifetimeEarned: number; expiringSoon: { amount: number; expiresAt: string }[] };

/**
 * Held (break38 moments): replay-38's "the balance right after this purchase", expiringSoon rebuilt
 * from ledger_allocation as of the purchase's entry, attacked with ledger histories around the
 * purchase. With the clock frozen, the purchase's answer (fresh, and repeated days later after
 * credits, debits, a return and expiries) equals what `me { balances }` read right after it, and
 * under a storm of purchases, gift claims, credits, debits and sales on one member at once every
 * answer's expiringSoon adds up to its `available` (every point there expires within the window).
 */
describe('held: a purchase\'s expiringSoon is the one `me` read right after it', () => {
  let t: TestGateway;
  let till: Awaited<ReturnType<typeof createPartner>>;
  beforeAll(async () => {
    t = await startTestGateway();
    till = await createPartner(t, ['transactions:write', 'transactions:read']);
  });
  afterEach(async () => {
    t.clock.reset();
    expect(await ledgerViolations(t)).toEqual([]);
  });
  afterAll(() => t.close());

  async function buy(token: string, listingId: string, key = unique('buy')) {
    return (dataOf(await t.gql(BUY, { listingId, idempotencyKey: key }, token)) as { purchaseOffer: { balance: Balance | null; userErrors: unknown[] } }).purchaseOffer;
  }
  async function me(token: string, currency: string) {
    return (ok(await t.gql(ME, {}, token)) as { me: { balances: Balance[] } }).me.balances.find((b) => b.currency.code === currency)!;
  }
  /** Buys once, reads `me` at the same frozen moment: the two balances are one. */
  async function buyAndRead(token: string, listingId: string, currency: string) {
    const key = unique('buy');
    const first = await buy(token, listingId, key);
    expect(first.userErrors).toEqual([]);
    expect(first.balance).toEqual(await me(token, currency));
    return { key, balance: first.balance! };
  }

  it('pending points released and debt repaid by the purchase itself, then repeated after a return, a debit and expiries', async () => {
    t.clock.freeze();
    const { money, currency } = await earningProgram(t, 'P', { expiryDays: 20, pendingDays: 1 });
    const customer = await createCustomer(t, currency, 0);
    const store = await createStore(t, currency);
    const listing = await addListing(t, store.id, (await createOffer(t)).id, { priceInPoints: 30 });
    const returned = await processedSale(t, till, customer.externalId, money, 10); // 100 pending a day
    t.clock.advance(DAY);
    await adjust(t, customer.externalId, currency, 5);
    await buy(customer.token, listing.id);
    await buy(customer.token, listing.id);
    ok(await t.gql(RETURN, { e: returned }, till.credential)); // 60 of its 100 spent: owed
    await processedSale(t, till, customer.externalId, money, 10); // released at the purchase below, repaying the debt
    t.clock.advance(DAY / 2);
    await adjust(t, customer.externalId, currency, 200);
    const later = await processedSale(t, till, customer.externalId, money, 5); // still pending at the purchase
    t.clock.advance(DAY / 2);
    const { key, balance } = await buyAndRead(customer.token, listing.id, currency);
    expect(balance.pending).toBe(50);

    t.clock.advance(DAY);
    ok(await t.gql(RETURN, { e: later }, till.credential));
    await adjust(t, customer.externalId, currency, -10);
    expect((await buy(customer.token, listing.id, key)).balance).toEqual(balance);
    t.clock.advance(25 * DAY); // everything of then has expired
    expect((await buy(customer.token, listing.id, key)).balance).toEqual(balance);
  });

  it('credits expiring at the purchase instant and at the window\'s last instant; a never-expiring currency beside', async () => {
    t.clock.freeze();
    const { currency } = await earningProgram(t, 'E', { expiryDays: 40 });
    const { currency: forever } = await earningProgram(t, 'N', { expiryDays: null });
    const customer = await createCustomer(t, currency, 100);
    await adjust(t, customer.externalId, forever, 500);
    t.clock.advance(30 * DAY);
    await adjust(t, customer.externalId, currency, 100); // expires at the purchase + 30 days, EXPIRING_SOON_DAYS' last instant
    t.clock.advance(10 * DAY); // the first 100 expire this very instant
    await adjust(t, customer.externalId, currency, 70);
    const store = await createStore(t, currency);
    const listing = await addListing(t, store.id, (await createOffer(t)).id, { priceInPoints: 30 });
    const foreverListing = await addListing(t, (await createStore(t, forever)).id, (await createOffer(t)).id, { priceInPoints: 30 });
    const bought = await buyAndRead(customer.token, listing.id, currency);
    expect(bought.balance.available).toBe(140);
    expect(bought.balance.expiringSoon.map((e) => e.expiresAt)).toContain(new Date(t.clock.now().getTime() + 30 * DAY).toISOString());
    const never = await buyAndRead(customer.token, foreverListing.id, forever);
    expect(never.balance.expiringSoon).toEqual([]);
    t.clock.advance(2 * DAY);
    await adjust(t, customer.externalId, currency, -100);
    expect((await buy(customer.token, listing.id, bought.key)).balance).toEqual(bought.balance);
  });

  it('a storm of purchases, gift claims, credits, debits and sales on one member: every answer is one moment', async () => {
    t.clock.freeze();
    const { money, currency } = await earningProgram(t, 'S', { expiryDays: 20, pendingDays: 1 });
    const customer = await createCustomer(t, currency, 300);
    const listing = await addListing(t, (await createStore(t, currency)).id, (await createOffer(t)).id, { priceInPoints: 30 });
    const offer = await createOffer(t);
    const list = ok(
      await t.gql(`mutation($input: CreateGiftListInput!) { createGiftList(input: $input) { giftList { id } } }`, { input: { currency, name: unique('l'), threshold: 20, offerIds: [offer.id] } }, t.operatorToken),
    ) as { createGiftList: { giftList: { id: string } } };
    const mixed: unknown[] = [];
    let answered = 0;
    for (let round = 0; round < 8; round++) {
      t.clock.advance(DAY / 3);
      await adjust(t, customer.externalId, currency, 100);
      if (round % 2 === 0) await submitSale(t, till, customer.externalId, money, 7);
      const answers: Balance[] = [];
      const take = (b: Balance | null) => b && answers.push(b);
      await Promise.all([
        ...[0, 1, 2, 3].map(() => buy(customer.token, listing.id).then((p) => take(p.balance))),
        ...[0, 1].map(() =>
          t.gql(CLAIM, { giftListId: list.createGiftList.giftList.id, optionId: offer.id, idempotencyKey: unique('g') }, customer.token).then((r) => take((dataOf(r) as { claimGift: { balance: Balance | null } }).claimGift.balance)),
        ),
        adjust(t, customer.externalId, currency, 40),
        adjust(t, customer.externalId, currency, -15).catch(() => undefined),
      ]);
      for (const b of answers) if (b.expiringSoon.reduce((s, e) => s + e.amount, 0) !== b.available) mixed.push({ round, b });
      answered += answers.length;
    }
    expect(answered).toBeGreaterThan(20);
    expect(mixed).toEqual([]);
  });
});
