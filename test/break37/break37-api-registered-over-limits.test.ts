import { parse } from 'graphql';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { registerForNewPartner } from '../support/registration.js';
import { documentHash, manifestFromDocument, type ManifestOperation } from '../../src/persisted/manifest.js';


/**
 * break37 (API): `registerPersistedOperations` checks a manifest's operations "against the schema
 * first" so that "nothing is registered that would be refused when sent" (docs/decisions.md,
 * hostile pass 12c; src/persisted/manifest.ts `checkManifest`). It checks graphql-js's rules and
 * the one-root-field rule, not the gateway's own document limits (MAX_QUERY_ALIASES 15,
 * MAX_QUERY_DEPTH 12). An operator registers a partner's manifest holding an operation over one of
 * them: it is accepted (`count: 1`, no userErrors), and every later send of it by the partner is
 * refused QUERY_TOO_COMPLEX. The POS integrator learns only at the till that an operation the
 * gateway took can never run. A correct gateway refuses the manifest whole (`INVALID` on the
 * operation's body, naming the limit) and registers nothing, as it does for any other bad operation.
 */
describe('break37 api: a registered operation over the document limits', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(() => t.close());

  const operationOf = (text: string): ManifestOperation => manifestFromDocument(parse(text)).operations[0];

  const registerAndSend = async (operation: ManifestOperation) => {
    const { registered, sent } = await registerForNewPartner(t, [operation]);
    return { registered, sentCodes: sent.map((e) => e.split(':')[0]) };
  };

  /** The manifest refused whole, INVALID on the operation's body naming what it breaks, and the send of its id refused as an operation not on the list. */
  const expectRefusedAtRegistration = (outcome: Awaited<ReturnType<typeof registerAndSend>>, message: RegExp) => {
    expect({ count: outcome.registered.count, userErrors: outcome.registered.userErrors, sentCodes: outcome.sentCodes }).toEqual({
      count: null,
      userErrors: [{ code: 'INVALID', field: ['input', 'manifest', 'operations', '0', 'body'], message: expect.stringMatching(message) }],
      sentCodes: ['PERSISTED_QUERY_NOT_ALLOWED'],
    });
  };

  it('refuses an operation with more aliases than MAX_QUERY_ALIASES at registration, not at every send', async () => {
    const aliases = Array.from({ length: t.config.limits.maxAliases + 1 }, (_, i) => `t${i}: tiers { code }`).join(' ');
    // Before: registered (count 1, no userErrors), then every send refused QUERY_TOO_COMPLEX.
    expectRefusedAtRegistration(await registerAndSend(operationOf(`query ManyTiers { ${aliases} }`)), /^ManyTiers: Aliases limit of 15 exceeded, found 16\.$/);
  });

  it('refuses an operation deeper than MAX_QUERY_DEPTH at registration, not at every send', async () => {
    // rewardStores → listings → store → listings …: each hop a level, one item a page (cheap to run)
    let deep = 'id';
    for (let i = 0; i < 4; i++) deep = `listings(first: 1) { edges { node { ${i === 0 ? deep : `store { ${deep} }`} } } }`;
    deep = `rewardStores(first: 1) { edges { node { ${deep} } } }`;
    const probe = operationOf(`query Deep { ${deep} }`);
    expectRefusedAtRegistration(await registerAndSend(probe), /^Deep: .*depth limit of 12 exceeded/i);
  });

  it('refuses an operation of more tokens than MAX_QUERY_TOKENS at registration, not at every send', async () => {
    // a list literal of ids: valid, within depth and aliases, but more tokens than a document may have
    const fields = Array.from({ length: t.config.limits.maxTokens }, () => '"x"').join(' ');
    // written on one line (a manifest's id is the SHA-256 of its body as written; print() would put each on its own)
    const body = `query ManyIds { nodes(ids: [${fields}]) { id } }`;
    expectRefusedAtRegistration(await registerAndSend({ id: documentHash(body), name: 'ManyIds', type: 'query', body }), /^ManyIds: Token limit of 2000 exceeded\.$/);
  });
});

describe('break37 api: a registered operation that production refuses', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ NODE_ENV: 'production' });
  });
  afterAll(() => t.close());

  it('refuses an introspection operation at registration when introspection is off, not at every send', async () => {
    const operation = manifestFromDocument(parse(`query SchemaTypes { __schema { types { name } } }`)).operations[0];
    const { registered, sent } = await registerForNewPartner(t, [operation]);
    // Before: registered, then every send refused GRAPHQL_VALIDATION_FAILED. Now one refusal for each introspection field it selects.
    expect({ count: registered.count, userErrors: registered.userErrors, sentCodes: sent.map((e) => e.split(':')[0]) }).toEqual({
      count: null,
      userErrors: ['__schema', 'types'].map((field) => ({
        code: 'INVALID',
        field: ['input', 'manifest', 'operations', '0', 'body'],
        message: `SchemaTypes: GraphQL introspection has been disabled, but the requested query contained the field "${field}".`,
      })),
      sentCodes: ['PERSISTED_QUERY_NOT_ALLOWED'],
    });
  });
});
