import {
  AdjustPointsDocument,
  AuditLogDocument,
  ClaimGiftDocument,
  CreateGiftListDocument,
  LockOfferDocument,
  PointHistoryDocument,
  PurchaseOfferDocument,
  RedeemOfferDocument,
} from '../generated/graphql.js';
import { toGlobalId } from '../../src/graphql/ids.js';
import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { adjust, addListing, createCustomer, createOffer, createPartner, createStore, earningProgram, unique } from '../support/program.js';
import { holdAnswers } from '../support/statements.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The statement that takes one customer's account lock (lockAccount), or the purchase's one statement that takes it itself. */
const takesAccountLock = (text: string) =>
  /from point_account where customer_id = \$\d+ and currency_code = \$\d+ for update/.test(text) || /insert into offer_purchase/.test(text);

/**
 * One date per write (dates-12c): since edges-12b a write that waited for its account is dated no
 * earlier than what committed on the account meanwhile (its ledger entry: `greatest(now,
 * updated_at)`), but the rest of the write kept the request's clock: the purchase's own rows (what
 * `OfferPurchase.createdAt` and `IssuedOffer.createdAt` show), the issued offer's `expiresAt`
 * (counted from an hour before its purchase), the purchase's events (the webhooks' `timestamp`:
 * an hour before the event its customer had just before), a gift claim's wallet item, and an
 * adjustment's staff audit entry (`at`, an hour before the entry it names). Each write below reads
 * its clock, waits for its account while the clock moves an hour and another write of the account
 * commits, then goes on: everything it writes must carry its ledger entry's date.
 */
describe('a write that waited for its account dates all it writes as its ledger entry (dates-12c)', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
  });
  afterEach(() => t.clock.reset());
  afterAll(() => t.close());

  /** Starts `write` with the clock frozen, holds its account-lock statement, moves the clock an hour and commits +1 on the account, then lets it go on. */
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

  it('a purchase: its purchase row, its offer (issue date and expiry) and its events carry the SPEND entry\'s date', async () => {
    const { currency } = await earningProgram(t, 'D');
    const store = await createStore(t, currency);
    const listing = await addListing(t, store.id, (await createOffer(t)).id, { priceInPoints: 3 });
    const customer = await createCustomer(t, currency, 5);
    const res = await heldWhileAnotherCommits(customer.externalId, currency, () =>
      t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: unique('buy') }, customer.token),
    );
    const bought = ok(res).purchaseOffer;
    expect(bought.userErrors).toEqual([]);
    const spend = await lastEntry(customer.token, currency);
    expect(spend.kind).toBe('SPEND');
    const spentAt = new Date(spend.createdAt).getTime();
    // the offer is valid 30 days from its purchase as the ledger dates it, not from an hour before
    expect(new Date(bought.purchase!.issuedOffer.expiresAt!).getTime() - spentAt).toBe(30 * DAY);
    const [rows] = await t.sql<{ purchased: Date; issued: Date }>(
      `select p.created_at as purchased, io.created_at as issued from offer_purchase p join issued_offer io on io.id = p.issued_offer_id join customer c on c.id = p.customer_id where c.external_id = $1`,
      [customer.externalId],
    );
    expect({ purchasedAt: rows.purchased.getTime() - spentAt, issuedAt: rows.issued.getTime() - spentAt }).toEqual({ purchasedAt: 0, issuedAt: 0 });
    await expectEventsInOrder(customer.externalId, 2, spentAt);
  });

  it("a gift claim: its wallet item (issue date and expiry), the claim and its events carry the SPEND entry's date", async () => {
    const { currency } = await earningProgram(t, 'E');
    const offerIds = [(await createOffer(t)).id];
    const list = ok(await t.gql(CreateGiftListDocument, { input: { currency, name: unique('list'), offerIds, threshold: 3, maxClaims: null } }, t.operatorToken)).createGiftList.giftList!;
    const customer = await createCustomer(t, currency, 5);
    const res = await heldWhileAnotherCommits(customer.externalId, currency, () =>
      t.gql(ClaimGiftDocument, { giftListId: list.id, optionId: offerIds[0], idempotencyKey: unique('claim') }, customer.token),
    );
    expect(ok(res).claimGift.userErrors).toEqual([]);
    const spend = await lastEntry(customer.token, currency);
    expect(spend.kind).toBe('SPEND');
    const spentAt = new Date(spend.createdAt).getTime();
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

  it("a staff adjustment: the audit log's entry carries its ledger entry's date", async () => {
    const { currency } = await earningProgram(t, 'F');
    const customer = await createCustomer(t, currency, 5);
    const res = await heldWhileAnotherCommits(customer.externalId, currency, () =>
      t.gql(AdjustPointsDocument, { input: { customerExternalId: customer.externalId, currency, amount: -2, reason: 'dated', idempotencyKey: unique('adj') } }, t.operatorToken),
    );
    expect(ok(res).adjustPoints.userErrors).toEqual([]);
    const entry = await lastEntry(customer.token, currency);
    expect(entry.amount).toBe(-2);
    const audit = ok(await t.gql(AuditLogDocument, { first: 5 }, t.operatorToken)).auditLog.edges.map((e) => e.node);
    const logged = audit.find((a) => a.action === 'adjustPoints' && a.reason === 'dated')!;
    expect(new Date(logged.at).getTime() - new Date(entry.createdAt).getTime()).toBe(0);
  });

  it("a redemption waiting for the offer while its basket renews the lock: the REDEEMED event is not dated before the renewal's", async () => {
    const till = await createPartner(t, ['offers:redeem']);
    const { currency } = await earningProgram(t, 'H');
    const store = await createStore(t, currency);
    const listing = await addListing(t, store.id, (await createOffer(t)).id, { priceInPoints: 3 });
    const customer = await createCustomer(t, currency, 5);
    ok(await t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: unique('buy') }, customer.token));
    const [{ code }] = await t.sql<{ code: string }>(`select io.code from issued_offer io join customer c on c.id = io.customer_id where c.external_id = $1`, [customer.externalId]);
    t.clock.freeze();
    const lockId = unique('basket');
    ok(await t.gql(LockOfferDocument, { code, lockId, ttlSeconds: 600 }, till.credential));
    // the redemption's row lock, held before it is sent: its clock was read an hour before the renewal commits
    const held = holdAnswers((text) => /for update of io/.test(text) && /set status = 'REDEEMED'/.test(text) === false, 'statement');
    const redeeming = t.gql(RedeemOfferDocument, { code, lockId, transactionExternalId: unique('use') }, till.credential);
    try {
      await held.reached;
      t.clock.advance(HOUR);
      ok(await t.gql(LockOfferDocument, { code, lockId, ttlSeconds: 600 }, till.credential));
    } finally {
      held.release();
    }
    expect(ok(await redeeming).redeemOffer.issuedOffer?.status).toBe('REDEEMED');
    const [{ redeemed }] = await t.sql<{ redeemed: Date }>(`select redeemed_at as redeemed from issued_offer where code = $1`, [code]);
    // (the last two: LOCK_EXTENDED, then REDEEMED, which says when it was redeemed)
    await expectEventsInOrder(customer.externalId, 1, redeemed.getTime());
  });

  it("a staff replacement waiting for the offer it replaces while a till redeems it: the replacement is not issued before the redemption", async () => {
    const till = await createPartner(t, ['offers:redeem']);
    const { currency } = await earningProgram(t, 'J');
    const store = await createStore(t, currency);
    const listing = await addListing(t, store.id, (await createOffer(t)).id, { priceInPoints: 3 });
    const customer = await createCustomer(t, currency, 5);
    ok(await t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: unique('buy') }, customer.token));
    const [original] = await t.sql<{ id: string; code: string }>(`select io.id, io.code from issued_offer io join customer c on c.id = io.customer_id where c.external_id = $1`, [
      customer.externalId,
    ]);
    t.clock.freeze();
    const lockId = unique('basket');
    ok(await t.gql(LockOfferDocument, { code: original.code, lockId, ttlSeconds: 600 }, till.credential));
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
});
