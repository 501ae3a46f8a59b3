import { Secret, TOTP } from "otpauth";
import { afterEach, describe, expect, it } from "vitest";
import { type CredentialsFixture, openCredentialsFixture } from "../../test/support/identity-credentials.js";
import { createSoftAuthenticator } from "../../test/support/soft-authenticator.js";
import { STORES } from "../../test/support/stores.js";
import { MS } from "../platform/clock.js";
import { createCredentialsService } from "./credentials-service.js";
import { LOCKOUT_POLICY } from "./lockout.js";

const open: CredentialsFixture[] = [];
afterEach(async () => {
  for (const f of open.splice(0)) await f.dispose();
});

const owner = { name: "Mara Quell", email: "mara@example.com" };
const password = "Sturdy-Lantern-42";
const rp = { rpID: "pilot.example", origin: "https://pilot.example" };

for (const target of STORES) {
  describe.skipIf(target.skip)(`sign-in flow on ${target.name}`, () => {
    async function fixture() {
      const f = await openCredentialsFixture(target.name);
      open.push(f);
      const service = createCredentialsService(f);
      await f.passwords.set("u1", password, { owner, actor: "admin", reason: "initial" });
      return { f, service };
    }

    /** First sign-in: password, then TOTP enrollment completes the second factor. */
    async function enrolled() {
      const { f, service } = await fixture();
      const first = await service.signIn("u1", password);
      const enrollment = await service.startTotpEnrollment(first.pending.token, owner.email);
      const secret = new URL(enrollment.uri).searchParams.get("secret") as string;
      const code = (offset = 0) =>
        TOTP.generate({
          secret: Secret.fromBase32(secret),
          timestamp: f.clock.now().getTime() + offset * 30_000,
        });
      const confirmed = await service.confirmTotpEnrollment(first.pending.token, code());
      f.clock.advance(MS.minute);
      return { f, service, code, first, confirmed };
    }

    it("forces enrollment on the first sign-in; confirmation signs in and hands out recovery codes", async () => {
      const { f, first, confirmed } = await enrolled();
      expect(first).toMatchObject({ nextStep: "enroll_mfa", factors: [], passwordChangeRequired: null });
      expect(first.pending.session.state).toBe("pending_mfa");
      expect(confirmed.recoveryCodes).toHaveLength(10);
      expect(confirmed.session?.session).toMatchObject({ state: "active", mfaVerified: true });
      await f.sessions.authenticate(confirmed.session?.token);
      await expect(f.sessions.authenticate(first.pending.token)).rejects.toMatchObject({
        code: "SESSION_INVALID",
      });
    });

    it("signs in with password then TOTP, and the pending session is never signed in", async () => {
      const { f, service, code } = await enrolled();
      const second = await service.signIn("u1", password);
      expect(second).toMatchObject({ nextStep: "second_factor", factors: ["totp", "recovery_code"] });
      await expect(f.sessions.authenticate(second.pending.token)).rejects.toMatchObject({
        code: "MFA_REQUIRED",
      });
      await expect(
        service.createApiToken(second.pending.token, {
          name: "x",
          scopes: { accounts: ["a"], permissions: ["orders.read"] },
          ttlMs: MS.day,
        }),
      ).rejects.toMatchObject({ code: "MFA_REQUIRED" });
      const signedIn = await service.completeSecondFactor(second.pending.token, {
        kind: "totp",
        code: code(),
      });
      expect(await f.sessions.authenticate(signedIn.token)).toMatchObject({
        userId: "u1",
        mfaVerified: true,
      });
      const { token } = await service.createApiToken(signedIn.token, {
        name: "script",
        scopes: { accounts: ["a"], permissions: ["orders.read"] },
        ttlMs: MS.day,
      });
      expect((await f.apiTokens.authenticate(token)).userId).toBe("u1");
    });

    it("does not let a pending session add a new factor once one exists", async () => {
      const { f, service } = await enrolled();
      const second = await service.signIn("u1", password);
      await expect(service.startTotpEnrollment(second.pending.token, owner.email)).rejects.toMatchObject({
        code: "MFA_REQUIRED",
      });
      await expect(f.passkeys.hasAny("u1")).resolves.toBe(false);
    });

    it("completes the second factor with a recovery code once, or with a passkey", async () => {
      const { f, service, confirmed } = await enrolled();
      const recovery = confirmed.recoveryCodes?.[0] as string;
      const a = await service.signIn("u1", password);
      await service.completeSecondFactor(a.pending.token, { kind: "recovery_code", code: recovery });
      const b = await service.signIn("u1", password);
      await expect(
        service.completeSecondFactor(b.pending.token, { kind: "recovery_code", code: recovery }),
      ).rejects.toMatchObject({ code: "RECOVERY_CODE_INVALID" });

      const auth = createSoftAuthenticator(rp.origin);
      const cred = auth.newCredential();
      await f.passkeys.verifyRegistration(
        "u1",
        auth.register(cred, await f.passkeys.registrationOptions("u1", { name: owner.email }, rp)),
        rp,
      );
      const c = await service.signIn("u1", password);
      expect(c.factors).toEqual(["totp", "passkey", "recovery_code"]);
      const options = await f.passkeys.authenticationOptions("u1", rp);
      const done = await service.completeSecondFactor(c.pending.token, {
        kind: "passkey",
        response: auth.assert(cred, options),
        rp,
      });
      expect(done.session.mfaVerified).toBe(true);
    });

    it("enrolls a passkey on the first sign-in, then signs in with it", async () => {
      const { f, service } = await fixture();
      const auth = createSoftAuthenticator(rp.origin);
      const cred = auth.newCredential();
      const first = await service.signIn("u1", password);
      expect(first.nextStep).toBe("enroll_mfa");
      const options = await service.startPasskeyEnrollment(first.pending.token, { name: owner.email }, rp);
      const done = await service.confirmPasskeyEnrollment(
        first.pending.token,
        auth.register(cred, options),
        rp,
      );
      expect(done.recoveryCodes).toHaveLength(10);
      await f.sessions.authenticate(done.session?.token);
      // Adding TOTP later from the signed-in session keeps the printed recovery codes valid.
      const enrollment = await service.startTotpEnrollment(done.session?.token as string, owner.email);
      const secret = Secret.fromBase32(new URL(enrollment.uri).searchParams.get("secret") as string);
      const added = await service.confirmTotpEnrollment(
        done.session?.token as string,
        TOTP.generate({ secret, timestamp: f.clock.now().getTime() }),
      );
      expect(added).toEqual({ session: null, recoveryCodes: null });
      expect(await f.recoveryCodes.remaining("u1")).toBe(10);

      const next = await service.signIn("u1", password);
      expect(next.factors).toEqual(["totp", "passkey", "recovery_code"]);
      const assertion = auth.assert(cred, await f.passkeys.authenticationOptions("u1", rp));
      await service.completeSecondFactor(next.pending.token, { kind: "passkey", response: assertion, rp });
    });

    it("answers an unknown user exactly like a wrong password", async () => {
      const { f, service } = await fixture();
      await expect(service.signIn(null, password)).rejects.toMatchObject({
        code: "INVALID_CREDENTIALS",
        status: 401,
      });
      await expect(service.signIn("u1", "Wrong-Lantern-42")).rejects.toMatchObject({
        code: "INVALID_CREDENTIALS",
      });
      expect(await f.sessions.list("u1")).toEqual([]);
      expect(JSON.stringify(f.events)).not.toContain("Lantern");
    });

    it("locks after 10 failures across password and second factor; the password alone does not reset the count", async () => {
      const { f, service, code } = await enrolled();
      for (let i = 0; i < 5; i += 1) {
        await expect(service.signIn("u1", `Wrong-Lantern-${i}`)).rejects.toMatchObject({
          code: "INVALID_CREDENTIALS",
        });
      }
      const pending = await service.signIn("u1", password);
      for (let i = 0; i < 4; i += 1) {
        await expect(
          service.completeSecondFactor(pending.pending.token, { kind: "totp", code: "000000" }),
        ).rejects.toMatchObject({ code: "TOTP_CODE_INVALID" });
      }
      // The 10th failure locks, and says so.
      await expect(
        service.completeSecondFactor(pending.pending.token, { kind: "recovery_code", code: "nope" }),
      ).rejects.toMatchObject({ code: "USER_LOCKED" });
      await expect(service.signIn("u1", password)).rejects.toMatchObject({ code: "USER_LOCKED" });
      await expect(
        service.completeSecondFactor(pending.pending.token, { kind: "totp", code: code() }),
      ).rejects.toMatchObject({ code: "USER_LOCKED" });

      f.clock.advance(LOCKOUT_POLICY.coolDownMs);
      const again = await service.signIn("u1", password);
      await service.completeSecondFactor(again.pending.token, { kind: "totp", code: code() });
      expect(await f.lockout.state("u1")).toMatchObject({ failures: 0, locked: false });
    });

    it("reports a required change for an old or reset password, and changing it rotates the session", async () => {
      const { f, service, code } = await enrolled();
      f.clock.advance(365 * MS.day);
      const old = await service.signIn("u1", password);
      expect(old.passwordChangeRequired).toBe("expired");
      const signedIn = await service.completeSecondFactor(old.pending.token, { kind: "totp", code: code() });
      await expect(
        service.changePassword(signedIn.token, "Not-The-Password-1", "Brand-New-Lantern-7", owner),
      ).rejects.toMatchObject({
        code: "INVALID_CREDENTIALS",
      });
      await expect(service.changePassword(signedIn.token, password, password, owner)).rejects.toMatchObject({
        code: "PASSWORD_REUSED",
      });
      const rotated = await service.changePassword(signedIn.token, password, "Brand-New-Lantern-7", owner);
      await expect(f.sessions.authenticate(signedIn.token)).rejects.toMatchObject({
        code: "SESSION_INVALID",
      });
      await f.sessions.authenticate(rotated.token);
      f.clock.advance(MS.minute);
      expect((await service.signIn("u1", "Brand-New-Lantern-7")).passwordChangeRequired).toBeNull();
      await f.passwords.set("u1", "Admin-Set-Lantern-9", { owner, actor: "admin", reason: "admin_reset" });
      expect((await service.signIn("u1", "Admin-Set-Lantern-9")).passwordChangeRequired).toBe("reset");
    });
  });
}
