import { ENTITIES } from '../../src/db/entities.js';
import { columnMap, columnsOf, db } from '../../src/db/schema.js';
import { query, sql } from '../../src/db/sql.js';
import { OfferPurchase } from '../../src/purchases/purchase.entity.js';
import { PersistedOperation } from '../../src/persisted/persisted.entity.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCustomer, simpleShop } from '../support/program.js';

/**
 * The entities are the one description of each table (issue 9): row types and select lists are
 * derived from them. These tests hold the derivation to what MikroORM itself discovered and to
 * what PostgreSQL has, so a drift between them cannot pass.
 */
describe('entity-derived rows', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(() => t.close());

  it('names, for every property of every entity, the column MikroORM maps it to', () => {
    const discovered = t.orm.getMetadata();
    for (const entity of ENTITIES as readonly (new () => object)[]) {
      const meta = discovered.get(entity);
      const map = columnMap(entity);
      const expected = new Map<string, string>();
      for (const prop of meta.props) {
        if (prop.kind === 'scalar' || prop.kind === 'm:1' || (prop.kind === '1:1' && prop.owner)) {
          expect(prop.fieldNames).toHaveLength(1);
          expected.set(prop.fieldNames[0], meta.className);
        }
      }
      expect(new Set(map.values())).toEqual(new Set(expected.keys()));
    }
  });

  it('selects every entity column that exists in the migrated database', async () => {
    const columns = await t.sql<{ table_name: string; column_name: string }>(
      `select table_name, column_name from information_schema.columns where table_schema = 'public'`,
    );
    const byTable = new Map<string, Set<string>>();
    for (const c of columns) byTable.set(c.table_name, (byTable.get(c.table_name) ?? new Set()).add(c.column_name));
    for (const entity of ENTITIES as readonly (new () => object)[]) {
      const table = t.orm.getMetadata().get(entity).tableName;
      for (const column of columnMap(entity).values()) {
        expect(`${table}.${column}: ${byTable.get(table)?.has(column) ? 'exists' : 'missing'}`).toBe(`${table}.${column}: exists`);
      }
    }
  });

  it('reads a row through the typed builder and through a derived select list alike', async () => {
    const shop = await simpleShop(t, { priceInPoints: 100 });
    const alice = await createCustomer(t, shop.currency, 500);
    const bought = await t.gql(
      `mutation($l: ID!) { purchaseOffer(input: { listingId: $l, idempotencyKey: "schema-1" }) { purchase { pointsPaid } userErrors { code } } }`,
      { l: shop.listing.id },
      alice.token,
    );
    expect(bought.errors).toBeUndefined();
    const em = t.orm.em.fork();
    const viaBuilder = await db(em)
      .selectFrom('OfferPurchase')
      .select(['id', 'pointsPaid', 'customer as customerId', 'status'])
      .where('idempotencyKey', '=', 'schema-1')
      .executeTakeFirstOrThrow();
    const [viaSql] = await query(
      em,
      sql<Record<string, unknown>>`select ${columnsOf(OfferPurchase, 'p', ['id', 'pointsPaid', 'customerId', 'status'])} from offer_purchase p where p.id = ${viaBuilder.id}`,
    );
    expect(viaBuilder).toEqual({ id: viaSql.id, pointsPaid: 100, customerId: viaSql.customerId, status: 'COMPLETED' });
    expect(viaSql).toEqual(viaBuilder);
  });

  it('follows an explicit fieldName (a relation whose join column is not <name>_<pk>)', () => {
    expect(columnMap(PersistedOperation).get('documentHash')).toBe('hash');
    expect(columnsOf(PersistedOperation, 'o', ['documentHash', 'client']).compile(t.orm.em.fork().getKysely()).sql).toBe(
      'o.hash as "documentHash", o.client',
    );
  });
});
