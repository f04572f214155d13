/**
 * Replay: re-scores recorded features with the recorded version, loaded from
 * the store and verified like every other command loads one (every file's
 * sha256, the manifest's signature on a signed store; train/store/versions.ts),
 * through the edge's own code (shared/scorer.ts on the SIMD kernel when it
 * runs the network, as the edge builds it; shared/predict.ts), and compares
 * every leaf of each answer with the record exactly: numbers by identity, to
 * the bit. A request's instances are scored together, in their order, as the
 * edge scored them (consecutive records of one capture id form the batch).
 */
import type { DecisionRecord } from "../../shared/decisions/record.ts";
import { predict } from "../../shared/predict.ts";
import type { Row } from "../../shared/preprocess.ts";
import { useBackend } from "../fit/backend.ts";
import { loadVersionScorer, StoreError, type LoadedVersion, type Location } from "../store/versions.ts";

export interface Difference {
  id: string;
  requestId: string;
  version: string;
  /** The answer's field, as a path: `probability`, `reasons[0].impact`, `warnings`; `manifestSha256` for another version's bytes. */
  field: string;
  recorded: unknown;
  replayed: unknown;
}

export interface ReplayResult {
  /** Records read (de-duplicated, in the range). */
  records: number;
  replayed: number;
  equal: number;
  /** Records kept without features (CAPTURE="decisions"): nothing to re-score. */
  notReplayable: number;
  /**
   * Records whose version cannot be loaded from the store (deleted, e.g. by `models gc`, or failing its
   * checks): not re-scored, counted per version with the store's reason. The rest are still replayed.
   */
  unavailable: number;
  unavailableVersions: Record<string, { records: number; code: string; message: string }>;
  /** Records replayed per version. */
  versions: Record<string, number>;
  /** Each differing field, at most `maxListed` in all. */
  differences: Difference[];
  /** Records whose answer (or version bytes) differ from the replay. */
  differing: number;
}

/** Versions kept loaded at once (a range spans a promote or two). */
const CACHE = 3;

/** Every leaf where `b` differs from `a`: numbers by Object.is (bit for bit), missing keys included. */
export function leafDifferences(a: unknown, b: unknown, path = ""): { field: string; recorded: unknown; replayed: unknown }[] {
  if (typeof a === "number" && typeof b === "number") return Object.is(a, b) ? [] : [{ field: path, recorded: a, replayed: b }];
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return [{ field: `${path}.length`.replace(/^\./, ""), recorded: a.length, replayed: b.length }, ...leafDifferences(a.slice(0, Math.min(a.length, b.length)), b.slice(0, Math.min(a.length, b.length)), path)];
    return a.flatMap((x, i) => leafDifferences(x, b[i], `${path}[${i}]`));
  }
  if (a && b && typeof a === "object" && typeof b === "object" && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    return keys.flatMap((k) => leafDifferences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k));
  }
  return a === b ? [] : [{ field: path, recorded: a, replayed: b }];
}

/** `<capture id>:<index>[:shadow]` → the capture id (one request). */
const captureOf = (r: DecisionRecord) => r.id.replace(/:\d+(:shadow)?$/, "");

export async function replayRecords(records: AsyncIterable<DecisionRecord>, l: Location, o: { maxListed?: number; log?(line: string): void } = {}): Promise<ReplayResult> {
  const maxListed = o.maxListed ?? 100;
  const result: ReplayResult = { records: 0, replayed: 0, equal: 0, notReplayable: 0, unavailable: 0, unavailableVersions: {}, versions: {}, differences: [], differing: 0 };
  const loaded = new Map<string, LoadedVersion>();
  let backendReady = false;
  const scorerFor = async (version: string): Promise<LoadedVersion | undefined> => {
    const hit = loaded.get(version);
    if (hit) { loaded.delete(version); loaded.set(version, hit); return hit; }
    if (Object.hasOwn(result.unavailableVersions, version)) return undefined;
    // The edge runs networks the kernel cannot on tfjs-wasm: the same backend here.
    if (!backendReady) { await useBackend("wasm"); backendReady = true; }
    let v: LoadedVersion;
    try {
      v = await loadVersionScorer(l, version);
    } catch (e) {
      // A storage failure (the network, credentials) fails the command; a version missing or failing its checks is this version's.
      if (!(e instanceof StoreError) || e.code === "storage") throw e;
      o.log?.(`cannot replay the records of ${l.name} ${version}: ${e.message}`);
      result.unavailableVersions[version] = { records: 0, code: e.code, message: e.message };
      return undefined;
    }
    o.log?.(`loaded ${l.name} ${version} from the store, verified (every file's sha256${l.signing?.trusted?.size ? ", the manifest's signature" : ""})`);
    loaded.set(version, v);
    if (loaded.size > CACHE) {
      const [oldest, lv] = loaded.entries().next().value as [string, LoadedVersion];
      lv.dispose();
      loaded.delete(oldest);
    }
    return v;
  };
  let group: DecisionRecord[] = [];
  const flush = async () => {
    if (group.length === 0) return;
    const batch = group.sort((a, b) => a.index - b.index);
    group = [];
    const first = batch[0] as DecisionRecord;
    const v = await scorerFor(first.version);
    if (!v) {
      result.unavailable += batch.length;
      result.unavailableVersions[first.version]!.records += batch.length;
      return;
    }
    const answers = predict(v.scorer, batch.map((r) => r.features as Row), first.topK);
    batch.forEach((r, i) => {
      result.replayed++;
      result.versions[r.version] = (result.versions[r.version] ?? 0) + 1;
      const diffs = leafDifferences(r.answer, answers[i]);
      if (r.manifestSha256 !== v.manifestSha256) diffs.unshift({ field: "manifestSha256", recorded: r.manifestSha256, replayed: v.manifestSha256 });
      if (diffs.length === 0) { result.equal++; return; }
      result.differing++;
      for (const d of diffs) if (result.differences.length < maxListed) result.differences.push({ id: r.id, requestId: r.requestId, version: r.version, ...d });
    });
  };
  try {
    for await (const r of records) {
      result.records++;
      if (!r.features) { result.notReplayable++; continue; }
      const g = group[0];
      if (g && (captureOf(g) !== captureOf(r) || g.version !== r.version || g.topK !== r.topK)) await flush();
      group.push(r);
    }
    await flush();
  } finally {
    for (const v of loaded.values()) v.dispose();
  }
  return result;
}
