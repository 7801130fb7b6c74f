import { createHash } from 'node:crypto';
import {
  Kind,
  parse,
  parseType,
  print,
  specifiedRules,
  TypeInfo,
  validate,
  visit,
  visitWithTypeInfo,
  type DefinitionNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type TypeNode,
} from 'graphql';
import type { DocumentChecks } from '../graphql/document-rules.js';
import { checkCost } from '../graphql/cost.js';
import { parseLimitMessage } from '../graphql/errors.js';

/**
 * Apollo's persisted query manifest (the format `@apollo/generate-persisted-query-manifest` writes
 * and GraphOS persisted query lists read): `id` is the SHA-256 (hex) of `body`.
 */
export interface PersistedManifest {
  format: 'apollo-persisted-query-manifest';
  version: 1;
  operations: ManifestOperation[];
}

export type OperationType = 'query' | 'mutation' | 'subscription';

export interface ManifestOperation {
  id: string;
  name: string;
  type: OperationType;
  body: string;
}

/** One thing wrong with a manifest: where (a path into the input) and what. */
export interface ManifestProblem {
  field: string[];
  message: string;
}

/** A manifest refused as a whole (nothing registered), with every problem found. */
export class ManifestRejected extends Error {
  constructor(readonly problems: ManifestProblem[]) {
    super(problems.map((p) => p.message).join('; '));
  }
}

/** SHA-256 of a document's text, hex: Apollo's APQ hash and the manifest's `id`. */
export const documentHash = (body: string) => createHash('sha256').update(body).digest('hex');

export const HASH_FORMAT = /^[0-9a-f]{64}$/;
const OPERATION_TYPES: readonly string[] = ['query', 'mutation', 'subscription'];
/** Bounds on what one manifest may hold: an operator's mistake should not fill the database. */
export const MANIFEST_LIMITS = { operations: 500, bodyChars: 50_000 };

function fragmentsUsedBy(definition: DefinitionNode, fragments: Map<string, FragmentDefinitionNode>, seen = new Set<string>()): FragmentDefinitionNode[] {
  visit(definition, {
    FragmentSpread(node) {
      const name = node.name.value;
      if (seen.has(name)) return;
      seen.add(name);
      const fragment = fragments.get(name);
      if (fragment) fragmentsUsedBy(fragment, fragments, seen);
    },
  });
  return [...seen].sort().flatMap((name) => fragments.get(name) ?? []);
}

/**
 * One manifest entry per named operation of `document`: the body is graphql-js's `print` of the
 * operation followed by the fragments it uses (sorted by name), the id its SHA-256, as
 * `@apollo/generate-persisted-query-manifest` does by default.
 */
export function manifestFromDocument(document: DocumentNode): PersistedManifest {
  const fragments = new Map(
    document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
  );
  const operations = document.definitions
    .filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)
    .map((operation) => {
      if (!operation.name) throw new Error('Every operation in a manifest needs a name.');
      const body = print({ kind: Kind.DOCUMENT, definitions: [operation, ...fragmentsUsedBy(operation, fragments)] });
      return { id: documentHash(body), name: operation.name.value, type: operation.operation as OperationType, body };
    });
  return { format: 'apollo-persisted-query-manifest', version: 1, operations };
}

/**
 * Checks a manifest's shape and every operation in it against `schema`: the id is the SHA-256 of
 * the body, the body parses to exactly one operation with the entry's name and type (plus the
 * fragments it uses) within `checks.maxTokens`, and validates with `checks.rules`: every caller that
 * registers passes the gateway's own (`documentChecks`), so nothing is registered that would be
 * refused when run (break37, API); graphql-js's specified rules alone where none are given.
 * @throws ManifestRejected with every problem found (fields point into `manifest`).
 */
export function checkManifest(schema: GraphQLSchema, manifest: unknown, checks: DocumentChecks = { rules: specifiedRules }): PersistedManifest {
  const problems: ManifestProblem[] = [];
  const at = (...path: (string | number)[]) => ['manifest', ...path.map(String)];
  const m = manifest as Partial<PersistedManifest> | null;
  if (!m || typeof m !== 'object' || Array.isArray(m)) throw new ManifestRejected([{ field: at(), message: 'The manifest must be a JSON object.' }]);
  if (m.format !== 'apollo-persisted-query-manifest') problems.push({ field: at('format'), message: 'format must be "apollo-persisted-query-manifest".' });
  if (m.version !== 1) problems.push({ field: at('version'), message: 'version must be 1.' });
  if (!Array.isArray(m.operations)) problems.push({ field: at('operations'), message: 'operations must be a list.' });
  else if (m.operations.length > MANIFEST_LIMITS.operations) {
    problems.push({ field: at('operations'), message: `A manifest holds at most ${MANIFEST_LIMITS.operations} operations.` });
  }
  if (problems.length) throw new ManifestRejected(problems);
  const seen = new Map<string, number>();
  m.operations!.forEach((op: Partial<ManifestOperation>, i) => {
    const fail = (message: string, key?: string) => problems.push({ field: key ? at('operations', i, key) : at('operations', i), message });
    if (!op || typeof op !== 'object') return fail(`operations[${i}] must be an object.`);
    const label = typeof op.name === 'string' ? op.name : `operations[${i}]`;
    if (typeof op.name !== 'string' || !/^[_A-Za-z][_0-9A-Za-z]{0,199}$/.test(op.name)) return fail(`${label}: name must be a GraphQL name.`, 'name');
    if (typeof op.type !== 'string' || !OPERATION_TYPES.includes(op.type)) return fail(`${label}: type must be query, mutation or subscription.`, 'type');
    if (typeof op.body !== 'string' || op.body.length > MANIFEST_LIMITS.bodyChars) {
      return fail(`${label}: body must be a string of at most ${MANIFEST_LIMITS.bodyChars} characters.`, 'body');
    }
    if (typeof op.id !== 'string' || op.id !== documentHash(op.body)) return fail(`${label}: id must be the SHA-256 (hex) of the body.`, 'id');
    const before = seen.get(op.id);
    if (before !== undefined) return fail(`${label}: the same body is already operations[${before}].`, 'id');
    seen.set(op.id, i);
    let document: DocumentNode;
    try {
      document = parse(op.body, { maxTokens: checks.maxTokens });
    } catch (error) {
      const message = (error as Error).message;
      return fail(`${label}: ${parseLimitMessage(message) ?? message}`, 'body');
    }
    const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
    if (operations.length !== 1) return fail(`${label}: the body must hold exactly one operation, it holds ${operations.length}.`, 'body');
    if (operations[0].name?.value !== op.name) return fail(`${label}: the body's operation is named ${operations[0].name?.value ?? '(nothing)'}.`, 'name');
    if (operations[0].operation !== op.type) return fail(`${label}: the body is a ${operations[0].operation}, not a ${op.type}.`, 'type');
    for (const problem of operationProblems(schema, document, operations[0], checks)) fail(`${label}: ${problem}`, 'body');
  });
  if (problems.length) throw new ManifestRejected(problems);
  return m as PersistedManifest;
}

/**
 * The variables that make `operation` cost least (`operationCost`): 0 for every Int (a `first` or
 * `last`), an empty list for every list; the rest left out (they change no list size).
 */
function cheapestVariables(operation: OperationDefinitionNode): Record<string, unknown> {
  const least: Record<string, unknown> = {};
  for (const definition of operation.variableDefinitions ?? []) {
    const type = definition.type.kind === Kind.NON_NULL_TYPE ? definition.type.type : definition.type;
    if (type.kind === Kind.LIST_TYPE) least[definition.variable.name.value] = [];
    else if (type.name.value === 'Int') least[definition.variable.name.value] = 0;
  }
  return least;
}

/**
 * What refuses `operation` (of the parsed `document`) at every send under `checks`, as messages:
 * the validation rules' errors, then, when `checks.cost` is set and the rules pass, the cost limit
 * when even its cheapest variables (`cheapestVariables`) cost more than MAX_QUERY_COST, in the
 * request's words ("Query Cost limit of 20000 exceeded, found 40401."): an operation with no
 * variables costs the same at every send (break37c). Registration and `persisted check` both ask.
 */
function operationProblems(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, checks: DocumentChecks): string[] {
  const problems = validate(schema, document, checks.rules).map((e) => e.message);
  if (problems.length || !checks.cost) return problems;
  const tooCostly = checkCost(schema, document, operation, cheapestVariables(operation), checks.cost);
  return tooCostly ? [tooCostly.message] : [];
}

/**
 * The output type of every field an operation selects, by schema coordinate (`Customer.email` →
 * `String`): what the operation's clients were built against. Recorded at registration so that
 * `persisted check` can tell a retyped field from an unchanged one (a document still validates
 * when `available: Int!` becomes `String`, yet every client reading it breaks).
 */
export function selectedFieldTypes(schema: GraphQLSchema, document: DocumentNode): Record<string, string> {
  const typeInfo = new TypeInfo(schema);
  const types: Record<string, string> = {};
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        const parent = typeInfo.getParentType();
        const type = typeInfo.getType();
        if (!parent || !type || node.name.value.startsWith('__')) return;
        types[`${parent.name}.${node.name.value}`] = String(type);
      },
    }),
  );
  return types;
}

/** True when a client built for output type `before` can read `after`: the same, or non-null where it was nullable. */
function outputCompatible(before: TypeNode, after: TypeNode): boolean {
  if (after.kind === Kind.NON_NULL_TYPE) return outputCompatible(before.kind === Kind.NON_NULL_TYPE ? before.type : before, after.type);
  if (before.kind === Kind.NON_NULL_TYPE) return false;
  if (before.kind === Kind.LIST_TYPE || after.kind === Kind.LIST_TYPE) {
    return before.kind === Kind.LIST_TYPE && after.kind === Kind.LIST_TYPE && outputCompatible(before.type, after.type);
  }
  return before.name.value === after.name.value;
}

/** A registered operation as `persisted check` sees it. */
export interface RegisteredOperation {
  client: string;
  name: string;
  hash: string;
  body: string;
  /** From `selectedFieldTypes` against the schema it was registered with. */
  fieldTypes: Record<string, string>;
}

/** What a schema would break in one registered operation. */
export interface Breakage {
  client: string;
  name: string;
  hash: string;
  problems: string[];
}

/**
 * What `schema` breaks among `operations`: every validation error (a removed field or argument, a
 * changed argument type, an object where a leaf was) and every selected field whose output type
 * changed in a way its clients cannot read (`Int!` → `String`, `Int!` → `Int`). Additive changes
 * and `Int` → `Int!` break nothing. With the gateway's `checks` (`documentChecks`), also what its
 * limits as set now refuse at every send (a limit lowered since registration: break37c), as
 * registration asks. Empty when all still run as registered.
 */
export function breakingChanges(schema: GraphQLSchema, operations: RegisteredOperation[], checks: DocumentChecks = { rules: specifiedRules }): Breakage[] {
  const breakages: Breakage[] = [];
  for (const op of operations) {
    let document: DocumentNode;
    try {
      document = parse(op.body, { maxTokens: checks.maxTokens });
    } catch (error) {
      const message = (error as Error).message;
      breakages.push({ client: op.client, name: op.name, hash: op.hash, problems: [parseLimitMessage(message) ?? message] });
      continue;
    }
    const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
    const problems = operation ? operationProblems(schema, document, operation, checks) : validate(schema, document, checks.rules).map((e) => e.message);
    if (!problems.length) {
      const now = selectedFieldTypes(schema, document);
      for (const [coordinate, before] of Object.entries(op.fieldTypes)) {
        const after = now[coordinate];
        if (after === undefined) problems.push(`${coordinate} is gone.`);
        else if (!outputCompatible(parseType(before), parseType(after))) problems.push(`${coordinate} was ${before}, is ${after}.`);
      }
    }
    if (problems.length) breakages.push({ client: op.client, name: op.name, hash: op.hash, problems });
  }
  return breakages;
}

