// The whole journey on a fresh data directory, in the product as a user starts it (`seller-pilot start` in
// demo mode, with the SP-API sandbox as Amazon): the first admin enrolls with the printed link and MFA →
// turns on FBM shipping for Demo brand 1 → a sync completes → the dashboard draws its chart → an analyst
// joins and sees orders without buyer data and cannot reveal → a fulfillment user reveals an address with a
// purpose → the audit viewer shows that reveal → retention runs with the clock 29 days after the order's
// (promised) delivery (address still there) and 31 days after it (address gone, receipt in the audit log).
// Screenshots go to test-results/e2e/journey-*.png (kept by CI).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BrowserSession, formatProblems } from "./browser.js";
import {
  heading,
  joinByInvitation,
  need,
  type Person,
  shot,
  UI_TIMEOUT_MS,
  unexpected,
  visible,
} from "./identity-flow.js";
import { auditEntries, findOrder, openOrder, retentionRunAt } from "./journey-steps.js";
import { type RunningServer, startServer } from "./server.js";

const ADMIN_PASSWORD = "Rb7!kWm2#Zq9pTx4";
const ANALYST: Person = { email: "amir.khan@example.com", name: "Amir Khan", password: "Hf4$nQw8@Lc2vBz6" };
const PICKER: Person = {
  email: "sofia.ricci@example.com",
  name: "Sofia Ricci",
  password: "Pt9#gXe3!Wm7kRd5",
};
const DAY_MS = 86_400_000;
/** The demo's first backfill (two years of two sellers' orders at the demo's time scale) takes a while. */
const SYNC_TIMEOUT_MS = 150_000;

let server: RunningServer | undefined;
let admin: BrowserSession | undefined;
let analyst: BrowserSession | undefined;
let picker: BrowserSession | undefined;
let brand1 = "";
/** An open FBM order of Demo brand 1 with stored buyer data, and its promised delivery date. */
let order: { id: string; delivery: Date } | undefined;

async function invite(session: BrowserSession, srv: RunningServer, email: string, role: string) {
  const { page } = session;
  await page.goto(`${srv.url}/team?account=${encodeURIComponent(brand1)}`, { waitUntil: "load" });
  await visible(session, heading(page, "Team & roles"), "the team page");
  const form = page.getByRole("main").getByRole("form", { name: "Invite someone" });
  await form.getByLabel("E-mail address").fill(email);
  await form.getByLabel("Role").selectOption(role);
  await form.getByRole("button", { name: "Send invitation" }).click();
  const link = await visible(
    session,
    form.getByTestId("invitation-link"),
    `the invitation link for ${email}`,
  );
  return ((await link.textContent()) ?? "").trim();
}

describe("the whole journey, from a fresh start to the purge of an address", () => {
  beforeAll(async () => {
    server = await startServer({ stopTimeoutMs: 15_000 });
  }, 120_000);

  afterAll(async () => {
    for (const session of [picker, analyst, admin]) await session?.close();
    await server?.stop();
  });

  it("the first admin enrolls with the printed link and a second factor", async () => {
    const srv = need(server, "the server");
    const printed =
      /Enroll the first admin \(([^,]+), single use[^)]*\): (https:\/\/\S+\/enroll\?token=\S+)/.exec(
        srv.output(),
      );
    expect(printed, srv.output()).not.toBeNull();
    const link = need(printed?.[2], "the enrollment link");
    admin = await joinByInvitation(
      srv,
      link,
      { email: need(printed?.[1], "the admin's address"), name: "Maja Lind", password: ADMIN_PASSWORD },
      "journey-admin",
    );
  });

  it("Demo brand 1 is connected with FBM shipping through the consent flow", async () => {
    const srv = need(server, "the server");
    const session = need(admin, "the admin's browser");
    const { page } = session;
    await page.goto(`${srv.url}/accounts`, { waitUntil: "load" });
    await visible(session, heading(page, "Seller accounts"), "the accounts page");
    const main = page.getByRole("main");
    await visible(session, main.getByRole("row", { name: /Demo brand 1/ }), "Demo brand 1");
    const form = main.getByRole("region", { name: "Connect a seller account" });
    for (const feature of ["Orders & sales", "Inventory", "Pricing", "Finances", "FBM shipping"]) {
      await form.getByLabel(feature).check();
    }
    await form.getByRole("button", { name: "Continue to Amazon" }).click();
    await page.waitForURL((url) => url.pathname === "/accounts" && url.searchParams.has("connected"), {
      timeout: UI_TIMEOUT_MS,
    });
    brand1 = new URL(page.url()).searchParams.get("connected") ?? "";
    const notice = page.getByRole("status").filter({ hasText: "is connected." });
    await visible(session, notice, "the connected notice");
    expect(await notice.textContent()).toContain("Demo brand 1 is connected.");
    expect(await notice.textContent()).toContain("FBM shipping");
    await shot(page, "journey-connected");
  });

  it(
    "a sync started from Sync health completes and the dashboard draws the sales chart",
    async () => {
      const srv = need(server, "the server");
      const session = need(admin, "the admin's browser");
      const { page } = session;
      const main = page.getByRole("main");
      await page.goto(`${srv.url}/sync-health?account=${encodeURIComponent(brand1)}`, { waitUntil: "load" });
      await visible(session, heading(page, "Sync health"), "the sync health page");
      const schedule = main.getByTestId("sync-schedule");
      // Demo mode syncs both brands on start-up; wait for that first backfill to finish before asking again,
      // so the requested sync is the one that runs with FBM shipping.
      await schedule.getByText("Idle").waitFor({ state: "visible", timeout: SYNC_TIMEOUT_MS });
      await main.getByRole("button", { name: "Sync now" }).click();
      await visible(session, main.getByText("Sync queued."), "the queued notice");
      await main.getByText("The sync has finished.").waitFor({ state: "visible", timeout: SYNC_TIMEOUT_MS });
      const streams = main.getByRole("table", { name: "Sync streams" });
      const orders = streams
        .getByRole("row")
        .filter({ has: page.getByRole("rowheader", { name: "orders", exact: true }) });
      await visible(session, orders, "the orders stream");
      expect(await orders.textContent()).toContain("none"); // no last error
      await shot(page, "journey-synced");

      await page.goto(`${srv.url}/dashboard?account=${encodeURIComponent(brand1)}`, { waitUntil: "load" });
      const area = main.locator('svg[data-chart="area"]');
      await visible(session, area, "the sales chart");
      expect(await area.locator("circle").count()).toBeGreaterThan(1);
      const box = await area.boundingBox();
      expect(box?.width ?? 0).toBeGreaterThan(200);
      await shot(page, "journey-dashboard");

      // An open FBM order of Demo brand 1 whose buyer data the sync stored (sealed).
      const listed = await page.evaluate(async (account) => {
        const res = await fetch(
          `/api/accounts/${encodeURIComponent(account)}/orders?channel=FBM&status=UNSHIPPED&limit=50`,
        );
        return (await res.json()) as {
          orders: Array<{
            amazonOrderId: string;
            hasBuyerData: boolean;
            latestDeliveryDate: string | null;
            buyerDataDeletedAfter: string | null;
          }>;
        };
      }, brand1);
      const withBuyer = listed.orders.find((o) => o.hasBuyerData && o.latestDeliveryDate !== null);
      const found = need(
        withBuyer,
        `an unshipped FBM order with buyer data (${JSON.stringify(listed).slice(0, 400)})`,
      );
      const delivery = new Date(need(found.latestDeliveryDate ?? undefined, "its promised delivery"));
      // The page's deletion date is the policy's: 30 days after the (promised) delivery.
      expect(found.buyerDataDeletedAfter).toBe(new Date(delivery.getTime() + 30 * DAY_MS).toISOString());
      order = { id: found.amazonOrderId, delivery };
    },
    SYNC_TIMEOUT_MS * 2 + 30_000,
  );

  it("an invited analyst sees the orders without buyer data and cannot reveal it", async () => {
    const srv = need(server, "the server");
    const { id } = need(order, "the FBM order");
    const link = await invite(need(admin, "the admin's browser"), srv, ANALYST.email, "analyst");
    analyst = await joinByInvitation(srv, link, ANALYST, "journey-analyst");
    const row = await findOrder(analyst, srv, brand1, id);
    expect(await row.textContent()).toContain("(hidden)");
    const panel = await openOrder(analyst, row, id);
    expect(await panel.getByTestId("ship-to").textContent()).toContain("(hidden)");
    expect(await panel.getByRole("button", { name: /Reveal/ }).count()).toBe(0);
    await shot(analyst.page, "journey-analyst-order");
    // Hidden is not the door: the server refuses the analyst's reveal.
    const refused = await analyst.page.evaluate(
      async ({ account, orderId }) => {
        const current = (await (await fetch("/api/auth/session")).json()) as { csrfToken?: string };
        const res = await fetch(
          `/api/accounts/${encodeURIComponent(account)}/orders/${encodeURIComponent(orderId)}/reveal`,
          {
            method: "POST",
            headers: { "content-type": "application/json", "x-csrf-token": current.csrfToken ?? "" },
            body: JSON.stringify({ purpose: "ship_order" }),
          },
        );
        return { status: res.status, text: await res.text() };
      },
      { account: brand1, orderId: id },
    );
    expect(refused.status).toBe(403);
    expect(refused.text).toContain("FORBIDDEN");
  });

  it("a fulfillment user reveals the address for a stated purpose", async () => {
    const srv = need(server, "the server");
    const { id } = need(order, "the FBM order");
    const link = await invite(need(admin, "the admin's browser"), srv, PICKER.email, "fulfillment");
    picker = await joinByInvitation(srv, link, PICKER, "journey-picker");
    const session = picker;
    const panel = await openOrder(session, await findOrder(session, srv, brand1, id), id);
    await panel.getByRole("button", { name: "Reveal buyer data…" }).click();
    const dialog = panel.getByRole("dialog");
    await visible(session, dialog, "the reveal dialog");
    await dialog.getByLabel("Purpose").selectOption("ship_order");
    await dialog.getByLabel("Note (optional)").fill("journey: label for today's pickup");
    await dialog.getByRole("button", { name: "Reveal" }).click();
    await visible(session, panel.getByText(/ship order until/), "the reveal's purpose and time box");
    const address = (await panel.getByTestId("ship-to").locator("address").textContent()) ?? "";
    expect(address.trim().length).toBeGreaterThan(5);
    expect(address).not.toContain("(hidden)");
    await shot(session.page, "journey-revealed");
  });

  it("the audit viewer shows the reveal: who, which order, for what", async () => {
    const srv = need(server, "the server");
    const { id } = need(order, "the FBM order");
    const session = need(admin, "the admin's browser");
    const rows = await auditEntries(session, srv, "pii.reveal");
    const texts = await rows.allTextContents();
    const reveal = texts.find((t) => t.includes(id) && t.includes("success"));
    expect(reveal, texts.join("\n")).toBeDefined();
    expect(reveal).toContain("ship_order");
    await shot(session.page, "journey-audit-reveal");
  });

  it("retention: 29 days after delivery the address stays, 31 days after it is gone", async () => {
    const srv = need(server, "the server");
    const { id, delivery } = need(order, "the FBM order");
    const session = need(picker, "the fulfillment user's browser");

    const before = await retentionRunAt(srv, new Date(delivery.getTime() + 29 * DAY_MS));
    const stillThere = await findOrder(session, srv, brand1, id);
    expect(await stillThere.textContent()).toContain("(hidden)"); // stored, masked until revealed

    const after = await retentionRunAt(srv, new Date(delivery.getTime() + 31 * DAY_MS));
    expect(after.deleted.buyer_pii).toBeGreaterThanOrEqual(1);
    expect(after.receiptHash).not.toBe(before.receiptHash);
    const gone = await findOrder(session, srv, brand1, id);
    expect(await gone.textContent()).not.toContain("(hidden)");
    const panel = await openOrder(session, gone, id);
    expect(await panel.getByTestId("ship-to").textContent()).not.toContain("(hidden)");
    expect(await panel.getByRole("button", { name: /Reveal/ }).count()).toBe(0);
    expect(await panel.getByTestId("buyer-data-deleted-after").count()).toBe(0);
    await shot(session.page, "journey-purged");

    // The receipt is in the audit log, with its hash and the policy version.
    const admins = need(admin, "the admin's browser");
    const rows = await auditEntries(admins, srv, "retention.receipt");
    const texts = await rows.allTextContents();
    const receipt = texts.find((t) => t.includes(after.receiptHash));
    expect(receipt, texts.join("\n")).toBeDefined();
    expect(receipt).toContain(after.policyVersion);
    await shot(admins.page, "journey-audit-receipt");
  });

  it("recorded no unexpected console errors, failed requests or CSP violations", () => {
    const allowed = [/HTTP 403 .*\/reveal$/, /status of 403.*\/reveal$/];
    const all = [admin, analyst, picker].flatMap((s) => s?.problems ?? []);
    const left = unexpected(all, allowed);
    expect(left, formatProblems(left)).toEqual([]);
  });
});
