/** The console's audit log viewer (审计日志, issue 13), #audit: who did what to which object
 * and when, newest first, filtered by actor, action, object and date over GET /api/audit
 * (administrators read everything, a dispatcher its subtree: the hub decides). Older pages
 * by beforeId. */
import { ApiError, get, qs } from "../common/api";
import { h, setText } from "../common/dom";
import { dateValue, isoOf, timeValue } from "../common/time";
import { ct } from "./strings";

export interface AuditEntry {
  id: number;
  at: string;
  actorName: string;
  actorRole: string;
  action: string;
  targetType: string;
  targetId: string;
}

export const TARGET_TYPES = ["session", "opinion", "account", "deputy", "station", "duty_record", "roster"];
const PAGE = 100;

/** The query of the filters as typed: blank fields are left out; a date is a whole Shanghai day
 * (to: the day after the one chosen). */
export function auditQuery(f: { actor: string; action: string; targetType: string; targetId: string; from: string; to: string }): Record<string, string> {
  const out: Record<string, string> = {};
  if (f.actor.trim()) out.actor = f.actor.trim();
  if (f.action.trim()) out.action = f.action.trim();
  if (f.targetType) out.targetType = f.targetType;
  if (f.targetId.trim()) out.targetId = f.targetId.trim();
  const from = isoOf(f.from, "00:00");
  if (from) out.from = from;
  if (isoOf(f.to, "00:00")) {
    const next = new Date(`${f.to}T00:00:00+08:00`);
    next.setUTCDate(next.getUTCDate() + 1);
    out.to = isoOf(dateValue(next), "00:00")!;
  }
  return out;
}

export class AuditView {
  readonly el = h("section", { class: "c-audit", "data-testid": "audit" });
  private readonly actor = h("input", { class: "c-input", "data-testid": "audit-actor", maxlength: 64 });
  private readonly action = h("input", { class: "c-input", "data-testid": "audit-action", maxlength: 64, placeholder: "session.create" });
  private readonly targetType = h("select", { class: "c-input", "data-testid": "audit-target-type" });
  private readonly targetId = h("input", { class: "c-input", "data-testid": "audit-target-id", maxlength: 64 });
  private readonly from = h("input", { class: "c-input", type: "date", "data-testid": "audit-from" });
  private readonly to = h("input", { class: "c-input", type: "date", "data-testid": "audit-to" });
  private readonly rows = h("tbody", { "data-testid": "audit-rows" });
  private readonly status = h("p", { class: "c-muted", "data-testid": "audit-status", role: "status" });
  private readonly more = h("button", { class: "c-btn c-btn-sm", type: "button", "data-testid": "audit-more", hidden: true });
  private entries: AuditEntry[] = [];
  private done = false;

  constructor() {
    this.more.addEventListener("click", () => void this.load(true));
    this.render();
    void this.load();
  }

  private filters(): Record<string, string> {
    return auditQuery({ actor: this.actor.value, action: this.action.value, targetType: this.targetType.value,
      targetId: this.targetId.value, from: this.from.value, to: this.to.value });
  }

  async load(older = false): Promise<void> {
    const params: Record<string, string | number> = { ...this.filters(), limit: PAGE };
    const last = this.entries[this.entries.length - 1];
    if (older && last) params.beforeId = last.id;
    setText(this.status, ct("loading"));
    try {
      const page = (await get<{ items: AuditEntry[] }>(`/audit${qs(params)}`)).items;
      this.entries = older ? [...this.entries, ...page] : page;
      this.done = page.length < PAGE;
      setText(this.status, this.entries.length ? "" : ct("auditEmpty"));
    } catch (e) {
      setText(this.status, (e as ApiError).message);
    }
    this.drawRows();
  }

  private drawRows(): void {
    this.rows.replaceChildren(
      ...this.entries.map((e) =>
        h(
          "tr",
          { "data-testid": "audit-row", "data-id": e.id, "data-action": e.action },
          h("td", {}, `${dateValue(e.at)} ${timeValue(e.at)}`),
          h("td", {}, e.actorName || "—", e.actorRole ? h("span", { class: "c-muted" }, ` · ${e.actorRole}`) : null),
          h("td", {}, e.action),
          h("td", {}, `${e.targetType} #${e.targetId}`),
        ),
      ),
    );
    this.more.hidden = this.done || !this.entries.length;
  }

  render(): void {
    const chosen = this.targetType.value;
    this.targetType.replaceChildren(
      h("option", { value: "" }, ct("auditAny")),
      ...TARGET_TYPES.map((t) => h("option", { value: t }, t)),
    );
    this.targetType.value = chosen;
    setText(this.more, ct("auditMore"));
    const field = (label: string, input: HTMLElement) => h("label", { class: "c-field" }, h("span", {}, label), input);
    const form = h(
      "form",
      { class: "c-audit-filters", "data-testid": "audit-filters" },
      field(ct("auditActor"), this.actor),
      field(ct("auditAction"), this.action),
      field(ct("auditTargetType"), this.targetType),
      field(ct("auditTargetId"), this.targetId),
      field(ct("auditFrom"), this.from),
      field(ct("auditTo"), this.to),
      h("button", { class: "btn-primary c-btn-sm", type: "submit", "data-testid": "audit-search" }, ct("auditSearch")),
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      void this.load();
    });
    this.el.replaceChildren(
      h("h2", { class: "c-heading" }, ct("auditHeading")),
      form,
      h(
        "table",
        { class: "c-audit-table" },
        h("thead", {}, h("tr", {}, ...["auditAt", "auditWho", "auditWhat", "auditObject"].map((k) => h("th", {}, ct(k as "auditAt"))))),
        this.rows,
      ),
      this.status,
      this.more,
    );
  }

  destroy(): void {
    this.el.remove();
  }
}
