/**
 * The one stylesheet of every page built with the kit. Charts are drawn at a
 * fixed size and scale down with the viewport (never up), tables scroll inside
 * their own box, so a page fits a 390-px phone without sideways scrolling.
 */
import { colors } from "./palette.ts";

const swatches = Object.entries(colors).map(([name, c]) => `.sw-${name}{background:${c}}`).join("");

export const CSS = `
:root{color-scheme:light;--ink:#1b1b1b;--muted:#555;--rule:#dedede;--soft:#f6f6f4;--accent:${colors.model}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0 auto;max-width:1140px;padding:20px 24px 48px;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Open Sans",sans-serif;color:var(--ink);background:#fff}
h1{font-size:1.7rem;line-height:1.2;margin:0 0 .25rem}
h2{font-size:1.3rem;margin:2.2rem 0 .6rem;padding-bottom:.25rem;border-bottom:2px solid var(--rule)}
h3{font-size:1rem;margin:0 0 .2rem}
p{margin:.4rem 0 .8rem;max-width:75ch}
a{color:var(--accent)}
.sub{color:var(--muted);margin:0}
.toc{background:var(--soft);border-radius:6px;padding:.6rem 1rem;margin:1rem 0}
.toc ol{margin:.2rem 0;padding-left:1.3rem;columns:2 14rem;column-gap:2rem}
.toc li{break-inside:avoid}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,440px),1fr));gap:18px;margin:.8rem 0}
figure{margin:0;padding:12px;border:1px solid var(--rule);border-radius:6px;min-width:0;background:#fff}
figure.wide{grid-column:1/-1}
.grid>*{min-width:0}
figure svg{display:block;max-width:100%;height:auto;overflow:visible;font-size:12px;margin:.3rem 0}
figure svg text,figure svg tspan{white-space:pre}
figcaption{color:var(--muted);font-size:.88rem;margin-top:.3rem}
.legend{list-style:none;display:flex;flex-wrap:wrap;gap:4px 14px;padding:0;margin:.2rem 0;font-size:.85rem;color:var(--muted)}
.sw{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:5px;vertical-align:-1px}
.sw.line{height:3px;vertical-align:3px;width:16px}
${swatches}
.table-wrap{overflow-x:auto;margin:.6rem 0 1rem;max-width:100%}
table{border-collapse:collapse;font-size:.9rem;font-variant-numeric:tabular-nums}
.caption{color:var(--muted);font-size:.88rem;margin:.6rem 0 .2rem}
.table-wrap{margin-top:0}
th,td{padding:5px 10px;border-bottom:1px solid var(--rule);text-align:left;vertical-align:top}
th{font-weight:600;background:var(--soft)}
td.num,th.num{text-align:right}
td.num{white-space:nowrap}
td:first-child{overflow-wrap:anywhere}
td small{color:var(--muted)}
.flag{color:#b04600;font-weight:600}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:12px;margin:.8rem 0}
.tile{border:1px solid var(--rule);border-radius:6px;padding:10px 12px}
.tile .label{color:var(--muted);font-size:.85rem}
.tile .value{font-size:1.5rem;font-weight:650;font-variant-numeric:tabular-nums}
.tile .detail{font-size:.82rem;color:var(--muted)}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 18px;margin:.6rem 0}
dl.facts dt{color:var(--muted)}
dl.facts dd{margin:0;min-width:0;overflow-wrap:anywhere}
.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.85em;overflow-wrap:anywhere}
.callout{border-left:4px solid ${colors.refer};background:#fdf6e7;padding:.5rem .8rem;margin:.8rem 0;border-radius:0 6px 6px 0}
.callout.ok{border-color:${colors.approve};background:#ecf7f2}
details.feature{margin-top:.8rem;border-top:1px solid var(--rule);padding-top:.4rem}
details.feature>summary h3{display:inline;color:var(--ink)}
.narrative{border:1px solid var(--rule);border-radius:6px;padding:.4rem 1rem;margin:1rem 0}
.narrative h2{margin-top:.6rem}
.nowrap{white-space:nowrap}
details{margin:.4rem 0}
summary{cursor:pointer;color:var(--accent)}
.good{color:#0b6b4f}.bad{color:#b04600}
footer{margin-top:3rem;color:var(--muted);font-size:.85rem;border-top:1px solid var(--rule);padding-top:.6rem}
@media (max-width:600px){body{padding:12px 12px 32px;font-size:14px}h1{font-size:1.35rem}figure{padding:8px}dl.facts{grid-template-columns:1fr}dl.facts dd{margin-bottom:.4rem}th,td{padding:4px 4px}th{overflow-wrap:anywhere}table{font-size:.8rem}td.num{white-space:normal}.desc{display:none}}
@media print{.toc{display:none}figure{break-inside:avoid}}
`.trim();
