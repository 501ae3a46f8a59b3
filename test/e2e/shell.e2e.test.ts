// The web shell, served by the real product under its real CSP, in a real browser.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BrowserSession, formatProblems, openBrowser } from "./browser.js";
import { type RunningServer, repoRoot, startServer } from "./server.js";

const SCREENSHOT = join(repoRoot, "test-results", "e2e", "shell.png");
const UI_TIMEOUT_MS = 15_000;

interface Meta {
  product: string;
  version: string;
  mode: string;
  securityContact: string;
}

let server: RunningServer | undefined;
let session: BrowserSession | undefined;

function current(): { server: RunningServer; session: BrowserSession; page: Page } {
  if (!server || !session) throw new Error("the server or the browser did not start");
  return { server, session, page: session.page };
}

/** Waits for a locator to be visible; on timeout, fails with what the page reported (CSP, errors). */
async function visible(locator: Locator, what: string): Promise<Locator> {
  try {
    await locator.first().waitFor({ state: "visible", timeout: UI_TIMEOUT_MS });
  } catch (error) {
    const { session } = current();
    const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new Error(
      `${what} did not appear: ${reason}\nBrowser problems:\n${formatProblems(session.problems)}`,
    );
  }
  return locator;
}

async function getJson(path: string): Promise<{ status: number; body: unknown }> {
  const { server, session } = current();
  const response = await session.context.request.get(server.url + path, {
    headers: { accept: "application/json" },
  });
  return { status: response.status(), body: await response.json() };
}

describe("web shell", () => {
  beforeAll(async () => {
    server = await startServer();
    session = await openBrowser();
  }, 90_000);

  afterAll(async () => {
    await session?.close();
    await server?.stop();
  });

  it("renders the Status page from /readyz and /api/meta under the strict CSP", async () => {
    const { server, page } = current();

    const readyz = await getJson("/readyz");
    expect(readyz.status, JSON.stringify(readyz.body)).toBe(200);
    expect(readyz.body).toMatchObject({ status: "ready" });
    const metaResponse = await getJson("/api/meta");
    expect(metaResponse.status).toBe(200);
    const meta = metaResponse.body as Meta;
    expect(meta.version).toMatch(/^\d+\.\d+\.\d+/);

    const response = await page.goto(`${server.url}/`, { waitUntil: "load" });
    expect(response?.status()).toBe(200);
    // The page must really be under the CSP, otherwise "no violations" below would prove nothing.
    const csp = (await response?.allHeaders())?.["content-security-policy"] ?? "";
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain("unsafe-inline");

    // Header and navigation: rendered by the bundle, so they prove the script and styles loaded.
    const banner = await visible(page.getByRole("banner"), "the header");
    expect(await banner.textContent()).toContain("Seller Pilot");
    const nav = await visible(page.getByRole("navigation", { name: "Main" }), "the main navigation");
    const statusLink = nav.getByRole("link", { name: "Status", exact: true });
    expect(await statusLink.getAttribute("aria-current")).toBe("page");
    expect(await statusLink.getAttribute("href")).toBe("/");
    await visible(
      page.getByRole("main").getByRole("heading", { level: 1, name: "Status" }),
      "the Status heading",
    );
    expect(await page.title()).toBe("Status · Seller Pilot");

    // The stylesheet applied (extracted .css file allowed by style-src 'self'): the nav sits left of main.
    const navBox = await nav.boundingBox();
    const mainBox = await page.getByRole("main").boundingBox();
    expect(navBox && mainBox && navBox.x + navBox.width <= mainBox.x).toBe(true);

    // Readiness from /readyz.
    const readiness = page.getByRole("region", { name: "Readiness" });
    await visible(readiness.getByText("Ready", { exact: true }), "the Ready badge");
    const checks = readiness.getByRole("table");
    for (const name of ["Database", "Migrations"]) {
      const row = checks.getByRole("row", { name: new RegExp(`^${name}\\b`) });
      await visible(row, `the ${name} check`);
      expect(await row.getByRole("cell").first().textContent()).toBe("OK");
    }
    expect(await checks.textContent()).toMatch(/Store: (SQLite|PostgreSQL)/);
    expect(await checks.textContent()).toMatch(/\d+ applied, none pending/);

    // Product, version, mode and security contact from /api/meta.
    const instance = page.getByRole("region", { name: "Instance" });
    await visible(instance.getByText(meta.version, { exact: true }), `the version ${meta.version}`);
    expect(await instance.textContent()).toContain(meta.product);
    expect(await instance.textContent()).toContain(meta.mode === "demo" ? "Demo" : "Connected");
    const contact = instance.getByRole("link", { name: meta.securityContact.replace(/^mailto:/, "") });
    expect(await contact.getAttribute("href")).toBe(meta.securityContact);

    await mkdir(join(repoRoot, "test-results", "e2e"), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });

  it("shows a not-found view for unknown client paths and navigates with the nav", async () => {
    const { server, page } = current();

    // A deep link: the server falls back to index.html and the client router shows the not-found view.
    const response = await page.goto(`${server.url}/no-such-page`, { waitUntil: "load" });
    expect(response?.status()).toBe(200);
    const main = page.getByRole("main");
    await visible(main.getByRole("heading", { level: 1, name: "Page not found" }), "the not-found heading");
    expect(await main.textContent()).toContain("/no-such-page");
    expect(await page.title()).toBe("Page not found · Seller Pilot");
    const nav = page.getByRole("navigation", { name: "Main" });
    const statusLink = nav.getByRole("link", { name: "Status", exact: true });
    expect(await statusLink.getAttribute("aria-current")).toBeNull();

    // Client-side navigation: a marker on window survives only if the page is not reloaded.
    await page.evaluate("window.__e2eMarker = 'same-document'");
    await statusLink.click();
    await visible(
      main.getByRole("heading", { level: 1, name: "Status" }),
      "the Status heading after navigation",
    );
    expect(new URL(page.url()).pathname).toBe("/");
    expect(await statusLink.getAttribute("aria-current")).toBe("page");
    expect(await page.evaluate("window.__e2eMarker")).toBe("same-document");
    await visible(
      page.getByRole("region", { name: "Readiness" }).getByText("Ready", { exact: true }),
      "Ready",
    );

    // Back button: the router follows popstate, still without reloading.
    await page.goBack();
    await visible(
      main.getByRole("heading", { level: 1, name: "Page not found" }),
      "the not-found view after Back",
    );
    expect(new URL(page.url()).pathname).toBe("/no-such-page");
    expect(await page.evaluate("window.__e2eMarker")).toBe("same-document");
  });

  it("recorded no console errors, page errors, failed requests or CSP violations", () => {
    const { session } = current();
    expect(session.problems, formatProblems(session.problems)).toEqual([]);
  });
});
