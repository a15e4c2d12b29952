/** The station operator's console: the station's upcoming sessions (GET
 * /api/me/sessions, refreshed every 10 s), a join button once the lobby is open,
 * a notice when a session opens or is about to start, and the ICS subscription. */
import { h } from "../common/dom";
import { ApiError, get } from "../common/api";
import { stateBadge } from "./shell";
import { describeRrule } from "./rrule";
import { flash } from "../common/flash";
import type { Stations } from "../common/stations";
import { ct } from "./strings";
import { qt, showSigninQr } from "../common/signin-qr";
import { clockNow, hm, minutesUntil, rangeLabel } from "../common/time";
import type { Account, CalendarLink, Items, JoinLink, Session } from "../common/types";

const REFRESH_MS = 10_000;
const SOON_MINUTES = 15;

export class OperatorView {
  readonly el = h("div", { class: "c-operator" });
  private sessions: Session[] = [];
  private loaded = false;
  private error = "";
  private updated = "";
  private calendar: CalendarLink | null = null;
  private calendarError = "";
  private timer = 0;
  private readonly previous = new Map<number, string>();
  private fresh = new Set<number>();

  constructor(
    private readonly account: Account,
    private readonly stations: Stations,
  ) {
    this.render();
    void this.load();
    void this.loadCalendar();
    this.timer = window.setInterval(() => void this.load(), REFRESH_MS);
  }

  destroy(): void {
    window.clearInterval(this.timer);
  }

  async load(): Promise<void> {
    try {
      const out = await get<Items<Session>>("/me/sessions");
      this.sessions = out.items.sort((a, b) => {
        if (a.standing !== b.standing) return a.standing ? 1 : -1;
        return +new Date(a.nextOccurrence?.start ?? a.start) - +new Date(b.nextOccurrence?.start ?? b.start);
      });
      // a session that just opened (lobby / live) since the last look is highlighted
      this.fresh = new Set();
      for (const s of this.sessions) {
        const before = this.previous.get(s.id);
        if (before && before !== s.state && (s.state === "lobby" || s.state === "live")) this.fresh.add(s.id);
        this.previous.set(s.id, s.state);
      }
      this.error = "";
      this.updated = clockNow();
    } catch (e) {
      this.error = (e as ApiError).message;
    }
    this.loaded = true;
    this.render();
  }

  private async loadCalendar(): Promise<void> {
    if (!this.account.station) return;
    try {
      this.calendar = await get<CalendarLink>(`/stations/${this.account.station}/calendar-link`);
    } catch (e) {
      this.calendarError = (e as ApiError).message;
    }
    this.render();
  }

  render(): void {
    const station = this.account.station ? this.stations.name(this.account.station) : "";
    const notices = h("div", { class: "c-notices", "data-testid": "live-notices" });
    for (const s of this.sessions) {
      if (s.standing) continue;
      const occ = s.nextOccurrence;
      const start = occ?.start ?? s.start;
      let kind: "lobby" | "live" | "soon" | null = null;
      if (s.state === "lobby") kind = "lobby";
      else if (s.state === "live") kind = "live";
      else if (s.state === "scheduled") {
        const min = minutesUntil(start);
        if (min >= 0 && min <= SOON_MINUTES) kind = "soon";
      }
      if (!kind) continue;
      const text =
        kind === "lobby"
          ? ct("noticeLobby", { title: s.title })
          : kind === "live"
            ? ct("noticeLive", { title: s.title })
            : ct("noticeSoon", { title: s.title, time: hm(start), min: Math.max(0, minutesUntil(start)) });
      const banner = h(
        "div",
        {
          class: `c-notice kind-${kind}${this.fresh.has(s.id) ? " is-fresh" : ""}`,
          role: kind === "soon" ? "status" : "alert",
          "data-testid": "live-notice",
          "data-session-id": s.id,
          "data-kind": kind,
        },
        h("span", { class: "c-notice-dot", "aria-hidden": "true" }),
        h("span", { class: "c-notice-text" }, text),
      );
      if (kind !== "soon") banner.append(this.joinButton(s, "c-btn c-btn-light"));
      notices.append(banner);
    }

    const list = h("ul", { class: "c-list", "data-testid": "my-sessions" });
    for (const s of this.sessions) list.append(this.row(s));

    const calCard = h(
      "section",
      { class: "c-card c-ics-card", "data-testid": "calendar-subscribe" },
      h("h2", { class: "c-card-title" }, ct("calendarHeading")),
      h("p", { class: "c-muted" }, ct("calendarHint")),
    );
    if (this.calendar) {
      const url = this.calendar.url;
      const input = h("input", { class: "c-input c-mono", readonly: true, value: url, "data-testid": "calendar-url" });
      const copy = h("button", { type: "button", class: "c-btn c-btn-sm" }, ct("copy"));
      copy.addEventListener("click", async () => {
        input.select();
        try {
          await navigator.clipboard.writeText(url);
        } catch {
          document.execCommand("copy");
        }
        copy.textContent = ct("copied");
      });
      calCard.append(
        h("div", { class: "c-inline" }, input, copy),
        h("a", { class: "c-btn c-btn-sm c-ics-link", href: url.replace(/^https?:/, "webcal:"), "data-testid": "calendar-link" }, ct("openCalendar")),
      );
    } else if (this.calendarError) {
      calCard.append(h("div", { class: "notice", "data-tone": "error" }, this.calendarError));
    }

    this.el.replaceChildren(
      notices,
      h(
        "div",
        { class: "c-operator-grid" },
        h(
          "section",
          { class: "c-card" },
          h("div", { class: "c-card-head" },
            h("h2", { class: "c-card-title" }, ct("myHeading")),
            station ? h("span", { class: "c-station-chip" }, station) : null,
          ),
          this.error ? h("div", { class: "notice", "data-tone": "error", "data-testid": "load-error" }, this.error) : null,
          !this.loaded ? h("p", { class: "c-muted" }, ct("loading")) : this.sessions.length ? list : h("p", { class: "c-muted", "data-testid": "sessions-empty" }, ct("myEmpty")),
          this.updated ? h("p", { class: "c-hint c-refreshed" }, ct("refreshed", { time: this.updated })) : null,
        ),
        calCard,
      ),
    );
  }

  private row(s: Session): HTMLElement {
    const occ = s.nextOccurrence;
    const start = occ?.start ?? s.start;
    const end = occ?.end ?? s.end;
    const open = s.state === "lobby" || s.state === "live";
    const min = minutesUntil(start);
    const hint = open
      ? null
      : s.state === "scheduled"
        ? h("span", { class: "c-hint" }, min > 0 && min < 24 * 60 ? `${ct("startsIn", { min })} · ${ct("notOpen")}` : ct("notOpen"))
        : null;
    return h(
      "li",
      { class: `c-row c-my-row state-${s.state}${this.fresh.has(s.id) ? " is-fresh" : ""}`, "data-testid": "my-session", "data-session-id": s.id, "data-state": s.state },
      h("div", { class: "c-row-main" },
        h("div", { class: "c-row-top" }, stateBadge(s.state, s.standing), h("strong", { class: "c-row-title" }, s.title)),
        s.standing ? null : h("div", { class: "c-row-when" }, rangeLabel(start, end), s.rrule ? h("span", { class: "c-tag" }, describeRrule(s.rrule)) : null),
        h("div", { class: "c-row-where c-muted" }, `${ct("chairLabel")}：${this.stations.short(s.chair)} · ${ct("nStations", { n: s.stations.length })}`),
        s.agenda ? h("div", { class: "c-row-agenda" }, s.agenda) : null,
      ),
      h("div", { class: "c-row-side" }, this.joinButton(s, "btn-primary c-join"), open && !s.standing ? this.signinButton(s) : null, hint),
    );
  }

  /** The session's sign-in QR code for this station's screen (签到, issue 13): deputies sitting in front
   * of it scan it with their phones while the session is live. */
  private signinButton(s: Session): HTMLButtonElement {
    const btn = h("button", { type: "button", class: "c-btn c-btn-sm", "data-testid": "session-signin-code", "data-session-id": s.id }, qt("sessionCode"));
    const station = this.account.station ?? "";
    btn.addEventListener("click", () =>
      showSigninQr(qt("qrTitleSession", { title: s.title, station: this.stations.short(station) }), `/sessions/${s.id}/signin-code?station=${encodeURIComponent(station)}`));
    return btn;
  }

  private joinButton(s: Session, cls: string): HTMLButtonElement {
    const open = s.state === "lobby" || s.state === "live";
    const btn = h("button", { type: "button", class: cls, "data-testid": "join-session", "data-session-id": s.id, disabled: !open }, ct("join"));
    btn.addEventListener("click", () => void this.join(s, btn));
    return btn;
  }

  private async join(s: Session, btn: HTMLButtonElement): Promise<void> {
    // open the tab within the click (popup blockers), point it at the link once known
    const tab = window.open("", "_blank");
    if (tab) {
      try {
        tab.opener = null;
        tab.document.title = ct("joining");
        tab.document.body.textContent = ct("joining");
      } catch {
        /* cross-origin already: ignore */
      }
    }
    btn.disabled = true;
    btn.textContent = ct("joining");
    try {
      const link = await get<JoinLink>(`/sessions/${s.id}/join-link`);
      if (tab && !tab.closed) tab.location.href = link.url;
      else {
        flash(ct("popupBlocked"));
        window.location.assign(link.url);
      }
    } catch (e) {
      tab?.close();
      flash((e as ApiError).message, "error");
      void this.load();
    } finally {
      btn.disabled = false;
      btn.textContent = ct("join");
    }
  }
}
