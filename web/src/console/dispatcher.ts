/** The dispatcher's console: calendar (week / month), the list of linked
 * sessions, and the create / edit sheet with its invitations tab. */
import { h } from "../common/dom";
import { ApiError, get, qs } from "../common/api";
import { type CalEvent, monthGridStart, monthView, periodLabel, weekView } from "./calendar";
import { SessionForm } from "./form";
import { InvitationsPanel } from "./invitations";
import { OccurrencesPanel } from "./occurrences";
import { describeRrule } from "./rrule";
import { stateBadge } from "./shell";
import type { Stations } from "../common/stations";
import { ct } from "./strings";
import { DAY_MS, addDays, rangeLabel, wall, instant, weekStart } from "../common/time";
import type { Account, Items, Occurrence, Session } from "../common/types";

type SheetTab = "details" | "invitations" | "occurrences";

export class DispatcherView {
  readonly el = h("div", { class: "c-dispatch" });
  private mode: "week" | "month" = "week";
  private anchor = new Date();
  private sessions: Session[] = [];
  private events: CalEvent[] = [];
  private loadError = "";
  private loaded = false;
  private sheet: HTMLElement | null = null;
  private form: SessionForm | null = null;
  private timer = 0;
  private loadGen = 0;
  private mobileTab: "calendar" | "list" = "calendar";

  constructor(
    private readonly account: Account,
    private readonly stations: Stations,
  ) {
    this.render();
    void this.load();
    this.timer = window.setInterval(() => void this.load(), 15000);
  }

  destroy(): void {
    window.clearInterval(this.timer);
    this.form?.destroy();
    this.sheet?.remove();
  }

  private window(): { from: Date; to: Date } {
    if (this.mode === "week") {
      const from = weekStart(this.anchor);
      return { from, to: addDays(from, 7) };
    }
    const from = monthGridStart(this.anchor);
    return { from, to: addDays(from, 42) };
  }

  async load(): Promise<void> {
    const gen = ++this.loadGen;
    const now = Date.now();
    const { from, to } = this.window();
    try {
      const [list, cal] = await Promise.all([
        get<Items<Session>>(`/sessions${qs({ from: new Date(now - DAY_MS).toISOString(), to: new Date(now + 60 * DAY_MS).toISOString() })}`),
        get<Items<Session>>(`/sessions${qs({ from: from.toISOString(), to: to.toISOString() })}`),
      ]);
      const events: CalEvent[] = [];
      await Promise.all(
        cal.items
          .filter((s) => !s.standing)
          .map(async (s) => {
            if (!s.rrule) {
              events.push({ session: s, start: new Date(s.start), end: new Date(s.end), state: s.state });
              return;
            }
            const occ = await get<Items<Occurrence>>(`/sessions/${s.id}/occurrences${qs({ from: from.toISOString(), to: to.toISOString() })}`);
            for (const o of occ.items) events.push({ session: s, start: new Date(o.start), end: new Date(o.end), state: o.state });
          }),
      );
      if (gen !== this.loadGen) return;
      this.sessions = list.items.sort((a, b) => {
        if (a.standing !== b.standing) return a.standing ? 1 : -1;
        return +new Date(a.nextOccurrence?.start ?? a.start) - +new Date(b.nextOccurrence?.start ?? b.start);
      });
      this.events = events;
      this.loadError = "";
    } catch (e) {
      if (gen !== this.loadGen) return;
      this.loadError = (e as ApiError).message;
    }
    this.loaded = true;
    this.renderBody();
  }

  private readonly body = h("div", { class: "c-dispatch-body" });

  render(): void {
    this.el.replaceChildren(this.body);
    this.renderBody();
    if (this.sheet && this.sheetArgs) this.openSheet(...this.sheetArgs);
  }

  private renderBody(): void {
    const nav = (delta: number) => {
      if (this.mode === "week") this.anchor = addDays(this.anchor, 7 * delta);
      else {
        const w = wall(this.anchor);
        this.anchor = instant(w.y, w.m + delta, 1, 12);
      }
      this.renderBody();
      void this.load();
    };
    const modeBtn = (mode: "week" | "month") => {
      const b = h("button", { type: "button", class: `c-seg${this.mode === mode ? " is-on" : ""}`, "data-testid": `view-${mode}`, "aria-pressed": String(this.mode === mode) }, ct(mode));
      b.addEventListener("click", () => {
        this.mode = mode;
        this.renderBody();
        void this.load();
      });
      return b;
    };
    const btn = (label: string, testid: string, fn: () => void, cls = "c-btn") => {
      const b = h("button", { type: "button", class: cls, "data-testid": testid }, label);
      b.addEventListener("click", fn);
      return b;
    };
    const newBtn = btn(`＋ ${ct("newSession")}`, "new-session", () => this.openSheet(null, null), "btn-primary c-btn-new");

    const toolbar = h(
      "div",
      { class: "c-toolbar" },
      h("div", { class: "c-toolbar-group" },
        btn("‹", "cal-prev", () => nav(-1), "c-btn c-icon-btn"),
        btn(ct("today"), "cal-today", () => {
          this.anchor = new Date();
          this.renderBody();
          void this.load();
        }),
        btn("›", "cal-next", () => nav(1), "c-btn c-icon-btn"),
        h("h2", { class: "c-period", "data-testid": "cal-period" }, periodLabel(this.mode, this.anchor)),
      ),
      h("div", { class: "c-toolbar-group" }, h("div", { class: "c-segs" }, modeBtn("week"), modeBtn("month"))),
    );

    const open = (s: Session) => this.openSheet(s, "details");
    const cal =
      this.mode === "week"
        ? weekView(this.anchor, this.events, this.stations, open, (d) => this.openSheet(null, null, d))
        : monthView(this.anchor, this.events, this.stations, open, (d) => {
            this.mode = "week";
            this.anchor = d;
            this.renderBody();
            void this.load();
          });

    const list = h("ul", { class: "c-list", "data-testid": "session-list" });
    for (const s of this.sessions) list.append(this.row(s));
    const listCard = h(
      "section",
      { class: "c-card c-list-card" },
      h("h2", { class: "c-card-title" }, ct("sessionsHeading")),
      this.loadError ? h("div", { class: "notice", "data-tone": "error", "data-testid": "load-error" }, this.loadError) : null,
      !this.loaded ? h("p", { class: "c-muted" }, ct("loading")) : this.sessions.length ? list : h("p", { class: "c-muted", "data-testid": "sessions-empty" }, ct("sessionsEmpty")),
    );

    const tabs = h("div", { class: "c-mobile-tabs" });
    for (const tab of ["calendar", "list"] as const) {
      const b = h("button", { type: "button", class: `c-seg${this.mobileTab === tab ? " is-on" : ""}`, "data-testid": `tab-${tab}` }, tab === "calendar" ? ct("tabCalendar") : ct("tabList"));
      b.addEventListener("click", () => {
        this.mobileTab = tab;
        this.renderBody();
      });
      tabs.append(b);
    }

    this.body.replaceChildren(
      h("div", { class: "c-page-head" },
        h("h1", { class: "c-page-title" }, ct("pageTitle"), h("span", { class: "c-page-sub" }, this.stations.name(this.account.station ?? ""))),
        newBtn,
      ),
      tabs,
      h(
        "div",
        { class: `c-dispatch-grid show-${this.mobileTab}` },
        h("section", { class: "c-card c-cal-card" }, toolbar, h("div", { class: "c-cal-wrap" }, cal)),
        listCard,
      ),
    );
  }

  private row(s: Session): HTMLElement {
    const occ = s.nextOccurrence;
    const start = occ?.start ?? s.start;
    const end = occ?.end ?? s.end;
    const state = s.state;
    const li = h(
      "li",
      {
        class: `c-row state-${state}`,
        "data-testid": "session-row",
        "data-session-id": s.id,
        "data-state": state,
        tabindex: 0,
        role: "button",
      },
      h("div", { class: "c-row-main" },
        h("div", { class: "c-row-top" }, stateBadge(state, s.standing), h("strong", { class: "c-row-title", "data-testid": "session-title" }, s.title)),
        s.standing ? null : h("div", { class: "c-row-when" }, rangeLabel(start, end), s.rrule ? h("span", { class: "c-tag" }, describeRrule(s.rrule)) : null),
        h("div", { class: "c-row-where c-muted" },
          `${ct("chairLabel")}：${this.stations.short(s.chair)} · ${this.stations.summary(s.stations.filter((c) => c !== s.chair), 3)}`,
        ),
      ),
    );
    if (state === "lobby" || state === "live") li.append(this.consoleButton(s));
    const open = () => this.openSheet(s, "details");
    li.addEventListener("click", open);
    li.addEventListener("keydown", (e) => {
      if ((e as KeyboardEvent).key === "Enter") open();
    });
    return li;
  }

  /** 进入调度台: the live console is the station page joined with a dispatcher token. */
  private consoleButton(s: Session): HTMLElement {
    const b = h("button", { type: "button", class: "c-btn c-btn-console", "data-testid": "open-live-console", "data-session-id": s.id, title: ct("openConsoleHint") }, ct("openConsole"));
    const err = h("span", { class: "c-row-error", "data-testid": "open-live-console-error", role: "alert" });
    err.hidden = true;
    b.addEventListener("keydown", (e) => e.stopPropagation());
    b.addEventListener("click", async (e) => {
      e.stopPropagation();
      // Open the window in the click itself (a popup opened after an await is blocked).
      const win = window.open("", "_blank");
      b.disabled = true;
      b.textContent = ct("openingConsole");
      err.hidden = true;
      try {
        const link = await get<{ url: string }>(`/sessions/${encodeURIComponent(s.id)}/console-link`);
        const url = consoleUrl(link.url);
        if (win) {
          win.opener = null;
          win.location.href = url;
        } else window.location.assign(url);
      } catch (ex) {
        win?.close();
        err.textContent = (ex as ApiError).message;
        err.hidden = false;
      } finally {
        b.disabled = false;
        b.textContent = ct("openConsole");
      }
    });
    return h("div", { class: "c-row-side" }, b, err);
  }

  private sheetArgs: [Session | null, SheetTab | null, Date?] | null = null;

  openSheet(session: Session | null, tab: SheetTab | null, at?: Date): void {
    this.closeSheet();
    this.sheetArgs = [session, tab, at];
    const current = tab ?? "details";
    const close = h("button", { type: "button", class: "c-sheet-close", "data-testid": "close-form", "aria-label": ct("close"), title: ct("close") }, "×");
    close.addEventListener("click", () => this.closeSheet());
    const head = h("div", { class: "c-sheet-head" },
      h("h2", {}, session ? ct("formEdit") : ct("formNew")),
      session ? stateBadge(session.state, session.standing) : null,
      close,
    );
    const content = h("div", { class: "c-sheet-content" });
    const tabs = h("div", { class: "c-tabs" });
    if (session) {
      const labels = { details: ct("tabDetails"), invitations: ct("tabInvitations"), occurrences: ct("tabOccurrences") };
      const shown: SheetTab[] = session.rrule ? ["details", "occurrences", "invitations"] : ["details", "invitations"];
      for (const t of shown) {
        const b = h("button", { type: "button", class: `c-tab${t === current ? " is-on" : ""}`, "data-testid": `sheet-tab-${t}` }, labels[t]);
        b.addEventListener("click", () => this.openSheet(session, t));
        tabs.append(b);
      }
    }
    if (current === "details") {
      this.form = new SessionForm(this.stations, this.account, session, (saved) => {
        this.closeSheet();
        this.anchor = new Date(saved.nextOccurrence?.start ?? saved.start);
        void this.load();
      }, at);
      content.append(this.form.el);
    } else if (session && current === "occurrences") {
      content.append(new OccurrencesPanel(session, (saved) => {
        if (this.sheetArgs) this.sheetArgs[0] = saved;
        void this.load();
      }).el);
    } else if (session) {
      content.append(new InvitationsPanel(session, this.stations, this.account).el);
    }
    const sheet = h("div", { class: "c-sheet", role: "dialog", "aria-modal": "true", "data-testid": "session-sheet", "data-session-id": session?.id ?? "" },
      h("div", { class: "c-sheet-panel" }, head, session ? tabs : null, content),
    );
    sheet.addEventListener("click", (e) => {
      if (e.target === sheet) this.closeSheet();
    });
    sheet.addEventListener("keydown", (e) => {
      if ((e as KeyboardEvent).key === "Escape") this.closeSheet();
    });
    document.body.append(sheet);
    document.body.classList.add("has-sheet");
    this.sheet = sheet;
    (sheet.querySelector("[data-testid=form-title]") as HTMLInputElement | null)?.focus({ preventScroll: true });
  }

  closeSheet(): void {
    this.form?.destroy();
    this.form = null;
    this.sheet?.remove();
    this.sheet = null;
    this.sheetArgs = null;
    document.body.classList.remove("has-sheet");
  }
}


/** The console link opens straight into the live session, receive-only (no camera, no microphone). */
export function consoleUrl(link: string): string {
  const [base, fragment = ""] = link.split("#", 2);
  const u = new URL(base, window.location.origin);
  u.searchParams.set("autojoin", "1");
  u.searchParams.set("camera", "0");
  u.searchParams.set("mic", "0");
  return `${u.toString()}${fragment ? `#${fragment}` : ""}`;
}
