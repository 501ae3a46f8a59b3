// Seller data pages in a real browser against the real product, with the SP-API sandbox standing in for
// Amazon (the server is configured with LWA credentials pointing at it): the dashboard draws its charts from
// stored sales, and a fulfillment flow reveals an FBM order's address with a purpose, shows the packing slip
// and confirms the shipment, which reaches the sandbox. No CSP violation on the way (the charts are SVG).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OrderRecord } from "../../sandbox/data-generator.js";
import { type SandboxHarness, startHarness } from "../../sandbox/test-harness.js";
import { type BrowserSession, formatProblems, openBrowser } from "./browser.js";
import { enrollTotp, heading, need, shot, UI_TIMEOUT_MS, visible } from "./identity-flow.js";
import { type RunningServer, startServer } from "./server.js";
import { type SeededSeller, seedConnectedSeller } from "./sync-seed.js";

const ADMIN = { email: "maren.holt@example.com", password: "Vx8!pQr4#Tn6wLz2" };
const OWNER = { email: "ines.morales@example.com", name: "Ines Morales", password: "Kd3$hWq9@Mz5rTy7" };

let sandbox: SandboxHarness | undefined;
let server: RunningServer | undefined;
let browser: BrowserSession | undefined;
let seeded: SeededSeller | undefined;

describe("seller data pages in the web app", () => {
  beforeAll(async () => {
    sandbox = await startHarness({ orders: 3_000 });
    const sb = sandbox.running.sandbox;
    const env = {
      SELLER_PILOT_LWA_CLIENT_ID: sb.clientId,
      SELLER_PILOT_LWA_CLIENT_SECRET: sb.clientSecret(),
      SELLER_PILOT_APP_ID: sb.applicationId,
      SELLER_PILOT_SPAPI_ENDPOINT: sandbox.endpoint,
      SELLER_PILOT_LWA_TOKEN_URL: sandbox.running.lwaTokenUrl,
    };
    server = await startServer({ env });
    const created = await server.cli(
      ["admin", "create", "--email", ADMIN.email, "--password-stdin", "--json"],
      {
        input: `${ADMIN.password}\n`,
      },
    );
    if (created.code !== 0) throw new Error(`admin create failed: ${created.stderr}`);

    const data = sb.context.data;
    const seller = data.sellers[0];
    const sellerCredentials = sb.sellers[0];
    if (!seller || !sellerCredentials) throw new Error("the sandbox has no seller");
    const orders: OrderRecord[] = Array.from({ length: data.countFor(seller) }, (_, j) =>
      data.orderOf(seller, j),
    );
    const fbm = orders.find((o) => o.fulfilledBy === "MERCHANT" && o.status === "UNSHIPPED");
    if (!fbm) throw new Error("the sandbox generated no unshipped FBM order");
    seeded = await seedConnectedSeller(
      { SELLER_PILOT_DATA_DIR: server.dataDir, ...env },
      sellerCredentials,
      fbm,
      server.url,
    );

    // The owner joins through the invitation link and enrolls TOTP (as every user does).
    const invited = await server.cli([
      "user",
      "create",
      "--email",
      OWNER.email,
      "--role",
      "owner",
      "--account",
      seeded.accountId,
      "--json",
    ]);
    if (invited.code !== 0) throw new Error(`user create failed: ${invited.stderr}`);
    const link = (JSON.parse(invited.stdout) as { invitation?: { link?: string } }).invitation?.link ?? "";
    const token = new URL(link).searchParams.get("token") ?? "";
    browser = await openBrowser();
    const { page } = browser;
    await page.goto(`${server.url}/enroll?token=${encodeURIComponent(token)}`, { waitUntil: "load" });
    await visible(browser, heading(page, "Accept invitation"), "the invitation page");
    await page.getByLabel("Your full name").fill(OWNER.name);
    await page.getByLabel("Password", { exact: true }).fill(OWNER.password);
    await page.getByLabel("Repeat the password").fill(OWNER.password);
    await page.getByRole("button", { name: "Accept and continue" }).click();
    await enrollTotp(browser, "sync-owner");
    await visible(browser, heading(page, "Dashboard"), "the owner's dashboard");
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await sandbox?.close();
  });

  it("dashboard: sales over time, orders by status and fees against proceeds are drawn as charts", async () => {
    const session = need(browser, "the browser");
    const { page } = session;
    const main = page.getByRole("main");
    const area = main.locator('svg[data-chart="area"]');
    await visible(session, area, "the sales chart");
    // One point per sales day: ten FBA days plus the FBM order's day (which shares a day with one of them).
    expect(await area.locator("circle").count()).toBe(10);
    expect(await area.locator("path.chart-line").getAttribute("d")).toMatch(
      /^M[\d.]+,[\d.]+( L[\d.]+,[\d.]+){9}$/,
    );
    const bars = main.locator('svg[data-chart="bar"] rect.chart-bar');
    expect(await bars.count()).toBe(3); // PENDING, SHIPPED, UNSHIPPED
    expect(await main.locator('svg[data-chart="bar"] title').allTextContents()).toEqual(
      expect.arrayContaining(["UNSHIPPED: 1", "SHIPPED: 7", "PENDING: 3"]),
    );
    const paired = main.locator('svg[data-chart="paired"]');
    expect(await paired.locator("rect.chart-bar-alt").count()).toBe(10);
    // Rendered, not just present: the chart has a real size on the page.
    const box = await area.boundingBox();
    expect(box?.width ?? 0).toBeGreaterThan(200);
    expect(box?.height ?? 0).toBeGreaterThan(50);
    await shot(page, "sync-dashboard");
    expect(
      session.problems.filter((p) => p.kind === "csp" || p.kind === "pageerror"),
      formatProblems(session.problems),
    ).toEqual([]);
  });

  it("FBM queue: reveal the address with a purpose, print the packing slip, confirm the shipment to Amazon", async () => {
    const srv = need(server, "the server");
    const session = need(browser, "the browser");
    const sb = need(sandbox, "the sandbox");
    const { accountId, fbmOrderId } = need(seeded, "the seeded seller");
    const { page } = session;
    const main = page.getByRole("main");

    await page.goto(`${srv.url}/fbm-queue?account=${encodeURIComponent(accountId)}`, { waitUntil: "load" });
    await visible(session, heading(page, "FBM queue"), "the FBM queue");
    const fulfil = main.getByRole("button", { name: `Fulfil ${fbmOrderId}` });
    await visible(session, fulfil, "the queued FBM order");
    // The queue shows no buyer data at all.
    expect(await main.textContent()).not.toContain("12 Elm Street");
    await fulfil.click();

    const dialog = main.getByRole("dialog");
    await visible(session, dialog, "the reveal dialog");
    expect(await dialog.getByRole("button", { name: "Reveal" }).isDisabled()).toBe(true);
    await dialog.getByLabel("Purpose").selectOption("ship_order");
    await dialog.getByLabel("Note (optional)").fill("parcel for the afternoon pickup");
    await dialog.getByRole("button", { name: "Reveal" }).click();

    const slip = main.getByRole("region", { name: "Packing slip" });
    await visible(session, slip, "the packing slip");
    const address = await slip.getByTestId("slip-address").textContent();
    expect(address).toContain("Ada Shipper");
    expect(address).toContain("12 Elm Street");
    await shot(page, "sync-packing-slip");

    await main.getByLabel("Carrier").fill("UPS");
    await main.getByLabel("Tracking number").fill("1Z999AA10123456784");
    await main.getByRole("button", { name: "Confirm shipment" }).click();
    await visible(
      session,
      main.getByText(`Order ${fbmOrderId} is confirmed as shipped to Amazon.`),
      "the shipped notice",
    );

    // Amazon's side: the sandbox holds the shipment.
    const after = sb.running.sandbox.context.data.findOrder(fbmOrderId);
    expect(after?.status).toBe("SHIPPED");
    expect(after?.shipment?.trackingNumber).toBe("1Z999AA10123456784");
    // The queue no longer lists it.
    await main
      .getByRole("button", { name: `Fulfil ${fbmOrderId}` })
      .waitFor({ state: "detached", timeout: UI_TIMEOUT_MS });
    await shot(page, "sync-shipped");
    expect(
      session.problems.filter((p) => p.kind === "csp" || p.kind === "pageerror"),
      formatProblems(session.problems),
    ).toEqual([]);
  });
});
