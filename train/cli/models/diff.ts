/** `models diff <a> <b>`: what changed from version a to version b. */
import { expectedFor } from "../../../shared/validate.ts";
import { diffManifests } from "../../registry/diff.ts";
import { readManifest, resolveVersion, type Location } from "../../store/versions.ts";
import type { ModelsCommand } from "./command.ts";
import { fixed, signed, table } from "./format.ts";

async function manifestOf(l: Location, ref: string) {
  const r = await resolveVersion(l, ref);
  return readManifest(l, r.version, r.manifestSha256);
}

export const diffCommand: ModelsCommand = {
  summary: "what changed between two versions: metrics, features, ranges, categories, thresholds, hyperparameters",
  usage: "<a> <b>   (version ids or current)",
  args: { min: 2, max: 2 },
  readOnly: true,
  async run(ctx) {
    const [a, b] = await Promise.all(ctx.args.map((ref) => manifestOf(ctx.location, ref)));
    const d = diffManifests(a!, b!);
    const f = d.features;
    const out = [
      `${ctx.location.name}: ${d.a} (a) → ${d.b} (b)`,
      "",
      table(["test metric", "a", "b", "b − a", "base rate a", "base rate b"], d.metrics.map((m) => {
        const base = d.baseRate.find((x) => x.name === m.name);
        // A count (rows, bad) changes by whole numbers: "+0", not "+0.0000".
        const counts = Number.isInteger(m.a) && Number.isInteger(m.b);
        return [m.name, fixed(m.a), fixed(m.b), signed(m.delta, counts ? 0 : 4), base ? fixed(base.a) : "", base ? fixed(base.b) : ""];
      }), [1, 2, 3, 4, 5]),
      "",
      table(["", "a", "b"], [
        ...d.thresholds.map((t) => [`threshold ${t.name}`, t.a, t.b]),
        ...d.data.map((x) => [x.name === "sha256" ? "data sha256" : x.name, x.a, x.b]),
      ]),
      "",
      d.hyperparameters.length ? table(["hyperparameter", "a", "b"], d.hyperparameters.map((h) => [h.name, h.a, h.b])) : "hyperparameters: the same",
      "",
      f.added.length || f.removed.length || f.changed.length
        ? table(["feature", "change"], [
          ...f.added.map((x) => [x.name, `added: ${x.type}, ${expectedFor(x)}`]),
          ...f.removed.map((x) => [x.name, "removed"]),
          ...f.changed.map((x) => [x.name, x.changes.join("; ")]),
        ])
        : "features: the same",
      "",
      d.signature.length
        ? `signature: BREAKING for callers of a (promoting b over a needs --allow-signature-change):\n${d.signature.map((s) => `  - ${s}`).join("\n")}`
        : "signature: compatible (b accepts every request a accepts)",
    ];
    ctx.print(`${out.join("\n")}\n`);
    return { json: { diff: d } };
  },
};
