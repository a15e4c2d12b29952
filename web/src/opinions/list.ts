/** The 民情数据库: every opinion in the caller's scope, newest first, with
 * filters (category, station, level, state, request type, dates, overdue) and
 * text search; overdue ones are highlighted. A table: a column header sorts the
 * rows loaded, a row opens the detail sheet, ticked rows take a batch action
 * (交办 to one department, 标记 热点/督办候选) one opinion after another, and
 * 导出清单 downloads every row of the filters as Excel. */
import { h } from "../common/dom";
import { type ApiError, get, post, qs } from "../common/api";
import type { Refs } from "./data";
import { ot, isEn } from "./strings";
import { isNewer, mergeOpinions } from "./merge";
import type { LiveOpinion, Opinion, OpinionList } from "./types";
import { categoryName, departmentName, downloadLink, field, levelName, overdueBadge, requestTypeName, select, statusBadge, statusName, when } from "./util";

type SortKey = "reference" | "station" | "category" | "status" | "receivedAt" | "deadline";
/** Who may be assigned in a batch: the states 交办 applies to (opinions/workflow.py). */
const ASSIGNABLE = new Set(["accepted", "returned"]);
const STATUSES = ["submitted", "accepted", "rejected", "assigned", "returned", "in_progress", "answered", "fed_back", "rated", "reopened", "closed"];
const PAGE = 50;

export interface ListFilters {
  q: string;
  category: string;
  station: string;
  level: string;
  status: string;
  requestType: string;
  from: string;
  to: string;
  overdue: boolean;
}

const EMPTY: ListFilters = { q: "", category: "", station: "", level: "", status: "", requestType: "", from: "", to: "", overdue: false };

export class OpinionListView {
  readonly el = h("div", { class: "op-card", "data-testid": "opinion-list-card" });
  private filters: ListFilters = { ...EMPTY };
  private items: Opinion[] = [];
  private total = 0;
  private error = "";
  private loaded = false;
  private gen = 0;
  private searchTimer = 0;
  private readonly results = h("div", {});
  private sort: { key: SortKey; dir: 1 | -1 } = { key: "receivedAt", dir: -1 };
  private readonly selected = new Set<number>();
  private batchMessage = "";

  constructor(
    private readonly refs: Refs,
    private readonly onOpen: (id: number) => void,
  ) {
    this.render();
    void this.load();
  }

  /** The filters as a query string; with an offset, one page of them (without: the export's). */
  private query(offset: number | null): string {
    const f = this.filters;
    return qs({
      q: f.q.trim() || null,
      category: f.category || null,
      station: f.station || null,
      level: f.level || null,
      status: f.status || null,
      requestType: f.requestType || null,
      from: f.from ? `${f.from}T00:00:00+08:00` : null,
      to: f.to ? new Date(new Date(`${f.to}T00:00:00+08:00`).getTime() + 86400000).toISOString() : null,
      overdue: f.overdue ? "true" : null,
      limit: offset === null ? null : PAGE,
      offset,
    });
  }

  async load(more = false): Promise<void> {
    const gen = ++this.gen;
    try {
      const res = await get<OpinionList>(`/opinions${this.query(more ? this.items.length : 0)}`);
      if (gen !== this.gen) return;
      this.items = more ? [...this.items, ...res.items] : res.items;
      this.total = res.total;
      this.error = "";
    } catch (e) {
      if (gen !== this.gen) return;
      this.error = (e as ApiError).message;
    }
    this.loaded = true;
    this.renderResults();
  }

  /** Pushed news of one opinion (the page's event stream), merged by version without
   * re-reading the list: a row as new or newer stays; an older row, or a new capture
   * while no filter or search narrows the list, is replaced by (or joined with) that one
   * opinion re-read alone (GET /api/opinions/{id}, the richer row with its allowed
   * actions). A filtered list hears of new captures at its next load. */
  async news(o: LiveOpinion): Promise<void> {
    if (!this.loaded || !isNewer(this.items, o)) return;
    const known = this.items.some((r) => r.id === o.id);
    if (!known && !this.unfiltered()) return;
    const gen = this.gen;
    let fresh: Opinion;
    try {
      fresh = await get<Opinion>(`/opinions/${o.id}`);
    } catch {
      return; // gone from the caller's sight, or offline: the next load tells
    }
    if (gen !== this.gen || !isNewer(this.items, fresh)) return;
    if (!this.items.some((r) => r.id === fresh.id)) this.total += 1;
    this.items = mergeOpinions(this.items, [fresh], Number.POSITIVE_INFINITY);
    this.renderResults();
  }

  private unfiltered(): boolean {
    return (Object.keys(EMPTY) as (keyof ListFilters)[]).every((k) => this.filters[k] === EMPTY[k]);
  }

  private set<K extends keyof ListFilters>(k: K, v: ListFilters[K]): void {
    this.filters[k] = v;
    void this.load();
  }

  render(): void {
    const { options, stations, account } = this.refs;
    const en = isEn();
    const f = this.filters;
    const search = h("input", { type: "search", class: "op-input", placeholder: ot("searchPlaceholder"), value: f.q, "data-testid": "opinion-search", enterkeyhint: "search" });
    search.addEventListener("input", () => {
      window.clearTimeout(this.searchTimer);
      this.searchTimer = window.setTimeout(() => this.set("q", search.value), 300);
    });
    const stationItems: [string, string][] = [["", ot("allStations")]];
    for (const { node } of stations.flat()) if (!account.station || stations.inScope(node.code, account.station)) stationItems.push([node.code, stations.short(node.code)]);
    const from = h("input", { type: "date", class: "op-input", value: f.from, "data-testid": "filter-from" });
    from.addEventListener("change", () => this.set("from", from.value));
    const to = h("input", { type: "date", class: "op-input", value: f.to, "data-testid": "filter-to" });
    to.addEventListener("change", () => this.set("to", to.value));
    const overdue = h("input", { type: "checkbox", "data-testid": "filter-overdue" });
    overdue.checked = f.overdue;
    overdue.addEventListener("change", () => this.set("overdue", overdue.checked));
    const reset = h("button", { type: "button", class: "op-btn" }, ot("reset"));
    reset.addEventListener("click", () => {
      this.filters = { ...EMPTY };
      this.render();
      void this.load();
    });
    this.el.replaceChildren(
      h(
        "div",
        { class: "op-filters" },
        field(ot("search"), search),
        field(ot("category"), select("filter-category", [["", ot("allCategories")], ...options.categories.map((c): [string, string] => [c.code, `${c.code} ${en ? c.nameEn : c.name}`])], f.category, (v) => this.set("category", v))),
        field(ot("station"), select("filter-station", stationItems, f.station, (v) => this.set("station", v))),
        field(ot("level"), select("filter-level", [["", ot("allLevels")], ...(["town", "county", "city"].map((l): [string, string] => [l, levelName(l)]))], f.level, (v) => this.set("level", v))),
        field(ot("status"), select("filter-status", [["", ot("allStatuses")], ...STATUSES.map((s): [string, string] => [s, statusName(s)])], f.status, (v) => this.set("status", v))),
        field(ot("requestType"), select("filter-type", [["", ot("allTypes")], ...options.requestTypes.map((c): [string, string] => [c.code, en ? c.nameEn : c.name])], f.requestType, (v) => this.set("requestType", v))),
      ),
      h("div", { class: "op-filters-2" }, field(ot("from"), from), field(ot("to"), to), h("label", { class: "op-check" }, overdue, ot("overdueOnly")), reset),
      this.results,
    );
    this.renderResults();
  }

  private renderResults(): void {
    const list = this.table();
    const head = h(
      "div",
      { class: "op-head-row", style: "margin:12px 0 8px" },
      h("span", { class: "op-hint", "data-testid": "opinion-total" }, this.loaded ? ot("total", { n: this.total }) : ot("loading")),
      // every opinion of the filters, not just the pages loaded (GET /api/opinions.xlsx)
      this.total ? downloadLink(`/api/opinions.xlsx${this.query(null)}`, ot("exportList"), "opinion-export") : null,
    );
    const parts: (HTMLElement | null)[] = [head, this.batchBar()];
    if (this.error) parts.push(h("div", { class: "op-msg", "data-tone": "error" }, ot("errorLoad", { message: this.error })));
    if (this.loaded && !this.items.length && !this.error) parts.push(h("p", { class: "op-muted" }, ot("empty")));
    parts.push(list);
    if (this.items.length < this.total) {
      const more = h("button", { type: "button", class: "op-btn op-more" }, ot("loadMore"));
      more.addEventListener("click", () => void this.load(true));
      parts.push(h("div", { style: "display:flex;justify-content:center" }, more));
    }
    this.results.replaceChildren(...parts.filter((x): x is HTMLElement => x != null));
  }

  /** The rows loaded, in the chosen order (a header click sorts; a second click reverses). */
  private sorted(): Opinion[] {
    const { key, dir } = this.sort;
    const value = (o: Opinion): string => (key === "deadline" ? o.deadline ?? "" : key === "receivedAt" ? o.receivedAt : key === "reference" ? o.reference : key === "status" ? statusName(o.status) : key === "category" ? o.category : this.refs.stations.short(o.station));
    return [...this.items].sort((a, b) => (value(a) < value(b) ? -dir : value(a) > value(b) ? dir : b.id - a.id));
  }

  private table(): HTMLElement {
    const head = (key: SortKey | null, label: string) => {
      if (!key) return h("th", { scope: "col" }, label);
      const on = this.sort.key === key;
      const b = h("button", { type: "button", class: "op-sort", "data-testid": `sort-${key}` }, label, on ? (this.sort.dir === 1 ? " ▲" : " ▼") : "");
      b.addEventListener("click", () => {
        this.sort = { key, dir: on ? (this.sort.dir === 1 ? -1 : 1) : key === "receivedAt" || key === "deadline" ? -1 : 1 };
        this.renderResults();
      });
      return h("th", { scope: "col", "aria-sort": on ? (this.sort.dir === 1 ? "ascending" : "descending") : "none" }, b);
    };
    const all = h("input", { type: "checkbox", "data-testid": "select-all", "aria-label": ot("selectAll") });
    all.checked = this.items.length > 0 && this.items.every((o) => this.selected.has(o.id));
    all.addEventListener("change", () => {
      for (const o of this.items) {
        if (all.checked) this.selected.add(o.id);
        else this.selected.delete(o.id);
      }
      this.renderResults();
    });
    const table = h(
      "table",
      { class: "op-table op-list-table", "data-testid": "opinion-list", "data-total": String(this.total) },
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, all), head("reference", ot("reference")), head(null, ot("summaryCol")),
        head("station", ot("station")), head("category", ot("category")), head(null, ot("raiserCol")), head("status", ot("status")),
        head("receivedAt", ot("receivedCol")), head("deadline", ot("deadlineCol")))),
    );
    const body = h("tbody", {});
    for (const o of this.sorted()) body.append(this.row(o));
    table.append(body);
    return h("div", { class: "op-table-wrap" }, table);
  }

  private row(o: Opinion): HTMLElement {
    const { options, stations } = this.refs;
    const tick = h("input", { type: "checkbox", "data-testid": "opinion-select", "aria-label": ot("selectOne", { ref: o.reference }) });
    tick.checked = this.selected.has(o.id);
    tick.addEventListener("click", (e) => e.stopPropagation());
    tick.addEventListener("change", () => {
      if (tick.checked) this.selected.add(o.id);
      else this.selected.delete(o.id);
      this.renderResults();
    });
    const open = h("button", { type: "button", class: "op-row-open", "data-testid": "opinion-row-reference" }, o.reference);
    const tr = h(
      "tr",
      { class: `op-tr${o.overdue ? " is-overdue" : ""}`, "data-testid": "opinion-row", "data-id": String(o.id), "data-status": o.status, "data-overdue": String(o.overdue) },
      h("td", {}, tick),
      h("td", {}, open),
      h("td", { class: "op-td-summary" }, h("span", { class: "op-row-title" }, o.summary),
        ...o.flags.map((fl) => h("span", { class: "op-badge is-flag" }, ot(`fl_${fl}` as "fl_hot"))),
        o.department ? h("span", { class: "op-hint" }, ` @${departmentName(options, o.department)}`) : null),
      h("td", {}, stations.short(o.station)),
      h("td", {}, categoryName(options, o.category, o.categoryName), h("span", { class: "op-hint" }, ` ${requestTypeName(options, o.requestType, o.requestTypeName)}`)),
      h("td", { "data-testid": "opinion-row-raiser", "data-raised-by": o.raisedBy }, raiser(o)),
      h("td", {}, statusBadge(o), overdueBadge(o)),
      h("td", {}, when(o.receivedAt)),
      h("td", {}, o.deadline ? when(o.deadline).slice(0, 10) : "—"),
    );
    tr.addEventListener("click", () => this.onOpen(o.id));
    open.addEventListener("click", (e) => {
      e.stopPropagation();
      this.onOpen(o.id);
    });
    return tr;
  }

  /** The batch actions of the ticked rows: 交办 (to one level and department) and 标记. */
  private batchBar(): HTMLElement | null {
    if (!this.selected.size && !this.batchMessage) return null;
    const { options } = this.refs;
    const message = this.batchMessage ? h("span", { class: "op-hint", "data-testid": "batch-message", role: "status" }, this.batchMessage) : null;
    if (!this.selected.size) return h("div", { class: "op-batch" }, message);
    let level = "town";
    const department = h("select", { class: "op-input", "data-testid": "batch-department", "aria-label": ot("department") });
    const fill = () => department.replaceChildren(...options.departments.filter((d) => d.level === level).map((d) => h("option", { value: d.code }, isEn() ? d.nameEn : d.name)));
    fill();
    const levelPick = select("batch-level", (["town", "county", "city"] as const).map((l): [string, string] => [l, levelName(l)]), level, (v) => {
      level = v;
      fill();
    });
    levelPick.setAttribute("aria-label", ot("level"));
    const assign = h("button", { type: "button", class: "op-btn op-btn-primary", "data-testid": "batch-assign" }, ot("ac_assign"));
    assign.addEventListener("click", () => void this.batch("assign", { level, department: department.value }));
    const flags = (["hot", "supervision"] as const).map((fl) => {
      const b = h("button", { type: "button", class: "op-btn", "data-testid": `batch-flag-${fl}` }, `${ot("ac_flag")}：${ot(`fl_${fl}`)}`);
      b.addEventListener("click", () => void this.batch("flag", { flag: fl }));
      return b;
    });
    return h("div", { class: "op-batch", "data-testid": "batch-bar" },
      h("strong", {}, ot("selectedN", { n: this.selected.size })), levelPick, department, assign, ...flags, message);
  }

  /** One action on every ticked opinion, one after another; says how many took it. */
  private async batch(action: "assign" | "flag", fields: Record<string, string>): Promise<void> {
    const ids = this.items.filter((o) => this.selected.has(o.id) && (action !== "assign" || ASSIGNABLE.has(o.status))).map((o) => o.id);
    let done = 0;
    let failed = this.selected.size - ids.length;
    for (const id of ids) {
      try {
        await post(`/opinions/${id}/actions`, { action, ...fields });
        done += 1;
        this.selected.delete(id);
      } catch {
        failed += 1;
      }
    }
    this.batchMessage = ot("batchDone", { done, failed });
    await this.load();
  }
}

/** Who raised it, as the row shows it: the deputy's name ("代表 …"), or the resident's (no contact). */
function raiser(o: Opinion): string {
  if (o.raisedBy === "deputy") return ot("raisedByDeputy", { name: o.deputyName ?? `#${o.deputyId}` });
  return o.residentName || "—";
}
