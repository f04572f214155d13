/**
 * Validation and scoring of a whole batch against one model version;
 * synchronous, so it runs inside the registry's `use()`. The answer is written
 * as JSON bytes straight from the scores (shared/answer-json.ts), once:
 * decision capture slices its records' answers out of the same bytes after
 * the response has gone (`answers.answerJson()`); the answers as objects are
 * built only when those bytes cannot be sliced (`answers.predictions()`).
 * A classifier's reasons come from the reasons kernel (shared/reasons-writer.ts)
 * when the model has it: validation writes each value into its cells, and the
 * answer is written at once, before anything else can reuse that memory.
 */
import { answerBytes, type AnswerInput } from "../shared/answer-json.ts";
import type { Role } from "../shared/decisions/record.ts";
import { predictionsOf, scoreEncoded, scoreWithImpacts } from "../shared/predict.ts";
import type { Row } from "../shared/preprocess.ts";
import type { Answers } from "./capture/capture.ts";
import type { ErrorDetail } from "./errors.ts";
import type { LoadedModel } from "./loader.ts";

const MAX_DETAILS = 20;

export type Scored =
  | { ok: true; body: () => Uint8Array<ArrayBuffer>; model: { name: string; version: string }; answers: Answers }
  | { ok: false; invalid: number; details: ErrorDetail[]; strictRanges: boolean; version: string };

/**
 * Nothing in a batch is scored unless every instance is valid. `role` is who answers, for the
 * decision records; `id` is the envelope's, echoed first in the answer. `body()` is the response:
 * the same bytes as JSON.stringify of {id?, model, predictions} (test/answer-json.test.ts).
 */
export function score(model: LoadedModel, instances: unknown[], topK: number, role: Role, id?: string): Scored {
  const n = instances.length;
  const rows: Row[] = [];
  const echoes: (string | number | undefined)[] = [];
  const details: ErrorDetail[] = [];
  let invalid = 0;
  // On the kernel, each valid instance is checked and encoded in one pass, straight into the kernel's memory
  // (shared/accept-into.ts); otherwise validated here and encoded by scoreWithImpacts.
  const checkInto = model.impactKernel && model.dense ? model.instances.checkInto : undefined;
  const x = checkInto ? model.impactKernel!.input(n) : undefined;
  const cells = x && topK > 0 ? model.reasons?.prepare(n) : undefined;
  const adjusted = new Uint8Array(n);
  const width = model.manifest.preprocess.width;
  for (let i = 0; i < n; i++) {
    const instance = instances[i];
    const limit = MAX_DETAILS - details.length;
    const r = x ? checkInto!(instance, i, limit, x, i * width, cells) : model.instances.check(instance, i, limit);
    if (r.ok) {
      rows.push(r.row);
      echoes.push(r.passThrough);
      if ("adjusted" in r && r.adjusted) adjusted[i] = 1;
    } else {
      invalid++;
      details.push(...r.details);
    }
  }
  if (invalid) {
    const training = (model.manifest.card as { training?: { strictRanges?: unknown } }).training;
    return { ok: false, invalid, details, strictRanges: training?.strictRanges === true, version: model.version };
  }
  const passThroughKey = model.instances.passThroughKey;
  // Impacts serve only the answer's reasons here: a classifier's falls are not computed (shared/explain.ts).
  const scored = x ? scoreEncoded(model, x, n, adjusted, topK > 0, true) : scoreWithImpacts(model, rows, topK > 0);
  const reasons = cells && scored.impacts ? model.reasons!.begin(n, topK, scored.impacts) : undefined;
  const answer: AnswerInput = { rows, scored, topK, passThroughKey, echoes, ...(reasons ? { reasons } : {}) };
  const head = { ...(id !== undefined ? { id } : {}), model: { name: model.name, version: model.version } };
  let written: { bytes: Uint8Array<ArrayBuffer>; marks: number[] } | undefined;
  const body = () => {
    if (!written) {
      const marks: number[] = [];
      written = { bytes: answerBytes(model, head, answer, marks), marks };
    }
    return written;
  };
  if (reasons) body();
  const answers: Answers = {
    model: model.name, version: model.version, manifestSha256: model.manifestSha256, role, rows, passThroughKey, passThrough: echoes, topK,
    count: rows.length, predictions: () => predictionsOf(model, rows, answer.scored, topK),
    answerJson: () => {
      const { bytes, marks } = body();
      return marks.length === rows.length + 1 ? { bytes, marks } : undefined;
    },
  };
  return { ok: true, body: () => body().bytes, model: head.model, answers };
}
