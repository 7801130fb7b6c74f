import { sql, query } from '../../src/db/sql.js';
import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { UpsertCustomerDocument } from '../generated/graphql.js';
import { unique } from '../support/program.js';
import { headOf, recordStatements, sentFor } from '../support/statements.js';

/**
 * `sentFor` (test/support/statements.ts) keeps, of what a recording heard, the statements the
 * gateway sent for one request, by the request id in scope when each was sent. The recording hears
 * every `pg` client of the test's process: a count of one request's statements once took in a
 * statement of the gateway's event relay (customer-search-40, a loaded run), and earlier tests
 * turned the relay off or kept the fewest of three reads to get round it. What must hold: requests
 * read in parallel each get their own statements, no more and no fewer than when read alone, and
 * a statement sent outside any request (the relay's, a job loop's, the test's own) is nobody's.
 */
describe('sentFor: the statements of one request', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    for (let i = 0; i < 3; i++) ok(await t.gql(UpsertCustomerDocument, { input: { externalId: unique('sentfor'), name: `Sentfor Member ${i}` } }, t.operatorToken));
  });
  afterAll(() => t.close());

  const SEARCH = `query($s: String!) { customers(search: $s, first: 10) { edges { node { externalId tier { code } balances { available } } } } }`;
  const search = () => t.gql<{ customers: { edges: unknown[] } }, { s: string }>(SEARCH, { s: 'sentfor' }, t.operatorToken);
  const heads = (sent: ReturnType<typeof sentFor>) => sent.filter((s) => !s.text.includes('rate_limit_bucket')).map((s) => headOf(s.text, 4));

  it('gives each of four parallel requests its own statements, and none sent outside a request', async () => {
    const recorder = recordStatements();
    try {
      const alone = await search();
      const aloneHeads = heads(sentFor(recorder.take(), alone));
      expect(ok(alone).customers.edges).toHaveLength(3);
      expect(aloneHeads.length).toBeGreaterThan(0);

      // four requests at once, and statements of the gateway's own pool sent outside any request meanwhile
      const outside = Promise.all(Array.from({ length: 4 }, () => query(t.orm.em.fork(), sql`select 'outside a request' as probe`)));
      const results = await Promise.all(Array.from({ length: 4 }, search));
      await outside;
      const sent = recorder.take();

      expect(results.map((r) => heads(sentFor(sent, r)))).toEqual(results.map(() => aloneHeads));
      const probes = sent.filter((s) => s.text.includes('outside a request'));
      expect(probes).toHaveLength(4);
      expect(probes.map((s) => s.requestId)).toEqual([undefined, undefined, undefined, undefined]);
      // every statement a request sent is one of the four's
      const ids = new Set(results.map((r) => r.headers.get('x-request-id')));
      expect(ids.size).toBe(4);
      expect(sent.filter((s) => s.requestId !== undefined && !ids.has(s.requestId))).toEqual([]);
    } finally {
      recorder.stop();
    }
  });
});
