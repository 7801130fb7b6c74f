import { readFileSync } from 'node:fs';
import { documentChecks } from '../../src/graphql/document-rules.js';
import { buildSchema, parse } from 'graphql';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { createPartner } from '../support/program.js';
import { manifestFromDocument, type ManifestOperation } from '../../src/persisted/manifest.js';
import { partnerClient, registerManifest } from '../../src/persisted/persisted.service.js';
import { REGISTER_PERSISTED } from '../support/registration.js';
import { decodeGlobalId } from '../../src/graphql/ids.js';


/**
 * break37 (API): manifests are registered "per client with `registerPersistedOperations` or `npm
 * run persisted -- register`" (contract README), and a manifest operation's body may be up to
 * 50,000 characters (`MANIFEST_LIMITS.bodyChars`); any document within MAX_DOCUMENT_BYTES (20 kB),
 * 2000 tokens, depth 12 and 15 aliases runs. But `manifest` is a `JSON` argument, and every string
 * inside a JSON input is capped at 10,000 characters (the input edge's MAX_TEXT_LENGTH). So an
 * operation of 10–20 kB (a console screen's query as `print()` writes it, each field on its own
 * indented line) that the gateway runs is refused by the operators' mutation (the console's Partners
 * page) as `BAD_USER_INPUT` "Expected type "JSON". JSON text is longer than 10000 characters" on
 * `["input","manifest"]`: it names neither the operation nor a limit the document breaks, and the
 * CLI registers the very same manifest. A correct gateway registers it (count 1) and the partner
 * runs it by id.
 */
describe('break37 api: a manifest operation longer than 10,000 characters', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(() => t.close());

  it('is registered through registerPersistedOperations and runs by id', async () => {
    const block = `id externalId name status createdAt updatedAt version
      tier { id code name rank threshold windowDays multiplier currency { code name expiryDays pointValue moneyCurrency } }
      nextTier { code name rank threshold pointsNeeded currency { code name } }
      balances { available pending lifetimeEarned currency { code name expiryDays pointValue moneyCurrency } expiringSoon { amount expiresAt } }`;
    // one screen's worth: the loyalty view of up to 15 customers at once, as a till's "household" lookup
    const lookups = Array.from({ length: 15 }, (_, i) => `c${i}: customer(externalId: $id${i}) { ${block} }`).join('\n');
    const declared = Array.from({ length: 15 }, (_, i) => `$id${i}: String!`).join(', ');
    const [operation] = manifestFromDocument(parse(`query Household(${declared}) { ${lookups} }`)).operations;
    // within every limit a document is run under …
    expect(Buffer.byteLength(operation.body)).toBeLessThan(t.config.limits.maxDocumentBytes);
    // … and longer than the JSON scalar's strings
    expect(operation.body.length).toBeGreaterThan(10_000);

    const manifest = { format: 'apollo-persisted-query-manifest', version: 1, operations: [operation] };
    const variables = Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`id${i}`, `nobody-${i}`]));
    const sendAs = async (apiKey: string, op: ManifestOperation) => {
      const res = await t.fetch('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
        body: JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: op.id } }, variables }),
      });
      return (await res.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
    };
    const fifteenNulls = { data: Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`c${i}`, null])) };

    // The control: registered as `npm run persisted -- register` does it (registerManifest), the partner runs it.
    const viaCli = await createPartner(t, ['customers:read']);
    const cliClient = partnerClient(decodeGlobalId((await t.partnerIdOf(viaCli.apiKey))!)!.id);
    const schema = buildSchema(readFileSync(new URL('../../schema/schema.graphql', import.meta.url), 'utf8'));
    expect(await registerManifest(t.orm.em.fork(), { schema, client: cliClient, manifest, actor: 'cli', now: t.clock.now(), checks: documentChecks(t.config) })).toEqual({ count: 1 });
    expect(await sendAs(viaCli.apiKey, operation)).toEqual(fifteenNulls);

    // The same manifest through the operators' mutation (the console's Partners page).
    const partner = await createPartner(t, ['customers:read']);
    const client = (await t.partnerIdOf(partner.apiKey))!;
    const registered = await t.gql<any, unknown>(REGISTER_PERSISTED, { input: { client, manifest } }, t.operatorToken);
    expect({ errors: registered.errors?.map((e) => `${e.extensions?.code}: ${e.message}`) ?? [], data: registered.data }).toEqual({
      errors: [],
      data: { registerPersistedOperations: { count: 1, userErrors: [] } },
    });
    expect(await sendAs(partner.apiKey, operation)).toEqual(fifteenNulls);
  });
});
