/** What both tasks' endings share: the card's common input from the fitted job, and packaging the version with its report. */
import type { Manifest, Thresholds } from "../../shared/artifact.ts";
import type { Task } from "../../shared/task.ts";
import type { BaseCardInput } from "../card.ts";
import type { Fitted, JobResult } from "../job.ts";
import { packageArtifact, type Artifact } from "../store/package.ts";

/** The card input every task's card starts from. */
export function baseCardInput(f: Fitted): BaseCardInput {
  const { o, prepared, small, tuning } = f;
  return {
    o: { ...o, validationShare: prepared.validationShare }, spec: prepared.spec, profile: prepared.profile, ignored: prepared.ignored, constant: prepared.constant, protected: prepared.protected.map((a) => a.column), warnings: prepared.warnings, data: f.data,
    trained: f.trained, train: f.options, servedHidden: small.hidden, head: f.head, backend: f.backend, fitSeconds: f.fitSeconds,
    ...(prepared.periods ? { periods: prepared.periods } : {}),
    ...(small.report ? { compression: small.report } : {}),
    ...(tuning ? { tuning: tuning.card } : o.tuned ? { tuning: { params: o.tuned.path } } : {}),
    ...(o.codeRevision ? { codeRevision: o.codeRevision } : {}),
  };
}

type Render = (draft: Omit<Manifest, "files">) => { name: string; file: Uint8Array; charts: number; seconds: number };

/** The version's files: the served network, the manifest with `card`, and the report rendered once the version id is known. */
export async function packageWithReport(f: Fitted, v: { card: object; thresholds?: Thresholds; task?: Task; render: Render }): Promise<{ artifact: Artifact; report?: JobResult["report"] }> {
  let report: JobResult["report"];
  const artifact = await packageArtifact({
    name: f.o.modelName, createdAt: new Date(), spec: f.prepared.spec, preprocess: f.data.state, card: v.card as Record<string, unknown>, model: f.small.files,
    ...(v.thresholds ? { thresholds: v.thresholds } : {}), ...(v.task ? { task: v.task } : {}),
    attach: (draft) => {
      const r = v.render(draft);
      report = { bytes: r.file.byteLength, charts: r.charts, seconds: r.seconds };
      f.io.log(`report: ${r.charts} charts, ${(r.file.byteLength / 1024).toFixed(0)} KB, analysis + rendering ${r.seconds.toFixed(2)} s`);
      return new Map([[r.name, r.file]]);
    },
  });
  return { artifact, ...(report ? { report } : {}) };
}
