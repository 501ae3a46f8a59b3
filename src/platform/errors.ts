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
  // Identity: credentials
  PASSWORD_TOO_SHORT: { status: 400, message: "The password must be at least 12 characters long." },
  PASSWORD_TOO_LONG: { status: 400, message: "The password must be at most 256 characters long." },
  PASSWORD_MISSING_UPPER: { status: 400, message: "The password must contain an upper-case letter." },
  PASSWORD_MISSING_LOWER: { status: 400, message: "The password must contain a lower-case letter." },
  PASSWORD_MISSING_DIGIT: { status: 400, message: "The password must contain a digit." },
  PASSWORD_MISSING_SPECIAL: {
    status: 400,
    message: "The password must contain a special character (neither a letter nor a digit).",
  },
  PASSWORD_CONTAINS_NAME: {
    status: 400,
    message: "The password must not contain any part of your name or e-mail address.",
  },
  PASSWORD_REUSED: { status: 400, message: "The password must differ from your last 10 passwords." },
  PASSWORD_TOO_RECENT: { status: 409, message: "The password was changed less than a day ago." },
  PASSWORD_NOT_SET: { status: 409, message: "This user has no password yet." },
  INVALID_CREDENTIALS: { status: 401, message: "The credentials are not valid." },
  USER_LOCKED: {
    status: 423,
    message: "The user is locked after too many failed attempts; wait for the cool-down or ask an admin.",
  },
  USER_NOT_LOCKED: { status: 409, message: "The user is not locked." },
  MFA_REQUIRED: { status: 401, message: "Complete the second factor first." },
  PASSWORD_CHANGE_REQUIRED: { status: 403, message: "Change your password before doing anything else." },
  MFA_ENROLLMENT_REQUIRED: { status: 403, message: "Enroll a second factor first." },
  TOTP_NOT_ENROLLED: { status: 409, message: "No authenticator app is enrolled." },
  TOTP_ALREADY_ENROLLED: {
    status: 409,
    message: "An authenticator app is already enrolled; remove it first.",
  },
  TOTP_CODE_INVALID: { status: 401, message: "The authenticator code is not valid." },
  TOTP_CODE_REPLAYED: {
    status: 401,
    message: "This authenticator code was already used; wait for the next one.",
  },
  RECOVERY_CODE_INVALID: { status: 401, message: "The recovery code is not valid or was already used." },
  PASSKEY_CHALLENGE_INVALID: {
    status: 400,
    message: "The passkey challenge is unknown, expired or already used; start again.",
  },
  PASSKEY_UNKNOWN_CREDENTIAL: { status: 401, message: "This passkey is not registered." },
  PASSKEY_VERIFICATION_FAILED: { status: 401, message: "The passkey response could not be verified." },
  PASSKEY_NOT_FOUND: { status: 404, message: "No passkey of this id belongs to this user." },
  SESSION_INVALID: { status: 401, message: "The session is not valid; sign in again." },
  SESSION_EXPIRED: { status: 401, message: "The session expired; sign in again." },
  CSRF_TOKEN_INVALID: { status: 403, message: "The CSRF token is missing or does not match this session." },
  API_TOKEN_INVALID: { status: 401, message: "The API token is not valid." },
  API_TOKEN_EXPIRED: { status: 401, message: "The API token expired." },
  API_TOKEN_REVOKED: { status: 401, message: "The API token was revoked." },
  API_TOKEN_NOT_FOUND: { status: 404, message: "No API token of this id belongs to this user." },
  API_TOKEN_MFA_REQUIRED: {
    status: 403,
    message: "API tokens can only be created from a session that completed the second factor.",
  },
  API_TOKEN_SCOPE_INVALID: {
    status: 400,
    message: "API token scopes need at least one account and one known permission.",
  },
  API_TOKEN_TTL_INVALID: { status: 400, message: "API tokens expire after 1 hour to 365 days." },
  // Identity: users and access
  FORBIDDEN: { status: 403, message: "Your role does not allow this." },
  USER_NOT_FOUND: { status: 404, message: "No user has this id." },
  USER_DISABLED: { status: 403, message: "This user is disabled." },
  EMAIL_INVALID: { status: 400, message: "The e-mail address is not valid." },
  EMAIL_TAKEN: { status: 409, message: "A user with this e-mail address already exists." },
  EMAIL_GENERIC: {
    status: 400,
    message: "Each user is one person: shared or role addresses (info@, admin@, team@ ...) are refused.",
  },
  ORGANISATION_NOT_FOUND: { status: 404, message: "No organisation has this id." },
  INVITATION_INVALID: { status: 400, message: "The invitation is not valid." },
  INVITATION_EXPIRED: { status: 410, message: "The invitation expired; ask for a new one." },
  INVITATION_USED: { status: 409, message: "The invitation was already used." },
  ROLE_UNKNOWN: { status: 400, message: "There is no role of this name." },
  ROLE_ESCALATION: { status: 403, message: "You cannot grant a role with permissions you do not hold." },
  MEMBERSHIP_NOT_FOUND: { status: 404, message: "This user has no role on this seller account." },
  LAST_OWNER: { status: 409, message: "A seller account must keep at least one active owner." },
  REVEAL_PURPOSE_REQUIRED: {
    status: 403,
    message: "Revealing buyer data needs a purpose from the list (ship_order, customer_service, ...).",
  },
  REVEAL_EXPIRED: {
    status: 403,
    message: "The time to view this buyer data has run out; state a purpose again.",
  },
  REVIEW_NOT_FOUND: { status: 404, message: "No access review has this id." },
  REVIEW_ALREADY_OPEN: { status: 409, message: "An access review is already open for this organisation." },
  REVIEW_INCOMPLETE: { status: 409, message: "Every entry of the access review needs a decision first." },
  REVIEW_CLOSED: { status: 409, message: "This access review is already completed." },
  REVIEW_ITEM_DECIDED: { status: 409, message: "This entry of the access review already has a decision." },
  // Audit log
  AUDIT_EVENT_INVALID: {
    status: 500,
    message: "An audit event is malformed (action, actor, target ids or reason out of bounds).",
  },
  AUDIT_LOG_CLOSED: { status: 503, message: "The audit log is closed; the event was not recorded." },
  AUDIT_APPEND_FAILED: {
    status: 500,
    message: "The audit entry could not be written; nothing was recorded.",
  },
  AUDIT_CHAIN_INVALID: { status: 500, message: "The audit log failed verification." },
  // Incident response (src/incidents)
  INCIDENT_NOT_FOUND: { status: 404, message: "No incident has this id." },
  INCIDENT_TRANSITION_INVALID: {
    status: 409,
    message: "An incident only moves forward through its lifecycle; this step is not allowed from its state.",
  },
  AUDIT_RETENTION_TOO_SHORT: {
    status: 400,
    message: "Audit entries are kept at least 12 months: the retention cutoff is too recent.",
  },
  AUDIT_EXPORT_TARGET_EXISTS: {
    status: 500,
    message: "The export file already exists; it is never overwritten.",
  },
  // Retention (src/retention)
  LEGAL_HOLD_NOT_FOUND: {
    status: 404,
    message: "No active legal hold of this id exists on this seller account.",
  },
  DELETION_REQUEST_EXISTS: {
    status: 409,
    message: "A deletion request for this seller account is already pending.",
  },
  // SP-API client
  SPAPI_AUTHORIZATION_REVOKED: {
    status: 409,
    message: "The seller revoked Seller Pilot's authorization (LWA invalid_grant); reconnect the account.",
  },
  SPAPI_REAUTHORIZED: {
    status: 503,
    message:
      "Amazon refused the authorization this call began with, but the seller has reconnected since; try again.",
  },
  SPAPI_CLIENT_REJECTED: {
    status: 502,
    message: "Login with Amazon rejected the application's client id or secret (invalid_client).",
  },
  SPAPI_THROTTLED: { status: 503, message: "Amazon kept throttling the request; try again later." },
  SPAPI_UNAVAILABLE: {
    status: 502,
    message: "Amazon could not be reached or kept failing; try again later.",
  },
  SPAPI_BAD_RESPONSE: { status: 502, message: "Amazon answered with a response Seller Pilot cannot read." },
  SPAPI_REQUEST_REFUSED: { status: 502, message: "Amazon refused the request." },
  SPAPI_FEATURE_DISABLED: {
    status: 403,
    message: "This call needs a feature that is not enabled for the seller account; nothing was sent.",
  },
  SPAPI_ENDPOINT_INSECURE: {
    status: 500,
    message: "SP-API and LWA endpoints must be https:// (plain http only on loopback).",
  },
  SPAPI_REPORT_FAILED: { status: 502, message: "Amazon could not produce the report." },
  // Connecting a seller account (src/connect)
  CONNECT_STATE_INVALID: { status: 400, message: "This authorization link is not one Seller Pilot issued." },
  CONNECT_STATE_EXPIRED: {
    status: 400,
    message: "This authorization link expired (5 minutes); start again.",
  },
  CONNECT_STATE_USED: { status: 400, message: "This authorization link was already used; start again." },
  CONNECT_STATE_SESSION_MISMATCH: {
    status: 403,
    message: "This authorization was started in another session; start again from this browser.",
  },
  CONNECT_FEATURES_INVALID: { status: 400, message: "Choose at least one known feature to connect." },
  CLIENT_SECRET_NOTIFICATION_INVALID: {
    status: 400,
    message: "This is not an APPLICATION_OAUTH_CLIENT_NEW_SECRET notification for this application.",
  },
  CLIENT_SECRET_REJECTED: {
    status: 502,
    message: "Amazon did not accept the new client secret; the current one stays in use.",
  },
  // Orders read and FBM processing (src/sync/orders-routes.ts)
  ORDER_NOT_FOUND: { status: 404, message: "No order of this id exists in this seller account." },
  ORDER_NOT_FBM: {
    status: 409,
    message: "Buyer data exists only for merchant-fulfilled (FBM) orders with shipping enabled.",
  },
  ORDER_NOT_SHIPPABLE: {
    status: 409,
    message:
      "Only an unshipped merchant-fulfilled order with known order items and marketplace can be confirmed as shipped.",
  },
  // Sync storage
  REPORT_TRUNCATED: {
    status: 502,
    message: "The report document ended early (truncated gzip); the rows read before the cut were kept.",
  },
  REPORT_MALFORMED: {
    status: 502,
    message: "The report document cannot be read: not gzip, corrupt, or its header lacks required columns.",
  },
  SYNC_ABORTED: { status: 503, message: "The sync was stopped before it finished; the next run resumes it." },
  // Background jobs (src/jobs)
  JOB_UNKNOWN: { status: 500, message: "No handler is registered for this job name." },
  JOB_FAILED: { status: 500, message: "A background job failed with an unexpected error; it is retried." },
  JOB_ABANDONED: {
    status: 500,
    message: "A background job was abandoned by a process that stopped or died, too often to retry again.",
  },
  JOB_ACCOUNT_PAUSED: {
    status: 409,
    message: "Background jobs of this seller account are paused (authorization revoked); reconnect it first.",
  },
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
