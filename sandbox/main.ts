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
  // A parent that starts us as its child (Seller Pilot's demo mode) holds our stdin open; when it dies, even
  // by SIGKILL, stdin ends and we go too instead of lingering on a port.
  if (process.env.SELLER_PILOT_SANDBOX_LIFELINE === "stdin") {
    process.stdin.once("end", stop).once("close", stop).resume();
  }
}
