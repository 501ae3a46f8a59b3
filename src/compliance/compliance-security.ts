import { promises as fs } from "node:fs";
import path from "node:path";
import type { Kysely } from "kysely";
import { listSellerAccounts } from "../accounts/accounts-repo.js";
import { keptBackups } from "../backup/backups-repo.js";
import { drillSigningKey, verifyDrillReport } from "../backup/drill-report.js";
import type { Config } from "../config/config.js";
import type { DataKeys } from "../crypto/data-keys.js";
import type { KekInfo } from "../crypto/keyring.js";
import type { MasterKey } from "../crypto/master-key.js";
import type { DB } from "../db/schema.js";
import { HSTS_MAX_AGE_SECONDS } from "../http/security-headers.js";
import { inspectCertificate, TLS_MIN_VERSION, TLS12_CIPHERS } from "../http/tls.js";
import { listOverdueReviews, REVIEW_INTERVAL_MS, reviewStatus } from "../identity/access-review.js";
import { API_TOKEN_POLICY } from "../identity/api-tokens.js";
import { LOCKOUT_POLICY } from "../identity/lockout.js";
import { listOrganisations } from "../identity/organisations-repo.js";
import { PASSWORD_POLICY } from "../identity/password-policy.js";
import { SESSION_POLICY } from "../identity/sessions.js";
import { MS } from "../platform/clock.js";
import { CLIENT_SECRET_NAME, clientSecretAge, ROTATION_LIMIT_DAYS } from "../secrets/client-secret-age.js";
import { INSTANCE_ACCOUNT, type SecretsStore } from "../secrets/secrets-store.js";
import { type Control, type ControlStatus, worst } from "./compliance-types.js";

const CERT_WARNING_MS = 30 * MS.day;
const KEK_AGE_WARNING_DAYS = 365;
const BACKUP_AGE_WARNING_DAYS = 7;
const TOKEN_EXPIRING_MS = 14 * MS.day;

export interface SecurityFactsDeps {
  config: Pick<Config, "tls" | "httpRedirectPort" | "database" | "masterKey" | "lwa" | "dataDir">;
  db: Kysely<DB>;
  /** Every key-encryption key version (the keyring's list over the vault's keystore). */
  keks: () => Promise<KekInfo[]>;
  dataKeys: Pick<DataKeys, "versions">;
  secrets: Pick<SecretsStore, "metadata">;
  master: Pick<MasterKey, "derive">;
}

const days = (fromIso: string, now: Date) =>
  Math.floor((now.getTime() - new Date(fromIso).getTime()) / MS.day);

export async function transportControl(deps: SecurityFactsDeps, now: Date): Promise<Control> {
  const { tls, httpRedirectPort } = deps.config;
  const source = tls.kind === "self-signed" ? "self-signed development certificate" : "certificate file";
  let status: ControlStatus = tls.kind === "self-signed" ? "warning" : "ok";
  let finding = tls.kind === "self-signed" ? "development certificate in use" : "certificate from file";
  let certificate: Control["evidence"] = { source, file: tls.certFile, readable: false };
  try {
    const [cert, key] = await Promise.all([
      fs.readFile(tls.certFile, "utf8"),
      fs.readFile(tls.keyFile, "utf8"),
    ]);
    const info = inspectCertificate(cert, key);
    const left = info.validTo.getTime() - now.getTime();
    certificate = {
      source,
      file: tls.certFile,
      readable: true,
      subject: info.subject,
      fingerprintSha256: info.fingerprint256,
      expiresAt: info.validTo.toISOString(),
      daysLeft: Math.floor(left / MS.day),
    };
    if (left <= 0) [status, finding] = ["failed", "certificate expired"];
    else if (left < CERT_WARNING_MS)
      [status, finding] = [worst(status, "warning"), "certificate expires within 30 days"];
  } catch {
    // A self-signed certificate is generated at first start; a configured file must exist.
    if (tls.kind === "files") [status, finding] = ["failed", "certificate or key file unreadable"];
    else finding = "no development certificate yet (generated at first start)";
  }
  return {
    id: "transport.tls",
    area: "transport",
    title: "Encryption in transit",
    requirement: "DPP: encrypt all Amazon Information in transit with TLS 1.2 or newer; no plain HTTP.",
    status,
    finding,
    evidence: {
      minVersion: TLS_MIN_VERSION,
      tls12Ciphers: TLS12_CIPHERS.split(":"),
      tls13: "all TLS 1.3 suites (AEAD only)",
      certificate,
      hsts: { maxAgeSeconds: HSTS_MAX_AGE_SECONDS, includeSubDomains: true },
      httpRedirectPort: httpRedirectPort ?? null,
      plainHttp: httpRedirectPort === null ? "not served" : "redirects to HTTPS only",
    },
  };
}

async function lastDrill(deps: SecurityFactsDeps): Promise<Control["evidence"][string]> {
  const dir = path.join(deps.config.dataDir, "backups", "drills");
  let names: string[];
  try {
    names = (await fs.readdir(dir)).filter((n) => n.startsWith("drill-") && n.endsWith(".json")).sort();
  } catch {
    return null;
  }
  const latest = names.at(-1);
  if (!latest) return null;
  const check = verifyDrillReport(
    await fs.readFile(path.join(dir, latest), "utf8"),
    drillSigningKey(deps.master).publicKey,
  );
  if (!check.valid) return { file: latest, signatureValid: false, reason: check.reason, outcome: "unknown" };
  const r = check.report;
  return { file: latest, signatureValid: true, id: r.id, finishedAt: r.finishedAt, outcome: r.outcome };
}

export async function encryptionControl(deps: SecurityFactsDeps, now: Date): Promise<Control> {
  const { config } = deps;
  const statuses: ControlStatus[] = [];
  const notes: string[] = [];
  const flag = (s: ControlStatus, note: string) => {
    statuses.push(s);
    notes.push(note);
  };
  const keks = await deps.keks();
  let sellerDataKeys = 0;
  for (const account of await listSellerAccounts(deps.db)) {
    const versions = await deps.dataKeys.versions(account.id);
    if (versions.some((v) => v.status === "current")) sellerDataKeys += 1;
  }
  const instanceKey = (await deps.dataKeys.versions(INSTANCE_ACCOUNT)).some((v) => v.status === "current");
  const current = keks.find((k) => k.status === "current");
  // The first KEK is created with the first data key; a fresh instance has neither, which is not a fault.
  if (!current && keks.length > 0) flag("failed", "no current key-encryption key");
  else if (current && days(current.createdAt, now) > KEK_AGE_WARNING_DAYS)
    flag("warning", "current KEK older than a year: run keys rotate");

  const kept = await keptBackups(deps.db);
  const newest = kept.reduce<(typeof kept)[number] | null>(
    (a, b) => (a && a.createdAt > b.createdAt ? a : b),
    null,
  );
  if (!newest) flag("warning", "no backup recorded");
  else if (days(newest.createdAt, now) > BACKUP_AGE_WARNING_DAYS)
    flag("warning", `last backup older than ${BACKUP_AGE_WARNING_DAYS} days`);
  const drill = await lastDrill(deps);
  const drillOutcome =
    drill && typeof drill === "object" && !Array.isArray(drill)
      ? (drill as { outcome?: unknown }).outcome
      : null;
  if (drill === null) flag("warning", "no restore drill on record");
  else if (drillOutcome !== "passed") flag("failed", "last restore drill did not pass");

  let clientSecret: Control["evidence"][string] = "not applicable (demo mode, no LWA credentials)";
  if (config.lwa) {
    const age = clientSecretAge(await deps.secrets.metadata(CLIENT_SECRET_NAME), now);
    clientSecret = {
      status: age.status,
      ageDays: age.ageDays,
      rotateBy: age.rotateBy,
      limitDays: ROTATION_LIMIT_DAYS,
    };
    if (age.status === "overdue") flag("failed", "LWA client secret past 180 days");
    else if (age.status !== "ok") flag("warning", `LWA client secret ${age.status}`);
  }
  const store: Control["evidence"] =
    config.database.kind === "sqlite"
      ? {
          kind: "sqlite",
          description: "embedded SQLCipher database (AES-256), vault in a separate SQLCipher file",
          fieldSealing: "AES-256-GCM per seller account for buyer PII and credentials",
        }
      : {
          kind: "postgres",
          description: "PostgreSQL",
          fieldSealing: "AES-256-GCM per seller account covers buyer PII and credentials",
          diskEncryption: "the operator's responsibility (encrypted volume or managed-service encryption)",
        };
  const status = worst(...statuses);
  return {
    id: "encryption.at_rest",
    area: "encryption",
    title: "Encryption at rest and key management",
    requirement:
      "DPP: encrypt Amazon Information at rest with AES-128 or stronger; protect keys; encrypt backups; rotate LWA client secrets every 180 days.",
    status,
    finding: notes.length > 0 ? notes.join("; ") : "store, keys, backups and client secret in order",
    evidence: {
      store,
      keyProvider: config.masterKey.kms
        ? { kind: "aws-kms", keyId: config.masterKey.kms.keyId, region: config.masterKey.kms.region }
        : { kind: "local-file", file: config.masterKey.file },
      keyEncryptionKeys: keks.map((k) => ({
        version: k.version,
        provider: k.provider,
        status: k.status,
        createdAt: k.createdAt,
        ageDays: days(k.createdAt, now),
        retiredAt: k.retiredAt,
      })),
      sellerDataKeys,
      instanceDataKey: instanceKey,
      backups: {
        encryption: "AES-256-GCM per archive, data key wrapped by a KEK version",
        kept: kept.length,
        lastBackupAt: newest?.createdAt ?? null,
        lastDrill: drill,
      },
      clientSecret,
    },
  };
}

export async function accessControl(deps: SecurityFactsDeps, now: Date): Promise<Control> {
  const { db } = deps;
  const nowIso = now.toISOString();
  // Active users who can reach data (a membership or instance admin) but have no completed second factor.
  const withoutMfa = await db
    .selectFrom("users as u")
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .where("u.status", "=", "active")
    .where((eb) =>
      eb.or([
        eb("u.is_instance_admin", "=", 1),
        eb.exists(eb.selectFrom("memberships as m").select("m.user_id").whereRef("m.user_id", "=", "u.id")),
      ]),
    )
    .where((eb) =>
      eb.not(
        eb.or([
          eb.exists(
            eb
              .selectFrom("mfa_totp as t")
              .select("t.user_id")
              .whereRef("t.user_id", "=", "u.id")
              .where("t.confirmed", "=", 1),
          ),
          eb.exists(
            eb.selectFrom("passkey_credentials as p").select("p.user_id").whereRef("p.user_id", "=", "u.id"),
          ),
        ]),
      ),
    )
    .executeTakeFirstOrThrow();
  const activeUsers = await db
    .selectFrom("users")
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .where("status", "=", "active")
    .executeTakeFirstOrThrow();
  const liveTokens = await db
    .selectFrom("api_tokens")
    .select("expires_at")
    .where("revoked_at", "is", null)
    .where("expires_at", ">", nowIso)
    .execute();
  const soon = new Date(now.getTime() + TOKEN_EXPIRING_MS).toISOString();
  const reviews = [];
  for (const org of await listOrganisations(db)) {
    const s = await reviewStatus(db, org.id, now);
    reviews.push({
      organisationId: s.organisationId,
      lastCompletedAt: s.lastCompletedAt,
      dueAt: s.dueAt,
      overdue: s.overdue,
    });
  }
  const overdue = (await listOverdueReviews(db, now)).length;
  const missing = Number(withoutMfa.n);
  const status = worst(missing > 0 ? "failed" : "ok", overdue > 0 ? "warning" : "ok");
  const notes = [
    ...(missing > 0 ? [`${missing} active user(s) with access lack a second factor`] : []),
    ...(overdue > 0 ? [`${overdue} organisation(s) overdue for the quarterly access review`] : []),
  ];
  return {
    id: "access.control",
    area: "access",
    title: "Access control and authentication",
    requirement:
      "DPP: unique accounts, multi-factor authentication, strong passwords, lockout, session timeouts, least privilege and quarterly access reviews.",
    status,
    finding:
      notes.length > 0
        ? notes.join("; ")
        : "every active user with access has a second factor; reviews current",
    evidence: {
      mfaMandatory: true,
      activeUsers: Number(activeUsers.n),
      activeUsersWithoutSecondFactor: missing,
      passwordPolicy: {
        minLength: PASSWORD_POLICY.minLength,
        maxLength: PASSWORD_POLICY.maxLength,
        characterClasses: "upper, lower, digit, special",
        historySize: PASSWORD_POLICY.historySize,
        minAgeDays: PASSWORD_POLICY.minAgeMs / MS.day,
        maxAgeDays: PASSWORD_POLICY.maxAgeMs / MS.day,
      },
      lockout: {
        threshold: LOCKOUT_POLICY.threshold,
        coolDownMinutes: LOCKOUT_POLICY.coolDownMs / MS.minute,
      },
      sessions: {
        idleTimeoutMinutes: SESSION_POLICY.idleMs / MS.minute,
        absoluteTimeoutHours: SESSION_POLICY.absoluteMs / MS.hour,
      },
      apiTokens: {
        active: liveTokens.length,
        expiringWithin14Days: liveTokens.filter((t) => t.expires_at <= soon).length,
        maxLifetimeDays: API_TOKEN_POLICY.maxTtlMs / MS.day,
      },
      accessReviews: { intervalDays: REVIEW_INTERVAL_MS / MS.day, overdue, organisations: reviews },
    },
  };
}
