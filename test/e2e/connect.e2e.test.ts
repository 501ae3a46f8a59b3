// Connecting a seller account in a real browser against the real product in demo mode (no LWA credentials:
// the server runs the SP-API sandbox as its Amazon). The admin sees the two demo accounts, chooses features
// (the requested roles follow the choice), goes through the sandbox's consent page and the server's callback,
// and lands on the accounts page with a success notice. The sandbox has only the two demo sellers and its
// consent page consents as the first one, so "connecting" re-authorizes Demo brand 1 with the new features
// rather than adding a third account. A revoked account is explained and reconnected. A viewer sees no connect form, and the server refuses them anyway.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BrowserSession, formatProblems, openBrowser } from "./browser.js";
import { markRevoked } from "./connect-seed.js";
import {
  enrollTotp,
  heading,
  joinByInvitation,
  need,
  shot,
  signIn,
  unexpected,
  visible,
} from "./identity-flow.js";
import { type RunningServer, startServer } from "./server.js";

const ADMIN = { email: "lea.hartmann@example.com", password: "Wm5!cRt8#Kp3vNz7" };
const VIEWER = { email: "jonas.weber@example.com", name: "Jonas Weber", password: "Gs6$yHf2@Lq9dXb4" };

let server: RunningServer | undefined;
let admin: BrowserSession | undefined;
let viewer: BrowserSession | undefined;

interface CliAccount {
  id: string;
  name: string;
}

async function demoAccounts(srv: RunningServer): Promise<CliAccount[]> {
  const listed = await srv.cli(["account", "list", "--json"]);
  expect(listed.code, listed.stderr).toBe(0);
  return (JSON.parse(listed.stdout) as { accounts: CliAccount[] }).accounts;
}

describe("connecting a seller account in the web app (demo mode)", () => {
  beforeAll(async () => {
    server = await startServer();
    // Demo mode announces itself and the first admin's enrollment on start-up.
    expect(server.output()).toMatch(/Enroll the first admin \(.+\): https:\/\/\S+\/enroll\?token=/);
    const created = await server.cli(
      ["admin", "create", "--email", ADMIN.email, "--password-stdin", "--json"],
      { input: `${ADMIN.password}\n` },
    );
    if (created.code !== 0) throw new Error(`admin create failed: ${created.stderr}\n${created.stdout}`);
    admin = await openBrowser();
  }, 120_000);

  afterAll(async () => {
    await viewer?.close();
    await admin?.close();
    await server?.stop();
  });

  it("the admin sees the two demo accounts with status, role, features and required roles", async () => {
    const srv = need(server, "the server");
    const session = need(admin, "the browser");
    const { page } = session;
    await page.goto(`${srv.url}/accounts`, { waitUntil: "load" });
    await signIn(session, ADMIN.email, ADMIN.password);
    await enrollTotp(session, "connect-admin");
    await visible(session, heading(page, "Seller accounts"), "the accounts page asked for before sign-in");
    expect(await page.title()).toBe("Seller accounts · Seller Pilot");

    const main = page.getByRole("main");
    const rows = main.getByRole("table").getByRole("row");
    await visible(session, main.getByRole("row", { name: /Demo brand 1/ }), "the first demo account");
    expect(await rows.count()).toBe(3); // header + two accounts
    for (const name of ["Demo brand 1", "Demo brand 2"]) {
      const row = main.getByRole("row", { name: new RegExp(name) });
      const text = (await row.textContent()) ?? "";
      expect(text).toContain("Active");
      expect(text).toContain("Owner");
      // Demo accounts have every feature but FBM shipping: no buyer data is requested.
      for (const label of ["Orders & sales", "Inventory", "Pricing", "Finances"])
        expect(text).toContain(label);
      expect(text).not.toContain("FBM shipping");
      expect(text).toContain("Finance and Accounting");
      expect(text).not.toContain("Direct-to-Consumer Shipping");
    }
    await shot(page, "connect-accounts");
  });

  it("connecting: only the chosen features' roles are requested; consent re-authorizes Demo brand 1", async () => {
    const srv = need(server, "the server");
    const session = need(admin, "the browser");
    const { page } = session;
    const main = page.getByRole("main");
    const before = await demoAccounts(srv);
    expect(before.map((a) => a.name).sort()).toEqual(["Demo brand 1", "Demo brand 2"]);
    const brand1 = need(
      before.find((a) => a.name === "Demo brand 1"),
      "Demo brand 1",
    );

    const form = main.getByRole("region", { name: "Connect a seller account" });
    const requested = form.getByRole("list", { name: "The seller will be asked to grant:" });
    await visible(session, form.getByText("No feature chosen yet"), "the empty role summary");
    await form.getByLabel("Orders & sales").check();
    await visible(session, requested, "the requested roles");
    expect((await requested.getByRole("listitem").allTextContents()).map((t) => t.trim())).toEqual([
      "Inventory and Order Tracking",
    ]);
    // FBM shipping names its restricted roles (buyers' personal data) before it is chosen.
    const fbm = form.getByLabel("FBM shipping");
    const fbmHint = await fbm.getAttribute("aria-describedby");
    expect(await form.locator(`[id="${fbmHint}"]`).textContent()).toContain(
      "Direct-to-Consumer Shipping (restricted)",
    );
    await fbm.check();
    expect((await requested.getByRole("listitem").allTextContents()).map((t) => t.trim())).toEqual([
      "Direct-to-Consumer Shipping (restricted)",
      "Inventory and Order Tracking",
    ]);
    await shot(page, "connect-form");

    // Start → the sandbox's consent page → the server's callback → back here.
    const consentRequests: string[] = [];
    page.on("request", (request) => {
      if (request.url().includes("/apps/authorize/consent")) consentRequests.push(request.url());
    });
    await form.getByRole("button", { name: "Continue to Amazon" }).click();
    await page.waitForURL((url) => url.pathname === "/accounts" && url.searchParams.has("connected"), {
      timeout: 15_000,
    });
    expect(consentRequests).toHaveLength(1);
    const consent = new URL(need(consentRequests[0], "the consent request"));
    expect(consent.searchParams.get("version")).toBe("beta");
    expect(consent.searchParams.get("state")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(new URL(page.url()).searchParams.get("connected")).toBe(brand1.id);

    const notice = page.getByRole("status").filter({ hasText: "is connected." });
    await visible(session, notice, "the success notice");
    expect(await notice.textContent()).toContain("Demo brand 1 is connected.");
    expect(await notice.textContent()).toContain("Enabled features: Orders & sales, FBM shipping.");

    // Re-authorization, not a new account: still two accounts, Demo brand 1 now has exactly the chosen features.
    const rows = main.getByRole("table").getByRole("row");
    expect(await rows.count()).toBe(3);
    const row = main.getByRole("row", { name: /Demo brand 1/ });
    const text = (await row.textContent()) ?? "";
    expect(text).toContain("Active");
    expect(text).toContain("FBM shipping");
    expect(text).toContain("Direct-to-Consumer Shipping (restricted)");
    for (const dropped of ["Pricing", "Finances", "Finance and Accounting"])
      expect(text).not.toContain(dropped);
    expect((await main.getByRole("row", { name: /Demo brand 2/ }).textContent()) ?? "").toContain("Finances");
    expect((await demoAccounts(srv)).map((a) => a.id).sort()).toEqual(before.map((a) => a.id).sort());
    await shot(page, "connect-connected");

    await notice.getByRole("button", { name: "Dismiss" }).click();
    await expect.poll(() => new URL(page.url()).search).toBe("");
    expect(await notice.count()).toBe(0);
  });

  it("a revoked account is explained and reconnected with its features from the Reconnect button", async () => {
    const srv = need(server, "the server");
    const session = need(admin, "the browser");
    const { page } = session;
    const main = page.getByRole("main");
    const brand1 = need(
      (await demoAccounts(srv)).find((a) => a.name === "Demo brand 1"),
      "Demo brand 1",
    );
    expect(await markRevoked(srv.dataDir, brand1.id)).toBe(true);

    await page.reload({ waitUntil: "load" });
    const row = main.getByRole("row", { name: /Demo brand 1/ });
    await visible(session, row.getByText("Authorization revoked"), "the revoked badge");
    expect(await row.textContent()).toContain(
      "Amazon says the seller removed the app; reconnect to resume syncing.",
    );
    // Only the revoked account offers to reconnect.
    expect(await main.getByRole("button", { name: /^Reconnect/ }).count()).toBe(1);
    await shot(page, "connect-revoked");

    await row.getByRole("button", { name: "Reconnect Demo brand 1" }).click();
    await page.waitForURL(
      (url) => url.pathname === "/accounts" && url.searchParams.get("connected") === brand1.id,
      { timeout: 15_000 },
    );
    const notice = page.getByRole("status").filter({ hasText: "is connected." });
    await visible(session, notice, "the success notice after reconnecting");
    // The same features as before the revocation (the reconnect asks for exactly those).
    expect(await notice.textContent()).toContain("Enabled features: Orders & sales, FBM shipping.");
    await visible(session, row.getByText("Active"), "the active badge after reconnecting");
    expect(await row.textContent()).not.toContain("Authorization revoked");
    expect(await main.getByRole("button", { name: /^Reconnect/ }).count()).toBe(0);
    // Listed by name, whatever order the reconnect left the memberships in.
    const names = await main.getByRole("table").getByRole("rowheader").allTextContents();
    expect(names.map((n) => n.trim())).toEqual(["Demo brand 1", "Demo brand 2"]);
  });

  it("a callback Seller Pilot did not start lands on the accounts page with the refusal, not a JSON body", async () => {
    const srv = need(server, "the server");
    const session = need(admin, "the browser");
    const { page } = session;
    await page.goto(
      `${srv.url}/api/connect/callback?state=forged-state&selling_partner_id=A1FORGED&spapi_oauth_code=abc`,
      { waitUntil: "load" },
    );
    expect(new URL(page.url()).pathname).toBe("/accounts");
    expect(new URL(page.url()).searchParams.get("error")).toBe("CONNECT_STATE_INVALID");
    const main = page.getByRole("main");
    await visible(session, main.getByText("The seller account was not connected."), "the refusal notice");
    expect(await main.textContent()).toContain("This authorization link is not one Seller Pilot issued.");
    expect(await main.textContent()).toContain("CONNECT_STATE_INVALID");
  });

  it("a viewer sees the accounts but no connect form, and the server refuses them", async () => {
    const srv = need(server, "the server");
    const brand2 = need(
      (await demoAccounts(srv)).find((a) => a.name === "Demo brand 2"),
      "Demo brand 2",
    );
    const created = await srv.cli([
      "user",
      "create",
      "--email",
      VIEWER.email,
      "--role",
      "viewer",
      "--account",
      brand2.id,
      "--json",
    ]);
    expect(created.code, `${created.stderr}\n${created.stdout}`).toBe(0);
    const link = (JSON.parse(created.stdout) as { invitation?: { link?: string } }).invitation?.link ?? "";
    viewer = await joinByInvitation(srv, link, VIEWER, "connect-viewer");
    const session = viewer;
    const { page } = session;

    await page
      .getByRole("navigation", { name: "Main" })
      .getByRole("link", { name: "Seller accounts" })
      .click();
    await visible(session, heading(page, "Seller accounts"), "the viewer's accounts page");
    const main = page.getByRole("main");
    const row = await visible(
      session,
      main.getByRole("row", { name: /Demo brand 2/ }),
      "the viewer's account",
    );
    expect(await row.textContent()).toContain("Viewer");
    expect(await main.getByRole("table").getByRole("row").count()).toBe(2); // only their own account
    await visible(session, main.getByTestId("connect-not-allowed"), "the not-allowed explanation");
    expect(await main.getByRole("button", { name: "Continue to Amazon" }).count()).toBe(0);
    expect(await main.getByRole("checkbox").count()).toBe(0);
    await shot(page, "connect-viewer");

    // The form is hidden, not the door: the server answers the viewer's start with FORBIDDEN.
    const refused = await page.evaluate(async () => {
      const current = (await (await fetch("/api/auth/session")).json()) as { csrfToken?: string };
      const res = await fetch("/api/connect/start", {
        method: "POST",
        headers: { "content-type": "application/json", "x-csrf-token": current.csrfToken ?? "" },
        body: JSON.stringify({ features: ["orders_sales"] }),
      });
      return { status: res.status, body: (await res.json()) as { error?: { code?: string } } };
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error?.code).toBe("FORBIDDEN");
  });

  it("recorded no unexpected console errors, failed requests or CSP violations", () => {
    const allowed = [/HTTP 403 .*\/api\/connect\/start$/, /status of 403.*\/api\/connect\/start$/];
    const all = [...(admin?.problems ?? []), ...(viewer?.problems ?? [])];
    const left = unexpected(all, allowed);
    expect(left, formatProblems(left)).toEqual([]);
  });
});
