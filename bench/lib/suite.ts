import type { Progress } from "./progress.js";
import type { SuiteOutput } from "./report.js";

export interface SuiteContext {
  progress: Progress;
}

export interface Suite {
  /** Also the results file name: bench/results/<name>.json. */
  name: string;
  description: string;
  run(context: SuiteContext): Promise<SuiteOutput>;
}
