/** The console's reception duty page 进站接待 (#reception, issue 13): the roster of
 * deputies on duty per station and day (GET/PUT /api/stations/{code}/reception), who
 * signed in (临时: walk-ins, pending review), the residents each received (the opinions
 * it raised there that day), and the station's sign-in QR code of the day for its screen.
 * An operator sees its own station; dispatchers pick a station of their subtree. */
import { ApiError, api, get } from "../common/api";
import { h, setText } from "../common/dom";
import { dateValue, hm } from "../common/time";
import type { Stations } from "../common/stations";
import type { Account } from "../common/types";
import { rt } from "./reception-strings";
import { showSigninQr } from "../common/signin-qr";

interface Shift {
  deputyId: number;
  name: string;
  station: string;
  rostered: boolean;
  signedInAt: string | null;
  record: { id: number; status: string; points: number } | null;
  opinions: { id: number; reference: string; summary: string; residentName: string; status: string }[];
}

interface ReceptionDay {
  station: string;
  day: string;
  shifts: Shift[];
  candidates: { id: number; name: string; station: string }[];
}

export class ReceptionView {
  readonly el = h("section", { class: "c-card c-reception", "data-testid": "reception" });
  private readonly stationSelect = h("select", { class: "c-input", "data-testid": "reception-station" });
  private readonly dayInput = h("input", { class: "c-input", type: "date", "data-testid": "reception-day" });
  private readonly status = h("p", { class: "c-muted", role: "status", "data-testid": "reception-status" });
  private readonly body = h("div", { class: "c-reception-body" });
  private data: ReceptionDay | null = null;

  constructor(
    private readonly account: Account,
    private readonly stations: Stations,
  ) {
    this.dayInput.value = dateValue(new Date());
    this.stationSelect.addEventListener("change", () => void this.load());
    this.dayInput.addEventListener("change", () => void this.load());
    this.render();
    void this.load();
  }

  destroy(): void {
    document.querySelector(".c-signin-overlay")?.remove();
  }

  private station(): string {
    return this.stationSelect.value || this.account.station || "";
  }

  private fillStations(): void {
    if (this.stationSelect.options.length) return;
    const own = this.account.station;
    const codes =
      this.account.role === "operator" && own
        ? [own]
        : own
          ? [own, ...this.stations.descendants(own).map((n) => n.code)]
          : this.stations.flat().map((x) => x.node.code);
    for (const code of codes) {
      const level = this.stations.byCode.get(code)?.level;
      if (level === "general" || level === "branch") continue;
      this.stationSelect.append(h("option", { value: code }, this.stations.name(code)));
    }
    this.stationSelect.disabled = this.stationSelect.options.length <= 1;
  }

  async load(): Promise<void> {
    const station = this.station();
    if (!station) return;
    setText(this.status, rt("heading"));
    try {
      this.data = await get<ReceptionDay>(`/stations/${station}/reception?day=${this.dayInput.value}`);
      setText(this.status, "");
    } catch (e) {
      this.data = null;
      setText(this.status, (e as ApiError).message);
    }
    this.draw();
  }

  render(): void {
    this.fillStations();
    const code = h("button", { type: "button", class: "btn-primary", "data-testid": "reception-show-code" }, rt("showCode"));
    code.addEventListener("click", () => {
      const station = this.station();
      showSigninQr(rt("qrTitleReception", { station: this.stations.name(station) }), `/stations/${station}/reception-code`);
    });
    this.el.replaceChildren(
      h("div", { class: "c-card-head" }, h("h2", { class: "c-card-title" }, rt("heading")), code),
      h("p", { class: "c-muted" }, rt("hint")),
      h("div", { class: "c-inline" },
        h("label", { class: "c-field" }, h("span", {}, rt("station")), this.stationSelect),
        h("label", { class: "c-field" }, h("span", {}, rt("day")), this.dayInput)),
      this.status,
      this.body,
    );
    this.draw();
  }

  private draw(): void {
    const d = this.data;
    if (!d) {
      this.body.replaceChildren();
      return;
    }
    const onRoster = new Set(d.shifts.filter((s) => s.rostered).map((s) => s.deputyId));
    const boxes = h("div", { class: "c-reception-roster", "data-testid": "reception-roster" });
    for (const c of d.candidates) {
      const box = h("input", { type: "checkbox", value: String(c.id), checked: onRoster.has(c.id), "data-testid": "reception-candidate" });
      boxes.append(h("label", { class: "c-check" }, box, ` ${c.name} · ${this.stations.short(c.station)}`));
    }
    const save = h("button", { type: "button", class: "c-btn", "data-testid": "reception-save" }, rt("rosterSave"));
    const saved = h("p", { class: "c-muted", role: "status", "data-testid": "reception-saved" });
    save.addEventListener("click", () => {
      const ids = [...boxes.querySelectorAll<HTMLInputElement>("input:checked")].map((x) => Number(x.value));
      save.disabled = true;
      void api<ReceptionDay>("PUT", `/stations/${d.station}/reception`, { day: d.day, deputyIds: ids })
        .then((out) => {
          this.data = out;
          this.draw();
          setText(this.status, rt("rosterSaved"));
        })
        .catch((e) => {
          saved.textContent = (e as ApiError).message; // the boxes stay as ticked
          save.disabled = false;
        });
    });
    const list = h("ul", { class: "c-list", "data-testid": "reception-shifts" });
    for (const s of d.shifts) {
      const record = s.record ? ` · ${s.record.points > 0 ? "+" : ""}${s.record.points} ${rt(s.record.status === "approved" ? "recordApproved" : s.record.status === "rejected" ? "recordRejected" : "recordPending")}` : "";
      list.append(h("li", { class: "c-row", "data-testid": "reception-shift", "data-deputy-id": s.deputyId, "data-signed-in": String(!!s.signedInAt), "data-rostered": String(s.rostered) },
        h("div", { class: "c-row-main" },
          h("div", { class: "c-row-top" }, h("strong", {}, s.name), s.rostered ? null : h("span", { class: "c-tag", title: rt("walkInHint") }, rt("walkIn"))),
          h("div", { class: "c-muted" }, (s.signedInAt ? rt("signedIn", { time: hm(s.signedInAt) }) : rt("notSignedIn")) + record),
          s.opinions.length
            ? h("div", { class: "c-reception-received", "data-testid": "reception-received" }, rt("received", { n: s.opinions.length }),
                h("ul", {}, ...s.opinions.map((o) => h("li", {}, `${o.reference} ${o.summary}${o.residentName ? ` · ${o.residentName}` : ""}`))))
            : null)));
    }
    this.body.replaceChildren(
      h("h3", { class: "c-card-title" }, rt("roster")),
      d.candidates.length ? boxes : h("p", { class: "c-muted" }, rt("noCandidates")),
      h("div", { class: "c-inline" }, save, saved),
      d.shifts.length ? list : h("p", { class: "c-muted", "data-testid": "reception-empty" }, rt("noShifts")),
    );
  }
}
