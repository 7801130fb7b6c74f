import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'graphql';
import { documentChecks } from '../../src/graphql/document-rules.js';
import { gatewaySchema } from '../../src/graphql/schema.js';
import { checkManifest, manifestFromDocument, type PersistedManifest } from '../../src/persisted/manifest.js';
import { firstPartyManifestPath } from '../../src/persisted/first-party.js';
import { contractDocument, CONTRACT_FILES } from '../support/contract.js';
import { dataOf, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCurrency, createPartner, createTier, uniqueCode } from '../support/program.js';

const REGISTER = `mutation RegisterPersistedOperations($input: RegisterPersistedOperationsInput!) {
  registerPersistedOperations(input: $input) { count userErrors { code field message } } }`;

/**
 * break37c (API), held: registration now checks documents with the gateway's own checks
 * (`documentChecks`: depth, aliases, directives, tokens, introspection in production, one mutation
 * root field). Attacked for false refusals, on a gateway with NODE_ENV=production: every operation
 * of the client contract (mobile, partner, staff) and of the built apps' manifests passes
 * (nothing the apps or integrators send is refused at registration), through the operators'
 * mutation too; an operation with fragments (nested, on an interface), @include/@skip on variables
 * and `__typename` registers and runs by id with its directives applied; a subscription registers.
 */
describe('break37c api (held): registration refuses nothing the gateway runs', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ NODE_ENV: 'production' });
  });
  afterAll(() => t.close());

  it("passes the contract's and the built apps' operations under production's checks", async () => {
    const schema = await gatewaySchema();
    const manifests: [string, PersistedManifest][] = CONTRACT_FILES.map((file) => [file, manifestFromDocument(contractDocument(file))]);
    for (const client of ['web', 'console'] as const) {
      const file = firstPartyManifestPath(client);
      if (existsSync(file)) manifests.push([client, JSON.parse(readFileSync(file, 'utf8')) as PersistedManifest]);
    }
    const refused: string[] = [];
    for (const [name, manifest] of manifests) {
      try {
        checkManifest(schema, manifest, documentChecks(t.config));
      } catch (error) {
        refused.push(`${name}: ${(error as Error).message}`);
      }
    }
    expect(refused).toEqual([]);
    // the contract's files through the mutation, each for a client of its own
    for (const file of CONTRACT_FILES) {
      const answer = dataOf(await t.gql<any, unknown>(REGISTER, { input: { client: `c37-${file}`, manifest: manifestFromDocument(contractDocument(file)) } }, t.operatorToken));
      expect(answer.registerPersistedOperations.userErrors).toEqual([]);
    }
  });

  it('registers fragments, @include/@skip and a subscription, and runs them by id as written', async () => {
    const body = `query Shaped($withName: Boolean!, $noRank: Boolean!) {
      tiers { ...TierBits }
      node(id: "VGllcjo5OTk5OTk") { __typename ...NodeBits }
    }
    fragment TierBits on Tier { code name @include(if: $withName) rank @skip(if: $noRank) ...More }
    fragment More on Tier { threshold }
    fragment NodeBits on Node { id }`;
    const currency = (await createCurrency(t, uniqueCode('F37C'))).code;
    await createTier(t, { currency, code: uniqueCode('T'), rank: 1, threshold: 10 });
    const [operation] = manifestFromDocument(parse(body)).operations;
    const [subscription] = manifestFromDocument(parse('subscription Balance37c { balanceChanged { available } }')).operations;
    const partner = await createPartner(t, ['customers:read']);
    const client = (await t.partnerIdOf(partner.apiKey))!;
    const answer = dataOf(
      await t.gql<any, unknown>(REGISTER, { input: { client, manifest: { format: 'apollo-persisted-query-manifest', version: 1, operations: [operation, subscription] } } }, t.operatorToken),
    );
    expect(answer.registerPersistedOperations).toEqual({ count: 2, userErrors: [] });
    const res = await t.fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': partner.apiKey },
      body: JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: operation.id } }, variables: { withName: false, noRank: true } }),
    });
    const sent = (await res.json()) as { data?: { tiers: Record<string, unknown>[]; node: unknown }; errors?: unknown };
    expect(sent.errors).toBeUndefined();
    expect(sent.data!.node).toBeNull();
    expect(sent.data!.tiers.length).toBeGreaterThan(0);
    for (const tier of sent.data!.tiers) expect(Object.keys(tier).sort()).toEqual(['code', 'threshold']);
  });
});
