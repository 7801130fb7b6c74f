import { Field, ID, InterfaceType } from 'type-graphql';

/** The GraphQL type of a row `asNode` marked. */
export const nodeTypeOf = (value: { __typename?: string }): string | undefined => value.__typename;

/** Objects a client can refetch by their global id with `node(id:)`. */
@InterfaceType({
  description: 'An object with a global id, refetchable with `node(id:)`.',
  resolveType: nodeTypeOf,
})
export abstract class Node {
  @Field(() => ID)
  id!: string;
}

/** Marks a row with its GraphQL type so `Node` can tell what it is. */
export function asNode<T extends object>(typename: string, row: T | undefined | null): (T & { __typename: string }) | null {
  return row ? Object.assign(row, { __typename: typename }) : null;
}
