import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { AppError } from "../platform/errors.js";
import { timerSleep, untilAborted } from "./abort.js";

const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
const codeOf = (err: unknown) => (err instanceof AppError ? err.code : String(err));

describe("abortable waits", () => {
  it("a sleep ends at its abort with the runner's reason, and its timer is gone", async () => {
    const sleep = timerSleep((ms) => ms * 1000);
    const before = timers();
    const controller = new AbortController();
    const waiting = sleep(3_600, controller.signal).catch((e: unknown) => e);
    await new Promise((resolve) => setImmediate(resolve));
    expect(timers()).toBe(before + 1);
    const reason = new AppError("SYNC_ABORTED", "stopping");
    controller.abort(reason);
    expect(await waiting).toBe(reason);
    expect(timers()).toBe(before);
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  });

  it("any other abort reason reads as SYNC_ABORTED, and an aborted signal never starts a wait", async () => {
    const sleep = timerSleep();
    const controller = new AbortController();
    controller.abort();
    const before = timers();
    const err = await sleep(60_000, controller.signal).catch((e: unknown) => e);
    expect(codeOf(err)).toBe("SYNC_ABORTED");
    expect((err as AppError).cause).toBe(controller.signal.reason);
    expect(timers()).toBe(before);
    await expect(sleep(1)).resolves.toBeUndefined();
  });

  it("one caller stops waiting for shared work; the work and its other callers go on", async () => {
    let finish!: (value: string) => void;
    const shared = new Promise<string>((resolve) => {
      finish = resolve;
    });
    const impatient = new AbortController();
    const patient = new AbortController();
    const first = untilAborted(shared, impatient.signal).catch((e: unknown) => e);
    const second = untilAborted(shared, patient.signal);
    impatient.abort();
    expect(codeOf(await first)).toBe("SYNC_ABORTED");
    finish("token");
    expect(await second).toBe("token");
    expect(getEventListeners(patient.signal, "abort")).toHaveLength(0);
    expect(getEventListeners(impatient.signal, "abort")).toHaveLength(0);
  });
});
