/** The compliance report: facts read from the configuration and the stores at one instant. */
export type ControlStatus = "ok" | "warning" | "failed";

export const CONTROL_AREAS = [
  "transport",
  "encryption",
  "access",
  "audit",
  "retention",
  "incidents",
  "spapi",
] as const;
export type ControlArea = (typeof CONTROL_AREAS)[number];

/** Evidence values are plain facts (strings, numbers, booleans, lists, nested records); never secrets. */
export type Evidence = string | number | boolean | null | readonly Evidence[] | { [key: string]: Evidence };

export interface Control {
  /** Stable id, e.g. "transport.tls"; the JSON output is keyed by these. */
  id: string;
  area: ControlArea;
  title: string;
  /** The Amazon Data Protection Policy requirement this control answers. */
  requirement: string;
  status: ControlStatus;
  /** Why the status is what it is, in one line. */
  finding: string;
  evidence: { [key: string]: Evidence };
}

export interface ComplianceReport {
  kind: "seller-pilot-compliance-report";
  version: 1;
  generatedAt: string;
  asOf: string;
  instance: { env: string; store: "sqlite" | "postgres"; mode: "demo" | "connected"; appVersion: string };
  summary: { ok: number; warning: number; failed: number; total: number };
  controls: Control[];
}

export function summarize(controls: readonly Control[]): ComplianceReport["summary"] {
  const count = (s: ControlStatus) => controls.filter((c) => c.status === s).length;
  return { ok: count("ok"), warning: count("warning"), failed: count("failed"), total: controls.length };
}

/** The worst of the given statuses. */
export function worst(...statuses: ControlStatus[]): ControlStatus {
  if (statuses.includes("failed")) return "failed";
  if (statuses.includes("warning")) return "warning";
  return "ok";
}
