import { AdjustPointsDocument, ProfileDocument, ReverseTransactionDocument } from '../generated/graphql.js';
import { type GqlResult, ledgerViolations, ok, startTestGateway, tableSnapshot, type TestGateway } from '../support/gateway.js';
import { createPartner, earningProgram, processedSale, simpleShop, unique } from '../support/program.js';

const DAY = 86_400_000;

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

  describe('pending liability of a member who owes points', () => {
    it('pendingPoints/pendingLiability are what the release day moves into outstanding: the part that repays a debt first is not owed', async () => {
      t.clock.freeze();
      try {
        const { money, currency } = await earningProgram(t, 'H8D', { expiryDays: 365, pendingDays: 14 });
        const till = await createPartner(t, ['transactions:write', 'transactions:read']);
        const externalId = unique('debtor');
        ok(await t.gql(`mutation($input: UpsertCustomerInput!) { upsertCustomer(input: $input) { userErrors { code } } }`, { input: { externalId } }, t.operatorToken));
        const liability = async () => {
          const now = t.clock.now().getTime();
          const res = ok(
            await t.gql<any, unknown>(
              `query($currency: String!, $from: DateTime!, $to: DateTime!) {
                programStats(currency: $currency, from: $from, to: $to) { outstandingPoints outstandingLiability pendingPoints pendingLiability }
              }`,
              { currency, from: new Date(now - 60 * DAY).toISOString(), to: new Date(now + DAY).toISOString() },
              t.analystToken,
            ),
          );
          return res.programStats;
        };
        const balance = async () => {
          const me = ok(await t.gql(ProfileDocument, {}, await t.customerToken(externalId))).me!;
          return me.balances.find((b) => b.currency.code === currency);
        };

        // 100 points earned, released after 14 days, spent; then the sale is returned: the member owes 100.
        const first = await processedSale(t, till, externalId, money, 10);
        t.clock.advance(14 * DAY);
        ok(await t.gql(AdjustPointsDocument, { input: { customerExternalId: externalId, currency, amount: -100, reason: 'spent', idempotencyKey: unique('k') } }, t.operatorToken));
        expect(ok(await t.gql(ReverseTransactionDocument, { externalId: first, reason: 'returned' }, till.credential)).reverseTransaction.userErrors).toEqual([]);
        expect(await liability()).toEqual({ outstandingPoints: 0, outstandingLiability: '0.00', pendingPoints: 0, pendingLiability: '0.00' });

        // 150 more pending: on their day, 100 repay the debt and 50 become spendable.
        await processedSale(t, till, externalId, money, 15);
        expect(await balance()).toMatchObject({ available: 0, pending: 150 });
        expect(await liability()).toEqual({ outstandingPoints: 0, outstandingLiability: '0.00', pendingPoints: 50, pendingLiability: '0.50' });
        t.clock.advance(14 * DAY);
        expect(await balance()).toMatchObject({ available: 50, pending: 0 });
        expect(await liability()).toEqual({ outstandingPoints: 50, outstandingLiability: '0.50', pendingPoints: 0, pendingLiability: '0.00' });
        await t.runScheduled();
        expect(await liability()).toEqual({ outstandingPoints: 50, outstandingLiability: '0.50', pendingPoints: 0, pendingLiability: '0.00' });
      } finally {
        t.clock.reset();
      }
    });
  });
});
