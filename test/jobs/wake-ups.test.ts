import { SubmitTransactionDocument, TransactionStatusDocument } from '../generated/graphql.js';
import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCustomer, createPartner, earningProgram, eventually, unique } from '../support/program.js';

/**
 * Job loops sleep until a NOTIFY wakes them or their poll (JOB_POLL_MS) comes. Hostile pass 9: when
 * the LISTEN connection that receives the wake-ups dropped (a failover, pg_terminate_backend), the
 * runner logged "polling" and never listened again, so until the gateway restarted every sale
 * waited for the next poll to be processed. Here the poll is ten minutes, so only a wake-up can
 * get a sale processed within the test.
 */
describe('job wake-ups after the LISTEN connection drops', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'background', jobPollMs: 600_000 });
  });
  afterAll(() => t.close());

  it('a sale submitted after the wake-up connection was terminated is processed without waiting for the poll', async () => {
    const { money, currency } = await earningProgram(t, 'WU');
    const till = await createPartner(t, ['transactions:write', 'transactions:read']);
    const customer = await createCustomer(t, currency);
    const processed = async () => {
      const externalId = unique('sale');
      const input = { externalId, customerExternalId: customer.externalId, occurredAt: t.clock.now().toISOString(), currency: money, lines: [{ sku: 'A', quantity: 1, unitPrice: '1.00' }] };
      ok(await t.gql(SubmitTransactionDocument, { input }, till.credential));
      await eventually(async () => ok(await t.gql(TransactionStatusDocument, { externalId }, till.credential)).transaction?.status === 'PROCESSED');
    };
    await processed(); // the control: woken by its NOTIFY
    const listening = `select pid from pg_stat_activity where datname = current_database() and query ilike 'listen reward_gateway_jobs%'`;
    const [{ pid }] = await t.sql<{ pid: number }>(listening);
    await t.sql(`select pg_terminate_backend($1)`, [pid]);
    await eventually(async () => (await t.sql<{ pid: number }>(listening)).every((r) => r.pid !== pid));
    await processed();
    await processed();
  });
});
