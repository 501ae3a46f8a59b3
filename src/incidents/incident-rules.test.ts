import { describe, expect, it } from "vitest";
import type { AuditRecord } from "../audit/audit-read.js";
import { MS } from "../platform/clock.js";
import {
  DEFAULT_RULE_CONFIG,
  type DetectionInput,
  evaluateRules,
  type Finding,
  networkOf,
  type RuleConfig,
  type RuleStates,
} from "./incident-rules.js";

const T0 = Date.parse("2026-11-28T12:00:00.000Z");
let seq = 0;

function entry(e: Partial<AuditRecord> & Pick<AuditRecord, "action">, offsetMs = 0): DetectionInput {
  seq += 1;
  return {
    kind: "entry",
    entry: {
      seq,
      at: new Date(T0 + offsetMs).toISOString(),
      actor: "user:u1",
      outcome: "success",
      target: {},
      reason: null,
      ...e,
    },
  };
}

const config: RuleConfig = {
  ...DEFAULT_RULE_CONFIG,
  piiReveals: { threshold: 5, windowMs: 10 * MS.minute },
  failedLogins: { perUser: 4, overall: 8, windowMs: 10 * MS.minute },
  canaryOrderIds: ["CANARY-1"],
  throttling: { entries: 3, windowMs: 5 * MS.minute, perSample: 10, consecutiveSamples: 2 },
};

function run(inputs: DetectionInput[], privileged: string[] = [], states: RuleStates = {}) {
  const set = new Set(privileged);
  return evaluateRules(states, inputs, { config, isPrivileged: (id) => set.has(id) });
}

const rules = (findings: Finding[]) => findings.map((f) => f.rule);

describe("detection rules", () => {
  it("bulk PII reveals: fires at the threshold inside the window, not below it, not when spread out", () => {
    const reveal = (i: number, actor = "user:u1") =>
      entry({ action: "pii.reveal", actor, target: { account: "acc1", order: `o${i}` } }, i * MS.minute);
    const below = run([0, 1, 2, 3].map((i) => reveal(i)));
    expect(below.findings).toEqual([]);
    const at = run([0, 1, 2, 3, 4].map((i) => reveal(i)));
    expect(rules(at.findings)).toEqual(["bulk_pii_reveal"]);
    expect(at.findings[0]).toMatchObject({ subject: "user:u1", accountId: "acc1", severity: "high" });
    // Five reveals over 20 minutes never have five inside one 10-minute window.
    const spread = run([0, 5, 10, 15, 20].map((i) => reveal(i)));
    expect(spread.findings).toEqual([]);
    // Two users with four each: no single user reached it.
    const split = run([0, 1, 2, 3].flatMap((i) => [reveal(i, "user:a"), reveal(i, "user:b")]));
    expect(split.findings).toEqual([]);
    // Denied reveals are not reveals.
    const denied = run([0, 1, 2, 3, 4].map((i) => entry({ action: "pii.reveal", outcome: "denied" }, i)));
    expect(denied.findings).toEqual([]);
  });

  it("state carries across runs: a burst split over two detector runs still fires", () => {
    const first = run([0, 1, 2].map((i) => entry({ action: "pii.reveal" }, i * MS.minute)));
    expect(first.findings).toEqual([]);
    const stored = JSON.parse(JSON.stringify(first.states)) as RuleStates;
    const second = run(
      [3, 4].map((i) => entry({ action: "pii.reveal" }, i * MS.minute)),
      [],
      stored,
    );
    expect(rules(second.findings)).toEqual(["bulk_pii_reveal"]);
  });

  it("failed-login bursts: per user and across the instance", () => {
    const fail = (user: string, i: number) =>
      entry({ action: "auth.failure", outcome: "failure", actor: user, target: { user } }, i * MS.second);
    expect(run([0, 1, 2].map((i) => fail("u1", i))).findings).toEqual([]);
    const perUser = run([0, 1, 2, 3].map((i) => fail("u1", i)));
    expect(perUser.findings.map((f) => f.subject)).toEqual(["user:u1"]);
    // Eight failures over eight users: no user burst, one instance-wide burst.
    const spray = run([0, 1, 2, 3, 4, 5, 6, 7].map((i) => fail(`u${i}`, i)));
    expect(spray.findings.map((f) => f.subject)).toEqual(["*"]);
    const unknown = run(
      [0, 1, 2, 3, 4, 5, 6].map((i) =>
        entry({ action: "auth.password", outcome: "failure", actor: "anonymous" }, i),
      ),
    );
    expect(unknown.findings).toEqual([]);
  });

  it("admin from a new network: baseline first, then only unseen prefixes of privileged users", () => {
    const signIn = (user: string, ip: string) =>
      entry({ action: "session.start", actor: user, target: { user, ip } });
    const admin = run(
      [
        signIn("adm", "203.0.113.7"),
        signIn("adm", "203.0.113.99"),
        signIn("adm", "198.51.100.4"),
        signIn("adm", "198.51.100.5"),
      ],
      ["adm"],
    );
    expect(admin.findings).toHaveLength(1);
    expect(admin.findings[0]).toMatchObject({
      rule: "admin_new_network",
      subject: "user:adm:198.51.100.0/24",
    });
    // Not an administrator: never.
    const analyst = run([signIn("ana", "203.0.113.7"), signIn("ana", "198.51.100.4")], ["adm"]);
    expect(analyst.findings).toEqual([]);
    expect(networkOf("2001:db8:1:2::7")).toBe("2001:db8:1::/48");
    expect(networkOf("::ffff:10.1.2.3")).toBe("10.1.2.0/24");
  });

  it("audit chain: a failed verification (periodic or by CLI) is critical; a valid one is nothing", () => {
    const ok = run([{ kind: "verification", at: "2026-11-28T12:00:00Z", valid: true, problem: null }]);
    expect(ok.findings).toEqual([]);
    const bad = run([
      {
        kind: "verification",
        at: "2026-11-28T12:00:00Z",
        valid: false,
        problem: { kind: "altered", seq: 7 },
      },
    ]);
    expect(bad.findings[0]).toMatchObject({ rule: "audit_chain_broken", severity: "critical" });
    expect(bad.findings[0]?.summary).toContain("altered at entry 7");
    const cli = run([
      entry({ action: "audit.verify", outcome: "failure", reason: "deleted", target: { seq: "3" } }),
    ]);
    expect(rules(cli.findings)).toEqual(["audit_chain_broken"]);
  });

  it("canary: any access to the planted order, any outcome; other orders are nothing", () => {
    const hit = run([entry({ action: "pii.reveal", outcome: "denied", target: { order: "CANARY-1" } })]);
    expect(hit.findings[0]).toMatchObject({ rule: "canary_read", severity: "critical" });
    expect(run([entry({ action: "pii.reveal", target: { order: "REAL-1" } })]).findings).toEqual([]);
  });

  it("secrets: read by an expected component is normal; by anything else it fires", () => {
    expect(
      run([entry({ action: "secret.read", actor: "amazon.lwa", target: { secret: "s" } })]).findings,
    ).toEqual([]);
    const odd = run([
      entry({ action: "secret.read", actor: "cli.debug", target: { secret: "lwa.client_secret" } }),
    ]);
    expect(odd.findings[0]).toMatchObject({
      rule: "secret_read_unexpected",
      subject: "cli.debug:lwa.client_secret",
    });
  });

  it("throttling: sustained counter growth fires, one bad sample does not; throttled calls in a window fire", () => {
    const sample = (n: number, at: string): DetectionInput => ({
      kind: "throttle",
      at,
      counters: [{ accountId: "acc1", stream: "orders", throttledCount: n }],
    });
    let states: RuleStates = {};
    const findings: Finding[] = [];
    for (const [n, i] of [
      [0, 0],
      [15, 1],
      [16, 2],
      [30, 3],
      [45, 4],
    ] as const) {
      const out = run([sample(n, `2026-11-28T12:0${i}:00Z`)], [], states);
      states = out.states;
      findings.push(...out.findings);
    }
    // 0→15 (streak 1), 15→16 (reset), 16→30 (1), 30→45 (2: fires once).
    expect(findings.map((f) => f.subject)).toEqual(["account:acc1:orders"]);
    const calls = (k: number) =>
      Array.from({ length: k }, (_, i) =>
        entry(
          {
            action: "spapi.call",
            outcome: "failure",
            reason: "SPAPI_THROTTLED",
            target: { account: "acc2" },
          },
          i,
        ),
      );
    expect(run(calls(2)).findings).toEqual([]);
    expect(rules(run(calls(3)).findings)).toEqual(["sustained_throttling"]);
  });

  it("findings carry no PII-shaped values (e-mail, street, IP address)", () => {
    const out = run(
      [
        entry({ action: "session.start", actor: "adm", target: { user: "adm", ip: "203.0.113.7" } }),
        entry({ action: "session.start", actor: "adm", target: { user: "adm", ip: "198.51.100.23" } }),
      ],
      ["adm"],
    );
    const text = JSON.stringify(out.findings);
    expect(text).not.toContain("198.51.100.23");
    expect(text).not.toMatch(/@/);
  });
});
