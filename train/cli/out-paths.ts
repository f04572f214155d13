/**
 * A local output path checked before a run starts, so a folder that does
 * not exist or a file where a folder belongs is a usage error naming the
 * flag (exit 2) — not Node's ENOENT after the whole file was scored, naming
 * a temporary file the user never chose.
 */
import { existsSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseS3Url } from "../store/storage.ts";
import { UsageError } from "./args.ts";

const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory();

/**
 * `--<flag> <path>` will be written as a file: its folder exists (or, with `makesFolders`, the command makes it),
 * and it is not a folder itself.
 */
export function checkOutFile(flag: string, path: string, o: { example?: string; makesFolders?: boolean } = {}): void {
  if (isDir(path)) throw new UsageError(`--${flag} ${path} is a folder: name a file in it, e.g. ${path.replace(/\/+$/, "")}/${o.example ?? "scores.csv"}`);
  if (o.makesFolders) return;
  const parent = dirname(path);
  if (!existsSync(parent)) throw new UsageError(`--${flag} ${path}: the folder ${parent} does not exist; create it first (mkdir -p ${parent})`);
  if (!isDir(parent)) throw new UsageError(`--${flag} ${path}: ${parent} is a file, not a folder`);
}

/** `--<flag> <dir>` will hold files: it is a folder or can become one (it is not a file). */
export function checkOutDir(flag: string, dir: string, holds: string): void {
  if (existsSync(dir) && !isDir(dir)) throw new UsageError(`--${flag} ${dir} is a file: name a folder for ${holds} (made if missing)`);
}

/**
 * Whether two `--data` / `--out` values name the same file: the same object for
 * s3:// URLs; for local paths the same path once resolved (`./a.csv`, `a.csv`,
 * `x/../a.csv`), or, when both exist, the same file on disk (a symlink or a hard link).
 */
export function sameFile(a: string, b: string): boolean {
  const [sa, sb] = [parseS3Url(a), parseS3Url(b)];
  if (sa || sb) return !!sa && !!sb && sa.bucket === sb.bucket && sa.key === sb.key;
  if (resolve(a) === resolve(b)) return true;
  if (!existsSync(a) || !existsSync(b)) return false;
  const [x, y] = [statSync(a), statSync(b)];
  return x.dev === y.dev && x.ino === y.ino;
}

/** Refuses (exit 2) an output that would overwrite an input or another output before anything is read. */
export function checkDistinct(flag: string, path: string, other: string, otherFlag: string): void {
  if (sameFile(path, other)) throw new UsageError(`--${flag} ${path} is the same file as --${otherFlag} ${other}: writing it would overwrite ${otherFlag === "data" ? "the data being read" : `the --${otherFlag} file`}; name another file`);
}
