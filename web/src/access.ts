// Which routes a session may see: the one rule behind both the navigation and the page gate.
import type { Access, RouteDef } from "./routes";
import { hasPermission, type SessionState } from "./session";

export type Verdict = "show" | "sign-in" | "step" | "not-allowed" | "signed-in";

export function verdict(access: Access, session: Pick<SessionState, "info" | "accounts">): Verdict {
  const { info } = session;
  switch (access) {
    case "public":
      return "show";
    case "guest":
      return info.signedIn ? "signed-in" : "show";
    case "flow":
      return info.signedIn || info.pending ? "show" : "sign-in";
    default:
      if (!info.signedIn) return info.pending ? "step" : "sign-in";
      // Signed in with an expired (or admin-reset) password: nothing else until it is changed.
      if (info.next === "change_password") return "step";
      if (access === "authenticated") return "show";
      return hasPermission(session, access) ? "show" : "not-allowed";
  }
}

export function navEntries(
  all: readonly RouteDef[],
  session: Pick<SessionState, "info" | "accounts">,
): RouteDef[] {
  return all.filter((route) => route.nav !== false && verdict(route.access, session) === "show");
}
