import { isDemoMode } from "../config/config.js";
import { openDemoSpApi } from "../demo/demo-mode.js";
import type { Runtime } from "../runtime.js";
import { openSpApi, type SpApiRuntime, spApiSetupFromConfig } from "../spapi-runtime.js";
import { publicBase } from "./identity-cli.js";

/**
 * A CLI command's way to Amazon: the configured application, or in demo mode a sandbox of its own started from
 * the instance's credential seed (it accepts the same tokens as the server's). Closed when `run` ends.
 */
export async function withSpApi<T>(
  rt: Runtime,
  run: (spapi: SpApiRuntime, mode: "demo" | "connected") => Promise<T>,
): Promise<T> {
  const publicUrl = publicBase(rt.config);
  if (isDemoMode(rt.config)) {
    const demo = await openDemoSpApi(rt, { publicUrl });
    try {
      return await run(demo.spapi, "demo");
    } finally {
      await demo.close();
    }
  }
  const setup = spApiSetupFromConfig(rt.config, publicUrl);
  if (!setup) throw new Error("unreachable: LWA credentials are configured outside demo mode");
  const spapi = openSpApi(rt, setup);
  try {
    return await run(spapi, "connected");
  } finally {
    await spapi.close();
  }
}
