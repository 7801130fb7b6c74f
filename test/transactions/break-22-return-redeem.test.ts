import { CreateCampaignDocument, LockOfferDocument, RedeemOfferDocument, ReverseTransactionDocument } from '../generated/graphql.js';
import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { brokenInvariants } from '../support/invariants.js';
import { adjust, createCustomer, createOffer, createPartner, earningProgram, eventually, submitSale, unique } from '../support/program.js';
import { holdAnswers } from '../support/statements.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/**
 * break-22: edges-21 made a return leave an awarded offer that ended by the return's date as it was
 * (ISSUED, read EXPIRED) instead of voiding it. A till's redemption of that offer, begun before the
 * end and waiting on the offer's row behind the return, then decided at its own earlier clock: it
 * redeemed an offer of a returned sale after the return had committed and said it kept nothing.
 */
describe('a redemption waiting behind a return (break-22)', () => {
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

  const lockWaiters = async () => Number((await t.sql<{ n: string }>(`select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`))[0].n);

  it.each([['ISSUED'], ['LOCKED by the redeeming basket']])("a till's redemption sent before the awarded offer's end (%s), waiting for the offer while its sale's return passes the end, is refused: the returned sale's offer is not used", async (state) => {
    const { money, currency } = await earningProgram(t, 'RR');
    const muffin = await createOffer(t); // validDays 30
    t.clock.freeze();
    const window = { startsAt: new Date(t.clock.now().getTime() - DAY).toISOString(), endsAt: new Date(t.clock.now().getTime() + 90 * DAY).toISOString() };
    ok(await t.gql(CreateCampaignDocument, { input: { name: unique('muffin'), currency, ...window, outcome: { offerId: muffin.id } } as never }, t.operatorToken));
    const customer = await createCustomer(t, currency, 5);
    const externalId = await submitSale(t, till, customer.externalId, money, 3);
    await t.jobs.runner.runUntilIdle();
    const [{ code }] = await t.sql<{ code: string }>(`select io.code from issued_offer io join customer c on c.id = io.customer_id where c.external_id = $1`, [customer.externalId]);

    // 30 minutes before the offer's end: the return locks the offers its sale awarded and is held
    // before it takes the customer's account; the till's redemption, sent now, waits for the offer.
    t.clock.advance(30 * DAY - 30 * MINUTE);
    const lockId = state === 'ISSUED' ? null : unique('basket');
    if (lockId) ok(await t.gql(LockOfferDocument, { code, lockId, ttlSeconds: 3600 } as never, till.credential));
    const held = holdAnswers((text) => /from point_account where customer_id = \$\d+ and currency_code = \$\d+ for update/.test(text), 'statement');
    let redeeming: ReturnType<typeof t.gql<unknown, unknown>> | undefined;
    const returning = t.gql(ReverseTransactionDocument, { externalId, reason: 'returned' }, till.credential);
    try {
      await held.reached;
      const waiting = await lockWaiters();
      redeeming = t.gql(RedeemOfferDocument, { code, lockId, transactionExternalId: unique('use') }, till.credential) as never;
      await eventually(async () => (await lockWaiters()) === waiting + 1);
      // The clock passes the end and a write of the account commits: the return is dated after it.
      t.clock.advance(60 * MINUTE);
      await adjust(t, customer.externalId, currency, 1);
    } finally {
      held.release();
    }
    const reversal = ok(await returning).reverseTransaction;
    expect(reversal.userErrors).toEqual([]);
    const used = (await redeeming!) as Awaited<ReturnType<typeof t.gql<{ redeemOffer: { userErrors: { code: string }[] } }, unknown>>>;
    // written down EXPIRED by the return (with the sweep's event), so no till finds it live behind it
    const [offer] = await t.sql<{ status: string; asRead: string; events: string[] }>(
      `select status, issued_offer_status_at(status, lock_expires_at, expires_at, $2) as "asRead",
              array(select e.payload->>'change' from outbox_event e where e.topic = 'WALLET_CHANGED' and (e.payload->>'issuedOfferId')::bigint = io.id order by e.id) as events
         from issued_offer io where code = $1`,
      [code, t.clock.now()],
    );
    expect([used.data?.redeemOffer.userErrors.map((e) => e.code), offer]).toEqual([['OFFER_NOT_REDEEMABLE'], { status: 'EXPIRED', asRead: 'EXPIRED', events: lockId ? ['ISSUED', 'LOCKED', 'EXPIRED'] : ['ISSUED', 'EXPIRED'] }]);
  });
});
