#!/usr/bin/env node
import { runCli } from "./cli/program.js";
import { readStreamText } from "./cli/stdin.js";
import { processEnvironment } from "./config/environment.js";

// Every file this process creates (database, WAL, keys, certificates, backups) is private to its user.
process.umask(0o077);

const code = await runCli(process.argv.slice(2), {
  env: processEnvironment(),
  cwd: process.cwd(),
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  readStdin: () => readStreamText(process.stdin),
});
process.exitCode = code;
