import { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { AppError } from "../platform/errors.js";
import type { NormalizedOrder } from "./order-model.js";
import {
  addLine,
  type BadRow,
  type BadRowReason,
  lineParser,
  type ParsedLine,
  REQUIRED_COLUMNS,
  RowError,
} from "./order-report-row.js";

export { BAD_ROW_REASONS, type BadRow, type BadRowReason, parseReportDate } from "./order-report-row.js";

/**
 * Streaming parser of Amazon's order-tracking flat files (GET_FLAT_FILE_ALL_ORDERS_DATA_BY_*_GENERAL):
 * gzipped, tab-separated, one line per order item. Bytes flow gunzip -> line splitter -> decoder -> orders,
 * so memory stays bounded by one batch whatever the document's size. Rows that cannot be read are counted
 * with their row number and a reason code, never thrown; a document that ends early is reported with
 * REPORT_TRUNCATED after everything read before the cut has been yielded.
 */

export interface ReportBatch {
  orders: NormalizedOrder[];
  badRows: BadRow[];
}

export interface ReportSummary {
  /** Data rows read (header and blank lines excluded). */
  rows: number;
  orders: number;
  badRows: number;
  byReason: Partial<Record<BadRowReason, number>>;
  /** The first bad rows, for the sync summary; all of them are in the batches. */
  samples: BadRow[];
  unknownEnums: number;
  /** Set when the document ended early or could not be read; the generator threw this code. */
  error: "REPORT_TRUNCATED" | "REPORT_MALFORMED" | null;
}

const MAX_SAMPLES = 100;

export interface ParseOptions {
  /** Orders per yielded batch (default 500). */
  batchSize?: number;
  /** Whether the input is gzipped (default true: report documents are). */
  gzip?: boolean;
  maxLineBytes?: number;
}

/** Splits a byte stream on "\n" with a bound on line length; yields each line's bytes (or null if too long). */
async function* lines(source: AsyncIterable<Buffer>, maxBytes: number): AsyncGenerator<Buffer | null> {
  let parts: Buffer[] = [];
  let length = 0;
  let overflow = false;
  for await (const chunk of source) {
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, nl);
      if (overflow || length + piece.length > maxBytes) yield null;
      else yield parts.length === 0 ? piece : Buffer.concat([...parts, piece]);
      parts = [];
      length = 0;
      overflow = false;
      start = nl + 1;
    }
    const rest = chunk.subarray(start);
    if (rest.length === 0) continue;
    if (overflow || length + rest.length > maxBytes) {
      overflow = true;
      parts = [];
    } else {
      parts.push(rest);
    }
    length += rest.length;
  }
  if (length > 0) yield overflow ? null : Buffer.concat(parts);
}

function streamErrorCode(err: unknown): "REPORT_TRUNCATED" | "REPORT_MALFORMED" | null {
  const code = (err as { code?: unknown }).code;
  if (code === "Z_BUF_ERROR" || /unexpected end of file/i.test(String((err as Error).message))) {
    return "REPORT_TRUNCATED";
  }
  if (code === "Z_DATA_ERROR") return "REPORT_MALFORMED";
  return null;
}

export interface OrderReportParse {
  summary: ReportSummary;
  batches: AsyncGenerator<ReportBatch, void, undefined>;
}

export function parseOrderReport(
  input: Readable | AsyncIterable<Uint8Array>,
  options: ParseOptions = {},
): OrderReportParse {
  const summary: ReportSummary = {
    rows: 0,
    orders: 0,
    badRows: 0,
    byReason: {},
    samples: [],
    unknownEnums: 0,
    error: null,
  };
  return { summary, batches: run(input, options, summary) };
}

async function* run(
  input: Readable | AsyncIterable<Uint8Array>,
  options: ParseOptions,
  summary: ReportSummary,
): AsyncGenerator<ReportBatch, void, undefined> {
  const batchSize = options.batchSize ?? 500;
  const source = input instanceof Readable ? input : Readable.from(input, { objectMode: false });
  let bytes: Readable = source;
  if (options.gzip ?? true) {
    const gunzip = createGunzip();
    source.on("error", (err) => gunzip.destroy(err));
    bytes = source.pipe(gunzip);
  }
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let pending = new Map<string, NormalizedOrder>();
  let bad: BadRow[] = [];
  let parse: ((fields: readonly string[]) => ParsedLine) | null = null;
  let row = 0;

  const flag = (reason: BadRowReason, column?: string) => {
    const entry: BadRow = column === undefined ? { row, reason } : { row, reason, column };
    bad.push(entry);
    summary.badRows += 1;
    summary.byReason[reason] = (summary.byReason[reason] ?? 0) + 1;
    if (summary.samples.length < MAX_SAMPLES) summary.samples.push(entry);
  };
  const take = (orders: NormalizedOrder[]): ReportBatch => {
    const batch = { orders, badRows: bad };
    summary.orders += orders.length;
    summary.unknownEnums += orders.filter((o) => o.unknownEnum).length;
    bad = [];
    return batch;
  };

  try {
    for await (const bytesOfLine of lines(
      bytes as AsyncIterable<Buffer>,
      options.maxLineBytes ?? 1024 * 1024,
    )) {
      row += 1;
      if (bytesOfLine === null) {
        if (parse) {
          summary.rows += 1;
          flag("LINE_TOO_LONG");
          continue;
        }
        throw new AppError("REPORT_MALFORMED", "The report header is not readable.");
      }
      let text: string;
      try {
        text = decoder.decode(bytesOfLine);
      } catch {
        if (!parse) throw new AppError("REPORT_MALFORMED", "The report header is not valid UTF-8.");
        summary.rows += 1;
        flag("BAD_ENCODING");
        continue;
      }
      if (text.endsWith("\r")) text = text.slice(0, -1);
      if (!parse) {
        const header = text.split("\t").map((h) => h.trim().toLowerCase());
        const missing = REQUIRED_COLUMNS.filter((name) => !header.includes(name));
        if (missing.length > 0) {
          throw new AppError("REPORT_MALFORMED", undefined, { details: { missingColumns: missing } });
        }
        parse = lineParser(header);
        continue;
      }
      if (text.trim() === "") continue;
      summary.rows += 1;
      let line: ParsedLine;
      try {
        line = parse(text.split("\t"));
      } catch (err) {
        if (!(err instanceof RowError)) throw err;
        flag(err.reason, err.column);
        continue;
      }
      const id = line.order.amazonOrderId;
      const existing = pending.get(id);
      if (existing) {
        if (
          existing.currency !== null &&
          line.item.currency !== null &&
          existing.currency !== line.item.currency
        ) {
          flag("CURRENCY_MISMATCH", "currency");
          continue;
        }
        addLine(existing, line);
        continue;
      }
      // Lines of one order come together: a new order id closes the previous one, so a full batch can go.
      if (pending.size >= batchSize) {
        yield take([...pending.values()]);
        pending = new Map();
      }
      addLine(line.order, line);
      pending.set(id, line.order);
    }
    if (!parse) throw new AppError("REPORT_MALFORMED", "The report is empty: it has no header.");
  } catch (err) {
    const code = err instanceof AppError ? null : streamErrorCode(err);
    if (err instanceof AppError || code === null) {
      if (err instanceof AppError && err.code === "REPORT_MALFORMED") summary.error = "REPORT_MALFORMED";
      if (pending.size > 0 && !(err instanceof AppError)) yield take(dropLast(pending));
      throw err;
    }
    summary.error = code;
    // The last order may have lost lines to the cut: it is left for the retry rather than stored short.
    if (pending.size > 0 || bad.length > 0) yield take(dropLast(pending));
    throw new AppError(code, undefined, { cause: err, details: { rowsRead: summary.rows } });
  } finally {
    bytes.destroy();
    source.destroy();
  }
  if (pending.size > 0 || bad.length > 0) yield take([...pending.values()]);
}

function dropLast(pending: Map<string, NormalizedOrder>): NormalizedOrder[] {
  return [...pending.values()].slice(0, -1);
}
