import { cleanSegmentsSql, SEGMENT_COLUMNS } from '../../migrations/Migration20261130230500.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCurrency, createStore, unique, uniqueCode } from '../support/program.js';

/**
 * Migration20261130230500: segments stored before edges-9 with differences nobody can see are
 * written as the input edge now takes them, on customers, stores and campaigns alike, so a
 * customer tagged `vip\u200b` sees the store for `vip`.
 */
describe('segments stored before edges-9', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
  });
  afterAll(() => t.close());

  const storesOf = async (externalId: string) => {
    // a token of its own each time, so no credential cache answers with the tags it saw before
    const res = await t.gql<any, unknown>(`{ me { segments eligibleRewardStores(first: 100) { edges { node { code } } } } }`, {}, await t.customerToken(externalId, 600 + Math.floor(Math.random() * 600)));
    return { segments: res.data.me.segments as string[], stores: res.data.me.eligibleRewardStores.edges.map((e: { node: { code: string } }) => e.node.code) as string[] };
  };

  it('are cleaned on customers, stores and campaigns: what matched still matches, and what only looked different now matches', async () => {
    const currency = uniqueCode('C');
    await createCurrency(t, currency);
    const vip = await createStore(t, currency, { eligibility: { segments: ['vip'] } });
    const cafe = await createStore(t, currency, { eligibility: { segments: ['regular'] } });
    const externalId = unique('tagged');
    await t.sql(`insert into customer (external_id, segments) values ($1, $2)`, [externalId, ['vip\u200b', ' cafe\u0301 ', 'coffee\u00a0\u00a0lovers', '\u200b', 'VIP']]);
    await t.sql(`update reward_store set eligible_segments = $2 where code = $1`, [cafe.code, ['caf\u00e9\ufeff', '\u2800caf\u00e9']]);
    const [campaign] = await t.sql<{ id: string }>(
      `insert into campaign (name, currency_code, starts_at, ends_at, segments, bonus_points) values ('old', $1, now(), now() + interval '1 day', $2, 1) returning id`,
      [currency, ['vip\u200d', 'vip']],
    );
    expect(await storesOf(externalId)).toEqual({ segments: ['vip\u200b', ' cafe\u0301 ', 'coffee\u00a0\u00a0lovers', '\u200b', 'VIP'], stores: [] });

    for (const [table, column] of SEGMENT_COLUMNS) await t.sql(cleanSegmentsSql(table, column));

    const after = await storesOf(externalId);
    expect(after.segments).toEqual(['vip', 'caf\u00e9', 'coffee lovers', 'VIP']);
    expect(after.stores.sort()).toEqual([vip.code, cafe.code].sort());
    expect(await t.sql(`select eligible_segments from reward_store where code = $1`, [cafe.code])).toEqual([{ eligible_segments: ['caf\u00e9'] }]);
    expect(await t.sql(`select segments from campaign where id = $1`, [campaign.id])).toEqual([{ segments: ['vip'] }]);
    // a second run finds nothing to change
    for (const [table, column] of SEGMENT_COLUMNS) expect((await t.sql(`${cleanSegmentsSql(table, column)} returning 1`)).length).toBe(0);
  });
});
