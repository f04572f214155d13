/**
 * `decisions verify --inventory <dir>`: what verify has seen, kept where a
 * bucket writer cannot reach (the auditor's disk, or storage with other
 * credentials), as a file-integrity monitor (Tripwire, AIDE) keeps its
 * database. Signatures show that an object present is genuine; only a record
 * of what was there shows that one has gone. One JSON Lines file per model
 * and day partition (`<dir>/<model>/<day>.jsonl`: key, sha256 of the stored
 * bytes, size, when first verified), so a run loads only the days it checks.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface InventoryEntry {
  key: string;
  sha256: string;
  size: number;
  /** When verify first found the object valid (ISO time). */
  seen: string;
}

export class InventoryError extends Error {}

const dayFile = (dir: string, model: string, day: string) => join(dir, model, `${day}.jsonl`);

/** The days the inventory holds for a model (YYYY-MM-DD). */
export function inventoryDays(dir: string, model: string): string[] {
  const at = join(dir, model);
  if (!existsSync(at)) return [];
  return readdirSync(at).map((f) => /^(\d{4}-\d{2}-\d{2})\.jsonl$/.exec(f)?.[1]).filter((d): d is string => d !== undefined).sort();
}

/** One day's entries by key (none yet: empty); a line that is not an entry names the file and line. */
export function loadDay(dir: string, model: string, day: string): Map<string, InventoryEntry> {
  const file = dayFile(dir, model, day);
  const out = new Map<string, InventoryEntry>();
  if (!existsSync(file)) return out;
  readFileSync(file, "utf8").split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    let e: Partial<InventoryEntry>;
    try {
      e = JSON.parse(line) as Partial<InventoryEntry>;
    } catch {
      throw new InventoryError(`${file} line ${i + 1}: not JSON; the inventory is damaged (restore it from its backup)`);
    }
    if (typeof e.key !== "string" || typeof e.sha256 !== "string" || typeof e.size !== "number" || typeof e.seen !== "string") {
      throw new InventoryError(`${file} line ${i + 1}: expected {key, sha256, size, seen}; the inventory is damaged (restore it from its backup)`);
    }
    out.set(e.key, e as InventoryEntry);
  });
  return out;
}

/** Writes one day's entries, whole, through a temporary file (a crash leaves the old file or the new one). */
export function saveDay(dir: string, model: string, day: string, entries: Map<string, InventoryEntry>): void {
  const file = dayFile(dir, model, day);
  mkdirSync(join(dir, model), { recursive: true });
  const sorted = [...entries.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  writeFileSync(`${file}.tmp`, sorted.map((e) => JSON.stringify(e)).join("\n") + "\n");
  renameSync(`${file}.tmp`, file);
}
