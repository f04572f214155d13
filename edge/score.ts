/**
 * Validation and scoring of a whole batch against one model version;
 * synchronous, so it runs inside the registry's `use()`. The answer is written
 * as JSON bytes straight from the scores (shared/answer-json.ts), once:
 * decision capture slices its records' answers out of the same bytes after
 * the response has gone (`answers.answerJson()`); the answers as objects are
 * built only when those bytes cannot be sliced (`answers.predictions()`).
 */
import { answerBytes, type AnswerInput } from "../shared/answer-json.ts";
import type { Role } from "../shared/decisions/record.ts";
import { predictionsOf, scoreWithImpacts } from "../shared/predict.ts";
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
  const rows: Row[] = [];
  const echoes: (string | number | undefined)[] = [];
  const details: ErrorDetail[] = [];
  let invalid = 0;
  instances.forEach((instance, i) => {
    const r = model.instances.check(instance, i, MAX_DETAILS - details.length);
    if (r.ok) {
      rows.push(r.row);
      echoes.push(r.passThrough);
    } else {
      invalid++;
      details.push(...r.details);
    }
  });
  if (invalid) {
    const training = (model.manifest.card as { training?: { strictRanges?: unknown } }).training;
    return { ok: false, invalid, details, strictRanges: training?.strictRanges === true, version: model.version };
  }
  const passThroughKey = model.instances.passThroughKey;
  const answer: AnswerInput = { rows, scored: scoreWithImpacts(model, rows, topK > 0), topK, passThroughKey, echoes };
  const head = { ...(id !== undefined ? { id } : {}), model: { name: model.name, version: model.version } };
  let written: { bytes: Uint8Array<ArrayBuffer>; marks: number[] } | undefined;
  const body = () => {
    if (!written) {
      const marks: number[] = [];
      written = { bytes: answerBytes(model, head, answer, marks), marks };
    }
    return written;
  };
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
