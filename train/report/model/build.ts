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

export interface BuiltReport {
  analysis: ModelAnalysis;
  /** The compact per-feature part for the manifest's card. */
  analysisCard: Record<string, unknown>;
  render(draft: Omit<Manifest, "files">, card: ModelCard, previous?: PreviousVersion): { name: string; file: Uint8Array; charts: number; seconds: number };
}

export function buildReport(input: AnalysisInput): BuiltReport {
  const started = performance.now();
  const analysis = analyseModel(input);
  const analysisSeconds = (performance.now() - started) / 1000;
  return {
    analysis,
    analysisCard: analysisCard(analysis),
    render(draft, card, previous) {
      const t = performance.now();
      const html = renderModelReport({ manifest: draft, card, analysis, ...(previous ? { previous } : {}) });
      const charts = html.match(/<figure /g)?.length ?? 0;
      return { name: REPORT_FILE, file: new TextEncoder().encode(html), charts, seconds: analysisSeconds + (performance.now() - t) / 1000 };
    },
  };
}

export interface BuiltRegressionReport {
  analysis: RegressionAnalysis;
  analysisCard: Record<string, unknown>;
  render(draft: Omit<Manifest, "files">, card: RegressionCard, previous?: PreviousVersion): { name: string; file: Uint8Array; charts: number; seconds: number };
}

export function buildRegressionReport(input: RegressionAnalysisInput): BuiltRegressionReport {
  const started = performance.now();
  const analysis = analyseRegression(input);
  const analysisSeconds = (performance.now() - started) / 1000;
  return {
    analysis,
    analysisCard: regressionAnalysisCard(analysis),
    render(draft, card, previous) {
      const t = performance.now();
      const html = renderRegressionReport({ manifest: draft, card, analysis, ...(previous ? { previous } : {}) });
      const charts = html.match(/<figure /g)?.length ?? 0;
      return { name: REPORT_FILE, file: new TextEncoder().encode(html), charts, seconds: analysisSeconds + (performance.now() - t) / 1000 };
    },
  };
}
