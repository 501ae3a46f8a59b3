import { Secret, TOTP } from "otpauth";
import { afterEach, describe, expect, it } from "vitest";
import { type CredentialsFixture, openCredentialsFixture } from "../../test/support/identity-credentials.js";
import { STORES } from "../../test/support/stores.js";
import { MS } from "../platform/clock.js";
import { rotateAccountDataKey } from "../protection/key-rotation.js";
import { INSTANCE_ACCOUNT } from "../secrets/secrets-store.js";
import { totpSecretRef } from "./totp.js";

const open: CredentialsFixture[] = [];
afterEach(async () => {
  for (const f of open.splice(0)) await f.dispose();
});

function secretOf(uri: string): string {
  const secret = new URL(uri).searchParams.get("secret");
  if (!secret) throw new Error("no secret in URI");
  return secret;
}

/** What the phone shows at `ms` (offset in 30-second steps from it). */
function codeAt(secret: string, ms: number, steps = 0): string {
  return TOTP.generate({ secret: Secret.fromBase32(secret), timestamp: ms + steps * 30_000 });
}

for (const target of STORES) {
  describe.skipIf(target.skip)(`TOTP on ${target.name}`, () => {
    async function enrolled(confirm = true) {
      const f = await openCredentialsFixture(target.name);
      open.push(f);
      const enrollment = await f.totp.enroll("u1", "mara@example.com");
      const secret = secretOf(enrollment.uri);
      if (confirm) {
        await f.totp.confirm("u1", codeAt(secret, f.clock.now().getTime()));
        // Move to a fresh step so the confirmation code is not the one under test.
        f.clock.advance(30 * MS.second);
      }
      return { f, enrollment, secret };
    }

    it("enrolls with an otpauth URI, an SVG QR code and a secret sealed at rest", async () => {
      const { f, enrollment, secret } = await enrolled(false);
      const uri = new URL(enrollment.uri);
      expect(uri.protocol).toBe("otpauth:");
      expect(uri.searchParams.get("issuer")).toBe("Seller Pilot");
      expect(uri.searchParams.get("digits")).toBe("6");
      expect(uri.searchParams.get("period")).toBe("30");
      expect(secret).toMatch(/^[A-Z2-7]{32}$/);
      expect(enrollment.qrSvg).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
      expect(enrollment.qrDataUrl.startsWith("data:image/svg+xml;base64,")).toBe(true);
      const row = await f.db.selectFrom("mfa_totp").selectAll().executeTakeFirstOrThrow();
      expect(row.secret).toMatch(/^sp1:v1:/);
      expect(row.secret).not.toContain(secret);
      expect(row.confirmed).toBe(0);
      expect(await f.totp.isEnrolled("u1")).toBe(false);
      // Copied to another user's row, the sealed secret does not open.
      await expect(f.p.fields.open(totpSecretRef("u2"), row.secret)).rejects.toMatchObject({
        code: "CIPHERTEXT_TAMPERED",
      });
      expect(JSON.stringify(f.events)).not.toContain(secret);
    });

    it("confirms only with a valid code, and refuses a second enrollment once confirmed", async () => {
      const { f, secret } = await enrolled(false);
      await expect(f.totp.verify("u1", codeAt(secret, f.clock.now().getTime()))).rejects.toMatchObject({
        code: "TOTP_NOT_ENROLLED",
      });
      await expect(f.totp.confirm("u1", "000000")).rejects.toMatchObject({ code: "TOTP_CODE_INVALID" });
      await f.totp.confirm("u1", codeAt(secret, f.clock.now().getTime()));
      expect(await f.totp.isEnrolled("u1")).toBe(true);
      await expect(f.totp.enroll("u1", "mara@example.com")).rejects.toMatchObject({
        code: "TOTP_ALREADY_ENROLLED",
      });
    });

    it("accepts codes one step either side, not two", async () => {
      const { f, secret } = await enrolled();
      const now = () => f.clock.now().getTime();
      f.clock.advance(10 * 30_000);
      await expect(f.totp.verify("u1", codeAt(secret, now(), 2))).rejects.toMatchObject({
        code: "TOTP_CODE_INVALID",
      });
      await f.totp.verify("u1", codeAt(secret, now(), -1));
      f.clock.advance(5 * 30_000);
      await expect(f.totp.verify("u1", codeAt(secret, now(), -2))).rejects.toMatchObject({
        code: "TOTP_CODE_INVALID",
      });
      await f.totp.verify("u1", codeAt(secret, now(), 1));
    });

    it("refuses a replayed code and any code of an older step", async () => {
      const { f, secret } = await enrolled();
      const t = f.clock.now().getTime();
      const code = codeAt(secret, t);
      await f.totp.verify("u1", code);
      await expect(f.totp.verify("u1", code)).rejects.toMatchObject({ code: "TOTP_CODE_REPLAYED" });
      // Still inside the window, but not newer than the step already used.
      await expect(f.totp.verify("u1", codeAt(secret, t, -1))).rejects.toMatchObject({
        code: "TOTP_CODE_REPLAYED",
      });
      f.clock.advance(30_000);
      await expect(f.totp.verify("u1", code)).rejects.toMatchObject({ code: "TOTP_CODE_REPLAYED" });
      await f.totp.verify("u1", codeAt(secret, f.clock.now().getTime()));
      const refusals = f.events.filter((e) => e.action === "mfa.totp.verify" && e.outcome === "failure");
      expect(refusals.map((e) => e.reason)).toEqual([
        "TOTP_CODE_REPLAYED",
        "TOTP_CODE_REPLAYED",
        "TOTP_CODE_REPLAYED",
      ]);
      expect(JSON.stringify(f.events)).not.toContain(code);
    });

    it("lets only one of two concurrent uses of the same code through", async () => {
      const { f, secret } = await enrolled();
      const code = codeAt(secret, f.clock.now().getTime());
      const results = await Promise.allSettled([f.totp.verify("u1", code), f.totp.verify("u1", code)]);
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    });

    it("refuses codes of every wrong shape without trying them", async () => {
      const { f } = await enrolled();
      for (const bad of [
        "",
        "12345",
        "1234567",
        "abcdef",
        " 123456",
        "12345\n",
        "１２３４５６",
        null,
        123456,
      ]) {
        await expect(f.totp.verify("u1", bad as string)).rejects.toMatchObject({ code: "TOTP_CODE_INVALID" });
      }
    });

    it("keeps working after the instance data key is rotated: its secrets are re-sealed", async () => {
      const { f, secret } = await enrolled();
      const deps = {
        db: f.db,
        dataKeys: f.p.dataKeys,
        fields: f.p.fields,
        secrets: f.p.secrets,
        audit: f.audit,
        clock: f.clock,
      };
      const options = { batchSize: 10, actor: "test", onProgress: () => undefined };
      const first = await rotateAccountDataKey(deps, INSTANCE_ACCOUNT, options);
      expect(first.resealed).toBeGreaterThanOrEqual(1);
      f.clock.advance(MS.minute);
      const second = await rotateAccountDataKey(deps, INSTANCE_ACCOUNT, options);
      expect(second.retired).toEqual([1]);
      const row = await f.db.selectFrom("mfa_totp").selectAll().executeTakeFirstOrThrow();
      expect(row.secret).toMatch(/^sp1:v2:/);
      await f.totp.verify("u1", codeAt(secret, f.clock.now().getTime()));
    });

    it("can be removed, after which it must be enrolled again", async () => {
      const { f } = await enrolled();
      await f.totp.remove("u1", "admin-1");
      expect(await f.totp.isEnrolled("u1")).toBe(false);
      await expect(f.totp.remove("u1", "admin-1")).rejects.toMatchObject({ code: "TOTP_NOT_ENROLLED" });
    });
  });
}
