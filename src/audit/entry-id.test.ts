import { describe, expect, it } from "vitest";
import { newEntryId } from "./entry-id.js";

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("audit entry ids", () => {
  it("are RFC 9562 version 7 UUIDs that sort by the entry's time", () => {
    const earlier = newEntryId(new Date("2026-11-28T12:00:00.000Z"));
    const later = newEntryId(new Date("2026-11-28T12:00:00.001Z"));
    expect(earlier).toMatch(V7);
    expect(later).toMatch(V7);
    expect(earlier < later).toBe(true);
    expect(Number.parseInt(earlier.replace("-", "").slice(0, 12), 16)).toBe(
      Date.parse("2026-11-28T12:00:00.000Z"),
    );
  });

  it("stay unique when the clock stands still (uniqueness is the random bits)", () => {
    const at = new Date("2026-11-28T12:00:00.000Z");
    // More than one refill of the random pool.
    const ids = Array.from({ length: 1000 }, () => newEntryId(at));
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(V7);
  });
});
