/**
 * A short-lived, bounded memory of resolved credentials (API token hash -> owner and scopes), so an
 * authenticated request does not re-read the token row each time. Authorization never comes from here:
 * authorize() re-reads the user's status, the account and the role on every request, so disabling a user
 * or changing a role is immediate whatever this holds. What the cache can hold stale is the credential
 * itself (a revoked token), and that is handled in two ways:
 *
 * - In this process: every revocation path calls invalidateUserCredentials(userId) once its write is
 *   done. That bumps the user's epoch; an entry filled at an older epoch is never served again, and a fill
 *   whose read began before the bump is not stored. Revocation is therefore immediate in-process.
 * - In another process (a second app instance, the CLI): nothing reaches this memory, so an entry lives
 *   at most CREDENTIAL_CACHE_TTL_MS. That is the documented bound on cross-process revocation.
 */

/** Bound on how long another process's revocation can go unseen here (README: "API tokens"). */
export const CREDENTIAL_CACHE_TTL_MS = 5_000;
/** Entries per cache; past it the oldest go first. */
export const CREDENTIAL_CACHE_MAX = 1_000;
/** Users with a remembered epoch; past it every cache in the process starts empty again. */
const MAX_TRACKED_USERS = 10_000;
/** After a revocation, no fill of that user is stored for this long (ms, monotonic): a write that is
 * part of a transaction still open on another connection must not be "cached around". */
const FILL_QUARANTINE_MS = CREDENTIAL_CACHE_TTL_MS;

let epoch = 0;
/** Entries older than this are void everywhere (raised when the per-user table is cleared). */
let floorEpoch = 0;
const userEpochs = new Map<string, { epoch: number; at: number }>();

/** The epoch a fill must record before it reads the store. */
export function credentialEpoch(): number {
  return epoch;
}

/**
 * Call after any write that ends a user's credentials (token revoke, sign-out, rotation, offboarding).
 * `committed`: the write is already durable (it ran on its own, not inside a caller's transaction); else
 * fills of this user are also not stored for a while, in case the transaction is still open.
 */
export function invalidateUserCredentials(userId: string, committed = false): void {
  epoch += 1;
  if (userEpochs.size >= MAX_TRACKED_USERS) {
    userEpochs.clear();
    floorEpoch = epoch;
  }
  const previous = userEpochs.get(userId)?.at ?? Number.NEGATIVE_INFINITY;
  userEpochs.set(userId, { epoch, at: committed ? previous : performance.now() });
}

function voidedSince(userId: string, filledAt: number): boolean {
  if (filledAt < floorEpoch) return true;
  const mark = userEpochs.get(userId);
  return mark !== undefined && mark.epoch > filledAt;
}

function quarantined(userId: string): boolean {
  const mark = userEpochs.get(userId);
  return mark !== undefined && performance.now() - mark.at < FILL_QUARANTINE_MS;
}

interface Entry<V> {
  value: V;
  userId: string;
  epoch: number;
  /** Clock time (ms) of the fill: the TTL runs on the injected clock. */
  storedAt: number;
}

export interface CredentialCache<V> {
  get(key: string, now: number): V | undefined;
  /** `readEpoch`: credentialEpoch() taken before the store was read. */
  set(key: string, userId: string, value: V, readEpoch: number, now: number): void;
  delete(key: string): void;
  readonly size: number;
}

export function createCredentialCache<V>(options: { ttlMs?: number; max?: number } = {}): CredentialCache<V> {
  const ttlMs = options.ttlMs ?? CREDENTIAL_CACHE_TTL_MS;
  const max = options.max ?? CREDENTIAL_CACHE_MAX;
  const entries = new Map<string, Entry<V>>();
  return {
    get(key, now) {
      const entry = entries.get(key);
      if (!entry) return undefined;
      // A clock moved backwards counts as expired too: never trust an entry whose age is unknown.
      const age = now - entry.storedAt;
      if (age >= ttlMs || age < 0 || voidedSince(entry.userId, entry.epoch)) {
        entries.delete(key);
        return undefined;
      }
      return entry.value;
    },
    set(key, userId, value, readEpoch, now) {
      if (voidedSince(userId, readEpoch) || quarantined(userId)) return;
      entries.delete(key);
      entries.set(key, { value, userId, epoch: readEpoch, storedAt: now });
      if (entries.size > max) {
        const oldest = entries.keys().next().value;
        if (oldest !== undefined) entries.delete(oldest);
      }
    },
    delete(key) {
      entries.delete(key);
    },
    get size() {
      return entries.size;
    },
  };
}
