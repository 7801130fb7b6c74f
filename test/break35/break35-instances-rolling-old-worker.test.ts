import { SetEconomyRuleDocument, TransactionStatusDocument } from '../generated/graphql.js';
import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { startOldGateway, type OldGateway } from '../support/old-gateway.js';
import { createCustomer, createPartner, submitSale, uniqueCode } from '../support/program.js';
import { waitFor } from '../support/ws.js';

/**
 * break35-instances (rolling upgrade, the README's own example): "Older instances go on serving while
 * a newer one migrates (a rolling upgrade; from the build of 30 November, d4ae9bd, to this one its
 * queries, purchases and till sales went on unchanged)" and docs/decisions.md (operator-17): "sales
 * submitted to either were PROCESSED by the shared job queue". They are processed — with the wrong
 * points. Since money-12 (Migration20261201121000, `sales_transaction.money_scale`) a sale's amounts
 * are stored in its money's minor units; the d4ae9bd worker, which claims the same
 * `transactions.process` jobs from the shared queue, reads them as cents.
 *
 * What a member sees during the upgrade: a ¥1,000 purchase at a till (1 point per yen) earns 10
 * points instead of 1,000 when the job lands on a not-yet-replaced instance's worker; a 1,000 KWD
 * sale (3 minor digits) earns 10,000 instead of 1,000. EUR (2 digits) happens to match. The
 * ledger keeps the wrong figure: nothing reprocesses a PROCESSED sale.
 * Expected: the same points whichever worker processed the sale (or old workers not claiming sales
 * they cannot read).
 *
 * Fixed: this build enqueues a sale's processing as `transaction.process.minor-units`, which the old
 * workers have no handler for and do not claim; this build's workers process that kind and the old
 * `transaction.process` (what older instances enqueue, and jobs queued before the upgrade) alike.
 */
const OLD = process.env.BREAK35_OLD ?? 'd4ae9bd';

describe(`rolling upgrade: the job workers of an instance on ${OLD} process sales the new build accepted (break35-instances)`, () => {
  let t: TestGateway;
  let old: OldGateway | undefined;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
  }, 120_000);
  afterAll(async () => {
    await old?.terminate();
    await t?.close();
  });

  for (const money of ['JPY', 'EUR', 'KWD']) {
    it(`a sale in ${money} is left by the old build's worker and earns its points from this build's, under either kind`, async () => {
      const currency = uniqueCode(`W${money}`);
      ok(
        await t.gql(
          `mutation($input: CreateCurrencyInput!) { createCurrency(input: $input) { currency { code } userErrors { code } } }`,
          { input: { code: currency, name: currency, expiryDays: null, pointValue: '0.01', moneyCurrency: money } },
          t.operatorToken,
        ),
      );
      ok(await t.gql(SetEconomyRuleDocument, { input: { currency, pointsPerUnit: '1', rounding: 'FLOOR' } as never }, t.operatorToken));
      const till = await createPartner(t, ['transactions:read', 'transactions:write']);
      const customer = await createCustomer(t, currency);
      const status = async (externalId: string) => ok(await t.gql(TransactionStatusDocument, { externalId }, till.credential)).transaction!;

      // only the old build's worker runs (the new instance's workers are idle): it leaves the sale
      old = await startOldGateway(OLD, t.databaseUrl, { TEST_LOG_LEVEL: 'error' }, { jobs: true });
      const [{ n: before }] = await t.sql<{ n: number }>(`select count(*)::int as n from job where status = 'DONE'`);
      const left = await submitSale(t, till, customer.externalId, money, 1000);
      // a job of the kind older instances enqueue, which the old worker does claim: it polls every 100 ms
      await t.sql(`insert into job (kind, payload, run_at, max_attempts, created_at) values ('wallet.sweep', '{}'::jsonb, now(), 1, now())`);
      await waitFor(async () => (await t.sql<{ n: number }>(`select count(*)::int as n from job where status = 'DONE'`))[0].n > before, 20_000, 'the old worker claimed a job');
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect((await status(left)).status).toBe('RECEIVED');
      await old.terminate();
      old = undefined;
      // a sale queued under the older kind (an older instance's, or queued before the upgrade)
      const queuedBefore = await submitSale(t, till, customer.externalId, money, 1000);
      await t.sql(`update job set kind = 'transaction.process' where payload->>'transactionId' = (select id::text from sales_transaction where external_id = $1)`, [queuedBefore]);
      await t.jobs.runner.runUntilIdle();
      const points = await Promise.all([left, queuedBefore].map(async (externalId) => {
        const sale = await status(externalId);
        return [sale.status, sale.pointsAwarded];
      }));
      expect(points).toEqual([['PROCESSED', 1000], ['PROCESSED', 1000]]);
    });
  }
});
