import { AdjustPointsDocument, UpsertCustomerDocument } from '../generated/graphql.js';
import { ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { holdLocks } from '../support/locks.js';
import { createCustomer, createPartner, earningProgram, unique } from '../support/program.js';

const SUBMIT = `mutation Submit($input: SubmitTransactionInput!) { submitTransaction(input: $input) { transaction { status } userErrors { code } } }`;

/**
 * A customer closed while their sale is being processed (hostile pass 8 found the race for
 * activities; the sale had it too): the close either waits for the sale, which then earned before
 * the account closed, or the sale reads CLOSED and earns nothing. Never a close that commits while
 * the sale, having read ACTIVE, goes on to credit the closed account.
 */
describe('a sale and a close of its customer at once', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
  });
  afterAll(() => t.close());

  it('the close waits for the sale being processed (which read the customer ACTIVE), so no closed account earns', async () => {
    const { money, currency } = await earningProgram(t, 'S');
    const till = await createPartner(t, ['transactions:write', 'transactions:read']);
    await t.register(till.credential, SUBMIT);
    const customer = await createCustomer(t, currency);
    ok(await t.gql(AdjustPointsDocument, { input: { customerExternalId: customer.externalId, currency, amount: 1, reason: 'an account to lock', idempotencyKey: unique('k') } }, t.operatorToken));
    const externalId = unique('sale');
    const input = { externalId, customerExternalId: customer.externalId, occurredAt: t.clock.now().toISOString(), currency: money, lines: [{ sku: 'BEANS', quantity: 1, unitPrice: '5.00' }] };
    expect(ok(await t.gql(SUBMIT, { input }, till.credential))).toEqual({ submitTransaction: { transaction: { status: 'RECEIVED' }, userErrors: [] } });

    // The sale's processing reads the customer (ACTIVE), then waits for the account, held here (a purchase in flight, say).
    const held = await holdLocks(t, `select a.id from point_account a join customer c on c.id = a.customer_id where c.external_id = $1 for update of a`, [customer.externalId]);
    try {
      const processing = t.jobs.runner.runUntilIdle();
      await held.blocking(1);
      // Staff close the account meanwhile.
      let closed = false;
      const closing = t.gql(UpsertCustomerDocument, { input: { externalId: customer.externalId, status: 'CLOSED' } }, t.operatorToken).then((res) => {
        closed = true;
        return res;
      });
      // Either the close is done, or it waits for a lock (the status lock the sale holds): whichever comes first.
      const waiting = async () => Number((await t.sql<{ n: string }>(`select count(*) as n from pg_locks where locktype = 'advisory' and not granted`))[0].n) > 0;
      for (let i = 0; i < 500 && !closed && !(await waiting()); i++) await new Promise((resolve) => setTimeout(resolve, 20));
      const closedWhileTheSaleWaited = closed;
      await held.commit();
      await processing;
      ok(await closing);

      const [sale] = await t.sql<{ status: string; points_awarded: number }>(`select status, points_awarded from sales_transaction where external_id = $1`, [externalId]);
      const [account] = await t.sql<{ available: number }>(
        `select a.available from point_account a join customer c on c.id = a.customer_id where c.external_id = $1`,
        [customer.externalId],
      );
      // The close did not get past the sale: the sale earned (50 points, at 10 a unit) before the account closed.
      expect(closedWhileTheSaleWaited).toBe(false);
      expect({ status: sale.status, points: Number(sale.points_awarded), available: Number(account.available) }).toEqual({ status: 'PROCESSED', points: 50, available: 51 });
      expect((await t.sql<{ status: string }>(`select status from customer where external_id = $1`, [customer.externalId]))[0].status).toBe('CLOSED');
      expect(await ledgerViolations(t)).toEqual([]);
    } finally {
      await held.end().catch(() => undefined);
    }
  });
});
