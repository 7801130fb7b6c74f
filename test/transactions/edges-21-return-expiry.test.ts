import { CreateCampaignDocument, LockOfferDocument, RedeemOfferDocument, ReverseTransactionDocument } from '../generated/graphql.js';
import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { brokenInvariants } from '../support/invariants.js';
import { holdLocks } from '../support/locks.js';
import { adjust, createCustomer, createOffer, createPartner, earningProgram, eventually, submitSale, unique } from '../support/program.js';
import { holdAnswers } from '../support/statements.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/**
 * edges-21 (hostile-19 left it): a return read the status of the offers it voids at its clock as the
 * request began, and is dated later, after the writes of the accounts it waited for. An awarded offer
 * that expired in that gap was VOIDED at the return's date, where it had ended EXPIRED before it.
 * Its status is now decided at the return's own date, and such an offer is written down EXPIRED
 * (break-22: left ISSUED, a till's redemption waiting behind the return redeemed it).
 */
describe("a return's voided offers read at the return's date (edges-21)", () => {
  let t: TestGateway;
  let till: Awaited<ReturnType<typeof createPartner>>;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    till = await createPartner(t, ['transactions:write', 'transactions:read', 'offers:redeem']);
  });
  afterEach(async () => {
    t.clock.reset();
    expect(await brokenInvariants(t)).toEqual([]);
  });
  afterAll(() => t.close());

  const awarded = (externalId: string) =>
    t.sql<{ stored: string; asRead: string; events: string[] }>(
      `select io.status as stored, issued_offer_status_at(io.status, io.lock_expires_at, io.expires_at, $2) as "asRead",
              array(select e.payload->>'change' from outbox_event e where e.topic = 'WALLET_CHANGED' and (e.payload->>'issuedOfferId')::bigint = io.id order by e.id) as events
         from issued_offer io join customer c on c.id = io.customer_id where c.external_id = $1 order by io.id`,
      [externalId, t.clock.now()],
    );
  const lockWaiters = async () => Number((await t.sql<{ n: string }>(`select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`))[0].n);

  /**
   * With the clock frozen: a program whose campaign awards an offer valid 30 days on every sale, a
   * customer's processed sale that earned it; then the clock 30 minutes before the offer's end.
   */
  const awardedSale = async () => {
    const { money, currency } = await earningProgram(t, 'RX');
    const muffin = await createOffer(t); // validDays 30
    t.clock.freeze();
    const window = { startsAt: new Date(t.clock.now().getTime() - DAY).toISOString(), endsAt: new Date(t.clock.now().getTime() + 90 * DAY).toISOString() };
    ok(await t.gql(CreateCampaignDocument, { input: { name: unique('muffin'), currency, ...window, outcome: { offerId: muffin.id } } as never }, t.operatorToken));
    const customer = await createCustomer(t, currency, 5);
    const externalId = await submitSale(t, till, customer.externalId, money, 3);
    await t.jobs.runner.runUntilIdle();
    const [{ code }] = await t.sql<{ code: string }>(`select io.code from issued_offer io join customer c on c.id = io.customer_id where c.external_id = $1`, [customer.externalId]);
    t.clock.advance(30 * DAY - 30 * MINUTE);
    return { money, currency, customer, externalId, code };
  };

  it('an awarded offer that expires while the return waits for the account stays EXPIRED; one still live at the return\'s date is VOIDED', async () => {
    const { money, currency, customer, externalId } = await awardedSale();
    expect((await awarded(customer.externalId))[0].asRead).toBe('ISSUED');

    // The return starts 30 minutes before the offer's end and waits for its sale while the clock
    // passes the end and a write of the customer's account commits.
    const held = await holdLocks(t, 'select 1 from sales_transaction where external_id = $1 for update', [externalId]);
    const returning = t.gql(ReverseTransactionDocument, { externalId, reason: 'returned' }, till.credential);
    try {
      await held.blocking(1);
      t.clock.advance(60 * MINUTE);
      await adjust(t, customer.externalId, currency, 1);
    } finally {
      await held.commit();
      await held.end();
    }
    expect(ok(await returning).reverseTransaction.userErrors).toEqual([]);
    // not VOIDED; written down EXPIRED with the sweep's event (break-22)
    expect(await awarded(customer.externalId)).toEqual([{ stored: 'EXPIRED', asRead: 'EXPIRED', events: ['ISSUED', 'EXPIRED'] }]);

    // The same return with nothing to wait for, before the end: voided as before.
    const other = await createCustomer(t, currency, 5);
    const second = await submitSale(t, till, other.externalId, money, 3);
    await t.jobs.runner.runUntilIdle();
    expect(ok(await t.gql(ReverseTransactionDocument, { externalId: second, reason: 'returned' }, till.credential)).reverseTransaction.userErrors).toEqual([]);
    expect(await awarded(other.externalId)).toEqual([{ stored: 'VOIDED', asRead: 'VOIDED', events: ['ISSUED', 'VOIDED'] }]);
  });

  it.each([['ISSUED'], ['LOCKED by the redeeming basket']])(
    "break-22: a till's redemption sent before the awarded offer's end (%s), waiting for the offer while its sale's return passes the end, is refused: the returned sale's offer is not used",
    async (state) => {
      const { currency, customer, externalId, code } = await awardedSale();
      const lockId = state === 'ISSUED' ? null : unique('basket');
      if (lockId) ok(await t.gql(LockOfferDocument, { code, lockId, ttlSeconds: 3600 } as never, till.credential));
      // The return locks the offers its sale awarded and is held before it takes the customer's
      // account; the till's redemption, sent now (before the end), waits for the offer's row.
      const held = holdAnswers((text) => /from point_account where customer_id = \$\d+ and currency_code = \$\d+ for update/.test(text), 'statement');
      let redeeming: ReturnType<typeof t.gql<{ redeemOffer: { userErrors: { code: string }[] } }, unknown>> | undefined;
      const returning = t.gql(ReverseTransactionDocument, { externalId, reason: 'returned' }, till.credential);
      try {
        await held.reached;
        const waiting = await lockWaiters();
        redeeming = t.gql(RedeemOfferDocument, { code, lockId, transactionExternalId: unique('use') }, till.credential);
        await eventually(async () => (await lockWaiters()) === waiting + 1);
        // The clock passes the end and a write of the account commits: the return is dated after it.
        t.clock.advance(60 * MINUTE);
        await adjust(t, customer.externalId, currency, 1);
      } finally {
        held.release();
      }
      expect(ok(await returning).reverseTransaction.userErrors).toEqual([]);
      const used = await redeeming!;
      // Before break-22: [], and the offer REDEEMED (events ISSUED, REDEEMED) after its sale's return.
      expect([used.data?.redeemOffer.userErrors.map((e) => e.code), await awarded(customer.externalId)]).toEqual([
        ['OFFER_NOT_REDEEMABLE'],
        [{ stored: 'EXPIRED', asRead: 'EXPIRED', events: lockId ? ['ISSUED', 'LOCKED', 'EXPIRED'] : ['ISSUED', 'EXPIRED'] }],
      ]);
    },
  );

  it("review-22: a till's redemption sent before the awarded offer's end and held until its sale's return, dated after the end, committed is refused: the return writes the offer down EXPIRED", async () => {
    const { customer, externalId, code } = await awardedSale();
    // The till's redemption is sent before the end (its clock reads then) and its first read of the
    // offer is held back; meanwhile the clock passes the end, with no wallet sweep run, and the
    // sale's return runs whole, dated after the end.
    const held = holdAnswers((text) => /from issued_offer io join offer_version ov on ov\.id = io\.offer_version_id\s+where io\.code =/.test(text), 'statement');
    let redeeming: ReturnType<typeof t.gql<{ redeemOffer: { userErrors: { code: string }[] } }, unknown>> | undefined;
    try {
      redeeming = t.gql(RedeemOfferDocument, { code, lockId: null, transactionExternalId: unique('use') }, till.credential);
      await held.reached;
      t.clock.advance(60 * MINUTE);
      expect(ok(await t.gql(ReverseTransactionDocument, { externalId, reason: 'returned' }, till.credential)).reverseTransaction.userErrors).toEqual([]);
    } finally {
      held.release();
    }
    const used = await redeeming!;
    // Before review-22: [] and the offer REDEEMED (events ISSUED, REDEEMED) after its sale's return:
    // the return left the offer as stored (ISSUED) since it read it already ended.
    expect([used.data?.redeemOffer.userErrors.map((e) => e.code), await awarded(customer.externalId)]).toEqual([
      ['OFFER_NOT_REDEEMABLE'],
      [{ stored: 'EXPIRED', asRead: 'EXPIRED', events: ['ISSUED', 'EXPIRED'] }],
    ]);
  });
});
