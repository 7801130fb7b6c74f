// Declares type-graphql object types (UserError): their decorators read the reflected types, so
// the metadata polyfill is loaded here, not left to whichever module a program imports first
// (break37: the persisted CLI imported the document checks, and so this module, before the schema).
import 'reflect-metadata';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { databaseUnavailable, type Unavailability } from '../db/unavailable.js';
import { CredentialRevoked, refuse, UserErrorCode, UserErrorException } from '../domain/refusals.js';
import { EventsPrunedError } from '../events/hub.js';
import { cutForMessage } from '../domain/text.js';

/** The domain's refusals (`src/domain/refusals.ts`), re-exported for the resolvers and tests. */
export { refuse, UserErrorCode, UserErrorException };

registerEnumType(UserErrorCode, { name: 'UserErrorCode', description: 'Why a mutation refused to act.' });

@ObjectType({ description: 'A business refusal: the request was understood and nothing was changed.' })
export class UserError {
  @Field(() => UserErrorCode)
  code!: UserErrorCode;

  @Field(() => [String], { nullable: true, description: 'Path to the input field the refusal is about.' })
  field?: string[] | null;

  @Field()
  message!: string;
}

/** The `userErrors` entry of a refusal. */
export function userErrorOf(error: UserErrorException): UserError {
  return { code: error.code, message: error.message, field: error.field ?? null };
}

/** Codes of GraphQL errors (in `extensions.code`), the contract's list. */
export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  QUERY_TOO_COMPLEX: 'QUERY_TOO_COMPLEX',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  RATE_LIMITED: 'RATE_LIMITED',
  /** A subscription's `after` is older than the replay window: read `lastEventId`, then the current state, then subscribe after that point. */
  EVENT_ID_EXPIRED: 'EVENT_ID_EXPIRED',
  /** One more operation than WS_MAX_SUBSCRIPTIONS on one socket. */
  TOO_MANY_SUBSCRIPTIONS: 'TOO_MANY_SUBSCRIPTIONS',
  /**
   * A mutation sent over WebSocket: the socket takes subscriptions and queries only, because
   * graphql-ws clients resend an unanswered operation after a reconnect (docs/decisions.md,
   * "The network edge"). Send mutations over HTTP POST.
   */
  MUTATION_OVER_WEBSOCKET: 'MUTATION_OVER_WEBSOCKET',
  /**
   * HTTP 400: a subscription sent over HTTP, which answers once and cannot carry a stream of events.
   * Subscribe over graphql-ws on the same /graphql (parity-12: graphql-js ran its root resolver
   * without an event, answered 200 INTERNAL_SERVER_ERROR and logged an internal error).
   */
  SUBSCRIPTION_OVER_HTTP: 'SUBSCRIPTION_OVER_HTTP',
  /**
   * HTTP 503 with `Connection: close`: the request was read after the gateway began shutting down,
   * and nothing of it ran (src/http/drain.ts). Send it again (to another instance).
   */
  SHUTTING_DOWN: 'SHUTTING_DOWN',
  /**
   * HTTP 503 with `Retry-After`: the database did not answer in time (no pooled connection came
   * free within DB_ACQUIRE_TIMEOUT_MS, or a statement ran or waited for a lock past
   * DB_STATEMENT_TIMEOUT_MS). Whatever the request had begun was rolled back: send it again, with
   * the same idempotency key (src/db/unavailable.ts).
   */
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;

export function unauthenticated(message = 'Sign in first: a valid bearer token or API key is required.') {
  return new GraphQLError(message, { extensions: { code: ErrorCode.UNAUTHENTICATED, http: { status: 401 } } });
}

/** Why a subscription over HTTP is refused (ErrorCode.SUBSCRIPTION_OVER_HTTP, HTTP 400), and where to send it. */
export function subscriptionOverHttp() {
  return new GraphQLError('Subscriptions are not taken over HTTP, which answers once: subscribe over WebSocket (graphql-ws, protocol graphql-transport-ws) on the same /graphql.', {
    extensions: { code: ErrorCode.SUBSCRIPTION_OVER_HTTP, http: { status: 400 } },
  });
}

export function forbidden(message = 'You may not do this.') {
  return new GraphQLError(message, { extensions: { code: ErrorCode.FORBIDDEN } });
}

/**
 * Where an input error is: the path from the field's argument to the value at fault, argument name
 * first and list positions as strings (`["input", "lines", "0", "sku"]`, `["after"]`): the shape of
 * `userErrors.field` (Shopify's rule), so one mapping serves both (docs/decisions.md, "Where an
 * input error is"). A dotted string (`"input.lines.0.sku"`) is read as the same path.
 */
export type InputPath = readonly (string | number)[];

/** `path` as the error carries it: a list of strings (a dotted string split at its dots). */
export function inputPathOf(path: InputPath | string): string[] {
  return (typeof path === 'string' ? path.split('.') : path).map(String);
}

/** BAD_USER_INPUT with `message`, and `extensions.field` the path to the value at fault (`InputPath`) when there is one. */
export function badInput(message: string, field?: InputPath | string) {
  return new GraphQLError(message, { extensions: { code: ErrorCode.BAD_USER_INPUT, ...(field !== undefined ? { field: inputPathOf(field) } : {}) } });
}

/**
 * Tag of errors for limits (depth, cost, aliases, tokens, document size). Thrown outside
 * validation (the cost check, which needs the variables), it carries HTTP 400 itself.
 */
export class QueryTooComplexError extends GraphQLError {
  constructor(message: string, thrown = false) {
    super(message, { extensions: { code: ErrorCode.QUERY_TOO_COMPLEX, ...(thrown ? { http: { status: 400 } } : {}) } });
  }
}

/**
 * RATE_LIMITED, HTTP 429 with `Retry-After` (whole seconds, at least 1): the caller used up its
 * requests for the current window.
 */
export function rateLimited(retryAfterSeconds: number) {
  return new GraphQLError(`Too many requests: try again in ${retryAfterSeconds} s.`, {
    extensions: { code: ErrorCode.RATE_LIMITED, retryAfter: retryAfterSeconds, http: { status: 429, headers: new Map([['retry-after', String(retryAfterSeconds)]]) } },
  });
}

/**
 * Seconds a client is asked to wait (`Retry-After`) before it sends a request cut by a database
 * bound again: long enough for a moment's saturation of the pool to pass, short enough for a till.
 */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 2;

const UNAVAILABLE_MESSAGE = 'The database did not answer in time: nothing of the request was done. Send it again shortly (a mutation with the same idempotency key).';

/**
 * The status, body and headers of a SERVICE_UNAVAILABLE answer: written as they are outside Apollo
 * (as `HttpDrain.refuse` writes SHUTTING_DOWN), and the status and `Retry-After` of Apollo's answer
 * too (`serviceUnavailable`, the server's plugin for errors in execution).
 */
export const UNAVAILABLE_ANSWER = {
  status: 503,
  body: { errors: [{ message: UNAVAILABLE_MESSAGE, extensions: { code: ErrorCode.SERVICE_UNAVAILABLE, retryAfter: UNAVAILABLE_RETRY_AFTER_SECONDS } }] },
  headers: { 'retry-after': String(UNAVAILABLE_RETRY_AFTER_SECONDS), 'cache-control': 'private, no-store' },
} as const;

/**
 * SERVICE_UNAVAILABLE, HTTP 503 with `Retry-After` (`UNAVAILABLE_RETRY_AFTER_SECONDS`): see
 * `ErrorCode.SERVICE_UNAVAILABLE`. `message`: why, for the client (default: the database did not answer).
 */
export function serviceUnavailable(message = UNAVAILABLE_MESSAGE) {
  return new GraphQLError(message, {
    extensions: {
      code: ErrorCode.SERVICE_UNAVAILABLE,
      retryAfter: UNAVAILABLE_RETRY_AFTER_SECONDS,
      http: { status: UNAVAILABLE_ANSWER.status, headers: new Map([['retry-after', UNAVAILABLE_ANSWER.headers['retry-after']]]) },
    },
  });
}

const CLOCK_REFUSAL_MESSAGE =
  "This gateway instance's clock disagrees with the database's, so it takes no writes: nothing of the request was done. Send it again shortly (a mutation with the same idempotency key); another instance will take it.";

/**
 * SERVICE_UNAVAILABLE, HTTP 503 with `Retry-After`, for a mutation sent to an instance whose clock
 * is off the database's by more than CLOCK_SKEW_MAX_MS (src/clock-guard.ts): it would date the
 * write, and write down expiries, at its own wrong hour. Nothing ran; the operator's detail (both
 * clocks) is in the log and /readyz, not in the client's answer.
 */
export function clockUnavailable() {
  return serviceUnavailable(CLOCK_REFUSAL_MESSAGE);
}

const SAFE_CODES = new Set([
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'BAD_USER_INPUT',
  'GRAPHQL_VALIDATION_FAILED',
  'GRAPHQL_PARSE_FAILED',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'PERSISTED_QUERY_NOT_ALLOWED',
  'QUERY_TOO_COMPLEX',
  'RATE_LIMITED',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PAYLOAD_TOO_LARGE',
  'PERSISTED_QUERY_HASH_MISMATCH',
  'EVENT_ID_EXPIRED',
  'TOO_MANY_SUBSCRIPTIONS',
  'MUTATION_OVER_WEBSOCKET',
  'SUBSCRIPTION_OVER_HTTP',
  'SERVICE_UNAVAILABLE',
  // A socket's operation read during shutdown (HTTP's 503 is written by HttpDrain, not formatted).
  'SHUTTING_DOWN',
]);

/** graphql-js's parse error for a document over `parseOptions.maxTokens` (16.x spells it "more that"). */
const TOKEN_LIMIT = /^Syntax Error: Document contains more tha[nt] (\d+) tokens\./;

/** V8's RangeError when recursion runs out of stack (graphql-js's parser on a deeply nested literal). */
const STACK_EXHAUSTED = /^Maximum call stack size exceeded$/;

/**
 * The gateway's words for a refusal of a document's parse that is a limit, not a syntax error
 * (`message`: graphql-js's or V8's): "Token limit of 2000 exceeded." past MAX_QUERY_TOKENS, "The
 * document nests values deeper than the gateway reads." for a literal nested past the parser's
 * stack; undefined for anything else. The request's answer (QUERY_TOO_COMPLEX) and a manifest's
 * refusal at registration say the same.
 */
export function parseLimitMessage(message: string): string | undefined {
  const tokenLimit = TOKEN_LIMIT.exec(message);
  if (tokenLimit) return `Token limit of ${tokenLimit[1]} exceeded.`;
  if (STACK_EXHAUSTED.test(message)) return 'The document nests values deeper than the gateway reads.';
  return undefined;
}

/**
 * graphql-js's own refusals of an argument's value while it executes (`getArgumentValues`, which
 * directives' arguments go through too): a variable with a default sent as null where null is not
 * allowed, a required argument's variable not sent. A field error by the spec ("CoerceArgumentValues")
 * and the client's mistake, thrown as a bare GraphQLError with no code: it was answered
 * INTERNAL_SERVER_ERROR, as a fault of ours (break32c).
 */
const ARGUMENT_REFUSED = /^Argument "[^"]+" (of non-null type "[^"]+" must not be null\.|of required type "[^"]+" was (not provided\.|provided the variable "\$[^"]+" which was not provided a runtime value\.)|has invalid value )/;

/**
 * What PostgreSQL says when a value a client sent cannot be stored or compared as sent: SQLSTATE
 * class 22 (data exception: a number out of its column's range, a string too long, a date out of
 * range, text with NUL, an invalid representation) and 54000 (a value too large for an index).
 * The input edge (`validation.ts`, the scalars, the input types' decorators) refuses these before
 * SQL runs; this is the safety net for whatever it misses: BAD_USER_INPUT with a message by cause,
 * never the SQL or PostgreSQL's own text, and the error is still logged so the edge gets fixed.
 */
const DATA_EXCEPTION_MESSAGES: Record<string, string> = {
  '22001': 'A text value in the request is too long.',
  '22003': 'A number in the request is out of range.',
  '22007': 'A date or time in the request is not valid.',
  '22008': 'A date or time in the request is out of range.',
  '22021': 'Text values must not contain NUL (\\u0000) characters.',
  '22P05': 'Text values must not contain NUL (\\u0000) characters.',
  '22P02': 'A value in the request is not valid for its type.',
  '54000': 'A value in the request is too large.',
};

/** The PostgreSQL error behind `error` (the driver's, or MikroORM's wrapping of it), if any. */
function databaseErrorOf(error: unknown): { code: string } | null {
  for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, severity, sqlState } = e as { code?: unknown; severity?: unknown; sqlState?: unknown };
    if (e instanceof Error && typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && (typeof severity === 'string' || typeof sqlState === 'string')) {
      return { code };
    }
  }
  return null;
}

/** The client's message for a PostgreSQL error caused by a value in the request, or null for any other. */
export function dataExceptionMessage(error: unknown): string | null {
  const db = databaseErrorOf(error);
  if (!db) return null;
  if (db.code in DATA_EXCEPTION_MESSAGES) return DATA_EXCEPTION_MESSAGES[db.code];
  return db.code.startsWith('22') ? 'A value in the request cannot be stored.' : null;
}

/**
 * graphql-js's "Did you mean …?" sentences (field, argument, type and enum value names, in
 * validation and variable errors), which tell a caller the schema's names where introspection is
 * off. Names are GraphQL names, so a suggestion holds no `?` of its own.
 */
const SUGGESTION = /\s*Did you mean [^?]*\?/g;

/**
 * graphql-js's errors for a variable that cannot be coerced to its type (a Decimal that is no
 * number, an enum value that does not exist, a missing required field, a required variable left
 * out or null): `Variable "$input" got invalid value … at "input.lines[0].unitPrice"; …`.
 */
const VARIABLE_ERROR = /^Variable "\$([_A-Za-z][_0-9A-Za-z]*)" (?:got invalid value .*? at "([^"]+)";|got invalid value |of (?:required|non-null) type )/s;

/**
 * The path of the value a variable error is about, in `InputPath`'s shape: the variable's name,
 * then the fields and positions inside it (`["input", "lines", "0", "unitPrice"]`). The value never
 * reached an argument, so the path starts at the variable, which is what the client sent (in the
 * contract's documents, `$input` is the `input` argument). Null for any other message.
 */
export function variablePathOf(message: string): string[] | null {
  const match = VARIABLE_ERROR.exec(message);
  if (!match) return null;
  const path = match[2] ? match[2].replace(/\[(\d+)\]/g, '.$1').split('.') : [match[1]];
  // a field missing from (or unknown to) the object at that path is named after it
  const field = FIELD_OF_OBJECT.exec(message);
  return field ? [...path, field[1]] : path;
}

/**
 * graphql-js's echo of a variable's refused value, whole (`inspect`: a string as JSON, however
 * long): `Variable "$input" got invalid value "<value>" at "input.endsAt"; <reason>`, or without
 * the path. Group 2: the value as echoed.
 */
const VARIABLE_VALUE_AT = /^(Variable "\$[_A-Za-z][_0-9A-Za-z]*" got invalid value )(.*)( at "[^"]+"; )/s;
const VARIABLE_VALUE = /^(Variable "\$[_A-Za-z][_0-9A-Za-z]*" got invalid value )(.*?)(; )/s;

/** `message` with a variable error's echo of the refused value cut (`cutForMessage`); any other message as it is (lifecycle-23). */
export function variableEchoCut(message: string): string {
  const match = VARIABLE_VALUE_AT.exec(message) ?? VARIABLE_VALUE.exec(message);
  if (!match || cutForMessage(match[2]) === match[2]) return message;
  return `${match[1]}${cutForMessage(match[2])}${message.slice(match[1].length + match[2].length)}`;
}

/** graphql-js's reason when an input object lacks a required field or carries one its type does not define. */
const FIELD_OF_OBJECT = /; Field "([_A-Za-z][_0-9A-Za-z]*)" (?:of required type .* was not provided|is not defined by type)/s;

/**
 * Apollo Server's refusal of introspection (HTTP) and graphql-js's NoSchemaIntrospectionCustomRule's
 * (the socket, compiled documents): Apollo's told the caller to "pass introspection: true to
 * ApolloServer", advice for the server's code that no caller can follow (newcomer-18).
 */
const INTROSPECTION_REFUSED = /^GraphQL introspection (is not allowed by Apollo Server|has been disabled)/;

/** What a refused introspection answers instead, on every transport: why, and where the schema is. */
export const INTROSPECTION_OFF_MESSAGE = 'Introspection is off (NODE_ENV=production): the schema is published as schema/schema.graphql, not served.';

/** What `formatError` does beyond its defaults. */
export interface FormatOptions {
  /** Strip graphql-js's name suggestions from client errors (production: SPEC §4, no field suggestions). */
  hideSuggestions?: boolean;
  /** Told of every error a database bound cut (answered SERVICE_UNAVAILABLE), with its reason: the log line. */
  onUnavailable?: (reason: Unavailability, error: unknown) => void;
}

/**
 * The last word on what leaves the server, over HTTP and WebSocket alike: known client errors keep
 * their message (without name suggestions when `options.hideSuggestions`) and code; a wait on the
 * database that a bound cut is SERVICE_UNAVAILABLE (`options.onUnavailable` logs it); anything else
 * (a database error, a bug) becomes a bare INTERNAL_SERVER_ERROR with no stack and no SQL.
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown, onInternal?: (error: unknown) => void, options: FormatOptions = {}): GraphQLFormattedError {
  const original = (error as { originalError?: unknown })?.originalError;
  if (original instanceof QueryTooComplexError) {
    return { message: original.message, extensions: { code: ErrorCode.QUERY_TOO_COMPLEX } };
  }
  // a resumed subscription whose replay found pruned events (thrown from its stream, so not a GraphQLError)
  if (original instanceof EventsPrunedError) {
    return { message: original.message, path: formatted.path, extensions: { code: ErrorCode.EVENT_ID_EXPIRED } };
  }
  // graphql-js parses nested values by recursion: a list or object literal a thousand or two deep
  // (4 kB) runs it out of stack before the token limit counts that far. Hostile pass 11: answered
  // GRAPHQL_PARSE_FAILED with V8's own message.
  const parseLimit = formatted.extensions?.code === 'GRAPHQL_PARSE_FAILED' ? parseLimitMessage(formatted.message) : undefined;
  if (parseLimit) return { message: parseLimit, extensions: { code: ErrorCode.QUERY_TOO_COMPLEX } };
  const unavailable = databaseUnavailable(original);
  if (unavailable) {
    options.onUnavailable?.(unavailable, error);
    // `retryAfter` as RATE_LIMITED carries it: a socket's answer has no Retry-After header (ws-12).
    return { message: UNAVAILABLE_MESSAGE, path: formatted.path, extensions: { code: ErrorCode.SERVICE_UNAVAILABLE, retryAfter: UNAVAILABLE_RETRY_AFTER_SECONDS } };
  }
  const dataException = dataExceptionMessage(original);
  if (dataException) {
    onInternal?.(error);
    return { message: dataException, path: formatted.path, extensions: { code: ErrorCode.BAD_USER_INPUT } };
  }
  const code = formatted.extensions?.code as string | undefined;
  // graphql-js's own error, bare or located at its field (`locatedError` wraps it as originalError)
  const fromGraphqlJs = original === undefined || (original instanceof GraphQLError && original.extensions.code === undefined && original.originalError === undefined);
  // (Apollo has already written its INTERNAL_SERVER_ERROR on a codeless error's `formatted`: the error's own extensions tell)
  if (error instanceof GraphQLError && error.extensions.code === undefined && fromGraphqlJs && ARGUMENT_REFUSED.test(formatted.message)) {
    return { message: formatted.message, locations: formatted.locations, path: formatted.path, extensions: { code: ErrorCode.BAD_USER_INPUT } };
  }
  if (code && SAFE_CODES.has(code)) {
    // `http` (a status and headers for Apollo to send) is no part of the error's body; Apollo drops
    // it over HTTP, a socket would send it as it is.
    const { stacktrace: _stack, exception: _exception, http: _http, ...extensions } = (formatted.extensions ?? {}) as Record<string, unknown>;
    if (code === 'BAD_USER_INPUT' && Array.isArray(extensions.validationErrors)) {
      extensions.validationErrors = (extensions.validationErrors as RawValidationError[]).map(validationErrorShown);
    }
    if (code === 'BAD_USER_INPUT' && extensions.field === undefined) {
      const field = variablePathOf(formatted.message);
      if (field) extensions.field = field;
    }
    if (code === 'GRAPHQL_VALIDATION_FAILED' && INTROSPECTION_REFUSED.test(formatted.message)) {
      return { message: INTROSPECTION_OFF_MESSAGE, locations: formatted.locations, extensions };
    }
    const shownMessage = code === 'BAD_USER_INPUT' ? variableEchoCut(formatted.message) : formatted.message;
    const message = options.hideSuggestions ? shownMessage.replace(SUGGESTION, '') : shownMessage;
    return { message, locations: formatted.locations, path: formatted.path, extensions };
  }
  onInternal?.(error);
  return {
    message: 'Internal server error',
    path: formatted.path,
    extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
  };
}

/**
 * The `extensions.code` the caller is answered for `error`, as `formatError` decides it (a limit's
 * refusal reported in validation is QUERY_TOO_COMPLEX, not Apollo's GRAPHQL_VALIDATION_FAILED; a
 * database bound's cut SERVICE_UNAVAILABLE; anything unknown INTERNAL_SERVER_ERROR). Anything
 * thrown that is not a GraphQLError is answered INTERNAL_SERVER_ERROR, as Apollo answers it. What
 * /metrics counts an error under (newcomer-18: it counted the code before formatting). Logs nothing.
 */
export function answeredCode(error: unknown): string {
  if (!(error instanceof GraphQLError)) return ErrorCode.INTERNAL_SERVER_ERROR;
  const code = formatError(error.toJSON(), error).extensions?.code;
  return typeof code === 'string' ? code : ErrorCode.INTERNAL_SERVER_ERROR;
}

/** class-validator's ValidationError as it reaches the formatter: with the object and value it checked. */
type RawValidationError = { property: string; constraints?: Record<string, string>; children?: RawValidationError[] };
/** What a client is shown of one, at every level: where (`property`) and which rules failed, never the values. */
type ShownValidationError = { property: string; constraints?: Record<string, string>; children?: ShownValidationError[] };

/**
 * A validation error as shown, its children shown the same way. Hostile pass 11: only the top
 * level dropped class-validator's `target` and `value`, and every nested error carried its whole
 * parent (each bad sale line, the list of all 500 lines), so 30 kB of bad lines answered 15.6 MB.
 */
function validationErrorShown(v: RawValidationError): ShownValidationError {
  return { property: v.property, constraints: v.constraints, children: v.children?.length ? v.children.map(validationErrorShown) : undefined };
}

/**
 * Runs a mutation's work and shapes its payload: the work's result with no userErrors, or, when the
 * work refused (and so rolled back), the refusal alone; a write whose API key was revoked meanwhile
 * (`CredentialRevoked`) is UNAUTHENTICATED.
 */
export async function payloadOf<T extends object>(work: () => Promise<T>): Promise<Partial<T> & { userErrors: UserError[] }> {
  try {
    return { ...(await work()), userErrors: [] };
  } catch (error) {
    if (error instanceof UserErrorException) return { userErrors: [userErrorOf(error)] } as Partial<T> & { userErrors: UserError[] };
    // the key was revoked while the write ran: answered as the revoked key is at the door (edges-11)
    if (error instanceof CredentialRevoked) throw unauthenticated(error.message);
    throw error;
  }
}
