/**
 * Preloaded (`node --import`) into a measured child when GNU time is missing:
 * prints the process's peak RSS on exit, for bench/proc.ts to pick up.
 */
import { writeSync } from "node:fs";

process.on("exit", () => {
  // resourceUsage().maxRSS is in KiB.
  writeSync(2, `__BENCH_MAXRSS_KIB=${process.resourceUsage().maxRSS}\n`);
});
