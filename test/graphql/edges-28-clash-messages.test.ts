import { dataOf, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCurrency, createStore, createTier, uniqueCode } from '../support/program.js';
import { CreateCurrencyDocument, CreateRewardStoreDocument, CreateTierDocument } from '../generated/graphql.js';

/**
 * edges-28: a create refused because another row holds its code or rank (ALREADY_EXISTS) names
 * what clashes, so the operator can tell whether it is the one meant: createTier with a tier's code
 * said "Tier GOLD already exists." (not its rank, threshold or currency), a store's code "A store
 * with code X already exists." (not which store), a currency's code "Currency X already exists."
 * (not which currency). The codes and fields are the contract's, unchanged. A real gateway and
 * PostgreSQL.
 */
describe('a clash names what holds the code or rank (edges-28)', () => {
  let t: TestGateway;
  const code = (prefix: string) => uniqueCode(prefix);

  beforeAll(async () => {
    t = await startTestGateway({});
  });
  afterAll(async () => {
    await t?.close();
  });

  type Refused = { userErrors: { code: string; field: string[] | null; message: string }[] };
  const errorsOf = (res: { data?: unknown; errors?: unknown }, field: string) => (dataOf(res as never) as Record<string, Refused>)[field].userErrors;

  it('createTier with a code another tier has names its rank, threshold and currency; with its rank, the same', async () => {
    const currency = code('TC');
    await createCurrency(t, currency);
    const gold = code('GOLD');
    await createTier(t, { currency, code: gold, rank: 41, threshold: 1500 });

    // the dry run (Preview) and the real request, as the console sends them
    for (const dryRun of [true, false]) {
      const byCode = await t.gql(CreateTierDocument, { input: { currency, code: gold, name: 'Again', rank: 42, threshold: 100, dryRun } }, t.operatorToken);
      expect(errorsOf(byCode, 'createTier')).toEqual([
        { code: 'ALREADY_EXISTS', field: ['input', 'code'], message: `Tier ${gold} already exists in ${currency} (rank 41, from 1,500 points): choose another code.` },
      ]);
      const byRank = await t.gql(CreateTierDocument, { input: { currency, code: code('OTHER'), name: 'Other', rank: 41, threshold: 100, dryRun } }, t.operatorToken);
      expect(errorsOf(byRank, 'createTier')).toEqual([
        {
          code: 'ALREADY_EXISTS',
          field: ['input', 'rank'],
          message: `Rank 41 is taken by tier ${gold} (${currency}, from 1,500 points): the program has one ladder, whatever the currency, so each tier needs a rank of its own.`,
        },
      ]);
    }
    expect(await t.sql('select code from tier where rank = 42')).toEqual([]);
  });

  it("createRewardStore with another store's code names that store and its currency", async () => {
    const currency = code('SC');
    await createCurrency(t, currency);
    const store = await createStore(t, currency, { name: 'Spring treats' });
    const again = await t.gql(CreateRewardStoreDocument, { input: { code: store.code, name: 'Summer treats', currency } }, t.operatorToken);
    expect(errorsOf(again, 'createRewardStore')).toEqual([
      { code: 'ALREADY_EXISTS', field: ['input', 'code'], message: `A store with code ${store.code} already exists: “Spring treats”, paid in ${currency}. Choose another code.` },
    ]);
  });

  it('createCurrency with a code another currency has names that currency and its point value', async () => {
    const currency = code('CC');
    await createCurrency(t, currency);
    const again = await t.gql(CreateCurrencyDocument, { input: { code: currency, name: 'Other', expiryDays: null, pointValue: '0.05', moneyCurrency: 'EUR' } }, t.operatorToken);
    expect(errorsOf(again, 'createCurrency')).toEqual([
      { code: 'ALREADY_EXISTS', field: ['input', 'code'], message: `Currency ${currency} already exists: “${currency}”, a point worth 0.01 EUR. Choose another code.` },
    ]);
  });
});
