export interface FaultSettings {
  /** The next N SP-API requests answer 5xx. */
  serverErrors: number;
  serverErrorStatus: 500 | 503;
  /** The next N SP-API requests answer 429, whatever the buckets hold. */
  throttles: number;
  /** Real milliseconds added to every SP-API response. */
  latencyMs: number;
  /** The next N SP-API responses carry a truncated JSON body. */
  malformed: number;
}

export const NO_FAULTS: FaultSettings = {
  serverErrors: 0,
  serverErrorStatus: 500,
  throttles: 0,
  latencyMs: 0,
  malformed: 0,
};

export class Faults {
  settings: FaultSettings;

  constructor(initial: Partial<FaultSettings> = {}) {
    this.settings = { ...NO_FAULTS, ...initial };
  }

  takeServerError(): number | undefined {
    if (this.settings.serverErrors <= 0) return undefined;
    this.settings.serverErrors -= 1;
    return this.settings.serverErrorStatus;
  }

  takeThrottle(): boolean {
    if (this.settings.throttles <= 0) return false;
    this.settings.throttles -= 1;
    return true;
  }

  takeMalformed(): boolean {
    if (this.settings.malformed <= 0) return false;
    this.settings.malformed -= 1;
    return true;
  }
}
