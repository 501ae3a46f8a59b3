/** Progress lines for long-running commands, on stderr so --json output on stdout stays clean. */
export function progressPrinter(write: (text: string) => void, minIntervalMs = 500) {
  let last = 0;
  let lastPhase = "";
  return (phase: string, done: number, total: number | null) => {
    const now = Date.now();
    const finished = total !== null && done >= total;
    if (phase === lastPhase && !finished && now - last < minIntervalMs) return;
    last = now;
    lastPhase = phase;
    const pct = total ? ` (${Math.floor((done / Math.max(total, 1)) * 100)}%)` : "";
    write(`${phase}: ${done}${total !== null ? `/${total}` : ""}${pct}\n`);
  };
}
