/**
 * The training job's entry to the report (a classifier's or a regression's):
 * analyse once (before packaging, so the card can keep the per-feature
 * summary), render once the version id is known, and say how long both took
 * and how many charts the page has.
 */
import type { Manifest } from "../../../shared/artifact.ts";
import { analyseModel, analysisCard, type AnalysisInput, type ModelAnalysis } from "./analysis.ts";
import type { ModelCard, PreviousVersion, RegressionCard } from "./card.ts";
import { analyseRegression, regressionAnalysisCard, type RegressionAnalysis, type RegressionAnalysisInput } from "./regression-analysis.ts";
import { renderModelReport, renderRegressionReport, REPORT_FILE } from "./render.ts";

type Draft = Omit<Manifest, "files">;

export interface Built<Analysis, Card> {
  analysis: Analysis;
  /** The compact per-feature part for the manifest's card. */
  analysisCard: Record<string, unknown>;
  render(draft: Draft, card: Card, previous?: PreviousVersion): { name: string; file: Uint8Array; charts: number; seconds: number };
}

export type BuiltReport = Built<ModelAnalysis, ModelCard>;
export type BuiltRegressionReport = Built<RegressionAnalysis, RegressionCard>;

/** Analyses now, renders later; `seconds` counts both. */
function built<Analysis, Card>(
  analyse: () => Analysis,
  cardOf: (a: Analysis) => Record<string, unknown>,
  html: (draft: Draft, card: Card, analysis: Analysis, previous?: PreviousVersion) => string,
): Built<Analysis, Card> {
  const started = performance.now();
  const analysis = analyse();
  const analysisSeconds = (performance.now() - started) / 1000;
  return {
    analysis,
    analysisCard: cardOf(analysis),
    render(draft, card, previous) {
      const t = performance.now();
      const page = html(draft, card, analysis, previous);
      const charts = page.match(/<figure /g)?.length ?? 0;
      return { name: REPORT_FILE, file: new TextEncoder().encode(page), charts, seconds: analysisSeconds + (performance.now() - t) / 1000 };
    },
  };
}

export function buildReport(input: AnalysisInput): BuiltReport {
  return built(() => analyseModel(input), analysisCard, (manifest, card: ModelCard, analysis, previous) =>
    renderModelReport({ manifest, card, analysis, ...(previous ? { previous } : {}) }));
}

export function buildRegressionReport(input: RegressionAnalysisInput): BuiltRegressionReport {
  return built(() => analyseRegression(input), regressionAnalysisCard, (manifest, card: RegressionCard, analysis, previous) =>
    renderRegressionReport({ manifest, card, analysis, ...(previous ? { previous } : {}) }));
}
