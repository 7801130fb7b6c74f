import { AddListingDocument, CreateCurrencyDocument, CreateOfferDocument, PurchaseOfferDocument } from '../generated/graphql.js';
import { isIsoCurrency, isoCurrencyCodes, minorDigits } from '../../src/domain/currency.js';
import { query, sql } from '../../src/db/sql.js';
import { unpayableOffersPageSql } from '../../src/offers/offer.service.js';
import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCustomer, createStore, unique } from '../support/program.js';

const UNPAYABLE = `query Unpayable($first: Int, $after: String) {
  unpayableOffers(first: $first, after: $after) {
    edges { node { holder holderId moneyCurrency amount } }
    pageInfo { hasNextPage endCursor }
  }
}`;
type UnpayablePage = {
  unpayableOffers: { edges: { node: { holder: string; holderId: string; moneyCurrency: string | null; amount: string | null } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
};

/** Plan nodes, depth first. */
type PlanNode = { 'Node Type': string; 'Relation Name'?: string; 'Index Name'?: string; Plans?: PlanNode[] };
const nodesOf = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(nodesOf)];

/**
 * `unpayableOffers` read every live wallet item on each page (break-12i's probe: ~113 ms of
 * PostgreSQL for 300,000): its wallet part now reads `issued_offer_unpayable_idx`, which holds only
 * the items no till can apply (offsale-12c, docs/decisions.md). Asserted on the plan's shape at a
 * wallet of 10,000 live items, not on time; the page's answer is checked beside it. 10,000 is
 * already 250 times the 41 exceptions: without the index PostgreSQL walks the wallet through
 * issued_offer_pkey and the plan assertion fails (checked by dropping the index before `analyze`,
 * suite-13). The 300,000 of break-12i's probe took ~20 s of the suite to insert for the same plan.
 */
describe('unpayableOffers reads the exceptions, not the wallet (offsale-12c)', () => {
  let t: TestGateway;
  const PROGRAM = 'IDX_JPY';
  const WALLET = 10_000;
  const FINER = 40;

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
  });
  afterAll(() => t.close());

  it('iso_money_digits, frozen in the database, is isIsoCurrency and minorDigits for every three-capital code', async () => {
    const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
    const codes = [...letters].flatMap((a) => [...letters].flatMap((b) => [...letters].map((c) => a + b + c)));
    const rows = await t.sql<{ code: string; digits: number | null }>(`select c as code, iso_money_digits(c) as digits from unnest($1::text[]) c`, [codes]);
    const wrong = rows.filter((r) => (r.digits === null ? null : Number(r.digits)) !== (isIsoCurrency(r.code) ? minorDigits(r.code) : null));
    expect(wrong).toEqual([]);
    expect(isoCurrencyCodes().every((c) => codes.includes(c))).toBe(true);
  });

  it(`a page's plan reaches wallet items through issued_offer_unpayable_idx only, at ${WALLET} live items`, async () => {
    ok(await t.gql(CreateCurrencyDocument, { input: { code: PROGRAM, name: PROGRAM, expiryDays: null, pointValue: '1', moneyCurrency: 'JPY' } }, t.operatorToken));
    const store = await createStore(t, PROGRAM);
    const offer = ok(await t.gql(CreateOfferDocument, { input: { name: unique('yen'), benefit: { kind: 'AMOUNT_OFF', amountOff: '200' }, validDays: 30 } }, t.operatorToken)).createOffer.offer!;
    const listing = ok(await t.gql(AddListingDocument, { input: { storeId: store.id, offerId: offer.id, priceInPoints: 1 } }, t.operatorToken)).addListing.listing!;
    const customer = await createCustomer(t, PROGRAM, 2);
    const payable = ok(await t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: unique('buy') }, customer.token)).purchaseOffer.purchase!.issuedOffer;
    const finer = ok(await t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: unique('buy') }, customer.token)).purchaseOffer.purchase!.issuedOffer;
    // Copies of the customer's payable "200 off", then FINER of them made "2.50 off" (a version of
    // their own, as data from before money-12 reads) and one whose money was never recorded.
    await t.sql(
      `insert into issued_offer (code, customer_id, offer_version_id, source, money_currency, status, expires_at)
       select 'IDX-' || g, io.customer_id, io.offer_version_id, io.source, io.money_currency, 'ISSUED', io.expires_at
         from issued_offer io, generate_series(1, $2::int) g where io.code = $1`,
      [payable.code, WALLET],
    );
    await t.sql(
      `insert into offer_version (offer_id, version, name, benefit_kind, amount_off, created_at)
       select ov.offer_id, ov.version + 100, ov.name, ov.benefit_kind, 2.50, now() from offer_version ov join issued_offer io on io.offer_version_id = ov.id where io.code = $1`,
      [finer.code],
    );
    await t.sql(
      `update issued_offer io set offer_version_id = (select max(id) from offer_version)
        where io.code = $1 or io.code = any(select 'IDX-' || g from generate_series(1, $2::int - 1) g)`,
      [finer.code, FINER],
    );
    await t.sql(`update issued_offer set money_currency = null where code = 'IDX-${WALLET}'`);
    await t.sql(`analyze issued_offer`);
    await t.sql(`analyze offer_version`);

    // The page as staff read it: the FINER + 1 items, in pages, the payable ones left out.
    const seen: { holder: string; moneyCurrency: string | null; amount: string | null }[] = [];
    let after: string | null = null;
    for (;;) {
      const page: UnpayablePage['unpayableOffers'] = ok(await t.gql<UnpayablePage, unknown>(UNPAYABLE, { first: 25, after }, t.operatorToken)).unpayableOffers;
      seen.push(...page.edges.map((e) => e.node));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen.filter((u) => u.moneyCurrency === 'JPY' && u.amount === '2.50')).toHaveLength(FINER);
    expect(seen.filter((u) => u.moneyCurrency === null && u.amount === '200.00')).toHaveLength(1);
    expect(seen).toHaveLength(FINER + 1);

    // The statement's plan, first page and a page after a wallet item's cursor.
    for (const after of [null, [4, 1, 1]]) {
      const [{ 'QUERY PLAN': [{ Plan: plan }] }] = await query<{ 'QUERY PLAN': { Plan: PlanNode }[] }>(
        t.orm.em.fork(),
        sql`explain (format json) ${unpayableOffersPageSql(t.clock.now(), 101, after)}`,
      );
      const wallet = nodesOf(plan).filter((n) => n['Relation Name'] === 'issued_offer');
      expect(wallet.map((n) => `${n['Node Type']} ${n['Index Name'] ?? ''}`.trim())).toEqual([expect.stringMatching(/^(Index|Bitmap Heap|Index Only) Scan/)]);
      const indexes = nodesOf(plan).filter((n) => n['Index Name']?.startsWith('issued_offer'));
      expect(indexes.map((n) => n['Index Name'])).toEqual(['issued_offer_unpayable_idx']);
    }
  }, 180_000);
});
