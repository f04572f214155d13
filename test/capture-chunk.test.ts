/**
 * The queue carries chunks, not records (edge/capture/chunk.ts): a
 * request's shared facts once, its instances copied out of the body's text
 * (or its validated rows), and its answers sliced out of the response's own
 * bytes. What the consumer makes of them must be,
 * byte for byte, the records as defined one per instance (below: the
 * definition, as the edge built them before chunks): same fields, same order,
 * same answer without the pass-through key, no feature value in "decisions".
 * Checked on the bundled model with generated batches, pass-through keys
 * (awkward, integer-like, named like an answer field), pass-through values,
 * every topK, each role and mode, compact and indented bodies, and message
 * limits small enough to split a request into many chunks.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Instance } from "../bench/instances.ts";
import { testInstances } from "../bench/instances.ts";
import { parseJsonBody } from "../edge/body.ts";
import { readMessage } from "../edge/capture/batch-file.ts";
import { chunkLines } from "../edge/capture/chunk.ts";
import { MESSAGE_BYTES, utf8Length } from "../edge/capture/messages.ts";
import type { Answers, InstanceSource, RequestFacts } from "../edge/capture/records.ts";
import { withoutFeatureValues } from "../edge/capture/redact.ts";
import type { LoadedModel } from "../edge/loader.ts";
import { score } from "../edge/score.ts";
import { MODEL_FILE, WEIGHTS_FILE } from "../shared/artifact.ts";
import { DECISION_FORMAT, recordId, type CaptureMode, type Role } from "../shared/decisions/record.ts";
import { denseFromFiles } from "../shared/dense-files.ts";
import type { Row } from "../shared/preprocess.ts";
import { createScorer } from "../shared/scorer.ts";
import { instanceSchema } from "../shared/validate.ts";
import { impactKernelModule } from "../train/kernels/load.ts";
import { fixtures, readArtifact } from "./helpers/fixtures.ts";

const RUNS = Number(process.env.FUZZ_RUNS ?? 150);

/** The definition of a record: one per instance, from the answers as objects. */
function definedRecords(a: Answers, r: RequestFacts, mode: Exclude<CaptureMode, "off">): string[] {
  const featuresOf = (row: Row): Row => {
    if (!a.passThroughKey || !Object.hasOwn(row, a.passThroughKey)) return row;
    const { [a.passThroughKey]: _echo, ...features } = row;
    return features;
  };
  return a.predictions().map((answer, index) => JSON.stringify({
    format: DECISION_FORMAT, id: recordId(r.captureId, index, a.role), requestId: r.requestId, index, time: r.time,
    model: a.model, version: a.version, manifestSha256: a.manifestSha256, role: a.role, caller: r.caller,
    passThrough: a.passThrough[index] ?? null, topK: a.topK, capture: mode,
    ...(mode === "full" ? { features: featuresOf(a.rows[index] as Row) } : {}),
    answer: mode === "full" ? answer : withoutFeatureValues(answer), latencyMs: r.latencyMs,
  }));
}

const models = new Map<string, LoadedModel>();
/** The bundled fixture model as the edge loads it, validating with `passThroughKey`. */
function modelWith(passThroughKey: string): LoadedModel {
  let m = models.get(passThroughKey);
  if (!m) {
    const a = readArtifact(fixtures().artifactDirs[0]);
    const scorer = createScorer(a.manifest, denseFromFiles(a.files.get(MODEL_FILE)!, a.files.get(WEIGHTS_FILE)!)!, impactKernelModule());
    m = Object.assign(scorer, {
      name: "credit-risk", version: "20261206T000000Z-abcdef12", manifestSha256: "ab".repeat(32),
      instances: instanceSchema(a.manifest.spec, { passThroughKey }), loadedAt: new Date(0).toISOString(), loadMs: {},
    });
    models.set(passThroughKey, m);
  }
  return m;
}

/**
 * A request as the route handles it: the body's text (compact, or indented with line breaks) parsed,
 * its instances scored, and the body kept as the source capture copies the features from.
 */
function requestOf(key: string, instances: Instance[], topK: number, role: Role, indent?: number | string): { a: Answers; source: InstanceSource } {
  const parsed = parseJsonBody(new TextEncoder().encode(JSON.stringify({ id: "envelope-id", instances }, null, indent)).buffer as ArrayBuffer);
  if (!parsed.ok) throw new Error(parsed.message);
  const parsedInstances = (parsed.value as { instances: unknown[] }).instances;
  const scored = score(modelWith(key), parsedInstances, topK, role, "envelope-id");
  if (!scored.ok) throw new Error(`invalid instances: ${JSON.stringify(scored.details).slice(0, 300)}`);
  scored.body(); // the route writes the response first; capture slices those bytes
  return { a: scored.answers, source: { text: parsed.text, ascii: parsed.ascii, spans: parsed.instances, instances: parsedInstances } };
}

const answersOf = (key: string, instances: Instance[], topK: number, role: Role): Answers => requestOf(key, instances, topK, role).a;

const facts = (requestId: string, caller: string | null, source?: InstanceSource): RequestFacts => ({
  captureId: "0b9a3c1e-6f55-4d2a-9a77-3c1d2e4f5a6b", requestId, time: "2026-12-06T21:45:12.345Z", caller, latencyMs: 1.234, ...(source ? { source } : {}),
});

/** Chunks through the consumer: the record lines it would write. */
function throughQueue(a: Answers, r: RequestFacts, mode: Exclude<CaptureMode, "off">, maxBytes: number) {
  const { lines, oversized } = chunkLines(a, r, mode, maxBytes);
  for (const l of lines) {
    expect(l.bytes).toBe(utf8Length(l.line));
    expect(l.bytes).toBeLessThanOrEqual(maxBytes);
  }
  const read = readMessage(lines.map((l) => l.line).join("\n"));
  expect(read.refused).toBe(0);
  return { lines, oversized, records: read.lines.map((l) => l.line) };
}

const base = testInstances(readArtifact(fixtures().artifactDirs[0]).manifest.spec, 64);

describe("decision chunks", () => {
  it("give the defined records, byte for byte, for the bench's 256 applicants in two chunks of at most one message", () => {
    const { a, source } = requestOf("", testInstances(readArtifact(fixtures().artifactDirs[0]).manifest.spec, 256), 4, "champion");
    const r = facts("req-256", "key:ops", source);
    const { lines, records } = throughQueue(a, r, "full", MESSAGE_BYTES);
    expect(lines.length).toBe(2);
    // The fast paths: answers sliced out of the response's bytes, features copied out of the body.
    expect(lines.every((l) => l.line.includes('"echoed":true'))).toBe(true);
    expect(lines.map((l) => l.line.slice(l.line.indexOf('"features":'), l.line.indexOf(',"answers":')))).toEqual([
      `"features":[${source.text.slice(source.spans[0], source.spans[255])}]`, `"features":[${source.text.slice(source.spans[256], source.spans[511])}]`,
    ]);
    expect(records).toEqual(definedRecords(a, r, "full"));
  });

  it("copy the features out of an indented body as one line, the same records as from compact JSON", () => {
    const instances = testInstances(readArtifact(fixtures().artifactDirs[0]).manifest.spec, 20);
    const compact = requestOf("", instances, 4, "champion");
    const indented = requestOf("", instances, 4, "champion", "\t");
    expect(indented.source.text).toContain("\n\t\t");
    const { lines, records } = throughQueue(indented.a, facts("req-i", null, indented.source), "full", MESSAGE_BYTES);
    expect(lines.length).toBe(1);
    expect(lines[0]!.line).not.toMatch(/[\n\r]/);
    expect(lines[0]!.line).toContain('"Seniority": ');
    expect(records).toEqual(throughQueue(compact.a, facts("req-i", null), "full", MESSAGE_BYTES).records);
  });

  it("give the defined records for generated batches, keys, values, topK, roles, modes and message sizes", () => {
    const passThroughValue = fc.option(fc.oneof(fc.string({ unit: "binary", maxLength: 8 }), fc.integer(), fc.constantFrom("", "é名😀", 'q"uote\\', "\ud800")), { nil: undefined });
    fc.assert(fc.property(
      fc.constantFrom("", "_key", "application id", "1", "decision", "probability", "é"),
      fc.array(fc.record({ pick: fc.nat(63), amount: fc.option(fc.integer({ min: 0, max: 1e7 }), { nil: undefined }), echo: passThroughValue }), { minLength: 1, maxLength: 40 }),
      fc.constantFrom(0, 1, 4, 13),
      fc.constantFrom<Role>("champion", "canary", "shadow"),
      fc.constantFrom<Exclude<CaptureMode, "off">>("full", "decisions"),
      fc.integer({ min: 6_000, max: MESSAGE_BYTES }),
      fc.constantFrom<number | string | undefined>(undefined, 1, "\t"),
      fc.boolean(),
      (key, picks, topK, role, mode, maxBytes, indent, withSource) => {
        const instances = picks.map(({ pick, amount, echo }) => {
          const inst: Instance = { ...(base[pick] as Instance) };
          if (amount !== undefined) inst.Amount = amount; // out of range: a clipped warning quoting the value
          if (key && echo !== undefined) (inst as Record<string, unknown>)[key] = echo;
          return inst;
        });
        const { a, source } = requestOf(key, instances, topK, role, indent);
        const r = facts(`req-${picks.length}`, role === "shadow" ? null : "jwt:abc", withSource ? source : undefined);
        const { records, oversized } = throughQueue(a, r, mode, maxBytes);
        expect(oversized).toBe(0);
        expect(records).toEqual(definedRecords(a, r, mode));
      },
    ), { numRuns: RUNS });
  });

  it("keep no feature value on the queue in \"decisions\" mode, and carry no rows", () => {
    const distinctive = { ...(base[0] as Instance), Income: 4321.75, Assets: 12345.5, Amount: 3333.5 };
    const a = answersOf("", [distinctive], 13, "champion");
    const { lines } = throughQueue(a, facts("req-d", null), "decisions", MESSAGE_BYTES);
    const text = lines.map((l) => l.line).join("\n");
    for (const v of ["4321.75", "12345.5", "3333.5"]) expect(text).not.toContain(v);
    expect(text).not.toContain('"features"');
  });

  it("count an instance larger than any chunk as oversized and still carry the others", () => {
    const a = answersOf("_key", [{ ...(base[0] as Instance), _key: "x".repeat(128) }, { ...(base[0] as Instance), _key: "s" }], 4, "champion");
    const r = facts("req-o", null);
    // Each instance's chunk alone: the first is 2 × 127 bytes larger (its key in the features and in the answer).
    const alone = (i: number) => chunkLines({ ...a, count: 1, rows: [a.rows[i]!], passThrough: [a.passThrough[i]], answerJson: undefined, predictions: () => [a.predictions()[i]!] }, r, "full").lines[0]!.bytes;
    expect(alone(0)).toBeGreaterThan(alone(1) + 100);
    const { records, oversized } = throughQueue(a, r, "full", alone(1) + 50);
    expect(oversized).toBe(1);
    expect(records).toEqual(definedRecords(a, r, "full").slice(1));
  });
});
