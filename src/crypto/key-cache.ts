import type { Clock } from "../platform/clock.js";

export interface KeyCacheLimits {
  maxEntries: number;
  ttlMs: number;
}

/**
 * Unwrapped data keys in memory, bounded in count (least recently used goes first) and in lifetime, so a
 * key destroyed by another process stops working here within ttlMs. Evicted keys are not zeroed: a
 * caller may still be using the same buffer in flight, and a zeroed key would silently seal with zeros.
 */
export class KeyCache {
  readonly #entries = new Map<string, { key: Buffer; expiresAt: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly limits: KeyCacheLimits,
  ) {}

  get(id: string): Buffer | undefined {
    const entry = this.#entries.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.clock.now().getTime()) {
      this.delete(id);
      return undefined;
    }
    this.#entries.delete(id);
    this.#entries.set(id, entry);
    return entry.key;
  }

  set(id: string, key: Buffer): void {
    this.delete(id);
    this.#entries.set(id, { key, expiresAt: this.clock.now().getTime() + this.limits.ttlMs });
    while (this.#entries.size > this.limits.maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.delete(oldest);
    }
  }

  delete(id: string): void {
    this.#entries.delete(id);
  }

  /** Drops every entry whose id starts with the prefix (all versions of one account). */
  deletePrefix(prefix: string): void {
    for (const id of [...this.#entries.keys()]) if (id.startsWith(prefix)) this.delete(id);
  }

  get size(): number {
    return this.#entries.size;
  }
}
