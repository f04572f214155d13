/**
 * The report of any published version, read back from the store and verified
 * like every other file of the version (train/store/versions.ts readVersion:
 * manifest against the pointer when "current" was asked for, report.html
 * against the manifest's sha256).
 */
import { sha256Hex } from "../../shared/hash.ts";
import { readVersion, resolveVersion, type Location } from "../store/versions.ts";
import { REPORT_FILE } from "./model/render.ts";

/** A version that was published without a report (before reports existed). */
export class ReportMissingError extends Error {
  readonly code = "report_missing";
}

export interface ExportedReport {
  name: string;
  version: string;
  /** The exact bytes published, verified. */
  bytes: Uint8Array;
  sha256: string;
  /** Whether this version is the one the pointer names now. */
  current: boolean;
}

/** `ref` is a version id or "current". Throws StoreError (codes in versions.ts) or ReportMissingError. */
export async function exportReport(l: Location, ref: string): Promise<ExportedReport> {
  const r = await resolveVersion(l, ref);
  const { manifest, files } = await readVersion(l, r.version, r.manifestSha256);
  const bytes = files.get(REPORT_FILE);
  if (!bytes || !manifest.files[REPORT_FILE]) {
    throw new ReportMissingError(`version ${r.version} of "${l.name}" has no ${REPORT_FILE}: it was published before reports existed; train a new version to get one`);
  }
  return { name: l.name, version: r.version, bytes, sha256: await sha256Hex(bytes), current: r.current.pointer?.version === r.version };
}
