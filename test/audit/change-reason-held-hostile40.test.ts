import { dataOf, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCurrency, createCustomer, createStore, uniqueCode } from '../support/program.js';

/**
 * hostile40, reason-40's claim that held: a reason is kept only with a change that was written.
 * A change refused, a dry run, and a change of nothing (an edit to what the store already is)
 * leave no audit entry, whatever reason they carried. Real gateway and PostgreSQL, the log read as
 * the console reads it.
 */

type Payload = { userErrors: { code: string }[] } & Record<string, unknown>;

describe('a reason without a change writes nothing (hostile40)', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
  });
  afterAll(() => t?.close());

  const send = async (field: string, inputType: string, input: Record<string, unknown>, select = '') =>
    dataOf(await t.gql<Record<string, Payload>, unknown>(`mutation($input: ${inputType}!) { ${field}(input: $input) { ${select} userErrors { code } } }`, { input }, t.operatorToken))[field];
  const reasons = async () =>
    dataOf(await t.gql<{ auditLog: { edges: { node: { reason: string | null } }[] } }, unknown>(`{ auditLog(first: 100) { edges { node { reason } } } }`, {}, t.operatorToken)).auditLog.edges
      .map((e) => e.node.reason)
      .filter((r) => r?.startsWith('hostile40'));

  it('refused, dry run, or no change: no entry holds the reason', async () => {
    const currency = uniqueCode('H40R');
    await createCurrency(t, currency);
    const customer = await createCustomer(t, currency);
    const store = await createStore(t, currency);
    const answers = await Promise.all([
      send('upsertCustomer', 'UpsertCustomerInput', { externalId: customer.externalId, status: 'SUSPENDED', expectedVersion: 99, reason: 'hostile40 refused' }),
      send('updateRewardStore', 'UpdateRewardStoreInput', { storeId: store.id, eligibility: { minBalance: 1000 }, dryRun: true, reason: 'hostile40 store dry run' }, 'changed'),
      send('createTier', 'CreateTierInput', { currency, code: uniqueCode('H40T'), name: 'Gold', rank: 1, threshold: 10, dryRun: true, reason: 'hostile40 tier dry run' }, 'dryRun'),
      send('updateRewardStore', 'UpdateRewardStoreInput', { storeId: store.id, name: store.name, reason: 'hostile40 no change' }, 'changed'),
    ]);
    expect(answers.map((a) => a.userErrors.map((e) => e.code))).toEqual([['VERSION_CONFLICT'], [], [], []]);
    expect(await reasons()).toEqual([]);
  });
});
