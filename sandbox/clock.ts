/** Real time source for the sandbox; tests inject a manual one and move it instead of sleeping. */
export interface SandboxClock {
  /** Milliseconds since the epoch, real (wall) time. */
  now(): number;
}

export const realClock: SandboxClock = { now: () => Date.now() };

export class ManualSandboxClock implements SandboxClock {
  #ms: number;

  constructor(start: string | number = "2026-06-01T12:00:00.000Z") {
    this.#ms = typeof start === "number" ? start : Date.parse(start);
  }

  now(): number {
    return this.#ms;
  }

  advance(ms: number): void {
    this.#ms += ms;
  }
}

/**
 * Amazon's time inside the sandbox: it starts at the clock's now and runs `timeScale` times faster, so every
 * rate, delay and expiry (all expressed in Amazon time) speeds up together.
 */
export class AmazonTime {
  readonly #clock: SandboxClock;
  readonly #origin: number;
  readonly timeScale: number;

  constructor(clock: SandboxClock, timeScale: number) {
    if (!(Number.isFinite(timeScale) && timeScale > 0))
      throw new RangeError("timeScale must be a positive number");
    this.#clock = clock;
    this.#origin = clock.now();
    this.timeScale = timeScale;
  }

  now(): number {
    return this.#origin + (this.#clock.now() - this.#origin) * this.timeScale;
  }
}

/** Amazon prints date-times without milliseconds. */
export function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

export const SECOND = 1_000;
export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;
