/**
 * The artifact format: where a model version lives in the bucket and what its
 * manifest says. A version's objects are immutable (written once); the small
 * pointer object `<name>/current.json` says which version serves.
 */
import { type } from "arktype";
import { featureSpec, type FeatureSpec } from "./spec.ts";
import type { PreprocessState } from "./preprocess.ts";
import { TARGET_TRANSFORMS, type Task } from "./task.ts";

/**
 * v1: a classifier (no `task`). v2 adds `task`; the trainer writes v2 only
 * when a version needs it (regression), so Workers deployed before v2 keep
 * serving classifiers and refuse a regression model instead of serving its
 * output as a probability (their parser accepts v1 only).
 */
export const ARTIFACT_FORMAT = "edgescore.artifact/v1";
export const ARTIFACT_FORMAT_V2 = "edgescore.artifact/v2";
export type ArtifactFormat = typeof ARTIFACT_FORMAT | typeof ARTIFACT_FORMAT_V2;

/** The format a version with this task is written in. */
export function formatFor(task: Task): ArtifactFormat {
  return task.kind === "classification" ? ARTIFACT_FORMAT : ARTIFACT_FORMAT_V2;
}
export const MODEL_FILE = "model.json";
export const WEIGHTS_FILE = "weights.bin";
export const MANIFEST_FILE = "manifest.json";
/** Signatures over manifest.json's exact bytes (shared/signing.ts); not listed in the manifest it signs. */
export const SIGNATURE_FILE = "manifest.sig";
/** The version's HTML model report (optional: versions published before reports have none). */
export const REPORT_FILE = "report.html";

/**
 * Model names are path segments in the bucket and in URLs. "decisions" is the bucket's folder of decision
 * records (`decisions/<model>/…`, shared/decisions/record.ts), never a model.
 */
export const MODEL_NAME_PATTERN = /^(?!decisions$)[a-z0-9][a-z0-9._-]{0,63}$/;
/** MODEL_NAME_PATTERN in words, for the messages that refuse a name. */
export const MODEL_NAME_RULE = 'lowercase letters, digits, ".", "_" or "-" (at most 64), and not "decisions" (the decision records\' folder)';

export const keys = {
  pointer: (name: string) => `${name}/current.json`,
  version: (name: string, version: string) => `${name}/versions/${version}/`,
  file: (name: string, version: string, file: string) => `${name}/versions/${version}/${file}`,
};

/** `20261129T081500Z-1a2b3c4d`: sorts by creation time, unique by the suffix. */
export function versionId(createdAt: Date, suffix: string): string {
  const stamp = createdAt.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}Z$/, "Z");
  return `${stamp}-${suffix.slice(0, 8)}`;
}
export const VERSION_PATTERN = /^\d{8}T\d{6}Z-[0-9a-f]{8}$/;

export interface Thresholds {
  /** probability >= refer → "refer" (manual review). */
  refer: number;
  /** probability >= decline → "decline". Below refer → "approve". */
  decline: number;
}

export interface FileEntry { sha256: string; bytes: number }

/** The model card plus everything the edge needs to serve the version. */
export interface Manifest {
  format: ArtifactFormat;
  name: string;
  version: string;
  createdAt: string;
  /** What the model predicts (v2); absent means classification. */
  task?: Task;
  spec: FeatureSpec;
  preprocess: PreprocessState;
  /** Decision thresholds: classification only. */
  thresholds?: Thresholds;
  /** sha256 of every other object of the version, by file name. */
  files: Record<string, FileEntry>;
  /** Free-form model card: metrics, data fingerprint, hyperparameters, curves, versions. */
  card: Record<string, unknown>;
}

export interface Pointer {
  name: string;
  version: string;
  /** sha256 of the version's manifest.json bytes. */
  manifestSha256: string;
  publishedAt: string;
}

const sha = /^[0-9a-f]{64}$/;

const numericStep = type({
  kind: "'numeric'", name: "string", fill: "number", lo: "number", hi: "number",
  log: "boolean", center: "number", scale: "number > 0", indicator: "boolean",
});
const categoricalStep = type({
  kind: "'categorical'", name: "string", categories: "string[]", fallback: "number.integer >= 0", mode: "string",
});

const finiteNumber = type("number").narrow((n, ctx) => Number.isFinite(n) || ctx.mustBe("a finite number"));
const taskType = type({ kind: "'classification'" }).or({
  kind: "'regression'",
  target: {
    transform: type.enumerated(...TARGET_TRANSFORMS),
    mean: finiteNumber,
    std: finiteNumber.narrow((n, ctx) => n > 0 || ctx.mustBe("positive")),
    smearing: finiteNumber.narrow((n, ctx) => n > 0 || ctx.mustBe("positive")),
  },
  interval: { level: "0 < number < 1", halfWidth: finiteNumber.narrow((n, ctx) => n >= 0 || ctx.mustBe("non-negative")) },
});

const manifestType = type({
  format: `'${ARTIFACT_FORMAT}' | '${ARTIFACT_FORMAT_V2}'`,
  name: MODEL_NAME_PATTERN,
  version: VERSION_PATTERN,
  createdAt: "string",
  "task?": taskType,
  spec: featureSpec,
  preprocess: {
    scaler: "'minmax' | 'standard' | 'robust'",
    steps: numericStep.or(categoricalStep).array(),
    width: "number.integer > 0",
  },
  "thresholds?": { refer: "0 <= number <= 1", decline: "0 <= number <= 1" },
  files: type.Record("string", { sha256: sha, bytes: "number.integer >= 0" }),
  card: type.Record("string", "unknown"),
});

const pointerType = type({
  name: MODEL_NAME_PATTERN,
  version: VERSION_PATTERN,
  manifestSha256: sha,
  publishedAt: "string",
});

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

function parseJson(text: string, what: string): Parsed<unknown> {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (e) {
    return { ok: false, error: `${what} is not valid JSON: ${(e as Error).message}` };
  }
}

export function parsePointer(text: string): Parsed<Pointer> {
  const json = parseJson(text, "pointer");
  if (!json.ok) return json;
  const out = pointerType(json.value);
  if (out instanceof type.errors) return { ok: false, error: `pointer is malformed: ${out.summary}` };
  return { ok: true, value: out };
}

/** Validates shape and internal consistency (steps match the spec, files listed). */
export function parseManifest(text: string): Parsed<Manifest> {
  const json = parseJson(text, "manifest");
  if (!json.ok) return json;
  const out = manifestType(json.value);
  if (out instanceof type.errors) return { ok: false, error: `manifest is malformed: ${out.summary}` };
  const m = out as Manifest;
  const names = m.spec.features.map((f) => f.name).join(",");
  if (m.preprocess.steps.map((s) => s.name).join(",") !== names) {
    return { ok: false, error: "manifest is malformed: preprocessing steps do not match the feature spec" };
  }
  for (const f of [MODEL_FILE, WEIGHTS_FILE]) {
    if (!m.files[f]) return { ok: false, error: `manifest is malformed: files.${f} is missing` };
  }
  const taskProblem = checkTask(m);
  if (taskProblem) return { ok: false, error: `manifest is malformed: ${taskProblem}` };
  return { ok: true, value: m };
}

/** The task and the fields that go with it agree (v1 is a classifier; labels and thresholds only for one). */
function checkTask(m: Manifest): string | undefined {
  if (m.format === ARTIFACT_FORMAT && m.task !== undefined) return `format ${ARTIFACT_FORMAT} has no task (a task needs ${ARTIFACT_FORMAT_V2})`;
  if (m.format === ARTIFACT_FORMAT_V2 && m.task === undefined) return `format ${ARTIFACT_FORMAT_V2} needs a task`;
  if ((m.task?.kind ?? "classification") === "classification") {
    if (m.spec.positive === undefined || m.spec.negative === undefined) return "a classifier's spec needs positive and negative labels";
    if (!m.thresholds) return "a classifier needs thresholds";
    if (m.thresholds.refer > m.thresholds.decline) return "thresholds.refer is above thresholds.decline";
    return undefined;
  }
  if (m.spec.positive !== undefined || m.spec.negative !== undefined) return "a regression model's spec has no class labels (positive, negative)";
  if (m.thresholds) return "a regression model has no decision thresholds";
  return undefined;
}

/** A classifier's thresholds; throws for a regression manifest. */
export function thresholdsOf(m: Pick<Manifest, "thresholds" | "name" | "version">): Thresholds {
  if (!m.thresholds) throw new Error(`${m.name}@${m.version} is not a classifier: it has no decision thresholds`);
  return m.thresholds;
}
