import { GraphQLEnumType, GraphQLInt, GraphQLNonNull, GraphQLObjectType, GraphQLSchema, GraphQLString, graphql } from 'graphql';
import type { Ctx } from '../../src/context.js';
import { CompiledQueries, leavesPassThrough, responseBytes } from '../../src/graphql/compiled.js';
import { gatewaySchema } from '../../src/graphql/schema.js';

/**
 * A compiled document writes the built-in scalars' and the enums' values as the resolvers return
 * them (graphql-jit's `disableLeafSerialization`) only when that is the answer serializing would
 * give: an enum whose values are not their own names is still written by name.
 */
describe('compiled leaves', () => {
  const schemaWith = (kindValue: string) =>
    new GraphQLSchema({
      query: new GraphQLObjectType({
        name: 'Query',
        fields: {
          kind: {
            type: new GraphQLNonNull(new GraphQLEnumType({ name: 'Kind', values: { PERCENT_OFF: { value: kindValue }, FREE_ITEM: { value: 'FREE_ITEM' } } })),
            resolve: () => kindValue,
          },
          count: { type: GraphQLInt, resolve: () => 3 },
          name: { type: GraphQLString, resolve: () => 'x' },
        },
      }),
    });
  const options = { maxTokens: 1000, maxCost: 1000, maxPageSize: 50, introspection: true, validationRules: [] };
  const ctx = { caller: { kind: 'customer', customerId: 1, subject: 's' }, em: {} } as unknown as Ctx;
  const query = '{ kind count name }';

  it('answers an enum whose values are not its names by name, as graphql-js does', async () => {
    const schema = schemaWith('percent-off');
    expect(leavesPassThrough(schema)).toBe(false);
    const expected = `${JSON.stringify(await graphql({ schema, source: query }))}\n`;
    expect(expected).toContain('"kind":"PERCENT_OFF"');
    const answer = await new CompiledQueries(schema, options).answer({ query }, undefined, ctx, true);
    expect(answer?.body.toString()).toBe(expected);
  });

  it('writes the leaves as returned when every enum value is its own name, with the same bytes', async () => {
    const schema = schemaWith('PERCENT_OFF');
    expect(leavesPassThrough(schema)).toBe(true);
    const expected = `${JSON.stringify(await graphql({ schema, source: query }))}\n`;
    const answer = await new CompiledQueries(schema, options).answer({ query }, undefined, ctx, true);
    expect(answer?.body.toString()).toBe(expected);
  });

  it("holds for the gateway's schema: every enum value is its own name", async () => {
    expect(leavesPassThrough(await gatewaySchema())).toBe(true);
  });

  it("writes an answer as the UTF-8 bytes of Apollo's serialisation, characters of several bytes included", () => {
    const data = { name: 'Café ☕ 🥐', items: [{ n: 1, text: 'a"b\\c\n' }], empty: null };
    expect(responseBytes(data).equals(Buffer.from(`${JSON.stringify({ data })}\n`, 'utf8'))).toBe(true);
    expect(responseBytes(data).toString('utf8')).toBe(`${JSON.stringify({ data })}\n`);
  });
});
