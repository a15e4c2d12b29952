/** Create / edit a linked session. Every change is checked against the schedule
 * (POST /api/sessions/check, debounced) so conflicts show before saving. */
import { h } from "../common/dom";
import { tList } from "../common/i18n";
import { nodes } from "./shell";
import { ApiError, api, post } from "../common/api";
import { buildRrule, monthlyOptionLabel, nthOfDate, parseRrule, type Recurrence } from "./rrule";
import { flash } from "../common/flash";
import type { Stations } from "../common/stations";
import { ct } from "./strings";
import { TIME_ZONE, dateValue, isoOf, timeValue, whenLabel } from "../common/time";
import { TreePicker } from "./tree";
import type { Account, CheckOut, Conflict, Session, SessionIn } from "../common/types";

interface FormState {
  title: string;
  agenda: string;
  chair: string;
  picked: Set<string>;
  date: string;
  startTime: string;
  endTime: string;
  rec: Recurrence;
  record: boolean;
}

export function defaultStart(): Date {
  // the next full hour at least 30 minutes away
  const t = new Date(Date.now() + 30 * 60000);
  t.setUTCMinutes(0, 0, 0);
  return new Date(t.getTime() + 3600000);
}

export class SessionForm {
  readonly el = h("form", { class: "c-form", "data-testid": "session-form", novalidate: true });
  private state: FormState;
  private readonly conflictsBox = h("div", { class: "c-conflicts", "data-testid": "conflicts", "aria-live": "polite" });
  private readonly errorBox = h("div", { class: "notice", "data-tone": "error", "data-testid": "form-error", hidden: true });
  private readonly saveBtn = h("button", { type: "submit", class: "btn-primary", "data-testid": "save-session" });
  private tree!: TreePicker;
  private timer = 0;
  private generation = 0;
  private conflicts: Conflict[] = [];
  private checkError = "";
  private saving = false;
  private readonly readOnly: boolean;

  constructor(
    private readonly stations: Stations,
    private readonly account: Account,
    private readonly session: Session | null,
    private readonly onSaved: (s: Session) => void,
    initialStart?: Date,
  ) {
    const chair = session?.chair ?? (account.station && stations.byCode.has(account.station) ? account.station : stations.roots[0]?.code ?? "");
    const start = session ? new Date(session.start) : initialStart && initialStart.getTime() > Date.now() ? initialStart : defaultStart();
    const end = session ? new Date(session.end) : new Date(start.getTime() + 3600000);
    this.state = {
      title: session?.title ?? "",
      agenda: session?.agenda ?? "",
      chair,
      picked: new Set((session?.stations ?? []).filter((c) => c !== chair)),
      date: dateValue(start),
      startTime: timeValue(start),
      endTime: timeValue(end),
      rec: parseRrule(session?.rrule ?? null),
      record: session?.record ?? false,
    };
    this.readOnly = !!session && (session.status === "cancelled" || session.status === "ended" || session.standing);
    this.build();
    this.el.addEventListener("submit", (ev) => {
      ev.preventDefault();
      void this.save();
    });
    // An existing session is checked at once; a new one only after the first
    // input, so that the form never opens with an error (issue 8).
    if (!this.readOnly && session) this.scheduleCheck(0);
  }

  destroy(): void {
    window.clearTimeout(this.timer);
    this.generation++;
  }

  private build(): void {
    const s = this.state;
    const ro = this.readOnly;
    const scope = this.account.role === "administrator" ? null : this.account.station;
    const changed = () => this.scheduleCheck();

    const title = h("input", { class: "c-input", "data-testid": "form-title", maxlength: 200, placeholder: ct("titlePlaceholder"), disabled: ro });
    title.value = s.title;
    title.addEventListener("input", () => {
      s.title = title.value;
      changed();
    });
    const agenda = h("textarea", { class: "c-input", rows: 3, "data-testid": "form-agenda", placeholder: ct("agendaPlaceholder"), disabled: ro });
    agenda.value = s.agenda;
    agenda.addEventListener("input", () => {
      s.agenda = agenda.value;
    });

    const chair = h("select", { class: "c-input", "data-testid": "form-chair", disabled: ro });
    for (const { node, depth } of this.stations.flat()) {
      if (!this.stations.inScope(node.code, scope)) continue;
      const opt = h("option", { value: node.code }, `${"\u3000".repeat(Math.max(0, depth - (scope ? 1 : 0)))}${this.stations.name(node.code)}`);
      chair.append(opt);
    }
    chair.value = s.chair;
    chair.addEventListener("change", () => {
      s.chair = chair.value;
      s.picked.delete(s.chair);
      this.tree.setChair(s.chair);
      changed();
    });

    this.tree = new TreePicker(this.stations, s.picked, s.chair, scope, changed, ro);

    const date = h("input", { class: "c-input", type: "date", "data-testid": "form-date", required: true, disabled: ro });
    date.value = s.date;
    const start = h("input", { class: "c-input", type: "time", step: 60, "data-testid": "form-start", required: true, disabled: ro });
    start.value = s.startTime;
    const end = h("input", { class: "c-input", type: "time", step: 60, "data-testid": "form-end", required: true, disabled: ro });
    end.value = s.endTime;

    const recur = h("select", { class: "c-input", "data-testid": "form-recurrence", disabled: ro });
    const monthlyOpt = h("option", { value: "monthly" });
    recur.append(h("option", { value: "none" }, ct("recurNone")), h("option", { value: "weekly" }, ct("recurWeekly")), monthlyOpt);
    recur.value = s.rec.freq;
    const weekdays = h("div", { class: "c-weekdays", "data-testid": "form-weekdays" });
    const dayNames = tList("weekdays");
    const dayBoxes: HTMLInputElement[] = [];
    dayNames.forEach((name, i) => {
      const box = h("input", { type: "checkbox", "data-testid": "form-weekday", "data-day": i, disabled: ro });
      box.checked = s.rec.weekdays.includes(i);
      box.addEventListener("change", () => {
        s.rec.weekdays = dayBoxes.map((b, j) => (b.checked ? j : -1)).filter((j) => j >= 0);
        changed();
      });
      dayBoxes.push(box);
      weekdays.append(h("label", { class: "c-day" }, box, h("span", {}, name)));
    });
    const until = h("input", { class: "c-input", type: "date", "data-testid": "form-until", disabled: ro });
    until.value = s.rec.until;
    until.addEventListener("input", () => {
      s.rec.until = until.value;
      changed();
    });
    const untilField = h("label", { class: "c-field" }, h("span", {}, ct("until")), until);

    const syncRecur = () => {
      monthlyOpt.textContent = s.date ? monthlyOptionLabel(s.date) : ct("recurMonthly");
      weekdays.hidden = s.rec.freq !== "weekly";
      untilField.hidden = s.rec.freq === "none";
      if (s.rec.freq === "weekly" && !s.rec.weekdays.length) {
        const dow = nthOfDate(s.date)?.dow;
        if (dow != null) {
          s.rec.weekdays = [dow];
          dayBoxes.forEach((b, j) => (b.checked = j === dow));
        }
      }
    };
    recur.addEventListener("change", () => {
      s.rec.freq = recur.value as Recurrence["freq"];
      syncRecur();
      changed();
    });
    const onTime = () => {
      const oldDow = nthOfDate(s.date)?.dow;
      s.date = date.value;
      s.startTime = start.value;
      s.endTime = end.value;
      // a weekly rule that only held the old start's weekday follows the new date
      const dow = nthOfDate(s.date)?.dow;
      if (s.rec.freq === "weekly" && dow != null && s.rec.weekdays.length === 1 && s.rec.weekdays[0] === oldDow) {
        s.rec.weekdays = [dow];
        dayBoxes.forEach((b, j) => (b.checked = j === dow));
      }
      syncRecur();
      changed();
    };
    for (const el of [date, start, end]) {
      el.addEventListener("input", onTime);
      el.addEventListener("change", onTime);
    }
    // keep the duration when the start moves (like calendar apps)
    let lastStart = s.startTime;
    start.addEventListener("change", () => {
      const toMin = (v: string) => (/^\d{2}:\d{2}$/.test(v) ? Number(v.slice(0, 2)) * 60 + Number(v.slice(3)) : NaN);
      const dur = toMin(end.value) - toMin(lastStart);
      const ns = toMin(start.value);
      if (Number.isFinite(dur) && Number.isFinite(ns) && dur > 0 && ns + dur < 24 * 60) {
        const e = ns + dur;
        end.value = `${String(Math.floor(e / 60)).padStart(2, "0")}:${String(e % 60).padStart(2, "0")}`;
        s.endTime = end.value;
      }
      lastStart = start.value;
      changed();
    });
    syncRecur();

    this.saveBtn.textContent = this.session ? ct("save") : ct("create");
    const actions = h("div", { class: "c-form-actions" });
    if (!ro) actions.append(this.saveBtn);
    if (this.session && !ro) {
      const cancel = h("button", { type: "button", class: "c-btn c-btn-danger", "data-testid": "cancel-session" }, ct("cancelSession"));
      cancel.addEventListener("click", () => void this.cancelSession());
      actions.append(cancel);
    }

    this.el.append(...nodes(
      ro ? h("div", { class: "notice", "data-tone": "warn" }, ct("readOnly")) : null,
      h("label", { class: "c-field" }, h("span", {}, ct("title")), title),
      h("label", { class: "c-field" }, h("span", {}, ct("agenda")), agenda),
      this.recordField(ro),
      h("div", { class: "c-grid-3" },
        h("label", { class: "c-field" }, h("span", {}, ct("date")), date),
        h("label", { class: "c-field" }, h("span", {}, ct("startTime")), start),
        h("label", { class: "c-field" }, h("span", {}, ct("endTime")), end),
      ),
      h("p", { class: "c-hint" }, ct("timezoneNote")),
      h("div", { class: "c-grid-2" },
        h("label", { class: "c-field" }, h("span", {}, ct("recurrence")), recur),
        untilField,
      ),
      weekdays,
      h("label", { class: "c-field" }, h("span", {}, ct("chair")), chair),
      h("div", { class: "c-field" }, h("span", {}, ct("stations")), h("p", { class: "c-hint" }, ct("stationsHint")), this.tree.el),
      this.conflictsBox,
      this.errorBox,
      actions,
    ));
  }

  /** 录制: the session records from its start (its room's first join). */
  private recordField(ro: boolean): HTMLElement {
    const box = h("input", { type: "checkbox", "data-testid": "form-record", disabled: ro }) as HTMLInputElement;
    box.checked = this.state.record;
    box.addEventListener("change", () => {
      this.state.record = box.checked;
    });
    return h("label", { class: "c-field c-check" }, box, " ", ct("recordFromStart"));
  }

  /** The request body, or a message saying what is missing ("" when the
   * check has nothing to say yet: no time, or no station picked besides the chair). */
  private body(forCheck: boolean): SessionIn | string {
    const s = this.state;
    const start = isoOf(s.date, s.startTime);
    const end = isoOf(s.date, s.endTime);
    if (!start || !end) return "";
    if (forCheck && ![...s.picked].some((c) => c !== s.chair)) return "";
    if (end <= start) return ct("endBeforeStart");
    if (!forCheck && !s.title.trim()) return ct("required");
    return {
      title: s.title.trim() || "…",
      agenda: s.agenda,
      chair: s.chair,
      stations: [s.chair, ...[...s.picked].filter((c) => c !== s.chair)],
      start,
      end,
      rrule: buildRrule(s.rec, s.date),
      timezone: TIME_ZONE,
      record: s.record,
    };
  }

  private scheduleCheck(delay = 450): void {
    window.clearTimeout(this.timer);
    this.errorBox.hidden = true;
    this.timer = window.setTimeout(() => void this.check(), delay);
  }

  private async check(): Promise<void> {
    const body = this.body(true);
    const gen = ++this.generation;
    if (typeof body === "string") {
      this.conflicts = [];
      this.checkError = body;
      this.renderConflicts(body ? "invalid" : "idle");
      return;
    }
    this.conflictsBox.dataset.state = "checking";
    try {
      const out = await post<CheckOut>("/sessions/check", { ...body, sessionId: this.session?.id ?? undefined });
      if (gen !== this.generation) return;
      this.conflicts = out.conflicts;
      this.checkError = "";
      this.renderConflicts(out.conflicts.length ? "conflict" : "ok");
    } catch (e) {
      if (gen !== this.generation) return;
      this.conflicts = [];
      this.checkError = (e as ApiError).message;
      this.renderConflicts("invalid");
    }
  }

  private renderConflicts(state: "idle" | "ok" | "conflict" | "invalid"): void {
    const box = this.conflictsBox;
    box.replaceChildren();
    box.dataset.state = state;
    box.dataset.count = String(this.conflicts.length);
    if (state === "idle") {
      // nothing to check yet
    } else if (state === "invalid") {
      if (this.checkError) box.append(h("div", { class: "notice", "data-tone": "warn", "data-testid": "check-error" }, this.checkError));
    } else if (state === "ok") {
      box.append(h("div", { class: "c-ok" }, "✓ ", ct("noConflicts")));
    } else {
      // one line per (other session, station); a series may clash many times
      const seen = new Map<string, { c: Conflict; n: number }>();
      for (const c of this.conflicts) {
        const key = `${c.sessionId}/${c.station}`;
        const e = seen.get(key);
        if (e) e.n++;
        else seen.set(key, { c, n: 1 });
      }
      const list = h("ul", { class: "c-conflict-list" });
      for (const { c, n } of seen.values()) {
        list.append(
          h(
            "li",
            { class: "c-conflict", "data-testid": "conflict", "data-session-id": c.sessionId, "data-station": c.station, title: c.message },
            ct("conflictLine", {
              station: this.stations.name(c.station) || c.stationName,
              title: c.title,
              id: c.sessionId,
              time: whenLabel(c.start) + (n > 1 ? ` (×${n})` : ""),
            }),
          ),
        );
      }
      box.append(h("div", { class: "notice", "data-tone": "error" }, h("strong", {}, ct("conflictsHeading", { n: seen.size })), list));
    }
    this.syncSave();
  }

  private syncSave(): void {
    this.saveBtn.disabled = this.saving || this.conflicts.length > 0;
    this.saveBtn.textContent = this.saving ? ct("saving") : this.session ? ct("save") : ct("create");
  }

  private showError(msg: string): void {
    this.errorBox.textContent = msg;
    this.errorBox.hidden = !msg;
  }

  private async save(): Promise<void> {
    if (this.saving || this.readOnly) return;
    const body = this.body(false);
    if (typeof body === "string") {
      this.showError(body || ct("endBeforeStart"));
      return;
    }
    this.saving = true;
    this.syncSave();
    this.showError("");
    try {
      const saved = this.session
        ? await api<Session>("PUT", `/sessions/${this.session.id}`, { ...body, version: this.session.version })
        : await post<Session>("/sessions", body);
      flash(this.session ? ct("saved") : ct("created", { title: saved.title }));
      this.onSaved(saved);
    } catch (e) {
      const err = e as ApiError;
      this.showError(err.message);
      if (err.code === "schedule_conflict") this.scheduleCheck(0);
    } finally {
      this.saving = false;
      this.syncSave();
    }
  }

  private async cancelSession(): Promise<void> {
    const s = this.session;
    if (!s || !window.confirm(ct("cancelConfirm", { title: s.title }))) return;
    try {
      const out = await post<Session>(`/sessions/${s.id}/cancel`, { version: s.version });
      flash(ct("cancelled"));
      this.onSaved(out);
    } catch (e) {
      this.showError((e as ApiError).message);
    }
  }
}
