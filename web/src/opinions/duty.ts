/** Duty records 履职台账: the ledger per deputy / group / town / city for a
 * period (and its Excel), the records pending review (approve / reject with a
 * reason), and a form to add a manual record (station reception duty…). */
import { h } from "../common/dom";
import { type ApiError, get, post, qs } from "../common/api";
import { flash } from "../common/flash";
import { dateValue } from "../common/time";
import type { Refs } from "./data";
import { type PeriodState, apiWindow, defaultPeriod, periodPicker } from "./period";
import { isEn, ot, otMaybe } from "./strings";
import type { DutyKind, DutyRecord, Ledger } from "./types";
import { downloadLink, field, select, when } from "./util";

type By = "deputy" | "group" | "town" | "city";

export class DutyView {
  readonly el = h("div", { class: "op-duty-grid", "data-testid": "duty" });
  private period: PeriodState = defaultPeriod();
  private by: By = "deputy";
  private personKind: "deputy" | "street_rep" = "deputy";
  private ledger: Ledger | null = null;
  private pending: DutyRecord[] = [];
  private error = "";
  private reviewError = "";
  private readonly staff: boolean;
  /** the manual kinds of configs/scoring.yaml (GET /api/duty/kinds) */
  private kinds: DutyKind[] = [];
  private manual = { deputyId: "", kind: "", occasion: "", date: dateValue(new Date()), points: "", note: "" };

  constructor(private readonly refs: Refs) {
    this.staff = refs.account.role === "administrator" || refs.account.role === "dispatcher";
    this.render();
    void this.load();
  }

  private params(extra: Record<string, string | null> = {}): string {
    const w = apiWindow(this.period);
    return qs({ from: w.from, to: w.to, scope: this.period.scope || null, ...extra });
  }

  async load(): Promise<void> {
    try {
      this.ledger = await get<Ledger>(`/duty/ledger${this.params({ by: this.by, personKind: this.personKind })}`);
      this.error = "";
    } catch (e) {
      this.error = (e as ApiError).message;
    }
    if (this.staff) {
      if (!this.kinds.length) {
        try {
          this.kinds = (await get<{ items: DutyKind[] }>("/duty/kinds")).items.filter((k) => k.manual);
          if (!this.kinds.some((k) => k.kind === this.manual.kind)) this.manual.kind = this.kinds[0]?.kind ?? "";
        } catch (e) {
          this.reviewError = (e as ApiError).message;
        }
      }
      try {
        this.pending = (await get<{ items: DutyRecord[] }>(`/duty/records${qs({ status: "pending", scope: this.period.scope || null, limit: 200 })}`)).items;
        this.reviewError = "";
      } catch (e) {
        this.reviewError = (e as ApiError).message;
      }
    }
    this.render();
  }

  private deputyName(id: number): string {
    return this.refs.deputies.find((d) => d.id === id)?.name ?? `#${id}`;
  }

  render(): void {
    const picker = periodPicker(this.refs, this.period, (p) => {
      this.period = p;
      this.render();
      void this.load();
    }, "duty-period");
    const by = select("ledger-by", (["deputy", "group", "town", "city"] as By[]).map((b): [string, string] => [b, ot(`by_${b}` as "by_deputy")]), this.by, (v) => {
      this.by = v as By;
      void this.load();
    });
    const pk = select("ledger-person-kind", [["deputy", ot("pk_deputy")], ["street_rep", ot("pk_street_rep")]], this.personKind, (v) => {
      this.personKind = v as "deputy" | "street_rep";
      void this.load();
    });
    const table = h("table", { class: "op-table", "data-testid": "ledger-table" });
    table.append(
      h("thead", {}, h("tr", {}, h("th", {}, ot("name")), h("th", { class: "op-num" }, ot("people")), h("th", { class: "op-num" }, ot("records")), h("th", { class: "op-num" }, ot("points")), h("th", { class: "op-num" }, ot("pendingCol")))),
    );
    const tbody = h("tbody", {});
    for (const r of this.ledger?.items ?? []) {
      tbody.append(h("tr", { "data-testid": "ledger-row", "data-key": r.key }, h("td", {}, r.name), h("td", { class: "op-num" }, String(r.people)), h("td", { class: "op-num" }, String(r.records)), h("td", { class: "op-num" }, String(Math.round(r.points * 100) / 100)), h("td", { class: "op-num" }, String(r.pending))));
    }
    table.append(tbody);
    const ledgerCard = h(
      "section",
      { class: "op-card" },
      h("h3", { class: "op-card-title" }, ot("ledger")),
      picker,
      h("div", { class: "op-filters-2", style: "margin:8px 0 12px" }, field(ot("by"), by), field(ot("personKind"), pk), downloadLink(`/api/duty/ledger.xlsx${this.params({ personKind: this.personKind })}`, ot("downloadLedger"), "download-ledger")),
      this.error ? h("div", { class: "op-msg", "data-tone": "error" }, ot("errorLoad", { message: this.error })) : "",
      this.ledger && !this.ledger.items.length ? h("p", { class: "op-muted" }, ot("ledgerEmpty")) : h("div", { class: "op-table-wrap" }, table),
    );
    if (!this.staff) {
      this.el.replaceChildren(ledgerCard);
      return;
    }
    this.el.replaceChildren(ledgerCard, h("div", { style: "display:flex;flex-direction:column;gap:14px" }, this.reviewCard(), this.manualCard()));
  }

  private reviewCard(): HTMLElement {
    const card = h("section", { class: "op-card", "data-testid": "duty-review" }, h("h3", { class: "op-card-title" }, ot("review"), h("span", { class: "op-hint" }, String(this.pending.length))));
    if (this.reviewError) card.append(h("div", { class: "op-msg", "data-tone": "error" }, this.reviewError));
    if (!this.pending.length) card.append(h("p", { class: "op-muted" }, ot("reviewEmpty")));
    for (const r of this.pending) {
      // A dispatcher never approves what it entered itself: another account in scope does.
      const own = this.refs.account.role === "dispatcher" && r.createdBy === this.refs.account.id;
      const approve = h("button", { type: "button", class: "op-btn op-btn-sm op-btn-primary", "data-testid": "duty-approve", disabled: own, title: own ? ot("approveOwn") : undefined }, ot("approve"));
      const reject = h("button", { type: "button", class: "op-btn op-btn-sm op-btn-danger", "data-testid": "duty-reject" }, ot("reject"));
      const row = h(
        "div",
        { class: "op-review-row", "data-testid": "duty-pending", "data-id": String(r.id) },
        h("div", { class: "op-review-main" }, h("strong", {}, this.deputyName(r.deputyId)), ` · ${r.kindName} · ${r.points > 0 ? "+" : ""}${r.points}`, h("div", { class: "op-hint" }, `${r.occasion} · ${when(r.occurredAt).slice(0, 10)}${r.note ? ` · ${r.note}` : ""}`)),
        approve,
        reject,
      );
      approve.addEventListener("click", () => void this.review(r.id, true, ""));
      reject.addEventListener("click", () => {
        const reason = h("input", { type: "text", class: "op-input", placeholder: ot("rejectReason"), "data-testid": "duty-reject-reason", maxlength: 500 });
        const ok = h("button", { type: "button", class: "op-btn op-btn-sm op-btn-danger", "data-testid": "duty-reject-confirm" }, ot("confirm"));
        ok.addEventListener("click", () => {
          if (!reason.value.trim()) return reason.focus();
          void this.review(r.id, false, reason.value.trim());
        });
        row.append(h("div", { class: "op-inline", style: "display:flex;gap:8px;width:100%" }, reason, ok));
        reject.disabled = true;
        reason.focus();
      });
      card.append(row);
    }
    return card;
  }

  private async review(id: number, approve: boolean, reason: string): Promise<void> {
    try {
      await post(`/duty/records/${id}/review`, { approve, reason });
      flash(approve ? ot("approved") : ot("rejected"));
    } catch (e) {
      flash((e as ApiError).message, "error");
    }
    void this.load();
  }

  private manualCard(): HTMLElement {
    const m = this.manual;
    const { deputies, stations } = this.refs;
    const dep = select("manual-deputy", [["", ot("deputyPick")], ...deputies.map((d): [string, string] => [String(d.id), `${d.name} · ${stations.short(d.station)}`])], m.deputyId, (v) => (m.deputyId = v));
    const kindLabel = (k: DutyKind) => `${isEn() ? k.nameEn || k.name : k.name}（${k.points > 0 ? "+" : ""}${k.points}）`;
    const kind = select("manual-kind", this.kinds.map((k): [string, string] => [k.kind, kindLabel(k)]), m.kind, (v) => (m.kind = v));
    const occasion = h("input", { type: "text", class: "op-input", maxlength: 120, placeholder: ot("occasionPlaceholder"), value: m.occasion, "data-testid": "manual-occasion" });
    occasion.addEventListener("input", () => (m.occasion = occasion.value));
    const date = h("input", { type: "date", class: "op-input", value: m.date, "data-testid": "manual-date" });
    date.addEventListener("change", () => (m.date = date.value));
    const points = h("input", { type: "number", class: "op-input", step: "0.5", value: m.points, "data-testid": "manual-points" });
    points.addEventListener("input", () => (m.points = points.value));
    const note = h("input", { type: "text", class: "op-input", maxlength: 500, value: m.note, "data-testid": "manual-note" });
    note.addEventListener("input", () => (m.note = note.value));
    const submit = h("button", { type: "submit", class: "op-btn op-btn-primary", "data-testid": "manual-submit" }, ot("add"));
    const error = h("div", { class: "op-msg", "data-tone": "error", hidden: true });
    const form = h(
      "form",
      { class: "op-form", novalidate: true },
      field(ot("deputy"), dep),
      h("div", { class: "op-grid-2" }, field(ot("kind"), kind), field(ot("occurredAt"), date)),
      field(ot("occasion"), occasion),
      h("div", { class: "op-grid-2" }, field(ot("pointsOpt"), points), field(ot("note"), note)),
      error,
      h("div", { class: "op-actions" }, submit),
    );
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      if (!m.deputyId || !m.date || !m.kind) {
        error.hidden = false;
        error.textContent = ot("needWho");
        return;
      }
      const chosen = this.kinds.find((k) => k.kind === m.kind);
      const kindLabel = chosen ? (isEn() ? chosen.nameEn || chosen.name : chosen.name) : otMaybe(`kind_${m.kind}`, m.kind).replace(/[（(].*$/, "");
      const body: Record<string, unknown> = {
        deputyId: Number(m.deputyId),
        kind: m.kind,
        occasion: m.occasion.trim() || `${kindLabel} ${m.date}`,
        occurredAt: `${m.date}T12:00:00+08:00`,
        note: m.note.trim(),
      };
      if (m.points.trim() !== "" && Number.isFinite(Number(m.points))) body.points = Number(m.points);
      submit.disabled = true;
      post<DutyRecord>("/duty/records", body)
        .then(() => {
          flash(ot("added"));
          this.manual = { ...m, occasion: "", points: "", note: "" };
          void this.load();
        })
        .catch((e: ApiError) => {
          submit.disabled = false;
          error.hidden = false;
          error.textContent = e.message;
        });
    });
    return h("section", { class: "op-card", "data-testid": "duty-manual" }, h("h3", { class: "op-card-title" }, ot("manualTitle")), form);
  }
}
