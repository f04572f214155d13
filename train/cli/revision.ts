/**
 * Which code trained a model, for its card: `CODE_REVISION` from the
 * environment (CI sets it when building from an archive), else the git commit
 * of the working tree with "-dirty" when it has uncommitted changes, else "unknown".
 */
import { execFileSync } from "node:child_process";

export function codeRevision(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  if (env.CODE_REVISION?.trim()) return env.CODE_REVISION.trim();
  try {
    const git = (...args: string[]) => execFileSync("git", args, { cwd, stdio: ["ignore", "pipe", "ignore"], timeout: 5000 }).toString().trim();
    const commit = git("rev-parse", "HEAD");
    if (!/^[0-9a-f]{40}$/.test(commit)) return "unknown";
    return git("status", "--porcelain", "--untracked-files=no") ? `${commit}-dirty` : commit;
  } catch {
    return "unknown"; // not a git checkout, or git is not installed
  }
}
