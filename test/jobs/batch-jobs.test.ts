import { writeDownDueAccounts } from '../../src/points/expiry.service.js';
import { recomputeAllTiers } from '../../src/tiers/tier.service.js';
import { sweepWallet } from '../../src/wallet/redemption.service.js';
import { CreateCampaignDocument, CreateOfferDocument, SetEconomyRuleDocument, SubmitTransactionDocument } from '../generated/graphql.js';
import { ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { testWorker } from '../support/job-runner.js';
import { holdLocks } from '../support/locks.js';
import { createCustomer, createPartner, createTier, tierMoves } from '../support/program.js';
import { recordStatements } from '../support/statements.js';

const DAY = 86_400_000;

/**
 * Batch jobs write many customers in one transaction. Each customer's event stream row (taken by
 * their first event) and then their row (the tier) are locked customer by customer, so two batches
 * that meet must take them in one order (customer id), or each can hold a customer the other waits
 * for: 'deadlock detected', and one of them rolls back and runs again after its backoff.
 */
describe('batch jobs writing many customers at once', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
  });
  afterAll(() => t.close());

  const worker = () =>
    testWorker(t, 30_000);
  const settled = (work: Promise<unknown>) => work.then(() => 'done', (error: Error) => error.message);

  it('the pending-release write-down and the tier batch at the same moment (both due at midnight) for customers whose accounts were opened in the other order: neither deadlocks', async () => {
    const till = await createPartner(t, ['transactions:write', 'transactions:read']);
    ok(await t.gql(`mutation { createCurrency(input: { code: "ORDER_C", name: "o", pointValue: "0.01", moneyCurrency: "ZAR" }) { userErrors { code } } }`, {}, t.operatorToken));
    ok(await t.gql(SetEconomyRuleDocument, { input: { currency: 'ORDER_C', pointsPerUnit: '1', pendingDays: 1 } as never }, t.operatorToken));
    await createTier(t, { currency: 'ORDER_C', code: 'ORDER_MEMBER', rank: 1, threshold: 10 });
    // The first customer (the lower id) earns second, so their account has the higher id.
    const first = await createCustomer(t, 'ORDER_C');
    const second = await createCustomer(t, 'ORDER_C');
    for (const [i, c] of [second, first].entries()) {
      const input = { externalId: `order-${i}`, customerExternalId: c.externalId, occurredAt: t.clock.now().toISOString(), currency: 'ZAR', lines: [{ sku: 'X', quantity: 1, unitPrice: '20.00' }] };
      ok(await t.gql(SubmitTransactionDocument, { input }, till.credential));
      expect(await worker().runOne()).toBe(true);
    }
    const accounts = await t.sql<{ external_id: string }>(
      `select c.external_id from point_account a join customer c on c.id = a.customer_id where a.currency_code = 'ORDER_C' order by a.id`,
    );
    expect(accounts.map((a) => a.external_id)).toEqual([second.externalId, first.externalId]);
    // A day on: both customers' pending points are due, so both reach the tier (readers see it);
    // neither is written down yet.
    t.clock.advance(DAY + 1_000);
    const now = t.clock.now();
    // Forced overlap: the write-down stops at the second customer's row (placing the tier after
    // releasing their points), holding their event stream; the batch then takes the first
    // customer's stream and waits for the second's. Whichever way it then goes must not deadlock.
    const held = await holdLocks(t, 'select 1 from customer where external_id = $1 for no key update', [second.externalId]);
    let writeDown: Promise<string>;
    let batch: Promise<string>;
    try {
      writeDown = settled(t.orm.em.fork().transactional((em) => writeDownDueAccounts(em, now)));
      await held.waiters(1);
      batch = settled(t.orm.em.fork().transactional((em) => recomputeAllTiers(em, t.clock)));
      await held.waiters(2);
      await held.commit();
    } finally {
      await held.end();
    }
    expect([await writeDown, await batch]).toEqual(['done', 'done']);

    for (const c of [first, second]) {
      const [row] = await t.sql<{ stored: string | null; pending: string }>(
        `select (select code from tier where id = c.tier_id) as stored, a.pending::text from customer c join point_account a on a.customer_id = c.id where c.external_id = $1`,
        [c.externalId],
      );
      expect([c.externalId, row]).toEqual([c.externalId, { stored: 'ORDER_MEMBER', pending: '0' }]);
      const moves = await tierMoves(t, c.externalId);
      expect([c.externalId, moves]).toEqual([c.externalId, [[null, 'ORDER_MEMBER']]]);
    }
    expect(await ledgerViolations(t)).toEqual([]);
  });

  it('the write-down locks each due account once (edges-12), each in a transaction of its own (break35)', async () => {
    // It took the batch's accounts FOR UPDATE and then locked and read each again (lockAccount):
    // one statement more per account, for rows it already held. Since break35 (expiry) each
    // account is locked by the statement that reads it in its own transaction: one lock each.
    ok(await t.gql(`mutation { createCurrency(input: { code: "ONCE_C", name: "o", pointValue: "0.01", expiryDays: 1, moneyCurrency: "ZAR" }) { userErrors { code } } }`, {}, t.operatorToken));
    const customers = [await createCustomer(t, 'ONCE_C', 5), await createCustomer(t, 'ONCE_C', 6), await createCustomer(t, 'ONCE_C', 7)];
    t.clock.advance(2 * DAY);
    const recorder = recordStatements();
    try {
      await t.orm.em.fork().transactional((em) => writeDownDueAccounts(em, t.clock.now()));
      const locks = recorder.take().filter((s) => /from point_account[\s\S]*for update/i.test(s.text));
      expect(locks).toHaveLength(customers.length);
      expect(new Set(locks.map((s) => String(s.values?.[0]))).size).toBe(customers.length);
    } finally {
      recorder.stop();
    }
    const rows = await t.sql<{ available: number; expired: string }>(
      `select a.available, (select -sum(amount) from ledger_entry e where e.account_id = a.id and e.kind = 'EXPIRE')::text as expired
         from point_account a join customer c on c.id = a.customer_id where c.external_id = any($1) order by a.id`,
      [customers.map((c) => c.externalId)],
    );
    expect(rows).toEqual([{ available: 0, expired: '5' }, { available: 0, expired: '6' }, { available: 0, expired: '7' }]);
    expect(await ledgerViolations(t)).toEqual([]);
  });

  it('the write-down releasing pending points of one customer in two currencies moves the tier once', async () => {
    const till = await createPartner(t, ['transactions:write', 'transactions:read']);
    // Two point currencies earned by one money currency: one sale earns both, pending a day.
    for (const code of ['TWICE_A', 'TWICE_B']) {
      ok(await t.gql(`mutation { createCurrency(input: { code: "${code}", name: "t", pointValue: "0.01", moneyCurrency: "ZMW" }) { userErrors { code } } }`, {}, t.operatorToken));
      ok(await t.gql(SetEconomyRuleDocument, { input: { currency: code, pointsPerUnit: '1', pendingDays: 1 } as never }, t.operatorToken));
    }
    await createTier(t, { currency: 'TWICE_A', code: 'TWICE_SILVER', rank: 11, threshold: 10 });
    await createTier(t, { currency: 'TWICE_B', code: 'TWICE_GOLD', rank: 12, threshold: 10 });
    const customer = await createCustomer(t, 'TWICE_A');
    const input = { externalId: 'twice-0', customerExternalId: customer.externalId, occurredAt: t.clock.now().toISOString(), currency: 'ZMW', lines: [{ sku: 'X', quantity: 1, unitPrice: '20.00' }] };
    ok(await t.gql(SubmitTransactionDocument, { input }, till.credential));
    expect(await worker().runOne()).toBe(true);
    t.clock.advance(DAY + 1_000);
    await t.orm.em.fork().transactional((em) => writeDownDueAccounts(em, t.clock.now()));
    // TWICE_SILVER was the customer's only between the write-down's two accounts.
    const moves = await tierMoves(t, customer.externalId);
    expect(moves).toEqual([[null, 'TWICE_GOLD']]);
    const [row] = await t.sql<{ stored: string | null }>(`select (select code from tier where id = c.tier_id) as stored from customer c where c.external_id = $1`, [customer.externalId]);
    expect(row.stored).toBe('TWICE_GOLD');
    expect(await ledgerViolations(t)).toEqual([]);
  });

  it('the pending-release write-down and the wallet sweep at the same moment for customers whose accounts were opened in the other order: neither deadlocks', async () => {
    const till = await createPartner(t, ['transactions:write', 'transactions:read']);
    ok(await t.gql(`mutation { createCurrency(input: { code: "SWEEP_C", name: "s", pointValue: "0.01", moneyCurrency: "ZWG" }) { userErrors { code } } }`, {}, t.operatorToken));
    ok(await t.gql(SetEconomyRuleDocument, { input: { currency: 'SWEEP_C', pointsPerUnit: '1', pendingDays: 1 } as never }, t.operatorToken));
    // Every sale also awards an offer that is valid for a day: both expire with the pending days.
    const offer = ok(
      await t.gql(CreateOfferDocument, { input: { name: 'Day pass', benefit: { kind: 'FREE_ITEM', freeSku: 'MUFFIN' }, validDays: 1 } }, t.operatorToken),
    ).createOffer.offer!;
    const window = { startsAt: new Date(t.clock.now().getTime() - DAY).toISOString(), endsAt: new Date(t.clock.now().getTime() + DAY).toISOString() };
    ok(await t.gql(CreateCampaignDocument, { input: { name: 'Day pass', currency: 'SWEEP_C', ...window, outcome: { offerId: offer.id } } }, t.operatorToken));
    await createTier(t, { currency: 'SWEEP_C', code: 'SWEEP_MEMBER', rank: 21, threshold: 10 }); // the release places it
    const first = await createCustomer(t, 'SWEEP_C');
    const second = await createCustomer(t, 'SWEEP_C');
    for (const [i, c] of [second, first].entries()) {
      const input = { externalId: `sweep-${i}`, customerExternalId: c.externalId, occurredAt: t.clock.now().toISOString(), currency: 'ZWG', lines: [{ sku: 'X', quantity: 1, unitPrice: '20.00' }] };
      ok(await t.gql(SubmitTransactionDocument, { input }, till.credential));
      expect(await worker().runOne()).toBe(true);
    }
    t.clock.advance(DAY + 1_000);
    const now = t.clock.now();
    // Forced overlap, as above: the write-down waits at the second customer's row holding their
    // event stream; the sweep then records both customers' WALLET_CHANGED, the first's stream first.
    const held = await holdLocks(t, 'select 1 from customer where external_id = $1 for no key update', [second.externalId]);
    let writeDown: Promise<string>;
    let sweep: Promise<string>;
    try {
      writeDown = settled(t.orm.em.fork().transactional((em) => writeDownDueAccounts(em, now)));
      await held.waiters(1);
      sweep = settled(t.orm.em.fork().transactional((em) => sweepWallet(em, now)));
      await held.waiters(2);
      await held.commit();
    } finally {
      await held.end();
    }
    expect([await writeDown, await sweep]).toEqual(['done', 'done']);
    const offers = await t.sql<{ status: string }>(
      `select io.status from issued_offer io join customer c on c.id = io.customer_id where c.external_id = any($1)`,
      [[first.externalId, second.externalId]],
    );
    expect(offers.map((o) => o.status)).toEqual(['EXPIRED', 'EXPIRED']);
    expect(await ledgerViolations(t)).toEqual([]);
  });
});
