import { readFileSync } from 'node:fs';
import { buildSchema, validate, parse } from 'graphql';
import { printGatewaySchema } from '../../src/graphql/schema.js';
import { contractOperations, PENDING_OPERATIONS } from '../support/contract.js';

const schemaFile = new URL('../../schema/schema.graphql', import.meta.url);

describe('the schema and the client contract', () => {
  it('schema/schema.graphql is what the code builds (run `npm run schema` after changing types)', async () => {
    expect(readFileSync(schemaFile, 'utf8')).toBe(await printGatewaySchema());
  });

  const schema = buildSchema(readFileSync(schemaFile, 'utf8'));
  const operations = contractOperations();

  it.each(operations.filter((op) => !(op.name in PENDING_OPERATIONS)).map((op) => [`${op.file}: ${op.name}`, op.source]))(
    '%s validates against the schema as written',
    (_name, source) => {
      expect(validate(schema, parse(source)).map((e) => e.message)).toEqual([]);
    },
  );

  it('every pending operation is still in the contract and still pending (the list stays honest)', () => {
    const names = new Set(operations.map((op) => op.name));
    for (const name of Object.keys(PENDING_OPERATIONS)) {
      expect(names.has(name)).toBe(true);
      const op = operations.find((o) => o.name === name)!;
      // once an operation can run, take it off the pending list so the tests run it
      const document = parse(op.source);
      const isSubscription = document.definitions.some((d) => d.kind === 'OperationDefinition' && d.operation === 'subscription');
      const runnable = validate(schema, document).length === 0 && (!isSubscription || !!schema.getSubscriptionType());
      expect({ name, runnable }).toEqual({ name, runnable: false });
    }
  });
});
