/** The single place the process environment is read; everything else receives a parsed Config. */
export function processEnvironment(): Readonly<Record<string, string | undefined>> {
  return process.env;
}
