import pg from 'pg';
import { PurchaseOfferDocument, SetEconomyRuleDocument, SubmitTransactionDocument, TransactionStatusDocument } from '../generated/graphql.js';
import { dataOf, ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { addListing, createCustomer, createOffer, createPartner, createStore, eventually, unique } from '../support/program.js';

const REVERSE = `mutation($externalId: String!) {
  reverseTransaction(input: { externalId: $externalId }) { transaction { status } pointsReversed pointsOwed userErrors { code } }
}`;
type Reversed = { reverseTransaction: { transaction: { status: string } | null; pointsReversed: number; pointsOwed: number; userErrors: { code: string }[] } };

/** Purchases against everything else that writes the same customer's points at the same time. */
describe('purchases racing other writers of the same customer', () => {
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

  let programs = 0;
  /** Two point currencies (codes in that order) both earning 10 per unit of one money currency. */
  async function twoCurrencyProgram() {
    const n = programs++;
    const money = `H${String.fromCharCode(65 + n)}${String.fromCharCode(65 + n)}`;
    const codes = [`${money}_A`, `${money}_B`];
    for (const code of codes) {
      ok(
        await t.gql(
          `mutation($input: CreateCurrencyInput!) { createCurrency(input: $input) { currency { code } userErrors { code } } }`,
          { input: { code, name: code, expiryDays: 365, pointValue: '0.01', moneyCurrency: money } },
          t.operatorToken,
        ),
      );
      ok(await t.gql(SetEconomyRuleDocument, { input: { currency: code, pointsPerUnit: '10', rounding: 'FLOOR' } as never }, t.operatorToken));
    }
    return { money, codes };
  }

  async function sale(money: string, customerExternalId: string, amount: number) {
    const externalId = unique('sale');
    const input = {
      externalId,
      customerExternalId,
      occurredAt: t.clock.now().toISOString(),
      currency: money,
      lines: [{ sku: 'BEANS', category: 'RETAIL', quantity: 1, unitPrice: amount.toFixed(2) }],
    };
    ok(await t.gql(SubmitTransactionDocument, { input }, till.credential));
    await eventually(async () => (await t.gql(TransactionStatusDocument, { externalId }, till.credential)).data?.transaction?.status === 'PROCESSED');
    return externalId;
  }

  /** A currency-B listing, and a purchase of it by `token` that has locked its account and waits on the listing's row, which another basket holds. */
  async function purchaseHeldAtTheListing(currency: string, token: string) {
    const store = await createStore(t, currency);
    const listing = await addListing(t, store.id, (await createOffer(t)).id, { priceInPoints: 30, stock: 10 });
    const listingId = Number(Buffer.from(listing.id, 'base64url').toString().split(':')[1]);
    const blocker = new pg.Client({ connectionString: t.databaseUrl });
    await blocker.connect();
    const [{ pid }] = (await blocker.query<{ pid: number }>('select pg_backend_pid() as pid')).rows;
    await blocker.query('begin');
    await blocker.query('select 1 from listing where id = $1 for no key update', [listingId]);
    const buying = t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: unique('buy') }, token);
    await eventually(async () => {
      const [row] = await t.sql<{ n: string }>(
        `select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and $1 = any(pg_blocking_pids(pid))`,
        [pid],
      );
      return Number(row.n) === 1;
    });
    return {
      buying,
      /** Once `waiters` sessions wait on a lock, lets the purchase go on. */
      async release(waiters: number) {
        await eventually(async () => {
          const [row] = await t.sql<{ n: string }>(`select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`);
          return Number(row.n) === waiters;
        });
        await blocker.query('commit');
        await blocker.end();
      },
    };
  }

  // The purchase holds the second currency's account and records its events last; a writer that
  // took the first currency's account and recorded its event (the customer's event stream) then
  // wanted the second account: a deadlock, one of the two failing (PostgreSQL 40P01).
  it('a return taking back points in two currencies and a purchase in the second both go through', async () => {
    const { money, codes } = await twoCurrencyProgram();
    const customer = await createCustomer(t, codes[1]);
    await sale(money, customer.externalId, 10); // 100 of each currency
    const returned = await sale(money, customer.externalId, 5); // 50 of each, returned below
    const held = await purchaseHeldAtTheListing(codes[1], customer.token);
    const returning = t.gql<Reversed, { externalId: string }>(REVERSE, { externalId: returned }, till.credential);
    await held.release(2);
    const [bought, reversed] = await Promise.all([held.buying, returning]);
    expect(dataOf(bought).purchaseOffer).toMatchObject({ userErrors: [], balance: { available: 120 } });
    expect(ok(reversed).reverseTransaction).toMatchObject({ transaction: { status: 'REVERSED' }, pointsReversed: 100 });
  });

  it('a sale earning in two currencies is processed at its first attempt while a purchase in the second goes through', async () => {
    const { money, codes } = await twoCurrencyProgram();
    const customer = await createCustomer(t, codes[1]);
    await sale(money, customer.externalId, 10);
    const held = await purchaseHeldAtTheListing(codes[1], customer.token);
    const externalId = unique('sale');
    const input = {
      externalId,
      customerExternalId: customer.externalId,
      occurredAt: t.clock.now().toISOString(),
      currency: money,
      lines: [{ sku: 'BEANS', category: 'RETAIL', quantity: 1, unitPrice: '5.00' }],
    };
    ok(await t.gql(SubmitTransactionDocument, { input }, till.credential));
    await held.release(2);
    expect(dataOf(await held.buying).purchaseOffer).toMatchObject({ userErrors: [], balance: { available: 70 } });
    await eventually(async () => (await t.gql(TransactionStatusDocument, { externalId }, till.credential)).data?.transaction?.status === 'PROCESSED');
    const jobs = await t.sql(`select attempts, last_error from job where kind = 'transaction.process' and payload->>'transactionId' = (
        select id::text from sales_transaction where external_id = $1)`, [externalId]);
    expect(jobs).toEqual([{ attempts: 1, last_error: null }]);
    const profile = await t.sql<{ currency_code: string; available: number }>(
      `select a.currency_code, a.available from point_account a join customer c on c.id = a.customer_id where c.external_id = $1 order by 1`,
      [customer.externalId],
    );
    expect(profile).toEqual([
      { currency_code: codes[0], available: 150 },
      { currency_code: codes[1], available: 120 },
    ]);
  });
});
