import { toGlobalId } from '../../src/graphql/ids.js';
import { writeDownDueAccounts } from '../../src/points/expiry.service.js';
import {
  AdjustPointsDocument,
  CreateCampaignDocument,
  LockOfferDocument,
  PurchaseOfferDocument,
  RecordActivityDocument,
  RedeemOfferDocument,
  ReverseTransactionDocument,
  SetActivityRuleDocument,
  UpsertCustomerDocument,
} from '../generated/graphql.js';
import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { brokenInvariants } from '../support/invariants.js';
import { holdLocks } from '../support/locks.js';
import { addListing, createCustomer, createOffer, createPartner, createStore, createTier, earningProgram, submitSale, unique } from '../support/program.js';

const DAY = 86_400_000;

/**
 * Returns raced against everything that writes the same account or the same sale (hostile pass
 * after edges-12, which reshaped the return, the activity and the expiry/release batch): parallel
 * requests, a moved clock, connections killed mid-transaction. After each, SPEC §5 in SQL.
 */
describe('returns, activities and the write-down raced (hostile 12b)', () => {
  let t: TestGateway;
  let till: Awaited<ReturnType<typeof createPartner>>;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    till = await createPartner(t, ['transactions:write', 'transactions:read', 'offers:redeem', 'activities:write']);
  });
  afterEach(async () => {
    t.clock.reset();
    expect(await brokenInvariants(t)).toEqual([]);
  });
  afterAll(() => t.close());

  const submit = (customerExternalId: string, money: string, amount: number, offerCodes: string[] = []) => submitSale(t, till, customerExternalId, money, amount, offerCodes);
  const sold = async (customerExternalId: string, money: string, amount: number) => {
    const externalId = await submit(customerExternalId, money, amount);
    await t.jobs.runner.runUntilIdle();
    const [sale] = await t.sql<{ status: string }>(`select status from sales_transaction where external_id = $1`, [externalId]);
    expect(sale.status).toBe('PROCESSED');
    return externalId;
  };
  const reverse = (externalId: string) => t.gql(ReverseTransactionDocument, { externalId, reason: 'returned' }, till.credential);
  const outcome = (res: Awaited<ReturnType<typeof reverse>>) =>
    res.errors?.length ? `error ${res.errors[0].extensions?.code ?? res.errors[0].message}` : (res.data!.reverseTransaction.userErrors[0]?.code ?? 'REVERSED');
  const account = async (externalId: string, currency: string) =>
    (
      await t.sql<{ available: number; pending: number; debt: number; lifetime: number }>(
        `select a.available::int, a.pending::int, a.debt::int, a.lifetime_earned::int as lifetime from point_account a join customer c on c.id = a.customer_id
          where c.external_id = $1 and a.currency_code = $2`,
        [externalId, currency],
      )
    )[0];

  it('eight returns of one sale at once: one reverses it, seven are ALREADY_REVERSED, the points taken once', async () => {
    const { money, currency } = await earningProgram(t, 'A');
    const customer = await createCustomer(t, currency, 7);
    const sale = await sold(customer.externalId, money, 10);
    expect(await account(customer.externalId, currency)).toMatchObject({ available: 107 });
    const results = (await Promise.all(Array.from({ length: 8 }, () => reverse(sale)))).map(outcome).sort();
    expect(results).toEqual(['ALREADY_REVERSED', 'ALREADY_REVERSED', 'ALREADY_REVERSED', 'ALREADY_REVERSED', 'ALREADY_REVERSED', 'ALREADY_REVERSED', 'ALREADY_REVERSED', 'REVERSED']);
    expect(await account(customer.externalId, currency)).toMatchObject({ available: 7, lifetime: 7, debt: 0 });
  });

  it('a return racing its sale\'s processing: either the sale earns nothing or it earns and is taken back', async () => {
    const { money, currency } = await earningProgram(t, 'B');
    for (let i = 0; i < 6; i++) {
      const customer = await createCustomer(t, currency, 3);
      const sale = await submit(customer.externalId, money, 10);
      const [res] = await Promise.all([reverse(sale), t.jobs.runner.runUntilIdle()]);
      expect(outcome(res)).toBe('REVERSED');
      await t.jobs.runner.runUntilIdle();
      expect(await account(customer.externalId, currency)).toMatchObject({ available: 3, lifetime: 3, pending: 0, debt: 0 });
      const [row] = await t.sql<{ status: string }>(`select status from sales_transaction where external_id = $1`, [sale]);
      expect(row.status).toBe('REVERSED');
    }
  });

  it('returns racing the expiry/release write-down on the same accounts, the clock moved past release and expiry', async () => {
    const { money, currency } = await earningProgram(t, 'C', { expiryDays: 3, pendingDays: 1 });
    const customers: Awaited<ReturnType<typeof createCustomer>>[] = [];
    for (let i = 0; i < 6; i++) customers.push(await createCustomer(t, currency, 5));
    const sales: (readonly [string, string])[] = [];
    for (const c of customers) sales.push([await sold(c.externalId, money, 10), await sold(c.externalId, money, 2)] as const);
    // Day 1 + a minute: every sale's pending credit is due, nobody has written it down; the staff 5 not yet expired.
    t.clock.freeze();
    t.clock.advance(DAY + 60_000);
    const batch = () => t.orm.em.fork().transactional((em) => writeDownDueAccounts(em, t.clock.now(), 2));
    const results = await Promise.all([batch(), ...sales.map(([first]) => reverse(first).then(outcome)), batch(), batch()]);
    expect(results.filter((r) => typeof r === 'string')).toEqual(sales.map(() => 'REVERSED'));
    for (const c of customers) expect(await account(c.externalId, currency)).toMatchObject({ available: 25, pending: 0, lifetime: 25, debt: 0 });
    // Past the staff points' expiry and the second sale's: the rest of the sales returned while the batch runs twice.
    t.clock.advance(5 * DAY);
    const late = await Promise.all([batch(), ...sales.map(([, second]) => reverse(second).then(outcome)), batch()]);
    expect(late.filter((r) => typeof r === 'string')).toEqual(sales.map(() => 'REVERSED'));
    // The staff 5 expired (lifetime keeps it: expiry does not lower what was earned); both sales taken back.
    for (const c of customers) expect(await account(c.externalId, currency)).toMatchObject({ available: 0, pending: 0, lifetime: 5, debt: 0 });
  });

  it('the write-down run twice at once takes each account once: nothing expires or is released twice', async () => {
    const { money, currency } = await earningProgram(t, 'D', { expiryDays: 2, pendingDays: 1 });
    const customers: Awaited<ReturnType<typeof createCustomer>>[] = [];
    for (let i = 0; i < 8; i++) customers.push(await createCustomer(t, currency, 4));
    for (const c of customers) await sold(c.externalId, money, 3);
    t.clock.freeze();
    t.clock.advance(DAY + 1_000);
    const run = () => t.orm.em.fork().transactional((em) => writeDownDueAccounts(em, t.clock.now(), 3)).then((r) => r.taken);
    const taken = await Promise.all([run(), run(), run(), run()]);
    expect(taken.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(8);
    while ((await run()) > 0);
    for (const c of customers) expect(await account(c.externalId, currency)).toMatchObject({ available: 34, pending: 0 });
    t.clock.advance(5 * DAY);
    await Promise.all([run(), run(), run()]);
    while ((await run()) > 0);
    for (const c of customers) expect(await account(c.externalId, currency)).toMatchObject({ available: 0, pending: 0, lifetime: 34 });
  });

  it('returns of sales whose points were spent meanwhile, racing new credits that repay the debt', async () => {
    const { money, currency } = await earningProgram(t, 'E');
    const offer = await createOffer(t);
    const store = await createStore(t, currency);
    const listing = await addListing(t, store.id, offer.id, { priceInPoints: 90 });
    const customers: Awaited<ReturnType<typeof createCustomer>>[] = [];
    for (let i = 0; i < 5; i++) customers.push(await createCustomer(t, currency));
    const sales: string[] = [];
    for (const c of customers) {
      sales.push(await sold(c.externalId, money, 10)); // 100
      ok(await t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: unique('buy') }, c.token)); // 90 spent
    }
    const credit = (c: (typeof customers)[number], amount: number) =>
      t.gql(AdjustPointsDocument, { input: { customerExternalId: c.externalId, currency, amount, reason: 'goodwill', idempotencyKey: unique('k') } }, t.operatorToken);
    const results = await Promise.all(customers.flatMap((c, i) => [reverse(sales[i]).then(outcome), credit(c, 30).then(ok), credit(c, 70).then(ok)]));
    expect(results.filter((r) => typeof r === 'string')).toEqual(customers.map(() => 'REVERSED'));
    // Each: 100 earned, 90 spent, 100 credited, 100 reversed (10 taken, 90 owed): whatever the order,
    // what is left less what is owed is 10 (credits after the return repay from themselves, those
    // before it stay the customer's until the next credit: docs/decisions.md, debt).
    for (const c of customers) {
      const a = await account(c.externalId, currency);
      expect(a.available - a.debt).toBe(10);
    }
  });

  it("a return of a sale whose awarded offer the till locks and redeems at the same time: the offer is voided or kept redeemed, never both", async () => {
    const { money, currency } = await earningProgram(t, 'F');
    const gift = await createOffer(t);
    const window = { startsAt: new Date(Date.now() - DAY).toISOString(), endsAt: new Date(Date.now() + 30 * DAY).toISOString() };
    ok(await t.gql(CreateCampaignDocument, { input: { name: unique('gift'), currency, ...window, conditions: { minSpend: '50.00' }, outcome: { offerId: gift.id } } as never }, t.operatorToken));
    const kept: string[] = [];
    for (let i = 0; i < 6; i++) {
      const customer = await createCustomer(t, currency);
      const sale = await sold(customer.externalId, money, 60);
      const [{ code }] = await t.sql<{ code: string }>(`select io.code from issued_offer io join customer c on c.id = io.customer_id where c.external_id = $1`, [customer.externalId]);
      const lockId = unique('basket');
      if (i % 2) ok(await t.gql(LockOfferDocument, { code, lockId }, till.credential));
      const [ret, used, usedSale] = await Promise.all([
        reverse(sale),
        t.gql(RedeemOfferDocument, { code, lockId: i % 2 ? lockId : null, transactionExternalId: unique('use') }, till.credential),
        i % 3 === 0 ? submit(customer.externalId, money, 5, [code]).then(() => 'submitted', (e: Error) => e.message) : Promise.resolve('none'),
      ]);
      expect(outcome(ret)).toBe('REVERSED');
      expect(used.errors).toBeUndefined();
      const [row] = await t.sql<{ status: string }>(`select status from issued_offer where code = $1`, [code]);
      const redeemed = used.data!.redeemOffer.userErrors.length === 0 || (usedSale === 'submitted' && row.status === 'REDEEMED');
      expect([i, row.status]).toEqual([i, redeemed ? 'REDEEMED' : 'VOIDED']);
      if (redeemed) kept.push(code);
      await t.jobs.runner.runUntilIdle();
    }
  });

  it('a return across a tier change: the tier follows the points the customer keeps', async () => {
    const { money, currency } = await earningProgram(t, 'G');
    await createTier(t, { currency, code: `${currency}_BASE`, rank: 1, threshold: 0 });
    await createTier(t, { currency, code: `${currency}_TOP`, rank: 2, threshold: 150, multiplier: 2 });
    const customer = await createCustomer(t, currency);
    const first = await sold(customer.externalId, money, 10); // 100, BASE
    const second = await sold(customer.externalId, money, 10); // 100 -> 200, TOP
    const third = await sold(customer.externalId, money, 10); // at TOP: 200 -> 400
    expect(await account(customer.externalId, currency)).toMatchObject({ available: 400, lifetime: 400 });
    const results = (await Promise.all([reverse(first), reverse(second), reverse(first), reverse(third)])).map(outcome).sort();
    expect(results).toEqual(['ALREADY_REVERSED', 'REVERSED', 'REVERSED', 'REVERSED']);
    expect(await account(customer.externalId, currency)).toMatchObject({ available: 0, lifetime: 0, debt: 0 });
    const [{ tier }] = await t.sql<{ tier: string }>(`select (select code from tier where id = c.tier_id) as tier from customer c where c.external_id = $1`, [customer.externalId]);
    expect(tier).toBe(`${currency}_BASE`);
  });

  it('activities racing the customer\'s suspension and closure: none credits an account after the change committed', async () => {
    const { currency } = await earningProgram(t, 'H');
    ok(await t.gql(SetActivityRuleDocument, { input: { kind: 'REVIEW', currency, points: 5 } as never }, t.operatorToken));
    for (const status of ['SUSPENDED', 'CLOSED']) {
      const customer = await createCustomer(t, currency, 1);
      const activities = Array.from({ length: 8 }, (_, i) =>
        t.gql(RecordActivityDocument, { customerExternalId: customer.externalId, kind: 'REVIEW', reference: `r${i}` }, till.credential).then((r) => ({ r, at: Date.now() })),
      );
      const change = t.gql(UpsertCustomerDocument, { input: { externalId: customer.externalId, status } as never }, t.operatorToken);
      const done = await Promise.all(activities);
      ok(await change);
      for (const { r } of done) expect(r.errors).toBeUndefined();
      const awarded = done.filter(({ r }) => r.data!.recordActivity.userErrors.length === 0).length;
      expect(await account(customer.externalId, currency)).toMatchObject({ available: 1 + 5 * awarded });
      // Once the change committed, every activity is refused.
      const after = await t.gql(RecordActivityDocument, { customerExternalId: customer.externalId, kind: 'REVIEW', reference: 'after' }, till.credential);
      expect(after.data!.recordActivity.userErrors.map((e) => e.code)).toEqual(['NOT_ELIGIBLE']);
    }
  });

  /** Kills (pg_terminate_backend) every session waiting on a lock but the test's own holder, once `held` blocks one. */
  const killWaiters = async () =>
    t.sql(`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid()`);

  it('a return killed mid-transaction (its connection terminated while it waits for the account) leaves nothing half-done, and the next return does it whole', async () => {
    const { money, currency } = await earningProgram(t, 'K');
    const gift = await createOffer(t);
    const window = { startsAt: new Date(Date.now() - DAY).toISOString(), endsAt: new Date(Date.now() + 30 * DAY).toISOString() };
    ok(await t.gql(CreateCampaignDocument, { input: { name: unique('gift'), currency, ...window, outcome: { offerId: gift.id, bonusPoints: 3 } } as never }, t.operatorToken));
    const customer = await createCustomer(t, currency, 2);
    const sale = await sold(customer.externalId, money, 10);
    const before = await account(customer.externalId, currency);
    const held = await holdLocks(t, `select a.id from point_account a join customer c on c.id = a.customer_id where c.external_id = $1 for update of a`, [customer.externalId]);
    let killed;
    try {
      const returning = reverse(sale);
      await held.blocking(1);
      await killWaiters();
      killed = await returning;
    } finally {
      await held.commit();
      await held.end();
    }
    expect(killed.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    expect(await account(customer.externalId, currency)).toEqual(before);
    expect(await t.sql(`select status from sales_transaction where external_id = $1`, [sale])).toEqual([{ status: 'PROCESSED' }]);
    expect(await t.sql(`select io.status from issued_offer io join customer c on c.id = io.customer_id where c.external_id = $1`, [customer.externalId])).toEqual([{ status: 'ISSUED' }]);
    expect(outcome(await reverse(sale))).toBe('REVERSED');
    expect(await account(customer.externalId, currency)).toMatchObject({ available: 2, lifetime: 2, debt: 0 });
  });

  it('the write-down killed mid-batch (terminated while it waits for a customer row) rolls back whole; the next run writes everything down once', async () => {
    const { money, currency } = await earningProgram(t, 'L', { expiryDays: 2, pendingDays: 1 });
    await createTier(t, { currency, code: `${currency}_T`, rank: 7, threshold: 10 });
    const customers: Awaited<ReturnType<typeof createCustomer>>[] = [];
    for (let i = 0; i < 4; i++) customers.push(await createCustomer(t, currency));
    for (const c of customers) await sold(c.externalId, money, 3);
    t.clock.freeze();
    t.clock.advance(DAY + 1_000);
    // Placing the tier after a release takes the customer's row: held for the third customer.
    const held = await holdLocks(t, 'select 1 from customer where external_id = $1 for no key update', [customers[2].externalId]);
    let killed;
    try {
      const run = t.orm.em.fork().transactional((em) => writeDownDueAccounts(em, t.clock.now())).then(() => 'done', (e: Error) => e.message);
      await held.blocking(1);
      await killWaiters();
      killed = await run;
    } finally {
      await held.commit();
      await held.end();
    }
    expect(killed).not.toBe('done');
    for (const c of customers) expect(await account(c.externalId, currency)).toMatchObject({ available: 0, pending: 30 });
    while ((await t.orm.em.fork().transactional((em) => writeDownDueAccounts(em, t.clock.now()))).taken > 0);
    for (const c of customers) expect(await account(c.externalId, currency)).toMatchObject({ available: 30, pending: 0, lifetime: 30 });
  });

  it('a storm: sales in two currencies with offers and bonuses, their returns, spends, the till using the offers, the write-down, tiers and activities, all at once over moving days: no internal error, SPEC §5 after every round', async () => {
    const money = 'TND';
    const currencies = ['STORM_A', 'STORM_B'];
    for (const [i, code] of currencies.entries()) {
      ok(await t.gql(`mutation { createCurrency(input: { code: "${code}", name: "s", pointValue: "0.01", expiryDays: ${2 + i}, moneyCurrency: "${money}" }) { userErrors { code } } }`, {}, t.operatorToken));
      ok(await t.gql(`mutation($input: SetEconomyRuleInput!) { setEconomyRule(input: $input) { userErrors { code } } }`, { input: { currency: code, pointsPerUnit: '10', pendingDays: i } }, t.operatorToken));
      await createTier(t, { currency: code, code: `${code}_T`, rank: 20 + i, threshold: 150 });
      ok(await t.gql(SetActivityRuleDocument, { input: { kind: 'REVIEW', currency: code, points: 7 } as never }, t.operatorToken));
    }
    const gift = await createOffer(t);
    const window = { startsAt: new Date(Date.now() - DAY).toISOString(), endsAt: new Date(Date.now() + 60 * DAY).toISOString() };
    ok(await t.gql(CreateCampaignDocument, { input: { name: unique('storm'), currency: 'STORM_A', ...window, outcome: { offerId: gift.id, bonusPoints: 5 } } as never }, t.operatorToken));
    ok(await t.gql(CreateCampaignDocument, { input: { name: unique('budget'), currency: 'STORM_B', ...window, outcome: { bonusPoints: 3 }, limits: { budgetPoints: 100000 } } as never }, t.operatorToken));
    const store = await createStore(t, 'STORM_A');
    const listing = await addListing(t, store.id, (await createOffer(t)).id, { priceInPoints: 40 });
    const customers: Awaited<ReturnType<typeof createCustomer>>[] = [];
    for (let i = 0; i < 6; i++) customers.push(await createCustomer(t, 'STORM_A', 20));
    const sales: string[] = [];
    for (const c of customers) sales.push(await sold(c.externalId, money, 10));
    t.clock.freeze();
    const failures: string[] = [];
    const note = (what: string) => (res: { errors?: { message: string; extensions?: { code?: unknown } }[] }) => {
      if (res.errors?.length) failures.push(`${what}: ${res.errors[0].extensions?.code} ${res.errors[0].message}`);
    };
    const background = (what: string, work: Promise<unknown>) => work.catch((e: Error) => failures.push(`${what}: ${e.message}`));
    for (let round = 0; round < 8; round++) {
      t.clock.advance((3 * DAY) / 4 + 1_000);
      const codes = await t.sql<{ code: string; external_id: string }>(`select io.code, c.external_id from issued_offer io join customer c on c.id = io.customer_id where io.status = 'ISSUED'`);
      const work: Promise<unknown>[] = [];
      for (const [i, c] of customers.entries()) {
        const sale = sales.length > 2 * customers.length ? sales.shift() : undefined;
        if (sale) work.push(reverse(sale).then(note('return')));
        work.push(submit(c.externalId, money, 5 + round + i).then((id) => sales.push(id), (e: Error) => failures.push(`submit: ${e.message}`)));
        work.push(t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: unique('buy') }, c.token).then(note('purchase')));
        work.push(t.gql(RecordActivityDocument, { customerExternalId: c.externalId, kind: 'REVIEW', reference: unique('r') }, till.credential).then(note('activity')));
        work.push(t.gql(AdjustPointsDocument, { input: { customerExternalId: c.externalId, currency: 'STORM_B', amount: 4, reason: 'x', idempotencyKey: unique('k') } }, t.operatorToken).then(note('adjust')));
      }
      for (const { code } of codes.slice(0, 4)) work.push(t.gql(RedeemOfferDocument, { code, lockId: null, transactionExternalId: unique('use') }, till.credential).then(note('redeem')));
      work.push(background('jobs', t.jobs.runner.runUntilIdle()));
      work.push(background('write-down', t.orm.em.fork().transactional((em) => writeDownDueAccounts(em, t.clock.now(), 2))));
      work.push(background('write-down', t.orm.em.fork().transactional((em) => writeDownDueAccounts(em, t.clock.now(), 3))));
      await Promise.all(work);
      await t.jobs.runner.runUntilIdle();
      expect([round, failures]).toEqual([round, []]);
      expect([round, await brokenInvariants(t)]).toEqual([round, []]);
    }
    if (process.env.STORM_DEBUG) console.log(JSON.stringify(await t.sql(`select (select count(*) from sales_transaction where status='REVERSED') rev, (select count(*) from sales_transaction where status='PROCESSED') proc,
      (select count(*) from issued_offer where status='REDEEMED') redeemed, (select count(*) from issued_offer where status='VOIDED') voided, (select count(*) from ledger_entry where kind='EXPIRE') expired,
      (select count(*) from ledger_entry where kind='SPEND') spent, (select sum(owed) from ledger_reversal) owed, (select count(*) from pending_credit where released_at is not null) released, (select count(*) from pending_credit where cancelled_at is not null) cancelled`)));
  }, 120_000);

  it("a sale's processing killed while it waits for the account, its return meanwhile, the job run again: the sale earns nothing, once", async () => {
    const { money, currency } = await earningProgram(t, 'M');
    const customer = await createCustomer(t, currency, 9);
    const sale = await submit(customer.externalId, money, 10);
    const held = await holdLocks(t, `select a.id from point_account a join customer c on c.id = a.customer_id where c.external_id = $1 for update of a`, [customer.externalId]);
    try {
      const processing = t.jobs.runner.runOne().catch(() => false);
      await held.blocking(1);
      await killWaiters();
      await processing;
    } finally {
      await held.commit();
      await held.end();
    }
    expect(await t.sql(`select status from sales_transaction where external_id = $1`, [sale])).toEqual([{ status: 'RECEIVED' }]);
    expect(outcome(await reverse(sale))).toBe('REVERSED');
    t.clock.advance(60_000); // past the job's backoff
    await t.jobs.runner.runUntilIdle();
    expect(await t.sql(`select status from sales_transaction where external_id = $1`, [sale])).toEqual([{ status: 'REVERSED' }]);
    expect(await account(customer.externalId, currency)).toMatchObject({ available: 9, lifetime: 9, pending: 0, debt: 0 });
  });

  it('an activity killed while it waits for the account writes nothing; its repeat awards once', async () => {
    const { currency } = await earningProgram(t, 'N');
    ok(await t.gql(SetActivityRuleDocument, { input: { kind: 'EVENT_CHECK_IN', currency, points: 6 } as never }, t.operatorToken));
    const customer = await createCustomer(t, currency, 2);
    const held = await holdLocks(t, `select a.id from point_account a join customer c on c.id = a.customer_id where c.external_id = $1 for update of a`, [customer.externalId]);
    let killed;
    try {
      const recording = t.gql(RecordActivityDocument, { customerExternalId: customer.externalId, kind: 'EVENT_CHECK_IN', reference: 'gig' }, till.credential);
      await held.blocking(1);
      await killWaiters();
      killed = await recording;
    } finally {
      await held.commit();
      await held.end();
    }
    expect(killed.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    expect(await t.sql(`select count(*)::int as n from activity a join customer c on c.id = a.customer_id where c.external_id = $1`, [customer.externalId])).toEqual([{ n: 0 }]);
    const again = await Promise.all([1, 2, 3].map(() => t.gql(RecordActivityDocument, { customerExternalId: customer.externalId, kind: 'EVENT_CHECK_IN', reference: 'gig' }, till.credential)));
    expect(again.map((r) => ok(r).recordActivity.pointsAwarded)).toEqual([6, 6, 6]);
    expect(await account(customer.externalId, currency)).toMatchObject({ available: 8 });
  });

  /**
   * A program whose campaign awards an offer (valid 30 days) to a sale of 80, one customer's sale
   * that earned it, the clock moved 31 days (the offer expired unused) and staff's replacement of
   * it: the sale's externalId, the customer and the replacement's code.
   */
  const awardedThenReplaced = async (prefix: string) => {
    const { money, currency } = await earningProgram(t, prefix);
    const gift = await createOffer(t); // valid 30 days after issue
    const window = { startsAt: new Date(Date.now() - DAY).toISOString(), endsAt: new Date(Date.now() + 30 * DAY).toISOString() };
    ok(await t.gql(CreateCampaignDocument, { input: { name: unique('gift'), currency, ...window, conditions: { minSpend: '70.00' }, outcome: { offerId: gift.id } } as never }, t.operatorToken));
    const customer = await createCustomer(t, currency);
    const sale = await sold(customer.externalId, money, 80);
    const [awarded] = await t.sql<{ id: string }>(`select io.id from issued_offer io join customer c on c.id = io.customer_id where c.external_id = $1`, [customer.externalId]);
    t.clock.advance(31 * DAY); // the awarded offer expired unused
    ok(
      await t.gql(
        `mutation($input: IssueReplacementOfferInput!) { issueReplacementOffer(input: $input) { userErrors { code } } }`,
        { input: { issuedOfferId: toGlobalId('IssuedOffer', Number(awarded.id)), reason: 'expired while the app was down', idempotencyKey: unique('rep') } },
        t.operatorToken,
      ),
    );
    const [replacement] = await t.sql<{ code: string }>(`select code from issued_offer where replaces_id = $1`, [awarded.id]);
    return { sale, customer, replacement };
  };

  it('a return voids the live replacement staff issued for an offer the sale awarded (expired meanwhile): the customer keeps nothing the sale gave', async () => {
    const { sale, customer } = await awardedThenReplaced('P');
    expect(outcome(await reverse(sale))).toBe('REVERSED');
    const wallet = await t.sql<{ status: string; replaces: boolean }>(
      `select issued_offer_status_at(io.status, io.lock_expires_at, io.expires_at, $2) as status, io.replaces_id is not null as replaces from issued_offer io join customer c on c.id = io.customer_id where c.external_id = $1 order by io.id`,
      [customer.externalId, t.clock.now()],
    );
    expect(wallet).toEqual([
      { status: 'EXPIRED', replaces: false },
      { status: 'VOIDED', replaces: true },
    ]);
  });

  it("a return reports in offersKept the staff replacement the customer already redeemed (edges-12b), and the awarded offer it replaced is not", async () => {
    const { sale, replacement } = await awardedThenReplaced('K');
    expect(ok(await t.gql(RedeemOfferDocument, { code: replacement.code, lockId: null, transactionExternalId: unique('use') }, till.credential)).redeemOffer.issuedOffer?.status).toBe('REDEEMED');
    const returned = await t.gql(
      `mutation($externalId: String!, $reason: String) { reverseTransaction(input: { externalId: $externalId, reason: $reason }) {
         transaction { status } offersKept { code status } userErrors { code } } }`,
      { externalId: sale, reason: 'returned' },
      till.credential,
    );
    expect(ok(returned)).toEqual({ reverseTransaction: { transaction: { status: 'REVERSED' }, offersKept: [{ code: replacement.code, status: 'REDEEMED' }], userErrors: [] } });
  });

  it('a return and a replacement of the offer its sale awarded, at once: whichever goes first, no live offer is left of the returned sale', async () => {
    const { money, currency } = await earningProgram(t, 'Q');
    const gift = await createOffer(t);
    const window = { startsAt: new Date(Date.now() - DAY).toISOString(), endsAt: new Date(Date.now() + 30 * DAY).toISOString() };
    ok(await t.gql(CreateCampaignDocument, { input: { name: unique('gift'), currency, ...window, conditions: { minSpend: '70.00' }, outcome: { offerId: gift.id } } as never }, t.operatorToken));
    const customers: Awaited<ReturnType<typeof createCustomer>>[] = [];
    for (let i = 0; i < 6; i++) customers.push(await createCustomer(t, currency));
    const sales: string[] = [];
    for (const c of customers) sales.push(await sold(c.externalId, money, 80));
    t.clock.freeze();
    t.clock.advance(31 * DAY); // every awarded offer expired unused
    const awarded = await t.sql<{ id: string }>(
      `select io.id from issued_offer io join customer c on c.id = io.customer_id where c.external_id = any($1) order by c.id`,
      [customers.map((c) => c.externalId)],
    );
    const replace = (id: string) =>
      t.gql(
        `mutation($input: IssueReplacementOfferInput!) { issueReplacementOffer(input: $input) { userErrors { code } } }`,
        { input: { issuedOfferId: toGlobalId('IssuedOffer', Number(id)), reason: 'expired while the app was down', idempotencyKey: unique('rep') } },
        t.operatorToken,
      ) as Promise<{ errors?: unknown[]; data?: { issueReplacementOffer: { userErrors: { code: string }[] } } }>;
    const results = await Promise.all(sales.map((sale, i) => Promise.all([reverse(sale).then(outcome), replace(awarded[i].id)])));
    for (const [returned, replaced] of results) {
      expect(returned).toBe('REVERSED');
      expect(replaced.errors).toBeUndefined();
      expect(['[]', '[{"code":"INVALID"}]']).toContain(JSON.stringify(replaced.data!.issueReplacementOffer.userErrors));
    }
    const live = await t.sql(
      `select io.id from issued_offer io join customer c on c.id = io.customer_id
        where c.external_id = any($1) and issued_offer_status_at(io.status, io.lock_expires_at, io.expires_at, $2) in ('ISSUED', 'LOCKED')`,
      [customers.map((c) => c.externalId), t.clock.now()],
    );
    expect(live).toEqual([]);
    // After the return, the offer is not given again: INVALID (its sale was returned) whichever went
    // first, the return's check coming before the replaced-already one (ALREADY_EXISTS).
    for (const [i, [, replaced]] of results.entries()) {
      const late = await replace(awarded[i].id);
      expect({ raced: replaced.data!.issueReplacementOffer.userErrors.map((e) => e.code), late: late.data!.issueReplacementOffer.userErrors.map((e) => e.code) }).toEqual({
        raced: replaced.data!.issueReplacementOffer.userErrors.map((e) => e.code),
        late: ['INVALID'],
      });
    }
  });
});
