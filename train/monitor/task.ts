/**
 * Which kind of model a version is. Drift (features, the distribution of the
 * model's output) is the same for every task; what "performance" means is
 * not: a classifier has AUC and an estimate from its probabilities (CBPE), a
 * regression model has errors in the target's units and interval coverage,
 * and no estimate without labels. The monitor asks here and says which
 * limits apply to which task.
 */
import type { Manifest } from "../../shared/artifact.ts";
import { taskOf as manifestTask, type TaskKind } from "../../shared/task.ts";

export type Task = TaskKind;

export const TASKS: readonly Task[] = ["classification", "regression"];

/** The version's task: `manifest.task` when it says, else classification (every version before regression existed). */
export function taskOf(m: Pick<Manifest, "task">): Task {
  return manifestTask(m).kind;
}
