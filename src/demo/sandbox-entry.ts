import path from "node:path";
import { fileURLToPath } from "node:url";
import { packageRoot } from "../platform/paths.js";

/**
 * Where the sandbox program lives: its TypeScript entry when we run from source (same runtime flags, so the
 * loader comes along), the built one otherwise. src/ never imports sandbox/; it only starts it as a process.
 */
export function sandboxEntry(): { file: string; execArgv: string[] } {
  const fromSource = fileURLToPath(import.meta.url).endsWith(".ts");
  const root = packageRoot();
  if (!fromSource) return { file: path.join(root, "dist", "sandbox", "main.js"), execArgv: [] };
  // From source the child needs the TypeScript loader, whether we were started with it or run inside a tool
  // (a test runner) that compiles on its own.
  const hasLoader = process.execArgv.some((arg) => arg.includes("tsx"));
  return {
    file: path.join(root, "sandbox", "main.ts"),
    execArgv: hasLoader ? process.execArgv : [...process.execArgv, "--import", "tsx"],
  };
}
