/** Time is a dependency: everything that depends on "now" takes a Clock, so tests move time instead of sleeping. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = {
  now: () => new Date(),
};

/** A clock that only moves when told to: for tests of expiry, retention and deadlines. */
/**
 * A clock that runs `scale` times faster than `base` from the moment it is made: demo mode's view of Amazon time
 * when the sandbox runs time-scaled (every rate, delay and expiry of Amazon's shrinks by the same factor).
 */
export function scaledClock(base: Clock, scale: number): Clock & { realMs(amazonMs: number): number } {
  if (!(Number.isFinite(scale) && scale > 0)) throw new RangeError("scale must be a positive number");
  const origin = base.now().getTime();
  return {
    now: () => new Date(origin + (base.now().getTime() - origin) * scale),
    realMs: (amazonMs) => amazonMs / scale,
  };
}

export class ManualClock implements Clock {
  #ms: number;

  constructor(start: Date | string = "2026-01-01T00:00:00.000Z") {
    this.#ms = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.#ms);
  }

  set(to: Date | string): void {
    this.#ms = new Date(to).getTime();
  }

  advance(ms: number): void {
    this.#ms += ms;
  }
}

export const MS = {
  second: 1_000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
} as const;
