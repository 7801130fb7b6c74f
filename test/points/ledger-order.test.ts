import {
  AdjustPointsDocument,
  AuditLogDocument,
  ClaimGiftDocument,
  CreateGiftListDocument,
  CreateOfferDocument,
  LockOfferDocument,
  PointHistoryDocument,
  PurchaseOfferDocument,
  RedeemOfferDocument,
  RecordActivityDocument,
  ReverseTransactionDocument,
  SetActivityRuleDocument,
  WalletDocument,
} from '../generated/graphql.js';
import { toGlobalId } from '../../src/graphql/ids.js';
import { dataOf, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { heldWhileAnotherCommits, holdLocks } from '../support/locks.js';
import { adjust, addListing, createCustomer, createOffer, createPartner, createStore, earningProgram, submitSale, unique } from '../support/program.js';
import { holdAnswers } from '../support/statements.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * A write whose clock was read before it waited for its account's lock: while it waits, the clock
 * moves an hour and another write of the same account commits. The ledger must still read in the
 * order its writes committed: each entry dated no earlier than the one committed before it (edges-12b,
 * docs/decisions.md "Writes are dated after the writes they waited for"). And everything else the
 * write writes carries its entry's date (dates-12c, "One date per write"): a purchase's own rows
 * (`OfferPurchase.createdAt`, `IssuedOffer.createdAt`), its offer's `expiresAt`, its events (the
 * webhooks' `timestamp`), a gift claim's wallet item, an adjustment's audit entry (`auditLog.at`),
 * a staff replacement waiting for the offer it replaces; they kept the request's clock, an hour before.
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

  /** The customer's latest ledger entry as their point history shows it. */
  const lastEntry = async (token: string, currency: string) => {
    const history = ok(await t.gql(PointHistoryDocument, { currency, first: 1 }, token)).me!.pointHistory.edges;
    return history[0].node;
  };

  /** The customer's events in stream order (eventId) with their dates (a webhook's `timestamp`). */
  const events = (externalId: string) =>
    t.sql<{ seq: string; topic: string; at: Date }>(
      `select e.customer_seq as seq, e.topic, e.created_at as at from outbox_event e join customer c on c.id = e.customer_id where c.external_id = $1 order by e.customer_seq`,
      [externalId],
    );

  /** Events never dated before the one before them in the customer's stream; the last `n` dated `at`. */
  const expectEventsInOrder = async (externalId: string, n: number, at: number) => {
    const rows = await events(externalId);
    const backwards = rows.slice(1).filter((r, i) => r.at.getTime() < rows[i].at.getTime());
    expect({ backwards: backwards.map((r) => r.topic), last: rows.slice(-n).map((r) => [r.topic, r.at.getTime() - at]) }).toEqual({
      backwards: [],
      last: rows.slice(-n).map((r) => [r.topic, 0]),
    });
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
    const res = await heldWhileAnotherCommits(t, customer.externalId, currency, () =>
      t.gql(AdjustPointsDocument, { input: { customerExternalId: customer.externalId, currency, amount: -2, reason: 'held', idempotencyKey: unique('adj') } }, t.operatorToken),
    );
    expect(ok(res).adjustPoints.userErrors).toEqual([]);
    expect((await expectInCommitOrder(customer.externalId, currency)).map((e) => e.amount)).toEqual([5, 1, -2]);
    // the audit log's entry carries the entry's date (dates-12c)
    const entry = await lastEntry(customer.token, currency);
    const audit = ok(await t.gql(AuditLogDocument, { first: 5 }, t.operatorToken)).auditLog.edges.map((e) => e.node);
    const logged = audit.find((a) => a.action === 'adjustPoints' && a.reason === 'held')!;
    expect(new Date(logged.at).getTime() - new Date(entry.createdAt).getTime()).toBe(0);
  });

  it('an activity waiting for the account', async () => {
    const { currency } = await earningProgram(t, 'V');
    ok(await t.gql(SetActivityRuleDocument, { input: { kind: 'REVIEW', currency, points: 4 } as never }, t.operatorToken));
    const customer = await createCustomer(t, currency, 5);
    const res = await heldWhileAnotherCommits(t, customer.externalId, currency, () =>
      t.gql(RecordActivityDocument, { customerExternalId: customer.externalId, kind: 'REVIEW', reference: unique('review') }, till.credential),
    );
    expect(ok(res).recordActivity.userErrors).toEqual([]);
    expect((await expectInCommitOrder(customer.externalId, currency)).map((e) => e.amount)).toEqual([5, 1, 4]);
  });

  it("a sale's processing waiting for the account", async () => {
    const { money, currency } = await earningProgram(t, 'P');
    const customer = await createCustomer(t, currency, 5);
    await sale(customer.externalId, money, 2);
    await heldWhileAnotherCommits(t, customer.externalId, currency, () => t.jobs.runner.runUntilIdle());
    expect((await expectInCommitOrder(customer.externalId, currency)).map((e) => e.amount)).toEqual([5, 1, 20]);
  });

  it('a purchase waiting for the account', async () => {
    const { currency } = await earningProgram(t, 'B');
    const store = await createStore(t, currency);
    const listing = await addListing(t, store.id, (await createOffer(t)).id, { priceInPoints: 3 });
    const customer = await createCustomer(t, currency, 5);
    const res = await heldWhileAnotherCommits(t, customer.externalId, currency, () =>
      t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: unique('buy') }, customer.token),
    );
    const bought = ok(res).purchaseOffer;
    expect(bought.userErrors).toEqual([]);
    expect((await expectInCommitOrder(customer.externalId, currency)).map((e) => e.amount)).toEqual([5, 1, -3]);
    // one date for the whole purchase: the SPEND entry's (dates-12c)
    const spentAt = new Date((await lastEntry(customer.token, currency)).createdAt).getTime();
    // the offer is valid 30 days from its purchase as the ledger dates it, not from an hour before
    expect(new Date(bought.purchase!.issuedOffer.expiresAt!).getTime() - spentAt).toBe(30 * DAY);
    const [rows] = await t.sql<{ purchased: Date; issued: Date }>(
      `select p.created_at as purchased, io.created_at as issued from offer_purchase p join issued_offer io on io.id = p.issued_offer_id join customer c on c.id = p.customer_id where c.external_id = $1`,
      [customer.externalId],
    );
    expect({ purchasedAt: rows.purchased.getTime() - spentAt, issuedAt: rows.issued.getTime() - spentAt }).toEqual({ purchasedAt: 0, issuedAt: 0 });
    await expectEventsInOrder(customer.externalId, 2, spentAt);
  });

  it('a gift claim waiting for the account', async () => {
    const { currency } = await earningProgram(t, 'G');
    const offerIds = [(await createOffer(t)).id];
    const list = ok(await t.gql(CreateGiftListDocument, { input: { currency, name: unique('list'), offerIds, threshold: 3, maxClaims: null } }, t.operatorToken)).createGiftList.giftList!;
    const customer = await createCustomer(t, currency, 5);
    const res = await heldWhileAnotherCommits(t, customer.externalId, currency, () =>
      t.gql(ClaimGiftDocument, { giftListId: list.id, optionId: offerIds[0], idempotencyKey: unique('claim') }, customer.token),
    );
    expect(ok(res).claimGift.userErrors).toEqual([]);
    expect((await expectInCommitOrder(customer.externalId, currency)).map((e) => e.amount)).toEqual([5, 1, -3]);
    // its wallet item (issued, valid 30 days from), the claim and its events carry the SPEND entry's date (dates-12c)
    const spentAt = new Date((await lastEntry(customer.token, currency)).createdAt).getTime();
    const [rows] = await t.sql<{ claimed: Date; issued: Date; expires: Date }>(
      `select g.created_at as claimed, io.created_at as issued, io.expires_at as expires from gift_claim g join issued_offer io on io.id = g.issued_offer_id join customer c on c.id = g.customer_id where c.external_id = $1`,
      [customer.externalId],
    );
    expect({ claimedAt: rows.claimed.getTime() - spentAt, issuedAt: rows.issued.getTime() - spentAt, validFor: rows.expires.getTime() - spentAt }).toEqual({
      claimedAt: 0,
      issuedAt: 0,
      validFor: 30 * DAY,
    });
    await expectEventsInOrder(customer.externalId, 2, spentAt);
  });

  /** A customer's offer, bought in a program `prefix` of its own and locked by a till's basket, with the clock frozen. */
  const lockedOffer = async (prefix: string) => {
    const { currency } = await earningProgram(t, prefix);
    const store = await createStore(t, currency);
    const listing = await addListing(t, store.id, (await createOffer(t)).id, { priceInPoints: 3 });
    const customer = await createCustomer(t, currency, 5);
    ok(await t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: unique('buy') }, customer.token));
    const [offer] = await t.sql<{ id: string; code: string }>(`select io.id, io.code from issued_offer io join customer c on c.id = io.customer_id where c.external_id = $1`, [
      customer.externalId,
    ]);
    t.clock.freeze();
    const lockId = unique('basket');
    ok(await t.gql(LockOfferDocument, { code: offer.code, lockId, ttlSeconds: 600 }, till.credential));
    return { customer, offer, lockId };
  };

  it("a redemption at the till waiting for the offer while its basket renews the lock: redeemedAt (and its event's date) is not before the renewal", async () => {
    const {
      customer,
      offer: { code },
      lockId,
    } = await lockedOffer('O');
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
    // and its event (a webhook's `timestamp`) is not dated before the basket's lock, which precedes it in the customer's stream (dates-12c)
    const events = await t.sql<{ topic: string; change: string; at: Date }>(
      `select e.topic, e.payload->>'change' as change, e.created_at as at from outbox_event e join customer c on c.id = e.customer_id where c.external_id = $1 order by e.customer_seq desc limit 2`,
      [customer.externalId],
    );
    expect(events.map((e) => [e.change, e.at.getTime() - row.redeemed.getTime()])).toEqual([
      ['REDEEMED', 0],
      ['LOCKED', 0], // (the lock of an hour before had run out: the basket locked it again)
    ]);
  });

  it("a staff replacement waiting for the offer it replaces while a till redeems it: the replacement is not issued before the redemption", async () => {
    const { offer: original, lockId } = await lockedOffer('J');
    // the replacement's row lock, held before it is sent: its clock was read an hour before the redemption commits
    const held = holdAnswers((text) => /join offer_version ov on ov.id = io.offer_version_id\s+where io.id = \$\d+ for update of io/.test(text), 'statement');
    const replacing = t.gql(
      `mutation($input: IssueReplacementOfferInput!) { issueReplacementOffer(input: $input) { userErrors { code } } }`,
      { input: { issuedOfferId: toGlobalId('IssuedOffer', Number(original.id)), reason: 'dated', idempotencyKey: unique('rep') } },
      t.operatorToken,
    );
    try {
      await held.reached;
      t.clock.advance(HOUR);
      ok(await t.gql(RedeemOfferDocument, { code: original.code, lockId, transactionExternalId: unique('use') }, till.credential));
    } finally {
      held.release();
    }
    ok(await replacing);
    const [row] = await t.sql<{ redeemed: Date; issued: Date; expires: Date; audited: Date }>(
      `select o.redeemed_at as redeemed, r.created_at as issued, r.expires_at as expires,
              (select at from audit_entry where action = 'issueReplacementOffer' and target = 'IssuedOffer:' || o.id) as audited
         from issued_offer o join issued_offer r on r.replaces_id = o.id where o.id = $1`,
      [original.id],
    );
    const redeemedAt = row.redeemed.getTime();
    expect({ issued: row.issued.getTime() - redeemedAt, validFor: row.expires.getTime() - row.issued.getTime(), audited: row.audited.getTime() - redeemedAt }).toEqual({
      issued: 0,
      validFor: 30 * DAY,
      audited: 0,
    });
  });

  /**
   * hostile-19: what ends with time is read at the write's date, not at the request's clock read
   * before it waited. An offer (or a listing's window) that ends while the claim or purchase waits
   * for the account: before, the points were taken and the wallet got an offer already EXPIRED.
   */
  describe('an offer that ends while its claim or purchase waits for the account (hostile-19)', () => {
    const MINUTE = 60_000;
    /** An offer valid 30 days that ends for good 30 minutes from the frozen clock (the wait moves it an hour). */
    const endingOffer = async () => {
      t.clock.freeze();
      const validUntil = new Date(t.clock.now().getTime() + 30 * MINUTE).toISOString();
      return ok(await t.gql(CreateOfferDocument, { input: { name: unique('ending'), benefit: { kind: 'PERCENT_OFF', percentOff: 10 }, validDays: 30, validUntil } }, t.operatorToken))
        .createOffer.offer!;
    };
    /** What the customer is left with: the refusal, their wallet and their balance (5, and the +1 committed during the wait). */
    const outcome = async (codes: string[], customer: { externalId: string; token: string }, currency: string) => ({
      codes,
      wallet: ok(await t.gql(WalletDocument, { first: 10 }, customer.token)).me!.wallet.edges.map((e) => e.node.status),
      ledger: (await ledger(customer.externalId, currency)).map((e) => e.amount),
    });

    it('a gift claim: OFFER_UNAVAILABLE, nothing spent, nothing issued', async () => {
      const { currency } = await earningProgram(t, 'GE');
      const offer = await endingOffer();
      const list = ok(await t.gql(CreateGiftListDocument, { input: { currency, name: unique('list'), offerIds: [offer.id], threshold: 3 } }, t.operatorToken)).createGiftList.giftList!;
      const customer = await createCustomer(t, currency, 5);
      const res = await heldWhileAnotherCommits(t, customer.externalId, currency, () =>
        t.gql(ClaimGiftDocument, { giftListId: list.id, optionId: offer.id, idempotencyKey: unique('claim') }, customer.token),
      );
      expect(await outcome(dataOf(res).claimGift.userErrors.map((e) => e.code), customer, currency)).toEqual({ codes: ['OFFER_UNAVAILABLE'], wallet: [], ledger: [5, 1] });
    });

    it.each([
      ['the offer ends', { validUntil: true }],
      ["the listing's visible window ends", { validUntil: false }],
    ])('a purchase when %s: OFFER_UNAVAILABLE, nothing spent, nothing issued', async (_, how) => {
      const { currency } = await earningProgram(t, how.validUntil ? 'PE' : 'PW');
      t.clock.freeze();
      const offer = how.validUntil ? await endingOffer() : await createOffer(t);
      const store = await createStore(t, currency);
      const visibleUntil = how.validUntil ? {} : { visibleUntil: new Date(t.clock.now().getTime() + 30 * MINUTE).toISOString() };
      const listing = await addListing(t, store.id, offer.id, { priceInPoints: 3, ...visibleUntil });
      const customer = await createCustomer(t, currency, 5);
      const res = await heldWhileAnotherCommits(t, customer.externalId, currency, () =>
        t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: unique('buy') }, customer.token),
      );
      expect(await outcome(dataOf(res).purchaseOffer.userErrors.map((e) => e.code), customer, currency)).toEqual({ codes: ['OFFER_UNAVAILABLE'], wallet: [], ledger: [5, 1] });
    });

    it('a purchase on its two-statement path (points due on the account) when the offer ends while it waits', async () => {
      const { money, currency } = await earningProgram(t, 'PT', { pendingDays: 1 });
      const customer = await createCustomer(t, currency, 5);
      await sale(customer.externalId, money, 1); // 10 points pending for a day
      await t.jobs.runner.runUntilIdle();
      t.clock.freeze();
      t.clock.advance(DAY); // due, not released: the one statement hands over to the transaction
      const offer = await endingOffer();
      const store = await createStore(t, currency);
      const listing = await addListing(t, store.id, offer.id, { priceInPoints: 3 });
      // The transaction's first statement, held before it is sent: its clock was read before the wait.
      const held = holdAnswers((text) => text.includes('shown as materialized'), 'statement');
      const buying = t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: unique('buy') }, customer.token);
      try {
        await held.reached;
        t.clock.advance(HOUR);
        await adjust(t, customer.externalId, currency, 1); // releases the 10 too, dated an hour on
      } finally {
        held.release();
      }
      expect(await outcome(dataOf(await buying).purchaseOffer.userErrors.map((e) => e.code), customer, currency)).toEqual({
        codes: ['OFFER_UNAVAILABLE'],
        wallet: [],
        ledger: [5, 10, 1],
      });
    });
  });
});
