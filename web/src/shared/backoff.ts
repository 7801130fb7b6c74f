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
import { gatewayTimeKnown } from './gateway-time';

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
 * Seconds the gateway asks to wait by an answer's HTTP `Retry-After` header (delay-seconds, or an
 * HTTP-date: RFC 9110 §10.2.3), or undefined when absent or unreadable. An HTTP-date is a time on
 * the gateway's clock, so it is measured against the gateway's clock too: the same answer's `Date`
 * header (the instant the gateway sent it, from the same clock: src/http/server.ts), else the
 * gateway's time as the page counts it (gateway-time.ts `gatewayTimeKnown`). Before (small-25) it
 * was measured against the device's clock: a device set an hour back waited an hour more than
 * asked; one set ahead did not wait at all.
 * @param headers the answer's headers (a `fetch` Response's), or nothing
 */
export function retryAfterOfHeader(headers: Pick<Headers, 'get'> | null | undefined): number | undefined {
  const value = headers?.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  const sent = Date.parse(headers?.get('date') ?? '');
  return Math.max(0, Math.ceil((at - (Number.isNaN(sent) ? gatewayTimeKnown() : sent)) / 1000));
}
