import { LockOfferDocument, PurchaseOfferDocument, RedeemOfferDocument, ReleaseOfferDocument, ReverseTransactionDocument, SubmitTransactionDocument, WalletDocument } from '../generated/graphql.js';
import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { startOldGateway, postTo, type OldGateway } from '../support/old-gateway.js';
import { createCustomer, createPartner, earningProgram, simpleShop, unique } from '../support/program.js';

/**
 * break35-instances (rolling upgrade, the README's own example): README "Running several instances"
 * says "Older instances go on serving while a newer one migrates (a rolling upgrade; from the build
 * of 30 November, d4ae9bd, to this one its queries, purchases and till sales went on unchanged)".
 * An instance on d4ae9bd, left serving on the database this build migrated: purchases, locks,
 * redemptions, releases, a sale and a customer edit through it all work; a till's return
 * (reverseTransaction) of a sale that earned points is INTERNAL_SERVER_ERROR — its log: null value in
 * column "recorded_at" of relation "qualifying_adjustment" violates not-null constraint
 * (Migration20261205030000 made the column NOT NULL with no default). The same fault as
 * break35-instances-rolling-return.test.ts, from the build the README names; fixed by
 * Migration20261205050000 (the column defaults to the transaction's time).
 */
const OLD = process.env.BREAK35_OLD ?? 'd4ae9bd';

describe(`rolling upgrade: an instance on ${OLD} left serving on the migrated database (break35-instances)`, () => {
  let t: TestGateway;
  let old: OldGateway | undefined;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    old = await startOldGateway(OLD, t.databaseUrl, { TEST_LOG_LEVEL: 'error' });
  }, 120_000);
  afterAll(async () => {
    await old?.terminate();
    await t?.close();
  });

  it('serves purchases, till locks, redemptions, sales, returns and customer edits', async () => {
    const report: Record<string, unknown> = {};
    const shop = await simpleShop(t);
    const till = await createPartner(t, ['offers:redeem', 'transactions:write', 'transactions:read', 'customers:read']);
    const customer = await createCustomer(t, shop.currency, 1000);
    const hashOf = async (doc: { toString(): string }) => (await t.register({ apiKey: till.apiKey }, doc.toString())).operations[0].id;
    const asTill = async (doc: { toString(): string }, variables: unknown) => (await postTo(old!.url, { extensions: { persistedQuery: { version: 1, sha256Hash: await hashOf(doc) } }, variables }, { 'x-api-key': till.apiKey })).body;
    const asCustomer = async (doc: { toString(): string }, variables: unknown) => (await postTo(old!.url, { query: doc.toString(), variables }, { authorization: `Bearer ${customer.token}` })).body;
    for (let i = 0; i < 3; i++) report[`purchase${i}`] = await asCustomer(PurchaseOfferDocument, { listingId: shop.listing.id, idempotencyKey: unique('buy') });
    const codes = ok(await t.gql(WalletDocument, {}, customer.token)).me!.wallet.edges.map((e) => e.node.code);
    report.lock = await asTill(LockOfferDocument, { code: codes[0], lockId: 'b1', ttlSeconds: 60 });
    report.redeem = await asTill(RedeemOfferDocument, { code: codes[0], lockId: 'b1' });
    report.lock2 = await asTill(LockOfferDocument, { code: codes[1], lockId: 'b2', ttlSeconds: 60 });
    report.release = await asTill(ReleaseOfferDocument, { code: codes[1], lockId: 'b2' });
    report.redeemNoLock = await asTill(RedeemOfferDocument, { code: codes[2] });
    const { money, currency } = await earningProgram(t, 'SM', { expiryDays: null });
    const member = await createCustomer(t, currency);
    const externalId = unique('sale');
    report.sale = await asTill(SubmitTransactionDocument, { input: { externalId, customerExternalId: member.externalId, occurredAt: new Date().toISOString(), currency: money, lines: [{ sku: 'BEANS', category: 'COFFEE', quantity: 1, unitPrice: '10.00' }] } });
    await t.jobs.runner.runUntilIdle();
    report.reverse = await asTill(ReverseTransactionDocument, { externalId, reason: 'r' });
    report.upsert = (await postTo(old!.url, { query: `mutation($input: UpsertCustomerInput!) { upsertCustomer(input: $input) { customer { segments } userErrors { code } } }`, variables: { input: { externalId: member.externalId, segments: ['X'] } } }, { authorization: `Bearer ${t.operatorToken}` })).body;
    const errors = Object.entries(report).filter(([, v]) => (v as { errors?: unknown }).errors);
    expect(errors).toEqual([]);
  });
});
