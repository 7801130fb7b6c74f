import { ReverseTransactionDocument, TransactionStatusDocument } from '../generated/graphql.js';
import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { postTo, stageRollingUpgrade, type OldGateway } from '../support/old-gateway.js';
import { createCustomer, createPartner, earningProgram, submitSale } from '../support/program.js';

/**
 * break35-instances (rolling upgrade): README "Running several instances" promises "Older instances
 * go on serving while a newer one migrates (a rolling upgrade ...)". Migration20261205030000
 * (commit 5c0e8e7) adds `qualifying_adjustment.recorded_at` and sets it NOT NULL with no default.
 * The build just before it (5c0e8e7^) writes a return's tier correction without that column.
 *
 * What a till sees during the upgrade: the new instance has migrated; a return sent by the till
 * that the load balancer hands to an instance still on the previous build is answered with an
 * internal error (null value in column "recorded_at" violates not-null), for every sale that
 * earned qualifying points. The same return on the new instance works. Expected: the older
 * instance goes on serving returns, as the README promises.
 *
 * Fixed (Migration20261205050000): the column defaults to the transaction's time, so the old
 * build's correction is dated at its return, as this build dates its own.
 */
const OLD = '5c0e8e7^';

describe('rolling upgrade across Migration20261205030000: a return on the instance still on the old build (break35-instances)', () => {
  let t: TestGateway;
  let old: OldGateway | undefined;

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    // The database as the previous release left it (its newer migrations undone), the old instance
    // serving on it; then the new release's first instance migrates.
    const staged = await stageRollingUpgrade(t, OLD, 'Migration20261205013000', async () => {
      const [{ n }] = await t.sql<{ n: number }>(`select count(*)::int as n from information_schema.columns where table_name = 'qualifying_adjustment' and column_name = 'recorded_at'`);
      expect(n).toBe(0);
    });
    old = staged.old;
    expect(staged.applied).toEqual(staged.expected);
  }, 120_000);
  afterAll(async () => {
    await old?.terminate();
    await t?.close();
  });

  it('a till return that lands on the old instance is served, its tier correction dated at the return', async () => {
    const { money, currency } = await earningProgram(t, 'RU', { expiryDays: null });
    const till = await createPartner(t, ['transactions:read', 'transactions:write']);
    const customer = await createCustomer(t, currency);
    const viaOld = await submitSale(t, till, customer.externalId, money, 10);
    const viaNew = await submitSale(t, till, customer.externalId, money, 10);
    await t.jobs.runner.runUntilIdle();
    for (const externalId of [viaOld, viaNew]) {
      const sale = ok(await t.gql(TransactionStatusDocument, { externalId }, till.credential)).transaction!;
      expect([sale.status, sale.pointsAwarded]).toEqual(['PROCESSED', 100]);
    }
    // The till's return operation on its list (registered once, read by any instance from PostgreSQL).
    const manifest = await t.register({ apiKey: till.apiKey }, ReverseTransactionDocument.toString());
    const hash = manifest.operations[0].id;

    // control: the new instance takes the return
    const onNew = ok(await t.gql(ReverseTransactionDocument, { externalId: viaNew, reason: 'returned' }, till.credential));
    expect(onNew.reverseTransaction.userErrors).toEqual([]);

    // the same request for the other sale, answered by the instance still on the old build
    const onOld = await postTo(old!.url, { extensions: { persistedQuery: { version: 1, sha256Hash: hash } }, variables: { externalId: viaOld, reason: 'returned' } }, { 'x-api-key': till.apiKey });
    expect(onOld.body.errors ?? []).toEqual([]);
    expect(onOld.body.data?.reverseTransaction?.userErrors).toEqual([]);
    // recorded when the return was: the old build's reversal row's moment, within its transaction
    const rows = await t.sql<{ lag: number }>(
      `select abs(extract(epoch from q.recorded_at - x.created_at))::float8 as lag
         from sales_transaction s join transaction_award w on w.transaction_id = s.id
         join ledger_reversal x on x.credit_id = w.ledger_entry_id
         join qualifying_adjustment q on q.account_id = x.account_id and q.created_at = (select created_at from ledger_entry where id = x.credit_id)
        where s.external_id = $1`,
      [viaOld],
    );
    expect(rows.length).toBe(1);
    expect(rows[0].lag).toBeLessThan(1);
  });
});
