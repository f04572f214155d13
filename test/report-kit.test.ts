/**
 * The report kit's guarantees: text from the data can never become markup,
 * numbers read the way people write them, charts are static SVG with named
 * marks, and a page allows exactly its own stylesheet.
 */
import { createHash } from "node:crypto";
import { parseHTML } from "linkedom";
import { describe, expect, it } from "vitest";
import { chart, CSS, fmt, html, page, Plot, section, table } from "../train/report/kit/index.ts";
import { binLabels } from "../train/report/model/analysis.ts";

describe("report kit", () => {
  it("escapes every interpolated string, in text, attributes, tables and chart labels", () => {
    const evil = `<script>alert("x")</script>`;
    expect(html`<p title="${evil}">${evil}</p>`.value).toBe(`<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</p>`);
    expect(html`<b>${html`<i>${evil}</i>`}</b>`.value).toBe("<b><i>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</i></b>");
    const t = table({ columns: [{ label: evil, value: (r: string) => r }], rows: [evil] }).value;
    expect(t).not.toContain("<script");
    const c = chart({ id: "x", title: evil, aid: evil, plot: { y: { domain: [evil] }, marks: [Plot.barX([{ y: evil, x: 1 }], { y: "y", x: "x", className: "bars" })] } }).value;
    // Plot's own text goes through the DOM serializer: quoted attributes may keep "<", which is inert there.
    const doc = parseHTML(`<!doctype html><html><body>${c}</body></html>`).document;
    expect(doc.querySelectorAll("script").length).toBe(0);
    expect(doc.querySelector("g.bars")).not.toBeNull();
    expect(doc.querySelector("figcaption")?.textContent).toBe(evil);
  });

  it("formats numbers for people", () => {
    expect(fmt.int(4454)).toBe("4,454");
    expect(fmt.pct(0.28234)).toBe("28.2%");
    expect(fmt.signed(-0.0042)).toBe("\u22120.004");
    expect(fmt.signed(0.012)).toBe("+0.012");
    expect(fmt.bytes(230_183)).toBe("225 KB");
    expect(fmt.value(119160)).toBe("119,160");
    expect(fmt.value(18.7412)).toBe("18.74");
    expect(fmt.dateTime("2026-11-30T00:08:25.123Z")).toBe("2026-11-30 00:08 UTC");
    expect(fmt.metric(NaN)).toBe("–");
  });

  it("labels numeric bins by their observed edges, whole numbers as ranges of whole numbers", () => {
    expect(binLabels({ feature: "Age", kind: "numeric", edges: [25, 26, 40], categories: [], integer: true })).toEqual(["≤ 25", "26", "27–40", "> 40", "missing"]);
    expect(binLabels({ feature: "x", kind: "numeric", edges: [0.5, 1.25], categories: [], integer: false })).toEqual(["≤ 0.5", "0.5–1.25", "> 1.25", "missing"]);
    expect(binLabels({ feature: "Home", kind: "categorical", edges: [], categories: ["own", "rent"], integer: false })).toEqual(["own", "rent", "other", "missing"]);
  });

  it("renders charts as SVG with rounded coordinates and no per-chart stylesheet", () => {
    const svg = chart({ id: "line", title: "t", aid: "a", plot: { marks: [Plot.line([[0, 0.123456], [1, 0.987654]], { className: "l" })] } }).value;
    expect(svg).toMatch(/^<figure id="chart-line" data-chart="line">/);
    expect(svg).toContain("<svg");
    expect(svg).not.toContain("<style");
    expect(svg).not.toMatch(/\d\.\d{2,}/);
  });

  it("builds a page with a table of contents and a CSP that allows only its own stylesheet", () => {
    const out = page({ title: "T & Co", sections: [section("one", "First", "x"), section("two", "Second", "y")] });
    expect(out).toContain("<title>T &amp; Co</title>");
    expect(out).toContain('<a href="#one">First</a>');
    expect(out).toContain('<section id="two"><h2>Second</h2>y</section>');
    const hash = createHash("sha256").update(CSS).digest("base64");
    expect(out).toContain(`content="default-src 'none'; img-src data:; base-uri 'none'; form-action 'none'; style-src 'sha256-${hash}'"`);
    expect(out.match(/<style>/g)).toHaveLength(1);
  });
});
