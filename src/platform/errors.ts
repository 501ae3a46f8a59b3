/**
 * The one catalog of stable error codes. Clients and scripts match on `code`; messages may be
 * reworded, codes never change meaning. HTTP status lives here too, so the error handler is a lookup.
 */
interface ErrorSpec {
  /** HTTP status when the error reaches a client; operational errors that never do use 500. */
  readonly status: number;
  readonly message: string;
}

function defineErrorCodes<const T extends Record<string, ErrorSpec>>(codes: T): T {
  return codes;
}

export const ERROR_CODES = defineErrorCodes({
  // Request problems (4xx)
  BAD_REQUEST: { status: 400, message: "The request could not be understood." },
  VALIDATION_FAILED: { status: 400, message: "The request did not pass validation." },
  MALFORMED_BODY: { status: 400, message: "The request body could not be parsed." },
  NOT_FOUND: { status: 404, message: "Nothing was found at this address." },
  METHOD_NOT_ALLOWED: { status: 405, message: "This method is not allowed here." },
  NOT_ACCEPTABLE: { status: 406, message: "No acceptable representation is available." },
  PAYLOAD_TOO_LARGE: { status: 413, message: "The request body is too large." },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: "This content type is not supported." },
  RATE_LIMITED: { status: 429, message: "Too many requests; slow down and retry later." },
  REQUEST_TIMEOUT: { status: 408, message: "The request took too long to arrive." },
  // Server state (5xx)
  NOT_READY: { status: 503, message: "The service is not ready." },
  INTERNAL: {
    status: 500,
    message: "Something went wrong on our side. Quote the request id when reporting it.",
  },
  // Operational errors raised at start-up and by the CLI
  CONFIG_INVALID: { status: 500, message: "The configuration is invalid." },
  CONFIG_UNSAFE_FOR_PRODUCTION: { status: 500, message: "The configuration is not safe for production." },
  KEY_FILE_MISSING: { status: 500, message: "The master key file does not exist." },
  KEY_FILE_PERMISSIONS: { status: 500, message: "The master key file is readable by group or others." },
  KEY_FILE_INVALID: { status: 500, message: "The master key file does not hold a 256-bit key." },
  DB_KEY_MISMATCH: {
    status: 500,
    message:
      "The database cannot be decrypted with this master key (wrong key, or not a Seller Pilot database).",
  },
  DB_UNREACHABLE: { status: 500, message: "The database cannot be reached." },
  DB_MIGRATION_FAILED: { status: 500, message: "A database migration failed." },
  TLS_CERT_INVALID: { status: 500, message: "The TLS certificate or key cannot be used." },
  DATA_DIR_UNUSABLE: { status: 500, message: "The data directory cannot be used." },
  // Data protection: keys, sealed fields, secrets, backups
  CIPHERTEXT_MALFORMED: {
    status: 500,
    message: "A stored ciphertext is not in a format this version can read.",
  },
  CIPHERTEXT_TAMPERED: {
    status: 500,
    message: "A stored ciphertext failed authentication: it was altered, or belongs to another record.",
  },
  KEY_VERSION_RETIRED: { status: 500, message: "The key version this data needs has been retired." },
  KEY_VERSION_UNKNOWN: { status: 500, message: "The key version this data needs does not exist." },
  DATA_KEY_DESTROYED: {
    status: 410,
    message: "The data key of this account was destroyed; its data is gone.",
  },
  KEY_PROVIDER_FAILED: { status: 500, message: "The key provider (KMS) refused or failed the request." },
  KEY_ROTATION_BLOCKED: { status: 500, message: "Key rotation cannot continue; see the message for why." },
  ACCOUNT_NOT_FOUND: { status: 404, message: "No seller account has this id." },
  SECRET_NOT_FOUND: { status: 404, message: "No secret of this name exists." },
  SECRET_NO_PENDING: { status: 409, message: "There is no pending secret version to promote." },
  BACKUP_MALFORMED: { status: 500, message: "The file is not a Seller Pilot backup." },
  BACKUP_TRUNCATED: { status: 500, message: "The backup ends early: it was truncated." },
  BACKUP_TAMPERED: {
    status: 500,
    message: "The backup failed authentication: a byte was altered or chunks were reordered.",
  },
  BACKUP_KEY_UNAVAILABLE: { status: 500, message: "The key this backup was written under is not available." },
  BACKUP_CHECKSUM_MISMATCH: { status: 500, message: "A restored table does not match the backup manifest." },
  RESTORE_TARGET_NOT_EMPTY: { status: 500, message: "The restore target is not empty; nothing was changed." },
});

export type ErrorCode = keyof typeof ERROR_CODES;

export interface AppErrorOptions {
  /** Safe, client-visible details (field paths, limits). Never values the caller sent, never secrets. */
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message?: string, options: AppErrorOptions = {}) {
    super(
      message ?? ERROR_CODES[code].message,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = "AppError";
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.details = options.details;
  }
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}
