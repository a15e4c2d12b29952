/** The console's 民情 section: the 民情数据库 (list + detail), department
 * notices, reports and duty records, and the capture form in a sheet.
 * Routed by the address's fragment: #opinions[/list|/notices|/reports|/duty][?id=N]. */
import "./opinions.css";
import { h } from "../common/dom";
import type { ApiError } from "../common/api";
import type { Account } from "../common/types";
import { type CapturePanel, mountCapturePanel } from "./capture";
import { type Refs, loadRefs } from "./data";
import { OpinionDetailSheet } from "./detail";
import { DutyView } from "./duty";
import { OpinionListView } from "./list";
import { NoticesView } from "./notices";
import { ReportsView } from "./reports";
import { ot } from "./strings";
import type { OpinionStreamEvent } from "./types";
import { openSheet } from "./util";

export type Tab = "list" | "notices" | "reports" | "duty";
export type Section = "sessions" | "opinions" | "recordings";

/** Who gets the 民情 section: administrators, dispatchers and station operators. */
export function canSeeOpinions(a: Account | null): boolean {
  return !!a && (a.role === "administrator" || a.role === "dispatcher" || a.role === "operator");
}

/** The section the address names. */
export function sectionOfHash(hash = location.hash): Section {
  return hash.startsWith("#opinions") ? "opinions" : hash.startsWith("#recordings") ? "recordings" : "sessions";
}

/** The top bar's section switch (联动会议 | 民情). */
export function sectionNav(current: Section): HTMLElement {
  const nav = h("nav", { class: "op-nav", "aria-label": ot("navOpinions") });
  for (const s of ["sessions", "opinions", "recordings"] as Section[]) {
    const a = h(
      "a",
      { class: "op-nav-link", href: s === "sessions" ? "#" : `#${s}`, "aria-current": s === current ? "page" : null, "data-testid": `nav-${s}` },
      s === "opinions" ? ot("navOpinions") : s === "recordings" ? ot("navRecordings") : ot("navSessions"),
    );
    a.addEventListener("click", (e) => {
      e.preventDefault();
      if (s === current) return;
      if (s !== "sessions") location.hash = `#${s}`;
      else history.pushState(null, "", location.pathname + location.search);
      window.dispatchEvent(new HashChangeEvent("hashchange"));
    });
    nav.append(a);
  }
  return nav;
}

function tabOfHash(): Tab {
  const m = /^#opinions\/(list|notices|reports|duty)/.exec(location.hash);
  return (m?.[1] as Tab) ?? "list";
}

export class OpinionsView {
  readonly el = h("div", { class: "op-page", "data-testid": "opinions-page" });
  private refs: Refs | null = null;
  private error = "";
  private tab: Tab = tabOfHash();
  private list: OpinionListView | null = null;
  private notices: NoticesView | null = null;
  private reports: ReportsView | null = null;
  private duty: DutyView | null = null;
  private detail: OpinionDetailSheet | null = null;
  private capture: { panel: CapturePanel; sheet: ReturnType<typeof openSheet> } | null = null;
  private readonly body = h("div", {});
  /** Live news of opinions (GET /api/opinion-events, Server-Sent Events). */
  private events: EventSource | null = null;
  private readonly liveDot = h("span", { class: "op-live", "data-testid": "opinions-live", "data-state": "connecting" });
  private reloadTimer = 0;

  constructor(private readonly account: Account) {
    this.render();
    void this.boot();
    this.listen();
  }

  /** Follow the hub's news of opinions: every capture or handling step in the
   * caller's scope is merged into the list by version (OpinionListView.news: at
   * most that one opinion is re-read, never the list), and an assignment, which
   * sends a department a notice, reloads the notices. Every reconnection (a
   * `ready` after the first) reloads both, so nothing missed while disconnected
   * stays missing. EventSource reconnects by itself. */
  private listen(): void {
    if (typeof EventSource === "undefined") return;
    const es = new EventSource("/api/opinion-events");
    this.events = es;
    let first = true;
    const state = (s: string) => {
      this.liveDot.dataset.state = s;
      this.liveDot.title = s === "open" ? ot("liveOn") : ot("liveOff");
    };
    es.addEventListener("ready", () => {
      state("open");
      if (!first) this.reloadSoon();
      first = false;
    });
    es.addEventListener("opinion", (ev) => {
      const news = JSON.parse((ev as MessageEvent<string>).data) as OpinionStreamEvent;
      void this.list?.news(news.opinion);
      if (news.action === "assign") void this.notices?.load();
    });
    es.addEventListener("end", () => {
      es.close();
      state("closed");
    });
    es.onerror = () => state(es.readyState === EventSource.CLOSED ? "closed" : "connecting");
  }

  private reloadSoon(): void {
    window.clearTimeout(this.reloadTimer);
    this.reloadTimer = window.setTimeout(() => {
      void this.list?.load();
      void this.notices?.load();
    }, 250);
  }

  private async boot(): Promise<void> {
    try {
      this.refs = await loadRefs(true);
    } catch (e) {
      this.error = (e as ApiError).message;
    }
    this.render();
  }

  private staff(): boolean {
    return this.account.role === "administrator" || this.account.role === "dispatcher";
  }

  private tabs(): Tab[] {
    return this.staff() ? ["list", "notices", "reports", "duty"] : ["list", "reports"];
  }

  /** Re-read the current tab (window.consoleApp.reload). */
  load(): void {
    this.list?.load();
    this.notices?.load();
    this.reports?.load();
    this.duty?.load();
  }

  destroy(): void {
    this.events?.close();
    this.events = null;
    window.clearTimeout(this.reloadTimer);
    this.reports?.destroy();
    this.detail?.close();
    this.capture?.sheet.close();
  }

  openDetail(id: number): void {
    if (!this.refs) return;
    this.detail?.close();
    this.detail = new OpinionDetailSheet(id, this.refs, () => {
      void this.list?.load();
      void this.notices?.load();
    }, () => (this.detail = null));
  }

  openCapture(): void {
    if (this.capture) return;
    const box = h("div", {});
    const sheet = openSheet(ot("captureTitle"), box, () => {
      this.capture?.panel.destroy();
      this.capture = null;
    }, "capture-sheet");
    const panel = mountCapturePanel(box, {
      stationCode: this.account.station,
      onSent: () => void this.list?.load(),
    });
    // the sheet's own title says it; the panel's heading would repeat it
    panel.el.querySelector(".op-capture-title")?.remove();
    this.capture = { panel, sheet };
  }

  private setTab(t: Tab): void {
    if (t === this.tab) return;
    this.tab = t;
    history.replaceState(null, "", `#opinions/${t}`);
    this.render();
  }

  render(): void {
    if (!this.tabs().includes(this.tab)) this.tab = "list";
    // The tab list holds the tabs only; the live dot and ＋ sit beside it in the bar.
    const tablist = h("div", { class: "op-tablist", role: "tablist" });
    const bar = h("div", { class: "op-tabs" }, tablist);
    for (const t of this.tabs()) {
      const b = h("button", { type: "button", class: "op-tab", role: "tab", "aria-selected": String(t === this.tab), "data-testid": `tab-${t}` }, ot(`tab${t[0].toUpperCase()}${t.slice(1)}` as "tabList"));
      b.addEventListener("click", () => this.setTab(t));
      tablist.append(b);
    }
    const add = h("button", { type: "button", class: "op-btn op-btn-primary op-new", "data-testid": "new-opinion" }, `＋ ${ot("newOpinion")}`);
    add.addEventListener("click", () => this.openCapture());
    this.liveDot.textContent = ot("live");
    bar.append(h("span", { class: "op-tabs-spacer" }), this.liveDot, add);
    this.el.replaceChildren(bar, this.body);
    if (!this.refs) {
      this.body.replaceChildren(h("p", { class: "op-muted" }, this.error ? ot("errorLoad", { message: this.error }) : ot("loading")));
      return;
    }
    const refs = this.refs;
    let view: { el: HTMLElement; render(): void };
    switch (this.tab) {
      case "notices":
        view = this.notices ??= new NoticesView(refs, (id) => this.openDetail(id));
        break;
      case "reports":
        view = this.reports ??= new ReportsView(refs);
        break;
      case "duty":
        view = this.duty ??= new DutyView(refs);
        break;
      default:
        view = this.list ??= new OpinionListView(refs, (id) => this.openDetail(id));
    }
    view.render();
    // The working-day calendar lacks a year's official holidays: deadlines across them are too early.
    const missing = refs.options.calendarMissingYears ?? [];
    const calendarWarning = missing.length
      ? h("div", { class: "op-msg", "data-tone": "warn", role: "status", "data-testid": "calendar-warning" }, ot("calendarMissing", { years: missing.join(", ") }))
      : "";
    this.body.replaceChildren(calendarWarning, view.el);
    this.detail?.render();
    // a tab opened again shows fresh figures
    if (this.tab === "reports") void this.reports?.load();
  }
}
