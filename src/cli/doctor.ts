import { promises as fs } from "node:fs";
import type { Config } from "../config/config.js";
import { isDemoMode } from "../config/config.js";
import { loadMasterKey, type MasterKey } from "../crypto/master-key.js";
import { type Database, openPostgres, openSqlite } from "../db/database.js";
import { migrationStatus } from "../db/migrate.js";
import { inspectCertificate } from "../http/tls.js";
import type { Clock } from "../platform/clock.js";
import { MS } from "../platform/clock.js";
import { isAppError } from "../platform/errors.js";
import { CLIENT_SECRET_NAME, clientSecretAge } from "../secrets/client-secret-age.js";
import { readSecretMetadata } from "../secrets/secrets-store.js";
import { openVault, VAULT_MIGRATIONS, vaultFile } from "../secrets/vault.js";

export type CheckStatus = "ok" | "warn" | "fail";

export interface DoctorCheck {
  name: string;
  status: CheckStatus;
  detail: string;
  code?: string;
}

const EXPIRY_WARNING_MS = 30 * MS.day;

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}

function failure(name: string, err: unknown): DoctorCheck {
  return isAppError(err)
    ? { name, status: "fail", detail: err.message, code: err.code }
    : { name, status: "fail", detail: err instanceof Error ? err.message : "unknown failure" };
}

export function maskDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "****";
    return parsed.toString();
  } catch {
    return "(unparseable, hidden)";
  }
}

/** What `doctor` shows of the configuration: paths and switches, never a secret. */
export function configSummary(config: Config): Record<string, unknown> {
  return {
    env: config.env,
    dataDir: config.dataDir,
    store: config.database.kind,
    database: config.database.kind === "sqlite" ? config.database.file : maskDatabaseUrl(config.database.url),
    listen: `${config.host}:${config.port}`,
    httpRedirectPort: config.httpRedirectPort,
    publicUrl: config.publicUrl,
    tls:
      config.tls.kind === "files"
        ? { certFile: config.tls.certFile, keyFile: config.tls.keyFile }
        : "self-signed (development)",
    masterKeyFile: config.masterKey.file,
    mode: isDemoMode(config) ? "demo" : "connected",
    lwa: config.lwa
      ? {
          clientId: `${config.lwa.clientId.slice(0, 16)}…`,
          clientSecret: "set (hidden)",
          appId: config.lwa.appId,
        }
      : null,
    spapiEndpoint: config.spapi.endpoint,
    lwaTokenUrl: config.spapi.lwaTokenUrl,
    securityContact: config.security.contact,
  };
}

async function checkDataDir(config: Config): Promise<DoctorCheck> {
  const name = "data directory";
  try {
    const stat = await fs.stat(config.dataDir);
    if (!stat.isDirectory()) return { name, status: "fail", detail: `${config.dataDir} is not a directory` };
    if ((stat.mode & 0o022) !== 0) {
      return {
        name,
        status: "fail",
        detail: `${config.dataDir} is writable by group or others; run: chmod 700 ${config.dataDir}`,
      };
    }
    return { name, status: "ok", detail: config.dataDir };
  } catch {
    return {
      name,
      status: "warn",
      detail: `${config.dataDir} does not exist yet; it is created at first start`,
    };
  }
}

async function checkMasterKey(config: Config): Promise<{ check: DoctorCheck; key: MasterKey | null }> {
  const name = "master key";
  if (!(await exists(config.masterKey.file))) {
    if (config.masterKey.generateIfMissing) {
      return {
        check: {
          name,
          status: "warn",
          detail: `${config.masterKey.file} does not exist yet; a development key is generated at first start`,
        },
        key: null,
      };
    }
  }
  try {
    // generateIfMissing is safe here: the file exists, so nothing is generated.
    const loaded = await loadMasterKey({ ...config.masterKey, generateIfMissing: false });
    const origin = config.masterKey.generateIfMissing ? "generated development key" : "key file";
    return {
      check: {
        name,
        status: "ok",
        detail: `${origin} ${loaded.file} (mode 600, fingerprint ${loaded.key.fingerprint})`,
      },
      key: loaded.key,
    };
  } catch (err) {
    return { check: failure(name, err), key: null };
  }
}

async function checkCertificate(config: Config, clock: Clock): Promise<DoctorCheck> {
  const name = "TLS certificate";
  const { certFile, keyFile } = config.tls;
  if (config.tls.kind === "self-signed" && !(await exists(certFile))) {
    return {
      name,
      status: "warn",
      detail: "no development certificate yet; a self-signed one is generated at first start",
    };
  }
  try {
    const [cert, key] = await Promise.all([fs.readFile(certFile, "utf8"), fs.readFile(keyFile, "utf8")]);
    const info = inspectCertificate(cert, key);
    const left = info.validTo.getTime() - clock.now().getTime();
    const kind = config.tls.kind === "self-signed" ? "self-signed development certificate" : "certificate";
    const detail = `${kind} ${certFile}, expires ${info.validTo.toISOString()} (${Math.floor(left / MS.day)} days)`;
    if (left <= 0)
      return { name, status: "fail", detail: `${kind} ${certFile} expired on ${info.validTo.toISOString()}` };
    if (left < EXPIRY_WARNING_MS) return { name, status: "warn", detail };
    return { name, status: "ok", detail };
  } catch (err) {
    if (isAppError(err)) return failure(name, err);
    return {
      name,
      status: "fail",
      detail: `cannot read ${certFile} or ${keyFile}`,
      code: "TLS_CERT_INVALID",
    };
  }
}

async function checkStore(config: Config, key: MasterKey | null): Promise<DoctorCheck[]> {
  if (config.database.kind === "sqlite" && !(await exists(config.database.file))) {
    return [
      {
        name: "database",
        status: "warn",
        detail: `${config.database.file} does not exist yet; it is created at first start`,
      },
    ];
  }
  try {
    let database: Database;
    if (config.database.kind === "postgres") {
      database = await openPostgres(config.database.url);
    } else if (key !== null) {
      database = await openSqlite(config.database.file, key.derive("database"));
    } else {
      return [
        {
          name: "database",
          status: "fail",
          detail: "cannot open the encrypted database without the master key",
        },
      ];
    }
    try {
      const status = await migrationStatus(database.db);
      const store = database.kind === "sqlite" ? "encrypted SQLite (SQLCipher AES-256)" : "PostgreSQL";
      return [
        { name: "database", status: "ok", detail: `${store} reachable` },
        status.pending.length > 0
          ? {
              name: "migrations",
              status: "fail",
              detail: `${status.pending.length} pending: ${status.pending.join(", ")}; run: seller-pilot migrate`,
            }
          : { name: "migrations", status: "ok", detail: `${status.applied.length} applied, none pending` },
      ];
    } finally {
      await database.close();
    }
  } catch (err) {
    return [failure("database", err)];
  }
}

async function checkVault(config: Config, key: MasterKey | null, clock: Clock): Promise<DoctorCheck[]> {
  if (config.database.kind === "sqlite" && !(await exists(vaultFile(config.dataDir)))) {
    return [
      {
        name: "vault",
        status: "warn",
        detail: `${vaultFile(config.dataDir)} does not exist yet; it is created at first start`,
      },
    ];
  }
  if (key === null)
    return [{ name: "vault", status: "fail", detail: "cannot open the vault without the master key" }];
  try {
    const vault = await openVault(config, key);
    try {
      const status = await migrationStatus(vault.db, VAULT_MIGRATIONS);
      const checks: DoctorCheck[] = [
        status.pending.length > 0
          ? {
              name: "vault",
              status: "fail",
              detail: `${status.pending.length} vault migration(s) pending; run: seller-pilot migrate`,
            }
          : {
              name: "vault",
              status: "ok",
              detail:
                config.database.kind === "sqlite"
                  ? `encrypted ${vaultFile(config.dataDir)}`
                  : "vault_* tables in PostgreSQL",
            },
      ];
      if (config.lwa && status.pending.length === 0) {
        const age = clientSecretAge(await readSecretMetadata(vault.db, CLIENT_SECRET_NAME), clock.now());
        const detail =
          age.ageDays === null
            ? "not in the vault yet; it is stored from SELLER_PILOT_LWA_CLIENT_SECRET at start"
            : `${age.ageDays} days old; Amazon requires rotation by ${age.rotateBy} (every 180 days)`;
        checks.push({
          name: "LWA client secret",
          status: age.status === "overdue" ? "fail" : age.status === "ok" ? "ok" : "warn",
          detail,
        });
      }
      return checks;
    } finally {
      await vault.close();
    }
  } catch (err) {
    return [failure("vault", err)];
  }
}

function checkSecurityTxt(config: Config, clock: Clock): DoctorCheck {
  const name = "security.txt";
  if (config.security.txtExpires === null) {
    return {
      name,
      status: "ok",
      detail: `contact ${config.security.contact}; expiry rolls 180 days ahead (development)`,
    };
  }
  const left = new Date(config.security.txtExpires).getTime() - clock.now().getTime();
  if (left <= 0)
    return {
      name,
      status: "fail",
      detail: `expired on ${config.security.txtExpires}; update SELLER_PILOT_SECURITY_TXT_EXPIRES`,
    };
  const detail = `contact ${config.security.contact}; expires ${config.security.txtExpires}`;
  return { name, status: left < EXPIRY_WARNING_MS ? "warn" : "ok", detail };
}

export async function runDoctor(config: Config, clock: Clock): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [
    { name: "configuration", status: "ok", detail: `${config.env}, ${config.database.kind} store` },
  ];
  checks.push(await checkDataDir(config));
  const master = await checkMasterKey(config);
  checks.push(master.check);
  checks.push(await checkCertificate(config, clock));
  checks.push(...(await checkStore(config, master.key)));
  checks.push(...(await checkVault(config, master.key, clock)));
  checks.push(checkSecurityTxt(config, clock));
  checks.push({
    name: "mode",
    status: "ok",
    detail: isDemoMode(config) ? "demo (no LWA credentials configured)" : "connected (LWA credentials set)",
  });
  return checks;
}
