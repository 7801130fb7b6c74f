import { ok, type Credential, type TestGateway } from './gateway.js';

/** The staff customer search as the tests read it: the externalIds found, in order (`customers(search:)`, first 100). */
const SEARCH_IDS = `query CustomerSearch($search: String!) { customers(search: $search, first: 100) { edges { node { externalId } } } }`;

/** The externalIds `customers(search: text)` finds (first 100, best match first), as `credential` (default: an operator) reads them; fails the test on any error. */
export async function searchedIds(t: TestGateway, text: string, credential: Credential = t.operatorToken): Promise<string[]> {
  type Answer = { customers: { edges: { node: { externalId: string } }[] } };
  return ok(await t.gql<Answer, { search: string }>(SEARCH_IDS, { search: text }, credential)).customers.edges.map((e) => e.node.externalId);
}

/** Each search of `cases` finds exactly the customers (externalIds) it names, in that order (the searches sent at once). */
export async function expectFinds(t: TestGateway, cases: Record<string, string[]>): Promise<void> {
  const found = await Promise.all(Object.keys(cases).map(async (text) => [text, await searchedIds(t, text)] as const));
  expect(Object.fromEntries(found)).toEqual(cases);
}

/** Customers written in one statement, as upsertCustomer stores them: `[externalId, email, name, status]` each. */
export function insertCustomers(t: TestGateway, rows: [string, string | null, string | null, string][]) {
  return t.sql(
    `insert into customer (external_id, email, name, status) select * from unnest($1::text[], $2::text[], $3::text[], $4::text[])`,
    [rows.map((r) => r[0]), rows.map((r) => r[1]), rows.map((r) => r[2]), rows.map((r) => r[3])],
  );
}
