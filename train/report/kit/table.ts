/** Tables with numeric columns right-aligned, scrolling inside their own box on narrow screens. */
import { html, type Content, type Html } from "./html.ts";

export interface Column<R> {
  label: Content;
  value: (row: R) => Content;
  /** Right-aligned, tabular digits. */
  numeric?: boolean;
}

export interface TableOptions<R> {
  caption?: Content;
  columns: Column<R>[];
  rows: readonly R[];
  /** `data-table` attribute, for links and tests. */
  id?: string;
}

export function table<R>(o: TableOptions<R>): Html {
  const cls = (c: Column<R>) => (c.numeric ? html` class="num"` : "");
  // The caption stays outside the scroll box, so on a phone it wraps instead of scrolling with a wide table.
  return html`${o.caption ? html`<p class="caption">${o.caption}</p>` : ""}<div class="table-wrap"><table${o.id ? html` data-table="${o.id}"` : ""}><thead><tr>${o.columns.map((c) => html`<th${cls(c)}>${c.label}</th>`)}</tr></thead><tbody>${o.rows.map((r) => html`<tr>${o.columns.map((c) => html`<td${cls(c)}>${c.value(r)}</td>`)}</tr>`)}</tbody></table></div>`;
}
