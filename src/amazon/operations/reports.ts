import { z } from "zod";
import {
  type CallOptions,
  encodeSegment,
  id,
  isoDateTime,
  list,
  type SpApiCaller,
  type SpApiRequest,
  text,
} from "../operation-spec.js";

// Reports 2021-06-30: create, get, getReportDocument (the document itself is fetched by ../reports.ts).

export const createReportSchema = z.object({ reportId: id() });

export const PROCESSING_STATUSES = ["IN_QUEUE", "IN_PROGRESS", "DONE", "CANCELLED", "FATAL"] as const;

export const reportSchema = z.object({
  reportId: id(),
  reportType: text(200),
  marketplaceIds: list(text(40), 100).optional(),
  dataStartTime: isoDateTime().optional(),
  dataEndTime: isoDateTime().optional(),
  createdTime: isoDateTime(),
  processingStatus: z.enum(PROCESSING_STATUSES),
  processingStartTime: isoDateTime().optional(),
  processingEndTime: isoDateTime().optional(),
  reportDocumentId: id().optional(),
});
export type Report = z.infer<typeof reportSchema>;

export const reportDocumentSchema = z.object({
  reportDocumentId: id(),
  url: z.string().min(1).max(8_000),
  compressionAlgorithm: z.enum(["GZIP"]).optional(),
});
export type ReportDocument = z.infer<typeof reportDocumentSchema>;

export interface CreateReportParams {
  reportType: string;
  marketplaceIds: readonly string[];
  dataStartTime?: string;
  dataEndTime?: string;
}

export function createReportRequest(params: CreateReportParams): SpApiRequest<{ reportId: string }> {
  return {
    operation: "createReport",
    method: "POST",
    path: "/reports/2021-06-30/reports",
    body: {
      reportType: params.reportType,
      marketplaceIds: [...params.marketplaceIds],
      ...(params.dataStartTime ? { dataStartTime: params.dataStartTime } : {}),
      ...(params.dataEndTime ? { dataEndTime: params.dataEndTime } : {}),
    },
    response: createReportSchema,
  };
}

export async function createReport(
  client: SpApiCaller,
  accountId: string,
  params: CreateReportParams,
  options?: CallOptions,
): Promise<string> {
  return (await client.call(accountId, createReportRequest(params), options)).reportId;
}

export function getReportRequest(reportId: string): SpApiRequest<Report> {
  return {
    operation: "getReport",
    method: "GET",
    path: `/reports/2021-06-30/reports/${encodeSegment(reportId)}`,
    response: reportSchema,
  };
}

export function getReport(
  client: SpApiCaller,
  accountId: string,
  reportId: string,
  options?: CallOptions,
): Promise<Report> {
  return client.call(accountId, getReportRequest(reportId), options);
}

export function getReportDocumentRequest(reportDocumentId: string): SpApiRequest<ReportDocument> {
  return {
    operation: "getReportDocument",
    method: "GET",
    path: `/reports/2021-06-30/documents/${encodeSegment(reportDocumentId)}`,
    response: reportDocumentSchema,
  };
}

export function getReportDocument(
  client: SpApiCaller,
  accountId: string,
  reportDocumentId: string,
  options?: CallOptions,
): Promise<ReportDocument> {
  return client.call(accountId, getReportDocumentRequest(reportDocumentId), options);
}
