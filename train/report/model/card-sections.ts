/** Data quality (rows used and skipped, warnings, clipped values, fingerprint) and the model card facts. */
import type { Manifest } from "../../../shared/artifact.ts";
import { labelsOf } from "../../../shared/spec.ts";
import { taskOf } from "../../../shared/task.ts";
import { callout, facts, fmt, html, section, table, type Html, type Section } from "../kit/index.ts";
import type { IvStrength } from "../../evaluate/woe.ts";
import type { FeatureBins } from "./analysis.ts";
import type { CardBase, SkipSummary } from "./card.ts";

/** Skipped rows by reason, with example line numbers; nothing when no row was skipped. Used by the monitoring report too. */
export function skippedTable(skipped: SkipSummary, caption = "Why rows were skipped (examples give the line numbers)."): Html | "" {
  return skipped.reasons.length
    ? table({
      id: "skipped", caption,
      columns: [
        { label: "reason", value: (r: SkipSummary["reasons"][number]) => r.reason },
        { label: "rows", numeric: true, value: (r) => fmt.int(r.count) },
        { label: "examples", value: (r) => r.examples.join("; ") },
      ],
      rows: skipped.reasons,
    })
    : "";
}

/**
 * `features`: any task's per-feature bins (a classifier's carry their
 * Information Value); `target`: the fact about the outcome on the training
 * rows (a classifier's share of bads, a regression's mean).
 */
export function qualitySection(card: CardBase, features: (FeatureBins & { iv?: number; strength?: IvStrength })[], target: [string, string]): Section {
  const d = card.data;
  const used = d.used.train + d.used.validation + d.used.test;
  const clipped = features.filter((f) => f.kind === "numeric");
  const clippedTotal = clipped.reduce((s, f) => s + f.clipped.train.low + f.clipped.train.high + f.clipped.test.low + f.clipped.test.high, 0);
  const warnings = [
    ...d.warnings,
    ...(d.ignoredColumns.length ? [`ignored columns: ${d.ignoredColumns.join(", ")}`] : []),
    ...features.filter((f) => f.strength === "suspicious").map((f) => `${f.name} has an Information Value of ${fmt.num(f.iv ?? NaN, 2)}: check that it does not leak the outcome`),
    ...features.filter((f) => f.psi >= 0.25).map((f) => `${f.name} is distributed differently in the test rows (PSI ${fmt.num(f.psi, 2)})`),
  ];
  return section("data-quality", "Data quality",
    facts([
      ["source", html`<span class="mono">${d.source}</span>`],
      ["data sha256", html`<span class="mono">${d.sha256}</span>`],
      ["size", `${fmt.int(d.rows)} rows, ${fmt.bytes(d.bytes)}`],
      ["rows used", `${fmt.int(used)}: ${fmt.int(d.used.train)} training, ${fmt.int(d.used.validation)} validation, ${fmt.int(d.used.test)} test`],
      ["split", d.split],
      ["rows skipped", d.skipped.count ? `${fmt.int(d.skipped.count)} (${fmt.pct(d.skipped.count / Math.max(1, d.rows))})` : "none"],
      target,
    ]),
    skippedTable(d.skipped),
    warnings.length ? callout(html`<strong>Warnings</strong><ul>${warnings.map((w) => html`<li>${w}</li>`)}</ul>`) : callout("No warnings about the data.", "ok"),
    // Many features make a long table: past 15 it opens on request.
    clipped.length > 15 ? html`<details><summary>Values clipped by preprocessing, per feature (${fmt.int(clipped.length)})</summary>${clippedTable(clipped, clippedTotal)}</details>` : clippedTable(clipped, clippedTotal),
  );
}

function clippedTable(clipped: FeatureBins[], total: number): Html {
  return table({
    id: "clipped",
    caption: html`Values outside the range preprocessing clips to (the 0.1–99.9 % training quantiles): the network sees them at the bound. ${fmt.int(total)} in all.`,
    columns: [
      { label: "feature", value: (f: FeatureBins) => f.name },
      { label: "clip range", numeric: true, value: (f) => `${fmt.value(f.clipped.lo)} – ${fmt.value(f.clipped.hi)}` },
      { label: "train low / high", numeric: true, value: (f) => `${fmt.int(f.clipped.train.low)} / ${fmt.int(f.clipped.train.high)}` },
      { label: "test low / high", numeric: true, value: (f) => `${fmt.int(f.clipped.test.low)} / ${fmt.int(f.clipped.test.high)}` },
      { label: "missing (train)", numeric: true, value: (f) => fmt.pct(f.missingShare.train) },
    ],
    rows: clipped,
  });
}

/** What the version answers, in a phrase. */
function predicts(m: Pick<Manifest, "spec" | "task">): string {
  const task = taskOf(m);
  if (task.kind === "regression") {
    const t = task.target.transform === "none" ? "" : ` (fitted on ${task.target.transform}(${m.spec.target}))`;
    return `"${m.spec.target}" in its own units${t}, with a ${fmt.pct(task.interval.level, 0)} prediction interval`;
  }
  const { positive, negative } = labelsOf(m.spec);
  return `probability that "${m.spec.target}" is "${positive}" (vs "${negative}")`;
}

export function cardSection(m: Pick<Manifest, "name" | "version" | "createdAt" | "spec" | "thresholds" | "task">, card: CardBase): Section {
  const h = card.training.hyperparameters;
  return section("model-card", "Model card",
    facts([
      ["model", m.name],
      ["version", html`<span class="mono">${m.version}</span>`],
      ["created", fmt.dateTime(m.createdAt)],
      ["code revision", html`<span class="mono">${card.code.revision ?? "unknown"}</span>`],
      ["data sha256", html`<span class="mono">${card.data.sha256}</span>`],
      ["predicts", predicts(m)],
      ...(m.thresholds ? [["decisions", `refer at ${fmt.pct(m.thresholds.refer, 0)} or more, decline at ${fmt.pct(m.thresholds.decline, 0)} or more`] as [string, string]] : []),
      ["features", `${m.spec.features.length} (${card.training.inputColumns.length} network inputs after encoding)`],
      ["training", `${card.training.epochsRun} epochs on ${card.training.backend}, best epoch ${card.training.bestEpoch}${card.training.stoppedEarly ? " (stopped early)" : ""}, ${fmt.seconds(card.training.seconds)}`],
    ]),
    table({
      id: "hyperparameters", caption: "Hyperparameters",
      columns: [{ label: "name", value: (r: [string, unknown]) => r[0] }, { label: "value", value: (r) => (Array.isArray(r[1]) ? r[1].join(", ") : String(r[1])) }],
      rows: Object.entries(h),
    }),
    table({
      id: "libraries", caption: "Libraries",
      columns: [{ label: "library", value: (r: [string, string]) => r[0] }, { label: "version", value: (r) => r[1] }],
      rows: Object.entries(card.libraries),
    }),
  );
}
