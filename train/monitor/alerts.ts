/**
 * From numbers to what a scheduler does: each check against its limit, a
 * status (stable / warn / alert) and the exit code. Alerts (exit 3) are the
 * documented contract: score PSI or any feature's PSI at or above
 * `psiAlert`, a classifier's labelled AUC below the card's by more than
 * `maxAucDrop`, or a regression's labelled RMSE above the card's by more than
 * `maxRmseIncrease` (a share of it), or with --protected a group of at least
 * 30 rows whose adverse impact ratio is below `minAir` (a smaller group's is a
 * warning: a few rows approved by chance are no evidence).
 * Warnings (exit 0, listed) are what deserves a look but should not retrain
 * anything by itself.
 */
import type { Drift } from "./drift.ts";
import type { MonitorAttribute } from "./fairness.ts";
import type { Performance } from "./performance.ts";

export interface Limits {
  /** PSI at or above this is a warning (0.1 by the usual rule of thumb). */
  psiWarn: number;
  /** PSI at or above this is an alert (0.25). */
  psiAlert: number;
  /** With labels: an AUC below the card's test AUC by more than this is an alert. */
  maxAucDrop?: number;
  /** With labels, a regression: an RMSE above the card's test RMSE by more than this share of it is an alert. */
  maxRmseIncrease?: number;
  /** With --protected: a group's adverse impact ratio below this is an alert (0.8, the four-fifths rule). */
  minAir?: number;
}

/** Groups smaller than this only warn on a low AIR (as the reference needs this many rows: train/evaluate/fairness.ts). */
export const MIN_AIR_ALERT_ROWS = 30;

export type Check = "feature_psi" | "score_psi" | "auc_drop" | "expected_auc_drop" | "decision_psi" | "edge_refuses" | "rmse_increase" | "interval_coverage" | "group_air";

/**
 * How far a labelled coverage may stray from the nominal level before it is
 * worth a warning: 3 points, or three binomial standard errors on few rows.
 */
export function coverageTolerance(level: number, rows: number): number {
  return Math.max(0.03, 3 * Math.sqrt((level * (1 - level)) / Math.max(1, rows)));
}

export interface Finding {
  level: "alert" | "warn";
  check: Check;
  /** The feature, for per-feature checks. */
  feature?: string;
  /** The protected attribute and group, for group_air. */
  attribute?: string;
  group?: string;
  value: number;
  limit: number;
  message: string;
}

export type Status = "stable" | "warn" | "alert";

/** Exit codes for a scheduler: 0 stable (warnings included), 3 alert. Failures are 1, usage errors 2 (train/cli/args.ts). */
export const EXIT_CODES: Record<Status, number> = { stable: 0, warn: 0, alert: 3 };

const f3 = (x: number) => x.toFixed(3);
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/**
 * Every finding, alerts first; within a level, features by PSI (highest
 * first, so the features that moved are named before the score they moved),
 * then the score, then performance.
 */
export function judge(drift: Drift, perf: Performance, limits: Limits, fairness?: Record<string, MonitorAttribute>): { status: Status; findings: Finding[] } {
  const findings: Finding[] = [];
  for (const a of Object.values(fairness ?? {})) {
    if (limits.minAir === undefined) break;
    for (const [name, g] of Object.entries(a.groups)) {
      if (!g.air || g.air.value >= limits.minAir) continue;
      const level = g.count >= MIN_AIR_ALERT_ROWS ? "alert" : "warn";
      findings.push({
        level, check: "group_air", attribute: a.column, group: name, value: g.air.value, limit: limits.minAir,
        message: `${a.column} ${name}: adverse impact ratio ${f3(g.air.value)} (approval ${pct(g.approvalRate.value)} vs ${pct(a.groups[a.reference]!.approvalRate.value)} for ${a.reference}) < --min-air ${limits.minAir} on ${g.count} rows${level === "warn" ? ` (under ${MIN_AIR_ALERT_ROWS} rows: a warning)` : ""}`,
      });
    }
  }
  const psiLevel = (x: number) => (x >= limits.psiAlert ? "alert" : x >= limits.psiWarn ? "warn" : undefined);
  for (const f of drift.features) {
    const level = f.psi === null ? undefined : psiLevel(f.psi);
    if (level) findings.push({ level, check: "feature_psi", feature: f.name, value: f.psi!, limit: level === "alert" ? limits.psiAlert : limits.psiWarn, message: `feature ${f.name}: PSI ${f3(f.psi!)} ≥ ${level === "alert" ? limits.psiAlert : limits.psiWarn}` });
  }
  if (drift.score) {
    const level = psiLevel(drift.score.psi);
    if (level) findings.push({ level, check: "score_psi", value: drift.score.psi, limit: level === "alert" ? limits.psiAlert : limits.psiWarn, message: `score: PSI ${f3(drift.score.psi)} ≥ ${level === "alert" ? limits.psiAlert : limits.psiWarn}` });
  }
  const l = perf.labelled;
  if (limits.maxAucDrop !== undefined && l?.auc != null && l.reference && l.auc < l.reference.auc - limits.maxAucDrop) {
    findings.push({ level: "alert", check: "auc_drop", value: l.auc - l.reference.auc, limit: -limits.maxAucDrop, message: `AUC ${f3(l.auc)} on ${l.rows} labelled rows is ${f3(l.reference.auc - l.auc)} below the card's test AUC ${f3(l.reference.auc)} (--max-auc-drop ${limits.maxAucDrop})` });
  }
  const g = perf.regression;
  if (g && limits.maxRmseIncrease !== undefined && g.rmseChange !== null && g.rmseChange > limits.maxRmseIncrease) {
    findings.push({ level: "alert", check: "rmse_increase", value: g.rmseChange, limit: limits.maxRmseIncrease, message: `RMSE ${g.rmse.toPrecision(4)} on ${g.rows} labelled rows is ${pct(g.rmseChange)} above the card's test RMSE ${g.reference!.rmse.toPrecision(4)} (--max-rmse-increase ${limits.maxRmseIncrease})` });
  }
  if (g && Math.abs(g.coverage - g.level) > coverageTolerance(g.level, g.rows)) {
    findings.push({ level: "warn", check: "interval_coverage", value: g.coverage, limit: g.level, message: `the ${pct(g.level)} prediction intervals held for ${pct(g.coverage)} of ${g.rows} labelled rows (more than ${pct(coverageTolerance(g.level, g.rows))} from nominal): the errors changed since calibration` });
  }
  const e = perf.estimated;
  const then = e?.reference.expectedAuc ?? e?.reference.auc;
  if (limits.maxAucDrop !== undefined && e?.expectedAuc != null && then != null && e.expectedAuc < then - limits.maxAucDrop) {
    findings.push({ level: "warn", check: "expected_auc_drop", value: e.expectedAuc - then, limit: -limits.maxAucDrop, message: `expected AUC (CBPE) ${f3(e.expectedAuc)} is ${f3(then - e.expectedAuc)} below the test split's ${f3(then)}; an estimate, ${e.caveat.split(":")[0]}` });
  }
  if (drift.decisions.psi !== null && drift.decisions.psi >= limits.psiWarn) {
    const moved = drift.decisions.shares.map((d) => `${d.decision} ${pct(d.reference ?? 0)} → ${pct(d.current)}`).join(", ");
    findings.push({ level: "warn", check: "decision_psi", value: drift.decisions.psi, limit: limits.psiWarn, message: `decisions: PSI ${f3(drift.decisions.psi)} (${moved})` });
  }
  if (drift.refused.rows > 0) {
    findings.push({ level: "warn", check: "edge_refuses", value: drift.refused.share, limit: 0, message: `${drift.refused.rows} rows (${pct(drift.refused.share)}) would be refused by the edge (422): a category the spec does not list, a number outside its bounds or a missing required value` });
  }
  const order = (x: Finding) => (x.level === "alert" ? 0 : 1);
  findings.sort((a, b) => order(a) - order(b));
  const status: Status = findings.some((x) => x.level === "alert") ? "alert" : findings.length ? "warn" : "stable";
  return { status, findings };
}
