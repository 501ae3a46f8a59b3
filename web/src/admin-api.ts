// Typed calls for the account area: team and invitations, API tokens, access reviews, the audit log.
import { anyBody, arrayOf, isRecord, optString, requestJson, stringArray, type Validator } from "./api";

const withSignal = (signal?: AbortSignal) => (signal ? { signal } : {});
const seg = encodeURIComponent;

// Team ------------------------------------------------------------------------------------------------------

export interface Member {
  userId: string;
  email: string;
  name: string;
  role: string;
  status?: string;
  /** Locked out by failed sign-ins; a manager may unlock. */
  locked: boolean;
}

const memberValidator: Validator<Member> = (value) => {
  if (!isRecord(value) || typeof value.userId !== "string" || typeof value.role !== "string") return null;
  return {
    userId: value.userId,
    email: typeof value.email === "string" ? value.email : "",
    name: typeof value.name === "string" ? value.name : "",
    role: value.role,
    ...(typeof value.status === "string" ? { status: value.status } : {}),
    locked: value.locked === true,
  };
};

export interface InvitationIssued {
  id: string;
  expiresAt: string;
  token?: string;
}

const invitationValidator: Validator<InvitationIssued> = (value) => {
  if (!isRecord(value) || typeof value.id !== "string") return null;
  return {
    id: value.id,
    expiresAt: typeof value.expiresAt === "string" ? value.expiresAt : "",
    ...(typeof value.token === "string" ? { token: value.token } : {}),
  };
};

export const team = {
  members: (accountId: string, signal?: AbortSignal) =>
    requestJson(
      "GET",
      `/api/accounts/${seg(accountId)}/members`,
      (value) => (isRecord(value) ? arrayOf(value.members, memberValidator) : null),
      withSignal(signal),
    ),
  invite: (accountId: string, email: string, role: string) =>
    requestJson("POST", `/api/accounts/${seg(accountId)}/invitations`, invitationValidator, {
      body: { email, role },
    }),
  changeRole: (accountId: string, userId: string, role: string) =>
    requestJson("PATCH", `/api/accounts/${seg(accountId)}/members/${seg(userId)}`, anyBody, {
      body: { role },
    }),
  remove: (accountId: string, userId: string) =>
    requestJson("DELETE", `/api/accounts/${seg(accountId)}/members/${seg(userId)}`, anyBody),
  unlock: (accountId: string, userId: string) =>
    requestJson("POST", `/api/accounts/${seg(accountId)}/members/${seg(userId)}/unlock`, anyBody, {
      body: {},
    }),
};

// Roles: the server's own table (GET /api/roles), never a copy kept here -----------------------------------

export interface RoleInfo {
  name: string;
  label: string;
  description: string;
  permissions: string[];
}

export interface RolesCatalog {
  roles: RoleInfo[];
  permissions: string[];
}

const roleValidator: Validator<RoleInfo> = (value) => {
  if (!isRecord(value) || typeof value.name !== "string") return null;
  return {
    name: value.name,
    label: typeof value.label === "string" ? value.label : value.name,
    description: typeof value.description === "string" ? value.description : "",
    permissions: stringArray(value.permissions) ?? [],
  };
};

export const fetchRoles = (signal?: AbortSignal) =>
  requestJson(
    "GET",
    "/api/roles",
    (value): RolesCatalog | null => {
      if (!isRecord(value)) return null;
      const roles = arrayOf(value.roles, roleValidator);
      const permissions = stringArray(value.permissions);
      return roles && permissions ? { roles, permissions } : null;
    },
    withSignal(signal),
  );

// API tokens ------------------------------------------------------------------------------------------------

export interface ApiTokenSummary {
  id: string;
  name: string;
  accounts: string[];
  permissions: string[];
  createdAt: string;
  expiresAt: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

const tokenValidator: Validator<ApiTokenSummary> = (value) => {
  if (!isRecord(value) || typeof value.id !== "string") return null;
  const scopes = isRecord(value.scopes) ? value.scopes : {};
  return {
    id: value.id,
    name: typeof value.name === "string" ? value.name : "",
    accounts: stringArray(scopes.accounts) ?? [],
    permissions: stringArray(scopes.permissions) ?? [],
    createdAt: typeof value.createdAt === "string" ? value.createdAt : "",
    expiresAt: typeof value.expiresAt === "string" ? value.expiresAt : "",
    revokedAt: optString(value.revokedAt) ?? null,
    lastUsedAt: optString(value.lastUsedAt) ?? null,
  };
};

export interface NewToken {
  id: string;
  token: string;
  expiresAt: string;
}

export const tokens = {
  list: (signal?: AbortSignal) =>
    requestJson(
      "GET",
      "/api/tokens",
      (value) => (isRecord(value) ? arrayOf(value.tokens, tokenValidator) : null),
      withSignal(signal),
    ),
  create: (input: { name: string; accountIds: string[]; permissions: string[]; ttlDays: number }) =>
    requestJson(
      "POST",
      "/api/tokens",
      (value): NewToken | null =>
        isRecord(value) && typeof value.token === "string"
          ? {
              id: typeof value.id === "string" ? value.id : "",
              token: value.token,
              expiresAt: typeof value.expiresAt === "string" ? value.expiresAt : "",
            }
          : null,
      { body: input },
    ),
  revoke: (id: string) => requestJson("DELETE", `/api/tokens/${seg(id)}`, anyBody),
};

// Access reviews --------------------------------------------------------------------------------------------

export interface ReviewItem {
  id: string;
  userId: string;
  email?: string;
  name?: string;
  accountId: string;
  role: string;
  decision: string | null;
}

export interface OpenReview {
  id: string;
  openedAt: string;
  openedBy: string;
  items: ReviewItem[];
}

export interface OrganisationReview {
  organisationId: string;
  organisationName?: string;
  dueAt: string;
  overdue: boolean;
  lastCompletedAt: string | null;
  open: OpenReview | null;
}

const itemValidator: Validator<ReviewItem> = (value) => {
  if (!isRecord(value) || typeof value.id !== "string" || typeof value.userId !== "string") return null;
  return {
    id: value.id,
    userId: value.userId,
    ...(typeof value.email === "string" ? { email: value.email } : {}),
    ...(typeof value.name === "string" ? { name: value.name } : {}),
    accountId: typeof value.accountId === "string" ? value.accountId : "",
    role: typeof value.role === "string" ? value.role : "",
    decision: optString(value.decision) ?? null,
  };
};

const openReviewValidator: Validator<OpenReview> = (value) => {
  if (!isRecord(value) || typeof value.id !== "string") return null;
  const items = arrayOf(value.items ?? [], itemValidator);
  if (!items) return null;
  return {
    id: value.id,
    openedAt: typeof value.openedAt === "string" ? value.openedAt : "",
    openedBy: typeof value.openedBy === "string" ? value.openedBy : "",
    items,
  };
};

const orgReviewValidator: Validator<OrganisationReview> = (value) => {
  if (!isRecord(value) || typeof value.organisationId !== "string") return null;
  let open: OpenReview | null = null;
  if (value.open !== null && value.open !== undefined) {
    open = openReviewValidator(value.open);
    if (!open) return null;
  }
  return {
    organisationId: value.organisationId,
    ...(typeof value.organisationName === "string" ? { organisationName: value.organisationName } : {}),
    dueAt: typeof value.dueAt === "string" ? value.dueAt : "",
    overdue: value.overdue === true,
    lastCompletedAt: optString(value.lastCompletedAt) ?? null,
    open,
  };
};

export const reviews = {
  list: (signal?: AbortSignal) =>
    requestJson(
      "GET",
      "/api/access-reviews",
      (value) => (isRecord(value) ? arrayOf(value.reviews, orgReviewValidator) : null),
      withSignal(signal),
    ),
  open: (organisationId: string) =>
    requestJson("POST", "/api/access-reviews", anyBody, { body: { organisationId } }),
  decide: (reviewId: string, itemId: string, decision: "confirm" | "revoke") =>
    requestJson("POST", `/api/access-reviews/${seg(reviewId)}/items/${seg(itemId)}`, anyBody, {
      body: { decision },
    }),
  complete: (reviewId: string) =>
    requestJson("POST", `/api/access-reviews/${seg(reviewId)}/complete`, anyBody, { body: {} }),
};

// Audit log -------------------------------------------------------------------------------------------------

export interface AuditEntry {
  seq: number;
  id: string;
  at: string;
  actor: string;
  action: string;
  outcome: string;
  target: Record<string, string>;
  requestId: string | null;
  reason: string | null;
}

export interface AuditPage {
  entries: AuditEntry[];
  nextCursor: string | null;
}

function targetOf(value: unknown): Record<string, string> {
  let parsed = value;
  if (typeof value === "string") {
    try {
      parsed = JSON.parse(value);
    } catch {
      return {};
    }
  }
  if (!isRecord(parsed)) return {};
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(parsed)) out[key] = String(item);
  return out;
}

const entryValidator: Validator<AuditEntry> = (value) => {
  if (!isRecord(value) || typeof value.action !== "string" || typeof value.at !== "string") return null;
  return {
    seq: typeof value.seq === "number" ? value.seq : 0,
    id: typeof value.id === "string" ? value.id : String(value.seq),
    at: value.at,
    actor: typeof value.actor === "string" ? value.actor : "",
    action: value.action,
    outcome: typeof value.outcome === "string" ? value.outcome : "",
    target: targetOf(value.target),
    requestId: optString(value.requestId ?? value.request_id) ?? null,
    reason: optString(value.reason) ?? null,
  };
};

export interface AuditFilters {
  since?: string;
  until?: string;
  action?: string;
  actor?: string;
}

export interface AuditVerification {
  valid: boolean;
  checkedEntries: number | null;
  problem: { kind: string; seq: number | null; message: string } | null;
}

const verificationValidator: Validator<AuditVerification> = (value) => {
  if (!isRecord(value) || typeof value.valid !== "boolean") return null;
  const checked = value.checkedEntries ?? value.entriesChecked ?? value.entries;
  const problem = isRecord(value.problem)
    ? {
        kind: typeof value.problem.kind === "string" ? value.problem.kind : "unknown",
        seq: typeof value.problem.seq === "number" ? value.problem.seq : null,
        message: typeof value.problem.message === "string" ? value.problem.message : "",
      }
    : null;
  return { valid: value.valid, checkedEntries: typeof checked === "number" ? checked : null, problem };
};

export const audit = {
  page: (filters: AuditFilters, cursor: string | null, limit: number, signal?: AbortSignal) => {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(filters)) if (value) query.set(key, value);
    query.set("limit", String(limit));
    if (cursor) query.set("cursor", cursor);
    return requestJson(
      "GET",
      `/api/audit?${query.toString()}`,
      (value): AuditPage | null => {
        if (!isRecord(value)) return null;
        const entries = arrayOf(value.entries, entryValidator);
        if (!entries) return null;
        const next = value.nextCursor ?? value.cursor;
        return { entries, nextCursor: typeof next === "string" && next !== "" ? next : null };
      },
      withSignal(signal),
    );
  },
  verify: () =>
    requestJson("POST", "/api/audit/verify", verificationValidator, { body: {}, timeoutMs: 120_000 }),
};
