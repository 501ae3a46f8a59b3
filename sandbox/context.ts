import type { AmazonTime } from "./clock.js";
import type { OrderData } from "./data-generator.js";
import type { Faults } from "./faults.js";
import type { LwaState } from "./lwa-state.js";
import type { RateLimiter } from "./rate-limits.js";

/** What every route module of the sandbox shares. */
export interface SandboxContext {
  time: AmazonTime;
  data: OrderData;
  lwa: LwaState;
  limiter: RateLimiter;
  faults: Faults;
  /** Real-time wait used only by the latency fault. */
  delay: (ms: number) => Promise<void>;
}
