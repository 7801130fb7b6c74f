/**
 * How long the apps wait before trying the gateway again (the live socket and HTTP queries).
 *
 * Exponential back-off with "full jitter" (Marc Brooker, "Exponential Backoff And Jitter", AWS
 * Architecture Blog, 2015: sleep = random_between(0, min(cap, base * 2 ** attempt))): the cap keeps
 * a member who was offline for a minute from waiting minutes once the network is back, and the
 * jitter keeps a fleet of phones that lost the gateway together from coming back in step.
 * The gateway's own hint (HTTP `Retry-After`, `extensions.retryAfter`, a 1013/4429 close reason
 * "… try again in N s") is a floor: the app never tries sooner than the gateway asked
 * (docs/decisions.md, "## webapp-12").
 */

/** First wait's ceiling (milliseconds); it doubles with each failed attempt up to RETRY_CAP_MS. */
export const RETRY_BASE_MS = 1_000;
/** The longest wait the app chooses on its own (milliseconds); a server hint may ask for longer. */
export const RETRY_CAP_MS = 30_000;
/** The shortest wait (milliseconds), so that full jitter never makes a tight loop. */
export const RETRY_FLOOR_MS = 250;

/**
 * The wait before attempt `failures + 1` (milliseconds): full jitter under min(cap, base · 2^failures),
 * at least RETRY_FLOOR_MS, and at least the server's hint when one is given.
 * @param failures attempts that failed in a row so far (0 for the first retry)
 * @param hintSeconds the server's `Retry-After` in seconds, if it sent one
 * @param random a number in [0, 1) (Math.random; tests inject their own through the page's Math.random)
 */
export function retryWaitMs(failures: number, hintSeconds?: number, random: () => number = Math.random): number {
  const ceiling = Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** Math.min(failures, 30));
  const chosen = Math.max(RETRY_FLOOR_MS, Math.floor(random() * ceiling));
  return hintSeconds !== undefined && hintSeconds > 0 ? Math.max(chosen, Math.ceil(hintSeconds * 1000)) : chosen;
}

/**
 * The seconds of a close reason the gateway writes as "… try again in N s" (1013, 4429;
 * src/http/ws.ts), or undefined.
 */
export function retryAfterOfReason(reason: string | undefined): number | undefined {
  const match = /try again in (\d+(?:\.\d+)?) ?s\b/i.exec(reason ?? '');
  return match ? Number(match[1]) : undefined;
}

/**
 * Seconds from an HTTP `Retry-After` header (delay-seconds, or an HTTP-date: RFC 9110 §10.2.3), or
 * undefined when absent or unreadable.
 */
export function retryAfterOfHeader(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}
