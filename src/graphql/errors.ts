import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { Field, ObjectType, registerEnumType } from 'type-graphql';

/** Stable codes of business refusals, returned in `userErrors` (the contract's list). */
export enum UserErrorCode {
  INSUFFICIENT_POINTS = 'INSUFFICIENT_POINTS',
  OUT_OF_STOCK = 'OUT_OF_STOCK',
  LIMIT_REACHED = 'LIMIT_REACHED',
  NOT_ELIGIBLE = 'NOT_ELIGIBLE',
  OFFER_UNAVAILABLE = 'OFFER_UNAVAILABLE',
  OFFER_NOT_REDEEMABLE = 'OFFER_NOT_REDEEMABLE',
  LOCK_HELD = 'LOCK_HELD',
  LOCK_NOT_HELD = 'LOCK_NOT_HELD',
  ALREADY_REVERSED = 'ALREADY_REVERSED',
  NOT_FOUND = 'NOT_FOUND',
  INVALID = 'INVALID',
  CAP_REACHED = 'CAP_REACHED',
  ALREADY_EXISTS = 'ALREADY_EXISTS',
  IDEMPOTENCY_KEY_REUSED = 'IDEMPOTENCY_KEY_REUSED',
}
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

/**
 * Thrown inside a service's transaction to roll it back and answer with a `userErrors` entry.
 * Resolvers turn it into a payload (see `payloadOf`).
 */
export class UserErrorException extends Error {
  constructor(
    readonly code: UserErrorCode,
    message: string,
    readonly field?: string[],
  ) {
    super(message);
  }

  toUserError(): UserError {
    return { code: this.code, message: this.message, field: this.field ?? null };
  }
}

export const refuse = (code: UserErrorCode, message: string, field?: string[]) => new UserErrorException(code, message, field);

/** Codes of GraphQL errors (in `extensions.code`), the contract's list. */
export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  QUERY_TOO_COMPLEX: 'QUERY_TOO_COMPLEX',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  RATE_LIMITED: 'RATE_LIMITED',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;

export function unauthenticated(message = 'Sign in first: a valid bearer token or API key is required.') {
  return new GraphQLError(message, { extensions: { code: ErrorCode.UNAUTHENTICATED, http: { status: 401 } } });
}

export function forbidden(message = 'You may not do this.') {
  return new GraphQLError(message, { extensions: { code: ErrorCode.FORBIDDEN } });
}

export function badInput(message: string, field?: string) {
  return new GraphQLError(message, { extensions: { code: ErrorCode.BAD_USER_INPUT, ...(field ? { field } : {}) } });
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
]);

/** graphql-js's parse error for a document over `parseOptions.maxTokens` (16.x spells it "more that"). */
const TOKEN_LIMIT = /^Syntax Error: Document contains more tha[nt] (\d+) tokens\./;

/**
 * SQLSTATE 22021: PostgreSQL cannot store the text it was given (a NUL character, which JSON and
 * GraphQL strings allow). Only client input carries one, so it is bad input, not a server fault.
 */
const UNSTORABLE_TEXT = '22021';

function isDatabaseError(error: unknown): error is { code: string; severity: string } {
  return error instanceof Error && typeof (error as { code?: unknown }).code === 'string' && typeof (error as { severity?: unknown }).severity === 'string';
}

/**
 * The last word on what leaves the server: known client errors keep their message and code; anything
 * else (a database error, a bug) becomes a bare INTERNAL_SERVER_ERROR with no stack and no SQL.
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown, onInternal?: (error: unknown) => void): GraphQLFormattedError {
  const original = (error as { originalError?: unknown })?.originalError;
  if (original instanceof QueryTooComplexError) {
    return { message: original.message, extensions: { code: ErrorCode.QUERY_TOO_COMPLEX } };
  }
  const tokenLimit = formatted.extensions?.code === 'GRAPHQL_PARSE_FAILED' ? TOKEN_LIMIT.exec(formatted.message) : null;
  if (tokenLimit) {
    return { message: `Token limit of ${tokenLimit[1]} exceeded.`, extensions: { code: ErrorCode.QUERY_TOO_COMPLEX } };
  }
  if (isDatabaseError(original) && original.code === UNSTORABLE_TEXT) {
    return { message: 'Text values must not contain NUL (\\u0000) characters.', path: formatted.path, extensions: { code: ErrorCode.BAD_USER_INPUT } };
  }
  const code = formatted.extensions?.code as string | undefined;
  if (code && SAFE_CODES.has(code)) {
    const { stacktrace: _stack, exception: _exception, ...extensions } = (formatted.extensions ?? {}) as Record<string, unknown>;
    if (code === 'BAD_USER_INPUT' && Array.isArray(extensions.validationErrors)) {
      extensions.validationErrors = (extensions.validationErrors as Array<{ property: string; constraints?: Record<string, string>; children?: unknown[] }>).map(
        (v) => ({ property: v.property, constraints: v.constraints, children: v.children?.length ? v.children : undefined }),
      );
    }
    return { message: formatted.message, locations: formatted.locations, path: formatted.path, extensions };
  }
  onInternal?.(error);
  return {
    message: 'Internal server error',
    path: formatted.path,
    extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
  };
}

/**
 * Runs a mutation's work and shapes its payload: the work's result with no userErrors, or, when the
 * work refused (and so rolled back), the refusal alone.
 */
export async function payloadOf<T extends object>(work: () => Promise<T>): Promise<Partial<T> & { userErrors: UserError[] }> {
  try {
    return { ...(await work()), userErrors: [] };
  } catch (error) {
    if (error instanceof UserErrorException) return { userErrors: [error.toUserError()] } as Partial<T> & { userErrors: UserError[] };
    throw error;
  }
}
