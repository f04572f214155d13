/** Performance by segment (`train --segments`): per group of each column, on the test split. */
import { fmt, html, section, table, type Section } from "../kit/index.ts";
import type { SegmentRow } from "../../evaluate/segments.ts";
import type { ModelCard } from "./card.ts";

export function segmentsSection(segments: ModelCard["segments"], refer: number): Section | null {
  if (!segments || Object.keys(segments).length === 0) return null;
  return section("segments", "Performance by segment",
    html`<p>The test applicants by group of each --segments column: a model can rank well overall and poorly inside a group. Approval: score below the refer threshold (${fmt.pct(refer, 0)}). AUC is blank for a group with one class only; small groups give noisy numbers.</p>`,
    Object.entries(segments).map(([column, s]) => table({
      id: `segment-${column}`,
      caption: html`<strong>${column}</strong>${typeof s.groupedBy === "object" ? ` in bands at ${s.groupedBy.bands.join(", ")}` : ""}`,
      columns: [
        { label: "group", value: (r: SegmentRow) => r.group },
        { label: "applicants", numeric: true, value: (r) => fmt.int(r.count) },
        { label: "bad rate", numeric: true, value: (r) => fmt.pct(r.badRate) },
        { label: "approval rate", numeric: true, value: (r) => fmt.pct(r.approvalRate) },
        { label: "AUC", numeric: true, value: (r) => (r.auc === null ? "–" : fmt.metric(r.auc)) },
      ],
      rows: s.groups,
    })));
}
