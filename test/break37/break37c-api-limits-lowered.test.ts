import { parse } from 'graphql';
import { dataOf, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createPartner } from '../support/program.js';
import { REGISTER_PERSISTED } from '../support/registration.js';
import { persistedCli } from '../support/processes.js';
import { manifestFromDocument } from '../../src/persisted/manifest.js';



/**
 * break37c (API): break37's promise is that "nothing registered is refused at every send", and it
 * checks at registration only, against the limits of that moment. Limits are settings
 * (MAX_QUERY_ALIASES, MAX_QUERY_DEPTH, MAX_QUERY_TOKENS, MAX_QUERY_DIRECTIVES, NODE_ENV); an operator
 * who lowers one (or moves a development database to production) turns operations already on a
 * partner's list into ones refused QUERY_TOO_COMPLEX at every send. The gateway warns at start of
 * its own manifests over the limits (registerOwnManifest) but of no partner's, and the deploy gate
 * meant to find registered operations that would break, `npm run persisted -- check` ("exits 1
 * when any registered operation would break, listing each with its reasons"), checks the schema
 * only: it answers "0 broken" and exit 0, and the integrator learns at the till again. A correct
 * `check` lists the operation with the limit it breaks under the settings it runs with, exit 1.
 */
describe('break37c api: a registered operation over limits lowered since', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ MAX_QUERY_ALIASES: '20' });
  });
  afterAll(() => t.close());

  it('is listed by npm run persisted -- check under the lowered limit', async () => {
    const aliases = Array.from({ length: 16 }, (_, i) => `t${i}: tiers { code }`).join(' ');
    const [operation] = manifestFromDocument(parse(`query ManyTiers { ${aliases} }`)).operations;
    const partner = await createPartner(t, ['customers:read']);
    const client = (await t.partnerIdOf(partner.apiKey))!;
    const registered = dataOf(
      await t.gql<any, unknown>(REGISTER_PERSISTED, { input: { client, manifest: { format: 'apollo-persisted-query-manifest', version: 1, operations: [operation] } } }, t.operatorToken),
    ).registerPersistedOperations;
    // Under MAX_QUERY_ALIASES 20 it is registered and runs.
    expect(registered).toEqual({ count: 1, userErrors: [] });

    // The deployment lowers MAX_QUERY_ALIASES to its default, 15, and runs its deploy gate.
    const checked = await persistedCli(t.databaseUrl, ['check'], { MAX_QUERY_ALIASES: '15' });
    expect({ code: checked.code, stdout: checked.stdout }).toEqual({
      code: 1,
      stdout: expect.stringMatching(/BREAKS partner:\d+ \("partner-[^"]+"\) ManyTiers[\s\S]*Aliases limit of 15 exceeded, found 16/),
    });
    // The partner is named beside its list's key (newcomer-37: `partner:1` alone said not whose integration breaks).
    const [{ name }] = await t.sql<{ name: string }>(`select name from partner where key_prefix = $1`, [partner.apiKey.slice(0, 9)]);
    expect(checked.stdout).toContain(`(${JSON.stringify(name)}) ManyTiers`);
  }, 120_000);
});
