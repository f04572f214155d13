/**
 * A whole page: title, table of contents, sections and footer in one
 * self-contained HTML file (no script, no external resource). Its own
 * Content-Security-Policy meta tag allows only its one stylesheet (by hash),
 * so even a copy opened from disk can run nothing.
 */
import { createHash } from "node:crypto";
import { html, trusted, type Content, type Html } from "./html.ts";
import { CSS } from "./style.ts";

export interface Section {
  id: string;
  title: string;
  body: Content;
}

export interface PageOptions {
  title: string;
  /** Line under the title, e.g. the version and date. */
  subtitle?: Content;
  /** Content between the header and the first section (e.g. headline tiles). */
  lead?: Content;
  sections: Section[];
  footer?: Content;
}

export function section(id: string, title: string, ...body: Content[]): Section {
  return { id, title, body };
}

/** Metric tiles: a label, a big value and a line of comparison. */
export function tiles(items: { label: Content; value: Content; detail?: Content }[]): Html {
  return html`<div class="tiles">${items.map((t) => html`<div class="tile"><div class="label">${t.label}</div><div class="value">${t.value}</div>${t.detail ? html`<div class="detail">${t.detail}</div>` : ""}</div>`)}</div>`;
}

/** Label/value pairs (a definition list). */
export function facts(items: [Content, Content][]): Html {
  return html`<dl class="facts">${items.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>`;
}

export function callout(body: Content, tone: "warn" | "ok" = "warn"): Html {
  return html`<div class="callout${tone === "ok" ? " ok" : ""}">${body}</div>`;
}

/** The policy a server should send with a kit page; the page carries the same one in a meta tag. */
export const PAGE_CSP_BASE = "default-src 'none'; img-src data:; base-uri 'none'; form-action 'none'";

export function page(o: PageOptions): string {
  const styleHash = createHash("sha256").update(CSS).digest("base64");
  const csp = `${PAGE_CSP_BASE}; style-src 'sha256-${styleHash}'`;
  const toc = html`<nav class="toc" aria-label="Contents"><strong>Contents</strong><ol>${o.sections.map((s) => html`<li><a href="#${s.id}">${s.title}</a></li>`)}</ol></nav>`;
  const body = html`<header><h1>${o.title}</h1>${o.subtitle ? html`<p class="sub">${o.subtitle}</p>` : ""}</header>${toc}${o.lead ?? ""}<main>${o.sections.map((s) => html`<section id="${s.id}"><h2>${s.title}</h2>${s.body}</section>`)}</main>${o.footer ? html`<footer>${o.footer}</footer>` : ""}`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta http-equiv="Content-Security-Policy" content="${csp}"><meta name="referrer" content="no-referrer"><title>${html`${o.title}`}</title><style>${trusted(CSS)}</style></head><body>${body}</body></html>\n`;
}
