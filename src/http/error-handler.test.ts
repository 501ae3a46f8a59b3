import { describe, expect, it } from "vitest";
import { AppError, ERROR_CODES } from "../platform/errors.js";
import { errorBody, toAppError } from "./error-handler.js";

describe("toAppError", () => {
  it("keeps catalog errors as they are", () => {
    const err = new AppError("RATE_LIMITED");
    expect(toAppError(err)).toBe(err);
  });

  it("maps framework 4xx errors to catalog codes", () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ statusCode: 413, code: "FST_ERR_CTP_BODY_TOO_LARGE" }, "PAYLOAD_TOO_LARGE"],
      [{ statusCode: 415, code: "FST_ERR_CTP_INVALID_MEDIA_TYPE" }, "UNSUPPORTED_MEDIA_TYPE"],
      [{ statusCode: 400, code: "FST_ERR_CTP_EMPTY_JSON_BODY" }, "MALFORMED_BODY"],
      [{ statusCode: 404 }, "NOT_FOUND"],
      [{ statusCode: 429 }, "RATE_LIMITED"],
      [{ statusCode: 418 }, "BAD_REQUEST"],
    ];
    for (const [props, code] of cases) {
      expect(toAppError(Object.assign(new Error("x"), props)).code).toBe(code);
    }
  });

  it("turns anything else into INTERNAL", () => {
    expect(toAppError(new Error("SELECT * FROM secrets")).code).toBe("INTERNAL");
    expect(toAppError("a string").code).toBe("INTERNAL");
    expect(toAppError(Object.assign(new Error("db down"), { statusCode: 503 })).code).toBe("INTERNAL");
  });
});

describe("errorBody", () => {
  it("never echoes the message or details of a server error", () => {
    const err = new AppError("INTERNAL", "SELECT password FROM users", { details: { sql: "x" } });
    expect(errorBody(err, "req_1")).toEqual({
      error: { code: "INTERNAL", message: ERROR_CODES.INTERNAL.message, requestId: "req_1" },
    });
  });

  it("carries safe details of client errors", () => {
    const err = new AppError("VALIDATION_FAILED", undefined, { details: { issues: [{ path: "/a" }] } });
    expect(errorBody(err, "req_2").error.details).toEqual({ issues: [{ path: "/a" }] });
  });
});
