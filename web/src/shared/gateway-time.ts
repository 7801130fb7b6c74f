/**
 * The gateway's clock, as the page learns it from the `Date` header of the gateway's answers
 * (src/http/server.ts writes it from the gateway's clock, the one its idempotency records are dated
 * by). The apps date and age their kept idempotency keys by it (session.ts `keptKey`), not by the
 * device's clock (apps-25): a device clock set back kept a key past IDEMPOTENCY_RETENTION_HOURS, so
 * the app sent a write as "the same request" that the gateway had forgotten and ran again; one set
 * forward forgot a key the gateway still held, and the member's resend became a new purchase.
 *
 * Between answers the page counts on from the last one with two clocks of its own: the monotonic
 * `performance.now()`, which a change of the device's clock does not move (but which may stand
 * still while the device sleeps), and the device's clock (`Date.now()`), which counts a sleep but
 * moves when the clock is set. While they agree, the count is trusted; once they part (the clock was
 * set, or the device slept) the gateway is asked again (`gatewayNow`).
 */

/** One `Date` header: the gateway's time (epoch ms) and the page's two clocks as it arrived. */
interface Reading {
  gateway: number;
  wall: number;
  mono: number;
}

let last: Reading | null = null;

/**
 * How far (ms) the page's two counts since the last reading may part before neither is trusted:
 * wide of the drift of a device's clock over hours and of a `Date` header's second, narrow of a
 * clock set by hand or a night's sleep.
 */
const AGREE_WITHIN_MS = 60_000;

/** How long (ms) the page waits for the gateway's time when it must ask (`gatewayNow`). */
const ASK_WITHIN_MS = 10_000;

/**
 * How far (ms) an answer's `Date` may lie behind the gateway's time the page already knows before
 * it is taken for a stale one and ignored (noteGatewayDate): wide of the header's whole second, the
 * answer's travel and the clocks of several gateways behind one address; narrow of a cached answer.
 */
const STALE_AFTER_MS = 60_000;

/**
 * Notes the gateway's time from an answer's `Date` header (the whole second it was sent in; a
 * missing or unreadable header is ignored). Called for every answer of the API (api.ts `handOver`).
 *
 * A `Date` behind the least the page can already count since its last reading (the lower of its two
 * counts: neither runs ahead of the gateway unless the device's clock was set forward, and then the
 * other is the lower) by more than STALE_AFTER_MS is not the gateway's time now but an old answer's
 * (one a cache or a proxy kept, with the `Date` it was first sent with) and is ignored: taken, it
 * set the page's count back by the answer's age, so a kept key looked that much younger and was
 * sent as "the same request" after the gateway had forgotten it (break3-25). Ignoring errs towards
 * a later time, which forgets a key early: the side gatewayNow chooses when unsure.
 */
export function noteGatewayDate(response: Response): void {
  const gateway = Date.parse(response.headers.get('date') ?? '');
  if (Number.isNaN(gateway)) return;
  const known = counts();
  if (known && gateway < Math.min(known.byMono, known.byWall) - STALE_AFTER_MS) return;
  last = { gateway, wall: Date.now(), mono: performance.now() };
}

/** The gateway's time now counted by each of the page's clocks from the last reading; null before any. */
function counts(): { byMono: number; byWall: number } | null {
  if (!last) return null;
  return { byMono: last.gateway + (performance.now() - last.mono), byWall: last.gateway + (Date.now() - last.wall) };
}

/** The gateway's time now, when the page's two counts agree (see AGREE_WITHIN_MS); else null. */
function trusted(): number | null {
  const now = counts();
  return now && Math.abs(now.byMono - now.byWall) <= AGREE_WITHIN_MS ? now.byMono : null;
}

/**
 * The gateway's time now (epoch ms) as far as the page knows it without asking: counted from the
 * last answer while the page's clocks agree, else the later of the two counts, else (no answer yet)
 * the device's clock. For a reading that cannot wait for `gatewayNow`'s request (an answer's
 * `Retry-After` date when the answer had no `Date`: backoff.ts, small-25).
 */
export function gatewayTimeKnown(): number {
  const known = trusted();
  if (known !== null) return known;
  const now = counts();
  return now ? Math.max(now.byMono, now.byWall) : Date.now();
}

/**
 * The gateway's time now (epoch ms), to within a second or two (the header's second and the
 * answer's travel): counted from the last answer while the page's clocks agree; otherwise (no answer
 * yet on this page, the device's clock set, the device asleep) read from a fresh answer of
 * `/healthz`. When that cannot be had either (the gateway does not answer), the later of the two
 * counts, so a kept key is forgotten early rather than kept past the gateway's retention; with no
 * answer ever, the device's clock. Never throws.
 */
export async function gatewayNow(): Promise<number> {
  const known = trusted();
  if (known !== null) return known;
  try {
    noteGatewayDate(await fetch('/healthz', { cache: 'no-store', signal: AbortSignal.timeout(ASK_WITHIN_MS) }));
  } catch {
    // not answered: counted from what the page knows
  }
  const now = counts();
  return now ? Math.max(now.byMono, now.byWall) : Date.now();
}
