// Identity in a real browser against the real product: an admin made with the CLI enrolls an authenticator
// (codes computed here from the secret the page shows) and signs in again with TOTP; a viewer neither sees nor
// opens the team, audit and review pages; an owner uses the account area; a passkey (Chromium's virtual
// authenticator) is registered and used as the second factor. The tests run in order and share the instance.
import type * as OTPAuth from "otpauth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BrowserSession, formatProblems, openBrowser } from "./browser.js";
import {
  enrollTotp,
  heading,
  joinByInvitation,
  navLabels,
  need,
  shot,
  signIn,
  UI_TIMEOUT_MS,
  unexpected,
  visible,
} from "./identity-flow.js";
import { seedSellerAccount } from "./seed.js";
import { type RunningServer, startServer } from "./server.js";

const ADMIN = { email: "dana.lindqvist@example.com", password: "Tq7!vLm9#Rz2pXw4" };
const VIEWER = { email: "oskar.brandt@example.com", name: "Oskar Brandt", password: "Hb4$kWn8@Jc3sYq6" };

let server: RunningServer | undefined;
let admin: BrowserSession | undefined;
let viewer: BrowserSession | undefined;
/** The admin's authenticator, from the enrollment page; test 2 signs in with it. */
let adminTotp: OTPAuth.TOTP | undefined;
let enrolledAt = 0;
let seededAccount: string | undefined;
let adminRecoveryCodes: string[] = [];

describe("identity in the web app", () => {
  beforeAll(async () => {
    server = await startServer();
    admin = await openBrowser();
    const probe = await admin.context.request.get(`${server.url}/api/auth/session`);
    if (probe.status() !== 200) {
      throw new Error(`GET /api/auth/session answered ${probe.status()}: the auth routes are not wired`);
    }
  }, 90_000);

  afterAll(async () => {
    await viewer?.close();
    await admin?.close();
    await server?.stop();
  });

  it("enrollment: an admin made with the CLI signs in, enrolls TOTP, keeps recovery codes, reaches the dashboard", async () => {
    const srv = need(server, "the server");
    const session = need(admin, "the browser");
    const { page } = session;

    const created = await srv.cli(["admin", "create", "--email", ADMIN.email, "--password-stdin", "--json"], {
      input: `${ADMIN.password}\n`,
    });
    expect(created.code, `${created.stderr}\n${created.stdout}`).toBe(0);
    expect(created.stdout).not.toContain(ADMIN.password);

    // A protected page sends an anonymous visitor to sign-in, remembering where they wanted to go.
    await page.goto(`${srv.url}/dashboard`, { waitUntil: "load" });
    await visible(session, heading(page, "Sign in"), "the sign-in page");
    expect(new URL(page.url()).pathname).toBe("/sign-in");
    expect(new URL(page.url()).searchParams.get("next")).toBe("/dashboard");
    expect(await navLabels(page)).toEqual(["Status", "Sign in"]);

    await signIn(session, ADMIN.email, ADMIN.password);
    const enrolled = await enrollTotp(session, "identity-admin");
    adminTotp = enrolled.totp;
    enrolledAt = enrolled.at;
    adminRecoveryCodes = enrolled.codes;

    await visible(session, heading(page, "Dashboard"), "the dashboard");
    expect(new URL(page.url()).pathname).toBe("/dashboard");
    expect(await page.title()).toBe("Dashboard · Seller Pilot");
    const banner = page.getByRole("banner");
    expect(await banner.getByTestId("session-user").textContent()).toContain(ADMIN.email);
    await visible(session, banner.getByRole("button", { name: "Sign out" }), "the sign-out button");
    // The instance admin reads the audit log.
    expect(await navLabels(page)).toContain("Audit log");
    await shot(page, "identity-admin-dashboard");
  });

  it("sign-in with TOTP: a wrong code is refused with its message, the right one signs in", async () => {
    const srv = need(server, "the server");
    const session = need(admin, "the browser");
    const totp = need(adminTotp, "the admin's authenticator");
    const { page } = session;

    await page.getByRole("banner").getByRole("button", { name: "Sign out" }).click();
    await visible(session, heading(page, "Sign in"), "the sign-in page after signing out");
    await visible(session, page.getByText("You are signed out."), "the signed-out notice");
    // Signed out for real: the server no longer knows the session.
    await page.goto(`${srv.url}/account/security`, { waitUntil: "load" });
    await visible(session, heading(page, "Sign in"), "sign-in for a protected page after sign-out");

    await signIn(session, ADMIN.email, "Wrong-password-1!");
    await visible(
      session,
      page.getByRole("alert").getByText("The e-mail address or password is not correct."),
      "the wrong-password message",
    );

    await signIn(session, ADMIN.email, ADMIN.password);
    await visible(session, heading(page, "Second factor"), "the second-factor page");
    const code = page.getByLabel("6-digit code from your authenticator app");
    const valid = new Set([-1, 0, 1].map((d) => totp.generate({ timestamp: Date.now() + d * 30_000 })));
    const wrong = ["000000", "111111", "222222"].find((c) => !valid.has(c)) ?? "333333";
    await code.fill(wrong);
    await page.getByRole("button", { name: "Verify" }).click();
    const alert = page.getByRole("alert");
    await visible(session, alert.getByText("TOTP_CODE_INVALID"), "the invalid-code error");
    expect(await alert.textContent()).toContain("That code is not valid.");
    await shot(page, "identity-totp-wrong-code");

    // The code of the next time step: the enrollment used this step's code, which is refused as replayed.
    await code.fill(totp.generate({ timestamp: Math.max(Date.now(), enrolledAt) + 30_000 }));
    await page.getByRole("button", { name: "Verify" }).click();
    await visible(session, heading(page, "Security"), "the page asked for before sign-in");
    expect(new URL(page.url()).pathname).toBe("/account/security");
    await page.goto(`${srv.url}/dashboard`, { waitUntil: "load" });
    await visible(session, heading(page, "Dashboard"), "the dashboard after TOTP sign-in");
  });

  it("a viewer does not see the team and audit pages and gets 'Not allowed' at their addresses", async () => {
    const srv = need(server, "the server");
    // The CLI has no command that connects a seller account; the viewer's role needs one.
    const accountId = await seedSellerAccount(srv.dataDir, "E2E Brand");
    seededAccount = accountId;
    const listed = await srv.cli(["account", "list", "--json"]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain(accountId);

    const created = await srv.cli([
      "user",
      "create",
      "--email",
      VIEWER.email,
      "--role",
      "viewer",
      "--account",
      accountId,
      "--json",
    ]);
    expect(created.code, `${created.stderr}\n${created.stdout}`).toBe(0);
    const link = (JSON.parse(created.stdout) as { invitation?: { link?: string } }).invitation?.link ?? "";
    const token = new URL(link).searchParams.get("token");
    if (!token) throw new Error(`user create printed no enrollment link: ${created.stdout}`);

    // The invited person opens the enrollment link, chooses a name and password, then enrolls TOTP.
    const requests: string[] = [];
    viewer = await joinByInvitation(srv, link, VIEWER, "identity-viewer", {
      onOpen: ({ page }) => page.on("request", (request) => requests.push(new URL(request.url()).pathname)),
    });
    const session = viewer;
    const { page } = session;

    const labels = await navLabels(page);
    expect(labels).toEqual(expect.arrayContaining(["Dashboard", "API tokens", "Security", "Status"]));
    for (const hidden of ["Team & roles", "Audit log", "Access review", "Sign in"])
      expect(labels).not.toContain(hidden);

    for (const [path, label] of [
      ["/team", "Team & roles"],
      ["/audit", "Audit log"],
      ["/access-review", "Access review"],
    ] as const) {
      await page.goto(`${srv.url}${path}`, { waitUntil: "load" });
      await visible(session, heading(page, "Not allowed"), `the not-allowed page at ${path}`);
      expect(await page.getByRole("main").textContent()).toContain(`not allow you to open ${label}`);
      expect(await page.title()).toBe("Not allowed · Seller Pilot");
      expect(new URL(page.url()).pathname).toBe(path);
    }
    await shot(page, "identity-viewer-not-allowed");
    // The page was refused by the app itself: it never asked the server for the team or the audit log.
    expect(requests.filter((p) => p.includes("/members") || p.startsWith("/api/audit"))).toEqual([]);
  });

  it("account area: an owner manages the team, an API token, an access review and verifies the audit chain", async () => {
    const srv = need(server, "the server");
    const session = need(admin, "the browser");
    const accountId = need(seededAccount, "the seeded seller account");
    const { page } = session;
    const main = page.getByRole("main");
    const nav = page.getByRole("navigation", { name: "Main" });

    // The signed-in admin is invited as owner of the account and accepts in the same browser.
    const invited = await srv.cli([
      "user",
      "create",
      "--email",
      ADMIN.email,
      "--role",
      "owner",
      "--account",
      accountId,
      "--json",
    ]);
    expect(invited.code, invited.stderr).toBe(0);
    const link = (JSON.parse(invited.stdout) as { invitation: { link: string } }).invitation.link;
    await page.goto(`${srv.url}/enroll${new URL(link).search}`, { waitUntil: "load" });
    await visible(session, heading(page, "Accept invitation"), "the invitation page");
    await page.getByLabel("Your full name").fill("Dana Lindqvist");
    await page.getByLabel("Password", { exact: true }).fill(ADMIN.password);
    await page.getByLabel("Repeat the password").fill(ADMIN.password);
    await page.getByRole("button", { name: "Accept and continue" }).click();
    // A new role ends the user's sessions (privilege change): sign in again, this time with a recovery code.
    await visible(
      session,
      heading(page, "Dashboard").or(heading(page, "Sign in")),
      "the page after accepting",
    );
    if (await heading(page, "Sign in").isVisible()) {
      await visible(session, page.getByText("Invitation accepted."), "the accepted notice");
      await signIn(session, ADMIN.email, ADMIN.password);
      await visible(session, heading(page, "Second factor"), "the second-factor page");
      await page.getByRole("button", { name: "Use a recovery code" }).click();
      await page.getByLabel("Recovery code").fill(need(adminRecoveryCodes[0], "a recovery code"));
      await page.getByRole("button", { name: "Verify" }).click();
    }
    await visible(session, heading(page, "Dashboard"), "the dashboard after accepting");
    await visible(session, main.getByRole("row", { name: /E2E Brand/ }), "the new account on the dashboard");
    expect(await navLabels(page)).toEqual(
      expect.arrayContaining(["Team & roles", "Access review", "Audit log"]),
    );

    // Team: the viewer is listed; invite someone (the link is shown once); change the viewer's role.
    await nav.getByRole("link", { name: "Team & roles" }).click();
    await visible(session, heading(page, "Team & roles"), "the team page");
    // Demo mode's two accounts are listed too (the admin owns them): work on the seeded one.
    const picker = main.getByLabel("Seller account");
    if ((await picker.count()) > 0) await picker.selectOption(accountId);
    const viewerRow = main.getByRole("row", { name: new RegExp(VIEWER.name) });
    await visible(session, viewerRow, "the viewer in the member list");
    await main.getByLabel("E-mail address").fill("mia.kowalski@example.com");
    await main.getByLabel("Role", { exact: true }).selectOption("analyst");
    await main.getByRole("button", { name: "Send invitation" }).click();
    const inviteLink = await visible(session, page.getByTestId("invitation-link"), "the invitation link");
    expect(await inviteLink.textContent()).toMatch(/\/enroll\?token=[A-Za-z0-9_-]{43}$/);
    await viewerRow.getByLabel(`Role of ${VIEWER.name}`).selectOption("analyst");
    await viewerRow.getByRole("button", { name: "Change role" }).click();
    await visible(
      session,
      viewerRow.getByRole("button", { name: "Change role", disabled: true }),
      "the saved role",
    );
    await page.reload({ waitUntil: "load" });
    await visible(
      session,
      main.getByRole("row", { name: new RegExp(VIEWER.name) }),
      "the member list after reload",
    );
    expect(await main.getByLabel(`Role of ${VIEWER.name}`).inputValue()).toBe("analyst");
    await shot(page, "identity-team");

    // API token: created with a scope, shown once, then revoked.
    await nav.getByRole("link", { name: "API tokens" }).click();
    await visible(session, heading(page, "API tokens"), "the tokens page");
    await main.getByLabel("Name", { exact: true }).fill("nightly stock export");
    await main.getByLabel(/^E2E Brand/).check();
    await main.getByLabel("inventory:read").check();
    await main.getByRole("button", { name: "Create token" }).click();
    const tokenValue = await visible(session, page.getByTestId("new-token"), "the new token");
    expect(await tokenValue.textContent()).toMatch(/^spt_[A-Za-z0-9_-]{43}$/);
    const tokenRow = main.getByRole("row", { name: /nightly stock export/ });
    await tokenRow.getByRole("button", { name: "Revoke" }).click();
    await visible(session, tokenRow.getByText("Revoked"), "the revoked token");

    // Access review: open, confirm every entry, complete.
    await nav.getByRole("link", { name: "Access review" }).click();
    await visible(session, heading(page, "Access review"), "the access review page");
    await main.getByRole("button", { name: "Start an access review" }).click();
    const confirmButtons = main.getByRole("button", { name: /^Confirm / });
    await visible(session, confirmButtons, "the review entries");
    while ((await confirmButtons.count()) > 0) {
      const before = await confirmButtons.count();
      await confirmButtons.first().click();
      await expect.poll(() => confirmButtons.count(), { timeout: UI_TIMEOUT_MS }).toBeLessThan(before);
    }
    await main.getByRole("button", { name: "Complete the review" }).click();
    await visible(
      session,
      main.getByRole("button", { name: "Start an access review" }),
      "the completed review",
    );
    await shot(page, "identity-access-review");

    // Audit log: the actions above are there, and the chain verifies.
    await nav.getByRole("link", { name: "Audit log" }).click();
    await visible(session, heading(page, "Audit log"), "the audit log page");
    await visible(
      session,
      main.getByRole("rowheader", { name: "access_review.complete" }),
      "the review's audit entry",
    );
    await main.getByLabel("Action").fill("api_token.revoke");
    await main.getByRole("button", { name: "Apply filters" }).click();
    await visible(session, main.getByRole("rowheader", { name: "api_token.revoke" }), "the filtered entry");
    // The unfiltered list already showed api_token.revoke: wait for the filtered one to replace it.
    await expect
      .poll(() => main.getByRole("rowheader", { name: "access_review.complete" }).count(), {
        timeout: UI_TIMEOUT_MS,
      })
      .toBe(0);
    await page.getByRole("button", { name: "Verify chain" }).click();
    await visible(session, page.getByText("The audit chain is intact."), "the verification result");
    await shot(page, "identity-audit");
  });

  it("passkey: registered on the Security page with a virtual authenticator, then used as the second factor", async () => {
    const session = need(admin, "the browser");
    const { page } = session;
    const main = page.getByRole("main");
    // Chromium's virtual authenticator (DevTools protocol) answers navigator.credentials like a platform key.
    const cdp = await session.context.newCDPSession(page);
    await cdp.send("WebAuthn.enable");
    await cdp.send("WebAuthn.addVirtualAuthenticator", {
      options: {
        protocol: "ctap2",
        transport: "internal",
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });

    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Security" }).click();
    await visible(session, heading(page, "Security"), "the security page");
    await visible(session, main.getByText("No passkey registered yet."), "the empty passkey list");
    await main.getByLabel("Name for the new passkey").fill("E2E virtual key");
    await main.getByRole("button", { name: "Register a passkey" }).click();
    await visible(session, main.getByText("The passkey was registered."), "the registration result");
    const passkeys = main.getByRole("region", { name: "Passkeys" }).getByRole("listitem");
    await visible(session, passkeys, "the registered passkey");
    expect(await passkeys.count()).toBe(1);

    await page.getByRole("banner").getByRole("button", { name: "Sign out" }).click();
    await signIn(session, ADMIN.email, ADMIN.password);
    await visible(session, heading(page, "Second factor"), "the second-factor page");
    await page.getByRole("button", { name: "Use a passkey" }).click();
    await visible(session, heading(page, "Dashboard"), "the dashboard after the passkey");
    await cdp.detach();
  });

  it("recorded no unexpected console errors, failed requests or CSP violations", () => {
    const allowed = [
      /HTTP 401 .*\/api\/auth\/(sign-in|mfa\/totp)$/,
      /status of 401.*\/api\/auth\/(sign-in|mfa\/totp)$/,
    ];
    const all = [...(admin?.problems ?? []), ...(viewer?.problems ?? [])];
    const left = unexpected(all, allowed);
    expect(left, formatProblems(left)).toEqual([]);
  });
});
