/**
 * What the apps say for each code the API can answer (README "The API": GraphQL errors'
 * `extensions.code`, and mutations' `userErrors[].code`). Only these sentences are shown, with the
 * server's own message where it names the input at fault: never a stack or a raw response.
 */
import { CombinedGraphQLErrors, ServerError } from '@apollo/client/errors';

export const ERROR_MESSAGES: Record<string, string> = {
  // GraphQL errors
  UNAUTHENTICATED: 'Your sign-in has expired or is not valid. Please sign in again.',
  FORBIDDEN: 'You are not allowed to do this. Analysts can look but not change anything.',
  BAD_USER_INPUT: 'Something in the form is not valid.',
  BAD_REQUEST: 'The app sent a request the server could not read. Reload the page and try again.',
  QUERY_TOO_COMPLEX: 'That asked for too much at once. Try a smaller page.',
  PAYLOAD_TOO_LARGE: 'That is too much to send at once. Make it smaller and try again.',
  RATE_LIMITED: 'Too many requests just now. Wait a moment and try again.',
  INTERNAL_SERVER_ERROR: 'Something went wrong on our side. Please try again; if it keeps happening, quote the reference below.',
  PERSISTED_QUERY_NOT_FOUND: 'This version of the app is not known to the server. Reload the page.',
  PERSISTED_QUERY_NOT_ALLOWED: 'This version of the app is not registered with the server. Reload the page.',
  PERSISTED_QUERY_HASH_MISMATCH: 'This version of the app does not match the server. Reload the page.',
  PERSISTED_QUERY_NOT_SUPPORTED: 'The server does not accept this app version. Reload the page.',
  GRAPHQL_VALIDATION_FAILED: 'This version of the app does not match the server. Reload the page.',
  GRAPHQL_PARSE_FAILED: 'This version of the app does not match the server. Reload the page.',
  OPERATION_RESOLUTION_FAILURE: 'This version of the app does not match the server. Reload the page.',
  NOT_FOUND: 'That could not be found. It may have been removed.',
  NETWORK: 'The server cannot be reached. Check your connection and try again.',
  // userErrors
  INSUFFICIENT_POINTS: 'You do not have enough points for this.',
  OUT_OF_STOCK: 'This is sold out.',
  LIMIT_REACHED: 'The limit for this has been reached.',
  NOT_ELIGIBLE: 'This is not available to this member.',
  OFFER_UNAVAILABLE: 'This offer is no longer available.',
  OFFER_NOT_REDEEMABLE: 'This offer cannot be redeemed now.',
  LOCK_HELD: 'This offer is being used at a till right now.',
  LOCK_NOT_HELD: 'This offer is not held for that basket.',
  ALREADY_REVERSED: 'This sale was already returned.',
  INVALID: 'Something in the form is not valid.',
  CAP_REACHED: 'The cap for this has been reached.',
  ALREADY_EXISTS: 'That already exists.',
  IDEMPOTENCY_KEY_REUSED: 'This request was already used for something else. Start again.',
  OFFER_NOT_APPLICABLE: 'This offer does not apply here.',
  DESTINATION_NOT_ALLOWED: 'That address cannot receive webhooks: use a public one.',
};

/** Codes whose server message names the input at fault: shown after the sentence above. */
const DETAILED = new Set(['BAD_USER_INPUT', 'INVALID', 'DESTINATION_NOT_ALLOWED', 'NOT_FOUND', 'ALREADY_EXISTS', 'NOT_ELIGIBLE', 'LIMIT_REACHED']);

export interface ApiProblem {
  code: string;
  message: string;
  /** INTERNAL_SERVER_ERROR's request id, for a support ticket. */
  reference?: string;
}

function fromCode(code: string, serverMessage?: string, reference?: string): ApiProblem {
  const known = ERROR_MESSAGES[code];
  const message = known ? (DETAILED.has(code) && serverMessage ? `${known} ${serverMessage}` : known) : `Something went wrong (${code}). Please try again.`;
  return { code, message, reference };
}

/** One problem to show for whatever a request failed with. */
export function problemOf(error: unknown): ApiProblem {
  if (CombinedGraphQLErrors.is(error)) {
    const first = error.errors[0];
    const ext = (first?.extensions ?? {}) as { code?: string; requestId?: string };
    return fromCode(ext.code ?? 'INTERNAL_SERVER_ERROR', first?.message, ext.requestId);
  }
  if (ServerError.is(error)) {
    try {
      const body = JSON.parse(error.bodyText) as { errors?: { message?: string; extensions?: { code?: string; requestId?: string } }[] };
      const first = body.errors?.[0];
      if (first?.extensions?.code) return fromCode(first.extensions.code, first.message, first.extensions.requestId);
    } catch {
      // not JSON: fall through
    }
    return fromCode(error.statusCode === 429 ? 'RATE_LIMITED' : 'INTERNAL_SERVER_ERROR');
  }
  return fromCode('NETWORK');
}

/** A mutation's business refusal. */
export function problemOfUserError(userError: { code: string; message: string }): ApiProblem {
  return fromCode(userError.code, userError.message);
}

/** An alert with the message (announced by screen readers) and, for server faults, a reference. */
export function ProblemAlert({ problem }: { problem: ApiProblem | null | undefined }) {
  if (!problem) return null;
  return (
    <div role="alert" className="alert" data-code={problem.code}>
      <p>{problem.message}</p>
      {problem.reference ? <p className="muted">Reference: {problem.reference}</p> : null}
    </div>
  );
}
