import { type GqlResult, ledgerViolations, ok, startTestGateway, tableSnapshot, type TestGateway } from '../support/gateway.js';
import { simpleShop } from '../support/program.js';

/**
 * Hostile pass 8 on what main gained with edges-input, birthday-batches and pending-liability:
 * through the HTTP API, as a client sees it (codes, messages, balances, nothing stored).
 */
describe('hostile pass 8', () => {
  let t: TestGateway;
  let shop: Awaited<ReturnType<typeof simpleShop>>;

  beforeAll(async () => {
    t = await startTestGateway();
    shop = await simpleShop(t);
  });
  afterAll(async () => {
    expect(await ledgerViolations(t)).toEqual([]);
    await t.close();
  });

  /** An operator's mutation with `input`, read by shape. */
  const staff = (query: string, input: Record<string, unknown>) => t.gql<any, unknown>(query, { input }, t.operatorToken);

  async function refusedAtTheEdge(request: () => Promise<GqlResult<unknown>>, field: string, message: RegExp) {
    const before = await tableSnapshot(t);
    const res = await request();
    expect(res.errors?.map((e) => ({ code: e.extensions?.code, field: e.extensions?.field }))).toEqual([{ code: 'BAD_USER_INPUT', field }]);
    expect(res.errors![0].message).toMatch(message);
    expect(await tableSnapshot(t)).toEqual(before);
  }

  describe('text that shows nothing, by characters edges-input did not count as invisible', () => {
    const BLANK: [string, string][] = [
      ['the Braille pattern blank U+2800 (a symbol drawn as an empty cell)', '\u2800\u2800'],
      ['C0 control characters', '\u0001\u001b'],
      ['DEL and C1 control characters', '\u007f\u0080\u009b'],
      ['the musical null notehead U+1D159 (drawn as nothing)', '\u{1D159}'],
      ['a mix with white space and format characters', ' \u2800\u200b\u0007 '],
    ];
    it.each(BLANK)('an offer name of %s is BAD_USER_INPUT "name must not be blank", nothing written', async (_what, name) => {
      await refusedAtTheEdge(
        () => staff(`mutation($input: CreateOfferInput!) { createOffer(input: $input) { userErrors { code } } }`, { name, benefit: { kind: 'FREE_ITEM', freeSku: 'M' } }),
        'name',
        /^name must not be blank/,
      );
    });

    it.each(BLANK)("a campaign's SKU list with an entry of %s is BAD_USER_INPUT naming the list, nothing written", async (_what, sku) => {
      await refusedAtTheEdge(
        () =>
          staff(`mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { userErrors { code } } }`, {
            name: 'campaign',
            currency: shop.currency,
            startsAt: '2026-01-01T00:00:00Z',
            endsAt: '2027-01-01T00:00:00Z',
            outcome: { bonusPoints: 1 },
            conditions: { skus: ['LATTE', sku] },
          }),
        'conditions.skus',
        /^conditions\.skus must not have a blank entry/,
      );
    });

    it('visible text next to them is still taken as sent (a Braille word, a control character inside a name)', async () => {
      for (const name of ['\u2803\u2817\u2800\u2801', 'Caf\u00e9\u0007']) {
        const res = await staff(`mutation($input: CreateOfferInput!) { createOffer(input: $input) { offer { name } userErrors { code } } }`, { name, benefit: { kind: 'FREE_ITEM', freeSku: 'M' } });
        expect(ok(res)).toEqual({ createOffer: { offer: { name }, userErrors: [] } });
      }
    });
  });

});
