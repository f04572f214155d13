/**
 * A model's feature signature: what requests it accepts and what its output
 * means. A change that makes a request the serving version accepts fail, or be
 * scored for another outcome, is a breaking change: a feature added, removed or
 * retyped, a category removed, null no longer accepted, a range narrowed, or
 * another output (another target, label or task: a probability where a value
 * was served, or the reverse). Categories added and ranges widened are
 * compatible, and so is another target transform or interval level of the
 * same regression target (the value keeps its meaning and units).
 */
import type { Feature, FeatureSpec } from "../../shared/spec.ts";
import type { Task } from "../../shared/task.ts";

const q = (s: string) => JSON.stringify(s);
const kind = (f: Feature) => f.type;

function rangeText(min: number | undefined, max: number | undefined): string {
  if (min === undefined && max === undefined) return "any number";
  if (min === undefined) return `<= ${max}`;
  if (max === undefined) return `>= ${min}`;
  return `${min} to ${max}`;
}

/** What a version answers, in words: "probability of Status = \"bad\"" or "estimated wage". */
function output(spec: FeatureSpec, task: Task | undefined): string {
  return task?.kind === "regression" ? `estimated ${spec.target}` : `probability of ${spec.target} = ${q(spec.positive ?? "")}`;
}

/**
 * Breaking differences from `serving` to `candidate`, one line each; empty
 * when compatible. `tasks` are the versions' tasks (absent: classification).
 */
export function signatureChanges(serving: FeatureSpec, candidate: FeatureSpec, tasks: { serving?: Task | undefined; candidate?: Task | undefined } = {}): string[] {
  const out: string[] = [];
  const before = output(serving, tasks.serving);
  const after = output(candidate, tasks.candidate);
  const classifiers = tasks.serving?.kind !== "regression" && tasks.candidate?.kind !== "regression";
  if (before !== after) out.push(`output changed: ${before} → ${classifiers ? after.replace(/^probability of /, "") : after}`);
  const had = new Map(serving.features.map((f) => [f.name, f]));
  const has = new Map(candidate.features.map((f) => [f.name, f]));
  for (const f of candidate.features) {
    if (!had.has(f.name)) out.push(`feature ${q(f.name)} added (${kind(f)}${f.nullable ? ", may be null" : ", required"})`);
  }
  for (const f of serving.features) {
    const g = has.get(f.name);
    if (!g) { out.push(`feature ${q(f.name)} removed`); continue; }
    if (f.type !== g.type) { out.push(`feature ${q(f.name)} retyped: ${f.type} → ${g.type}`); continue; }
    if (f.nullable && !g.nullable) out.push(`feature ${q(f.name)}: null no longer accepted`);
    if (f.type === "categorical" && g.type === "categorical") {
      const removed = f.values.filter((v) => !g.values.includes(v));
      if (removed.length) out.push(`feature ${q(f.name)}: categories removed: ${removed.map(q).join(", ")}`);
    }
    if (f.type === "numeric" && g.type === "numeric") {
      const narrower = (g.min !== undefined && (f.min === undefined || g.min > f.min)) || (g.max !== undefined && (f.max === undefined || g.max < f.max));
      if (narrower) out.push(`feature ${q(f.name)}: range narrowed: ${rangeText(f.min, f.max)} → ${rangeText(g.min, g.max)}`);
    }
  }
  return out;
}

/** The commands the signature guard speaks for (each has its own way out). */
export type GuardedCommand = "train" | "promote" | "rollback" | "canary" | "shadow";

/** The refusal a person reads: the differences and the two ways out. */
export function signatureRefusal(o: { name: string; serving: string; candidate: string; changes: string[]; command: GuardedCommand }): string {
  const list = o.changes.map((c) => `  - ${c}`).join("\n");
  const ways = o.command === "train"
    ? `publish it under its own name (--model-name <new>, served at /models/<new>/predict), or replace "${o.name}" on purpose (--allow-signature-change)`
    : o.command === "canary"
      ? `publish it under its own name (npm run train -- --model-name <new> ...), or let it answer part of "${o.name}"'s callers on purpose (--allow-signature-change)`
      : o.command === "shadow"
      ? `publish it under its own name (npm run train -- --model-name <new> ...), or shadow "${o.name}" with it on purpose (--allow-signature-change)`
      : o.command === "promote"
      ? `publish it under its own name (npm run train -- --model-name <new> ...), or point "${o.name}" at it on purpose (--allow-signature-change)`
      : `roll back on purpose (--allow-signature-change), after checking that callers send what ${o.candidate} accepts`;
  // A shadow's refusals reach no caller: they leave no record to compare (shadow_refused in the Worker's log).
  const effect = o.command === "shadow"
    ? "the shadow would refuse requests the serving version accepts (shadow_refused in the Worker's log, no records for models compare) or score them for another outcome"
    : "requests the serving version accepts would be refused (422) or scored for another outcome";
  return `${o.candidate}'s feature signature differs from the serving version ${o.serving} of "${o.name}":\n${list}\n` +
    `${effect}; nothing changed. Either ${ways}`;
}
