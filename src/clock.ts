/**
 * The only source of "now" for business logic, injected so tests can move time (expiry, lock
 * expiry, tier windows) without waiting. SQL receives `now` as a parameter, never `now()`.
 */
export interface Clock {
  now(): Date;
  /**
   * How far, in milliseconds, `now()` is set from the host's clock on purpose (a test that moves
   * time); absent or 0 for a clock that is the host's. The clock guard (src/clock-guard.ts)
   * compares `now()` less this with PostgreSQL's clock, so a test's days ahead are not a fault
   * while a step of the host's clock is.
   */
  deliberateOffsetMs?(): number;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that follows the wall clock shifted by an offset a test can move, or stands still. */
export class AdjustableClock implements Clock {
  private offsetMs = 0;
  private frozenAt: number | null = null;
  /** A fault of the host's clock (`stepHost`): moves `now()` but is not deliberate. */
  private hostStepMs = 0;

  now(): Date {
    return new Date((this.frozenAt ?? Date.now()) + this.offsetMs + this.hostStepMs);
  }

  /** Everything `now()` differs from the host's clock by, except `stepHost`'s step. */
  deliberateOffsetMs(): number {
    return this.now().getTime() - Date.now() - this.hostStepMs;
  }

  /** Stops the clock (at its current reading): only `advance` moves it then. */
  freeze(): void {
    this.frozenAt = this.now().getTime() - this.hostStepMs;
    this.offsetMs = 0;
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }

  /** Moves the clock (forward or back, deliberately, as `advance`) so that `now()` reads `at` (epoch milliseconds). */
  moveTo(at: number): void {
    this.advance(at - this.now().getTime());
  }

  /**
   * Steps the clock as a host's clock steps by fault (a bad NTP answer, a VM resumed from a
   * snapshot, a hand-set date): `now()` moves by `ms` (negative: back) but, unlike `advance`, not
   * on purpose, so the clock guard sees it. `reset()` ends it.
   */
  stepHost(ms: number): void {
    this.hostStepMs += ms;
  }

  reset(): void {
    this.offsetMs = 0;
    this.frozenAt = null;
    this.hostStepMs = 0;
  }
}
