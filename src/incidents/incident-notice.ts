import { MS } from "../platform/clock.js";
import type { Incident } from "./incident-types.js";

/** DPP: security incidents involving Amazon Information are reported to Amazon at this address. */
export const AMAZON_SECURITY_CONTACT = "security@amazon.com";

export interface NoticeDraft {
  to: string;
  subject: string;
  body: string;
}

export interface NoticeDrafts {
  amazon: NoticeDraft;
  /** To the affected seller account's owners (addressed by the operator; no recipient here). */
  sellers: NoticeDraft;
}

const RULE_TEXT: Record<Incident["rule"], string> = {
  bulk_pii_reveal: "an unusual number of buyer-data reveals by a single user",
  failed_login_burst: "a burst of failed sign-in attempts",
  admin_new_network: "an administrator sign-in from a network not seen before",
  audit_chain_broken: "a failed integrity check of the tamper-evident audit log",
  canary_read: "access to a planted canary order record",
  secret_read_unexpected: "a credential read outside its normal code path",
  sustained_throttling: "sustained throttling of Selling Partner API calls",
};

function hoursLeft(incident: Incident, now: Date): string {
  const ms = Date.parse(incident.deadlineAt) - now.getTime();
  return ms <= 0
    ? "the deadline has passed"
    : `${Math.floor(ms / MS.hour)} h ${Math.floor((ms % MS.hour) / MS.minute)} min left`;
}

/**
 * The notices an operator sends, drafted from the incident record alone: what was detected, when, the
 * state of the response and who to contact. The incident holds ids and counts, never PII, so neither does
 * the draft; the operator reviews and completes it before sending.
 */
export function draftNotices(incident: Incident, now: Date, instance: string): NoticeDrafts {
  const what = RULE_TEXT[incident.rule];
  const facts = [
    `Incident reference: ${incident.id}`,
    `Detected: ${incident.detectedAt} (UTC)`,
    `Severity: ${incident.severity}`,
    `Current status: ${incident.state.replaceAll("_", " ")}`,
    `Detection: ${what}`,
    `Point of contact: ${incident.pointOfContact}`,
  ];
  const amazon: NoticeDraft = {
    to: AMAZON_SECURITY_CONTACT,
    subject: `Security incident notification: ${incident.title} (${incident.id})`,
    body: [
      "To the Amazon Security team,",
      "",
      `In line with the Data Protection Policy we report a security incident detected by ${instance}, a Selling Partner API application.`,
      "",
      ...facts,
      `Notification deadline: ${incident.deadlineAt} (${hoursLeft(incident, now)})`,
      "",
      "Containment, eradication and recovery steps and our findings will follow as the investigation",
      "progresses. Please direct questions to the point of contact above.",
    ].join("\n"),
  };
  const sellers: NoticeDraft = {
    to: "(the owners of the affected seller accounts)",
    subject: `Security notice about your Seller Pilot account (${incident.id})`,
    body: [
      "Hello,",
      "",
      `We detected ${what} on ${incident.detectedAt} (UTC) and opened incident ${incident.id}.`,
      `It is being handled: current status ${incident.state.replaceAll("_", " ")}. Amazon is being notified`,
      "as the Data Protection Policy requires. We will tell you what was affected and what you need to do,",
      "if anything, as soon as the investigation establishes it.",
      "",
      `Questions: ${incident.pointOfContact}`,
    ].join("\n"),
  };
  return { amazon, sellers };
}
