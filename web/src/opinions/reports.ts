/** Reports 统计报表: the period's figures (received, resolved, resolution
 * rate, share resolved at town level, average time to answer, satisfaction),
 * categories ranked by volume against the previous period (SVG), and the
 * 民情热点专报 Excel download — for a period and a scope; the figures town by town; and a print
 * layout (A4, the unit's header, page numbers: opinions.css @media print) for the paper report. */
import { h } from "../common/dom";
import { type ApiError, get, qs } from "../common/api";
import { rankingChart } from "./chart";
import type { Refs } from "./data";
import { type PeriodState, apiWindow, defaultPeriod, periodPicker } from "./period";
import { ot } from "./strings";
import type { Ranking, Stats } from "./types";

/** GET /api/reports/opinion-towns: one row per town or sub-district station of the scope. */
interface TownStats {
  scope: string | null;
  items: { station: string; name: string; stats: Stats }[];
}
import { categoryName, downloadLink, pct } from "./util";

export class ReportsView {
  readonly el = h("div", { class: "op-reports", style: "display:flex;flex-direction:column;gap:14px", "data-testid": "reports" });
  private period: PeriodState = defaultPeriod();
  private stats: Stats | null = null;
  private ranking: Ranking | null = null;
  private towns: TownStats | null = null;
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
      const [stats, ranking, towns] = await Promise.all([
        get<Stats>(`/reports/opinion-stats${q}`),
        get<Ranking>(`/reports/opinion-ranking${q}`),
        get<TownStats>(`/reports/opinion-towns${q}`),
      ]);
      if (gen !== this.gen) return;
      this.stats = stats;
      this.ranking = ranking;
      this.towns = towns;
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
    const print = h("button", { type: "button", class: "op-btn", "data-testid": "print-report" }, ot("printReport"));
    print.addEventListener("click", () => window.print());
    const head = h(
      "section",
      { class: "op-card op-no-print" },
      h("div", { class: "op-head-row" }, picker, downloadLink(`/api/reports/hot-topics.xlsx${this.params()}`, ot("downloadHotTopics"), "download-hot-topics"), print),
    );
    // only on paper: the unit that reports, the title, the period and the scope
    const { stations, account } = this.refs;
    const w = apiWindow(this.period);
    const unit = account.station ? stations.name(account.station) : ot("printUnitAll");
    const scope = this.period.scope ? stations.name(this.period.scope) : unit;
    const printHead = h(
      "header",
      { class: "op-print-head", "data-testid": "print-head" },
      h("div", { class: "op-print-unit" }, unit),
      h("h1", { class: "op-print-title" }, ot("printTitle")),
      h("div", { class: "op-print-meta" }, `${ot("scope")}：${scope} · ${ot("period")}：${w.from.slice(0, 10)} – ${this.period.to}`),
    );
    const parts: HTMLElement[] = [printHead, head];
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
    parts.push(this.townTable());
    this.el.replaceChildren(...parts);
    this.drawChart();
  }

  /** The period's figures town by town (the scope's towns and sub-districts, with their rooms). */
  private townTable(): HTMLElement {
    const towns = this.towns;
    const cols = [ot("townCol"), ot("received"), ot("assignedCol"), ot("resolved"), ot("resolutionRate"), ot("townShare"), ot("satisfaction")];
    const table = h("table", { class: "op-table op-town-table", "data-testid": "town-table" },
      h("thead", {}, h("tr", {}, ...cols.map((c) => h("th", { scope: "col" }, c)))));
    const body = h("tbody", {});
    for (const t of towns?.items ?? []) {
      const st = t.stats;
      body.append(h("tr", { "data-testid": "town-row", "data-station": t.station },
        h("th", { scope: "row" }, this.refs.stations.short(t.station)),
        h("td", {}, String(st.received)), h("td", {}, String(st.assigned)), h("td", {}, String(st.resolved)),
        h("td", {}, pct(st.resolutionRate)), h("td", {}, pct(st.townShare)), h("td", {}, pct(st.satisfaction))));
    }
    table.append(body);
    return h("section", { class: "op-card" }, h("h3", { class: "op-card-title" }, ot("byTownTable")),
      towns ? (towns.items.length ? h("div", { class: "op-table-wrap" }, table) : h("p", { class: "op-muted" }, ot("rankingEmpty"))) : h("p", { class: "op-muted" }, ot("loading")));
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
