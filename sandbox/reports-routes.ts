import { createHmac, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import { Readable } from "node:stream";
import { createGzip } from "node:zlib";
import type { FastifyInstance } from "fastify";
import { DAY, isoSeconds, MINUTE, SECOND } from "./clock.js";
import type { SandboxContext } from "./context.js";
import { MAX_UPDATE_LAG_MS, type OrderData, type SellerProfile } from "./data-generator.js";
import { notFound, requireInput } from "./errors.js";
import { REPORT_COLUMNS, reportRows } from "./order-views.js";
import { sellerOf, spapiGuard } from "./spapi-guard.js";

export const ORDER_REPORT_TYPES = [
  "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL",
  "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL",
] as const;
type ReportType = (typeof ORDER_REPORT_TYPES)[number];

/** Amazon-time delays: a report waits in the queue, then takes a while to build, longer for more orders. */
export const QUEUE_MS = 30 * SECOND;
export const BASE_PROCESSING_MS = 60 * SECOND;
export const DOCUMENT_URL_LIFETIME_MS = 5 * MINUTE;

interface ReportJob {
  reportId: string;
  sellingPartnerId: string;
  reportType: ReportType;
  marketplaceIds: string[];
  startMs: number;
  endMs: number;
  createdMs: number;
  processingMs: number;
  documentId: string;
}

function* documentLines(data: OrderData, seller: SellerProfile, job: ReportJob): Generator<string> {
  yield `${REPORT_COLUMNS.join("\t")}\n`;
  const byUpdate = job.reportType === "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL";
  const count = data.countFor(seller);
  const from = byUpdate
    ? Math.min(
        data.firstLocalCreatedAtOrAfter(seller, job.startMs - MAX_UPDATE_LAG_MS),
        data.firstConfirmedLocal(seller),
      )
    : data.firstLocalCreatedAtOrAfter(seller, job.startMs);
  let batch = "";
  for (let j = from; j < count; j++) {
    const order = data.orderOf(seller, j);
    if (order.createdMs > job.endMs) break;
    const at = byUpdate ? order.lastUpdatedMs : order.createdMs;
    if (at < job.startMs || at > job.endMs || !job.marketplaceIds.includes(order.marketplace.id)) continue;
    for (const row of reportRows(order)) batch += `${row}\n`;
    if (batch.length > 64_000) {
      yield batch;
      batch = "";
    }
  }
  if (batch) yield batch;
}

/**
 * Reports 2021-06-30 for the order-tracking flat files: IN_QUEUE -> IN_PROGRESS -> DONE as Amazon time passes,
 * gzipped tab-separated documents behind presigned-style URLs on the sandbox that expire after five minutes.
 */
export function registerReportsRoutes(app: FastifyInstance, ctx: SandboxContext): void {
  const jobs = new Map<string, ReportJob>();
  const byDocument = new Map<string, ReportJob>();
  const urlKey = randomBytes(32);
  let counter = 50_000_000_000 + (Math.floor(ctx.time.now() / 1000) % 1_000_000);
  const sign = (documentId: string, expires: number) =>
    createHmac("sha256", urlKey).update(`${documentId}\n${expires}`).digest("base64url");

  const status = (job: ReportJob, now: number) => {
    const started = job.createdMs + QUEUE_MS;
    const ended = started + job.processingMs;
    const view: Record<string, unknown> = {
      reportId: job.reportId,
      reportType: job.reportType,
      dataStartTime: isoSeconds(job.startMs),
      dataEndTime: isoSeconds(job.endMs),
      marketplaceIds: job.marketplaceIds,
      createdTime: isoSeconds(job.createdMs),
      processingStatus: now < started ? "IN_QUEUE" : now < ended ? "IN_PROGRESS" : "DONE",
    };
    if (now >= started) view.processingStartTime = isoSeconds(started);
    if (now >= ended) {
      view.processingEndTime = isoSeconds(ended);
      view.reportDocumentId = job.documentId;
    }
    return { view, done: now >= ended };
  };

  app.post(
    "/reports/2021-06-30/reports",
    { preHandler: spapiGuard(ctx, "createReport") },
    async (request, reply) => {
      const seller = sellerOf(request);
      const profile = ctx.data.sellerById(seller.sellingPartnerId) as SellerProfile;
      const body = (request.body ?? {}) as Record<string, unknown>;
      const reportType = body.reportType as ReportType;
      requireInput(
        ORDER_REPORT_TYPES.includes(reportType),
        "Invalid reportType: the sandbox serves order-tracking reports only.",
      );
      const marketplaceIds = body.marketplaceIds;
      requireInput(
        Array.isArray(marketplaceIds) &&
          marketplaceIds.length > 0 &&
          marketplaceIds.every((id) => profile.marketplaces.some((m) => m.id === id)),
        "marketplaceIds must list marketplaces the seller participates in.",
      );
      const now = ctx.time.now();
      const endMs = body.dataEndTime === undefined ? now : Date.parse(String(body.dataEndTime));
      const startMs =
        body.dataStartTime === undefined ? endMs - 30 * DAY : Date.parse(String(body.dataStartTime));
      requireInput(
        Number.isFinite(startMs) && Number.isFinite(endMs) && startMs < endMs,
        "Invalid dataStartTime/dataEndTime.",
      );
      counter += 1;
      const span = Math.min(endMs - startMs, 730 * DAY) / DAY;
      const perSeller = ctx.data.countFor(profile) * (span / 730);
      const job: ReportJob = {
        reportId: String(counter),
        sellingPartnerId: seller.sellingPartnerId,
        reportType,
        marketplaceIds: marketplaceIds as string[],
        startMs,
        endMs,
        createdMs: now,
        processingMs: BASE_PROCESSING_MS + Math.round(perSeller / 1000) * SECOND,
        documentId: `amzn1.spdoc.1.4.na.${randomUUID()}`,
      };
      jobs.set(job.reportId, job);
      byDocument.set(job.documentId, job);
      return reply.code(202).send({ reportId: job.reportId });
    },
  );

  app.get(
    "/reports/2021-06-30/reports/:reportId",
    { preHandler: spapiGuard(ctx, "getReport") },
    async (request, reply) => {
      const { reportId } = request.params as { reportId: string };
      const job = jobs.get(reportId);
      if (!job || job.sellingPartnerId !== sellerOf(request).sellingPartnerId) {
        return notFound(reply, `Report ${reportId} was not found.`);
      }
      return status(job, ctx.time.now()).view;
    },
  );

  app.get(
    "/reports/2021-06-30/documents/:reportDocumentId",
    { preHandler: spapiGuard(ctx, "getReportDocument") },
    async (request, reply) => {
      const { reportDocumentId } = request.params as { reportDocumentId: string };
      const job = byDocument.get(reportDocumentId);
      const now = ctx.time.now();
      if (!job || job.sellingPartnerId !== sellerOf(request).sellingPartnerId || !status(job, now).done) {
        return notFound(reply, `Report document ${reportDocumentId} was not found.`);
      }
      const expires = now + DOCUMENT_URL_LIFETIME_MS;
      const url = new URL(
        `/_sandbox/documents/${encodeURIComponent(reportDocumentId)}`,
        `${request.protocol}://${request.host}`,
      );
      url.searchParams.set("X-Amz-Expires", String(expires));
      url.searchParams.set("X-Amz-Signature", sign(reportDocumentId, expires));
      return { reportDocumentId, url: url.toString(), compressionAlgorithm: "GZIP" };
    },
  );

  // The "S3" side: no access token, the signature and its expiry are the authorization.
  app.get("/_sandbox/documents/:documentId", async (request, reply) => {
    const { documentId } = request.params as { documentId: string };
    const query = request.query as Record<string, string | undefined>;
    const expires = Number(query["X-Amz-Expires"]);
    const given = Buffer.from(query["X-Amz-Signature"] ?? "");
    const wanted = Buffer.from(sign(documentId, expires));
    const job = byDocument.get(documentId);
    const s3Error = (code: string, message: string) =>
      reply
        .code(403)
        .type("application/xml")
        .send(
          `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`,
        );
    if (!job || given.length !== wanted.length || !timingSafeEqual(given, wanted)) {
      return s3Error(
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided.",
      );
    }
    if (ctx.time.now() >= expires) return s3Error("AccessDenied", "Request has expired");
    const seller = ctx.data.sellerById(job.sellingPartnerId) as SellerProfile;
    return reply
      .type("application/octet-stream")
      .send(Readable.from(documentLines(ctx.data, seller, job)).pipe(createGzip()));
  });
}
