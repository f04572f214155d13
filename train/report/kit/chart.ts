/**
 * Charts: Observable Plot rendered to static SVG in Node with a server-side
 * DOM (linkedom), wrapped in a figure with a title, an optional legend and a
 * one-line reading aid. No script reaches the page: the SVG is plain markup.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as Plot from "@observablehq/plot";
import { parseHTML } from "linkedom";
import { colors, type ColorName } from "./palette.ts";
import { html, trusted, type Content, type Html } from "./html.ts";

export interface LegendItem {
  label: string;
  color: ColorName;
  /** Drawn as a line sample (for lines and rules) instead of a square. */
  line?: boolean;
}

export interface ChartOptions {
  /** Unique within the page; also the figure's `data-chart` (tests and links find charts by it). */
  id: string;
  title: string;
  /** One line telling a reader what to look for. */
  aid: Content;
  /** Plot options without `document`; width 440 and height 270 unless given. */
  plot: Plot.PlotOptions;
  legend?: LegendItem[];
  /** Spans the whole grid row (for wide charts). */
  wide?: boolean;
  /** A short description for screen readers; defaults to the title. */
  description?: string;
}

/** Attributes holding coordinates: rounded to 0.1 px, which is invisible and halves the SVG. */
const GEOMETRY = new Set(["d", "transform", "x", "y", "x1", "x2", "y1", "y2", "cx", "cy", "r", "width", "height", "points", "viewBox"]);
const LONG_NUMBER = /-?\d+\.\d{2,}(e-?\d+)?/g;

const round = (s: string) => s.replace(LONG_NUMBER, (n) => String(Math.round(Number(n) * 10) / 10));

interface DomNode { tagName?: string; attributes?: ArrayLike<{ name: string; value: string }>; setAttribute(n: string, v: string): void; remove(): void }

/** Drops Plot's per-chart <style> (the page stylesheet covers it) and rounds coordinates. */
function tidy(svg: { querySelectorAll(s: string): ArrayLike<DomNode> }): void {
  for (const el of Array.from(svg.querySelectorAll("style"))) el.remove();
  for (const el of Array.from(svg.querySelectorAll("*"))) {
    for (const a of Array.from(el.attributes ?? [])) {
      if (GEOMETRY.has(a.name) && /\.\d{2}/.test(a.value)) el.setAttribute(a.name, round(a.value));
    }
  }
}

let dom: ReturnType<typeof parseHTML> | undefined;

/** Renders Plot options to an SVG string. */
export function renderSvg(options: Plot.PlotOptions, description?: string): string {
  dom ??= parseHTML("<!doctype html><html><body></body></html>");
  const svg = Plot.plot({
    width: 440, height: 270, marginLeft: 52, marginBottom: 42, marginTop: 22, marginRight: 24,
    ...options,
    // linkedom's Document is a structural stand-in for the DOM's: Plot only creates and appends elements.
    document: dom.document as unknown as NonNullable<Plot.PlotOptions["document"]>,
    ...(description ? { ariaDescription: description } : {}),
  });
  if (svg.tagName.toLowerCase() !== "svg") throw new Error("chart: a legend or title made Plot return a <figure>; use the kit's legend instead");
  tidy(svg as unknown as Parameters<typeof tidy>[0]);
  svg.setAttribute("role", "img");
  return svg.outerHTML;
}

export function legend(items: LegendItem[]): Html {
  return html`<ul class="legend">${items.map((i) => html`<li><span class="sw sw-${i.color}${i.line ? " line" : ""}"></span>${i.label}</li>`)}</ul>`;
}

/** A chart as a figure: title, legend, the SVG and its reading aid. */
export function chart(o: ChartOptions): Html {
  const svg = trusted(renderSvg(o.plot, o.description ?? o.title));
  return html`<figure id="chart-${o.id}" data-chart="${o.id}"${o.wide ? trusted(' class="wide"') : ""}><h3>${o.title}</h3>${o.legend ? legend(o.legend) : ""}${svg}<figcaption>${o.aid}</figcaption></figure>`;
}

/** Charts (or other figures) side by side, one per row on a phone. */
export function grid(...items: Content[]): Html {
  return html`<div class="grid">${items}</div>`;
}

/** The installed Observable Plot version, for model cards (the package exports no version constant). */
export function plotVersion(): string {
  const entry = createRequire(import.meta.url).resolve("@observablehq/plot");
  return (JSON.parse(readFileSync(join(dirname(entry), "..", "package.json"), "utf8")) as { version: string }).version;
}

export { colors, Plot };
