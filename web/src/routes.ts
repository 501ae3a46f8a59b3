// The route registry: every page of the app is one entry here, and the navigation is built from it.
// To add a page, add one line: { path: "/orders", label: "Orders", component: OrdersPage }.
import type { ComponentType } from "react";
import { StatusPage } from "./pages/StatusPage";

export interface RouteDef {
  /** Exact client path, without a trailing slash (the root is "/"). */
  path: string;
  /** Navigation label; also the page title. */
  label: string;
  component: ComponentType;
}

export const routes: readonly RouteDef[] = [{ path: "/", label: "Status", component: StatusPage }];

export function matchRoute(path: string): RouteDef | undefined {
  return routes.find((route) => route.path === path);
}
