/** `models show <version|current>`: the card of one version, its files verified. */
import type { Manifest } from "../../../shared/artifact.ts";
import { challengerList } from "../../../shared/challengers.ts";
import { taskOf } from "../../../shared/task.ts";
import { expectedFor } from "../../../shared/validate.ts";
import { cardFacts, hyperparameters, testMetrics } from "../../registry/card.ts";
import { readManifest, readVersion, resolveVersion, StoreError } from "../../store/versions.ts";
import type { ModelsCommand } from "./command.ts";
import { fixed, sharePct, table } from "./format.ts";

/** What the version answers, and how its answer is turned into a decision or an interval. */
function taskLines(m: Manifest): string[] {
  const task = taskOf(m);
  const spec = m.spec;
  if (task.kind === "classification") {
    return [
      `task        classification: probability that ${spec.target} = ${JSON.stringify(spec.positive)}`,
      ...(m.thresholds ? [`thresholds  refer at p ≥ ${m.thresholds.refer} · decline at p ≥ ${m.thresholds.decline}`] : []),
    ];
  }
  const t = task.target;
  const coverage = (m.card.interval as { test?: { coverage?: unknown } } | undefined)?.test?.coverage;
  return [
    `task        regression: estimated ${spec.target}${t.transform === "none" ? "" : ` (fitted on ${t.transform}(${spec.target}), smearing ${t.smearing.toFixed(4)})`}`,
    `interval    ${Math.round(task.interval.level * 1000) / 10} % split conformal, half-width ${task.interval.halfWidth.toPrecision(4)} on the ${t.transform === "none" ? `${spec.target}` : `${t.transform}(${spec.target})`} scale${typeof coverage === "number" ? `; test coverage ${(coverage * 100).toFixed(1)} %` : ""}`,
  ];
}

export const showCommand: ModelsCommand = {
  summary: "the card of one version: metrics beside the baseline, data, hyperparameters, thresholds or interval, features; exit 1 if a file is damaged",
  usage: "<version|current>",
  args: { min: 1, max: 1 },
  readOnly: true,
  async run(ctx) {
    const l = ctx.location;
    const r = await resolveVersion(l, ctx.args[0] as string);
    let integrity: { ok: boolean; files: number; problem?: string };
    let damage: { code: string; message: string } | undefined;
    let manifest: Manifest;
    try {
      const v = await readVersion(l, r.version, r.manifestSha256);
      manifest = v.manifest;
      integrity = { ok: true, files: v.files.size };
    } catch (e) {
      if (!(e instanceof StoreError) || e.code === "storage" || e.code === "version_not_found") throw e;
      // The card as stored, unchecked against the pointer, so what was changed can be seen beside the DAMAGED line.
      manifest = await readManifest(l, r.version);
      integrity = { ok: false, files: Object.keys(manifest.files).length + 1, problem: e.message };
      damage = { code: e.code, message: `${r.version} is damaged: ${e.message}` };
    }
    const current = ctx.state.pointer?.version === r.version;
    const ch = ctx.state.pointer?.challengers;
    // One version may be both the canary and the shadow.
    const roles = challengerList(ch).filter((c) => c.version === r.version).map((c) => (c.role === "canary" ? `canary, ${sharePct(ch!.canary!.share)} of callers` : c.role));
    const role = current ? "current" : roles.length ? roles.join("; ") : undefined;
    const f = cardFacts(manifest);
    const { model, baseRate } = testMetrics(manifest);
    const h = hyperparameters(manifest);
    const data = (manifest.card.data ?? {}) as { used?: Record<string, number>; skipped?: { count?: number }; split?: string };
    const spec = manifest.spec;
    const lines = [
      `${l.name} ${r.version}${role ? ` (${role})` : ""}`,
      `created     ${manifest.createdAt}`,
      taskLines(manifest)[0] as string,
      `integrity   ${integrity.ok ? `${integrity.files} files verified (sha256 against the manifest)` : `DAMAGED: ${integrity.problem}`}`,
      `data        ${f.dataSource ?? "–"} · ${f.rows ?? "–"} rows${data.used ? ` (train ${data.used.train}, validation ${data.used.validation}, test ${data.used.test})` : ""}${data.skipped?.count ? `, ${data.skipped.count} skipped` : ""} · sha256 ${f.dataSha256 ?? "–"}`,
      `split       ${data.split ?? "–"}`,
      `code        ${f.revision ?? "–"}`,
      ...taskLines(manifest).slice(1),
      "",
      table(["test metric", "model", f.task === "regression" ? "training mean" : "base rate"], Object.keys(model).filter((k) => typeof model[k] === "number").map((k) => [k, fixed(model[k]), fixed(baseRate[k])]), [1, 2]),
      "",
      `hyperparameters  ${Object.entries(h).map(([k, v]) => `${k} ${v}`).join(" · ") || "–"}`,
      "",
      `features (${spec.features.length})`,
      table(["name", "type", "accepts"], spec.features.map((x) => [x.name, x.type, expectedFor(x)])),
    ];
    ctx.print(`${lines.join("\n")}\n`);
    if (!integrity.ok) ctx.log(`warning: ${r.version} is damaged: promoting it would be refused`);
    return {
      // Exit 1 on a damaged version, as history --verify: a scheduled check of a version fails on it; `error` as every failure has.
      ...(damage ? { exitCode: 1 } : {}),
      json: {
        ...(damage ? { error: damage } : {}),
        version: r.version, current, role: role ?? null, createdAt: manifest.createdAt, task: f.task, integrity,
        ...(manifest.thresholds ? { thresholds: manifest.thresholds } : {}), ...(manifest.task ? { taskDetails: manifest.task } : {}),
        metrics: { test: model, [f.task === "regression" ? "baseline" : "baseRate"]: baseRate }, data: manifest.card.data ?? null,
        code: { revision: f.revision }, hyperparameters: h, spec,
      },
    };
  },
};
