/** Reports 统计报表: the period's figures (received, resolved, resolution
 * rate, share resolved at town level, average time to answer, satisfaction),
 * categories ranked by volume against the previous period (SVG), and the
 * 民情热点专报 Excel download — for a period and a scope. */
import { h } from "../common/dom";
import { type ApiError, get, qs } from "../common/api";
import { rankingChart } from "./chart";
import type { Refs } from "./data";
import { type PeriodState, apiWindow, defaultPeriod, periodPicker } from "./period";
import { ot } from "./strings";
import type { Ranking, Stats } from "./types";
import { categoryName, downloadLink, pct } from "./util";

export class ReportsView {
  readonly el = h("div", { class: "op-reports", style: "display:flex;flex-direction:column;gap:14px", "data-testid": "reports" });
  private period: PeriodState = defaultPeriod();
  private stats: Stats | null = null;
  private ranking: Ranking | null = null;
  private error = "";
  private gen = 0;
  private chartBox = h("div", { class: "op-chart-box" });
  private ro: ResizeObserver | null = null;
  private lastWidth = 0;

  constructor(private readonly refs: Refs) {
    if (typeof ResizeObserver !== "undefined") {
      this.ro = new ResizeObserver(() => {
        const w = this.chartBox.clientWidth;
        if (w && Math.abs(w - this.lastWidth) > 8) this.drawChart();
      });
      this.ro.observe(this.chartBox);
    }
    this.render();
    void this.load();
  }

  destroy(): void {
    this.ro?.disconnect();
  }

  private params(): string {
    const w = apiWindow(this.period);
    return qs({ from: w.from, to: w.to, scope: this.period.scope || null });
  }

  async load(): Promise<void> {
    const gen = ++this.gen;
    const q = this.params();
    try {
      const [stats, ranking] = await Promise.all([get<Stats>(`/reports/opinion-stats${q}`), get<Ranking>(`/reports/opinion-ranking${q}`)]);
      if (gen !== this.gen) return;
      this.stats = stats;
      this.ranking = ranking;
      this.error = "";
    } catch (e) {
      if (gen !== this.gen) return;
      this.error = (e as ApiError).message;
    }
    this.render();
  }

  render(): void {
    const picker = periodPicker(this.refs, this.period, (p) => {
      this.period = p;
      this.render();
      void this.load();
    }, "report-period");
    const head = h(
      "section",
      { class: "op-card" },
      h("div", { class: "op-head-row" }, picker, downloadLink(`/api/reports/hot-topics.xlsx${this.params()}`, ot("downloadHotTopics"), "download-hot-topics")),
    );
    const parts: HTMLElement[] = [head];
    if (this.error) parts.push(h("div", { class: "op-msg", "data-tone": "error" }, ot("errorLoad", { message: this.error })));
    const st = this.stats;
    const card = (key: string, label: string, value: string, sub = "") =>
      h("div", { class: "op-stat", "data-testid": `stat-${key}`, "data-value": value }, h("span", { class: "op-stat-label" }, label), h("span", { class: "op-stat-value" }, value), h("span", { class: "op-stat-sub" }, sub));
    parts.push(
      h(
        "section",
        { class: "op-stats", "data-testid": "stats", "data-loaded": String(!!st) },
        card("received", ot("received"), st ? String(st.received) : "…", st ? ot("ofAssigned", { n: st.assigned }) : ""),
        card("resolved", ot("resolved"), st ? String(st.resolved) : "…"),
        card("resolution-rate", ot("resolutionRate"), st ? pct(st.resolutionRate) : "…"),
        card("town-share", ot("townShare"), st ? pct(st.townShare) : "…", st ? ot("ofResolved", { n: st.resolvedTown }) : ""),
        card("avg-answer", ot("avgAnswer"), st ? (st.avgHoursToAnswer == null ? "—" : ot("hours", { n: st.avgHoursToAnswer.toFixed(1) })) : "…"),
        card("satisfaction", ot("satisfaction"), st ? pct(st.satisfaction) : "…", st ? ot("ofRated", { n: st.rated }) : ""),
      ),
    );
    const rk = this.ranking;
    const legend = h(
      "div",
      { class: "op-legend" },
      h("span", {}, h("span", { class: "op-swatch", style: "background:var(--red)" }), rk ? `${rk.from.slice(0, 10)} – ${this.period.to}` : ""),
      h("span", {}, h("span", { class: "op-swatch", style: "background:#e8c9a0" }), rk ? `${rk.previousFrom.slice(0, 10)} – ${new Date(new Date(rk.previousTo).getTime() - 1000).toISOString().slice(0, 10)}` : ""),
      h("span", {}, `▲▼ ${ot("change")}`),
    );
    parts.push(h("section", { class: "op-card" }, h("h3", { class: "op-card-title" }, ot("ranking")), legend, this.chartBox));
    this.el.replaceChildren(...parts);
    this.drawChart();
  }

  private drawChart(): void {
    const rk = this.ranking;
    if (!rk) {
      this.chartBox.replaceChildren(h("p", { class: "op-muted" }, this.error ? "" : ot("loading")));
      return;
    }
    if (!rk.items.length) {
      this.chartBox.replaceChildren(h("p", { class: "op-muted", "data-testid": "ranking-empty" }, ot("rankingEmpty")));
      return;
    }
    const width = this.chartBox.clientWidth || Math.min(900, window.innerWidth - 40);
    this.lastWidth = width;
    this.chartBox.replaceChildren(rankingChart(rk.items, width, (r) => categoryName(this.refs.options, r.category, r.name)));
  }
}
