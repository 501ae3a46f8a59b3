import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { median, round, type Summary, summarize } from "./stats.js";

export const RESULTS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "results");

export interface Measurement extends Summary {
  unit: string;
  description: string;
}

export interface Ratio {
  /** median(numerator) / median(denominator). */
  value: number;
  numerator: string;
  denominator: string;
  /** numerator / denominator within each round (the pairs measured back to back). */
  roundRatios: number[];
  description: string;
}

/** What a suite measured; the runner adds who, where and when. */
export interface SuiteOutput {
  config: Record<string, unknown>;
  measurements: Record<string, Measurement>;
  /** null: not measured in this run; `skipped` says why. */
  ratios: Record<string, Ratio | null>;
  skipped: Record<string, string>;
  notes: string[];
}

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  totalMemBytes: number;
  platform: string;
  arch: string;
  release: string;
}

export interface SuiteResult extends SuiteOutput {
  suite: string;
  timestamp: string;
  node: string;
  machine: MachineInfo;
  durationSeconds: number;
  /** Present only when the suite threw; its figures are then empty. */
  error?: string;
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? "unknown",
    totalMemBytes: os.totalmem(),
    platform: os.platform(),
    arch: os.arch(),
    release: os.release(),
  };
}

export function measurement(unit: string, description: string, values: readonly number[]): Measurement {
  const summary = summarize(values.map((v) => round(v)));
  return { unit, description, ...summary };
}

export function ratio(
  measurements: Record<string, Measurement>,
  numerator: string,
  denominator: string,
  description: string,
): Ratio {
  const num = measurements[numerator];
  const den = measurements[denominator];
  if (!num || !den) throw new Error(`ratio ${numerator}/${denominator}: unknown measurement`);
  if (num.rounds.length !== den.rounds.length)
    throw new Error(`ratio ${numerator}/${denominator}: round counts differ`);
  if (den.median <= 0 || den.rounds.some((v) => v <= 0)) {
    throw new Error(`ratio ${numerator}/${denominator}: denominator is not positive`);
  }
  return {
    value: round(median(num.rounds) / median(den.rounds), 4),
    numerator,
    denominator,
    roundRatios: num.rounds.map((v, i) => round(v / (den.rounds[i] as number), 4)),
    description,
  };
}

export async function writeResult(result: SuiteResult, dir = RESULTS_DIR): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${result.suite}.json`);
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`, "utf8");
  return file;
}

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]?.map((_, col) => Math.max(...rows.map((row) => (row[col] ?? "").length))) ?? [];
  return rows
    .map((row) =>
      row.map((cell, col) => (col === 0 ? cell.padEnd(widths[col] ?? 0) : cell.padStart(widths[col] ?? 0))),
    )
    .map((row) => row.join("  ").trimEnd())
    .join("\n");
}

function figure(m: Measurement): string {
  return `${m.median.toLocaleString("en-US", { maximumFractionDigits: 2 })} ${m.unit}`;
}

/** The short human summary: one line per ratio, with the medians it was made of. */
export function summaryTable(result: SuiteResult): string {
  const rows: string[][] = [
    ["ratio", "value", "per-round range", "numerator (median)", "denominator (median)"],
  ];
  for (const [name, r] of Object.entries(result.ratios)) {
    if (r === null) {
      rows.push([name, "null", "", `skipped: ${result.skipped[name] ?? "no reason given"}`, ""]);
      continue;
    }
    const num = result.measurements[r.numerator];
    const den = result.measurements[r.denominator];
    rows.push([
      name,
      r.value.toFixed(3),
      `${Math.min(...r.roundRatios).toFixed(3)}-${Math.max(...r.roundRatios).toFixed(3)}`,
      num ? `${r.numerator} ${figure(num)}` : r.numerator,
      den ? `${r.denominator} ${figure(den)}` : r.denominator,
    ]);
  }
  const latency = Object.entries(result.measurements).filter(([, m]) => m.unit === "ms");
  const extra = latency.map(([name, m]) => `  ${name}: median ${m.median} ms (min ${m.min}, max ${m.max})`);
  return [
    `== ${result.suite} (${result.timestamp}, node ${result.node}, ${result.machine.cpus} cpus, ` +
      `${(result.machine.totalMemBytes / 2 ** 30).toFixed(1)} GiB, ${result.durationSeconds.toFixed(1)} s)`,
    table(rows),
    ...(extra.length > 0 ? ["latency:", ...extra] : []),
  ].join("\n");
}
