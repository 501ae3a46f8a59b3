import { runCli } from "../../src/cli/program.js";

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  // biome-ignore lint/suspicious/noExplicitAny: parsed CLI output; each test reads the shape it expects
  json(): any;
}

/** Runs the real CLI in-process with the given environment, capturing what it prints. */
export async function runCliCaptured(
  argv: readonly string[],
  options: { env: Record<string, string | undefined>; cwd: string; stdin?: string },
): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, {
    env: options.env,
    cwd: options.cwd,
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    ...(options.stdin === undefined ? {} : { readStdin: async () => options.stdin ?? "" }),
  });
  return { code, stdout, stderr, json: () => JSON.parse(stdout) };
}
