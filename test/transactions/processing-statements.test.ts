import { CreateCampaignDocument, ProfileDocument, ReverseTransactionDocument, SetEconomyRuleDocument, SubmitTransactionDocument, TransactionStatusDocument } from '../generated/graphql.js';
import { ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCustomer, createOffer, createPartner, createTier, unique } from '../support/program.js';
import { headOf, recordStatements } from '../support/statements.js';

const DAY = 86_400_000;

/**
 * Issue 12, sales at the till: what one sale's processing (the job's transaction, BEGIN to COMMIT)
 * sends to PostgreSQL. Every statement costs the instance and the database CPU whatever it does,
 * so a sale of two credits to one account (the economy rule's and a campaign's) locks that account
 * once, writes it down once and places the tier once, not once per credit. Counts every statement
 * the gateway's `pg` clients send while the job runs, and checks what the customer sees: the
 * sale's points, the balance, the tier moved once, and the ledger's invariants.
 */
describe("a sale's processing in statements to PostgreSQL", () => {
  let t: TestGateway;
  let recorder: ReturnType<typeof recordStatements>;

  beforeAll(async () => {
    // no background job worker and no event relay: the test runs the job, and their polling would be counted
    t = await startTestGateway({ EVENT_FANOUT: 'off' }, { jobs: 'manual' });
    recorder = recordStatements();
  });
  afterEach(async () => {
    expect(await ledgerViolations(t)).toEqual([]);
  });
  afterAll(async () => {
    recorder.stop();
    await t.close();
  });

  it('two credits to one account: the account locked once, written down once, the tier placed once', async () => {
    const currency = unique('SALEQ').toUpperCase().replace(/[^A-Z0-9_]/g, '_').slice(0, 20);
    ok(await t.gql(`mutation { createCurrency(input: { code: "${currency}", name: "q", expiryDays: 365, pointValue: "0.01", moneyCurrency: "YER" }) { userErrors { code } } }`, {}, t.operatorToken));
    ok(await t.gql(SetEconomyRuleDocument, { input: { currency, pointsPerUnit: '1' } }, t.operatorToken));
    const window = { startsAt: new Date(Date.now() - DAY).toISOString(), endsAt: new Date(Date.now() + DAY).toISOString() };
    ok(await t.gql(CreateCampaignDocument, { input: { name: 'Always', currency, ...window, outcome: { bonusPoints: 5 } } }, t.operatorToken));
    await createTier(t, { currency, code: `${currency}_G`, rank: 1, threshold: 0 });
    await createTier(t, { currency, code: `${currency}_S`, rank: 2, threshold: 20 });
    const till = await createPartner(t, ['transactions:write', 'transactions:read']);
    const customer = await createCustomer(t, currency, 10);
    const submit = async () => {
      const input = { externalId: unique('sale'), customerExternalId: customer.externalId, occurredAt: new Date().toISOString(), currency: 'YER', lines: [{ sku: 'X', quantity: 1, unitPrice: '10.00' }] };
      recorder.take();
      ok(await t.gql(SubmitTransactionDocument, { input }, till.credential));
      const submission = recorder.take().map((s) => headOf(s.text, 4));
      expect(await t.jobs.runner.runOne()).toBe(true);
      const statements = recorder.take().map((s) => headOf(s.text, 4));
      // from the job's transaction (the BEGIN before its "done" update): a manual run's claim, which
      // may take a webhook delivery, is a transaction of its own since webhook-14 (the loops' claim
      // of sales, in production, is one statement still), and was never counted
      const work = statements.findIndex((s) => s.startsWith('update job set status')) - 1;
      return { externalId: input.externalId, submission, statements: statements.slice(work) };
    };
    await submit(); // warm: first-use work (prepared statements, rules) is not per sale

    const { externalId, submission, statements } = await submit();
    // the submission: the till's key, then BEGIN, the sale's key claimed, the sale stored with its
    // job and the key's answer in one statement, COMMIT, and the workers' wake-up after it
    expect(submission.filter((s) => !s.startsWith('select pg_notify') && !s.includes('rate_limit'))).toHaveLength(5);
    const status = ok(await t.gql(TransactionStatusDocument, { externalId }, till.credential)).transaction!;
    expect(status).toMatchObject({ status: 'PROCESSED', pointsAwarded: 15 });
    const me = ok(await t.gql(ProfileDocument, {}, customer.token)).me!;
    expect(me.balances.find((b) => b.currency.code === currency)).toMatchObject({ available: 40, lifetimeEarned: 40 });
    expect(me.tier?.code).toBe(`${currency}_S`);
    // the first sale took the customer from nothing to G and then, crossing 20, to S: one move each, written down
    const moves = await t.sql<{ payload: { from: string | null; to: string | null } }>(
      `select e.payload from outbox_event e join customer c on c.id = e.customer_id where c.external_id = $1 and e.topic = 'TIER_CHANGED' order by e.id`,
      [customer.externalId],
    );
    expect(moves.map((m) => m.payload.to)).toEqual([`${currency}_G`, `${currency}_S`]);

    const count = (prefix: string) => statements.filter((s) => s.startsWith(prefix)).length;
    expect(count('select id, customer_id as')).toBe(1); // the account's row lock
    expect(count('select * from (')).toBe(1); // what is due on it
    expect(count('with target as (')).toBe(1); // the tier placed
    expect(statements.at(-1)).toBe('commit');
    // BEGIN, the job done, the sale's locks, what it earns from (customer, first purchase, applied
    // offers, rules, campaigns: one statement), the account's lock, the tier, what is due, two
    // credits, the tier placed, PROCESSED with its event, its awards and counts, COMMIT (till-13:
    // the awards were a statement of their own)
    expect(count('insert into transaction_award')).toBe(0);
    expect(statements.length).toBeLessThanOrEqual(12);
  });
  it("a return of two credits and an offer: the account locked once and written down once, the offer locked once, the sale read once (edges-12)", async () => {
    // The return locked the customer's accounts (lockAccounts), then each points award locked its
    // account again and wrote it down, and reverseCredits locked and wrote it down once more: five
    // account locks and four write-downs for a sale of two credits, where one of each does. It
    // locked the awarded offers, then locked and read each again to void it, and read the sale
    // again after marking it REVERSED.
    const currency = unique('RETQ').toUpperCase().replace(/[^A-Z0-9_]/g, '_').slice(0, 20);
    ok(await t.gql(`mutation { createCurrency(input: { code: "${currency}", name: "q", expiryDays: 365, pointValue: "0.01", moneyCurrency: "ZAR" }) { userErrors { code } } }`, {}, t.operatorToken));
    ok(await t.gql(SetEconomyRuleDocument, { input: { currency, pointsPerUnit: '1' } }, t.operatorToken));
    const window = { startsAt: new Date(Date.now() - DAY).toISOString(), endsAt: new Date(Date.now() + DAY).toISOString() };
    ok(await t.gql(CreateCampaignDocument, { input: { name: 'Always', currency, ...window, outcome: { bonusPoints: 5 } } }, t.operatorToken));
    const gift = await createOffer(t);
    ok(await t.gql(CreateCampaignDocument, { input: { name: 'A gift', currency, ...window, outcome: { offerId: gift.id } } }, t.operatorToken));
    await createTier(t, { currency, code: `${currency}_G`, rank: 3, threshold: 1 }); // not 0: the first case's threshold-0 tier ranks lowest (break36b)
    await createTier(t, { currency, code: `${currency}_S`, rank: 4, threshold: 20 });
    const till = await createPartner(t, ['transactions:write', 'transactions:read']);
    const customer = await createCustomer(t, currency, 10);
    const sold = async () => {
      const input = { externalId: unique('sale'), customerExternalId: customer.externalId, occurredAt: new Date().toISOString(), currency: 'ZAR', lines: [{ sku: 'X', quantity: 1, unitPrice: '10.00' }] };
      ok(await t.gql(SubmitTransactionDocument, { input }, till.credential));
      expect(await t.jobs.runner.runOne()).toBe(true);
      return input.externalId;
    };
    const reversed = async (externalId: string) => {
      recorder.take();
      expect(ok(await t.gql(ReverseTransactionDocument, { externalId, reason: 'returned' }, till.credential)).reverseTransaction.userErrors).toEqual([]);
      const sent = recorder.take().map((s) => s.text);
      return sent.slice(sent.findIndex((s) => /^begin/i.test(s.trim())));
    };
    await reversed(await sold()); // warm
    const first = await sold();
    expect((await t.gql(ProfileDocument, {}, customer.token)).data!.me!.balances.find((b) => b.currency.code === currency)).toMatchObject({ available: 25 });
    const full = await reversed(first);
    const statements = full.map((s) => headOf(s, 4));
    const me = ok(await t.gql(ProfileDocument, {}, customer.token)).me!;
    expect(me.balances.find((b) => b.currency.code === currency)).toMatchObject({ available: 10, lifetimeEarned: 10 });
    expect(me.tier?.code).toBe(`${currency}_G`);
    expect(ok(await t.gql(TransactionStatusDocument, { externalId: first }, till.credential)).transaction).toMatchObject({ status: 'REVERSED' });
    expect(await t.sql(`select io.status from issued_offer io join customer c on c.id = io.customer_id where c.external_id = $1 order by io.id`, [customer.externalId])).toEqual([
      { status: 'VOIDED' },
      { status: 'VOIDED' },
    ]);
    const count = (prefix: string) => statements.filter((s) => s.startsWith(prefix)).length;
    const matching = (pattern: RegExp) => full.filter((s) => pattern.test(s)).length;
    expect({
      accountLocks: count('select id, customer_id as'),
      writeDowns: count('select * from ('),
      offerLocks: matching(/from issued_offer[\s\S]*for update/i),
      saleReads: matching(/^\s*select[\s\S]*from sales_transaction/i),
    }).toEqual({ accountLocks: 1, writeDowns: 1, offerLocks: 1, saleReads: 1 });
    expect(statements.at(-1)).toBe('commit');
  });
});
