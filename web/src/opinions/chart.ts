/** Inline SVG charts, drawn here (no chart library): categories ranked by
 * volume, this period's bar over the previous period's, with the change. */
import { ot } from "./strings";
import type { RankRow } from "./types";

const NS = "http://www.w3.org/2000/svg";

function s<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text != null) el.textContent = text;
  return el;
}

/** Measure text roughly (CJK ≈ 1 em, latin ≈ 0.6 em at 12 px). */
function textWidth(t: string, size = 12): number {
  let w = 0;
  for (const ch of t) w += /[\u2e80-\uffff]/.test(ch) ? size : size * 0.6;
  return w;
}

function ellipsize(t: string, max: number): string {
  if (textWidth(t) <= max) return t;
  let out = "";
  for (const ch of t) {
    if (textWidth(`${out}${ch}…`) > max) break;
    out += ch;
  }
  return `${out}…`;
}

/** Horizontal bars, one row per category, sized to `width` CSS pixels. */
export function rankingChart(rows: RankRow[], width: number, nameOf: (r: RankRow) => string): SVGSVGElement {
  const w = Math.max(280, Math.round(width));
  const narrow = w < 520;
  const labelW = narrow ? Math.min(112, w * 0.34) : 190;
  const changeW = narrow ? 48 : 72;
  const barX = labelW + 8;
  const barW = Math.max(60, w - barX - changeW - 34);
  const rowH = 30;
  const top = 6;
  const height = top + rows.length * rowH + 4;
  const max = Math.max(1, ...rows.map((r) => Math.max(r.count, r.previous)));
  const svg = s("svg", { class: "op-chart", viewBox: `0 0 ${w} ${height}`, width: w, height, role: "img", "data-testid": "ranking-chart", "data-rows": rows.length });
  svg.append(s("title", {}, ot("ranking")));
  rows.forEach((r, i) => {
    const y = top + i * rowH;
    const g = s("g", { "data-category": r.category, "data-count": r.count });
    const name = `${r.rank}. ${nameOf(r)}`;
    g.append(s("text", { x: labelW, y: y + 17, "text-anchor": "end" }, ellipsize(name, labelW - 4)));
    const cw = (r.count / max) * barW;
    const pw = (r.previous / max) * barW;
    g.append(s("rect", { class: "op-bar-prev", x: barX, y: y + 18, width: Math.max(pw, r.previous ? 2 : 0), height: 6, rx: 2 }));
    g.append(s("rect", { class: "op-bar", x: barX, y: y + 4, width: Math.max(cw, r.count ? 2 : 0), height: 13, rx: 3 }));
    g.append(s("text", { x: barX + cw + 5, y: y + 15, "font-weight": 700 }, String(r.count)));
    const cls = r.change > 0 ? "op-up" : r.change < 0 ? "op-down" : "op-same";
    const label = r.previous === 0 && r.count > 0 ? `▲${r.change} ${narrow ? "" : ot("newEntry")}`.trim() : r.change > 0 ? `▲${r.change}` : r.change < 0 ? `▼${-r.change}` : "—";
    g.append(s("text", { class: cls, x: w - 2, y: y + 17, "text-anchor": "end", "font-weight": 700 }, label));
    const tip = s("title", {}, `${nameOf(r)}: ${r.count} (${ot("previous", { n: r.previous })})`);
    g.append(tip);
    svg.append(g);
  });
  return svg;
}
