/**
 * The report kit: pages of charts and tables rendered to one static,
 * script-free HTML file. Used by the model report (train/report/model/) and
 * meant for any later report (monitoring: distributions now vs reference, PSI
 * per feature, calibration now vs then).
 *
 *   page({ title, subtitle, lead, sections: [section(id, title, ...content)] }) → HTML string
 *   chart({ id, title, aid, plot, legend }) · grid(...figures) · table({ columns, rows })
 *   tiles([...]) · facts([...]) · callout(...) · html`...` (escapes) · fmt.* · colors
 */
export { chart, grid, legend, Plot, plotVersion, renderSvg, type ChartOptions, type LegendItem } from "./chart.ts";
export { esc, html, Html, slug, trusted, type Content } from "./html.ts";
export { fmt } from "./format.ts";
export { labelAxis, shorten } from "./labels.ts";
export { callout, facts, page, PAGE_CSP_BASE, section, tiles, type PageOptions, type Section } from "./page.ts";
export { colors, okabeIto, type ColorName } from "./palette.ts";
export { CSS } from "./style.ts";
export { table, type Column, type TableOptions } from "./table.ts";
