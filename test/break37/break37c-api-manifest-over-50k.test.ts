import { documentHash } from '../../src/persisted/manifest.js';
import { checkManifest } from '../../src/persisted/manifest.js';
import { documentChecks } from '../../src/graphql/document-rules.js';
import { gatewaySchema } from '../../src/graphql/schema.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { REGISTER_PERSISTED } from '../support/registration.js';
import { createPartner } from '../support/program.js';


/**
 * break37c (API): break37 let the mutation take a manifest operation's body up to 50,000
 * characters, because "JSON text is longer than 10000 characters" on `input.manifest` named
 * "neither the operation nor a limit it breaks" where the CLI (checkManifest) names both. It moved
 * the edge, not the fault: the JSON scalar now refuses any string over 50,000 characters before
 * the resolver runs, so checkManifest's own refusal of a long body ("<name>: body must be a string
 * of at most 50000 characters.", INVALID on `input.manifest.operations.<i>.body`) is never reached
 * through the mutation. An operator whose manifest has one operation of 50,001 characters (among
 * others) gets a GraphQL error, no userErrors, naming neither the operation nor which of the
 * manifest's entries; `npm run persisted -- register` names it. A correct gateway answers the
 * mutation as the CLI does.
 */
describe('break37c api: a manifest operation over 50,000 characters through the mutation', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(() => t.close());

  it('is refused as the CLI refuses it: INVALID on that operation body, naming it and the limit', async () => {
    const head = 'query Padded { tiers { code } }\n';
    const body = head + '#'.repeat(50_001 - head.length - 1) + '\n';
    expect(body.length).toBe(50_001);
    const short = 'query Short { tiers { code } }';
    const manifest = {
      format: 'apollo-persisted-query-manifest',
      version: 1,
      operations: [
        { id: documentHash(short), name: 'Short', type: 'query', body: short },
        { id: documentHash(body), name: 'Padded', type: 'query', body },
      ],
    };
    const expected = [{ code: 'INVALID', field: ['input', 'manifest', 'operations', '1', 'body'], message: 'Padded: body must be a string of at most 50000 characters.' }];
    // What the CLI's registration says of it (checkManifest, as `npm run persisted -- register` prints it).
    let cli: unknown;
    try {
      checkManifest(await gatewaySchema(), manifest, documentChecks(t.config));
    } catch (error) {
      cli = (error as { problems: { field: string[]; message: string }[] }).problems.map((p) => ({ code: 'INVALID', field: ['input', ...p.field], message: p.message }));
    }
    expect(cli).toEqual(expected);

    const partner = await createPartner(t, ['customers:read']);
    const client = (await t.partnerIdOf(partner.apiKey))!;
    const answer = await t.gql<any, unknown>(REGISTER_PERSISTED, { input: { client, manifest } }, t.operatorToken);
    expect({ errors: answer.errors?.map((e) => `${e.extensions?.code}: ${e.message}`) ?? [], data: answer.data ?? null }).toEqual({
      errors: [],
      data: { registerPersistedOperations: { count: null, userErrors: expected } },
    });
  });
});
