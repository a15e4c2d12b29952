/** The console's deputy roster (代表名册, issue 13), #roster, administrators and dispatchers (their
 * subtree; the hub decides): the roster filtered by station, level, group, state and name or phone;
 * edit a deputy inline (name, phone, levels, station, group: a refusal shows the hub's reason and
 * keeps what was typed); deactivate and reactivate; export the filtered list to Excel; import an
 * Excel file: a check first lists every bad row with its reason and imports nothing, then the good
 * rows only after an explicit confirmation. Over /api/deputies… (api/roster.py). */
import { ApiError, api, apiHeaders, get, post, qs, readResponse } from "../common/api";
import { h, setText } from "../common/dom";
import { getLang } from "../common/i18n";
import type { Account } from "../common/types";
import type { Stations } from "../common/stations";
import { ct } from "./strings";
import { rt } from "./roster-strings";
import {
  LEVELS, type ImportReport, type RosterDeputy, type RosterFilters, badRowLines, confirmKind, orderedLevels, patchBody, rosterQuery,
} from "./roster-report";

const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

export function levelName(level: string): string {
  return ct(`level_${level}` as "level_town");
}

export class RosterView {
  readonly el = h("section", { class: "c-audit c-roster", "data-testid": "roster" });
  private readonly station = h("select", { class: "c-input", "data-testid": "roster-station" });
  private readonly level = h("select", { class: "c-input", "data-testid": "roster-level" });
  private readonly group = h("input", { class: "c-input", "data-testid": "roster-group", maxlength: 200, list: "roster-groups" });
  private readonly groups = h("datalist", { id: "roster-groups" });
  private readonly active = h("select", { class: "c-input", "data-testid": "roster-active" });
  private readonly q = h("input", { class: "c-input", "data-testid": "roster-q", maxlength: 100 });
  private readonly rows = h("tbody", { "data-testid": "roster-rows" });
  private readonly status = h("p", { class: "c-muted", "data-testid": "roster-status", role: "status" });
  private readonly exportLink = h("a", { class: "c-btn c-btn-sm", download: "", "data-testid": "roster-export" });
  private readonly file = h("input", { class: "c-input", type: "file", accept: ".xlsx," + XLSX, "data-testid": "roster-file" });
  private readonly report = h("div", { class: "c-roster-report", "data-testid": "roster-report" });
  private items: RosterDeputy[] = [];
  private lastReport: ImportReport | null = null;
  private upload: { name: string; data: ArrayBuffer } | null = null;

  constructor(private readonly account: Account, private readonly stations: Stations) {
    this.file.addEventListener("change", () => {
      this.upload = null;
      this.lastReport = null;
      this.drawReport();
    });
    this.render();
    void this.load();
  }

  private filters(): RosterFilters {
    return { station: this.station.value, level: this.level.value, group: this.group.value, active: this.active.value as RosterFilters["active"], q: this.q.value };
  }

  async load(): Promise<void> {
    const query = rosterQuery(this.filters());
    this.exportLink.href = `/api/deputies.xlsx${qs(query)}`;
    try {
      this.items = (await get<{ items: RosterDeputy[] }>(`/deputies${qs(query)}`)).items;
      const groups = (await get<{ items: string[] }>("/deputies/groups")).items;
      this.groups.replaceChildren(...groups.map((g) => h("option", { value: g })));
      this.say(this.items.length ? rt("rosterCount", { n: this.items.length }) : rt("rosterEmpty"));
    } catch (e) {
      this.say((e as ApiError).message, true);
    }
    this.drawRows();
  }

  private say(text: string, error = false): void {
    setText(this.status, text);
    this.status.dataset.state = error ? "error" : "ok";
  }

  /** The stations the account manages, in tree order. */
  private scopeStations(): { code: string; depth: number }[] {
    const all = this.stations.flat().map(({ node, depth }) => ({ code: node.code, depth }));
    const own = this.account.role === "administrator" ? null : this.account.station;
    if (!own) return all;
    const inside = new Set([own, ...this.stations.descendants(own).map((n) => n.code)]);
    return all.filter((s) => inside.has(s.code));
  }

  private stationOptions(select: HTMLSelectElement, withAll: boolean): void {
    const value = select.value;
    select.replaceChildren(
      ...(withAll ? [h("option", { value: "" }, rt("rosterAll"))] : []),
      ...this.scopeStations().map(({ code, depth }) => h("option", { value: code }, `${"\u3000".repeat(depth)}${this.stations.name(code)}`)),
    );
    if (value) select.value = value;
  }

  private drawRows(): void {
    this.rows.replaceChildren(...this.items.map((d) => this.row(d)));
  }

  private row(d: RosterDeputy): HTMLTableRowElement {
    const actions = h("td", { class: "c-acc-actions" });
    const tr = h(
      "tr",
      { "data-testid": "roster-row", "data-name": d.name, "data-id": String(d.id), "data-active": String(d.active) },
      h("td", { "data-testid": "roster-name" }, d.name),
      h("td", { "data-testid": "roster-phone" }, d.phone ?? "—"),
      h("td", { "data-testid": "roster-levels" }, orderedLevels(d.levels.length ? d.levels : [d.level]).map(levelName).join("、")),
      h("td", {}, this.stations.name(d.station)),
      h("td", { "data-testid": "roster-group-cell" }, d.group || "—"),
      h("td", { "data-testid": "roster-state" }, d.active ? rt("rosterServing") : rt("rosterInactive")),
      actions,
    );
    const edit = h("button", { class: "c-btn c-btn-sm", type: "button", "data-testid": "roster-edit" }, rt("rosterEdit"));
    edit.addEventListener("click", () => this.edit(d, tr));
    const toggle = d.active
      ? h("button", { class: "c-btn c-btn-sm c-btn-danger", type: "button", "data-testid": "roster-deactivate" }, rt("rosterDeactivate"))
      : h("button", { class: "c-btn c-btn-sm", type: "button", "data-testid": "roster-reactivate" }, rt("rosterReactivate"));
    toggle.addEventListener("click", () => void this.toggle(d));
    actions.append(edit, toggle);
    return tr;
  }

  private edit(d: RosterDeputy, tr: HTMLTableRowElement): void {
    const name = h("input", { class: "c-input", "data-testid": "roster-edit-name", maxlength: 100, value: d.name });
    const phone = h("input", { class: "c-input", "data-testid": "roster-edit-phone", maxlength: 30, value: d.phone ?? "", inputmode: "tel" });
    const held = new Set(d.levels.length ? d.levels : [d.level]);
    const boxes = LEVELS.map((l) => {
      const box = h("input", { type: "checkbox", value: l, "data-testid": `roster-edit-level-${l}` });
      box.checked = held.has(l);
      return { l, box, label: h("label", { class: "c-check" }, box, levelName(l)) };
    });
    const station = h("select", { class: "c-input", "data-testid": "roster-edit-station" });
    this.stationOptions(station, false);
    station.value = d.station;
    const group = h("input", { class: "c-input", "data-testid": "roster-edit-group", maxlength: 200, value: d.group, list: "roster-groups" });
    const save = h("button", { class: "btn-primary c-btn-sm", type: "button", "data-testid": "roster-save" }, rt("rosterSave"));
    const cancel = h("button", { class: "c-btn c-btn-sm", type: "button", "data-testid": "roster-cancel" }, rt("rosterCancel"));
    save.addEventListener("click", async () => {
      const levels = boxes.filter((b) => b.box.checked).map((b) => b.l);
      if (!levels.length) return this.say(rt("rosterLevelsRequired"), true); // what was typed stays
      const body = patchBody(d, { name: name.value, phone: phone.value, levels, station: station.value, group: group.value });
      if (!Object.keys(body).length) return this.drawRows();
      try {
        await api("PATCH", `/deputies/${d.id}`, body);
      } catch (e) {
        this.say((e as ApiError).message, true); // the form stays as typed for a correction
        return;
      }
      this.say(rt("rosterSaved", { name: name.value.trim() }));
      await this.load();
    });
    cancel.addEventListener("click", () => this.drawRows());
    const cell = (...xs: HTMLElement[]) => h("td", { colspan: 7 }, h("div", { class: "c-roster-edit", "data-testid": "roster-editor" }, ...xs));
    const field = (label: string, input: HTMLElement) => h("label", { class: "c-field" }, h("span", {}, label), input);
    tr.replaceChildren(cell(
      field(rt("rosterName"), name), field(rt("rosterPhone"), phone),
      h("fieldset", { class: "c-roster-levels" }, h("legend", {}, rt("rosterLevels")), ...boxes.map((b) => b.label)),
      field(rt("rosterStation"), station), field(rt("rosterGroup"), group), save, cancel,
    ));
    name.focus();
  }

  private async toggle(d: RosterDeputy): Promise<void> {
    if (d.active && !window.confirm(rt("rosterDeactivateConfirm", { name: d.name }))) return;
    try {
      await post(`/deputies/${d.id}/${d.active ? "deactivate" : "reactivate"}`);
      if (!d.active) this.say(rt("rosterReactivated", { name: d.name }));
      await this.load();
    } catch (e) {
      this.say((e as ApiError).message, true);
    }
  }

  // --- import ------------------------------------------------------------------------------

  private async check(confirm: boolean): Promise<void> {
    const chosen = this.file.files?.[0];
    if (!confirm || !this.upload) {
      if (!chosen) return this.sayReport(rt("rosterNoFile"), true);
      this.upload = { name: chosen.name, data: await chosen.arrayBuffer() };
    }
    const upload = this.upload;
    this.sayReport(rt("rosterChecking"));
    let res: Response;
    try {
      res = await fetch(`/api/deputies/import${qs({ fileName: upload.name, confirm: confirm ? "good_rows" : null })}`, {
        method: "POST", headers: apiHeaders(null, { "Content-Type": XLSX }), body: upload.data, credentials: "same-origin", cache: "no-store",
      });
      this.lastReport = await readResponse<ImportReport>(res);
    } catch (e) {
      this.lastReport = null;
      this.drawReport();
      this.sayReport(e instanceof ApiError ? e.message : String(e), true);
      return;
    }
    this.drawReport();
    if (this.lastReport.imported) {
      this.upload = null;
      await this.load();
    }
  }

  private sayReport(text: string, error = false): void {
    let line = this.report.querySelector<HTMLElement>("[data-testid=roster-report-status]");
    if (!line) {
      line = h("p", { class: "c-muted", "data-testid": "roster-report-status", role: "status" });
      this.report.prepend(line);
    }
    setText(line, text);
    line.dataset.state = error ? "error" : "ok";
  }

  private drawReport(): void {
    const r = this.lastReport;
    this.report.replaceChildren();
    if (!r) return;
    const vars = { file: r.fileName, rows: r.rows, good: r.good, bad: r.bad, created: r.created, updated: r.updated, unchanged: r.unchanged };
    this.sayReport(r.imported ? rt("rosterImported", vars) : r.good === 0 ? rt("rosterNothingGood") : rt("rosterReportSummary", vars), !r.imported && r.good === 0);
    this.report.dataset.imported = String(r.imported);
    const lines = badRowLines(r, getLang());
    if (lines.length && !r.imported) {
      this.report.append(
        h("h3", { class: "c-subheading" }, rt("rosterBadRows")),
        h(
          "table",
          { class: "c-audit-table", "data-testid": "roster-bad-rows" },
          h("thead", {}, h("tr", {}, h("th", {}, rt("rosterRow")), h("th", {}, rt("rosterName")), h("th", {}, rt("rosterReason")))),
          h("tbody", {}, ...lines.map((l) => h("tr", { "data-testid": "roster-bad-row", "data-row": String(l.row) }, h("td", {}, String(l.row)), h("td", {}, l.name || "—"), h("td", { "data-testid": "roster-bad-reason" }, l.text)))),
        ),
      );
    } else if (!r.imported && r.bad === 0) {
      this.report.append(h("p", { class: "c-muted" }, rt("rosterReportClean")));
    }
    const kind = confirmKind(r);
    if (kind !== "none") {
      const go = h("button", { class: "btn-primary c-btn-sm", type: "button", "data-testid": "roster-confirm" }, rt(kind === "all" ? "rosterConfirmAll" : "rosterConfirmGood", { good: r.good }));
      go.addEventListener("click", () => {
        if (window.confirm(rt("rosterConfirmAsk", { good: r.good, bad: r.bad }))) void this.check(true);
      });
      this.report.append(go);
    }
  }

  render(): void {
    this.stationOptions(this.station, true);
    const level = this.level.value;
    this.level.replaceChildren(h("option", { value: "" }, rt("rosterAll")), ...LEVELS.map((l) => h("option", { value: l }, levelName(l))));
    this.level.value = level;
    const active = this.active.value || "true";
    this.active.replaceChildren(h("option", { value: "true" }, rt("rosterServing")), h("option", { value: "false" }, rt("rosterInactive")), h("option", { value: "" }, rt("rosterAll")));
    this.active.value = active;
    setText(this.exportLink, rt("rosterExport"));
    const field = (label: string, input: HTMLElement) => h("label", { class: "c-field" }, h("span", {}, label), input);
    const form = h(
      "form",
      { class: "c-audit-filters", "data-testid": "roster-filters" },
      field(rt("rosterStation"), this.station), field(rt("rosterLevel"), this.level), field(rt("rosterGroup"), this.group),
      field(rt("rosterActive"), this.active), field(rt("rosterSearch"), this.q),
      h("button", { class: "btn-primary c-btn-sm", type: "submit", "data-testid": "roster-find" }, rt("rosterFind")),
      this.exportLink,
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      void this.load();
    });
    const checkBtn = h("button", { class: "btn-primary c-btn-sm", type: "button", "data-testid": "roster-check" }, rt("rosterCheck"));
    checkBtn.addEventListener("click", () => void this.check(false));
    const head = ["rosterName", "rosterPhone", "rosterLevels", "rosterStation", "rosterGroup", "rosterActive"] as const;
    this.el.replaceChildren(
      h("h2", { class: "c-heading" }, rt("rosterHeading")),
      form,
      this.groups,
      this.status,
      h("table", { class: "c-audit-table" }, h("thead", {}, h("tr", {}, ...head.map((k) => h("th", {}, rt(k))), h("th", {}))), this.rows),
      h(
        "div",
        { class: "c-roster-import", "data-testid": "roster-import" },
        h("h3", { class: "c-subheading" }, rt("rosterImportHeading")),
        h("p", { class: "c-muted" }, rt("rosterImportHint")),
        h("div", { class: "c-audit-filters" }, field(rt("rosterFile"), this.file), checkBtn,
          h("a", { class: "c-btn c-btn-sm", href: "/api/deputies/template.xlsx", download: "", "data-testid": "roster-template" }, rt("rosterTemplate"))),
        this.report,
      ),
    );
    this.drawRows();
    this.drawReport();
  }

  destroy(): void {
    this.el.remove();
  }
}
