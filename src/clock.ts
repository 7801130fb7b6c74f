/**
 * The only source of "now" for business logic, injected so tests can move time (expiry, lock
 * expiry, tier windows) without waiting. SQL receives `now` as a parameter, never `now()`.
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that follows the wall clock shifted by an offset a test can move, or stands still. */
export class AdjustableClock implements Clock {
  private offsetMs = 0;
  private frozenAt: number | null = null;

  now(): Date {
    return new Date((this.frozenAt ?? Date.now()) + this.offsetMs);
  }

  /** Stops the clock (at its current reading): only `advance` moves it then. */
  freeze(): void {
    this.frozenAt = this.now().getTime();
    this.offsetMs = 0;
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }

  reset(): void {
    this.offsetMs = 0;
    this.frozenAt = null;
  }
}
