/**
 * Which kind of model a version is. Drift (features, the distribution of the
 * model's output) is the same for every task; what "performance" means is
 * not: a classifier has AUC and an estimate from its probabilities (CBPE), a
 * regression model (coming with issue 13) has errors and no such estimate.
 * The monitor asks here and refuses a task it cannot judge instead of
 * reporting classification numbers for it.
 */
import type { Manifest } from "../../shared/artifact.ts";

export type Task = "classification";

export const TASKS: readonly Task[] = ["classification"];

/** The version's task: `manifest.task` or `card.task` when a version says, else classification (every version so far). */
export function taskOf(m: Pick<Manifest, "card"> & { task?: unknown }): Task {
  const said = m.task ?? m.card.task;
  if (said === undefined || said === "classification") return "classification";
  throw new Error(`this version is a ${String(said)} model; the monitor judges ${TASKS.join(", ")} models only so far`);
}
