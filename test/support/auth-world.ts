import { type TOTP, URI } from "otpauth";
import type { Role } from "../../src/access/roles.js";
import { createSellerAccount } from "../../src/accounts/accounts-repo.js";
import { SESSION_COOKIE } from "../../src/identity/authentication.js";
import { createOrganisation } from "../../src/identity/organisations-repo.js";
import { MS } from "../../src/platform/clock.js";
import { makeTestApp, type TestApp, type TestAppOptions } from "./app.js";
import { OPERATOR } from "./identity.js";
import type { StoreName } from "./stores.js";

export const PASSWORD = "Quiet-Lantern-2026!x";

export interface Person {
  id: string;
  email: string;
  /** The user's authenticator, from the otpauth URI shown at enrollment (null before enrollment). */
  totp: TOTP | null;
}

/** A browser's view: the session cookie and the CSRF token it was given. */
export interface Browser {
  cookie: string;
  csrf: string;
}

export interface CallOptions {
  method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE" | "HEAD" | "OPTIONS";
  url: string;
  as?: Browser | null;
  /** Override the CSRF header (undefined: the browser's own; null: none). */
  csrf?: string | null;
  bearer?: string;
  body?: unknown;
  ip?: string;
}

let ipCounter = 0;
/** A fresh client address per call, so the per-IP limits only bite where a test means them to. */
export function freshIp(): string {
  ipCounter += 1;
  return `10.${(ipCounter >> 16) & 255}.${(ipCounter >> 8) & 255}.${ipCounter & 255}`;
}

export function sessionCookieOf(res: { cookies: { name: string; value: string }[] }): string | null {
  return res.cookies.find((c) => c.name === SESSION_COOKIE)?.value ?? null;
}

/** Two organisations (A with accounts a1, a2; B with b1) on the real app, users made by the real services. */
export async function openAuthWorld(
  store: StoreName,
  options: {
    authRateLimit?: number;
    webRoot?: string;
    env?: Record<string, string>;
    amazon?: TestAppOptions["amazon"];
    jobs?: boolean;
  } = {},
) {
  const t: TestApp = await makeTestApp({
    store,
    ...(options.amazon ? { amazon: options.amazon } : {}),
    ...(options.env ? { env: options.env } : {}),
    ...(options.jobs ? { jobs: true } : {}),
    authRateLimit: options.authRateLimit ?? 100_000,
    ...(options.webRoot ? { webRoot: options.webRoot } : {}),
  });
  const now = t.clock.now();
  const orgA = (await createOrganisation(t.db, { name: "Agency A" }, now)).id;
  const orgB = (await createOrganisation(t.db, { name: "Agency B" }, now)).id;
  const account = async (name: string, organisationId: string) =>
    (await createSellerAccount(t.db, t.fields, { name, region: "eu", organisationId }, now)).id;
  const a1 = await account("Brand one", orgA);
  const a2 = await account("Brand two", orgA);
  const b1 = await account("Other seller", orgB);
  let counter = 0;

  async function call(o: CallOptions) {
    const headers: Record<string, string> = {};
    const csrf = o.csrf === undefined ? o.as?.csrf : o.csrf;
    if (csrf !== null && csrf !== undefined && o.as) headers["x-csrf-token"] = csrf;
    if (o.bearer !== undefined) headers.authorization = `Bearer ${o.bearer}`;
    return t.app.inject({
      method: o.method,
      url: o.url,
      headers,
      remoteAddress: o.ip ?? freshIp(),
      ...(o.as ? { cookies: { [SESSION_COOKIE]: o.as.cookie } } : {}),
      ...(o.body !== undefined ? { payload: o.body as object } : {}),
    });
  }

  /** A user of the organisation with a role on the account and a password; no second factor yet. */
  async function person(role: Role, organisationId: string, accountId: string | null): Promise<Person> {
    counter += 1;
    const email = `${role}.${counter}.${Math.random().toString(36).slice(2, 8)}@agency.example`;
    const user = await t.services.identity.createUser(OPERATOR, {
      organisationId,
      email,
      displayName: `Pat ${role} Example`,
    });
    if (accountId) await t.services.identity.grantRole(OPERATOR, { userId: user.id, accountId, role });
    await t.services.modules.passwords.set(user.id, PASSWORD, {
      owner: { name: user.displayName, email },
      actor: "operator:test",
      reason: "initial",
    });
    return { id: user.id, email, totp: null };
  }

  /** The password step only: a pending session. */
  async function signInPending(p: Person, ip?: string): Promise<Browser> {
    const res = await call({
      method: "POST",
      url: "/api/auth/sign-in",
      body: { email: p.email, password: PASSWORD },
      ...(ip ? { ip } : {}),
    });
    if (res.statusCode !== 200) throw new Error(`sign-in failed: ${res.statusCode} ${res.body}`);
    return { cookie: sessionCookieOf(res) ?? "", csrf: res.json().csrfToken };
  }

  /** The current code; the clock first moves to the next 30 s step so no code is ever a replay. */
  function nextCode(p: Person): string {
    if (!p.totp) throw new Error("not enrolled");
    t.clock.advance(30 * MS.second);
    return p.totp.generate({ timestamp: t.clock.now().getTime() });
  }

  /** Signs in fully: first time with TOTP enrollment (otpauth URI from the server), later with a code. */
  async function signIn(p: Person): Promise<Browser & { recoveryCodes?: string[] }> {
    const pending = await signInPending(p);
    if (!p.totp) {
      const start = await call({ method: "POST", url: "/api/auth/enroll/totp", as: pending, body: {} });
      if (start.statusCode !== 200) throw new Error(`enroll failed: ${start.statusCode} ${start.body}`);
      p.totp = URI.parse(start.json().otpauthUri) as TOTP;
      const confirm = await call({
        method: "POST",
        url: "/api/auth/enroll/totp/confirm",
        as: pending,
        body: { code: nextCode(p) },
      });
      if (confirm.statusCode !== 200)
        throw new Error(`confirm failed: ${confirm.statusCode} ${confirm.body}`);
      return {
        cookie: sessionCookieOf(confirm) ?? "",
        csrf: confirm.json().csrfToken,
        recoveryCodes: confirm.json().recoveryCodes,
      };
    }
    const res = await call({
      method: "POST",
      url: "/api/auth/mfa/totp",
      as: pending,
      body: { code: nextCode(p) },
    });
    if (res.statusCode !== 200) throw new Error(`totp failed: ${res.statusCode} ${res.body}`);
    return { cookie: sessionCookieOf(res) ?? "", csrf: res.json().csrfToken };
  }

  return { t, orgA, orgB, a1, a2, b1, call, person, signInPending, signIn, nextCode };
}

export type AuthWorld = Awaited<ReturnType<typeof openAuthWorld>>;
