/** Progress lines go to stderr so stdout carries only the summary table. */
export type Progress = (line: string) => void;

export function progressFor(scope: string): Progress {
  const started = performance.now();
  return (line) => {
    const elapsed = ((performance.now() - started) / 1000).toFixed(1).padStart(6);
    process.stderr.write(`[bench ${scope} +${elapsed}s] ${line}\n`);
  };
}
