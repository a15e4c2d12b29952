/** The 民情数据库: every opinion in the caller's scope, newest first, with
 * filters (category, station, level, state, request type, dates, overdue) and
 * text search; overdue ones are highlighted. A row opens the detail sheet. */
import { h } from "../common/dom";
import { type ApiError, get, qs } from "../common/api";
import type { Refs } from "./data";
import { ot, isEn } from "./strings";
import type { Opinion, OpinionList } from "./types";
import { categoryName, departmentName, field, levelName, overdueBadge, requestTypeName, select, statusBadge, statusName, when } from "./util";

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

  constructor(
    private readonly refs: Refs,
    private readonly onOpen: (id: number) => void,
  ) {
    this.render();
    void this.load();
  }

  private query(offset: number): string {
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
      limit: PAGE,
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
    const list = h("ul", { class: "op-list", "data-testid": "opinion-list", "data-total": String(this.total) });
    for (const o of this.items) list.append(h("li", {}, this.row(o)));
    const head = h("div", { class: "op-head-row", style: "margin:12px 0 8px" }, h("span", { class: "op-hint", "data-testid": "opinion-total" }, this.loaded ? ot("total", { n: this.total }) : ot("loading")));
    const parts: (HTMLElement | null)[] = [head];
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

  private row(o: Opinion): HTMLElement {
    const { options, stations } = this.refs;
    const b = h(
      "button",
      { type: "button", class: `op-row${o.overdue ? " is-overdue" : ""}`, "data-testid": "opinion-row", "data-id": String(o.id), "data-status": o.status, "data-overdue": String(o.overdue) },
      h("span", { class: "op-row-id", "data-testid": "opinion-row-reference" }, o.reference),
      h(
        "span",
        { class: "op-row-main" },
        h("span", { class: "op-row-title" }, o.summary),
        h(
          "span",
          { class: "op-row-meta" },
          h("span", {}, stations.short(o.station)),
          h("span", {}, categoryName(options, o.category, o.categoryName)),
          h("span", {}, requestTypeName(options, o.requestType, o.requestTypeName)),
          h("span", { "data-testid": "opinion-row-raiser", "data-raised-by": o.raisedBy }, raiser(o)),
          o.department ? h("span", {}, `@${departmentName(options, o.department)}`) : null,
          h("span", {}, when(o.receivedAt)),
        ),
      ),
      h(
        "span",
        { class: "op-row-side" },
        statusBadge(o),
        overdueBadge(o),
        o.deadline && !o.overdue && (o.status === "assigned" || o.status === "in_progress") ? h("span", { class: "op-hint" }, ot("dueOn", { d: when(o.deadline).slice(0, 10) })) : null,
        ...o.flags.map((fl) => h("span", { class: "op-badge is-flag" }, ot(`fl_${fl}` as "fl_hot"))),
      ),
    );
    b.addEventListener("click", () => this.onOpen(o.id));
    return b;
  }
}

/** Who raised it, as the row shows it: the deputy's name ("代表 …"), or the resident's (no contact). */
function raiser(o: Opinion): string {
  if (o.raisedBy === "deputy") return ot("raisedByDeputy", { name: o.deputyName ?? `#${o.deputyId}` });
  return o.residentName || "—";
}
