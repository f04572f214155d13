/**
 * A local output path checked before a run starts, so a folder that does
 * not exist or a file where a folder belongs is a usage error naming the
 * flag (exit 2) — not Node's ENOENT after the whole file was scored, naming
 * a temporary file the user never chose.
 */
import { existsSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { UsageError } from "./args.ts";

const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory();

/** `--<flag> <path>` will be written as a file: its folder exists, and it is not a folder itself. */
export function checkOutFile(flag: string, path: string): void {
  if (isDir(path)) throw new UsageError(`--${flag} ${path} is a folder: name a file in it, e.g. ${path.replace(/\/+$/, "")}/scores.csv`);
  const parent = dirname(path);
  if (!existsSync(parent)) throw new UsageError(`--${flag} ${path}: the folder ${parent} does not exist; create it first (mkdir -p ${parent})`);
  if (!isDir(parent)) throw new UsageError(`--${flag} ${path}: ${parent} is a file, not a folder`);
}

/** `--<flag> <dir>` will hold files: it is a folder or can become one (it is not a file). */
export function checkOutDir(flag: string, dir: string, holds: string): void {
  if (existsSync(dir) && !isDir(dir)) throw new UsageError(`--${flag} ${dir} is a file: name a folder for ${holds} (made if missing)`);
}
