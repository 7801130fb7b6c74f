import {
  Kind,
  NoSchemaIntrospectionCustomRule,
  isEnumType,
  defaultFieldResolver,
  getVariableValues,
  visit,
  BREAK,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type FragmentDefinitionNode,
  type SelectionNode,
  type GraphQLFieldResolver,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type ValidationRule,
} from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import type { Ctx } from '../context.js';
import { markOperation } from '../db/reads.js';
import { databaseUnavailable } from '../db/unavailable.js';
import { checkCost } from './cost.js';
import { replayExtensions } from './replays.js';

/** One query or mutation operation of a document that parsed, validated and compiled. */
interface Compiled {
  document: DocumentNode;
  operation: OperationDefinitionNode;
  query: CompiledQuery['query'];
  /**
   * Whether a request with these variables may run here, by the variables' JSON: its cost is within
   * the limit and graphql-js coerces them without error (both depend on nothing else).
   */
  accepted: Map<string, boolean>;
  /** Variables that are the value of an input object literal's field (`{ name: $name }`): see `fieldVariables`. */
  fieldVariables: readonly string[];
  /**
   * Whether the request may run before the signed-in customer's status is known (CustomerCheck): a
   * query, or a mutation whose root fields are all `customerCheckingMutations`.
   */
  beforeCustomerCheck: boolean;
}

const COST_ANSWERS_KEPT = 32;

export interface CompiledQueriesOptions {
  /** graphql-js's token limit while parsing (MAX_QUERY_TOKENS), as for every other document. */
  maxTokens: number;
  /** The cost limit (MAX_QUERY_COST) and the page size cap it counts lists with. */
  maxCost: number;
  maxPageSize: number;
  /** Introspection is refused in validation when off, as Apollo does (`introspection: false`). */
  introspection: boolean;
  /** Validation rules beyond graphql's own (depth, aliases, directives). */
  validationRules: readonly ValidationRule[];
  /** A document not on a caller's registered list is compiled once it has been sent this many times. */
  hotAfter?: number;
  /** At most this many compiled documents are kept (the oldest go first). */
  maxEntries?: number;
  /**
   * Mutation fields whose own first statement settles a pending CustomerCheck before it writes
   * anything, refusing (writing nothing) for a customer authentication would refuse: a document of
   * these alone may run before the check is settled (`mayRunBeforeCustomerCheck`).
   */
  customerCheckingMutations?: readonly string[];
  /**
   * Whether a mutation may run here now: the clock guard's verdict, a boolean when it has a recent
   * reading, a promise when it must read the database's clock first (src/http/server.ts). False
   * leaves the request to Apollo's path, which refuses it (SERVICE_UNAVAILABLE). Absent: always.
   */
  writesAllowed?: () => boolean | Promise<boolean>;
}

/** The media types a JSON answer may be sent as, by the exact Accept headers this path serves. */
const CONTENT_TYPE_FOR_ACCEPT = new Map<string | undefined, string>([
  [undefined, 'application/json; charset=utf-8'],
  ['', 'application/json; charset=utf-8'],
  ['*/*', 'application/json; charset=utf-8'],
  ['application/json', 'application/json; charset=utf-8'],
  ['application/graphql-response+json', 'application/graphql-response+json; charset=utf-8'],
  ['application/graphql-response+json, application/json', 'application/graphql-response+json; charset=utf-8'],
  ['application/graphql-response+json, application/json;q=0.9', 'application/graphql-response+json; charset=utf-8'],
]);

/**
 * Whether graphql-jit may write the built-in scalars' and the enums' values as the resolvers return
 * them (`disableLeafSerialization`) instead of passing each through its type's `serialize`.
 *
 * Why: for every leaf, graphql-jit's serializing call builds its arguments anew (the field's
 * source locations as an array of objects, its response path as an array, and two rest-parameter
 * arrays), about 300 bytes of garbage per leaf even when nothing is wrong: 65 kB of the page of
 * 20's 313 kB allocated per request (bench/README.md, issue 12, eighth session). Written as
 * returned, a leaf costs a null check and nothing else.
 *
 * When it is the same answer: `serialize` of Int, Float, String, Boolean and ID returns a value of
 * its own type unchanged, and this schema's resolvers return those types (SQL integers are numbers,
 * `int8` included (db/orm.ts), ids are global-id strings, numerics are cast to `float8` or read as
 * text for Decimal); the suites check it byte for byte against the interpreter
 * (test/graphql/compiled.test.ts). An enum's `serialize` maps a value to its name: the same only when
 * every value of every enum is its own name, which this checks, so a schema with a mapped enum
 * keeps serializing. Custom scalars (DateTime, Decimal, BigInt, …) are serialized either way.
 */
export function leavesPassThrough(schema: GraphQLSchema): boolean {
  for (const type of Object.values(schema.getTypeMap())) {
    if (isEnumType(type) && type.getValues().some((value) => value.value !== value.name)) return false;
  }
  return true;
}

/**
 * Apollo's serialisation of a result without errors exactly, `{"data":…}` and a newline, as UTF-8
 * bytes in a buffer (outside V8's heap from 4 kB up). As a string, the newline made it a two-part
 * string, which V8 copied whole to measure it (`Buffer.byteLength`), and node:http copied it again
 * to put the header in front: two copies of a 14 kB page per request in the young generation.
 * Here the JSON text is measured and written into the buffer as it is, and nothing is copied on the
 * heap (bench/README.md, issue 12, eighth session). `extensions`: the answer's, when it has any
 * (`replayExtensions`).
 */
export function responseBytes(data: unknown, extensions?: Record<string, unknown>): Buffer {
  // Apollo's order: `data`, then `extensions` when there are any (a replayed mutation's, replay-22).
  const json = JSON.stringify(extensions ? { data, extensions } : { data });
  const length = Buffer.byteLength(json);
  const bytes = Buffer.allocUnsafe(length + 1);
  bytes.write(json, 0, length, 'utf8');
  bytes[length] = 0x0a;
  return bytes;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The outcome of each root mutation field a request's compiled attempt started, by response key
 * (alias or field name), keyed by the request's unit of work (`ctx.em`: Apollo runs a request on
 * a shallow copy of its context, so the context object is no key; the em is the same object).
 * Weak: an entry lives as long as its request.
 */
const mutationOutcomes = new WeakMap<object, Map<string, Promise<unknown>>>();
const REPLAYING = Symbol('replaying mutation outcomes');

/**
 * Wraps every Mutation field's resolver of `schema` (once) so that within a request whose
 * compiled attempt already ran it, any later execution of the same response key answers with the
 * outcome recorded then (the same value, or the same error) instead of running the mutation again.
 * Outside such a request (Apollo's own requests, WebSocket operations) the wrapper only looks the
 * request up in a WeakMap and calls the resolver.
 */
function replayMutations(schema: GraphQLSchema): void {
  const fields = schema.getMutationType()?.getFields() ?? {};
  for (const field of Object.values(fields)) {
    const resolve = (field.resolve ?? defaultFieldResolver) as GraphQLFieldResolver<unknown, unknown> & { [REPLAYING]?: true };
    if (resolve[REPLAYING]) continue;
    const replaying: GraphQLFieldResolver<unknown, { em?: object } | undefined> & { [REPLAYING]?: true } = (source, args, context, info) => {
      const outcomes = context?.em ? mutationOutcomes.get(context.em) : undefined;
      if (!outcomes) return resolve(source, args, context, info);
      const key = String(info.path.key);
      let outcome = outcomes.get(key);
      if (!outcome) {
        outcome = (async () => resolve(source, args, context, info))();
        // Whoever reads the outcome handles its error; the recorded copy must not count as unhandled.
        outcome.catch(() => undefined);
        outcomes.set(key, outcome);
      }
      return outcome;
    };
    replaying[REPLAYING] = true;
    field.resolve = replaying;
  }
}

/**
 * Whether any field of the document is aliased `__proto__` (or a variable so named): graphql-jit
 * builds each answer object by assigning its keys, and assigning `__proto__` sets the object's
 * prototype instead, so the field vanished from the answer without an error (a purchase answered
 * without its `purchase`); graphql-js builds answers on prototype-less objects and keeps it.
 */
function namesProto(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    Field(node) {
      if (node.alias?.value !== '__proto__') return undefined;
      found = true;
      return BREAK;
    },
    // A variable of that name is kept on an object by assignment too (its value would be lost).
    VariableDefinition(node) {
      if (node.variable.name.value !== '__proto__') return undefined;
      found = true;
      return BREAK;
    },
  });
  return found;
}

/**
 * The variables the document places as the value of a field of an input object literal
 * (`updateOffer(input: { offerId: $id, description: $description })`). When such a variable is not
 * sent, graphql-js leaves the field out of the object, and services read a field left out as "keep"
 * and null as "clear" (updateOffer, upsertCustomer); graphql-jit sets the field to null, so an
 * edit naming only the name cleared the offer's description and terms. A request that leaves one
 * of these out goes to Apollo.
 */
function fieldVariables(document: DocumentNode): string[] {
  const names = new Set<string>();
  visit(document, {
    ObjectField(node) {
      if (node.value.kind === Kind.VARIABLE) names.add(node.value.name.value);
    },
  });
  return [...names];
}

/**
 * The response keys (alias or field name) of an operation's root fields, or with `by: 'name'` their
 * field names, through its fragments, whatever their @include/@skip (a field a directive may leave
 * out still counts).
 */
function rootFieldKeys(document: DocumentNode, operation: OperationDefinitionNode, by: 'responseKey' | 'name' = 'responseKey'): Set<string> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  const keys = new Set<string>();
  const seen = new Set<string>();
  const walk = (selections: readonly SelectionNode[]) => {
    for (const selection of selections) {
      if (selection.kind === Kind.FIELD) keys.add((by === 'name' ? selection.name : (selection.alias ?? selection.name)).value);
      else if (selection.kind === Kind.INLINE_FRAGMENT) walk(selection.selectionSet.selections);
      else if (!seen.has(selection.name.value)) {
        seen.add(selection.name.value);
        const fragment = fragments.get(selection.name.value);
        if (fragment) walk(fragment.selectionSet.selections);
      }
    }
  };
  walk(operation.selectionSet.selections);
  return keys;
}

/**
 * Query and mutation documents compiled to JavaScript with graphql-jit, and a way to answer a
 * request with one without Apollo's per-request pipeline. graphql-js interprets the document field
 * by field on every request (about 460 fields for a page of 20 listings); a compiled document is
 * straight-line code for that one selection, calling the same resolvers.
 *
 * Which documents: an operation on the caller's registered list (a trusted document) at its first
 * use; any other text once it has been sent `hotAfter` times, so a stream of one-off documents does
 * not turn into a stream of compilations. A document that does not parse or validate, or is not a
 * single query or mutation operation, is remembered as not compilable and always goes to Apollo.
 *
 * `answer` takes a request only when nothing about it needs Apollo: a POST JSON body of `query`
 * with optional `variables` and `operationName`, an Accept header it knows, a caller with
 * credentials, variables graphql-js coerces without error (every variable an input object literal
 * names among them: `fieldVariables`), a cost within the limit, and a result without errors. For
 * anything else it returns undefined having sent nothing, and the request goes through Apollo from
 * the start, so refusals, error formatting and status codes stay Apollo's alone. A query has no
 * effects, so running one again after a failed first attempt is safe. A mutation is never run
 * twice: its compiled attempt records each root field's outcome (`replayMutations`, installed on
 * the schema by the constructor), and when the attempt's result has errors, Apollo's execution of the request gets those outcomes in
 * place of running the resolvers again, so the errors are Apollo's own, formatted as ever, from
 * the one execution. (A mutation is also sent here only as `application/json`, the one POST body
 * type Apollo takes, so an executed mutation never meets a refusal Apollo makes before it
 * executes.) A mutation document is compiled only when it has one root field: graphql-jit runs
 * every root mutation field in turn even after an earlier one's error has nulled the whole answer,
 * where graphql-js stops at that error, so a later field (a second purchase) would run behind an
 * answer that says nothing of it; a document with several root fields goes to Apollo from the
 * start. Nothing here holds data: entries are code, keyed by text, and outcomes live in a WeakMap
 * keyed by the request's unit of work.
 */
export class CompiledQueries {
  private readonly entries = new Map<string, Compiled | null>();
  private readonly sightings = new Map<string, number>();
  private readonly rules: readonly ValidationRule[];
  private readonly hotAfter: number;
  private readonly maxEntries: number;
  private readonly passThrough: boolean;

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly options: CompiledQueriesOptions,
  ) {
    this.rules = [...specifiedRules, ...(options.introspection ? [] : [NoSchemaIntrospectionCustomRule]), ...options.validationRules];
    this.hotAfter = options.hotAfter ?? 3;
    this.maxEntries = options.maxEntries ?? 200;
    this.passThrough = leavesPassThrough(schema);
    replayMutations(schema);
  }

  /** How many documents are compiled now (for tests and metrics). */
  get size(): number {
    let n = 0;
    for (const entry of this.entries.values()) if (entry) n++;
    return n;
  }

  /**
   * Runs the request on its compiled document and returns the response to send with the
   * operation's type, or undefined when Apollo should answer it (nothing has been sent; a mutation
   * that ran has left its outcomes for Apollo's execution to replay). Throws the error of a query's
   * read that a bound on the database cut (`databaseUnavailable`): the caller answers 503 with
   * Retry-After rather than have Apollo wait on the database once more. `trusted`: the operation is
   * on the caller's registered list. `requestType`: the request's Content-Type header. The body is
   * the answer's UTF-8 bytes (`responseBytes`), with `extensions.idempotentReplays` when a keyed
   * mutation was answered from an earlier request's record (the server adds the header).
   */
  async answer(
    body: unknown,
    accept: string | undefined,
    ctx: Ctx,
    trusted: boolean,
    requestType?: string,
  ): Promise<{ contentType: string; body: Buffer; operation: 'query' | 'mutation' } | undefined> {
    if (ctx.caller.kind === 'anonymous' || !isPlainObject(body)) return undefined;
    const contentType = CONTENT_TYPE_FOR_ACCEPT.get(accept);
    if (!contentType) return undefined;
    const { query, variables, operationName } = body;
    for (const key in body) if (key !== 'query' && key !== 'variables' && key !== 'operationName') return undefined;
    if (typeof query !== 'string') return undefined;
    if (variables !== undefined && variables !== null && !isPlainObject(variables)) return undefined;
    if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') return undefined;

    const entry = this.lookup(query, operationName ?? undefined, trusted);
    if (!entry) return undefined;
    const vars = (variables ?? {}) as Record<string, unknown>;
    for (const name of entry.fieldVariables) if (!Object.hasOwn(vars, name)) return undefined;
    if (!this.accepts(entry, vars)) return undefined;
    const operation = entry.operation.operation as 'query' | 'mutation';
    // Before it runs: a query's statements may be sent again on a dead connection, a mutation's never (pool-12).
    markOperation(operation);
    if (operation === 'mutation') {
      if (requestType?.split(';', 1)[0].trim().toLowerCase() !== 'application/json') return undefined;
      const allowed = this.options.writesAllowed?.() ?? true;
      if (allowed !== true && !(await allowed)) return undefined;
      mutationOutcomes.set(ctx.em, new Map());
    }
    let result;
    try {
      result = await entry.query(undefined, ctx, vars);
    } catch {
      return undefined;
    }
    if (result.errors?.length || !result.data) {
      // A query's read that a bound on the database cut (`databaseUnavailable`: no answer within
      // DB_STATEMENT_TIMEOUT_MS + the margin, no connection within DB_ACQUIRE_TIMEOUT_MS, a
      // statement PostgreSQL cancelled) is not run again by Apollo: on a server that stopped, the
      // second run waited a second bound, or the acquire timeout, before the same 503 (hang-12c's
      // "Left"; edges-12d). Thrown, for the caller to answer 503 at once.
      const cut = operation === 'query' ? result.errors?.find((e) => databaseUnavailable(e.originalError)) : undefined;
      if (cut) throw cut.originalError;
      return undefined;
    }
    return { contentType, body: responseBytes(result.data, replayExtensions(ctx.replays)), operation };
  }

  /**
   * Whether `body` names a document compiled here that the HTTP server may run before the
   * customer's status is known (CustomerCheck), by what is already compiled only (nothing is parsed
   * or compiled for it): a query, since it has no effects, or a mutation whose root fields are all
   * `customerCheckingMutations` (a purchase: its statement settles the check before it writes).
   * False for anything else, other mutations and documents not yet seen included.
   */
  mayRunBeforeCustomerCheck(body: unknown): boolean {
    if (!isPlainObject(body) || typeof body.query !== 'string') return false;
    const operationName = body.operationName ?? undefined;
    if (operationName !== undefined && typeof operationName !== 'string') return false;
    const entry = this.entries.get(operationName === undefined ? body.query : `${operationName}\u0000${body.query}`);
    return entry?.beforeCustomerCheck ?? false;
  }

  /**
   * Whether the variables' cost is within the limit and graphql-js coerces them without error,
   * remembered by their JSON (the request body is JSON, so equal JSON is equal variables; an
   * app sends the same few pages' variables again and again). graphql-jit coerces variables by its
   * own code, which takes values graphql-js refuses (an empty list for an input object whose fields
   * are all optional): those answered 200 and ran the operation where Apollo answers 400
   * BAD_USER_INPUT and runs nothing. graphql-js's own coercion decides, as it does for Apollo; jit's
   * then only repeats it. False also when the variables cannot be looked at (nested too deep to
   * serialise): Apollo then refuses them as ever.
   */
  private accepts(entry: Compiled, variables: Record<string, unknown>): boolean {
    let key: string;
    try {
      key = JSON.stringify(variables);
    } catch {
      return false;
    }
    let accepted = entry.accepted.get(key);
    if (accepted === undefined) {
      accepted =
        !nullOverDefault(entry.operation, variables) &&
        !checkCost(this.schema, entry.document, entry.operation, variables, this.options) &&
        !getVariableValues(this.schema, entry.operation.variableDefinitions ?? [], variables, { maxErrors: 1 }).errors;
      if (entry.accepted.size >= COST_ANSWERS_KEPT) entry.accepted.clear();
      entry.accepted.set(key, accepted);
    }
    return accepted;
  }

  private lookup(text: string, operationName: string | undefined, trusted: boolean): Compiled | undefined {
    const key = operationName === undefined ? text : `${operationName}\u0000${text}`;
    const known = this.entries.get(key);
    if (known !== undefined) return known ?? undefined;
    if (!trusted) {
      const seen = (this.sightings.get(key) ?? 0) + 1;
      if (seen < this.hotAfter) {
        if (this.sightings.size >= this.maxEntries * 10) this.sightings.clear();
        this.sightings.set(key, seen);
        return undefined;
      }
      this.sightings.delete(key);
    }
    const entry = this.compile(text, operationName);
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, entry);
    return entry ?? undefined;
  }

  private compile(text: string, operationName: string | undefined): Compiled | null {
    let document: DocumentNode;
    try {
      document = parse(text, { maxTokens: this.options.maxTokens });
    } catch {
      return null;
    }
    if (validate(this.schema, document, this.rules).length) return null;
    if (namesProto(document)) return null;
    const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
    const operation = operationName === undefined ? (operations.length === 1 ? operations[0] : undefined) : operations.find((o) => o.name?.value === operationName);
    if (!operation || (operation.operation !== 'query' && operation.operation !== 'mutation')) return null;
    if (operation.operation === 'mutation' && rootFieldKeys(document, operation).size !== 1) return null;
    const compiled = compileQuery(this.schema, document, operation.name?.value, { disablingCapturingStackErrors: true, disableLeafSerialization: this.passThrough });
    if (!isCompiledQuery(compiled)) return null;
    const checking = this.options.customerCheckingMutations ?? [];
    const beforeCustomerCheck = operation.operation === 'query' || [...rootFieldKeys(document, operation, 'name')].every((name) => checking.includes(name));
    return { document, operation, query: compiled.query.bind(compiled), accepted: new Map(), fieldVariables: fieldVariables(document), beforeCustomerCheck };
  }
}

/**
 * Whether a variable that has a default is sent as an explicit null. GraphQL lets such a variable
 * stand where null is not allowed (`$s: Boolean = false` in `@skip(if: $s)`), and graphql-js then
 * answers a field error for the null ("Argument "if" of non-null type "Boolean!" must not be
 * null."), while graphql-jit's plan read the null as false and left the field out without one: the
 * same request answered otherwise once its document was compiled (break32c). Such requests go to
 * Apollo; they are a client's mistake, rare, and the interpreter's answer is the one promised.
 */
function nullOverDefault(operation: OperationDefinitionNode, variables: Record<string, unknown>): boolean {
  return (operation.variableDefinitions ?? []).some((d) => d.defaultValue !== undefined && Object.hasOwn(variables, d.variable.name.value) && variables[d.variable.name.value] === null);
}
