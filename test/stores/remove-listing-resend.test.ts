import { fromGlobalId, toGlobalId } from '../../src/graphql/ids.js';
import { dataOf, ok, startTestGateway, tableSnapshot, type TestGateway } from '../support/gateway.js';
import { simpleShop } from '../support/program.js';

/**
 * retain-13: `removeListing` sent again after a lost answer answers the listing it removed, with
 * nothing written the second time (before, NOT_FOUND "No such listing on sale.": a console that
 * lost the first answer read a refusal for a removal that had happened). No key is needed: "take
 * this listing off sale" is the same end state however often it is asked, as revokePartner is.
 */
describe('removeListing sent again', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
  });
  afterAll(() => t.close());

  const REMOVE = `mutation($listingId: ID!) { removeListing(input: { listingId: $listingId }) { listing { id priceInPoints stockRemaining } userErrors { code field message } } }`;
  type Removed = { removeListing: { listing: { id: string; priceInPoints: number; stockRemaining: number | null } | null; userErrors: { code: string; field: string[]; message: string }[] } };
  const audits = async (listingId: string) =>
    (await t.sql(`select 1 from audit_entry where action = 'removeListing' and target = $1`, [`Listing:${fromGlobalId(listingId, 'Listing', 'listingId')}`])).length;

  it('answers the listing it removed and writes nothing', async () => {
    const { listing } = await simpleShop(t);
    const first = ok(await t.gql<Removed, unknown>(REMOVE, { listingId: listing.id }, t.operatorToken)).removeListing;
    expect(first.listing!.id).toBe(listing.id);
    t.clock.advance(60_000);
    const before = await tableSnapshot(t);
    const again = dataOf(await t.gql<Removed, unknown>(REMOVE, { listingId: listing.id }, t.operatorToken)).removeListing;
    expect(again).toEqual({ listing: first.listing, userErrors: [] });
    expect(await tableSnapshot(t)).toEqual(before);
    expect(await audits(listing.id)).toBe(1);
  });

  it('removals sent at once remove it once: every one answers the listing, one audit entry', async () => {
    const { listing } = await simpleShop(t);
    const answers = await Promise.all(Array.from({ length: 6 }, () => t.gql<Removed, unknown>(REMOVE, { listingId: listing.id }, t.operatorToken)));
    const listings = answers.map((a) => dataOf(a).removeListing);
    expect(listings.every((l) => l.userErrors.length === 0)).toBe(true);
    expect(new Set(listings.map((l) => JSON.stringify(l.listing))).size).toBe(1);
    expect(await audits(listing.id)).toBe(1);
  });

  it('an id that is no listing is still NOT_FOUND', async () => {
    const answer = dataOf(await t.gql<Removed, unknown>(REMOVE, { listingId: toGlobalId('Listing', 987654321) }, t.operatorToken)).removeListing;
    expect(answer).toEqual({ listing: null, userErrors: [{ code: 'NOT_FOUND', field: ['input', 'listingId'], message: 'No such listing.' }] });
  });
});
