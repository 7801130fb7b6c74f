import {
  AdjustPointsDocument,
  ClaimGiftDocument,
  CreateGiftListDocument,
  LockOfferDocument,
  PurchaseOfferDocument,
  RedeemOfferDocument,
  RecordActivityDocument,
  ReverseTransactionDocument,
  SetActivityRuleDocument,
} from '../generated/graphql.js';
import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { holdLocks } from '../support/locks.js';
import { adjust, addListing, createCustomer, createOffer, createPartner, createStore, earningProgram, submitSale, unique } from '../support/program.js';
import { holdAnswers } from '../support/statements.js';

const HOUR = 3_600_000;

/** The statement that takes one customer's account lock (lockAccount), or the purchase's one statement that takes it itself. */
const takesAccountLock = (text: string) =>
  /from point_account where customer_id = \$\d+ and currency_code = \$\d+ for update/.test(text) || /insert into offer_purchase/.test(text);

/**
 * A write whose clock was read before it waited for its account's lock: while it waits, the clock
 * moves an hour and another write of the same account commits. The ledger must still read in the
 * order its writes committed: each entry dated no earlier than the one committed before it (edges-12b,
 * docs/decisions.md "Writes are dated after the writes they waited for").
 */
describe('a write dated after the writes it waited for (edges-12b)', () => {
  let t: TestGateway;
  let till: Awaited<ReturnType<typeof createPartner>>;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    till = await createPartner(t, ['transactions:write', 'transactions:read', 'activities:write', 'offers:redeem']);
  });
  afterEach(() => t.clock.reset());
  afterAll(() => t.close());

  /** The account's entries in the order they were written (id), with their dates. */
  const ledger = async (externalId: string, currency: string) =>
    t.sql<{ kind: string; amount: number; at: Date }>(
      `select e.kind, e.amount::int, e.created_at as at from ledger_entry e join point_account a on a.id = e.account_id join customer c on c.id = a.customer_id
        where c.external_id = $1 and a.currency_code = $2 order by e.id`,
      [externalId, currency],
    );
  const expectInCommitOrder = async (externalId: string, currency: string) => {
    const entries = await ledger(externalId, currency);
    for (let i = 1; i < entries.length; i++) {
      expect({ entry: i, kind: entries[i].kind, at: entries[i].at.getTime() >= entries[i - 1].at.getTime() }).toEqual({ entry: i, kind: entries[i].kind, at: true });
    }
    return entries;
  };
  const sale = (customerExternalId: string, money: string, amount: number) => submitSale(t, till, customerExternalId, money, amount);

  /**
   * Starts `write` with the clock frozen, holds its account-lock statement before it is sent, moves
   * the clock an hour and commits a staff adjustment of +1 on the account, then lets `write` go on.
   */
  const heldWhileAnotherCommits = async <R>(customerExternalId: string, currency: string, write: () => Promise<R>): Promise<R> => {
    t.clock.freeze();
    const held = holdAnswers(takesAccountLock, 'statement');
    const running = write();
    try {
      await held.reached;
      t.clock.advance(HOUR);
      await adjust(t, customerExternalId, currency, 1);
    } finally {
      held.release();
    }
    return running;
  };

  it('a return waiting for its sale while another write commits: its REVERSAL and the sale\'s reversedAt are not dated before that write', async () => {
    const { money, currency } = await earningProgram(t, 'R');
    const customer = await createCustomer(t, currency, 5);
    const externalId = await sale(customer.externalId, money, 3);
    await t.jobs.runner.runUntilIdle();
    t.clock.freeze();
    const held = await holdLocks(t, 'select 1 from sales_transaction where external_id = $1 for update', [externalId]);
    const returning = t.gql(ReverseTransactionDocument, { externalId, reason: 'returned' }, till.credential);
    try {
      await held.blocking(1);
      t.clock.advance(HOUR);
      await adjust(t, customer.externalId, currency, 1);
    } finally {
      await held.commit();
      await held.end();
    }
    const returned = ok(await returning);
    expect(returned.reverseTransaction.userErrors).toEqual([]);
    const entries = await expectInCommitOrder(customer.externalId, currency);
    expect(entries.map((e) => [e.kind, e.amount])).toEqual([
      ['ADJUST', 5],
      ['EARN', 30],
      ['ADJUST', 1],
      ['REVERSAL', -30],
    ]);
    const [row] = await t.sql<{ reversed: boolean }>(
      `select s.reversed_at >= (select max(created_at) from ledger_entry where kind = 'ADJUST' and customer_id = s.customer_id) as reversed
         from sales_transaction s where s.external_id = $1`,
      [externalId],
    );
    expect(row.reversed).toBe(true);
  });

  it('a staff adjustment waiting for the account', async () => {
    const { currency } = await earningProgram(t, 'A');
    const customer = await createCustomer(t, currency, 5);
    const res = await heldWhileAnotherCommits(customer.externalId, currency, () =>
      t.gql(AdjustPointsDocument, { input: { customerExternalId: customer.externalId, currency, amount: -2, reason: 'test', idempotencyKey: unique('adj') } }, t.operatorToken),
    );
    expect(ok(res).adjustPoints.userErrors).toEqual([]);
    expect((await expectInCommitOrder(customer.externalId, currency)).map((e) => e.amount)).toEqual([5, 1, -2]);
  });

  it('an activity waiting for the account', async () => {
    const { currency } = await earningProgram(t, 'V');
    ok(await t.gql(SetActivityRuleDocument, { input: { kind: 'REVIEW', currency, points: 4 } as never }, t.operatorToken));
    const customer = await createCustomer(t, currency, 5);
    const res = await heldWhileAnotherCommits(customer.externalId, currency, () =>
      t.gql(RecordActivityDocument, { customerExternalId: customer.externalId, kind: 'REVIEW', reference: unique('review') }, till.credential),
    );
    expect(ok(res).recordActivity.userErrors).toEqual([]);
    expect((await expectInCommitOrder(customer.externalId, currency)).map((e) => e.amount)).toEqual([5, 1, 4]);
  });

  it("a sale's processing waiting for the account", async () => {
    const { money, currency } = await earningProgram(t, 'P');
    const customer = await createCustomer(t, currency, 5);
    await sale(customer.externalId, money, 2);
    await heldWhileAnotherCommits(customer.externalId, currency, () => t.jobs.runner.runUntilIdle());
    expect((await expectInCommitOrder(customer.externalId, currency)).map((e) => e.amount)).toEqual([5, 1, 20]);
  });

  it('a purchase waiting for the account', async () => {
    const { currency } = await earningProgram(t, 'B');
    const store = await createStore(t, currency);
    const listing = await addListing(t, store.id, (await createOffer(t)).id, { priceInPoints: 3 });
    const customer = await createCustomer(t, currency, 5);
    const res = await heldWhileAnotherCommits(customer.externalId, currency, () =>
      t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: unique('buy') }, customer.token),
    );
    expect(ok(res).purchaseOffer.userErrors).toEqual([]);
    expect((await expectInCommitOrder(customer.externalId, currency)).map((e) => e.amount)).toEqual([5, 1, -3]);
  });

  it('a gift claim waiting for the account', async () => {
    const { currency } = await earningProgram(t, 'G');
    const offerIds = [(await createOffer(t)).id];
    const list = ok(await t.gql(CreateGiftListDocument, { input: { currency, name: unique('list'), offerIds, threshold: 3, maxClaims: null } }, t.operatorToken)).createGiftList.giftList!;
    const customer = await createCustomer(t, currency, 5);
    const res = await heldWhileAnotherCommits(customer.externalId, currency, () =>
      t.gql(ClaimGiftDocument, { giftListId: list.id, optionId: offerIds[0], idempotencyKey: unique('claim') }, customer.token),
    );
    expect(ok(res).claimGift.userErrors).toEqual([]);
    expect((await expectInCommitOrder(customer.externalId, currency)).map((e) => e.amount)).toEqual([5, 1, -3]);
  });

  it("a redemption at the till waiting for the offer while its basket renews the lock: redeemedAt is not before the renewal", async () => {
    const { currency } = await earningProgram(t, 'O');
    const store = await createStore(t, currency);
    const listing = await addListing(t, store.id, (await createOffer(t)).id, { priceInPoints: 3 });
    const customer = await createCustomer(t, currency, 5);
    ok(await t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: unique('buy') }, customer.token));
    const [{ code }] = await t.sql<{ code: string }>(`select io.code from issued_offer io join customer c on c.id = io.customer_id where c.external_id = $1`, [customer.externalId]);
    t.clock.freeze();
    const lockId = unique('basket');
    ok(await t.gql(LockOfferDocument, { code, lockId, ttlSeconds: 600 }, till.credential));
    // The redemption's row lock, held before it is sent: its clock was read an hour before the renewal commits.
    const held = holdAnswers((text) => /for update of io/.test(text) && /set status = 'REDEEMED'/.test(text) === false, 'statement');
    const redeeming = t.gql(RedeemOfferDocument, { code, lockId, transactionExternalId: unique('use') }, till.credential);
    let renewedAt: number;
    try {
      await held.reached;
      t.clock.advance(HOUR);
      renewedAt = t.clock.now().getTime();
      ok(await t.gql(LockOfferDocument, { code, lockId, ttlSeconds: 600 }, till.credential));
    } finally {
      held.release();
    }
    expect(ok(await redeeming).redeemOffer.issuedOffer?.status).toBe('REDEEMED');
    const [row] = await t.sql<{ redeemed: Date; updated: Date }>(`select redeemed_at as redeemed, updated_at as updated from issued_offer where code = $1`, [code]);
    expect({ redeemedAfterRenewal: row.redeemed.getTime() >= renewedAt!, updatedAfterRenewal: row.updated.getTime() >= renewedAt! }).toEqual({
      redeemedAfterRenewal: true,
      updatedAfterRenewal: true,
    });
  });
});
