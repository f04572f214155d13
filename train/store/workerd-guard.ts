/**
 * Miniflare stops its workerd process when this one exits or gets SIGINT or
 * SIGTERM (its exit hook), but a process that dies without running any more
 * JavaScript (SIGKILL from a scheduler's timeout, a heap abort, a closed
 * terminal's SIGHUP) leaves workerd running, holding its port and the store's
 * files. A guard outlives that: a tiny `sh` reading a pipe only this process
 * writes to. The pipe ends when this process does, however it ends, and the
 * guard then kills the workerd processes it was given; `release` ends it
 * without killing. Linux: children are found in /proc; elsewhere no guard.
 */
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

/** Pids of this process's children running workerd (none where /proc is missing). */
export function workerdChildren(): number[] {
  let entries: string[];
  try {
    entries = readdirSync("/proc").filter((d) => /^\d+$/.test(d));
  } catch {
    return [];
  }
  return entries.flatMap((d) => {
    try {
      // "pid (comm) state ppid ...": comm may hold spaces, so read around the last ")".
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      return ppid === process.pid && comm.startsWith("workerd") ? [Number(d)] : [];
    } catch {
      return []; // gone meanwhile
    }
  });
}

export interface Guard { release(): void }

/** Kills `pids` with SIGKILL once this process has ended, unless released first. */
export function guardProcesses(pids: number[]): Guard {
  if (pids.length === 0) return { release() {} };
  // `read` fails only at end of input: this process is gone without a word.
  const guard = spawn("sh", ["-c", 'read -r _ || kill -9 "$@" 2>/dev/null', "workerd-guard", ...pids.map(String)], {
    stdio: ["pipe", "ignore", "ignore"], detached: true, // its own process group: a Ctrl-C to ours does not stop it first
  });
  guard.on("error", () => {}); // no sh: nothing to guard with, the exit hook still covers the ordinary endings
  guard.stdin?.on("error", () => {});
  guard.unref();
  (guard.stdin as (NodeJS.WritableStream & { unref?(): void }) | null)?.unref?.();
  return { release: () => { guard.stdin?.end("released\n"); } };
}
