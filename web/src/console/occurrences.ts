/** The 场次 tab of a recurring session: its coming occurrences, each of which
 * can be moved (改期), cancelled (取消本场) or, while live, ended (提前结束)
 * without touching the rest of the series. The hub checks conflicts for a
 * moved occurrence and answers with a clear error, shown on its row. */
import { h } from "../common/dom";
import { ApiError, get, post, qs } from "../common/api";
import { stateBadge } from "./shell";
import { ct } from "./strings";
import { DAY_MS, dateValue, isoOf, rangeLabel, timeValue, whenLabel } from "../common/time";
import type { Items, Occurrence, Session } from "../common/types";

/** How far ahead the tab lists occurrences. */
export const OCCURRENCE_DAYS = 120;

export class OccurrencesPanel {
  readonly el = h("div", { class: "c-occ", "data-testid": "occurrences" });
  private items: Occurrence[] = [];
  private error = "";
  private loaded = false;
  private editing: string | null = null; // originalStart of the row being moved
  private confirming: { originalStart: string; action: "cancel" | "end" } | null = null;
  private rowError: Record<string, string> = {};
  private draft: { date: string; start: string; end: string } | null = null; // the move form's values

  constructor(
    private session: Session,
    private readonly changed: (saved: Session) => void,
  ) {
    this.render();
    void this.load();
  }

  async load(): Promise<void> {
    const now = Date.now();
    try {
      const list = await get<Items<Occurrence>>(
        `/sessions/${this.session.id}/occurrences${qs({
          from: new Date(now - DAY_MS).toISOString(),
          to: new Date(now + OCCURRENCE_DAYS * DAY_MS).toISOString(),
        })}`,
      );
      this.items = list.items.filter((o) => +new Date(o.end) > now || o.state === "live");
      this.error = "";
    } catch (e) {
      this.error = (e as ApiError).message;
    }
    this.loaded = true;
    this.render();
  }

  private async act(o: Occurrence, action: "cancel" | "move" | "end", body: Record<string, unknown> = {}): Promise<void> {
    try {
      const saved = await post<Session>(`/sessions/${this.session.id}/occurrences/${action}`, {
        originalStart: o.originalStart,
        version: this.session.version,
        ...body,
      });
      this.session = saved;
      this.editing = null;
      this.draft = null;
      this.confirming = null;
      delete this.rowError[o.originalStart];
      this.changed(saved);
      await this.load();
    } catch (e) {
      this.rowError[o.originalStart] = (e as ApiError).message;
      this.render();
    }
  }

  private render(): void {
    const rows = h("ul", { class: "c-occ-list" });
    for (const o of this.items) rows.append(this.row(o));
    this.el.replaceChildren(
      h("h3", { class: "c-occ-title" }, ct("occHeading", { days: OCCURRENCE_DAYS })),
      ...(this.error ? [h("div", { class: "notice", "data-tone": "error", "data-testid": "occ-load-error" }, this.error)] : []),
      !this.loaded ? h("p", { class: "c-muted" }, ct("loading")) : this.items.length ? rows : h("p", { class: "c-muted", "data-testid": "occ-empty" }, ct("occEmpty")),
    );
  }

  private row(o: Occurrence): HTMLElement {
    const btn = (label: string, testid: string, fn: () => void, cls = "c-btn") => {
      const b = h("button", { type: "button", class: cls, "data-testid": testid }, label);
      b.addEventListener("click", fn);
      return b;
    };
    const when = rangeLabel(o.start, o.end);
    const li = h("li", { class: `c-occ-row state-${o.state}`, "data-testid": "occ-row", "data-original-start": o.originalStart, "data-state": o.state },
      h("div", { class: "c-occ-main" },
        stateBadge(o.state),
        h("span", { class: "c-occ-when", "data-testid": "occ-when" }, when),
        o.moved ? h("span", { class: "c-tag", "data-testid": "occ-moved", title: ct("occOriginally", { when: whenLabel(o.originalStart) }) }, ct("occMoved")) : null,
      ),
    );
    const err = this.rowError[o.originalStart];
    const confirming = this.confirming?.originalStart === o.originalStart ? this.confirming : null;
    if (confirming) {
      li.append(h("div", { class: "c-occ-confirm", role: "alertdialog", "data-testid": "occ-confirm" },
        h("span", {}, confirming.action === "cancel" ? ct("occCancelConfirm", { when }) : ct("occEndConfirm")),
        btn(ct("occConfirm"), "occ-confirm-yes", () => void this.act(o, confirming.action), "c-btn c-btn-danger"),
        btn(ct("occBack"), "occ-confirm-no", () => {
          this.confirming = null;
          this.render();
        }),
      ));
    } else if (this.editing === o.originalStart) {
      li.append(this.moveForm(o));
    } else if (o.state === "live") {
      li.append(h("div", { class: "c-occ-actions" }, btn(ct("occEnd"), "occ-end", () => {
        this.confirming = { originalStart: o.originalStart, action: "end" };
        this.render();
      }, "c-btn c-btn-danger")));
    } else if (o.state === "scheduled" || o.state === "lobby") {
      li.append(h("div", { class: "c-occ-actions" },
        btn(ct("occMove"), "occ-move", () => {
          this.editing = o.originalStart;
          this.draft = { date: dateValue(o.start), start: timeValue(o.start), end: timeValue(o.end) };
          this.confirming = null;
          this.render();
        }),
        btn(ct("occCancel"), "occ-cancel", () => {
          this.confirming = { originalStart: o.originalStart, action: "cancel" };
          this.editing = null;
          this.render();
        }, "c-btn c-btn-danger"),
      ));
    }
    if (err) li.append(h("div", { class: "notice", "data-tone": "error", role: "alert", "data-testid": "occ-error" }, err));
    return li;
  }

  private moveForm(o: Occurrence): HTMLElement {
    const draft = (this.draft ??= { date: dateValue(o.start), start: timeValue(o.start), end: timeValue(o.end) });
    const input = (type: string, testid: string, key: keyof typeof draft, label: string) => {
      const el = h("input", { class: "c-input", type, "data-testid": testid, "aria-label": label, ...(type === "time" ? { step: 60 } : {}) }) as HTMLInputElement;
      el.value = draft[key];
      el.addEventListener("input", () => (draft[key] = el.value));
      return el;
    };
    const date = input("date", "occ-date", "date", ct("occMove"));
    const start = input("time", "occ-start", "start", "start");
    const end = input("time", "occ-end-time", "end", "end");
    const save = h("button", { type: "submit", class: "btn-primary", "data-testid": "occ-save" }, ct("occSave"));
    const back = h("button", { type: "button", class: "c-btn", "data-testid": "occ-move-back" }, ct("occBack"));
    back.addEventListener("click", () => {
      this.editing = null;
      this.render();
    });
    const form = h("form", { class: "c-occ-move", "data-testid": "occ-move-form" }, date, start, end, save, back) as HTMLFormElement;
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const s = isoOf(date.value, start.value);
      const t = isoOf(date.value, end.value);
      if (!s || !t || +new Date(t) <= +new Date(s)) {
        this.rowError[o.originalStart] = ct("occBadTime");
        this.render();
        return;
      }
      void this.act(o, "move", { start: s, end: t });
    });
    return form;
  }
}
