import type { AuditRecord } from "../audit/audit-read.js";
import { MS } from "../platform/clock.js";
import type { RuleId, Severity } from "./incident-types.js";

/** A sync stream's count of 429s as the sync engine keeps it (sync_checkpoints.throttled_count). */
export interface ThrottleCounter {
  accountId: string;
  stream: string;
  throttledCount: number;
}

/** What the detector feeds the rules: audit entries in seq order, then the periodic checks. */
export type DetectionInput =
  | { kind: "entry"; entry: AuditRecord }
  | { kind: "verification"; at: string; valid: boolean; problem: { kind: string; seq: number } | null }
  | { kind: "throttle"; at: string; counters: readonly ThrottleCounter[] };

/** What a rule reports. `subject` (with the rule) names the open incident repeated findings join. */
export interface Finding {
  rule: RuleId;
  severity: Severity;
  subject: string;
  title: string;
  /** Ids and counts only: never PII, secret values or free text from a user. */
  summary: string;
  accountId: string | null;
  at: string;
}

export interface RuleConfig {
  piiReveals: { threshold: number; windowMs: number };
  failedLogins: { perUser: number; overall: number; windowMs: number };
  /** Amazon order ids (or order row ids) planted as canaries: nobody has a reason to read them. */
  canaryOrderIds: readonly string[];
  /** Components that read secrets in normal operation (the `component` of SecretsStore.get). */
  expectedSecretReaders: readonly string[];
  throttling: { entries: number; windowMs: number; perSample: number; consecutiveSamples: number };
}

export const DEFAULT_RULE_CONFIG: RuleConfig = {
  piiReveals: { threshold: 25, windowMs: 15 * MS.minute },
  failedLogins: { perUser: 10, overall: 50, windowMs: 10 * MS.minute },
  canaryOrderIds: [],
  expectedSecretReaders: ["amazon.lwa", "secrets.rotation"],
  throttling: { entries: 30, windowMs: 15 * MS.minute, perSample: 10, consecutiveSamples: 3 },
};

export interface RuleContext {
  config: RuleConfig;
  /** Instance admins and owners/admins of any seller account (bare user ids). */
  isPrivileged(userId: string): boolean;
}

export interface Rule<S> {
  id: RuleId;
  severity: Severity;
  initial(): S;
  /** Pure: the next state and what it found; state must stay JSON (it is stored between runs). */
  evaluate(state: S, input: DetectionInput, ctx: RuleContext): { state: S; findings: Finding[] };
}

type Window = Record<string, number[]>;

/** Adds `t` under `key`, drops times older than the window, returns the count left. */
function bump(w: Window, key: string, t: number, windowMs: number): number {
  const kept = (w[key] ?? []).filter((x) => x > t - windowMs);
  kept.push(t);
  w[key] = kept;
  return kept.length;
}

function prune(w: Window, t: number, windowMs: number): Window {
  const out: Window = {};
  for (const [k, v] of Object.entries(w)) {
    const kept = v.filter((x) => x > t - windowMs);
    if (kept.length > 0) out[k] = kept;
  }
  return out;
}

const minutes = (ms: number) => Math.round(ms / MS.minute);
const bareUser = (actor: string) => actor.replace(/^user:/, "");

const bulkPiiReveal: Rule<Window> = {
  id: "bulk_pii_reveal",
  severity: "high",
  initial: () => ({}),
  evaluate(state, input, { config }) {
    if (input.kind !== "entry") return { state, findings: [] };
    const e = input.entry;
    if (e.action !== "pii.reveal" || e.outcome !== "success") return { state, findings: [] };
    const { threshold, windowMs } = config.piiReveals;
    const t = Date.parse(e.at);
    const next = prune(state, t, windowMs);
    if (bump(next, e.actor, t, windowMs) < threshold) return { state: next, findings: [] };
    // Start counting afresh: the next finding needs another full burst.
    delete next[e.actor];
    return {
      state: next,
      findings: [
        {
          rule: "bulk_pii_reveal",
          severity: "high",
          subject: e.actor,
          title: "Bulk buyer-data reveals by one user",
          summary: `${threshold} buyer-data reveals by ${e.actor} within ${minutes(windowMs)} minutes (last at audit entry ${e.seq}).`,
          accountId: e.target.account ?? null,
          at: e.at,
        },
      ],
    };
  },
};

const FAILED_LOGIN = (e: AuditRecord) =>
  (e.action === "auth.failure" && e.outcome === "failure") ||
  (e.action === "auth.password" && e.outcome === "failure");

const failedLoginBurst: Rule<Window> = {
  id: "failed_login_burst",
  severity: "medium",
  initial: () => ({}),
  evaluate(state, input, { config }) {
    if (input.kind !== "entry" || !FAILED_LOGIN(input.entry)) return { state, findings: [] };
    const e = input.entry;
    const { perUser, overall, windowMs } = config.failedLogins;
    const t = Date.parse(e.at);
    const next = prune(state, t, windowMs);
    const findings: Finding[] = [];
    const user = e.target.user;
    if (user && bump(next, `user:${user}`, t, windowMs) >= perUser) {
      delete next[`user:${user}`];
      findings.push({
        rule: "failed_login_burst",
        severity: "medium",
        subject: `user:${user}`,
        title: "Burst of failed sign-ins for one user",
        summary: `${perUser} failed sign-ins for user:${user} within ${minutes(windowMs)} minutes (last at audit entry ${e.seq}).`,
        accountId: null,
        at: e.at,
      });
    }
    if (bump(next, "*", t, windowMs) >= overall) {
      delete next["*"];
      findings.push({
        rule: "failed_login_burst",
        severity: "high",
        subject: "*",
        title: "Burst of failed sign-ins across the instance",
        summary: `${overall} failed sign-ins within ${minutes(windowMs)} minutes (last at audit entry ${e.seq}).`,
        accountId: null,
        at: e.at,
      });
    }
    return { state: next, findings };
  },
};

import { networkOf } from "../platform/network.js";

export { networkOf };

const MAX_NETWORKS_PER_USER = 20;

const adminNewNetwork: Rule<Record<string, string[]>> = {
  id: "admin_new_network",
  severity: "high",
  initial: () => ({}),
  evaluate(state, input, ctx) {
    if (input.kind !== "entry") return { state, findings: [] };
    const e = input.entry;
    const signIn = (e.action === "session.start" || e.action === "auth.password") && e.outcome === "success";
    if (!signIn) return { state, findings: [] };
    const network = e.target.network ?? (e.target.ip ? networkOf(e.target.ip) : null);
    const user = e.target.user ?? bareUser(e.actor);
    if (!network || !ctx.isPrivileged(user)) return { state, findings: [] };
    const known = state[user] ?? [];
    if (known.includes(network)) return { state, findings: [] };
    const next = { ...state, [user]: [...known, network].slice(-MAX_NETWORKS_PER_USER) };
    // The first sign-in we see only sets the baseline.
    if (known.length === 0) return { state: next, findings: [] };
    return {
      state: next,
      findings: [
        {
          rule: "admin_new_network",
          severity: "high",
          subject: `user:${user}:${network}`,
          title: "Administrator signed in from a new network",
          summary: `user:${user} (an administrator) signed in from network ${network}, not seen before for this user (audit entry ${e.seq}).`,
          accountId: null,
          at: e.at,
        },
      ],
    };
  },
};

const auditChainBroken: Rule<Record<string, never>> = {
  id: "audit_chain_broken",
  severity: "critical",
  initial: () => ({}),
  evaluate(state, input) {
    let problem: string | null = null;
    let at = "";
    if (input.kind === "verification" && !input.valid) {
      problem = input.problem ? `${input.problem.kind} at entry ${input.problem.seq}` : "unknown problem";
      at = input.at;
    } else if (
      input.kind === "entry" &&
      input.entry.action === "audit.verify" &&
      input.entry.outcome === "failure"
    ) {
      problem = `${input.entry.reason ?? "failure"} at entry ${input.entry.target.seq ?? "?"}`;
      at = input.entry.at;
    }
    if (problem === null) return { state, findings: [] };
    return {
      state,
      findings: [
        {
          rule: "audit_chain_broken",
          severity: "critical",
          subject: "audit-log",
          title: "Audit log failed verification",
          summary: `The hash-chained audit log does not verify: ${problem}. It may have been tampered with.`,
          accountId: null,
          at,
        },
      ],
    };
  },
};

const canaryRead: Rule<Record<string, never>> = {
  id: "canary_read",
  severity: "critical",
  initial: () => ({}),
  evaluate(state, input, { config }) {
    if (input.kind !== "entry") return { state, findings: [] };
    const e = input.entry;
    const order = e.target.order;
    if (!order || !config.canaryOrderIds.includes(order)) return { state, findings: [] };
    return {
      state,
      findings: [
        {
          rule: "canary_read",
          severity: "critical",
          subject: `${order}:${e.actor}`,
          title: "Planted canary order was accessed",
          summary: `${e.actor} attempted ${e.action} (${e.outcome}) on canary order ${order} (audit entry ${e.seq}).`,
          accountId: e.target.account ?? null,
          at: e.at,
        },
      ],
    };
  },
};

const secretReadUnexpected: Rule<Record<string, never>> = {
  id: "secret_read_unexpected",
  severity: "high",
  initial: () => ({}),
  evaluate(state, input, { config }) {
    if (input.kind !== "entry") return { state, findings: [] };
    const e = input.entry;
    if (e.action !== "secret.read" || config.expectedSecretReaders.includes(e.actor))
      return { state, findings: [] };
    const secret = e.target.secret ?? "(unnamed)";
    return {
      state,
      findings: [
        {
          rule: "secret_read_unexpected",
          severity: "high",
          subject: `${e.actor}:${secret}`,
          title: "Secret read outside its normal path",
          summary: `Component ${e.actor} read secret ${secret} (${e.outcome}); it is not one of the expected readers (audit entry ${e.seq}).`,
          accountId: null,
          at: e.at,
        },
      ],
    };
  },
};

interface ThrottleState {
  window: Window;
  counters: Record<string, { count: number; streak: number }>;
}

function throttleFinding(key: string, accountId: string | null, at: string, why: string): Finding {
  return {
    rule: "sustained_throttling",
    severity: "medium",
    subject: key,
    title: "Sustained SP-API throttling",
    summary: `Amazon keeps throttling ${key}: ${why}. Check for a runaway job or a stolen application credential.`,
    accountId,
    at,
  };
}

const sustainedThrottling: Rule<ThrottleState> = {
  id: "sustained_throttling",
  severity: "medium",
  initial: () => ({ window: {}, counters: {} }),
  evaluate(state, input, { config }) {
    const c = config.throttling;
    if (input.kind === "entry") {
      const e = input.entry;
      if (e.action !== "spapi.call" || e.reason !== "SPAPI_THROTTLED") return { state, findings: [] };
      const t = Date.parse(e.at);
      const key = `account:${e.target.account ?? "?"}`;
      const window = prune(state.window, t, c.windowMs);
      if (bump(window, key, t, c.windowMs) < c.entries) return { state: { ...state, window }, findings: [] };
      delete window[key];
      const why = `${c.entries} throttled calls within ${minutes(c.windowMs)} minutes`;
      return {
        state: { ...state, window },
        findings: [throttleFinding(key, e.target.account ?? null, e.at, why)],
      };
    }
    if (input.kind !== "throttle") return { state, findings: [] };
    const counters: ThrottleState["counters"] = {};
    const findings: Finding[] = [];
    for (const s of input.counters) {
      const key = `account:${s.accountId}:${s.stream}`;
      const before = state.counters[key];
      const delta = before ? s.throttledCount - before.count : 0;
      let streak = delta >= c.perSample ? (before?.streak ?? 0) + 1 : 0;
      if (streak >= c.consecutiveSamples) {
        const why = `${c.consecutiveSamples} checks in a row with ${c.perSample} or more new 429s each`;
        findings.push(throttleFinding(key, s.accountId, input.at, why));
        streak = 0;
      }
      counters[key] = { count: s.throttledCount, streak };
    }
    return { state: { ...state, counters }, findings };
  },
};

function rule<S>(r: Rule<S>): Rule<unknown> {
  return r as unknown as Rule<unknown>;
}

/** The rule table: one entry per detection rule, evaluated in this order. */
export const RULES: readonly Rule<unknown>[] = [
  rule(bulkPiiReveal),
  rule(failedLoginBurst),
  rule(adminNewNetwork),
  rule(auditChainBroken),
  rule(canaryRead),
  rule(secretReadUnexpected),
  rule(sustainedThrottling),
];

export type RuleStates = Partial<Record<RuleId, unknown>>;

/** Runs every rule over the inputs in order; returns the rules' new states and every finding. */
export function evaluateRules(
  states: RuleStates,
  inputs: readonly DetectionInput[],
  ctx: RuleContext,
): { states: RuleStates; findings: Finding[] } {
  const next: RuleStates = { ...states };
  const findings: Finding[] = [];
  for (const input of inputs) {
    for (const r of RULES) {
      const out = r.evaluate(next[r.id] ?? r.initial(), input, ctx);
      next[r.id] = out.state;
      findings.push(...out.findings);
    }
  }
  return { states: next, findings };
}
