/**
 * Who moves a pointer and from which code: the audit log's actor and revision.
 * Actor: EDGESCORE_ACTOR, else `git config user.email`, else the OS user.
 * Revision: EDGESCORE_REVISION (for CI builds without .git), else the git
 * commit, with "-dirty" when tracked files differ from it.
 */
import { execFileSync } from "node:child_process";
import { userInfo } from "node:os";

function git(args: string[]): string | undefined {
  try {
    return execFileSync("git", args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 5000 }).trim() || undefined;
  } catch {
    return undefined;
  }
}

export function resolveActor(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.EDGESCORE_ACTOR?.trim();
  if (fromEnv) return fromEnv;
  const email = git(["config", "user.email"]);
  if (email) return email;
  try {
    return userInfo().username || "unknown";
  } catch {
    return "unknown";
  }
}

export function resolveRevision(env: NodeJS.ProcessEnv = process.env): string | null {
  const fromEnv = env.EDGESCORE_REVISION?.trim();
  if (fromEnv) return fromEnv;
  const head = git(["rev-parse", "HEAD"]);
  if (!head) return null;
  let dirty = false;
  try {
    execFileSync("git", ["diff", "--quiet", "HEAD", "--"], { stdio: "ignore", timeout: 5000 });
  } catch {
    dirty = true;
  }
  return dirty ? `${head}-dirty` : head;
}
