import pg from 'pg';
import { statementCompiler } from '../../bench/floor-statements.js';
import { decodeGlobalId, toGlobalId } from '../../src/graphql/ids.js';
import type { purchaseAloneSql as PurchaseAloneSql, PurchaseAloneRow } from '../../src/purchases/purchase.service.js';
import { PurchaseOfferDocument } from '../generated/graphql.js';
import { dataOf, ledgerViolations, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCustomer, simpleShop } from '../support/program.js';
import { recordStatements } from '../support/statements.js';

/**
 * Issue 12, ninth session: the benchmark's floor for the purchase (bench/floor-server.ts) sends the
 * gateway's own purchase statement, built by `purchaseAloneSql` on a Kysely of its own in a process
 * of its own. What it sends must be what the gateway sends for the same purchase, or the floor
 * measures another statement: the same text (compiled here by a module instance of its own, as in
 * the floor's process, on a Kysely that has no pool), the same parameters but the offer code and
 * the instant; and sent from a bare `pg` client it buys as the gateway does, and answers a repeat
 * of its key unclaimed, which the gateway then replays as the floor's purchase.
 */
describe('the purchase statement the floor sends', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ EVENT_FANOUT: 'off' }, { jobs: 'manual' });
  });
  afterAll(() => t.close());

  it("is the gateway's text and parameters, and buys as the gateway's does", async () => {
    const shop = await simpleShop(t, { priceInPoints: 30, stock: 10 });
    const customer = await createCustomer(t, shop.currency, 100);
    const customerId = decodeGlobalId(customer.id)!.id;
    const listingId = decodeGlobalId(shop.listing.id)!.id;

    const recorder = recordStatements();
    let bought;
    try {
      bought = dataOf(await t.gql(PurchaseOfferDocument, { listingId: shop.listing.id, idempotencyKey: 'by-the-gateway' }, customer.token)).purchaseOffer;
    } finally {
      recorder.stop();
    }
    expect(bought.userErrors).toEqual([]);
    const sent = recorder.take().filter((s) => /^with h as/.test(s.text.trim()));
    expect(sent).toHaveLength(1);

    // a module instance of its own: the query makes Node's loader evaluate the file again
    const { purchaseAloneSql } = (await import(new URL('../../src/purchases/purchase.service.ts?floor', import.meta.url).href)) as { purchaseAloneSql: typeof PurchaseAloneSql };
    const compiler = statementCompiler();
    const floor = purchaseAloneSql(compiler, customerId, null, listingId, 'by-the-gateway', new Date(), `customer:${customerId}`);
    expect(floor.text).toBe(sent[0].text);

    // The parameters: the offer code where the gateway sent its code, every instant an instant, the rest equal.
    const gatewayValues = sent[0].values!;
    const codeAt = gatewayValues.indexOf(bought.purchase!.issuedOffer.code);
    expect(codeAt).toBeGreaterThanOrEqual(0);
    expect(floor.values[codeAt]).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    const shape = (values: unknown[]) => values.map((v, i) => (i === codeAt ? 'code' : v instanceof Date ? 'instant' : v));
    expect(shape(floor.values)).toEqual(shape(gatewayValues));

    // Sent as the floor sends it: a purchase, then a repeat of its key that claims nothing.
    const client = new pg.Client({ connectionString: t.databaseUrl });
    await client.connect();
    try {
      const buy = () => purchaseAloneSql(compiler, customerId, null, listingId, 'by-the-floor', new Date(), `customer:${customerId}`);
      const [row] = (await client.query({ name: 'floor_purchase', ...buy() })).rows as PurchaseAloneRow[];
      expect({ claimed: row.claimed, pointsPaid: row['purchase.pointsPaid'], balanceAfter: Number(row.balanceAfter), status: row['issued.status'] }).toEqual({
        claimed: true,
        pointsPaid: 30,
        balanceAfter: 40,
        status: 'ISSUED',
      });
      const [repeat] = (await client.query({ name: 'floor_purchase', ...buy() })).rows as PurchaseAloneRow[];
      expect(repeat.claimed).toBe(false);

      const replayed = dataOf(await t.gql(PurchaseOfferDocument, { listingId: shop.listing.id, idempotencyKey: 'by-the-floor' }, customer.token)).purchaseOffer;
      expect(replayed.purchase).toMatchObject({ id: toGlobalId('OfferPurchase', Number(row['purchase.id'])), issuedOffer: { code: row['issued.code'] } });
      expect(replayed.balance!.available).toBe(40);
    } finally {
      await client.end();
    }
    expect(await ledgerViolations(t)).toEqual([]);
  });
});
