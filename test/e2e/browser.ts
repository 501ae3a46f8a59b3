// Headless Debian Chromium driven by playwright-core, with every console error, uncaught page error,
// CSP violation and failed request recorded so tests can assert that none happened.
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";

export type ProblemKind = "console" | "pageerror" | "csp" | "requestfailed" | "http";

export interface Problem {
  kind: ProblemKind;
  text: string;
  url?: string;
}

export interface BrowserSession {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Everything that went wrong in the page so far, in order. */
  problems: Problem[];
  close(): Promise<void>;
}

const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-quic",
  "--no-first-run",
  "--disable-component-update",
  "--disable-sync",
];

// Runs in every document before its own scripts; reports CSP violations through an exposed binding.
// Playwright's init scripts are not subject to the page's CSP.
const CSP_REPORTER = `
  document.addEventListener("securitypolicyviolation", (event) => {
    const report = globalThis.__sellerPilotReportCspViolation;
    if (typeof report === "function") {
      report([event.effectiveDirective, event.blockedURI || "(inline)", event.sourceFile || ""].join(" | "));
    }
  });
`;

export async function openBrowser(
  options: { viewport?: { width: number; height: number } } = {},
): Promise<BrowserSession> {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: CHROMIUM_ARGS,
  });
  try {
    const context = await browser.newContext({
      ignoreHTTPSErrors: true, // the development certificate is self-signed
      viewport: options.viewport ?? { width: 1280, height: 800 },
      locale: "en-US",
      colorScheme: "light",
    });
    const problems: Problem[] = [];

    await context.exposeFunction("__sellerPilotReportCspViolation", (text: unknown) => {
      problems.push({ kind: "csp", text: `CSP violation: ${String(text)}` });
    });
    await context.addInitScript({ content: CSP_REPORTER });

    const page = await context.newPage();
    page.on("console", (message) => {
      const text = message.text();
      if (/content security policy/i.test(text)) {
        problems.push({ kind: "csp", text, url: message.location().url });
      } else if (message.type() === "error") {
        problems.push({ kind: "console", text, url: message.location().url });
      }
    });
    page.on("pageerror", (error) => {
      problems.push({ kind: "pageerror", text: error.stack ?? error.message });
    });
    page.on("requestfailed", (request) => {
      const failure = request.failure()?.errorText ?? "unknown failure";
      // A request cancelled because the page navigated away is not a failure of the app.
      if (failure === "net::ERR_ABORTED") return;
      problems.push({ kind: "requestfailed", text: failure, url: request.url() });
    });
    page.on("response", (response) => {
      if (response.status() >= 400) {
        problems.push({ kind: "http", text: `HTTP ${response.status()}`, url: response.url() });
      }
    });

    return {
      browser,
      context,
      page,
      problems,
      close: async () => {
        await context.close().catch(() => undefined);
        await browser.close();
      },
    };
  } catch (error) {
    await browser.close();
    throw error;
  }
}

export function formatProblems(problems: readonly Problem[]): string {
  if (problems.length === 0) return "(none)";
  return problems.map((p) => `- [${p.kind}] ${p.text}${p.url ? ` (${p.url})` : ""}`).join("\n");
}
