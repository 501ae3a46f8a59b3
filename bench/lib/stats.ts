/** Summary statistics of one series of per-round measurements. */
export interface Summary {
  median: number;
  min: number;
  max: number;
  /** Every round's value, in the order measured. */
  rounds: number[];
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error("median of an empty series");
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const upper = sorted[mid] as number;
  return sorted.length % 2 === 1 ? upper : ((sorted[mid - 1] as number) + upper) / 2;
}

export function summarize(values: readonly number[]): Summary {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values), rounds: [...values] };
}

/** Rounds a figure for reports: enough digits to compare, no float noise. */
export function round(value: number, digits = 3): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
