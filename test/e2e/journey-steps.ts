// Steps of the whole-journey test that read better by name: finding an order on the orders page, reading an
// audit entry in the audit viewer, running retention at a moved clock.
import type { Locator } from "playwright-core";
import { expect } from "vitest";
import type { BrowserSession } from "./browser.js";
import { heading, need, visible } from "./identity-flow.js";
import type { RunningServer } from "./server.js";

/** The orders page of an account, narrowed to one order by the search box; returns its list row. */
export async function findOrder(
  session: BrowserSession,
  srv: RunningServer,
  accountId: string,
  orderId: string,
): Promise<Locator> {
  const { page } = session;
  await page.goto(`${srv.url}/orders?account=${encodeURIComponent(accountId)}`, { waitUntil: "load" });
  await visible(session, heading(page, "Orders"), "the orders page");
  const main = page.getByRole("main");
  await main.getByLabel("Search order id or SKU").fill(orderId);
  await main.getByRole("button", { name: "Apply" }).click();
  const rows = main.getByRole("table", { name: "Orders, newest first" }).getByRole("row");
  await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(2); // header + the order
  return main.getByRole("row", { name: new RegExp(orderId) });
}

/** Opens the order's panel from its list row and returns the panel. */
export async function openOrder(session: BrowserSession, row: Locator, orderId: string): Promise<Locator> {
  await row.getByRole("button", { name: orderId }).click();
  const panel = session.page.getByRole("region", { name: `Order ${orderId}` });
  await visible(session, panel.getByTestId("ship-to"), "the order panel");
  return panel;
}

/** The audit viewer filtered by action; returns the entries' rows (header excluded). */
export async function auditEntries(
  session: BrowserSession,
  srv: RunningServer,
  action: string,
): Promise<Locator> {
  const { page } = session;
  await page.goto(`${srv.url}/audit`, { waitUntil: "load" });
  await visible(session, heading(page, "Audit log"), "the audit viewer");
  const main = page.getByRole("main");
  await main.getByLabel("Action").fill(action);
  await main.getByRole("button", { name: "Apply filters" }).click();
  const table = main.getByRole("table", { name: "Audit entries" });
  await visible(session, table.getByRole("rowheader", { name: action }), `an ${action} entry`);
  return table.locator("tbody tr");
}

export interface RetentionReceipt {
  receiptHash: string;
  policyVersion: string;
  deleted: Record<string, number>;
}

/** `seller-pilot retention run --at ISO --json`: the purge as it would run at that moment. */
export async function retentionRunAt(srv: RunningServer, at: Date): Promise<RetentionReceipt> {
  const run = await srv.cli(["retention", "run", "--at", at.toISOString(), "--json"], { timeoutMs: 120_000 });
  expect(run.code, `${run.stderr}\n${run.stdout}`).toBe(0);
  const out = JSON.parse(run.stdout) as {
    receiptHash?: string;
    receipt?: { policyVersion?: string; deleted?: Record<string, number> };
  };
  return {
    receiptHash: need(out.receiptHash, "the receipt hash"),
    policyVersion: need(out.receipt?.policyVersion, "the policy version"),
    deleted: need(out.receipt?.deleted, "the deletion counts"),
  };
}
