import { createInterface } from "node:readline";
import { PassThrough, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import type { Clock } from "../platform/clock.js";
import { MS } from "../platform/clock.js";
import { AppError } from "../platform/errors.js";
import type { CallOptions, SpApiCaller } from "./operation-spec.js";
import { getReport, getReportDocument, type Report, type ReportDocument } from "./operations/reports.js";
import { type HttpTransport, readBody } from "./transport.js";

/** Amazon's presigned document URLs live five minutes; we re-ask when less than a margin is left. */
export const DOCUMENT_URL_LIFETIME_MS = 5 * MS.minute;
const URL_MARGIN_MS = 30 * MS.second;

export interface ReportPollOptions {
  sleep: (ms: number) => Promise<void>;
  /** Between two getReport calls (Amazon time); the token bucket paces them too. */
  intervalMs?: number;
  /** Give up after this long (Amazon time): the report is FATAL-ish for us. */
  timeoutMs?: number;
  clock: Clock;
  options?: CallOptions;
}

/** Polls getReport until DONE; CANCELLED or FATAL is SPAPI_REPORT_FAILED. */
export async function waitForReport(
  client: SpApiCaller,
  accountId: string,
  reportId: string,
  poll: ReportPollOptions,
): Promise<Report & { reportDocumentId: string }> {
  const interval = poll.intervalMs ?? 30 * MS.second;
  const deadline = poll.clock.now().getTime() + (poll.timeoutMs ?? 2 * MS.hour);
  for (;;) {
    const report = await getReport(client, accountId, reportId, poll.options);
    if (report.processingStatus === "DONE") {
      if (!report.reportDocumentId) {
        throw new AppError("SPAPI_BAD_RESPONSE", "A finished report has no document id.");
      }
      return { ...report, reportDocumentId: report.reportDocumentId };
    }
    if (report.processingStatus === "CANCELLED" || report.processingStatus === "FATAL") {
      throw new AppError("SPAPI_REPORT_FAILED", undefined, {
        details: { reportId, processingStatus: report.processingStatus },
      });
    }
    if (poll.clock.now().getTime() >= deadline) {
      throw new AppError("SPAPI_REPORT_FAILED", "The report did not finish in time.", {
        details: { reportId, processingStatus: report.processingStatus },
      });
    }
    await poll.sleep(interval);
  }
}

export interface ReportDownloadDeps {
  client: SpApiCaller;
  transport: HttpTransport;
  clock: Clock;
}

/**
 * The report document as a stream of decompressed bytes. Nothing is held whole: the HTTP body flows through
 * gunzip to the caller. A URL older than its lifetime (or refused as expired) is asked for again once.
 */
export async function openReportDocument(
  deps: ReportDownloadDeps,
  accountId: string,
  reportDocumentId: string,
  options?: CallOptions,
  known?: { document: ReportDocument; fetchedAtMs: number },
): Promise<Readable> {
  const fresh = async () => ({
    document: await getReportDocument(deps.client, accountId, reportDocumentId, options),
    fetchedAtMs: deps.clock.now().getTime(),
  });
  let current = known ?? (await fresh());
  for (let attempt = 1; ; attempt++) {
    if (deps.clock.now().getTime() >= current.fetchedAtMs + DOCUMENT_URL_LIFETIME_MS - URL_MARGIN_MS) {
      current = await fresh();
    }
    const res = await deps.transport.send({ method: "GET", url: current.document.url });
    if (res.status === 200) {
      const out = new PassThrough();
      const flowing =
        current.document.compressionAlgorithm === "GZIP"
          ? pipeline(res.body, createGunzip(), out)
          : pipeline(res.body, out);
      flowing.catch((err: unknown) => {
        out.destroy(
          new AppError("SPAPI_BAD_RESPONSE", "The report document could not be read.", { cause: err }),
        );
      });
      return out;
    }
    await readBody(res.body, 64 * 1024).catch(() => "");
    if ((res.status === 403 || res.status === 400) && attempt === 1) {
      current = await fresh();
      continue;
    }
    throw new AppError(res.status >= 500 ? "SPAPI_UNAVAILABLE" : "SPAPI_REQUEST_REFUSED", undefined, {
      details: { operation: "downloadReportDocument", status: res.status },
    });
  }
}

/** The document's lines (without line ends), read as they arrive. */
export async function* reportLines(document: Readable): AsyncGenerator<string> {
  const lines = createInterface({ input: document, crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) yield line;
}
