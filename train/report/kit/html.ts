/**
 * Safe HTML building: every interpolated string is escaped unless it is
 * already `Html`. Feature names, category values and file names come from the
 * training CSV, so nothing a data file contains can become markup.
 */

/** A fragment of markup that is already safe to emit as is. */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/** What a template slot accepts: markup, text (escaped), numbers, nothing, or lists of these. */
export type Content = Html | string | number | null | undefined | false | readonly Content[];

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Escapes text for element content and quoted attribute values. */
export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

function render(c: Content): string {
  if (c === null || c === undefined || c === false) return "";
  if (c instanceof Html) return c.value;
  if (Array.isArray(c)) return (c as readonly Content[]).map(render).join("");
  return esc(String(c));
}

/** Tagged template: `html\`<p>${text}</p>\`` escapes `text`, keeps nested `html` fragments. */
export function html(strings: TemplateStringsArray, ...values: Content[]): Html {
  let out = strings[0] as string;
  values.forEach((v, i) => { out += render(v) + (strings[i + 1] as string); });
  return new Html(out);
}

/** Markup from a trusted source (the kit's own renderers), emitted unescaped. */
export function trusted(markup: string): Html {
  return new Html(markup);
}

/** A slug usable as an element id and URL fragment. */
export function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "x";
}
