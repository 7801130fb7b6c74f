import { encodeCursor } from '../../src/graphql/connection.js';
import { type Credential, type GqlResult, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCustomer, createPartner, unique } from '../support/program.js';
import { expectFinds as expectFindsOn, insertCustomers, searchedIds } from '../support/customer-search.js';
import { headOf, recordStatements, sentFor } from '../support/statements.js';

/**
 * customer-search-40: staff find customers by the start of an externalId or email, or of a word of
 * a name (`customers(search:)`), on the real stack. Customers are written in one statement each
 * set (the search reads what upsertCustomer writes: the same columns), but for the customers added
 * while a search is paged, which come through the API.
 */

const SEARCH = `query CustomerSearch($search: String!, $first: Int, $after: String) {
  customers(search: $search, first: $first, after: $after) {
    edges { cursor node { id externalId email name status } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;
type Found = { externalId: string; email: string | null; name: string | null; status: string };
type Answer = { customers: { edges: { cursor: string; node: Found }[]; pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; endCursor: string | null } } };

describe('customers(search:): staff find a customer by an email, a name or a customer id', () => {
  let t: TestGateway;
  const search = (vars: { search: string; first?: number; after?: string | null }, credential: Credential = t.operatorToken) =>
    t.gql<Answer, typeof vars>(SEARCH, vars, credential);
  const ids = (text: string, credential?: Credential) => searchedIds(t, text, credential);
  const expectFinds = (cases: Record<string, string[]>) => expectFindsOn(t, cases);
  const codeOf = (res: GqlResult<unknown>) => res.errors?.map((e) => e.extensions?.code);

  const insert = (rows: [string, string | null, string | null, string][]) => insertCustomers(t, rows);

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    await insert([
      ['srch-ann-1', 'Ann.Smith@Example.com', 'Ann Smith', 'ACTIVE'],
      ['srch-bob', 'bob@example.com', 'Bob Smith-Jones', 'SUSPENDED'],
      ['srch-bobby', 'bobby@example.com', 'Bobby Tables', 'ACTIVE'],
      ['cx-9', null, 'Srch-Bobcat Lover', 'ACTIVE'],
      ['srch-carol', 'carol@example.com', "Carol O'Brien", 'CLOSED'],
      ['srch-ray', 'ray@example.com', 'Ray Nesmith', 'ACTIVE'],
      ['srch-zoe', 'zoe@example.com', 'Zoë Noël', 'ACTIVE'],
      // decomposed as a retailer may have sent it (e + U+0308): found by the composed spelling
      ['srch-chloe', null, 'Chloe\u0308 Ade\u0300le', 'ACTIVE'],
      // LIKE's wildcards and escape, as plain characters
      ['wc-50%', null, 'Dee 50%Off', 'ACTIVE'],
      ['wc-50x', null, 'Dee 50xOff', 'ACTIVE'],
      ['wc_a', 'under_score@example.com', null, 'ACTIVE'],
      ['wcxa', 'underxscore@example.com', null, 'ACTIVE'],
      ['wc\\b', null, 'Back\\slash', 'ACTIVE'],
      ['wcb', null, 'Backslash', 'ACTIVE'],
      ['wc.b', null, null, 'ACTIVE'],
      // names written with a curly apostrophe, a hyphen, a double space (upsertCustomer keeps it)
      ['nm-dan', null, 'Dan O’Neil', 'ACTIVE'],
      ['nm-mary', null, 'Mary-Jane McDonald', 'ACTIVE'],
      ['nm-jose', null, 'José  García', 'ACTIVE'],
    ]);
  });
  afterAll(() => t.close());

  it('finds by a word of the name ("smi" finds "Ann Smith"), not by the middle of a word', async () => {
    await expectFinds({
      'smi': ['srch-ann-1', 'srch-bob'],
      'SMITH': ['srch-ann-1', 'srch-bob'],
      // words after a hyphen, an apostrophe, and a phrase that starts a word
      'jones': ['srch-bob'],
      'brien': ['srch-carol'],
      'ann smi': ['srch-ann-1'],
      'ann  \t smi': ['srch-ann-1'],
      'nn smi': [],
      // "Ray Nesmith": smi is inside a word
      'esmi': [],
      'nesmi': ['srch-ray'],
    });
  });

  it("finds a name however its apostrophes, hyphens and spaces are typed: either apostrophe for the other, a space or a hyphen for a run of them (newcomer-40)", async () => {
    await expectFinds({
      "o'neil": ['nm-dan'],
      'o’brien': ['srch-carol'],
      'mary jane': ['nm-mary'],
      'mary-jane mc': ['nm-mary'],
      'smith jones': ['srch-bob'],
      'josé garcía': ['nm-jose'],
      // accents set aside since search-46 (test/customers/search-key-46.test.ts)
      'jose garcia': ['nm-jose'],
      'maryjane': [],
    });
  });

  it('finds by the start of an externalId or an email, case ignored, and the whole one first', async () => {
    await expectFinds({
      // and "Srch-Bobcat Lover", whose name has a word starting so
      '  SRCH-B ': ['srch-bob', 'srch-bobby', 'cx-9'],
      'bob@': ['srch-bob'],
      'ann.smith@example.COM': ['srch-ann-1'],
      // the middle or end of an email is not a match
      'example.com': [],
      // whole externalId, then externalIds and emails it starts, then names (Srch-Bobcat), each oldest first
      'srch-bob': ['srch-bob', 'srch-bobby', 'cx-9'],
      'bobby@example.com': ['srch-bobby'],
    });
  });

  it('finds CLOSED and SUSPENDED customers and says which they are', async () => {
    const found = ok(await search({ search: 'srch-' })).customers.edges.map((e) => [e.node.externalId, e.node.status]);
    expect(found).toEqual(
      expect.arrayContaining([
        ['srch-bob', 'SUSPENDED'],
        ['srch-carol', 'CLOSED'],
        ['srch-ann-1', 'ACTIVE'],
      ]),
    );
    const carol = ok(await search({ search: 'carol@example.com' })).customers.edges[0].node;
    expect(carol).toMatchObject({ externalId: 'srch-carol', email: 'carol@example.com', name: "Carol O'Brien", status: 'CLOSED' });
  });

  it('compares text in Unicode NFC, whichever way it was typed or stored', async () => {
    await expectFinds({
      'noe\u0308l': ['srch-zoe'],
      'Zoë': ['srch-zoe'],
      'adèle': ['srch-chloe'],
    });
  });

  it("matches %, _ and \\ as themselves, not as LIKE's wildcards and escape", async () => {
    await expectFinds({
      'wc-50%': ['wc-50%'],
      '50%': ['wc-50%'],
      'wc_': ['wc_a'],
      'under_': ['wc_a'],
      'wc\\': ['wc\\b'],
      'back\\': ['wc\\b'],
      'wc.': ['wc.b'],
      '%%': [],
      '__': [],
      '.*': [],
    });
  });

  it.each([
    ['an empty search', '', /search must not be blank/],
    ['white space only', ' \t ', /search must not be blank/],
    ['one character', 'a', /search must have at least 2 characters \("a" has 1\)/],
    ['one character after trimming', ' é ', /at least 2 characters/],
    ['321 characters', 'x'.repeat(321), /search must have at most 320 characters \(it has 321\)/],
    ['a zero-width space', 'an\u200bn', /search has a character that shows nothing \(\\u200B\)/],
    ['a byte order mark', '\ufeffann', /shows nothing \(\\uFEFF\)/],
  ])('refuses %s with BAD_USER_INPUT naming search', async (_, text, message) => {
    const res = await search({ search: text });
    expect(res.data ?? null).toBeNull();
    expect(res.errors).toEqual([expect.objectContaining({ message: expect.stringMatching(message), extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', field: ['search'] }) })]);
  });

  it('refuses a bad page as the other connections do', async () => {
    for (const vars of [{ first: -1 }, { first: 101 }, { after: 'nope' }, { after: encodeCursor('AuditEntry', [5]) }, { after: encodeCursor('CustomerSearch', [3, 1]) }]) {
      const res = await search({ search: 'srch', ...vars });
      expect({ vars, codes: codeOf(res) }).toEqual({ vars, codes: ['BAD_USER_INPUT'] });
    }
  });

  it('answers operators and analysts; refuses customers and API keys, customers:read too', async () => {
    expect(await ids('srch-ann', t.analystToken)).toEqual(['srch-ann-1']);
    const member = await createCustomer(t, 'STARS'); // no points: no currency is needed
    expect(codeOf(await search({ search: 'srch' }, member.token))).toEqual(['FORBIDDEN']);
    for (const scopes of [['customers:read'], ['customers:read', 'transactions:read', 'offers:redeem']]) {
      const partner = await createPartner(t, scopes);
      const res = await search({ search: 'srch' }, partner.credential);
      expect({ scopes, codes: codeOf(res), data: res.data ?? null }).toEqual({ scopes, codes: ['FORBIDDEN'], data: null });
    }
    const anonymous = await t.fetch('/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: SEARCH, variables: { search: 'srch' } }) });
    expect(anonymous.status).toBe(401);
    expect(codeOf((await anonymous.json()) as GqlResult<unknown>)).toEqual(['UNAUTHENTICATED']);
  });

  it('reads a page of 1 or of 8 customers, with their tiers and balances, in the same number of statements', async () => {
    const recorder = recordStatements();
    try {
      const count = async (text: string, first: number) => {
        recorder.take();
        const result = await t.gql<{ customers: { edges: unknown[] } }, object>(`query($s: String!, $n: Int) { customers(search: $s, first: $n) { edges { node { externalId status tier { code } nextTier { code } balances { available } } } } }`, { s: text, n: first }, t.operatorToken);
        const statements = sentFor(recorder.take(), result).filter((st) => !st.text.includes('rate_limit_bucket'));
        return { rows: ok(result).customers.edges.length, statements: statements.map((st) => headOf(st.text, 4)) };
      };
      const one = await count('srch-ann', 30);
      const many = await count('srch', 30);
      expect({ one: one.rows, many: many.rows }).toEqual({ one: 1, many: 8 });
      expect(many.statements).toEqual(one.statements);
    } finally {
      recorder.stop();
    }
  });

  it('pages through every match exactly once while customers are added', async () => {
    const TOTAL = 230;
    await insert(Array.from({ length: TOTAL }, (_, i) => [`pg-${i}`, `pg-${i}@example.com`, `Pager Person ${i}`, i % 7 === 0 ? 'CLOSED' : 'ACTIVE'] as [string, string, string, string]));
    const before = new Set(Array.from({ length: TOTAL }, (_, i) => `pg-${i}`));

    const seen: string[] = [];
    const cursors: string[] = [];
    const read = async () => {
      let after: string | null = null;
      for (;;) {
        const page: Answer['customers'] = ok(await search({ search: 'pg-', first: 9, after })).customers;
        seen.push(...page.edges.map((e) => e.node.externalId));
        cursors.push(...page.edges.map((e) => e.cursor));
        expect(page.pageInfo.hasPreviousPage).toBe(after !== null);
        if (!page.pageInfo.hasNextPage) return;
        after = page.pageInfo.endCursor;
      }
    };
    // 40 customers matching the search, sent 8 at a time, while the pages are read
    const add = async () => {
      for (let round = 0; round < 5; round++) {
        await Promise.all(
          Array.from({ length: 8 }, () => t.gql(`mutation($input: UpsertCustomerInput!) { upsertCustomer(input: $input) { userErrors { code } } }`, { input: { externalId: unique('pg-new'), name: 'Pager New' } }, t.operatorToken).then(ok)),
        );
      }
    };
    await Promise.all([read(), add()]);

    expect(new Set(seen).size).toBe(seen.length);
    expect(new Set(cursors).size).toBe(cursors.length);
    expect([...before].filter((id) => !seen.includes(id))).toEqual([]);
    expect(seen.filter((id) => !before.has(id) && !id.startsWith('pg-new'))).toEqual([]);
    // the pages joined are the order of one read of everything: whole matches, then prefixes, oldest first
    const all = ok(await search({ search: 'pg-', first: 100 })).customers;
    expect(all.pageInfo.hasNextPage).toBe(true);
    expect(seen.slice(0, 100).filter((id) => before.has(id))).toEqual(all.edges.map((e) => e.node.externalId).filter((id) => before.has(id)));
  });
});
