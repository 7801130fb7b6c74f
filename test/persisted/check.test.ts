import { readFileSync } from 'node:fs';
import { buildSchema, parse } from 'graphql';
import { gatewaySchema } from '../../src/graphql/schema.js';
import { breakingChanges, manifestFromDocument, selectedFieldTypes, type RegisteredOperation } from '../../src/persisted/manifest.js';
import { allRegisteredOperations } from '../../src/persisted/persisted.service.js';
import { contractDocument, CONTRACT_FILES } from '../support/contract.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

const sdl = readFileSync(new URL('../../schema/schema.graphql', import.meta.url), 'utf8');

/** The schema with one edit: `before` must occur exactly once. */
function edited(before: string, after: string) {
  expect(sdl.split(before)).toHaveLength(2);
  return buildSchema(sdl.replace(before, after));
}

/**
 * `npm run persisted -- check`: what a schema change would break among the registered operations
 * (validation, plus output types the operations' clients were built against).
 */
describe('persisted check', () => {
  const published = buildSchema(sdl);
  const registered: RegisteredOperation[] = manifestFromDocument(contractDocument('partner')).operations.map((op) => ({
    client: 'partner:1',
    name: op.name,
    hash: op.id,
    body: op.body,
    fieldTypes: selectedFieldTypes(published, parse(op.body)),
  }));
  const broken = (schema: ReturnType<typeof buildSchema>) => breakingChanges(schema, registered).map((b) => [b.name, b.problems]);

  it('passes on the schema the operations were registered with, and on additive changes', () => {
    expect(broken(published)).toEqual([]);
    expect(broken(edited('type PointBalance {\n', 'type PointBalance {\n  nickname(style: String): String\n'))).toEqual([]);
    expect(broken(buildSchema(`${sdl}\ntype Brand { id: ID! }\nextend type Query { brands: [Brand!]! }\n`))).toEqual([]);
    // nullable to non-null narrows what a client may receive: nothing breaks
    expect(broken(edited('  failureReason: String\n', '  failureReason: String!\n'))).toEqual([]);
  });

  it('fails on a removed field, naming the operation and the field', () => {
    expect(broken(edited('  """Earned but not yet available."""\n  pending: Int!\n', ''))).toEqual([
      ['CustomerByExternalId', [expect.stringContaining('Cannot query field "pending" on type "PointBalance"')]],
    ]);
  });

  it('fails on a retyped field, also where the document still validates', () => {
    expect(broken(edited('type PointBalance {\n  available: Int!\n', 'type PointBalance {\n  available: String!\n'))).toEqual([['CustomerByExternalId', ['PointBalance.available was Int!, is String!.']]]);
    expect(broken(edited('type PointBalance {\n  available: Int!\n', 'type PointBalance {\n  available: Int\n'))).toEqual([['CustomerByExternalId', ['PointBalance.available was Int!, is Int.']]]);
    expect(broken(edited('type PointBalance {\n  available: Int!\n', 'type PointBalance {\n  available: [Int!]!\n'))).toEqual([['CustomerByExternalId', ['PointBalance.available was Int!, is [Int!]!.']]]);
  });

  describe('against the contract, on the database', () => {
    let t: TestGateway;
    beforeAll(async () => {
      t = await startTestGateway();
    });
    afterAll(() => t.close());

    it("every contract operation registered for its client still runs on this build's schema", async () => {
      for (const file of CONTRACT_FILES) await t.register(file === 'partner' ? 'pos' : file, manifestFromDocument(contractDocument(file)));
      const operations = await allRegisteredOperations(t.orm.em.fork());
      expect(operations.length).toBe(CONTRACT_FILES.reduce((n, file) => n + manifestFromDocument(contractDocument(file)).operations.length, 0));
      // what `npm run persisted -- check` runs: a schema change that breaks a contract operation fails here
      expect(breakingChanges(await gatewaySchema(), operations)).toEqual([]);
      const withoutPending = buildSchema(sdl.replace('  """Earned but not yet available."""\n  pending: Int!\n', ''));
      expect(breakingChanges(withoutPending, operations).map((b) => `${b.client} ${b.name}`)).toEqual(expect.arrayContaining(['pos CustomerByExternalId']));
    });
  });
});
