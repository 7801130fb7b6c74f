/**
 * The only source of "now" for business logic, injected so tests can move time (expiry, lock
 * expiry, tier windows) without waiting. SQL receives `now` as a parameter, never `now()`.
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that follows the wall clock shifted by an offset a test can move. */
export class AdjustableClock implements Clock {
  private offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }

  reset(): void {
    this.offsetMs = 0;
  }
}
