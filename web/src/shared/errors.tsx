/**
 * What the apps say for each code the API can answer (README "The API": GraphQL errors'
 * `extensions.code`, and mutations' `userErrors[].code`). Only these sentences are shown, with the
 * server's own message where it names the input at fault: never a stack or a raw response.
 */
import { CombinedGraphQLErrors, ServerError } from '@apollo/client/errors';
import { useCallback, useEffect, useRef, useState } from 'react';
import { OperationTypeNode } from 'graphql';
import { NoAnswerError, NotSentError, OfflineError, type NoAnswerReason } from './api';
import { retryAfterOfHeader } from './backoff';
import { KeptWriteExpired } from './session';

export const ERROR_MESSAGES: Record<string, string> = {
  // GraphQL errors
  UNAUTHENTICATED: 'Your sign-in has expired or is not valid. Please sign in again.',
  FORBIDDEN: 'You are not allowed to do this. Analysts can look but not change anything.',
  BAD_USER_INPUT: 'Something in the form is not valid.',
  BAD_REQUEST: 'The app sent a request the server could not read. Reload the page and try again.',
  QUERY_TOO_COMPLEX: 'That asked for too much at once. Try a smaller page.',
  PAYLOAD_TOO_LARGE: 'That is too much to send at once. Make it smaller and try again.',
  RATE_LIMITED: 'Too many requests just now. Wait a moment and try again.',
  SERVICE_UNAVAILABLE: 'The service is busy right now and nothing was changed. Wait a moment and try again.',
  SHUTTING_DOWN: 'The service is restarting and nothing was changed. Wait a moment and try again.',
  EVENT_ID_EXPIRED: 'Live updates missed too much. Reload the page.',
  TOO_MANY_SUBSCRIPTIONS: 'Too many live updates are open. Close some tabs of this app.',
  MUTATION_OVER_WEBSOCKET: 'This version of the app does not match the server. Reload the page.',
  SUBSCRIPTION_OVER_HTTP: 'This version of the app does not match the server. Reload the page.',
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
  // No answer within the app's wait (web/src/shared/api.ts `answerWithin`): a read after its retries
  NO_ANSWER: 'The server did not answer in time. Check your connection and try again.',
  // The browser says it is offline (api.ts `OfflineError`): the screen reads again once it is back
  OFFLINE: 'You are offline. This reads again by itself once your connection is back.',
  // userErrors
  // Neutral, and followed by the gateway's count ("Not enough BEANS points for this: 5 more needed."):
  // staff debiting a customer in the console were told "You do not have enough points" (newcomer-24).
  INSUFFICIENT_POINTS: 'The balance is too low for this.',
  OUT_OF_STOCK: 'This is sold out.',
  LIMIT_REACHED: 'The limit for this has been reached.',
  // the gateway's sentence says what and why ("This store is not open to you.", "A partner's endpoint
  // cannot receive offer.issued: …"), so it is shown alone; this is for an answer without one. It said
  // "to this member" on the console's webhook form too (newcomer-46).
  NOT_ELIGIBLE: 'This is not available.',
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
  VERSION_CONFLICT: 'Someone else saved a change to this since it was read, so nothing was saved. The form now shows their version: make your change again.',
  // in place of the gateway's "The price of this offer changed: it is now 400 BEANS. Nothing was
  // spent; …" when it has one (hostile39c: a price raised while the member confirmed), which says it
  // all: after this sentence it read as saying the same thing twice (newcomer-40)
  PRICE_CHANGED: 'The price changed since you saw it.',
};

/** Codes whose server message is the whole sentence, shown in place of the one above when it comes. */
const SERVER_SAYS_IT = new Set(['PRICE_CHANGED', 'NOT_ELIGIBLE']);

/** Codes whose server message names the input at fault: shown after the sentence above. */
const DETAILED = new Set(['BAD_USER_INPUT', 'INVALID', 'DESTINATION_NOT_ALLOWED', 'NOT_FOUND', 'ALREADY_EXISTS', 'NOT_ELIGIBLE', 'LIMIT_REACHED', 'INSUFFICIENT_POINTS']);

export interface ApiProblem {
  code: string;
  message: string;
  /** The gateway's own message, when it sent one (`message` may put the app's sentence before it): for a screen that words the problem itself. */
  detail?: string;
  /** INTERNAL_SERVER_ERROR's request id, for a support ticket. */
  reference?: string;
  /** Seconds the gateway asked the app to wait before sending it again (`retryAfter`, `Retry-After`). */
  retryAfter?: number;
  /**
   * A write's problem after which sending the very same request again is safe, and the screen
   * offers "Try again" for it (`useGuardedSend`'s `tryAgain`, `ProblemAlert`'s `onRetry`): nothing
   * was sent or run (NOT_SENT, OFFLINE, a busy code), or its outcome is unknown and it is keyed or
   * naturally idempotent (OUTCOME_UNKNOWN; web-24).
   */
  sameAgain?: boolean;
}

/**
 * The sentence for a code. A code the app does not know gets a plain sentence, never the code
 * itself (it stays in the alert's `data-code` for support).
 */
function fromCode(code: string, serverMessage?: string, reference?: string, retryAfter?: number): ApiProblem {
  const known = ERROR_MESSAGES[code];
  let message = known
    ? SERVER_SAYS_IT.has(code) && serverMessage
      ? serverMessage
      : DETAILED.has(code) && serverMessage
        ? `${known} ${serverMessage}`
        : known
    : 'Something went wrong. Please try again.';
  if (retryAfter !== undefined && retryAfter > 0) message = message.replace(/Wait a moment and try again\.$/, `Try again in ${retryAfter} s.`);
  return { code, message, detail: serverMessage, reference, retryAfter, ...(NOTHING_RAN.has(code) ? { sameAgain: true } : {}) };
}

/** The gateway's "busy: nothing ran" codes (README "The API"): the same write may be sent again. */
const NOTHING_RAN = new Set(['SERVICE_UNAVAILABLE', 'RATE_LIMITED', 'SHUTTING_DOWN']);

const secondsOf = (value: unknown) => (typeof value === 'number' && value > 0 ? value : undefined);

/** The first sentence of OUTCOME_UNKNOWN by why no answer came (api.ts `NoAnswerReason`). */
const OUTCOME_UNKNOWN_WHY: Record<NoAnswerReason, string> = {
  timeout: 'No answer came in time, so it is not known whether this went through.',
  // "Failed to fetch" after the request may have left (web-23: it said "The server cannot be
  // reached", as if nothing had been sent)
  cut: 'The connection failed before an answer came, so it is not known whether this went through.',
  offline: 'Your device went offline before an answer came, so it is not known whether this went through.',
};

/** What a screen knows about its write that `problemOf` cannot: where its outcome shows. */
export interface WriteContext {
  /**
   * Where the member or operator sees whether the write went through, named as the screen names it
   * ("your Wallet"): said when that cannot be known from sending it again, an unkeyed write's
   * OUTCOME_UNKNOWN ("Check … before you send it again"; web-23: it said nowhere) or a kept key
   * past the gateway's retention (KEY_EXPIRED; web-24).
   */
  checkIn?: string;
  /**
   * For an unkeyed write that is harmless to repeat (it sets a value, revokes, removes: sent twice,
   * it is as if sent once), the sentence saying so, said instead of "Check …"; the screen then
   * offers "Try again", which sends the same input (web-24).
   */
  safeAgain?: string;
}

/**
 * A mutation that got no answer (`NoAnswerError`: none within its wait, the connection failed, the
 * browser went offline): it may have run. Keyed, sending it again with the same idempotency key
 * answers the first outcome and has no second effect (SPEC: "a repeat with the same key returns
 * the first result and has no second effect, also when the two arrive at once"), so the screen
 * offers that; unkeyed, the member or operator is told where to look first (`WriteContext.checkIn`).
 */
function outcomeUnknown(error: NoAnswerError, write: WriteContext): ApiProblem {
  const sameAgain = error.keyed || write.safeAgain !== undefined;
  const next = error.keyed
    ? 'Try again: it is sent as the same request, so it cannot happen twice.'
    : (write.safeAgain ?? `Check ${write.checkIn ?? 'whether it was done'} before you send it again.`);
  return { code: 'OUTCOME_UNKNOWN', message: `${OUTCOME_UNKNOWN_WHY[error.reason]} ${next}`, ...(sameAgain ? { sameAgain } : {}) };
}

/**
 * One problem to show for whatever a request failed with. A `NoAnswerError` is NO_ANSWER for a read
 * and OUTCOME_UNKNOWN for a write (its sentence says why, and whether sending it again is safe or
 * where to check first: `write`); an `OfflineError` is OFFLINE (for a write: nothing was sent).
 */
export function problemOf(error: unknown, write: WriteContext = {}): ApiProblem {
  if (error instanceof NoAnswerError) {
    if (error.operationType !== OperationTypeNode.MUTATION) return fromCode('NO_ANSWER');
    return outcomeUnknown(error, write);
  }
  if (error instanceof OfflineError) {
    if (error.operationType !== OperationTypeNode.MUTATION) return fromCode('OFFLINE');
    return { code: 'OFFLINE', message: 'You are offline, so nothing was sent. Try again once your connection is back.', sameAgain: true };
  }
  // Refused by the browser before it was sent (web-24: it said "not known whether this went through")
  if (error instanceof NotSentError) {
    const what = error.operationType === OperationTypeNode.MUTATION ? 'so nothing was sent or changed' : 'so nothing was read';
    return { code: 'NOT_SENT', message: `The browser refused to send this, ${what}. Try again; if it happens again, reload the page.`, sameAgain: true };
  }
  // A kept key older than the gateway keeps keys (web-24): the first outcome can no longer be asked for
  if (error instanceof KeptWriteExpired) {
    return {
      code: 'KEY_EXPIRED',
      message:
        `This was first sent more than ${error.hours} hours ago and its answer never came; the server remembers a request only that long, so it can no longer be sent as the same one. ` +
        `Check ${write.checkIn ?? 'whether it went through'} before you send it again: sent now, it is a new request.`,
    };
  }
  if (CombinedGraphQLErrors.is(error)) {
    const first = error.errors[0];
    const ext = (first?.extensions ?? {}) as { code?: string; requestId?: string; retryAfter?: unknown };
    return fromCode(ext.code ?? 'INTERNAL_SERVER_ERROR', first?.message, ext.requestId, secondsOf(ext.retryAfter));
  }
  if (ServerError.is(error)) {
    const header = retryAfterOfHeader(error.response.headers);
    try {
      const body = JSON.parse(error.bodyText) as { errors?: { message?: string; extensions?: { code?: string; requestId?: string; retryAfter?: unknown } }[] };
      const first = body.errors?.[0];
      if (first?.extensions?.code) return fromCode(first.extensions.code, first.message, first.extensions.requestId, secondsOf(first.extensions.retryAfter) ?? header);
    } catch {
      // not JSON: fall through
    }
    return fromCode(error.statusCode === 429 ? 'RATE_LIMITED' : error.statusCode === 503 ? 'SERVICE_UNAVAILABLE' : 'INTERNAL_SERVER_ERROR', undefined, undefined, header);
  }
  return fromCode('NETWORK');
}

/** A mutation's business refusal. */
export function problemOfUserError(userError: { code: string; message: string }): ApiProblem {
  return fromCode(userError.code, userError.message);
}

/**
 * A mutation's refusals, every one of them (edges-28: the console showed the first only, and a
 * persisted-query manifest refused for its format and its version said only "format must be …":
 * fixed and sent again, it was refused for the version). The first as `problemOfUserError` says
 * it; then each other's server message when it has the first's code and that code's sentence
 * shows the server's message (DETAILED), else its own sentence; the same sentence once.
 * @param userErrors the payload's `userErrors`, at least one
 */
export function problemOfUserErrors(userErrors: readonly { code: string; message: string }[]): ApiProblem {
  const [first, ...rest] = userErrors;
  const problem = problemOfUserError(first);
  if (rest.length === 0) return problem;
  const more = rest.map((e) => (e.code === first.code && DETAILED.has(e.code) ? e.message : problemOfUserError(e).message));
  return { ...problem, message: [...new Set([problem.message, ...more])].join(' ') };
}

/** Codes of a failed read that reading again may mend: the alert offers "Try again" for them (`ProblemAlert`'s `onRetry`). */
const RETRYABLE_READ_CODES = new Set(['NETWORK', 'NO_ANSWER', 'OFFLINE', 'NOT_SENT', 'SERVICE_UNAVAILABLE', 'RATE_LIMITED', 'SHUTTING_DOWN', 'INTERNAL_SERVER_ERROR']);

/**
 * An alert with the message (announced by screen readers) and, for server faults, a reference.
 * With `onRetry` (a screen's read that failed after `retryBusyQueries`' attempts), a "Try again"
 * button that reads again, for the codes reading again may mend (the others say "Reload the page"
 * or are refusals); for a write (`useGuardedSend`'s `tryAgain`), one that sends the same request
 * again, when that is safe (`ApiProblem.sameAgain`).
 */
export function ProblemAlert({ problem, onRetry }: { problem: ApiProblem | null | undefined; onRetry?: () => void }) {
  if (!problem) return null;
  return (
    <div role="alert" className="alert" data-code={problem.code}>
      <p>{problem.message}</p>
      {problem.reference ? <p className="muted">Reference: {problem.reference}</p> : null}
      {onRetry && (RETRYABLE_READ_CODES.has(problem.code) || problem.sameAgain) ? (
        <p>
          <button type="button" onClick={onRetry}>
            Try again
          </button>
        </p>
      ) : null}
    </div>
  );
}

/**
 * A failed query's "Try again" for `ProblemAlert`: its `refetch` (the query's outcome shows on the
 * screen, so the promise's rejection is dropped), or undefined while it has not failed.
 */
export function retryOf(query: { error?: unknown; refetch: () => Promise<unknown> }): (() => void) | undefined {
  return query.error ? () => void query.refetch().catch(() => undefined) : undefined;
}

/**
 * How a screen sends a write that the member or staff may try again: one at a time (a second
 * click before React re-rendered the button disabled is dropped: the same key would not write
 * twice, but it would be a second answer to wait for), and not again before the gateway's
 * "not before" of the last problem (`retryAfter` of a 429/503: RATE_LIMITED, SERVICE_UNAVAILABLE,
 * SHUTTING_DOWN) has passed. Used by the purchase, the gift claim and the console's forms.
 * @param write where an unkeyed write's outcome shows (`WriteContext`), for its OUTCOME_UNKNOWN
 * @returns `held` (true while a send runs or the hint runs: disable the buttons), `sending` (true
 *   while a send runs: its answer is awaited; a dialog is not dismissed meanwhile), the last
 *   `problem` and its setter, `send`, which runs `write` unless held and shows what it threw, and
 *   `tryAgain`, which runs the last `write` again (the same input; a keyed one takes its kept key
 *   again), defined while the problem it threw says that is safe (`ApiProblem.sameAgain`; web-24).
 */
export function useGuardedSend(write: WriteContext = {}): {
  held: boolean;
  sending: boolean;
  problem: ApiProblem | null;
  setProblem: (problem: ApiProblem | null) => void;
  send: (write: () => Promise<void>) => Promise<void>;
  tryAgain: (() => void) | undefined;
} {
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [waiting, setWaiting] = useState(false);
  const [sending, setSending] = useState(false);
  const inFlight = useRef(false);
  const notBefore = useRef(0);
  const context = useRef(write);
  context.current = write;
  /** The last write sent, and the problem it threw (tryAgain runs it again while that problem shows). */
  const last = useRef<{ write: () => Promise<void>; threw?: ApiProblem }>(undefined);
  useEffect(() => {
    if (!problem?.retryAfter) return setWaiting(false);
    notBefore.current = Date.now() + problem.retryAfter * 1000;
    setWaiting(true);
    const timer = setTimeout(() => setWaiting(false), problem.retryAfter * 1000);
    return () => clearTimeout(timer);
  }, [problem]);
  const send = useCallback(async (write: () => Promise<void>) => {
    if (inFlight.current || Date.now() < notBefore.current) return;
    inFlight.current = true;
    last.current = { write };
    setSending(true);
    setProblem(null);
    try {
      await write();
    } catch (error) {
      const threw = problemOf(error, context.current);
      last.current = { write, threw };
      setProblem(threw);
    } finally {
      inFlight.current = false;
      setSending(false);
    }
  }, []);
  const again = last.current;
  const tryAgain = problem && problem === again?.threw && problem.sameAgain ? () => void send(again.write) : undefined;
  return { held: waiting || sending, sending, problem, setProblem, send, tryAgain };
}
