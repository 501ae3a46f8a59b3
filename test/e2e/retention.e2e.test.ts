// The data and retention page in a real browser against the real product in demo mode: the policy table
// (the same one the purge runs on) with the account's counts, the upcoming buyer-data purges drawn as a
// chart, a legal hold placed on an order (which leaves the purge calendar) and released again, and an
// owner's request to delete all data behind a confirmation step. No CSP violation on the way.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/config.js";
import { systemClock } from "../../src/platform/clock.js";
import { createLogger } from "../../src/platform/logger.js";
import { RETENTION_POLICY } from "../../src/retention/retention-policy.js";
import { openRuntime } from "../../src/runtime.js";
import { upsertOrders } from "../../src/sync/orders-repo.js";
import { order, pii } from "../support/orders.js";
import { type BrowserSession, formatProblems, openBrowser } from "./browser.js";
import { enrollTotp, heading, need, shot, signIn, visible } from "./identity-flow.js";
import { type RunningServer, repoRoot, startServer } from "./server.js";

const OWNER = { email: "nora.lindqvist@example.com", password: "Tq7!mZp3#Rw8kLc5" };
const VIEWER = { email: "arvid.sand@example.com", name: "Arvid Sand", password: "Hp4@zNc8!Wq2rTm6" };
const DAY = 86_400_000;
const HELD_ORDER = "903-0000002-0000001";

let server: RunningServer | undefined;
let browser: BrowserSession | undefined;
let viewer: BrowserSession | undefined;
let brand1Id = "";

/** Three delivered FBM orders with buyer data: purged 10, 20 and 20 days from now. */
async function seedBuyerData(dataDir: string, accountId: string): Promise<void> {
  const config = loadConfig({ SELLER_PILOT_DATA_DIR: dataDir, SELLER_PILOT_LOG_LEVEL: "warn" }, repoRoot);
  const rt = await openRuntime({ config, clock: systemClock, logger: createLogger({ level: "silent" }) });
  try {
    const now = Date.now();
    const iso = (ms: number) => new Date(ms).toISOString();
    const delivered = (id: string, daysAgo: number) =>
      order({
        amazonOrderId: id,
        source: "api",
        status: "SHIPPED",
        purchaseDate: iso(now - (daysAgo + 3) * DAY),
        lastUpdatedAt: iso(now - daysAgo * DAY),
        deliveredAt: iso(now - daysAgo * DAY),
        pii: pii(),
      });
    await upsertOrders(
      rt.database.db,
      rt.fields,
      accountId,
      [delivered("903-0000001-0000001", 20), delivered(HELD_ORDER, 10), delivered("903-0000003-0000001", 10)],
      { now: new Date(now), shippingEnabled: true },
    );
  } finally {
    await rt.close();
  }
}

describe("data and retention in the web app", () => {
  beforeAll(async () => {
    server = await startServer();
    const created = await server.cli(
      ["admin", "create", "--email", OWNER.email, "--password-stdin", "--json"],
      { input: `${OWNER.password}\n` },
    );
    if (created.code !== 0) throw new Error(`admin create failed: ${created.stderr}\n${created.stdout}`);
    const listed = await server.cli(["account", "list", "--json"]);
    if (listed.code !== 0) throw new Error(`account list failed: ${listed.stderr}`);
    const accounts = (JSON.parse(listed.stdout) as { accounts: Array<{ id: string; name: string }> })
      .accounts;
    const brand1 = accounts.find((a) => a.name === "Demo brand 1");
    if (!brand1) throw new Error("no demo account");
    brand1Id = brand1.id;
    browser = await openBrowser();
    const { page } = browser;
    await page.goto(`${server.url}/retention?account=${encodeURIComponent(brand1.id)}`, {
      waitUntil: "load",
    });
    await signIn(browser, OWNER.email, OWNER.password);
    await enrollTotp(browser, "retention-owner");
    await visible(
      browser,
      heading(page, "Data and retention"),
      "the retention page asked for before sign-in",
    );
    // Demo mode backfills both brands on start-up in long write transactions; the seed waits them out.
    await page.waitForFunction(
      async (ids) => {
        for (const id of ids) {
          const res = await fetch(`/api/accounts/${id}/sync`, { credentials: "same-origin" });
          const body = (await res.json()) as { running?: boolean; lastSuccessAt?: string | null };
          if (!res.ok || body.running !== false || !body.lastSuccessAt) return false;
        }
        return true;
      },
      accounts.map((a) => a.id),
      { polling: 500, timeout: 90_000 },
    );
    await seedBuyerData(server.dataDir, brand1.id);
    // After sign-in the page opens on the first account; the address chooses another (as links do).
    await page.goto(`${server.url}/retention?account=${encodeURIComponent(brand1.id)}`, {
      waitUntil: "load",
    });
    await visible(browser, heading(page, "Data and retention"), "the retention page of Demo brand 1");
    expect(await page.getByLabel("Seller account").inputValue()).toBe(brand1.id);
  }, 120_000);

  afterAll(async () => {
    await viewer?.close();
    await browser?.close();
    await server?.stop();
  });

  it("shows every policy row with the account's counts, and the purges of the next 30 days as a chart", async () => {
    const session = need(browser, "the browser");
    const { page } = session;
    const main = page.getByRole("main");
    const nav = page.getByRole("navigation", { name: "Main" });
    expect(await nav.getByRole("link", { name: "Data & retention" }).count()).toBe(1);

    const policy = main.getByTestId("retention-policy");
    await visible(session, policy.locator('tr[data-type="buyer_pii"]'), "the policy table");
    for (const p of RETENTION_POLICY) {
      const row = policy.locator(`tr[data-type="${p.type}"]`);
      expect(await row.count(), p.type).toBe(1);
      const text = (await row.textContent()) ?? "";
      expect(text).toContain(p.label);
      expect(text).toContain(p.legalBasis);
    }
    // Buyer data: three records, none overdue.
    const pii = policy.locator('tr[data-type="buyer_pii"] td');
    expect((await pii.allTextContents()).slice(-2)).toEqual(["3", "0"]);

    const chart = main.locator('svg[data-chart="area"]');
    await visible(session, chart, "the purge chart");
    expect(await chart.getAttribute("aria-label")).toBe("Buyer records purged per day, next 30 days");
    expect(await chart.locator("circle").count()).toBe(31);
    const titles = await chart.locator("title").allTextContents();
    expect(titles.filter((t) => !t.endsWith(": 0"))).toEqual([
      expect.stringMatching(/: 1$/),
      expect.stringMatching(/: 2$/),
    ]);
    const box = await chart.boundingBox();
    expect(box?.width ?? 0).toBeGreaterThan(200);
    expect(await main.getByTestId("purge-total").textContent()).toContain("3 buyer record(s)");
    await shot(page, "retention-page");
  });

  it("places a legal hold on an order, sees it listed and out of the purge calendar, and releases it", async () => {
    const session = need(browser, "the browser");
    const { page } = session;
    const main = page.getByRole("main");
    const holds = main.getByRole("region", { name: "Legal holds" });
    await visible(session, holds.getByText("No legal holds."), "the empty hold list");

    await holds.getByLabel("Applies to").selectOption("order");
    await holds.getByLabel("Amazon order id").fill(HELD_ORDER);
    await holds.getByLabel("Reason").fill("Chargeback dispute 2026-114");
    expect(await holds.getByLabel("Hold owner").inputValue()).toBe(OWNER.email);
    await holds.getByRole("button", { name: "Place hold" }).click();

    const row = holds.getByRole("row", { name: new RegExp(`Order ${HELD_ORDER}`) });
    await visible(session, row, "the new hold");
    expect(await row.textContent()).toContain("Chargeback dispute 2026-114");
    expect(await row.textContent()).toContain("Active");
    await visible(
      session,
      main.getByText("2 buyer record(s) reach"),
      "the purge total without the held order",
    );
    await shot(page, "retention-hold-placed");

    await row.getByRole("button", { name: "Release" }).click();
    await visible(session, row.getByText("Released"), "the released hold");
    expect(await row.getByRole("button", { name: "Release" }).count()).toBe(0);
    await visible(session, main.getByText("3 buyer record(s) reach"), "the purge total with the order back");
    await shot(page, "retention-hold-released");
  });

  it("an owner requests deletion of all data only after confirming it", async () => {
    const session = need(browser, "the browser");
    const { page } = session;
    const section = page.getByRole("main").getByRole("region", { name: "Deletion of all data" });
    await section.getByRole("button", { name: "Request deletion of all data" }).click();
    const confirm = section.getByRole("button", { name: "Yes, delete all data" });
    await visible(session, confirm, "the confirmation step");
    await section.getByRole("button", { name: "Cancel" }).click();
    expect(await confirm.count()).toBe(0);
    await section.getByRole("button", { name: "Request deletion of all data" }).click();
    await confirm.click();
    await visible(session, section.getByTestId("deletion-request"), "the deletion request status");
    expect(await section.getByTestId("deletion-request").textContent()).toContain("scheduled");
    expect(await section.getByRole("button", { name: "Request deletion of all data" }).count()).toBe(0);
    await shot(page, "retention-deletion-requested");
    expect(
      session.problems.filter((p) => p.kind === "csp" || p.kind === "pageerror"),
      formatProblems(session.problems),
    ).toEqual([]);
  });

  it("a viewer sees the policy but neither the account's holds nor any button to change them", async () => {
    const srv = need(server, "the server");
    const invited = await srv.cli([
      "user",
      "create",
      "--email",
      VIEWER.email,
      "--role",
      "viewer",
      "--account",
      brand1Id,
      "--json",
    ]);
    expect(invited.code, invited.stderr).toBe(0);
    const link = (JSON.parse(invited.stdout) as { invitation?: { link?: string } }).invitation?.link ?? "";
    const token = new URL(link).searchParams.get("token") ?? "";
    viewer = await openBrowser();
    const session = viewer;
    const { page } = session;
    await page.goto(`${srv.url}/enroll?token=${encodeURIComponent(token)}`, { waitUntil: "load" });
    await visible(session, heading(page, "Accept invitation"), "the invitation page");
    await page.getByLabel("Your full name").fill(VIEWER.name);
    await page.getByLabel("Password", { exact: true }).fill(VIEWER.password);
    await page.getByLabel("Repeat the password").fill(VIEWER.password);
    await page.getByRole("button", { name: "Accept and continue" }).click();
    await enrollTotp(session, "retention-viewer");
    await visible(session, heading(page, "Dashboard"), "the viewer's dashboard");

    await page
      .getByRole("navigation", { name: "Main" })
      .getByRole("link", { name: "Data & retention" })
      .click();
    await visible(session, heading(page, "Data and retention"), "the retention page");
    const main = page.getByRole("main");
    await visible(session, main.getByRole("heading", { name: "Retention policy" }), "the policy");
    expect(await main.locator("tr[data-type]").count()).toBe(RETENTION_POLICY.length);
    for (const name of ["Place hold", "Release", "Request deletion of all data"])
      expect(await main.getByRole("button", { name }).count(), name).toBe(0);
    expect(await main.getByRole("region", { name: "Legal holds" }).count()).toBe(0);
    await shot(page, "retention-viewer");
    expect(
      session.problems.filter((p) => p.kind === "csp" || p.kind === "pageerror" || p.kind === "http"),
      formatProblems(session.problems),
    ).toEqual([]);
  });
});
