import { createHmac } from "node:crypto";
import nodemailer from "nodemailer";
import { type Clock, MS } from "../platform/clock.js";
import type { Incident } from "./incident-types.js";

export interface IncidentAlert {
  kind: "opened" | "escalated";
  incident: Incident;
}

/** One way of telling the people on call; send() throws when the alert did not get through. */
export interface AlertChannel {
  name: string;
  send(alert: IncidentAlert): Promise<void>;
  close?(): void;
}

/**
 * What an alert says: the incident's generated fields only (ids, counts, times). No PII, no secret, no
 * evidence note (free text) and no contact details travel to a mailbox or webhook receiver.
 */
export function alertContent(
  alert: IncidentAlert,
  now: Date,
): { subject: string; text: string; json: object } {
  const i = alert.incident;
  const leftMs = Date.parse(i.deadlineAt) - now.getTime();
  const left =
    leftMs <= 0
      ? "overdue"
      : `${Math.floor(leftMs / MS.hour)} h ${Math.floor((leftMs % MS.hour) / MS.minute)} min`;
  const prefix = alert.kind === "escalated" ? "ESCALATION: notice to Amazon due" : "Incident opened";
  const subject = `[Seller Pilot] ${prefix}: ${i.title} (${i.severity}) ${i.id}`;
  const text = [
    alert.kind === "escalated"
      ? `Nobody has recorded the notice to Amazon for incident ${i.id}; the 24-hour deadline is near.`
      : `A detection rule opened incident ${i.id}.`,
    "",
    `Rule: ${i.rule}`,
    `Severity: ${i.severity}`,
    `State: ${i.state}`,
    `Summary: ${i.summary}`,
    `Detected: ${i.detectedAt}`,
    `Notice deadline: ${i.deadlineAt} (${left})`,
    "",
    `Details: seller-pilot incidents show ${i.id}`,
  ].join("\n");
  const json = {
    kind: alert.kind,
    incident: {
      id: i.id,
      rule: i.rule,
      severity: i.severity,
      state: i.state,
      title: i.title,
      summary: i.summary,
      accountId: i.accountId,
      detectedAt: i.detectedAt,
      deadlineAt: i.deadlineAt,
      notifiedAt: i.notifiedAt,
    },
    sentAt: now.toISOString(),
  };
  return { subject, text, json };
}

export interface EmailAlertConfig {
  /** smtp://[user@]host[:port] (STARTTLS when offered) or smtps://[user@]host[:port]. */
  smtpUrl: string;
  password: string | null;
  from: string;
  to: readonly string[];
}

export function emailChannel(config: EmailAlertConfig, clock: Clock): AlertChannel {
  const url = new URL(config.smtpUrl);
  const secure = url.protocol === "smtps:";
  const user = decodeURIComponent(url.username);
  const transport = nodemailer.createTransport({
    host: url.hostname,
    port: url.port ? Number(url.port) : secure ? 465 : 587,
    secure,
    ...(user ? { auth: { user, pass: config.password ?? "" } } : {}),
    tls: { minVersion: "TLSv1.2" },
    connectionTimeout: 10_000,
    socketTimeout: 20_000,
  });
  return {
    name: "email",
    async send(alert) {
      const { subject, text } = alertContent(alert, clock.now());
      await transport.sendMail({ from: config.from, to: [...config.to], subject, text });
    },
    close: () => transport.close(),
  };
}

export interface WebhookAlertConfig {
  url: string;
  secret: string;
}

export const WEBHOOK_SIGNATURE_HEADER = "x-seller-pilot-signature";

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`: the receiver checks both and refuses stale times. */
export function webhookSignature(secret: string, timestamp: number, body: string): string {
  const mac = createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex");
  return `t=${timestamp},v1=${mac}`;
}

export function webhookChannel(config: WebhookAlertConfig, clock: Clock): AlertChannel {
  return {
    name: "webhook",
    async send(alert) {
      const now = clock.now();
      const body = JSON.stringify(alertContent(alert, now).json);
      const timestamp = Math.floor(now.getTime() / 1000);
      const res = await fetch(config.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          [WEBHOOK_SIGNATURE_HEADER]: webhookSignature(config.secret, timestamp, body),
        },
        body,
        redirect: "error",
        signal: AbortSignal.timeout(10_000),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (!res.ok) throw new Error(`webhook answered ${res.status}`);
    },
  };
}
