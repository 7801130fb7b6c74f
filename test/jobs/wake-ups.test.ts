import { SubmitTransactionDocument, TransactionStatusDocument } from '../generated/graphql.js';
import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCustomer, createPartner, earningProgram, eventually, unique } from '../support/program.js';
import { recordStatements } from '../support/statements.js';

/** Submits a sale at `till` and waits until its status is PROCESSED (a ten-minute poll never comes within a test). */
async function processedSale(t: TestGateway, till: { credential: { apiKey: string } }, customer: { externalId: string }, money: string): Promise<void> {
  const externalId = unique('sale');
  const input = { externalId, customerExternalId: customer.externalId, occurredAt: t.clock.now().toISOString(), currency: money, lines: [{ sku: 'A', quantity: 1, unitPrice: '1.00' }] };
  ok(await t.gql(SubmitTransactionDocument, { input }, till.credential));
  await eventually(async () => ok(await t.gql(TransactionStatusDocument, { externalId }, till.credential)).transaction?.status === 'PROCESSED');
}

/**
 * Job loops sleep until a NOTIFY wakes them or their poll (JOB_POLL_MS) comes. Hostile pass 9: when
 * the LISTEN connection that receives the wake-ups dropped (a failover, pg_terminate_backend), the
 * runner logged "polling" and never listened again, so until the gateway restarted every sale
 * waited for the next poll to be processed. Here the poll is ten minutes, so only a wake-up can
 * get a sale processed within the test. The gateway's own wake-ups go by NOTIFY here
 * (`jobLocalWakeUps: false`), as another instance's do: with its idle loops woken directly
 * (till-13) the test would pass without the LISTEN connection.
 */
describe('job wake-ups after the LISTEN connection drops', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'background', jobPollMs: 600_000, jobLocalWakeUps: false });
  });
  afterAll(() => t.close());

  it('a sale submitted after the wake-up connection was terminated is processed without waiting for the poll', async () => {
    const { money, currency } = await earningProgram(t, 'WU');
    const till = await createPartner(t, ['transactions:write', 'transactions:read']);
    const customer = await createCustomer(t, currency);
    await processedSale(t, till, customer, money); // the control: woken by its NOTIFY
    const listening = `select pid from pg_stat_activity where datname = current_database() and query ilike 'listen reward_gateway_jobs%'`;
    const [{ pid }] = await t.sql<{ pid: number }>(listening);
    await t.sql(`select pg_terminate_backend($1)`, [pid]);
    await eventually(async () => (await t.sql<{ pid: number }>(listening)).every((r) => r.pid !== pid));
    await processedSale(t, till, customer, money);
    await processedSale(t, till, customer, money);
  });
});

/**
 * till-13: a sale's wake-up was a NOTIFY of its own after its commit (a statement per sale), which
 * woke a loop on every instance, all but one of which then claimed nothing. An instance with a
 * loop idle now wakes that loop itself: the sale is processed as promptly (the poll is ten
 * minutes), with no NOTIFY sent.
 */
describe("job wake-ups within the instance that took the sale", () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'background', jobPollMs: 600_000 });
  });
  afterAll(() => t.close());

  it('an idle loop of the same instance is woken without a NOTIFY, and processes the sale at once', async () => {
    const { money, currency } = await earningProgram(t, 'WL');
    const till = await createPartner(t, ['transactions:write', 'transactions:read']);
    const customer = await createCustomer(t, currency);
    await processedSale(t, till, customer, money); // warm
    const recorder = recordStatements();
    try {
      for (let i = 0; i < 3; i++) await processedSale(t, till, customer, money);
      expect(recorder.take().filter((s) => /pg_notify/i.test(s.text))).toEqual([]);
    } finally {
      recorder.stop();
    }
  });
});
