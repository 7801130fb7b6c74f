import type { EntityManager } from '@mikro-orm/postgresql';
import { ConfigError, loadConfig } from '../../src/config.js';
import { IDEMPOTENCY_PURGE_BATCH, purgeIdempotencyKeys } from '../../src/idempotency/retention.job.js';
import {
  AdjustPointsDocument,
  ClaimGiftDocument,
  CreateCurrencyDocument,
  CreateGiftListDocument,
  CreateOfferDocument,
  PurchaseOfferDocument,
  RedeemOfferDocument,
  SubmitTransactionDocument,
  UpdateOfferDocument,
  UpsertCustomerDocument,
} from '../generated/graphql.js';
import { toGlobalId } from '../../src/graphql/ids.js';
import { dataOf, ok, startTestGateway, tableSnapshot, type TestGateway } from '../support/gateway.js';
import { holdLocks } from '../support/locks.js';
import { addListing, createCustomer, createPartner, createStore, earningProgram, eventually, simpleShop, unique } from '../support/program.js';
import { holdAnswers } from '../support/statements.js';

const HOUR = 3_600_000;

/**
 * retain-13: idempotency records expire IDEMPOTENCY_RETENTION_HOURS (here the default, 24) after
 * their answer. Within the window a resend gets the first answer; past it the scheduled purge has
 * removed the record and a resend is a new request; a key that is its row's own (a sale's
 * externalId, a currency's code) is never purged; a purchase's (a gift claim's) key, which its
 * purchase (claim) keeps, is answered by that row past the window rather than buying again
 * (edges-21; retain-13 refused it). Time is moved with the test clock.
 */
describe('idempotency records expire after IDEMPOTENCY_RETENTION_HOURS', () => {
  let t: TestGateway;

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
  });
  afterAll(() => t.close());
  afterEach(() => t.clock.reset());

  /**
   * Everything the purge removes as of the test clock, in `em`'s transaction: batches until one is
   * not full (the job enqueues its next run instead; other tests' backlogs would fill a batch).
   */
  const purgeIn = async (em: EntityManager) => {
    let removed = 0;
    for (let n = IDEMPOTENCY_PURGE_BATCH; n === IDEMPOTENCY_PURGE_BATCH; removed += n) n = await purgeIdempotencyKeys(em, t.clock.now(), t.config.idempotencyRetentionHours);
    return removed;
  };
  /** The purge as of the test clock, in a transaction of its own. */
  const purge = () => t.orm.em.fork().transactional(purgeIn);
  const records = async (scope: string, key: string) => (await t.sql(`select 1 from idempotency_record where scope like $1 and key = $2`, [scope, key])).length;
  const adjustInput = (customerExternalId: string, currency: string, idempotencyKey: string, amount = 10) => ({
    input: { customerExternalId, currency, amount, reason: 'retention', idempotencyKey },
  });
  /** A customer of a new program given 10 points by a staff adjustment under a new key: `send` sends that same request again. */
  const adjustedOnce = async (prefix: string) => {
    const { currency } = await earningProgram(t, prefix);
    const customer = await createCustomer(t, currency);
    const key = unique('adj');
    const send = () => t.gql(AdjustPointsDocument, adjustInput(customer.externalId, currency, key), t.operatorToken);
    const first = ok(await send()).adjustPoints.entry!;
    return { currency, customer, key, send, first };
  };
  const ledgerOf = async (externalId: string) =>
    (await t.sql<{ id: string }>(`select e.id from ledger_entry e join customer c on c.id = e.customer_id where c.external_id = $1 order by e.id`, [externalId])).map((r) => r.id);

  it('a resend within the window gets the first answer; after it, the scheduled purge has removed the key and the resend is a new request', async () => {
    const { currency, customer, key, send, first } = await adjustedOnce('RET');

    t.clock.advance(23 * HOUR);
    await t.runScheduled();
    const within = ok(await send()).adjustPoints.entry!;
    expect(within).toEqual(first);
    expect(await ledgerOf(customer.externalId)).toHaveLength(1);

    t.clock.advance(2 * HOUR);
    await t.runScheduled(); // the scheduler's slot of idempotency.purge, run by the job runner
    expect(await records('adjust:%', key)).toBe(0);
    const after = ok(await send()).adjustPoints.entry!;
    expect(after.id).not.toBe(first.id);
    expect(after.balanceAfter).toBe(20);
    // the new request holds the key now, as any first request does: another input is refused
    const other = dataOf(await t.gql(AdjustPointsDocument, adjustInput(customer.externalId, currency, key, 11), t.operatorToken)).adjustPoints;
    expect(other.userErrors.map((e) => e.code)).toEqual(['IDEMPOTENCY_KEY_REUSED']);
    expect(await ledgerOf(customer.externalId)).toHaveLength(2);
  });

  it("after the window a console create's key is free: the resend creates (idem-12's createOnce)", async () => {
    const key = unique('offer-key');
    const input = { name: unique('Offer'), benefit: { kind: 'AMOUNT_OFF', amountOff: '2.50' }, validDays: 30, idempotencyKey: key };
    const first = ok(await t.gql(CreateOfferDocument, { input } as never, t.operatorToken)).createOffer.offer!;
    t.clock.advance(HOUR);
    expect(ok(await t.gql(CreateOfferDocument, { input } as never, t.operatorToken)).createOffer.offer!.id).toBe(first.id);
    t.clock.advance(24 * HOUR);
    await purge();
    const again = ok(await t.gql(CreateOfferDocument, { input } as never, t.operatorToken)).createOffer.offer!;
    expect(again.id).not.toBe(first.id);
  });

  it("edges-21: a purchase's key past the window is answered by its purchase (same purchase and offer, balance as of now), nothing written; another listing under it is refused", async () => {
    const shop = await simpleShop(t, { priceInPoints: 5 });
    const customer = await createCustomer(t, shop.currency, 20);
    const key = unique('buy');
    const first = ok(await t.gql(PurchaseOfferDocument, { listingId: shop.listing.id, idempotencyKey: key }, customer.token)).purchaseOffer;
    t.clock.advance(20 * HOUR);
    await purge();
    const within = ok(await t.gql(PurchaseOfferDocument, { listingId: shop.listing.id, idempotencyKey: key }, customer.token)).purchaseOffer;
    expect(within.purchase!.id).toBe(first.purchase!.id);

    t.clock.advance(5 * HOUR);
    await purge();
    expect(await records('purchase:%', key)).toBe(0);
    // with points enough, the resend as a new purchase meets the purchase's own key at its insert
    const resent = dataOf(await t.gql(PurchaseOfferDocument, { listingId: shop.listing.id, idempotencyKey: key }, customer.token)).purchaseOffer;
    expect([resent.userErrors, resent.purchase, resent.balance]).toEqual([[], first.purchase, { currency: { code: shop.currency }, available: 15 }]);
    // spend what is left, so the resend as a new purchase would be refused for points
    for (let i = 0; i < 3; i++) ok(await t.gql(PurchaseOfferDocument, { listingId: shop.listing.id, idempotencyKey: unique('buy') }, customer.token));
    const before = await tableSnapshot(t);
    const after = dataOf(await t.gql(PurchaseOfferDocument, { listingId: shop.listing.id, idempotencyKey: key }, customer.token)).purchaseOffer;
    expect(after.userErrors).toEqual([]);
    expect(after.purchase).toEqual(first.purchase);
    expect(after.balance).toEqual({ currency: { code: shop.currency }, available: 0 });
    expect(await tableSnapshot(t)).toEqual(before);
    // the same key for another listing is another request
    const other = await addListing(t, shop.store.id, shop.offer.id, { priceInPoints: 5 });
    const withListing = await tableSnapshot(t);
    const reused = dataOf(await t.gql(PurchaseOfferDocument, { listingId: other.id, idempotencyKey: key }, customer.token)).purchaseOffer;
    expect(reused.userErrors.map((e) => [e.code, e.field, e.message])).toEqual([
      ['IDEMPOTENCY_KEY_REUSED', ['input', 'idempotencyKey'], 'This idempotencyKey was already used for a different request: send exactly the first request again to get its answer, or a new idempotencyKey for a new request.'],
    ]);
    expect(await tableSnapshot(t)).toEqual(withListing);
    // and once staff suspended the account (the purchase's transaction path), the purchase still answers
    ok(await t.gql(UpsertCustomerDocument, { input: { externalId: customer.externalId, status: 'SUSPENDED' } }, t.operatorToken));
    const suspended = await tableSnapshot(t);
    const afterSuspension = dataOf(await t.gql(PurchaseOfferDocument, { listingId: shop.listing.id, idempotencyKey: key }, customer.token)).purchaseOffer;
    expect([afterSuspension.userErrors, afterSuspension.purchase]).toEqual([[], first.purchase]);
    expect(await tableSnapshot(t)).toEqual(suspended);
  });

  /** A customer with 50 points who claimed the one offer of a new list (threshold 10, one claim) under a new key. */
  const claimedOnce = async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency, 50);
    const list = ok(
      await t.gql(CreateGiftListDocument, { input: { currency: shop.currency, name: unique('list'), offerIds: [shop.offer.id], threshold: 10, maxClaims: 1 } }, t.operatorToken),
    ).createGiftList.giftList!;
    const key = unique('gift');
    const first = ok(await t.gql(ClaimGiftDocument, { giftListId: list.id, optionId: shop.offer.id, idempotencyKey: key }, customer.token)).claimGift;
    return { shop, customer, list, key, first };
  };

  it("edges-21: a gift claim's key past the window is answered by its claim (same offer), also once the list is used up; nothing written", async () => {
    const { shop, customer, list, key, first } = await claimedOnce();
    t.clock.advance(25 * HOUR);
    await purge();
    expect(await records('gift:%', key)).toBe(0);
    const before = await tableSnapshot(t);
    const after = dataOf(await t.gql(ClaimGiftDocument, { giftListId: list.id, optionId: shop.offer.id, idempotencyKey: key }, customer.token)).claimGift;
    expect(first.userErrors).toEqual([]);
    expect(after.userErrors).toEqual([]);
    expect(after.issuedOffer).toEqual(first.issuedOffer);
    expect(await tableSnapshot(t)).toEqual(before);
  });

  it("break2-21: a gift claim's key past the window for a list that is not there is still another request (IDEMPOTENCY_KEY_REUSED, as within it), and another customer's same key is theirs", async () => {
    const { shop, customer, list, key, first } = await claimedOnce();
    const other = await createCustomer(t, shop.currency, 50);
    const noList = { giftListId: toGlobalId('GiftList', 999_999_999), optionId: shop.offer.id, idempotencyKey: key };
    const codes = (payload: { userErrors: { code: string; field?: string[] | null }[] }) => payload.userErrors.map((e) => [e.code, e.field]);
    const reusedKey = [['IDEMPOTENCY_KEY_REUSED', ['input', 'idempotencyKey']]];
    expect(codes(dataOf(await t.gql(ClaimGiftDocument, noList, customer.token)).claimGift)).toEqual(reusedKey);
    t.clock.advance(25 * HOUR);
    await purge();
    expect(await records('gift:%', key)).toBe(0);
    const before = await tableSnapshot(t);
    expect(codes(dataOf(await t.gql(ClaimGiftDocument, noList, customer.token)).claimGift)).toEqual(reusedKey);
    expect(await tableSnapshot(t)).toEqual(before);
    // the key is the customer's own: another customer's claim under it is a claim of theirs
    const theirs = ok(await t.gql(ClaimGiftDocument, { giftListId: list.id, optionId: shop.offer.id, idempotencyKey: key }, other.token)).claimGift;
    expect(theirs.issuedOffer!.code).not.toBe(first.issuedOffer!.code);
  });

  it("keys that are their row's own are kept: a sale's externalId still tells its resend from another sale, a currency's code still answers it", async () => {
    const { money, currency } = await earningProgram(t, 'KEEP');
    const customer = await createCustomer(t, currency);
    const till = await createPartner(t, ['transactions:write']);
    const externalId = unique('sale');
    const sale = {
      externalId,
      customerExternalId: customer.externalId,
      occurredAt: t.clock.now().toISOString(),
      currency: money,
      lines: [{ sku: 'BEANS', category: 'COFFEE', quantity: 1, unitPrice: '4.00' }],
    };
    const first = ok(await t.gql(SubmitTransactionDocument, { input: sale }, till.credential)).submitTransaction.transaction!;
    t.clock.advance(48 * HOUR);
    await purge();
    expect(await records('sale:partner:%', externalId)).toBe(1);
    expect(await records('create:currency', currency)).toBe(1);
    expect(ok(await t.gql(SubmitTransactionDocument, { input: sale }, till.credential)).submitTransaction.transaction!.id).toBe(first.id);
    const changed = { ...sale, lines: [{ ...sale.lines[0], unitPrice: '5.00' }] };
    const refused = dataOf(await t.gql(SubmitTransactionDocument, { input: changed }, till.credential)).submitTransaction;
    expect(refused.userErrors.map((e) => [e.code, e.field])).toEqual([['IDEMPOTENCY_KEY_REUSED', ['input', 'externalId']]]);
  });

  it('the purge removes expired records only, in batches, and nothing else', async () => {
    const now = t.clock.now();
    const old = new Date(now.getTime() - 25 * HOUR);
    const young = new Date(now.getTime() - 23 * HOUR);
    const scope = `adjust:staff:${unique('purge')}`;
    await t.sql(
      `insert into idempotency_record (scope, key, fingerprint, result, created_at)
       select $1, 'k' || i, 'v1:x', '{}'::jsonb, case when i <= 2500 then $2::timestamptz else $3::timestamptz end from generate_series(1, 2600) i`,
      [scope, old, young],
    );
    await t.sql(`insert into idempotency_record (scope, key, fingerprint, created_at) values ('sale:partner:0', $1, 'v1:x', $2), ('create:tier', $1, 'v1:x', $2)`, [
      unique('kept'),
      old,
    ]);
    const before = await tableSnapshot(t);
    const expired = Number((await t.sql<{ n: string }>(`select count(*) as n from idempotency_record where created_at < $1 and not (scope like 'sale:%' or scope like 'create:%')`, [new Date(now.getTime() - 24 * HOUR)]))[0].n);
    let removed = 0;
    for (let run = 0; run < 10; run++) {
      const n = await t.orm.em.fork().transactional((em) => purgeIdempotencyKeys(em, now, 24));
      expect(n).toBeLessThanOrEqual(1_000);
      removed += n;
      if (n < 1_000) break;
    }
    expect(removed).toBe(expired);
    expect(await records(scope, 'k1')).toBe(0);
    expect(await records(scope, 'k2600')).toBe(1);
    const after = await tableSnapshot(t);
    const { idempotency_record: recordsBefore, ...restBefore } = before;
    const { idempotency_record: recordsAfter, ...restAfter } = after;
    expect(restAfter).toEqual(restBefore);
    expect(recordsAfter.n).toBe(recordsBefore.n - expired);
  });

  it("the purge's rows are found through the partial index (its predicate is the purge's, word for word)", async () => {
    const plan = await t.orm.em.fork().transactional(async (em) => {
      await em.getConnection().execute('set local enable_seqscan = off');
      return em.getConnection().execute<{ 'QUERY PLAN': string }[]>(
        `explain select scope, key from idempotency_record where created_at < now() and not (scope like 'sale:%' or scope like 'create:%') limit 1000 for update skip locked`,
      );
    });
    expect(plan.map((r) => r['QUERY PLAN']).join('\n')).toContain('idempotency_record_expiry_index');
  });

  it('two purges at once (two instances) share the expired records without waiting on each other', async () => {
    const now = t.clock.now();
    const scope = `adjust:staff:${unique('two')}`;
    await t.sql(`insert into idempotency_record (scope, key, fingerprint, created_at) select $1, 'k' || i, 'v1:x', $2 from generate_series(1, 1500) i`, [
      scope,
      new Date(now.getTime() - 30 * HOUR),
    ]);
    const [a, b] = await Promise.all([0, 1].map(() => t.orm.em.fork().transactional((em) => purgeIdempotencyKeys(em, now, 24))));
    const left = Number((await t.sql<{ n: string }>(`select count(*) as n from idempotency_record where scope = $1`, [scope]))[0].n);
    expect(a + b + left).toBe(1500);
    expect(a + b).toBeGreaterThanOrEqual(1000);
  });

  it('resends sent at once within the window, while a purge runs, all get the first answer', async () => {
    const { customer, send, first } = await adjustedOnce('PAR');
    await t.sql(`insert into idempotency_record (scope, key, fingerprint, created_at) select 'adjust:staff:backlog', $1 || i, 'v1:x', $2 from generate_series(1, 3000) i`, [
      unique('b'),
      new Date(t.clock.now().getTime() - 30 * HOUR),
    ]);
    t.clock.advance(23 * HOUR);
    const [answers] = await Promise.all([
      Promise.all(Array.from({ length: 8 }, () => send())),
      purge(),
      purge(),
    ]);
    expect(answers.map((a) => ok(a).adjustPoints.entry)).toEqual(Array.from({ length: 8 }, () => first));
    expect(await ledgerOf(customer.externalId)).toHaveLength(1);
  });

  it('resends sent at once past the window, waiting on the purge that removes the key, make one new request between them', async () => {
    const { customer, send, first } = await adjustedOnce('RACE');
    t.clock.advance(25 * HOUR);
    let sent: Promise<Awaited<ReturnType<typeof send>>[]> | undefined;
    await t.orm.em.fork().transactional(async (em) => {
      expect(await purgeIn(em)).toBeGreaterThanOrEqual(1);
      // the purge's transaction is open: its deleted row is locked, and each resend's claim waits on it
      sent = Promise.all(Array.from({ length: 6 }, () => send()));
      await eventually(async () => Number((await t.sql<{ n: string }>(`select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`))[0].n) === 6);
    });
    const entries = (await sent!).map((a) => ok(a).adjustPoints.entry!);
    expect(new Set(entries.map((e) => e.id)).size).toBe(1);
    expect(entries[0].id).not.toBe(first.id);
    expect(await ledgerOf(customer.externalId)).toHaveLength(2);
  });

  it('a resend whose record the purge removes between its claim and its read is a new request, not IDEMPOTENCY_KEY_REUSED', async () => {
    const { send, first } = await adjustedOnce('GAP');
    t.clock.advance(25 * HOUR);
    // the resend's claim finds the key taken (its answer held back here); the purge then removes it
    const held = holdAnswers((text) => text.startsWith('insert into idempotency_record (scope, key, fingerprint, created_at)'));
    const resend = send();
    await held.reached;
    await purge();
    held.release();
    const entry = ok(await resend).adjustPoints.entry!;
    expect(entry.id).not.toBe(first.id);
    expect(entry.balanceAfter).toBe(20);
  });

  it('review-22: resends of a purchase sent at once past the window are each answered by that purchase, and none buys again', async () => {
    const shop = await simpleShop(t, { priceInPoints: 5, stock: 10 });
    const customer = await createCustomer(t, shop.currency, 20);
    const key = unique('buy');
    const first = ok(await t.gql(PurchaseOfferDocument, { listingId: shop.listing.id, idempotencyKey: key }, customer.token)).purchaseOffer;
    t.clock.advance(25 * HOUR);
    await purge();
    expect(await records('purchase:%', key)).toBe(0);
    const before = await tableSnapshot(t);
    const answers = await Promise.all(
      Array.from({ length: 8 }, async () => dataOf(await t.gql(PurchaseOfferDocument, { listingId: shop.listing.id, idempotencyKey: key }, customer.token)).purchaseOffer),
    );
    expect(answers.map((a) => [a.userErrors, a.purchase, a.balance])).toEqual(
      Array.from({ length: 8 }, () => [[], first.purchase, { currency: { code: shop.currency }, available: 15 }]),
    );
    expect(await tableSnapshot(t)).toEqual(before);
  });

  it("a purchase's resend whose record the purge removes between its statement and its read is answered by its purchase", async () => {
    const shop = await simpleShop(t, { priceInPoints: 5 });
    const customer = await createCustomer(t, shop.currency, 20);
    const key = unique('buy');
    const first = ok(await t.gql(PurchaseOfferDocument, { listingId: shop.listing.id, idempotencyKey: key }, customer.token)).purchaseOffer;
    t.clock.advance(25 * HOUR);
    const held = holdAnswers((text) => /insert into idempotency_record \(scope, key, fingerprint, (result, )?created_at\)/.test(text));
    const resend = t.gql(PurchaseOfferDocument, { listingId: shop.listing.id, idempotencyKey: key }, customer.token);
    await held.reached;
    await purge();
    held.release();
    const answer = dataOf(await resend).purchaseOffer;
    // edges-21: the purchase that holds the key answers (retain-13 refused it as no longer kept)
    expect(answer.userErrors).toEqual([]);
    expect(answer.purchase!.id).toBe(first.purchase!.id);
  });

  const REPLACE = `mutation Replace($input: IssueReplacementOfferInput!) {
    issueReplacementOffer(input: $input) { issuedOffer { id status } replaced { id status } userErrors { code field message } }
  }`;
  type ReplacePayload = {
    issueReplacementOffer: { issuedOffer: { id: string; status: string } | null; replaced: { id: string; status: string } | null; userErrors: { code: string; field: string[] | null; message: string }[] };
  };
  const replace = (input: Record<string, unknown>) => t.gql<ReplacePayload, unknown>(REPLACE, { input }, t.operatorToken);
  /** The issueReplacementOffer audit entries and wallet items of the customer owning issued offer `code`. */
  const replacementsOf = async (code: string) => ({
    audits: (await t.sql(`select 1 from audit_entry where action = 'issueReplacementOffer' and target = (select 'IssuedOffer:' || id from issued_offer where code = $1)`, [code])).length,
    wallet: (await t.sql<{ status: string }>(`select status from issued_offer where customer_id = (select customer_id from issued_offer where code = $1) order by id`, [code])).map((r) => r.status),
  });

  it("retain-14: a resent issueReplacementOffer past the window is told the offer was replaced already, and replaces nothing again (used up, and unusable)", async () => {
    // A used-up offer: bought, then redeemed at a till.
    const shop = await simpleShop(t, { priceInPoints: 5 });
    const customer = await createCustomer(t, shop.currency, 20);
    const bought = ok(await t.gql(PurchaseOfferDocument, { listingId: shop.listing.id, idempotencyKey: unique('buy') }, customer.token)).purchaseOffer.purchase!.issuedOffer;
    const till = await createPartner(t, ['offers:redeem']);
    expect(dataOf(await t.gql(RedeemOfferDocument, { code: bought.code, transactionExternalId: unique('till') }, till.credential)).redeemOffer.userErrors).toEqual([]);
    const usedUp = { issuedOfferId: bought.id, reason: 'redeemed for a sale that failed', idempotencyKey: unique('replace') };
    const first = dataOf(await replace(usedUp)).issueReplacementOffer;
    expect(first.userErrors).toEqual([]);
    t.clock.advance(23 * HOUR);
    await purge();
    expect(dataOf(await replace(usedUp)).issueReplacementOffer).toEqual(first);

    // An offer no till can apply in its money (issued as 2.50 off in yen before money-12), replaced while live with `unusable`.
    await t.gql(CreateCurrencyDocument, { input: { code: 'RET_JPY', name: 'RET_JPY', expiryDays: null, pointValue: '1', moneyCurrency: 'JPY' } }, t.operatorToken);
    const yen = await createStore(t, 'RET_JPY');
    const offer = ok(await t.gql(CreateOfferDocument, { input: { name: unique('yen off'), benefit: { kind: 'AMOUNT_OFF', amountOff: '200' }, validDays: 30 } }, t.operatorToken)).createOffer.offer!;
    const listing = await addListing(t, yen.id, offer.id, { priceInPoints: 10 });
    const owner = await createCustomer(t, 'RET_JPY', 10);
    const unusableOne = ok(await t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: unique('buy') }, owner.token)).purchaseOffer.purchase!.issuedOffer;
    await t.sql(`update offer_version set amount_off = 2.50 where id = (select offer_version_id from issued_offer where code = $1)`, [unusableOne.code]);
    ok(await t.gql(UpdateOfferDocument, { input: { offerId: offer.id, benefit: { kind: 'AMOUNT_OFF', amountOff: '3' } } }, t.operatorToken));
    const unusable = { issuedOfferId: unusableOne.id, reason: 'issued as 2.50 off in yen', idempotencyKey: unique('replace'), unusable: true };
    const voided = dataOf(await replace(unusable)).issueReplacementOffer;
    expect(voided.replaced).toEqual({ id: unusableOne.id, status: 'VOIDED' });

    t.clock.advance(2 * HOUR); // 25 h after the first, 2 h after the second
    await purge();
    expect(await records('replace-offer:%', usedUp.idempotencyKey)).toBe(0);
    const before = await tableSnapshot(t);
    const already = { code: 'ALREADY_EXISTS', field: ['input', 'issuedOfferId'], message: expect.stringMatching(/^This offer was already replaced, by the offer with code \S+\.$/) };
    expect(dataOf(await replace(usedUp)).issueReplacementOffer).toEqual({ issuedOffer: null, replaced: null, userErrors: [already] });
    expect(await tableSnapshot(t)).toEqual(before);
    expect(await replacementsOf(bought.code)).toEqual({ audits: 1, wallet: ['REDEEMED', 'ISSUED'] });

    t.clock.advance(23 * HOUR); // the unusable one's key is past its window too
    await purge();
    expect(await records('replace-offer:%', unusable.idempotencyKey)).toBe(0);
    const later = await tableSnapshot(t);
    expect(dataOf(await replace(unusable)).issueReplacementOffer).toEqual({ issuedOffer: null, replaced: null, userErrors: [already] });
    expect(await tableSnapshot(t)).toEqual(later);
    expect(await replacementsOf(unusableOne.code)).toEqual({ audits: 1, wallet: ['VOIDED', 'ISSUED'] });
  });

  it("a record is dated when its answer is stored, so a request that waited on a lock keeps its whole window", async () => {
    const { currency } = await earningProgram(t, 'DATE');
    const customer = await createCustomer(t, currency, 5);
    t.clock.freeze();
    const began = t.clock.now();
    const account = await holdLocks(t, `select 1 from point_account a join customer c on c.id = a.customer_id where c.external_id = $1 for update of a`, [customer.externalId]);
    const key = unique('adj');
    const send = () => t.gql(AdjustPointsDocument, adjustInput(customer.externalId, currency, key), t.operatorToken);
    let first: Awaited<ReturnType<typeof send>>;
    try {
      const sending = send();
      await account.blocking(1);
      await new Promise((resolve) => setTimeout(resolve, 50)); // the request waits on the account for a while
      await account.release();
      first = await sending;
    } finally {
      await account.release();
    }
    const [{ at }] = await t.sql<{ at: Date }>(`select created_at as at from idempotency_record where scope like 'adjust:%' and key = $1`, [key]);
    expect(at.getTime()).toBeGreaterThan(began.getTime());
    // 24 h and 10 ms after the request began, but less than 24 h after its answer: still kept
    t.clock.advance(24 * HOUR + 10);
    await purge();
    const resend = ok(await send()).adjustPoints.entry;
    expect(resend).toEqual(ok(first!).adjustPoints.entry);
  });
});

describe('IDEMPOTENCY_RETENTION_HOURS', () => {
  const base = { NODE_ENV: 'test' };
  it('defaults to 24 hours and takes 1 to 8760', () => {
    expect(loadConfig(base).idempotencyRetentionHours).toBe(24);
    expect(loadConfig({ ...base, IDEMPOTENCY_RETENTION_HOURS: ' ' }).idempotencyRetentionHours).toBe(24);
    expect(loadConfig({ ...base, IDEMPOTENCY_RETENTION_HOURS: '1' }).idempotencyRetentionHours).toBe(1);
    expect(loadConfig({ ...base, IDEMPOTENCY_RETENTION_HOURS: '8760' }).idempotencyRetentionHours).toBe(8760);
  });
  it.each(['0', '8761', '24h', '1.5', '-3'])('refuses %j, naming the whole rule', (value) => {
    expect(() => loadConfig({ ...base, IDEMPOTENCY_RETENTION_HOURS: value })).toThrow(
      new ConfigError(
        `IDEMPOTENCY_RETENTION_HOURS must be a whole number of hours from 1 to 8760 (default 24): how long after its answer a request sent again with the same idempotency key gets that answer instead of running again, got "${value}"`,
      ),
    );
  });
});
