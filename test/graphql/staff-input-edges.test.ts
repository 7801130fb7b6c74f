import {
  AdjustPointsDocument,
  CreateCampaignDocument,
  CreateCurrencyDocument,
  CreateOfferDocument,
  CreatePartnerDocument,
  CreateRewardStoreDocument,
  CreateTierDocument,
  UpdateOfferDocument,
  UpsertCustomerDocument,
} from '../generated/graphql.js';
import { type GqlResult, ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCustomer, createOffer, simpleShop, unique } from '../support/program.js';

/**
 * Hostile pass 6: values at the edge of money and text in the staff inputs. Each is refused at
 * the edge with its code and nothing written, or stored exactly as sent: never an internal error
 * from a CHECK constraint, never a value PostgreSQL's column rounds into another meaning (99.999 %
 * off stored as 100 %, a ×1.00001 campaign stored as ×1).
 */
describe('staff inputs at the edges of money, text and time', () => {
  let t: TestGateway;

  /** Every table's row count (but the rate limiter's): what a refused request must leave as it was. */
  const rowCounts = async () => {
    const tables = await t.sql<{ name: string }>(
      `select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'
        and table_name <> 'rate_limit_bucket' order by 1`,
    );
    const [row] = await t.sql<Record<string, number>>(`select ${tables.map(({ name }) => `(select count(*)::int from "${name}") as "${name}"`).join(', ')}`);
    return row;
  };

  /** Runs `request`, expects BAD_USER_INPUT naming `path` (and no internal error), and that nothing was written. */
  async function refusedAtTheEdge(request: () => Promise<GqlResult<unknown>>, path: RegExp) {
    const before = await rowCounts();
    const res = await request();
    expect((res.errors ?? []).map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    expect(JSON.stringify(res.errors)).toMatch(path);
    expect(await rowCounts()).toEqual(before);
  }

  const tierCode = () => unique('T').toUpperCase().replace(/-/g, '_');

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
  });
  afterAll(async () => {
    expect(await ledgerViolations(t)).toEqual([]);
    await t.close();
  });

  describe('an offer worth nothing is BAD_USER_INPUT, not an internal error', () => {
    it.each([
      ['amountOff "0"', { kind: 'AMOUNT_OFF', amountOff: '0' }, /amountOff/],
      ['amountOff "0.00"', { kind: 'AMOUNT_OFF', amountOff: '0.00' }, /amountOff/],
      ['maxDiscount "0"', { kind: 'PERCENT_OFF', percentOff: 10, maxDiscount: '0' }, /maxDiscount/],
      ['maxDiscount "000.00"', { kind: 'FREE_ITEM', freeSku: 'MUFFIN', maxDiscount: '000.00' }, /maxDiscount/],
    ])('createOffer with %s', async (_name, benefit, path) => {
      await refusedAtTheEdge(() => t.gql(CreateOfferDocument, { input: { name: 'nothing off', benefit: benefit as never } }, t.operatorToken), path);
    });

    it('updateOffer to amountOff "0.00" keeps the offer at its version', async () => {
      const offer = await createOffer(t);
      await refusedAtTheEdge(
        () => t.gql(UpdateOfferDocument, { input: { offerId: offer.id, benefit: { kind: 'AMOUNT_OFF', amountOff: '0.00' } as never } }, t.operatorToken),
        /amountOff/,
      );
    });

    it('the smallest amounts are taken as sent', async () => {
      const res = await t.gql(
        `mutation { createOffer(input: { name: "a cent", benefit: { kind: AMOUNT_OFF, amountOff: "0.01", maxDiscount: "0.01" } }) {
           offer { benefit { amountOff maxDiscount } } userErrors { code } } }`,
        {},
        t.operatorToken,
      );
      expect(ok(res)).toEqual({ createOffer: { offer: { benefit: { amountOff: '0.01', maxDiscount: '0.01' } }, userErrors: [] } });
    });
  });

  describe('a benefit carries the value of its own kind only', () => {
    it.each([
      ['PERCENT_OFF with amountOff', { kind: 'PERCENT_OFF', percentOff: 10, amountOff: '1.00' }, 'amountOff'],
      ['AMOUNT_OFF with percentOff', { kind: 'AMOUNT_OFF', amountOff: '1.00', percentOff: 50 }, 'percentOff'],
      ['FREE_ITEM with amountOff', { kind: 'FREE_ITEM', freeSku: 'MUFFIN', amountOff: '2.00' }, 'amountOff'],
      ['AMOUNT_OFF with freeSku', { kind: 'AMOUNT_OFF', amountOff: '1.00', freeSku: 'MUFFIN' }, 'freeSku'],
    ])('%s is INVALID on that field, and nothing is written', async (_name, benefit, field) => {
      const before = await rowCounts();
      const res = await t.gql(CreateOfferDocument, { input: { name: 'mixed', benefit: benefit as never } }, t.operatorToken);
      expect(res.errors).toBeUndefined();
      expect(res.data!.createOffer).toMatchObject({ offer: null, userErrors: [{ code: 'INVALID', field: ['input', 'benefit', field] }] });
      expect(await rowCounts()).toEqual(before);
    });

    it('maxDiscount, skus and categories go with any kind', async () => {
      const res = await t.gql(
        CreateOfferDocument,
        { input: { name: 'capped', benefit: { kind: 'PERCENT_OFF', percentOff: 20, maxDiscount: '1.00', skus: ['A'], categories: ['B'] } as never } },
        t.operatorToken,
      );
      expect(ok(res).createOffer.offer).not.toBeNull();
    });
  });

  describe('a number finer than its column keeps is refused, not rounded into another meaning', () => {
    it.each([
      ['99.999 % off (stored as 100 %: a free offer)', 99.999],
      ['33.333 % off', 33.333],
      ['0.015 % off', 0.015],
    ])('percentOff %s', async (_name, percentOff) => {
      await refusedAtTheEdge(() => t.gql(CreateOfferDocument, { input: { name: 'p', benefit: { kind: 'PERCENT_OFF', percentOff } as never } }, t.operatorToken), /percentOff/);
    });

    it('a tier multiplier of 1.23456 (stored as 1.2346)', async () => {
      const { currency } = await simpleShop(t);
      await refusedAtTheEdge(
        () => t.gql(CreateTierDocument, { input: { currency, code: tierCode(), name: 't', rank: 50, threshold: 10_000, multiplier: 1.23456 } }, t.operatorToken),
        /multiplier/,
      );
    });

    it('a campaign multiplier of 1.00001 (stored as 1: a campaign that adds nothing)', async () => {
      const { currency } = await simpleShop(t);
      await refusedAtTheEdge(
        () =>
          t.gql(
            CreateCampaignDocument,
            { input: { name: 'tiny', currency, startsAt: '2026-01-01T00:00:00Z', endsAt: '2027-01-01T00:00:00Z', outcome: { multiplier: 1.00001 } } },
            t.operatorToken,
          ),
        /multiplier/,
      );
    });

    it('values at the columns\' scale are stored and answered as sent', async () => {
      const { currency } = await simpleShop(t);
      const offer = await t.gql(`mutation { createOffer(input: { name: "p", benefit: { kind: PERCENT_OFF, percentOff: 33.33 } }) { offer { benefit { percentOff } } userErrors { code } } }`, {}, t.operatorToken);
      expect(ok(offer)).toEqual({ createOffer: { offer: { benefit: { percentOff: 33.33 } }, userErrors: [] } });
      const tier = await t.gql(CreateTierDocument, { input: { currency, code: tierCode(), name: 't', rank: 60, threshold: 20_000, multiplier: 1.2345 } }, t.operatorToken);
      expect(ok(tier).createTier.tier!.multiplier).toBe(1.2345);
      const campaign = await t.gql(
        `mutation($c: String!) { createCampaign(input: { name: "c", currency: $c, startsAt: "2026-01-01T00:00:00Z", endsAt: "2027-01-01T00:00:00Z", outcome: { multiplier: 1.0001 } }) {
           campaign { multiplier } userErrors { code } } }`,
        { c: currency },
        t.operatorToken,
      );
      expect(ok(campaign)).toEqual({ createCampaign: { campaign: { multiplier: 1.0001 }, userErrors: [] } });
    });
  });

  describe('text that says nothing is refused where the spec asks for it (who and why of every staff change)', () => {
    it.each([
      ['spaces', '   '],
      ['a tab and a newline', '\t\n'],
      ['no-break and ideographic spaces', '\u00a0\u3000'],
    ])('an adjustment whose reason is %s', async (_name, reason) => {
      const { currency } = await simpleShop(t);
      const customer = await createCustomer(t, currency);
      await refusedAtTheEdge(
        () => t.gql(AdjustPointsDocument, { input: { customerExternalId: customer.externalId, currency, amount: 5, reason, idempotencyKey: unique('k') } }, t.operatorToken),
        /reason/,
      );
    });

    it.each([
      ['an offer', () => t.gql(CreateOfferDocument, { input: { name: '  ', benefit: { kind: 'FREE_ITEM', freeSku: 'M' } as never } }, t.operatorToken)],
      ['a currency', () => t.gql(CreateCurrencyDocument, { input: { code: 'BLANK_NAME', name: ' ', pointValue: '0.01', moneyCurrency: 'EUR' } }, t.operatorToken)],
      ['a store', () => t.gql(CreateRewardStoreDocument, { input: { code: 'blank-name', name: '\t', currency: 'NONE' } }, t.operatorToken)],
      ['a partner', () => t.gql(CreatePartnerDocument, { input: { name: '   ', scopes: ['customers:read'] } }, t.operatorToken)],
    ])('a blank name for %s', async (_name, request) => {
      await refusedAtTheEdge(request, /name/);
    });
  });

  describe('a birth date not yet come anywhere on earth is INVALID (the birthday job would pay someone not born)', () => {
    const DAY = 86_400_000;
    const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    afterEach(() => t.clock.reset());

    it('the day after the latest local today (UTC+14) is refused, nothing written; that today and earlier are taken', async () => {
      t.clock.freeze();
      t.clock.advance(Date.parse('2026-06-15T12:00:00Z') - t.clock.now().getTime()); // local today is 06-15 or 06-16 (UTC+14 from 10:00 UTC)
      const externalId = unique('born');
      const before = await rowCounts();
      for (const birthDate of ['2026-06-17', '2099-01-01']) {
        const res = await t.gql(UpsertCustomerDocument, { input: { externalId, birthDate } }, t.operatorToken);
        expect(res.errors).toBeUndefined();
        expect(res.data!.upsertCustomer).toMatchObject({ customer: null, userErrors: [{ code: 'INVALID', field: ['input', 'birthDate'] }] });
      }
      expect(await rowCounts()).toEqual(before);
      for (const birthDate of ['2026-06-16', '2026-06-15', isoDay(Date.parse('2026-06-15T00:00:00Z') - 365 * DAY)]) {
        ok(await t.gql(UpsertCustomerDocument, { input: { externalId, birthDate } }, t.operatorToken));
      }
    });
  });
});
