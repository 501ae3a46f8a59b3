import { afterEach, describe, expect, it } from "vitest";
import { type CredentialsFixture, openCredentialsFixture } from "../../test/support/identity-credentials.js";
import { createSoftAuthenticator } from "../../test/support/soft-authenticator.js";
import { STORES } from "../../test/support/stores.js";
import { PASSKEY_POLICY } from "./passkeys.js";

const open: CredentialsFixture[] = [];
afterEach(async () => {
  for (const f of open.splice(0)) await f.dispose();
});

const rp = { rpID: "pilot.example", origin: "https://pilot.example" };
const user = { name: "mara@example.com", displayName: "Mara" };

for (const target of STORES) {
  describe.skipIf(target.skip)(`passkeys on ${target.name}`, () => {
    async function fixture() {
      const f = await openCredentialsFixture(target.name);
      open.push(f);
      return { f, auth: createSoftAuthenticator(rp.origin) };
    }

    async function registered(
      f: CredentialsFixture,
      auth: ReturnType<typeof createSoftAuthenticator>,
      userId = "u1",
    ) {
      const cred = auth.newCredential();
      const options = await f.passkeys.registrationOptions(userId, user, rp);
      const info = await f.passkeys.verifyRegistration(userId, auth.register(cred, options), rp);
      return { cred, info };
    }

    it("generates registration options for the relying party with a stored, expiring challenge", async () => {
      const { f } = await fixture();
      const options = await f.passkeys.registrationOptions("u1", user, rp);
      expect(options).toMatchObject({
        rp: { id: "pilot.example", name: "Seller Pilot" },
        user: { name: "mara@example.com", displayName: "Mara" },
        attestation: "none",
        timeout: PASSKEY_POLICY.challengeTtlMs,
      });
      expect(options.challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const row = await f.db.selectFrom("webauthn_challenges").selectAll().executeTakeFirstOrThrow();
      expect(row).toMatchObject({ challenge: options.challenge, user_id: "u1", kind: "registration" });
      expect(Date.parse(row.expires_at) - f.clock.now().getTime()).toBe(PASSKEY_POLICY.challengeTtlMs);
    });

    it("registers a credential, stores its key, counter and transports, and excludes it next time", async () => {
      const { f, auth } = await fixture();
      const { cred, info } = await registered(f, auth);
      expect(info).toMatchObject({ id: cred.id.toString("base64url"), transports: ["internal"] });
      const row = await f.db.selectFrom("passkey_credentials").selectAll().executeTakeFirstOrThrow();
      expect(row).toMatchObject({ user_id: "u1", counter: 0, transports: '["internal"]' });
      expect(row.public_key.length).toBeGreaterThan(40);
      const again = await f.passkeys.registrationOptions("u1", user, rp);
      expect(await f.passkeys.list("u1")).toHaveLength(1);
      expect(again.excludeCredentials?.map((c) => c.id)).toEqual([info.id]);
      // The same authenticator credential cannot be registered twice (for this or another user).
      await expect(f.passkeys.verifyRegistration("u1", auth.register(cred, again), rp)).rejects.toMatchObject(
        {
          code: "PASSKEY_VERIFICATION_FAILED",
        },
      );
      const forU2 = await f.passkeys.registrationOptions("u2", user, rp);
      await expect(f.passkeys.verifyRegistration("u2", auth.register(cred, forU2), rp)).rejects.toMatchObject(
        {
          code: "PASSKEY_VERIFICATION_FAILED",
        },
      );
      expect(await f.passkeys.hasAny("u1")).toBe(true);
    });

    it("verifies an assertion and refuses a replayed challenge and a cloned (non-advancing) counter", async () => {
      const { f, auth } = await fixture();
      const { cred } = await registered(f, auth);
      const options = await f.passkeys.authenticationOptions("u1", rp);
      expect(options.allowCredentials?.map((c) => c.id)).toEqual([cred.id.toString("base64url")]);
      const assertion = auth.assert(cred, options);
      await f.passkeys.verifyAuthentication("u1", assertion, rp);
      const row = await f.db.selectFrom("passkey_credentials").selectAll().executeTakeFirstOrThrow();
      expect(row.counter).toBe(1);
      expect(row.last_used_at).toBe(f.clock.now().toISOString());
      // Same response again: its challenge was spent.
      await expect(f.passkeys.verifyAuthentication("u1", assertion, rp)).rejects.toMatchObject({
        code: "PASSKEY_CHALLENGE_INVALID",
      });
      // A clone replaying an old counter value with a fresh challenge.
      const fresh = await f.passkeys.authenticationOptions("u1", rp);
      cred.counter = 0;
      await expect(f.passkeys.verifyAuthentication("u1", auth.assert(cred, fresh), rp)).rejects.toMatchObject(
        {
          code: "PASSKEY_VERIFICATION_FAILED",
        },
      );
    });

    it("refuses an expired challenge, another user's challenge and a wrong origin", async () => {
      const { f, auth } = await fixture();
      const cred = auth.newCredential();
      const options = await f.passkeys.registrationOptions("u1", user, rp);
      f.clock.advance(PASSKEY_POLICY.challengeTtlMs);
      await expect(
        f.passkeys.verifyRegistration("u1", auth.register(cred, options), rp),
      ).rejects.toMatchObject({
        code: "PASSKEY_CHALLENGE_INVALID",
      });
      const mine = await f.passkeys.registrationOptions("u1", user, rp);
      await expect(f.passkeys.verifyRegistration("u2", auth.register(cred, mine), rp)).rejects.toMatchObject({
        code: "PASSKEY_CHALLENGE_INVALID",
      });
      const fresh = await f.passkeys.registrationOptions("u1", user, rp);
      await expect(
        f.passkeys.verifyRegistration("u1", auth.register(cred, fresh), {
          ...rp,
          origin: "https://evil.example",
        }),
      ).rejects.toMatchObject({ code: "PASSKEY_VERIFICATION_FAILED" });
      expect(await f.passkeys.hasAny("u1")).toBe(false);
    });

    it("refuses an unknown credential and another user's credential", async () => {
      const { f, auth } = await fixture();
      const { cred } = await registered(f, auth, "u1");
      const stranger = auth.newCredential();
      const options = await f.passkeys.authenticationOptions("u1", rp);
      await expect(
        f.passkeys.verifyAuthentication("u1", auth.assert(stranger, options), rp),
      ).rejects.toMatchObject({
        code: "PASSKEY_UNKNOWN_CREDENTIAL",
      });
      const forU2 = await f.passkeys.authenticationOptions("u2", rp);
      await expect(f.passkeys.verifyAuthentication("u2", auth.assert(cred, forU2), rp)).rejects.toMatchObject(
        {
          code: "PASSKEY_UNKNOWN_CREDENTIAL",
        },
      );
      for (const bad of [null, {}, { id: 5 }, { id: "x", response: {} }]) {
        await expect(f.passkeys.verifyAuthentication("u1", bad as never, rp)).rejects.toMatchObject({
          code: "PASSKEY_UNKNOWN_CREDENTIAL",
        });
      }
      expect(f.events.filter((e) => e.reason === "PASSKEY_UNKNOWN_CREDENTIAL")).toHaveLength(6);
    });

    it("a new ceremony cancels the previous challenge of the same kind", async () => {
      const { f, auth } = await fixture();
      const cred = auth.newCredential();
      const first = await f.passkeys.registrationOptions("u1", user, rp);
      await f.passkeys.registrationOptions("u1", user, rp);
      await expect(f.passkeys.verifyRegistration("u1", auth.register(cred, first), rp)).rejects.toMatchObject(
        {
          code: "PASSKEY_CHALLENGE_INVALID",
        },
      );
    });

    it("purges expired challenges and keeps live ones", async () => {
      const { f } = await fixture();
      await f.passkeys.registrationOptions("u1", user, rp);
      await f.passkeys.authenticationOptions("u2", rp);
      f.clock.advance(PASSKEY_POLICY.challengeTtlMs);
      const live = await f.passkeys.authenticationOptions("u3", rp);
      expect(await f.passkeys.purgeExpiredChallenges()).toBe(2);
      const left = await f.db.selectFrom("webauthn_challenges").select("challenge").execute();
      expect(left).toEqual([{ challenge: live.challenge }]);
    });

    it("removes a passkey only for its owner", async () => {
      const { f, auth } = await fixture();
      const { info } = await registered(f, auth);
      await expect(f.passkeys.remove("u2", info.id, "u2")).rejects.toMatchObject({
        code: "PASSKEY_NOT_FOUND",
      });
      await f.passkeys.remove("u1", info.id, "u1");
      expect(await f.passkeys.list("u1")).toEqual([]);
    });
  });
}
