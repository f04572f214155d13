/**
 * What a scorer's answers always spell the same way, as UTF-8 JSON
 * fragments: a reason's head (feature and value), its text, a warning.
 * Built once per scorer; shared/answer-json.ts writes the answer from them,
 * and shared/reasons-writer.ts lays the same pieces out for the reasons kernel.
 */
import type { Row } from "./preprocess.ts";
import type { Scorer } from "./scorer.ts";
import { inputWarnings } from "./warnings.ts";

const utf8 = new TextEncoder();
// TextEncoder always answers a fresh (non-shared) ArrayBuffer; the DOM typings say ArrayBufferLike.
export const bytesOf = (s: string) => utf8.encode(s) as Uint8Array<ArrayBuffer>;

export interface Fragments {
  /** Per feature: `{"feature":<name>,"value":` (the first reason), and with a leading comma (a later one). */
  head: Uint8Array[];
  nextHead: Uint8Array[];
  /**
   * Per feature and category value (what validation lets through, so nearly
   * every value sent): the head, the value and `,"impact":` as one piece.
   */
  valued: Map<string, Uint8Array>[];
  nextValued: Map<string, Uint8Array>[];
  /** Per feature: `,"text":<reason text>}` (the feature raised the answer). */
  raised: Uint8Array[];
  /** Per feature, regression: `,"text":<text>}` (it lowered the value). */
  lowered?: Uint8Array[];
  features: string[];
  /**
   * Per preprocessing step: its "imputed" warning as JSON (fixed text: the fill it scored); undefined if
   * inputWarnings ever gives a row with every value missing anything else.
   */
  imputed?: Uint8Array[];
}

const cache = new WeakMap<Scorer, Fragments>();

export function fragmentsOf(m: Scorer): Fragments {
  let f = cache.get(m);
  if (f) return f;
  const features = m.manifest.spec.features;
  const text = (t: string | undefined) => bytesOf(`,"text":${JSON.stringify(t)}}`);
  const head = (x: (typeof features)[number]) => `{"feature":${JSON.stringify(x.name)},"value":`;
  const valued = (x: (typeof features)[number], lead: string) =>
    new Map(x.type === "categorical" ? x.values.map((v) => [v, bytesOf(`${lead}${head(x)}${JSON.stringify(v)},"impact":`)]) : []);
  f = {
    head: features.map((x) => bytesOf(head(x))),
    nextHead: features.map((x) => bytesOf(`,${head(x)}`)),
    valued: features.map((x) => valued(x, "")),
    nextValued: features.map((x) => valued(x, ",")),
    raised: m.reasonTexts.map(text),
    ...(m.loweredTexts ? { lowered: m.loweredTexts.map(text) } : {}),
    features: features.map((x) => x.name),
  };
  const steps = m.manifest.preprocess.steps;
  const allMissing = inputWarnings(m.manifest.preprocess, Object.create(null) as Row);
  if (allMissing.length === steps.length && allMissing.every((x, k) => x.code === "imputed" && x.feature === steps[k]?.name)) {
    f.imputed = allMissing.map((x) => bytesOf(JSON.stringify(x)));
  }
  cache.set(m, f);
  return f;
}

const decisions = (tail: string) => ({
  approve: bytesOf(`,"decision":"approve"${tail}`), refer: bytesOf(`,"decision":"refer"${tail}`), decline: bytesOf(`,"decision":"decline"${tail}`),
});

/** The fixed text between an answer's values. */
export const F = {
  arrayOpen: bytesOf("["), arrayClose: bytesOf("]"), open: bytesOf("{"), nextOpen: bytesOf(",{"), comma: bytesOf(","),
  probability: bytesOf('"probability":'), openProbability: bytesOf('{"probability":'), nextProbability: bytesOf(',{"probability":'),
  value: bytesOf('"value":'), openValue: bytesOf('{"value":'), nextValue: bytesOf(',{"value":'),
  interval: bytesOf(',"interval":['), intervalEnd: bytesOf("]"), intervalReasons: bytesOf('],"reasons":['),
  reasons: bytesOf(',"reasons":['), impact: bytesOf(',"impact":'),
  noWarnings: bytesOf(',"warnings":[]}'), warnings: bytesOf(',"warnings":'),
  reasonsNoWarnings: bytesOf('],"warnings":[]}'), reasonsWarnings: bytesOf('],"warnings":'),
  close: bytesOf("}"), nul: bytesOf("null"), end: bytesOf("]}"),
  decision: decisions(""), decisionReasons: decisions(',"reasons":['),
};
