/** One opinion: what was raised, its photos and @-notices, the whole timeline,
 * and the handling steps allowed now (from the server's allowedActions). */
import { staffExtensions } from "../common/extensions";
import { h } from "../common/dom";
import { ApiError, get, post } from "../common/api";
import { flash } from "../common/flash";
import type { Refs } from "./data";
import { ot } from "./strings";
import type { Flag, Grade, OpinionAction, OpinionDetail, OpinionEvent, OpinionLevel, OpinionOptions, Rating } from "./types";
import type { Stations } from "../common/stations";
import {
  actionName, categoryName, departmentName, field, levelName, openSheet, overdueBadge, requestTypeName, roleName, select,
  statusBadge, statusName, when,
} from "./util";
import { isEn } from "./strings";

const LEVELS: OpinionLevel[] = ["town", "county", "city"];
const GRADES: Grade[] = ["A", "B", "C", "D"];
const RATINGS: Rating[] = ["satisfied", "basic", "unsatisfied"];
const FLAGS: Flag[] = ["suggestion", "hot", "supervision"];

function offsetLabel(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return `${m}:${String(s).padStart(2, "0")}`;
}

export class OpinionDetailSheet {
  private opinion: OpinionDetail | null = null;
  private error = "";
  private form: { action: OpinionAction; el: HTMLElement } | null = null;
  private readonly body = h("div", { class: "op-detail", "data-testid": "opinion-detail" });
  private sheet: ReturnType<typeof openSheet>;

  constructor(
    private readonly id: number,
    private readonly refs: Refs,
    private readonly onChanged: () => void,
    onClosed: () => void,
  ) {
    this.sheet = openSheet(ot("detailTitle", { id: `#${id}` }), this.body, onClosed);
    this.render();
    void this.load();
  }

  private get options(): OpinionOptions {
    return this.refs.options;
  }

  private get stations(): Stations {
    return this.refs.stations;
  }

  close(): void {
    this.sheet.close();
  }

  async load(): Promise<void> {
    try {
      this.opinion = await get<OpinionDetail>(`/opinions/${this.id}`);
      this.error = "";
    } catch (e) {
      this.error = (e as ApiError).message;
    }
    this.render();
  }

  render(): void {
    const o = this.opinion;
    this.sheet.setTitle(ot("detailTitle", { id: o ? o.reference : `#${this.id}` }));
    if (!o) {
      this.body.replaceChildren(h("p", { class: "op-muted" }, this.error ? ot("errorLoad", { message: this.error }) : ot("loading")));
      return;
    }
    this.body.dataset.status = o.status;
    const who =
      o.raisedBy === "deputy"
        ? ot("raisedByDeputy", { name: o.deputyName ?? this.refs.deputies.find((d) => d.id === o.deputyId)?.name ?? `#${o.deputyId}` })
        : [o.residentName, o.residentContact].filter(Boolean).join(" · ");
    const kv = h("dl", { class: "op-kv" });
    const row = (k: string, v: Node | string | null) => {
      if (v == null || v === "") return;
      kv.append(h("dt", {}, k), h("dd", {}, v));
    };
    row(ot("raisedBy"), who || "—");
    row(ot("station"), this.stations.name(o.station) || o.stationName);
    row(ot("category"), `${o.category} ${categoryName(this.options, o.category, o.categoryName)}`);
    row(ot("requestType"), requestTypeName(this.options, o.requestType, o.requestTypeName));
    row(ot("capturedAt"), when(o.capturedAt));
    row(ot("receivedAt"), when(o.receivedAt));
    if (o.sessionId) {
      const watch = h("button", { type: "button", class: "op-btn", "data-testid": "watch-speech" }, ot("watchSpeech"));
      watch.addEventListener("click", () => void watchSpeech(o.sessionId!, o.capturedAt));
      row("", h("span", {}, ot("sessionAt", { id: o.sessionId, t: o.sessionOffset != null ? offsetLabel(o.sessionOffset) : "—" }), " ", watch));
    }
    if (o.level) row(ot("level"), levelName(o.level));
    if (o.department) row(ot("department"), departmentName(this.options, o.department));
    if (o.deadline) row(ot("deadline"), when(o.deadline));
    if (o.grade) row(ot("grade"), ot(`grade_${o.grade}` as "grade_A"));
    if (o.rating) row(ot("rating"), ot(`rt_${o.rating}` as "rt_satisfied"));
    const counters = [o.extensions ? ot("extensions", { n: o.extensions }) : "", o.returns ? ot("returns", { n: o.returns }) : "", o.reopenings ? ot("reopenings", { n: o.reopenings }) : ""].filter(Boolean).join(" · ");
    if (counters) row("", counters);

    const badges = h("div", { class: "op-row-meta" }, statusBadge(o), overdueBadge(o), ...o.flags.map((f) => h("span", { class: "op-badge is-flag" }, ot(`fl_${f}` as "fl_hot"))));
    const head = h(
      "section",
      { class: "op-card" },
      h("div", { class: "op-head-row" }, h("h3", { class: "op-card-title", "data-testid": "detail-summary" }, o.summary), badges),
      kv,
      o.details ? h("p", { class: "op-details" }, o.details) : null,
      o.photos.length
        ? h("div", { class: "op-photos" }, ...o.photos.map((p) => h("a", { href: p.url, target: "_blank", rel: "noopener" }, h("img", { src: p.url, alt: `${ot("photos")} ${p.position + 1}`, loading: "lazy" }))))
        : null,
    );

    const actions = h("section", { class: "op-card", "data-testid": "detail-actions" }, h("h3", { class: "op-card-title" }, ot("actionsNow")));
    if (!o.allowedActions.length) actions.append(h("p", { class: "op-muted" }, ot("noActions")));
    else {
      const bar = h("div", { class: "op-action-bar" });
      for (const a of o.allowedActions) {
        const primary = ["accept", "assign", "start", "answer", "feed_back", "close"].includes(a);
        const danger = a === "reject" || a === "return";
        const b = h("button", { type: "button", class: `op-btn${primary ? " op-btn-primary" : ""}${danger ? " op-btn-danger" : ""}`, "data-testid": "action-button", "data-action": a, "aria-pressed": String(this.form?.action === a) }, actionName(a));
        b.addEventListener("click", () => this.openForm(a));
        bar.append(b);
      }
      actions.append(bar);
      if (this.form) actions.append(this.form.el);
    }

    const notices = o.notices.length
      ? h(
          "section",
          { class: "op-card" },
          h("h3", { class: "op-card-title" }, ot("notices")),
          ...o.notices.map((n) => h("div", { class: `op-notice${n.readAt ? "" : " is-unread"}` }, h("span", { class: "op-notice-text" }, `@${departmentName(this.options, n.department)} · ${ot("liaison")} ${n.liaisonName} ${n.liaisonContact}`), h("span", { class: "op-hint" }, when(n.createdAt)))),
        )
      : null;

    const tl = h("ol", { class: "op-timeline", "data-testid": "timeline" });
    for (const e of o.timeline) tl.append(this.event(e));
    const timeline = h("section", { class: "op-card" }, h("h3", { class: "op-card-title" }, ot("timeline")), tl);
    this.body.replaceChildren(head, actions, this.extensions, notices ?? "", timeline);
    void this.loadExtensions();
  }

  /** The item's extension requests (延期申请, ../common/extensions): approve or refuse a pending one. */
  private readonly extensions = h("div", { "data-testid": "extensions-host" });
  private async loadExtensions(): Promise<void> {
    try {
      const card = await staffExtensions(this.id, () => {
        void this.load();
        this.onChanged();
      });
      this.extensions.replaceChildren(...(card ? [card] : []));
    } catch {
      this.extensions.replaceChildren(); // an operator does not decide: nothing to show
    }
  }

  private event(e: OpinionEvent): HTMLElement {
    const p = e.payload ?? {};
    const bits: string[] = [];
    if (typeof p.level === "string") bits.push(levelName(p.level));
    if (typeof p.department === "string") bits.push(`@${departmentName(this.options, p.department)}`);
    if (typeof p.deadline === "string") bits.push(`${ot("deadline")} ${when(p.deadline)}`);
    if (typeof p.grade === "string") bits.push(ot(`grade_${p.grade}` as "grade_A"));
    if (typeof p.rating === "string") bits.push(ot(`rt_${p.rating}` as "rt_satisfied"));
    if (typeof p.flag === "string") bits.push(ot(`fl_${p.flag}` as "fl_hot"));
    const text = [bits.join(" · "), typeof p.answer === "string" ? p.answer : "", e.note].filter(Boolean).join("\n");
    return h(
      "li",
      { class: "op-tl", "data-testid": "timeline-entry", "data-action": e.action },
      h(
        "div",
        { class: "op-tl-head" },
        h("span", { class: "op-tl-action" }, actionName(e.action)),
        e.fromStatus !== e.toStatus ? h("span", { class: "op-hint" }, `→ ${statusName(e.toStatus)}`) : null,
        h("span", { class: "op-tl-at" }, when(e.at)),
        h("span", { class: "op-tl-who" }, ot("byActor", { name: e.actorName || "—", role: roleName(e.actorRole) })),
      ),
      text ? h("div", { class: "op-tl-body" }, text) : null,
    );
  }

  private openForm(action: OpinionAction): void {
    if (this.form?.action === action) {
      this.form = null;
      this.render();
      return;
    }
    const o = this.opinion!;
    const payload: Record<string, string> = {};
    const box = h("form", { class: "op-action-form", "data-testid": "action-form", "data-action": action, novalidate: true });
    const needsReason = action === "reject" || action === "return" || action === "extend";
    const deadlineInput = (label: string, testid: string) => {
      const i = h("input", { type: "date", class: "op-input", "data-testid": testid });
      i.addEventListener("change", () => (payload.deadline = i.value ? `${i.value}T18:00:00+08:00` : ""));
      return field(label, i);
    };
    if (action === "assign") {
      let level: OpinionLevel = o.level ?? "town";
      const deptSlot = h("div", {});
      const deptSelect = () => {
        const list = this.options.departments.filter((d) => d.level === level);
        const local = level === "town" && o.town ? list.filter((d) => d.station === o.town) : [];
        const shown = local.length ? [...local, ...list.filter((d) => !local.includes(d))] : list;
        payload.department = shown[0]?.code ?? "";
        deptSlot.replaceChildren(field(ot("department"), select("assign-department", shown.map((d) => [d.code, `${isEn() ? d.nameEn : d.name}${d.liaisonName ? ` · @${d.liaisonName}` : ""}`]), payload.department, (v) => (payload.department = v))));
      };
      payload.level = level;
      const lv = select("assign-level", LEVELS.map((l) => [l, levelName(l)]), level, (v) => {
        level = v as OpinionLevel;
        payload.level = v;
        deptSelect();
      });
      deptSelect();
      box.append(h("div", { class: "op-grid-3" }, field(ot("level"), lv), deptSlot, deadlineInput(`${ot("deadline")} (${ot("deadlineDefault", { n: this.options.handlingDays[level] ?? "—" })})`, "assign-deadline")));
    }
    if (action === "start" && !o.deadline) box.append(deadlineInput(ot("deadline"), "start-deadline"));
    if (action === "extend") box.append(deadlineInput(ot("newDeadline"), "extend-deadline"));
    if (action === "answer") {
      payload.grade = "A";
      const grades = h("div", { class: "op-chips", role: "radiogroup", "data-testid": "answer-grade" });
      for (const g of GRADES) {
        const b = h("button", { type: "button", class: "op-chip", role: "radio", "aria-checked": String(g === payload.grade), "data-code": g }, ot(`grade_${g}` as "grade_A"));
        b.addEventListener("click", () => {
          payload.grade = g;
          for (const x of grades.querySelectorAll(".op-chip")) x.setAttribute("aria-checked", String(x === b));
        });
        grades.append(b);
      }
      const ans = h("textarea", { class: "op-input", rows: 3, "data-testid": "answer-text" });
      ans.addEventListener("input", () => (payload.answer = ans.value));
      box.append(h("div", { class: "op-field" }, h("span", { class: "op-label" }, ot("grade")), grades), field(ot("answer"), ans));
    }
    if (action === "rate") {
      const chips = h("div", { class: "op-chips", role: "radiogroup", "data-testid": "rate-choice" });
      for (const r of RATINGS) {
        const b = h("button", { type: "button", class: "op-chip", role: "radio", "aria-checked": "false", "data-code": r }, ot(`rt_${r}` as "rt_satisfied"));
        b.addEventListener("click", () => {
          payload.rating = r;
          for (const x of chips.querySelectorAll(".op-chip")) x.setAttribute("aria-checked", String(x === b));
        });
        chips.append(b);
      }
      box.append(h("div", { class: "op-field" }, h("span", { class: "op-label" }, ot("rating")), chips));
    }
    if (action === "flag" || action === "unflag") {
      const choices = action === "flag" ? FLAGS.filter((f) => !o.flags.includes(f)) : o.flags;
      payload.flag = choices[0] ?? "";
      box.append(field(ot("flag"), select("flag-choice", choices.map((f) => [f, ot(`fl_${f}` as "fl_hot")]), payload.flag, (v) => (payload.flag = v))));
    }
    const note = h("textarea", { class: "op-input", rows: 2, "data-testid": "action-note", required: needsReason });
    box.append(field(needsReason ? ot("reason") : ot("note"), note));
    const error = h("div", { class: "op-msg", "data-tone": "error", hidden: true, role: "alert", "data-testid": "action-error" });
    const ok = h("button", { type: "submit", class: "op-btn op-btn-primary", "data-testid": "action-confirm" }, `${ot("confirm")}：${actionName(action)}`);
    const cancel = h("button", { type: "button", class: "op-btn" }, ot("cancel"));
    cancel.addEventListener("click", () => {
      this.form = null;
      this.render();
    });
    box.append(error, h("div", { class: "op-actions" }, ok, cancel));
    box.addEventListener("submit", (ev) => {
      ev.preventDefault();
      if (needsReason && !note.value.trim()) {
        error.hidden = false;
        error.textContent = ot("reason");
        note.focus();
        return;
      }
      ok.disabled = true;
      const body: Record<string, unknown> = { action, note: note.value.trim(), version: o.version };
      for (const [k, v] of Object.entries(payload)) if (v) body[k] = v;
      post<OpinionDetail>(`/opinions/${o.id}/actions`, body)
        .then((next) => {
          this.opinion = next;
          this.form = null;
          this.render();
          flash(ot("done", { action: actionName(action) }));
          this.onChanged();
        })
        .catch((e: ApiError) => {
          ok.disabled = false;
          error.hidden = false;
          error.textContent = e.message;
          if (e.code === "stale_version") void this.load();
        });
    });
    this.form = { action, el: box };
    this.render();
    box.querySelector<HTMLElement>("select, input, textarea")?.focus();
  }
}

/** 观看发言: the console's player at the moment the opinion was raised (a few seconds
 * before), in the recording of its session that holds that moment. */
async function watchSpeech(sessionId: number, capturedAt: string): Promise<void> {
  const at = new Date(capturedAt).getTime() / 1000;
  try {
    const list = await get<{ items: { id: string; startedAt: number; endedAt: number | null }[] }>(`/recordings?session=${sessionId}`);
    const rec = list.items.find((r) => r.startedAt <= at && (r.endedAt == null || at <= r.endedAt));
    if (!rec) {
      flash(ot("noRecording"));
      return;
    }
    location.hash = `#recordings/${rec.id}@${Math.max(0, at - rec.startedAt - 3).toFixed(1)}`;
  } catch (e) {
    flash((e as ApiError).message);
  }
}
