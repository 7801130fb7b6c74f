import {
  getNamedType,
  isCompositeType,
  isListType,
  isNonNullType,
  Kind,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
  valueFromASTUntyped,
} from 'graphql';
import { DEFAULT_PAGE_SIZE } from './connection.js';
import { QueryTooComplexError } from './errors.js';

/**
 * What an operation may cost to run, counted before it runs, with its variables:
 * - a leaf field (scalar, enum) costs 1, `__typename` nothing, introspection (`__schema`,
 *   `__type`) nothing (it is off in production and bounded by depth);
 * - a field with a selection costs 1 plus its selection, times its list size: the value of its
 *   `first` or `last` argument (a literal, a variable's value, or, when absent, the connection
 *   default of 20), or the length of a list argument such as `nodes(ids:)`, at most the maximum
 *   page size (beyond it the field refuses); 1 for anything else.
 *
 * So `rewardStores(first: 100) { edges { node { listings(first: 100) { … } } } }` costs about
 * 100 × 100 × the listing's fields: the rows it can make the database read. graphql-armor's cost
 * rule counts `first` only when it is a literal, and a validation rule never sees variables, so a
 * client that sent `first: $n` got the cost of a single item (see docs/decisions.md).
 */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> | undefined,
  maxPageSize: number,
): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const root = schema.getRootType(operation.operation);
  if (!root) return 0;

  const valueOf = (node: ValueNode): unknown => {
    if (node.kind === Kind.VARIABLE) {
      const name = node.name.value;
      if (variables && Object.hasOwn(variables, name)) return variables[name];
      // Not sent: execution uses the variable's default (`$n: Int = 100`), so the cost does too.
      const fallback = operation.variableDefinitions?.find((d) => d.variable.name.value === name)?.defaultValue;
      return fallback ? valueFromASTUntyped(fallback) : undefined;
    }
    if (node.kind === Kind.INT) return Number(node.value);
    if (node.kind === Kind.LIST) return node.values;
    return undefined;
  };

  const listSize = (field: FieldNode, definition: GraphQLField<unknown, unknown>): number => {
    const sizeArg = definition.args.find((a) => a.name === 'first' || a.name === 'last');
    if (sizeArg) {
      const given = field.arguments?.find((a) => a.name.value === sizeArg.name);
      const value = given ? valueOf(given.value) : undefined;
      // Past the maximum page size the field refuses (BAD_USER_INPUT), so that is the most it reads.
      if (typeof value === 'number' && Number.isFinite(value)) return Math.min(maxPageSize, Math.max(0, Math.floor(value)));
      return typeof sizeArg.defaultValue === 'number' ? sizeArg.defaultValue : DEFAULT_PAGE_SIZE;
    }
    let size = 1;
    for (const arg of definition.args) {
      const type = isNonNullType(arg.type) ? arg.type.ofType : arg.type;
      if (!isListType(type)) continue;
      const given = field.arguments?.find((a) => a.name.value === arg.name);
      const value = given ? valueOf(given.value) : undefined;
      if (Array.isArray(value)) size = Math.max(size, Math.min(maxPageSize, value.length));
    }
    return size;
  };

  const visiting = new Set<string>();
  const costOf = (set: SelectionSetNode, parent: GraphQLCompositeType): number => {
    let total = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        if (name.startsWith('__')) continue;
        const definition = 'getFields' in parent ? parent.getFields()[name] : undefined;
        if (!definition) continue;
        const type = getNamedType(definition.type);
        if (!selection.selectionSet || !isCompositeType(type)) {
          total += 1;
          continue;
        }
        total += 1 + listSize(selection, definition) * costOf(selection.selectionSet, type);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const condition = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        total += costOf(selection.selectionSet, condition && isCompositeType(condition) ? condition : parent);
      } else {
        const fragment = fragments.get(selection.name.value);
        // Validation refuses cycles; the guard only keeps a bad document from looping here.
        if (!fragment || visiting.has(fragment.name.value)) continue;
        visiting.add(fragment.name.value);
        const condition = schema.getType(fragment.typeCondition.name.value);
        total += costOf(fragment.selectionSet, condition && isCompositeType(condition) ? condition : parent);
        visiting.delete(fragment.name.value);
      }
    }
    return total;
  };
  return costOf(operation.selectionSet, root);
}

/** QUERY_TOO_COMPLEX (HTTP 400) when the operation costs more than `maxCost`. */
export function checkCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> | undefined,
  limits: { maxCost: number; maxPageSize: number },
): QueryTooComplexError | undefined {
  const cost = operationCost(schema, document, operation, variables, limits.maxPageSize);
  const { maxCost } = limits;
  if (cost <= maxCost) return undefined;
  return new QueryTooComplexError(`Query Cost limit of ${maxCost} exceeded, found ${cost}.`, true);
}
