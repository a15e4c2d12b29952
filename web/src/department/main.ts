/**
 * The department's page (承办单位), served by the hub at /department (issue 13).
 *
 * A department account logs in (POST /api/auth/login) and sees the opinions
 * assigned to it, overdue first, each with its deadline in working days
 * (GET /api/department/items). On one it accepts (start), returns it (退回,
 * with the reason), asks for more time (extend: a later deadline and the
 * reason) or answers (grade and text, photos attached with
 * PUT /api/opinions/{id}/photos/{n}), all through POST /api/opinions/{id}/actions:
 * the step lands in the timeline the dispatcher and the deputy read.
 * Every form keeps what was typed when the hub refuses it and shows the hub's
 * reason in the page's language.
 */
import "../common/styles.css";
import "../common/phone.css";
import { onLangChange } from "../common/i18n";
import { h } from "../common/dom";
import { ApiError, apiHeaders, get, post, qs, readResponse } from "../common/api";
import { alertBox, frame, localError, shortTime as fmt, showError, topBar } from "../common/phone-shell";
import { signOut, signedOut, whoAmI } from "../common/signin";
import type { Account } from "../common/types";
import { dataUrlBlob } from "../common/blob";
import { resizePhoto } from "../opinions/capture";
import { otMaybe } from "../opinions/strings";
import type { Opinion, OpinionDetail, Photo } from "../opinions/types";
import { pt, ptMaybe } from "./strings";

interface Item extends Opinion { workingDaysLeft: number | null }
interface Items { department: string; departmentName: string; items: Item[] }

const root = document.getElementById("department")!;
let account: Account | null = null;
let screen: "loading" | "login" | "wrongRole" | "error" | "home" = "loading";
let errorMessage = "";
let showDone = false;
const content = h("div", { class: "dp-content" });

function due(o: Item): string {
  if (o.workingDaysLeft == null) return o.deadline ? "" : pt("noDeadline");
  if (o.workingDaysLeft < 0) return pt("overdueBy", { n: -o.workingDaysLeft });
  return o.workingDaysLeft === 0 ? pt("dueToday") : pt("daysLeft", { n: o.workingDaysLeft });
}

// --- screens -----------------------------------------------------------------------------

function topbar(): HTMLElement {
  const signedIn = screen === "home";
  return topBar({ title: pt("appTitle"), langLabel: pt("lang"), signOut: signedIn ? { label: pt("logout"), onClick: () => void logout() } : undefined });
}

function loginForm(): HTMLElement {
  const user = h("input", { class: "c-input", name: "username", autocomplete: "username", autocapitalize: "off", "data-testid": "login-username" });
  const pass = h("input", { class: "c-input", name: "password", type: "password", autocomplete: "current-password", "data-testid": "login-password" });
  const error = alertBox("login-error");
  const button = h("button", { class: "btn-primary dp-block", type: "submit", "data-testid": "login-submit" }, pt("login"));
  const form = h("form", { class: "dp-card", novalidate: true },
    h("h1", { class: "dp-heading" }, pt("loginHeading")), h("p", { class: "dp-muted" }, pt("loginHint")),
    h("label", { class: "dp-field" }, h("span", {}, pt("username")), user),
    h("label", { class: "dp-field" }, h("span", {}, pt("password")), pass), error, button);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    if (!user.value.trim() || !pass.value) return localError(error, pt("needLogin"));
    button.disabled = true;
    button.textContent = pt("loggingIn");
    void post<{ account: Account }>("/auth/login", { username: user.value.trim(), password: pass.value })
      .then((out) => enter(out.account))
      .catch((e) => showError(error, e))
      .finally(() => {
        button.disabled = false;
        button.textContent = pt("login");
      });
  });
  return form;
}

function paint(): void {
  document.title = pt("appTitle");
  document.body.dataset.screen = screen;
  let main: HTMLElement;
  if (screen === "login") main = loginForm();
  else if (screen === "wrongRole") main = h("div", { class: "dp-card", "data-testid": "not-department" }, h("p", {}, pt("notDepartment")));
  else if (screen === "error") {
    const retry = h("button", { type: "button", class: "btn-primary" }, pt("retry"));
    retry.addEventListener("click", () => void boot());
    main = h("div", { class: "dp-card" }, h("p", {}, errorMessage), retry);
  } else if (screen === "home") {
    const nav = h("nav", { class: "dp-tabs dp-tabs-2", role: "tablist" });
    for (const done of [false, true]) {
      const b = h("button", { type: "button", class: "dp-tab", role: "tab", "aria-selected": String(done === showDone), "data-testid": done ? "tab-done" : "tab-held" }, done ? pt("done") : pt("held"));
      b.addEventListener("click", () => {
        showDone = done;
        paint();
        void loadList();
      });
      nav.append(b);
    }
    main = h("div", { class: "dp-home" }, nav, content);
  } else main = h("p", { class: "dp-muted dp-pad" }, pt("loading"));
  frame(root, topbar(), main);
}

async function enter(a: Account): Promise<void> {
  account = a;
  screen = a.role === "department" ? "home" : "wrongRole";
  paint();
  if (screen === "home") await loadList();
}

async function logout(): Promise<void> {
  await signOut();
  account = null;
  screen = "login";
  paint();
}

// --- the list and one item ---------------------------------------------------------------------

async function loadList(): Promise<void> {
  content.replaceChildren(h("p", { class: "dp-muted" }, pt("loading")));
  try {
    const list = await get<Items>(`/department/items${qs({ done: showDone ? "true" : null })}`);
    const ul = h("ul", { class: "dp-list", "data-testid": "dept-items" });
    for (const o of list.items.filter((x) => showDone || x.status === "assigned" || x.status === "in_progress")) {
      const li = h("li", { class: "dp-item", tabindex: 0, "data-testid": "dept-item", "data-id": String(o.id), "data-status": o.status, "data-overdue": String(o.overdue) },
        h("div", { class: "dp-item-top" }, h("span", { class: "dp-ref" }, o.reference), h("span", { class: "dp-badge", "data-status": o.overdue ? "reopened" : o.status }, otMaybe(`st_${o.status}`, o.status))),
        h("div", { class: "dp-item-summary" }, o.summary),
        h("div", { class: o.overdue ? "dp-attention" : "dp-muted", "data-testid": "dept-item-due" }, `${o.stationName} · ${due(o)}`));
      li.addEventListener("click", () => void openItem(o.id));
      ul.append(li);
    }
    content.replaceChildren(h("h2", { class: "dp-label", "data-testid": "dept-name" }, list.departmentName),
      ul.childElementCount ? ul : h("p", { class: "dp-muted" }, pt("empty")));
  } catch (e) {
    content.replaceChildren(h("div", { class: "notice", "data-tone": "error", role: "alert" }, (e as ApiError).message));
  }
}

async function putPhoto(id: number, position: number, dataUrl: string): Promise<Photo> {
  const blob = dataUrlBlob(dataUrl);
  const res = await fetch(`/api/opinions/${id}/photos/${position}`, {
    method: "PUT", body: blob, headers: apiHeaders(null, { "Content-Type": blob.type || "image/jpeg" }), credentials: "same-origin",
  });
  return readResponse<Photo>(res);
}

async function openItem(id: number): Promise<void> {
  const o = await get<OpinionDetail>(`/opinions/${id}`);
  const back = h("button", { type: "button", class: "op-btn op-btn-sm", "data-testid": "item-back" }, pt("back"));
  back.addEventListener("click", () => void loadList());
  const timeline = h("ol", { class: "dp-timeline", "data-testid": "item-timeline" });
  for (const e of o.timeline) {
    timeline.append(h("li", { "data-action": e.action }, h("span", { class: "dp-when" }, fmt(e.at)),
      h("span", {}, ` ${otMaybe(`ac_${e.action}`, e.action)} → ${otMaybe(`st_${e.toStatus}`, e.toStatus)}`), e.note ? h("div", { class: "dp-muted" }, e.note) : null));
  }
  const raiser = o.raisedBy === "deputy" ? `${pt("deputy")} ${o.deputyName ?? ""}` : o.residentName;
  const parts: (HTMLElement | null)[] = [
    h("div", { class: "dp-item-top" }, back, h("span", { class: "dp-ref" }, o.reference), h("span", { class: "dp-badge", "data-status": o.status }, otMaybe(`st_${o.status}`, o.status))),
    h("h2", { class: "dp-item-title" }, o.summary),
    o.details ? h("p", {}, o.details) : null,
    h("p", { class: "dp-muted" }, `${pt("raisedBy")}: ${raiser} · ${o.stationName} · ${pt("received")} ${fmt(o.receivedAt)}`),
    o.deadline ? h("p", { class: o.overdue ? "dp-attention" : "dp-muted" }, `${pt("deadline")} ${fmt(o.deadline)}`) : null,
    actionsBox(o),
    h("h3", { class: "dp-label" }, pt("timeline")),
    timeline,
  ];
  content.replaceChildren(h("article", { class: "dp-detail", "data-testid": "item-detail", "data-status": o.status }, ...parts.filter((x): x is HTMLElement => x != null)));
}

/** The department's steps on `o`: the buttons the hub allows, each opening its little form. */
function actionsBox(o: OpinionDetail): HTMLElement | null {
  const allowed = o.allowedActions.filter((a) => a === "start" || a === "return" || a === "extend" || a === "answer");
  if (!allowed.length) return null;
  const box = h("section", { class: "dp-rate", "data-testid": "dept-actions" });
  const row = h("div", { class: "dp-rate-row" });
  const form = h("div", { class: "dp-step" });
  const label = { start: pt("accept"), return: pt("returnIt"), extend: pt("extend"), answer: pt("answer") } as const;
  for (const a of allowed) {
    const b = h("button", { type: "button", class: a === "return" ? "op-btn dp-bad" : "op-btn", "data-testid": `dept-${a}` }, label[a as keyof typeof label]);
    b.addEventListener("click", () => (a === "start" ? void step(o, { action: "start" }, alertBox("x")) : form.replaceChildren(stepForm(o, a))));
    row.append(b);
  }
  box.append(row, form);
  return box;
}

function stepForm(o: OpinionDetail, action: string): HTMLElement {
  const error = alertBox("step-error");
  const note = h("textarea", { class: "c-input", rows: 3, maxlength: 2000, "data-testid": "step-note" });
  const fields: HTMLElement[] = [];
  const date = h("input", { class: "c-input", type: "date", "data-testid": "step-deadline" });
  const grade = h("select", { class: "c-input", "data-testid": "step-grade" }, h("option", { value: "" }, "—"));
  const photos: string[] = [];
  const file = h("input", { type: "file", accept: "image/*", multiple: true, "data-testid": "step-file" });
  const count = h("span", { class: "dp-muted", "data-testid": "step-photos", "data-count": "0" });
  if (action === "return") fields.push(h("label", { class: "dp-field" }, h("span", {}, pt("returnReason")), note));
  if (action === "extend") {
    fields.push(h("label", { class: "dp-field" }, h("span", {}, pt("extendTo")), date), h("label", { class: "dp-field" }, h("span", {}, pt("extendReason")), note));
  }
  if (action === "answer") {
    for (const g of ["A", "B", "C", "D"]) grade.append(h("option", { value: g }, ptMaybe(`grade_${g}`, g)));
    file.addEventListener("change", () => {
      void (async () => {
        for (const f of [...(file.files ?? [])].slice(0, 6)) photos.push(await resizePhoto(f));
        count.dataset.count = String(photos.length);
        count.textContent = `${photos.length}`;
      })();
    });
    fields.push(grade, h("label", { class: "dp-field" }, h("span", {}, pt("answerText")), note),
      h("label", { class: "dp-field" }, h("span", {}, pt("attachments")), file, count));
  }
  const ok = h("button", { type: "button", class: "btn-primary dp-block", "data-testid": "step-confirm" }, pt("confirm"));
  ok.addEventListener("click", () => {
    const text = note.value.trim();
    if ((action === "return" || action === "extend") && !text) return localError(error, pt("needReason"));
    if (action === "extend" && !date.value) return localError(error, pt("needDate"));
    if (action === "answer" && (!grade.value || !text)) return localError(error, pt("needAnswer"));
    const body: Record<string, unknown> = { action, note: action === "answer" ? "" : text, version: o.version };
    if (action === "extend") body.deadline = `${date.value}T23:59:59+08:00`;
    if (action === "answer") Object.assign(body, { grade: grade.value, answer: text });
    ok.disabled = true;
    void (async () => {
      try {
        if (action === "answer") {
          const base = o.photos.reduce((m, p) => Math.max(m, p.position + 1), 0);
          for (const [i, url] of photos.entries()) await putPhoto(o.id, base + i, url);
        }
        await step(o, body, error);
      } catch (e) {
        showError(error, e); // what was typed stays
      } finally {
        ok.disabled = false;
      }
    })();
  });
  return h("div", { class: "dp-card", "data-testid": `step-${action}` }, ...fields, error, ok);
}

async function step(o: OpinionDetail, body: Record<string, unknown>, error: HTMLElement): Promise<void> {
  try {
    await post<OpinionDetail>(`/opinions/${o.id}/actions`, body);
    await openItem(o.id);
  } catch (e) {
    showError(error, e);
    if (!error.isConnected) content.prepend(error);
  }
}

async function boot(): Promise<void> {
  screen = "loading";
  paint();
  try {
    await enter(await whoAmI());
  } catch (e) {
    screen = signedOut(e) ? "login" : "error";
    errorMessage = (e as ApiError).message;
    paint();
  }
}

onLangChange(() => {
  paint();
  if (screen === "home") void loadList();
});

declare global {
  interface Window {
    departmentApp: { account: () => Account | null };
  }
}
window.departmentApp = { account: () => account };

void boot();
