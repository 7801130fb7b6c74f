import { AdjustPointsDocument, ProfileDocument, SubmitTransactionDocument, TransactionStatusDocument } from '../generated/graphql.js';
import { ledgerViolations, ok, startTestGateway, TEST_SQL_APPLICATION, type GqlResult, type TestGateway } from '../support/gateway.js';
import { answered, holdLocks } from '../support/locks.js';
import { createCustomer, createPartner, earningProgram, eventually, unique } from '../support/program.js';
import { holdAnswers } from '../support/statements.js';

const POOL = 2;

/** What a user sees of an answer the database could not serve: status, Retry-After, and each error's code. */
const unavailable = (res: GqlResult<unknown>) => ({ status: res.status, retryAfter: res.headers.get('retry-after'), codes: res.errors?.map((e) => e.extensions?.code) });
const SERVICE_UNAVAILABLE = { status: 503, retryAfter: '2', codes: ['SERVICE_UNAVAILABLE'] };

/**
 * A database connection that dies inside a transaction (a failover, an operator's
 * pg_terminate_backend, a proxy's idle timeout) costs the request or job it served, and nothing
 * more. Hostile pass 9: kysely's ROLLBACK on the dead connection failed, and it then never handed
 * the connection back to the pool; after as many such deaths as the pool has connections
 * (DB_POOL_MAX), every request waited for a connection for ever, and the gateway could not stop
 * (closing the pool waits for every connection to come back).
 */
describe('a connection terminated in the middle of a transaction', () => {
  let t: TestGateway;
  let till: Awaited<ReturnType<typeof createPartner>>;

  beforeAll(async () => {
    t = await startTestGateway({ DB_POOL_MAX: String(POOL) }, { jobs: 'manual' });
    till = await createPartner(t, ['transactions:write', 'transactions:read']);
  });
  afterAll(async () => {
    expect(await ledgerViolations(t)).toEqual([]);
    // Closing the pool waits for every connection to come back: a leaked one stops the gateway from stopping.
    await answered(t.close());
  });

  /** Terminates the gateway's one session that waits on a lock (the request or job held below). */
  const terminateTheWaiter = async () => {
    const [{ pid }] = await eventually(async () => {
      const rows = await t.sql<{ pid: number }>(`select pid from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`);
      return rows.length === 1 && rows;
    });
    await t.sql(`select pg_terminate_backend($1)`, [pid]);
  };

  /** The customer's point account's id in `currency` (to hold its row lock from the test). */
  const accountOf = async (externalId: string, currency: string) =>
    (await t.sql<{ id: number }>(`select a.id from point_account a join customer c on c.id = a.customer_id where c.external_id = $1 and a.currency_code = $2`, [externalId, currency]))[0].id;

  const adjust = (externalId: string, currency: string, idempotencyKey: string) =>
    t.gql(AdjustPointsDocument, { input: { customerExternalId: externalId, currency, amount: 5, reason: 'goodwill', idempotencyKey } }, t.operatorToken);

  it('an adjustment whose connection dies is an internal error that wrote nothing; twice the pool size of them later, the same key still adjusts, once', async () => {
    const { currency } = await earningProgram(t, 'CL');
    const customer = await createCustomer(t, currency, 10);
    const account = await accountOf(customer.externalId, currency);
    const key = unique('adj');
    for (let i = 0; i < 2 * POOL; i++) {
      const held = await holdLocks(t, 'select 1 from point_account where id = $1 for update', [account]);
      const adjusting = adjust(customer.externalId, currency, key);
      await terminateTheWaiter();
      const res: GqlResult<unknown> = await answered(adjusting);
      expect(res.errors?.map((e) => [e.message, e.extensions?.code])).toEqual([['Internal server error', 'INTERNAL_SERVER_ERROR']]);
      await held.commit();
      await held.end();
    }
    expect(ok(await answered(adjust(customer.externalId, currency, key))).adjustPoints.entry).toMatchObject({ amount: 5, balanceAfter: 15 });
    expect(ok(await answered(adjust(customer.externalId, currency, key))).adjustPoints.entry).toMatchObject({ amount: 5, balanceAfter: 15 });
    expect(ok(await t.gql(ProfileDocument, {}, customer.token)).me!.balances[0].available).toBe(15);
  });

  it('an adjustment whose pooled connection was terminated before its BEGIN is 503 SERVICE_UNAVAILABLE with Retry-After (nothing of it ran); twice the pool size of them later, the gateway still adjusts, and stops', async () => {
    // A connection idle in the pool whose session the server ended, lent before the pool heard
    // (hostile-12c's test met it after terminating every session of the gateway): its BEGIN fails,
    // and kysely handed the connection back to no one (hang-12).
    const { currency } = await earningProgram(t, 'CB');
    const customer = await createCustomer(t, currency, 10);
    for (let i = 0; i < 2 * POOL; i++) {
      const held = holdAnswers((text) => text === 'begin', 'statement');
      const adjusting = adjust(customer.externalId, currency, unique('adj'));
      // Before hang-12, the third BEGIN never came: both connections were held by no one.
      await answered(held.reached);
      await t.sql(`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and application_name <> $1`, [TEST_SQL_APPLICATION]);
      held.release();
      const res: GqlResult<unknown> = await answered(adjusting);
      // Before begin-503 an INTERNAL_SERVER_ERROR (200), which tells a client nothing about retrying.
      expect(unavailable(res)).toEqual(SERVICE_UNAVAILABLE);
    }
    expect(ok(await answered(adjust(customer.externalId, currency, unique('adj')))).adjustPoints.entry).toMatchObject({ amount: 5, balanceAfter: 15 });
    expect(ok(await t.gql(ProfileDocument, {}, customer.token)).me!.balances[0].available).toBe(15);
  });

  it("a sale whose processing job loses its connection is processed once on the job's next attempt, and the pool still serves after as many losses as it has connections", async () => {
    const { money, currency } = await earningProgram(t, 'CJ');
    const customer = await createCustomer(t, currency, 10);
    const account = await accountOf(customer.externalId, currency);
    const sales: string[] = [];
    for (let i = 0; i < 2 * POOL; i++) {
      const externalId = unique('sale');
      sales.push(externalId);
      const input = { externalId, customerExternalId: customer.externalId, occurredAt: t.clock.now().toISOString(), currency: money, lines: [{ sku: 'A', quantity: 1, unitPrice: '1.00' }] };
      ok(await answered(t.gql(SubmitTransactionDocument, { input }, till.credential)));
      const held = await holdLocks(t, 'select 1 from point_account where id = $1 for update', [account]);
      const running = t.jobs.runner.runOne();
      await terminateTheWaiter();
      await answered(running);
      await held.commit();
      await held.end();
    }
    t.clock.advance(3_600_000); // past every retry's backoff
    await answered(t.jobs.runner.runUntilIdle());
    for (const externalId of sales) {
      expect(ok(await answered(t.gql(TransactionStatusDocument, { externalId }, till.credential))).transaction).toMatchObject({ status: 'PROCESSED', pointsAwarded: 10 });
    }
    expect(ok(await t.gql(ProfileDocument, {}, customer.token)).me!.balances[0].available).toBe(10 + 10 * sales.length);
  });
});
