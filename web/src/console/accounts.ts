/** The console's accounts page (账号管理, issue 13), #accounts, administrators only: every
 * account with its role, scope, state and last login; create one (role and scope: a station
 * for dispatchers and operators, a department for department accounts); reset a password;
 * deactivate, and reactivate (POST /api/accounts/{id}/reactivate: it signs in again). Over GET/POST /api/accounts, POST /api/accounts/{id}/password and
 * /deactivate; refusals show the hub's reason in the page's language, and what was typed stays. */
import { ApiError, get, post } from "../common/api";
import { h, setText } from "../common/dom";
import type { Account, Role } from "../common/types";
import type { Stations } from "../common/stations";
import { dateValue, timeValue } from "../common/time";
import { ct } from "./strings";
import { rt } from "./roster-strings";

interface AccountRow extends Account {
  lastLoginAt?: string | null;
}

const ROLES: Role[] = ["administrator", "dispatcher", "operator", "department"];

/** What a role is scoped to: a station, a department, or nothing. */
export function scopeOf(role: string): "station" | "department" | null {
  return role === "dispatcher" || role === "operator" ? "station" : role === "department" ? "department" : null;
}

/** The create form's body: the scope the role takes, nothing else. */
export function accountBody(f: { username: string; displayName: string; password: string; role: string; station: string; department: string }): Record<string, string> {
  const body: Record<string, string> = { username: f.username.trim(), password: f.password, role: f.role, displayName: f.displayName.trim() };
  const scope = scopeOf(f.role);
  if (scope === "station" && f.station) body.station = f.station;
  if (scope === "department" && f.department.trim()) body.department = f.department.trim();
  return body;
}

export class AccountsView {
  readonly el = h("section", { class: "c-audit c-accounts", "data-testid": "accounts" });
  private readonly username = h("input", { class: "c-input", "data-testid": "acc-username", maxlength: 64, autocomplete: "off" });
  private readonly displayName = h("input", { class: "c-input", "data-testid": "acc-display-name", maxlength: 200 });
  private readonly password = h("input", { class: "c-input", type: "password", "data-testid": "acc-password", autocomplete: "new-password" });
  private readonly role = h("select", { class: "c-input", "data-testid": "acc-role" });
  private readonly station = h("select", { class: "c-input", "data-testid": "acc-station" });
  private readonly department = h("input", { class: "c-input", "data-testid": "acc-department", maxlength: 64 });
  private readonly rows = h("tbody", { "data-testid": "acc-rows" });
  private readonly status = h("p", { class: "c-muted", "data-testid": "acc-status", role: "status" });
  private items: AccountRow[] = [];

  constructor(private readonly stations: Stations) {
    this.role.addEventListener("change", () => this.showScope());
    this.render();
    void this.load();
  }

  async load(): Promise<void> {
    try {
      this.items = (await get<{ items: AccountRow[] }>("/accounts")).items;
    } catch (e) {
      setText(this.status, (e as ApiError).message);
    }
    this.drawRows();
  }

  private say(text: string, error = false): void {
    setText(this.status, text);
    this.status.dataset.state = error ? "error" : "ok";
  }

  private scopeText(a: AccountRow): string {
    return a.station ? this.stations.name(a.station) : a.department ?? "—";
  }

  private drawRows(): void {
    this.rows.replaceChildren(
      ...this.items.map((a) => {
        const actions = h("td", { class: "c-acc-actions" });
        const reset = h("button", { class: "c-btn c-btn-sm", type: "button", "data-testid": "acc-reset" }, ct("accReset"));
        reset.addEventListener("click", () => this.askPassword(a, actions));
        const off = h("button", { class: "c-btn c-btn-sm c-btn-danger", type: "button", "data-testid": "acc-deactivate" }, ct("accDeactivate"));
        off.addEventListener("click", () => void this.deactivate(a));
        const roleBtn = h("button", { class: "c-btn c-btn-sm", type: "button", "data-testid": "acc-change-role" }, ct("accChangeRole"));
        roleBtn.addEventListener("click", () => this.askRole(a, actions));
        const on = h("button", { class: "c-btn c-btn-sm", type: "button", "data-testid": "acc-reactivate" }, rt("accReactivate"));
        on.addEventListener("click", () => void this.reactivate(a));
        if (a.active) actions.append(...(a.role === "deputy" ? [] : [roleBtn]), reset, off);
        else actions.append(on);
        return h(
          "tr",
          { "data-testid": "acc-row", "data-username": a.username, "data-active": String(a.active) },
          h("td", {}, a.username),
          h("td", {}, a.displayName),
          h("td", {}, ct(`role_${a.role}` as "role_dispatcher")),
          h("td", {}, this.scopeText(a)),
          h("td", { "data-testid": "acc-state" }, a.active ? ct("accActive") : ct("accInactive")),
          h("td", { "data-testid": "acc-last-login" }, a.lastLoginAt ? `${dateValue(a.lastLoginAt)} ${timeValue(a.lastLoginAt)}` : ct("accNever")),
          actions,
        );
      }),
    );
  }

  private askPassword(a: AccountRow, cell: HTMLElement): void {
    const input = h("input", { class: "c-input", type: "password", "data-testid": "acc-new-password", placeholder: ct("accNewPassword"), autocomplete: "new-password" });
    const ok = h("button", { class: "btn-primary c-btn-sm", type: "button", "data-testid": "acc-reset-confirm" }, ct("accConfirm"));
    const cancel = h("button", { class: "c-btn c-btn-sm", type: "button" }, ct("accCancel"));
    ok.addEventListener("click", async () => {
      try {
        await post(`/accounts/${a.id}/password`, { password: input.value });
        this.say(ct("accResetDone", { name: a.username }));
        await this.load();
      } catch (e) {
        this.say((e as ApiError).message, true); // the typed password stays for a correction
      }
    });
    cancel.addEventListener("click", () => this.drawRows());
    cell.replaceChildren(input, ok, cancel);
    input.focus();
  }

  private askRole(a: AccountRow, cell: HTMLElement): void {
    const role = h("select", { class: "c-input", "data-testid": "acc-edit-role" }, ...ROLES.map((r) => h("option", { value: r }, ct(`role_${r}` as "role_dispatcher"))));
    role.value = a.role;
    const station = this.stationSelect("acc-edit-station");
    if (a.station) station.value = a.station;
    const department = h("input", { class: "c-input", "data-testid": "acc-edit-department", maxlength: 64, placeholder: ct("accDepartment"), value: a.department ?? "" });
    const show = (): void => {
      station.hidden = scopeOf(role.value) !== "station";
      department.hidden = scopeOf(role.value) !== "department";
    };
    role.addEventListener("change", show);
    show();
    const ok = h("button", { class: "btn-primary c-btn-sm", type: "button", "data-testid": "acc-role-confirm" }, ct("accConfirm"));
    const cancel = h("button", { class: "c-btn c-btn-sm", type: "button" }, ct("accCancel"));
    ok.addEventListener("click", async () => {
      const { role: r, station: st, department: dep } = accountBody({ username: a.username, displayName: "", password: "", role: role.value, station: station.value, department: department.value });
      try {
        await post(`/accounts/${a.id}/role`, { role: r, ...(st ? { station: st } : {}), ...(dep ? { department: dep } : {}) });
        this.say(ct("accRoleDone", { name: a.username }));
        await this.load();
      } catch (e) {
        this.say((e as ApiError).message, true); // the choice stays for a correction
      }
    });
    cancel.addEventListener("click", () => this.drawRows());
    cell.replaceChildren(role, station, department, ok, cancel);
  }

  private stationSelect(testid: string): HTMLSelectElement {
    return h(
      "select",
      { class: "c-input", "data-testid": testid },
      ...this.stations.flat().map(({ node, depth }) => h("option", { value: node.code }, `${"\u3000".repeat(depth)}${this.stations.name(node.code)}`)),
    );
  }

  private async deactivate(a: AccountRow): Promise<void> {
    if (!window.confirm(ct("accDeactivateConfirm", { name: a.username }))) return;
    try {
      await post(`/accounts/${a.id}/deactivate`);
      await this.load();
    } catch (e) {
      this.say((e as ApiError).message, true);
    }
  }

  private async reactivate(a: AccountRow): Promise<void> {
    try {
      await post(`/accounts/${a.id}/reactivate`);
      this.say(rt("accReactivated", { name: a.username }));
      await this.load();
    } catch (e) {
      this.say((e as ApiError).message, true);
    }
  }

  private async create(): Promise<void> {
    const body = accountBody({ username: this.username.value, displayName: this.displayName.value, password: this.password.value,
      role: this.role.value, station: this.station.value, department: this.department.value });
    try {
      await post("/accounts", body);
    } catch (e) {
      this.say((e as ApiError).message, true); // everything typed stays
      return;
    }
    this.say(ct("accCreated", { name: body.username }));
    for (const input of [this.username, this.displayName, this.password, this.department]) input.value = "";
    await this.load();
  }

  private showScope(): void {
    const scope = scopeOf(this.role.value);
    (this.station.parentElement as HTMLElement | null)?.toggleAttribute("hidden", scope !== "station");
    (this.department.parentElement as HTMLElement | null)?.toggleAttribute("hidden", scope !== "department");
  }

  render(): void {
    const role = this.role.value || "dispatcher";
    this.role.replaceChildren(...ROLES.map((r) => h("option", { value: r }, ct(`role_${r}` as "role_dispatcher"))));
    this.role.value = role;
    const station = this.station.value;
    this.station.replaceChildren(
      ...this.stations.flat().map(({ node, depth }) => h("option", { value: node.code }, `${"\u3000".repeat(depth)}${this.stations.name(node.code)}`)),
    );
    if (station) this.station.value = station;
    const field = (label: string, input: HTMLElement) => h("label", { class: "c-field" }, h("span", {}, label), input);
    const form = h(
      "form",
      { class: "c-audit-filters", "data-testid": "acc-form" },
      field(ct("accUsername"), this.username),
      field(ct("accDisplayName"), this.displayName),
      field(ct("accPassword"), this.password),
      field(ct("accRole"), this.role),
      field(ct("accStation"), this.station),
      field(ct("accDepartment"), this.department),
      h("button", { class: "btn-primary c-btn-sm", type: "submit", "data-testid": "acc-create" }, ct("accCreate")),
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      void this.create();
    });
    const head = ["accUsername", "accDisplayName", "accRole", "accScope", "accState", "accLastLogin"] as const;
    this.el.replaceChildren(
      h("h2", { class: "c-heading" }, ct("accountsHeading")),
      form,
      this.status,
      h("table", { class: "c-audit-table" }, h("thead", {}, h("tr", {}, ...head.map((k) => h("th", {}, ct(k))), h("th", {}))), this.rows),
    );
    this.showScope();
    this.drawRows();
  }

  destroy(): void {
    this.el.remove();
  }
}
