// Browser steps the identity end-to-end tests share: waiting with diagnostics, signing in, enrolling TOTP.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import * as OTPAuth from "otpauth";
import type { Locator, Page } from "playwright-core";
import { expect } from "vitest";
import { type BrowserSession, formatProblems, openBrowser, type Problem } from "./browser.js";
import { type RunningServer, repoRoot } from "./server.js";

const SHOTS = join(repoRoot, "test-results", "e2e");
export const UI_TIMEOUT_MS = 15_000;

export function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} is not available (an earlier step failed)`);
  return value;
}

export async function visible(session: BrowserSession, locator: Locator, what: string): Promise<Locator> {
  try {
    await locator.first().waitFor({ state: "visible", timeout: UI_TIMEOUT_MS });
  } catch (error) {
    const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
    const main = await session.page
      .getByRole("main")
      .textContent()
      .catch(() => "");
    throw new Error(
      `${what} did not appear: ${reason}\nURL: ${session.page.url()}\nMain: ${main}\nBrowser problems:\n${formatProblems(session.problems)}`,
    );
  }
  return locator;
}

export function heading(page: Page, name: string): Locator {
  return page.getByRole("main").getByRole("heading", { level: 1, name, exact: true });
}

export async function shot(page: Page, name: string): Promise<void> {
  await mkdir(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

export async function signIn(session: BrowserSession, email: string, password: string): Promise<void> {
  const { page } = session;
  await visible(session, heading(page, "Sign in"), "the sign-in page");
  await page.getByLabel("E-mail address").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

/**
 * Enrollment page → TOTP computed from the shown URI → recovery codes → continue. Returns the authenticator,
 * the recovery codes and when the confirming code was made (its time step is then spent).
 */
export async function enrollTotp(
  session: BrowserSession,
  shotPrefix: string,
): Promise<{ totp: OTPAuth.TOTP; codes: string[]; at: number }> {
  const { page } = session;
  await visible(session, heading(page, "Set up two-factor authentication"), "the enrollment page");
  const qr = page.getByRole("img", { name: "QR code for your authenticator app" });
  await visible(session, qr, "the QR code");
  expect(await qr.getAttribute("src")).toMatch(/^data:image\/svg\+xml;base64,/);
  // The image really decoded (a broken data: URL has naturalWidth 0).
  expect(
    await qr.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth),
  ).toBeGreaterThan(0);
  const uri = (await page.getByTestId("otpauth-uri").textContent()) ?? "";
  const totp = OTPAuth.URI.parse(uri);
  if (!(totp instanceof OTPAuth.TOTP)) throw new Error(`not a TOTP URI: ${uri.slice(0, 20)}…`);
  // The manual-entry secret is the same one as in the URI.
  const shown = ((await page.getByTestId("totp-secret").textContent()) ?? "").replace(/\s+/g, "");
  expect(shown).toBe(totp.secret.base32);
  await shot(page, `${shotPrefix}-enroll`);

  const at = Date.now();
  await page.getByLabel("6-digit code").fill(totp.generate({ timestamp: at }));
  await page.getByRole("button", { name: "Confirm and continue" }).click();

  await visible(session, heading(page, "Recovery codes"), "the recovery codes page");
  const codes = page.getByRole("list", { name: "Recovery codes" }).getByRole("listitem");
  expect(await codes.count()).toBe(10);
  const texts = await codes.allTextContents();
  expect(new Set(texts).size).toBe(10);
  const cont = page.getByRole("button", { name: "Continue" });
  expect(await cont.isDisabled()).toBe(true); // not before the codes are confirmed as saved
  await shot(page, `${shotPrefix}-recovery-codes`);
  await page.getByLabel("I have saved my recovery codes").check();
  await cont.click();
  return { totp, codes: texts.map((t) => t.trim()), at };
}

export async function navLabels(page: Page): Promise<string[]> {
  const nav = page.getByRole("navigation", { name: "Main" });
  return (await nav.getByRole("link").allTextContents()).map((text) => text.trim());
}

/** The expected refusals of a test (a wrong code on purpose) are not problems of the app. */
export function unexpected(problems: readonly Problem[], allowed: readonly RegExp[]): Problem[] {
  return problems.filter(
    (p) =>
      !(p.kind === "http" || p.kind === "console") ||
      !allowed.some((re) => re.test(`${p.text} ${p.url ?? ""}`)),
  );
}

export interface Person {
  email: string;
  name: string;
  password: string;
}

/** A new browser: the invitation link → name and password → TOTP enrollment → signed in. */
export async function joinByInvitation(
  srv: Pick<RunningServer, "url">,
  link: string,
  person: Person,
  shotPrefix: string,
  options: { onOpen?: (session: BrowserSession) => void } = {},
): Promise<BrowserSession> {
  const session = await openBrowser();
  options.onOpen?.(session);
  const { page } = session;
  await page.goto(`${srv.url}/enroll${new URL(link).search}`, { waitUntil: "load" });
  await visible(session, heading(page, "Accept invitation"), "the invitation page");
  await page.getByLabel("Your full name").fill(person.name);
  await page.getByLabel("Password", { exact: true }).fill(person.password);
  await page.getByLabel("Repeat the password").fill(person.password);
  await page.getByRole("button", { name: "Accept and continue" }).click();
  await enrollTotp(session, shotPrefix);
  await visible(session, heading(page, "Dashboard"), `${person.name}'s dashboard`);
  return session;
}
