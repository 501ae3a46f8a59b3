// The route registry: every page of the app is one entry here, and the navigation is built from it.
// To add a page, add one line: { path: "/orders", label: "Orders", component: OrdersPage, access: "orders:read" }.
// `access` is what the page needs; a user without it does not see the nav entry and gets the not-allowed
// page if they open the address directly. The server still checks every request on its own.
import type { ComponentType } from "react";
import { AccessReviewPage } from "./pages/AccessReviewPage";
import { AccountsPage } from "./pages/AccountsPage";
import { ApiTokensPage } from "./pages/ApiTokensPage";
import { AuditLogPage } from "./pages/AuditLogPage";
import { ChangePasswordPage } from "./pages/ChangePasswordPage";
import { DashboardPage } from "./pages/DashboardPage";
import { EnrollMfaPage } from "./pages/EnrollMfaPage";
import { FbmQueuePage } from "./pages/FbmQueuePage";
import { FinancesPage } from "./pages/FinancesPage";
import { IncidentsPage } from "./pages/IncidentsPage";
import { InventoryPage } from "./pages/InventoryPage";
import { InvitationAcceptPage } from "./pages/InvitationAcceptPage";
import { OrdersPage } from "./pages/OrdersPage";
import { PricingPage } from "./pages/PricingPage";
import { RecoveryCodesPage } from "./pages/RecoveryCodesPage";
import { RetentionPage } from "./pages/RetentionPage";
import { SecondFactorPage } from "./pages/SecondFactorPage";
import { SecurityPage } from "./pages/SecurityPage";
import { SignInPage } from "./pages/SignInPage";
import { StatusPage } from "./pages/StatusPage";
import { SyncHealthPage } from "./pages/SyncHealthPage";
import { TeamPage } from "./pages/TeamPage";
import type { Permission } from "./permissions";

/**
 * public: anyone, signed in or not. guest: the sign-in page (signed-in users are sent on).
 * flow: a step of the sign-in flow (needs a pending or complete session). authenticated: signed in with the
 * second factor done. A permission: signed in and holding it on at least one seller account.
 */
export type Access = "public" | "guest" | "flow" | "authenticated" | Permission;

export interface RouteDef {
  /** Exact client path, without a trailing slash (the root is "/"). */
  path: string;
  /** Navigation label; also the page title. */
  label: string;
  component: ComponentType;
  access: Access;
  /** false: reachable by address or from a flow, never listed in the navigation. */
  nav?: boolean;
}

export const routes: readonly RouteDef[] = [
  { path: "/dashboard", label: "Dashboard", component: DashboardPage, access: "authenticated" },
  { path: "/accounts", label: "Seller accounts", component: AccountsPage, access: "authenticated" },
  { path: "/orders", label: "Orders", component: OrdersPage, access: "orders:read" },
  { path: "/fbm-queue", label: "FBM queue", component: FbmQueuePage, access: "orders:ship" },
  { path: "/inventory", label: "Inventory", component: InventoryPage, access: "inventory:read" },
  { path: "/pricing", label: "Pricing", component: PricingPage, access: "pricing:read" },
  { path: "/finances", label: "Finances", component: FinancesPage, access: "finances:read" },
  { path: "/sync-health", label: "Sync health", component: SyncHealthPage, access: "orders:read" },
  { path: "/team", label: "Team & roles", component: TeamPage, access: "team:read" },
  {
    path: "/access-review",
    label: "Access review",
    component: AccessReviewPage,
    access: "access_review:perform",
  },
  { path: "/audit", label: "Audit log", component: AuditLogPage, access: "audit:read" },
  { path: "/incidents", label: "Incidents", component: IncidentsPage, access: "incidents:read" },
  { path: "/retention", label: "Data & retention", component: RetentionPage, access: "authenticated" },
  { path: "/tokens", label: "API tokens", component: ApiTokensPage, access: "authenticated" },
  { path: "/account/security", label: "Security", component: SecurityPage, access: "authenticated" },
  { path: "/", label: "Status", component: StatusPage, access: "public" },
  { path: "/sign-in", label: "Sign in", component: SignInPage, access: "guest" },
  {
    path: "/sign-in/verify",
    label: "Second factor",
    component: SecondFactorPage,
    access: "flow",
    nav: false,
  },
  {
    path: "/sign-in/enroll-mfa",
    label: "Set up two-factor authentication",
    component: EnrollMfaPage,
    access: "flow",
    nav: false,
  },
  {
    path: "/sign-in/recovery-codes",
    label: "Recovery codes",
    component: RecoveryCodesPage,
    access: "flow",
    nav: false,
  },
  {
    path: "/sign-in/change-password",
    label: "Change your password",
    component: ChangePasswordPage,
    access: "flow",
    nav: false,
  },
  {
    path: "/enroll",
    label: "Accept invitation",
    component: InvitationAcceptPage,
    access: "public",
    nav: false,
  },
];

export function matchRoute(path: string): RouteDef | undefined {
  return routes.find((route) => route.path === path);
}
