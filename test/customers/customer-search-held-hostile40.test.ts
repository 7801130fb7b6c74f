import { encodeCursor } from '../../src/graphql/connection.js';
import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';

/**
 * hostile40, claims of customers(search:) that held: a regular expression's and SQL's
 * metacharacters typed into the search are plain text, and a forged cursor is refused, not read.
 * Real gateway and PostgreSQL.
 */

const SEARCH = `query CustomerSearch($search: String!, $after: String) { customers(search: $search, first: 100, after: $after) { edges { node { externalId } } } }`;

describe('customers(search:) held against hostile input (hostile40)', () => {
  let t: TestGateway;
  const run = (search: string, after?: string) => t.gql<{ customers: { edges: { node: { externalId: string } }[] } }, { search: string; after?: string }>(SEARCH, { search, after }, t.operatorToken);
  const ids = async (text: string) => ok(await run(text)).customers.edges.map((e) => e.node.externalId);

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    const rows: [string, string][] = [
      ['hm-jr', "Pat O'Brien (Jr.)"],
      ['hm-pipe', 'Lee a|b'],
      ['hm-a', 'Lee ab'],
      ['hm-digit', 'Max \\d9'],
      ['hm-nine', 'Max 19'],
      ['hm-star', 'Ida *star*'],
      ['hm-plain', 'Ida star'],
    ];
    await t.sql(`insert into customer (external_id, name, status) select *, 'ACTIVE' from unnest($1::text[], $2::text[])`, [rows.map((r) => r[0]), rows.map((r) => r[1])]);
  });
  afterAll(() => t?.close());

  it('regular-expression and SQL metacharacters match only themselves', async () => {
    const cases = ["o'brien (jr.)", 'a|b', '\\d', '*star', 'ida .*', "x'); delete from customer; --", 'lee (a|b)'];
    const found = await Promise.all(cases.map(async (text) => [text, await ids(text)] as const));
    expect(Object.fromEntries(found)).toEqual({
      "o'brien (jr.)": ['hm-jr'],
      'a|b': ['hm-pipe'],
      '\\d': ['hm-digit'],
      '*star': ['hm-star'],
      'ida .*': [],
      "x'); delete from customer; --": [],
      'lee (a|b)': [],
    });
    expect(await t.sql<{ n: number }>(`select count(*)::int as n from customer where external_id like 'hm-%'`)).toEqual([{ n: 7 }]);
  });

  it.each([
    ['a fractional match', [1.5, 1]],
    ['a negative id', [0, -1]],
    ['an id beyond bigint', [0, 1e30]],
    ['an id as text', [0, '1']],
    ['one part only', [1]],
  ])('a forged cursor (%s) is BAD_USER_INPUT', async (_, parts) => {
    const res = await run('hm-', encodeCursor('CustomerSearch', parts as number[]));
    expect(res.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
  });
});
