import { afterEach, describe, expect, it } from "vitest";
import { type IdentityWorld, OPERATOR, openIdentityWorld } from "../../test/support/identity.js";
import { STORES } from "../../test/support/stores.js";
import type { Actor } from "../access/authorize.js";
import { PERMISSIONS } from "../access/permissions.js";
import { MS } from "../platform/clock.js";
import { createApiTokens } from "./api-tokens.js";
import { CREDENTIAL_CACHE_TTL_MS } from "./credential-cache.js";
import { revokeAllForUser } from "./credentials-service.js";

const open: IdentityWorld[] = [];
afterEach(async () => {
  for (const w of open.splice(0)) await w.p.dispose();
});

for (const target of STORES) {
  describe.skipIf(target.skip)(`API token cache on ${target.name}`, () => {
    async function world() {
      const w = await openIdentityWorld(target.name);
      open.push(w);
      const apiTokens = createApiTokens({
        db: w.db,
        clock: w.p.clock,
        audit: w.audit,
        permissions: PERMISSIONS,
      });
      /** A token of `userId` for a1, used once so that it sits in the cache. */
      const cachedToken = async (userId: string) => {
        const { token, info } = await apiTokens.create(
          { id: "s-test", userId, mfaVerified: true },
          { name: "script", scopes: { accounts: [w.a1], permissions: ["orders:read"] }, ttlMs: MS.day },
        );
        await apiTokens.authenticate(token);
        const actor: Actor = { kind: "api_token", userId, tokenId: info.id, scopes: info.scopes };
        return { token, info, actor };
      };
      return { w, apiTokens, cachedToken };
    }

    it("serves a token from memory for at most the TTL when another process revokes it", async () => {
      const { w, apiTokens, cachedToken } = await world();
      const { token, info } = await cachedToken(w.users.viewer);
      // Another process (CLI, second instance) revokes by writing the row: this process is not told.
      await w.db
        .updateTable("api_tokens")
        .set({ revoked_at: w.p.clock.now().toISOString() })
        .where("id", "=", info.id)
        .execute();
      w.p.clock.advance(CREDENTIAL_CACHE_TTL_MS - 1);
      // Still within the documented bound: the cached entry answers (this is what the cache saves).
      await expect(apiTokens.authenticate(token)).resolves.toMatchObject({ id: info.id });
      w.p.clock.advance(1);
      await expect(apiTokens.authenticate(token)).rejects.toMatchObject({ code: "API_TOKEN_REVOKED" });
    });

    it("refuses a cached token at once after revoke() in this process", async () => {
      const { w, apiTokens, cachedToken } = await world();
      const { token, info } = await cachedToken(w.users.analyst);
      await apiTokens.revoke(w.users.analyst, info.id, w.users.analyst);
      await expect(apiTokens.authenticate(token)).rejects.toMatchObject({ code: "API_TOKEN_REVOKED" });
    });

    it("refuses a cached token at once after offboarding inside a transaction", async () => {
      const { w, apiTokens, cachedToken } = await world();
      const { token } = await cachedToken(w.users.fulfillment);
      await w.db.transaction().execute((trx) => revokeAllForUser(trx, w.users.fulfillment, w.p.clock.now()));
      await expect(apiTokens.authenticate(token)).rejects.toMatchObject({ code: "API_TOKEN_REVOKED" });
    });

    it("disabling the user or removing the role refuses the cached token's next request", async () => {
      const { w, apiTokens, cachedToken } = await world();
      const viewer = await cachedToken(w.users.viewer);
      const admin = await cachedToken(w.users.admin);
      await w.authorizer.authorize(w.db, viewer.actor, "orders:read", w.a1);
      await w.authorizer.authorize(w.db, admin.actor, "orders:read", w.a1);

      await w.identity.disableUser(OPERATOR, w.users.viewer);
      await expect(apiTokens.authenticate(viewer.token)).rejects.toMatchObject({ code: "API_TOKEN_REVOKED" });
      // Even an actor resolved before the change (a request in flight) is refused by the next authorize().
      await expect(w.authorizer.authorize(w.db, viewer.actor, "orders:read", w.a1)).rejects.toMatchObject({
        code: "USER_DISABLED",
      });

      await w.identity.removeRole(OPERATOR, { userId: w.users.admin, accountId: w.a1 });
      await expect(apiTokens.authenticate(admin.token)).rejects.toMatchObject({ code: "API_TOKEN_REVOKED" });
      await expect(w.authorizer.authorize(w.db, admin.actor, "orders:read", w.a1)).rejects.toMatchObject({
        code: "ACCOUNT_NOT_FOUND",
      });
    });

    it("checks expiry on every use, cached or not", async () => {
      const { w, apiTokens } = await world();
      const { token } = await apiTokens.create(
        { id: "s-test", userId: w.users.owner, mfaVerified: true },
        { name: "short", scopes: { accounts: [w.a1], permissions: ["team:read"] }, ttlMs: MS.hour },
      );
      w.p.clock.advance(MS.hour - 1_000);
      await apiTokens.authenticate(token);
      w.p.clock.advance(1_000);
      await expect(apiTokens.authenticate(token)).rejects.toMatchObject({ code: "API_TOKEN_EXPIRED" });
    });
  });
}
