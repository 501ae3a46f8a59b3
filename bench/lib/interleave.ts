import type { Progress } from "./progress.js";

/** One measurement of one side in one round: named figures, e.g. { writeRowsPerSec, readRowsPerSec }. */
export type Sample = Readonly<Record<string, number>>;

export interface Side {
  label: string;
  run(round: number): Promise<Sample>;
}

export interface InterleaveOptions {
  rounds: number;
  sides: readonly Side[];
  progress: Progress;
  /** Runs every side once, unrecorded, in the same order before round 1 (JIT, page cache, TLS). */
  warmup?: (side: Side) => Promise<void>;
}

/**
 * Runs the sides alternately (A, B, A, B, ...) so drift on a shared, noisy machine lands on every side
 * alike; returns each side's samples in round order, keyed by label.
 */
export async function interleave(options: InterleaveOptions): Promise<Map<string, Sample[]>> {
  const { rounds, sides, progress, warmup } = options;
  if (rounds < 1) throw new Error("interleave needs at least one round");
  if (new Set(sides.map((s) => s.label)).size !== sides.length) throw new Error("side labels must be unique");
  if (warmup) {
    for (const side of sides) {
      progress(`warm-up ${side.label}`);
      await warmup(side);
    }
  }
  const samples = new Map<string, Sample[]>(sides.map((side) => [side.label, []]));
  for (let round = 1; round <= rounds; round++) {
    for (const side of sides) {
      const sample = await side.run(round);
      samples.get(side.label)?.push(sample);
      const figures = Object.entries(sample)
        .map(([name, value]) => `${name}=${Number.isInteger(value) ? value : value.toFixed(2)}`)
        .join(" ");
      progress(`round ${round}/${rounds} ${side.label}: ${figures}`);
    }
  }
  return samples;
}

/** One named figure of one side across all rounds. */
export function series(samples: Map<string, Sample[]>, label: string, figure: string): number[] {
  const side = samples.get(label);
  if (!side) throw new Error(`no samples for side ${label}`);
  return side.map((sample, i) => {
    const value = sample[figure];
    if (value === undefined || !Number.isFinite(value)) {
      throw new Error(`side ${label} round ${i + 1} has no finite figure ${figure}`);
    }
    return value;
  });
}
