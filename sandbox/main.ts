#!/usr/bin/env node
import { startSandboxFromArgs } from "./cli.js";

const running = await startSandboxFromArgs(process.argv.slice(2), {
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
if (running === 0 || running === 2) {
  process.exitCode = running;
} else {
  const stop = () => {
    void running.close().then(() => process.exit(0));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
