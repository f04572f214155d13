/** `models show <version|current>`: the card of one version, its files verified. */
import { expectedFor } from "../../../shared/validate.ts";
import { cardFacts, hyperparameters, testMetrics } from "../../registry/card.ts";
import { readManifest, readVersion, resolveVersion, StoreError } from "../../store/versions.ts";
import type { ModelsCommand } from "./command.ts";
import { fixed, table } from "./format.ts";

export const showCommand: ModelsCommand = {
  summary: "the card of one version: metrics beside the base rate, data, hyperparameters, thresholds, features",
  usage: "<version|current>",
  args: { min: 1, max: 1 },
  async run(ctx) {
    const l = ctx.location;
    const r = await resolveVersion(l, ctx.args[0] as string);
    const manifest = await readManifest(l, r.version, r.manifestSha256);
    let integrity: { ok: boolean; files: number; problem?: string };
    try {
      const v = await readVersion(l, r.version, r.manifestSha256);
      integrity = { ok: true, files: v.files.size };
    } catch (e) {
      if (!(e instanceof StoreError)) throw e;
      integrity = { ok: false, files: Object.keys(manifest.files).length + 1, problem: e.message };
    }
    const current = ctx.state.pointer?.version === r.version;
    const f = cardFacts(manifest);
    const { model, baseRate } = testMetrics(manifest);
    const h = hyperparameters(manifest);
    const data = (manifest.card.data ?? {}) as { used?: Record<string, number>; skipped?: { count?: number }; split?: string };
    const spec = manifest.spec;
    const lines = [
      `${l.name} ${r.version}${current ? " (current)" : ""}`,
      `created     ${manifest.createdAt}`,
      `task        ${f.task}: probability that ${spec.target} = ${JSON.stringify(spec.positive)}`,
      `integrity   ${integrity.ok ? `${integrity.files} files verified (sha256 against the manifest)` : `DAMAGED: ${integrity.problem}`}`,
      `data        ${f.dataSource ?? "–"} · ${f.rows ?? "–"} rows${data.used ? ` (train ${data.used.train}, validation ${data.used.validation}, test ${data.used.test})` : ""}${data.skipped?.count ? `, ${data.skipped.count} skipped` : ""} · sha256 ${f.dataSha256 ?? "–"}`,
      `split       ${data.split ?? "–"}`,
      `code        ${f.revision ?? "–"}`,
      `thresholds  refer at p ≥ ${manifest.thresholds.refer} · decline at p ≥ ${manifest.thresholds.decline}`,
      "",
      table(["test metric", "model", "base rate"], Object.keys(model).filter((k) => typeof model[k] === "number").map((k) => [k, fixed(model[k]), fixed(baseRate[k])]), [1, 2]),
      "",
      `hyperparameters  ${Object.entries(h).map(([k, v]) => `${k} ${v}`).join(" · ") || "–"}`,
      "",
      `features (${spec.features.length})`,
      table(["name", "type", "accepts"], spec.features.map((x) => [x.name, x.type, expectedFor(x)])),
    ];
    ctx.print(`${lines.join("\n")}\n`);
    if (!integrity.ok) ctx.log(`warning: ${r.version} is damaged: promoting it would be refused`);
    return {
      json: {
        version: r.version, current, createdAt: manifest.createdAt, task: f.task, integrity,
        thresholds: manifest.thresholds, metrics: { test: model, baseRate }, data: manifest.card.data ?? null,
        code: { revision: f.revision }, hyperparameters: h, spec,
      },
    };
  },
};
