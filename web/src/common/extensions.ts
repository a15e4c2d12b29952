/** Extension requests 延期申请 (issue 13), shared by the department's page and the console's
 * opinion sheet: the department asks for a later deadline with the reason
 * (POST /api/opinions/{id}/extension-requests); the town's dispatcher approves or refuses
 * with a reason (POST /api/extension-requests/{id}/decision); only an approval moves the
 * deadline. Strings zh-CN first and English. */
import { ApiError, get, post, qs } from "./api";
import { getLang } from "./i18n";
import { h } from "./dom";

export interface ExtensionRequest {
  id: number;
  opinionId: number;
  department: string;
  departmentName: string;
  currentDeadline: string | null;
  requestedDeadline: string;
  reason: string;
  status: "pending" | "approved" | "refused";
  requestedAt: string;
  decidedAt: string | null;
  decisionReason: string;
}

const zh = {
  heading: "延期申请",
  ask: "申请延期",
  askTo: "延期至",
  askReason: "延期理由（必填）",
  askSend: "提交申请",
  askSent: "延期申请已提交，待调度员批准后生效。",
  needDate: "请选择延期后的日期",
  needReason: "请填写理由",
  requested: "申请延期至 {to}：{reason}",
  st_pending: "待批准",
  st_approved: "已批准",
  st_refused: "未批准",
  decision: "审批意见：{reason}",
  approve: "批准延期",
  refuse: "不批准",
  refuseReason: "不批准的理由（必填）",
  approveNote: "审批意见（可选）",
  none: "没有延期申请。",
};

const en: typeof zh = {
  heading: "Extension requests",
  ask: "Ask for more time",
  askTo: "New deadline",
  askReason: "Why more time is needed (required)",
  askSend: "Send the request",
  askSent: "The request was sent; the deadline moves once a dispatcher approves it.",
  needDate: "Choose the new date",
  needReason: "Give the reason",
  requested: "Asked for {to}: {reason}",
  st_pending: "Pending",
  st_approved: "Approved",
  st_refused: "Refused",
  decision: "Decision: {reason}",
  approve: "Approve",
  refuse: "Refuse",
  refuseReason: "Why it is refused (required)",
  approveNote: "Remark (optional)",
  none: "No extension requests.",
};

type Key = keyof typeof zh;

/** Both languages' tables (web/test/i18n.test.ts checks they hold the same keys). */
export const dicts = { "zh-CN": zh, en };

export function xt(key: Key, vars?: Record<string, string | number>): string {
  let s = (getLang() === "en" ? en[key] : zh[key]) ?? zh[key];
  if (vars) for (const [k, v] of Object.entries(vars)) s = s.split(`{${k}}`).join(String(v));
  return s;
}

function day(t: string): string {
  return new Date(t).toLocaleDateString(getLang() === "en" ? "en-GB" : "zh-CN", { timeZone: "Asia/Shanghai" });
}

function errorBox(): HTMLElement {
  return h("div", { class: "notice", "data-tone": "error", role: "alert", hidden: true, "data-testid": "extension-error" });
}

function fail(el: HTMLElement, message: string): void {
  el.textContent = message;
  el.hidden = false;
}

function row(r: ExtensionRequest, extra: HTMLElement | null = null): HTMLElement {
  return h("li", { class: "x-request", "data-testid": "extension-request", "data-id": String(r.id), "data-status": r.status },
    h("div", {}, h("strong", {}, xt(`st_${r.status}`)), " ", xt("requested", { to: day(r.requestedDeadline), reason: r.reason })),
    r.decisionReason ? h("div", { class: "dp-muted" }, xt("decision", { reason: r.decisionReason })) : null, extra);
}

/** The department's side: its requests for the item and, while it is in progress with none
 * pending, the form to ask (what was typed stays when the hub refuses). */
export async function departmentExtensions(opinionId: number, inProgress: boolean, onSent: () => void): Promise<HTMLElement> {
  const items = (await get<{ items: ExtensionRequest[] }>(`/extension-requests${qs({ opinionId })}`)).items;
  const box = h("section", { class: "dp-rate", "data-testid": "extensions" }, h("div", { class: "dp-label" }, xt("heading")));
  if (items.length) box.append(h("ul", { class: "dp-list" }, ...items.map((r) => row(r))));
  if (!inProgress || items.some((r) => r.status === "pending")) return box;
  const date = h("input", { class: "c-input", type: "date", "data-testid": "extension-date" });
  const note = h("textarea", { class: "c-input", rows: 3, maxlength: 2000, "data-testid": "extension-note" });
  const error = errorBox();
  const send = h("button", { type: "button", class: "btn-primary dp-block", "data-testid": "extension-send" }, xt("askSend"));
  const form = h("div", { class: "dp-card", hidden: true, "data-testid": "extension-form" },
    h("label", { class: "dp-field" }, h("span", {}, xt("askTo")), date),
    h("label", { class: "dp-field" }, h("span", {}, xt("askReason")), note), error, send);
  const ask = h("button", { type: "button", class: "op-btn", "data-testid": "dept-extend" }, xt("ask"));
  ask.addEventListener("click", () => (form.hidden = false));
  send.addEventListener("click", () => {
    if (!date.value) return fail(error, xt("needDate"));
    if (!note.value.trim()) return fail(error, xt("needReason"));
    send.disabled = true;
    void post(`/opinions/${opinionId}/extension-requests`, { deadline: `${date.value}T23:59:59+08:00`, note: note.value.trim() })
      .then(() => onSent())
      .catch((e) => fail(error, (e as ApiError).message))
      .finally(() => (send.disabled = false));
  });
  box.append(ask, form);
  return box;
}

/** The console's side (dispatchers, administrators): the item's requests, and for a pending
 * one the approve / refuse form. */
export async function staffExtensions(opinionId: number, onDecided: () => void): Promise<HTMLElement | null> {
  const items = (await get<{ items: ExtensionRequest[] }>(`/extension-requests${qs({ opinionId })}`)).items;
  if (!items.length) return null;
  const list = h("ul", { class: "op-list" });
  for (const r of items) {
    if (r.status !== "pending") {
      list.append(row(r));
      continue;
    }
    const reason = h("textarea", { class: "c-input", rows: 2, maxlength: 2000, "data-testid": "extension-reason", placeholder: xt("refuseReason") });
    const error = errorBox();
    const approve = h("button", { type: "button", class: "op-btn op-btn-primary", "data-testid": "extension-approve" }, xt("approve"));
    const refuse = h("button", { type: "button", class: "op-btn op-btn-danger", "data-testid": "extension-refuse" }, xt("refuse"));
    const decide = (yes: boolean): void => {
      if (!yes && !reason.value.trim()) return fail(error, xt("needReason"));
      approve.disabled = refuse.disabled = true;
      void post(`/extension-requests/${r.id}/decision`, { approve: yes, reason: reason.value.trim() })
        .then(() => onDecided())
        .catch((e) => fail(error, (e as ApiError).message))
        .finally(() => (approve.disabled = refuse.disabled = false));
    };
    approve.addEventListener("click", () => decide(true));
    refuse.addEventListener("click", () => decide(false));
    list.append(row(r, h("div", { class: "op-action-bar" }, reason, approve, refuse, error)));
  }
  return h("section", { class: "op-card", "data-testid": "extensions" }, h("h3", { class: "op-card-title" }, xt("heading")), list);
}
