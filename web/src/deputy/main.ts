/**
 * The deputy's phone page 民情直通车, served by the hub at /deputy (issue 13).
 *
 * - First time: opened from the invitation link as /deputy#token=<join token>
 *   (the station page's link for a deputy), it asks for the phone number and a
 *   password and sets up the account (POST /api/deputy/setup), which logs in.
 * - Then: a normal login by phone number (POST /api/auth/login, HttpOnly cookie).
 * - Home, four tabs: 采集民情 (the live drawer's capture panel and offline queue,
 *   ../opinions/capture, at any time, within the deputy's town, naming the
 *   resident); 我的民情 (each item's timeline, the department's answer, the
 *   满意/基本满意/不满意 rating: 不满意 reopens it); 我的履职 (points and records);
 *   我的会议 (invited sessions, a join button when the lobby is open).
 * Every form keeps what was typed when the hub refuses it and shows the
 * hub's reason in the page's language.
 */
import "../common/styles.css";
import "../common/phone.css";
import { getLang, onLangChange } from "../common/i18n";
import { h } from "../common/dom";
import { ApiError, get, post, qs, setApiToken } from "../common/api";
import { alertBox, frame, shortTime as fmt, showError, topBar } from "../common/phone-shell";
import { signOut, signedOut, whoAmI } from "../common/signin";
import { Stations } from "../common/stations";
import type { Account, Items, Session } from "../common/types";
import { mountCapturePanel, type CapturePanel } from "../opinions/capture";
import { otMaybe } from "../opinions/strings";
import type { DutyRecord, OpinionDetail, OpinionList, OpinionOptions, Rating } from "../opinions/types";
import { departmentName } from "../opinions/util";
import { dt, dtMaybe } from "./strings";

interface Home {
  deputyId: number; name: string; level: string; station: string; group: string; phone: string | null;
  pointsYear: number; pointsTotal: number; pendingRecords: number; opinions: Record<string, number>;
  openItems: number; awaitingRating: number;
}

type Tab = "capture" | "items" | "duty" | "sessions";
const TABS: Tab[] = ["capture", "items", "duty", "sessions"];
const TAB_LABEL = { capture: "tabCapture", items: "tabItems", duty: "tabDuty", sessions: "tabSessions" } as const;

const root = document.getElementById("deputy")!;
let account: Account | null = null;
let stations: Stations | null = null;
let screen: "loading" | "login" | "setup" | "notDeputy" | "error" | "home" = "loading";
let errorMessage = "";
let tab: Tab = "capture";
let capture: CapturePanel | null = null;
const captureHost = h("div", { class: "dp-capture" });
const content = h("div", { class: "dp-content" });

function setupToken(): string | null {
  const m = /(?:^#|&)token=([^&]+)/.exec(window.location.hash);
  return m ? decodeURIComponent(m[1]) : null;
}

// --- screens -----------------------------------------------------------------------------

function topbar(): HTMLElement {
  const signedIn = account && screen === "home";
  return topBar({ title: dt("appTitle"), langLabel: dt("lang"), signOut: signedIn ? { label: dt("logout"), onClick: () => void logout() } : undefined });
}

function loginForm(): HTMLElement {
  const phone = h("input", { class: "c-input", name: "username", type: "tel", inputmode: "tel", autocomplete: "username", "data-testid": "login-username" });
  const pass = h("input", { class: "c-input", name: "password", type: "password", autocomplete: "current-password", "data-testid": "login-password" });
  const error = alertBox("login-error");
  const button = h("button", { class: "btn-primary dp-block", type: "submit", "data-testid": "login-submit" }, dt("login"));
  const form = h("form", { class: "dp-card", novalidate: true },
    h("h1", { class: "dp-heading" }, dt("loginHeading")), h("p", { class: "dp-muted" }, dt("loginHint")),
    h("label", { class: "dp-field" }, h("span", {}, dt("phone")), phone),
    h("label", { class: "dp-field" }, h("span", {}, dt("password")), pass), error, button);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    if (!phone.value.trim() || !pass.value) {
      error.textContent = phone.value.trim() ? dt("needPassword") : dt("needPhone");
      error.hidden = false;
      return;
    }
    button.disabled = true;
    button.textContent = dt("loggingIn");
    void post<{ account: Account }>("/auth/login", { username: phone.value.replace(/[\s-]/g, ""), password: pass.value })
      .then((out) => enter(out.account))
      .catch((e) => {
        showError(error, e);
        pass.select();
      })
      .finally(() => {
        button.disabled = false;
        button.textContent = dt("login");
      });
  });
  return form;
}

function setupForm(token: string): HTMLElement {
  const phone = h("input", { class: "c-input", type: "tel", inputmode: "tel", autocomplete: "tel", "data-testid": "setup-phone" });
  const pass = h("input", { class: "c-input", type: "password", autocomplete: "new-password", "data-testid": "setup-password" });
  const again = h("input", { class: "c-input", type: "password", autocomplete: "new-password", "data-testid": "setup-password2" });
  const error = alertBox("setup-error");
  const button = h("button", { class: "btn-primary dp-block", type: "submit", "data-testid": "setup-submit" }, dt("setupSubmit"));
  const form = h("form", { class: "dp-card", novalidate: true },
    h("h1", { class: "dp-heading" }, dt("setupHeading")), h("p", { class: "dp-muted" }, dt("setupHint")),
    h("label", { class: "dp-field" }, h("span", {}, dt("phone")), phone),
    h("label", { class: "dp-field" }, h("span", {}, dt("password")), pass),
    h("label", { class: "dp-field" }, h("span", {}, dt("passwordAgain")), again), error, button);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const local = !phone.value.trim() ? dt("needPhone") : !pass.value ? dt("needPassword") : pass.value !== again.value ? dt("passwordsDiffer") : "";
    if (local) {
      error.textContent = local;
      error.dataset.code = "local";
      error.hidden = false;
      return;
    }
    button.disabled = true;
    button.textContent = dt("setupBusy");
    setApiToken(token);
    void post<{ account: Account }>("/deputy/setup", { phone: phone.value.trim(), password: pass.value })
      .then((out) => {
        setApiToken(null); // the login cookie from now on
        history.replaceState(null, "", window.location.pathname + window.location.search);
        return enter(out.account);
      })
      .catch((e) => showError(error, e))
      .finally(() => {
        setApiToken(null);
        button.disabled = false;
        button.textContent = dt("setupSubmit");
      });
  });
  return form;
}

function paint(): void {
  document.title = dt("appTitle");
  document.body.dataset.screen = screen;
  let main: HTMLElement;
  if (screen === "login") main = loginForm();
  else if (screen === "setup") main = setupForm(setupToken() ?? "");
  else if (screen === "notDeputy") {
    main = h("div", { class: "dp-card", "data-testid": "not-deputy" }, h("p", {}, dt("notDeputy")), h("a", { class: "btn-primary dp-block", href: "/console" }, dt("toConsole")));
  } else if (screen === "error") {
    const retry = h("button", { type: "button", class: "btn-primary" }, dt("retry"));
    retry.addEventListener("click", () => void boot());
    main = h("div", { class: "dp-card" }, h("p", { "data-testid": "deputy-error" }, errorMessage), retry);
  } else if (screen === "home") {
    const nav = h("nav", { class: "dp-tabs", role: "tablist" });
    for (const t of TABS) {
      const b = h("button", { type: "button", class: "dp-tab", role: "tab", "aria-selected": String(t === tab), "data-testid": `tab-${t}` }, dt(TAB_LABEL[t]));
      b.addEventListener("click", () => switchTab(t));
      nav.append(b);
    }
    main = h("div", { class: "dp-home" }, nav, captureHost, content);
    captureHost.hidden = tab !== "capture";
    content.hidden = tab === "capture";
  } else {
    main = h("p", { class: "dp-muted dp-pad" }, dt("loading"));
  }
  frame(root, topbar(), main);
}

function switchTab(t: Tab): void {
  tab = t;
  paint();
  if (t !== "capture") void loadTab();
}

async function enter(a: Account): Promise<void> {
  account = a;
  if (a.role !== "deputy") {
    screen = "notDeputy";
    paint();
    return;
  }
  try {
    stations = stations ?? (await Stations.load());
  } catch (e) {
    screen = "error";
    errorMessage = (e as ApiError).message;
    paint();
    return;
  }
  screen = "home";
  if (!capture) capture = mountCapturePanel(captureHost, { stationRoot: townOf(a.station), residentToo: true });
  paint();
  if (tab !== "capture") void loadTab();
}

/** The deputy's town (the town or street station at or above its own): where it may capture. */
function townOf(code: string | null): string | null {
  if (!code || !stations) return code;
  for (let c: string | undefined = code; c; c = stations.parent.get(c)) if (stations.byCode.get(c)?.level === "town") return c;
  return code;
}

async function logout(): Promise<void> {
  await signOut();
  capture?.destroy();
  capture = null;
  account = null;
  screen = "login";
  paint();
}

// --- tabs --------------------------------------------------------------------------------------

async function loadTab(): Promise<void> {
  const which = tab;
  content.replaceChildren(h("p", { class: "dp-muted" }, dt("loading")));
  try {
    const el = which === "items" ? await itemsView() : which === "duty" ? await dutyView() : await sessionsView();
    if (tab === which) content.replaceChildren(el);
  } catch (e) {
    if (tab === which) content.replaceChildren(h("div", { class: "notice", "data-tone": "error", role: "alert" }, (e as ApiError).message));
  }
}

function badge(status: string): HTMLElement {
  return h("span", { class: "dp-badge", "data-status": status }, otMaybe(`st_${status}`, status));
}

async function itemsView(): Promise<HTMLElement> {
  const [home, list] = await Promise.all([get<Home>("/me/deputy"), get<OpinionList>(`/opinions${qs({ limit: 100 })}`)]);
  const head = h("div", { class: "dp-summary" },
    h("span", { "data-testid": "items-open" }, dt("openItems", { n: home.openItems })),
    home.awaitingRating ? h("span", { class: "dp-attention", "data-testid": "items-awaiting" }, dt("awaitingRating", { n: home.awaitingRating })) : null);
  const ul = h("ul", { class: "dp-list", "data-testid": "items-list" });
  for (const o of list.items) {
    const li = h("li", { class: "dp-item", "data-testid": "item", "data-id": String(o.id), "data-status": o.status, tabindex: 0 },
      h("div", { class: "dp-item-top" }, h("span", { class: "dp-ref" }, o.reference), badge(o.status)),
      h("div", { class: "dp-item-summary" }, o.summary),
      h("div", { class: "dp-muted" }, `${o.stationName} · ${fmt(o.receivedAt)}`));
    li.addEventListener("click", () => void openItem(o.id));
    ul.append(li);
  }
  return h("div", {}, head, list.items.length ? ul : h("p", { class: "dp-muted" }, dt("itemsEmpty")));
}

let options: OpinionOptions | null = null;

async function openItem(id: number, note = ""): Promise<void> {
  const [o, opts] = await Promise.all([get<OpinionDetail>(`/opinions/${id}`), options ? Promise.resolve(options) : get<OpinionOptions>("/opinion-options")]);
  options = opts;
  const back = h("button", { type: "button", class: "op-btn op-btn-sm", "data-testid": "item-back" }, dt("back"));
  back.addEventListener("click", () => void loadTab());
  const answers = o.timeline.filter((e) => e.action === "answer");
  const last = answers[answers.length - 1];
  const answerBox = last
    ? h("div", { class: "dp-answer", "data-testid": "item-answer" },
        h("div", { class: "dp-label" }, dt("answer")),
        h("p", {}, String(last.payload?.answer ?? "")),
        h("div", { class: "dp-muted" }, `${dt("grade")}: ${String(last.payload?.grade ?? "")} · ${fmt(last.at)}`))
    : h("p", { class: "dp-muted", "data-testid": "item-answer" }, dt("noAnswer"));
  const timeline = h("ol", { class: "dp-timeline", "data-testid": "item-timeline" });
  for (const e of o.timeline) {
    timeline.append(h("li", { "data-action": e.action },
      h("span", { class: "dp-when" }, fmt(e.at)), h("span", {}, ` ${otMaybe(`ac_${e.action}`, e.action)} → ${otMaybe(`st_${e.toStatus}`, e.toStatus)}`),
      e.note ? h("div", { class: "dp-muted" }, e.note) : null));
  }
  const parts: (HTMLElement | null)[] = [
    h("div", { class: "dp-item-top" }, back, h("span", { class: "dp-ref" }, o.reference), badge(o.status)),
    h("h2", { class: "dp-item-title", "data-testid": "item-summary" }, o.summary),
    o.details ? h("p", {}, o.details) : null,
    o.residentName ? h("p", { class: "dp-muted" }, `${dt("resident")}: ${o.residentName}`) : null,
    o.department ? h("p", { class: "dp-muted" }, `${dt("department")}: ${departmentName(options, o.department)}${o.deadline ? ` · ${dt("deadline")} ${fmt(o.deadline)}` : ""}${o.overdue ? ` · ${dt("overdue")}` : ""}`) : null,
    answerBox,
    o.allowedActions.includes("rate") ? rateBox(o) : o.rating ? h("p", { "data-testid": "item-rated" }, dt("rated", { rating: otMaybe(`rt_${o.rating}`, o.rating) })) : null,
    note ? h("div", { class: "notice", "data-tone": "ok", "data-testid": "item-note", role: "status" }, note) : null,
    h("h3", { class: "dp-label" }, dt("timeline")),
    timeline,
  ];
  content.replaceChildren(h("article", { class: "dp-detail", "data-testid": "item-detail", "data-status": o.status }, ...parts.filter((x): x is HTMLElement => x != null)));
}

function rateBox(o: OpinionDetail): HTMLElement {
  const remark = h("textarea", { class: "c-input", rows: 2, maxlength: 2000, "data-testid": "rate-note", placeholder: dt("rateNote") });
  const error = alertBox("rate-error");
  const row = h("div", { class: "dp-rate-row" });
  for (const rating of ["satisfied", "basic", "unsatisfied"] as Rating[]) {
    const b = h("button", { type: "button", class: rating === "unsatisfied" ? "op-btn dp-bad" : "op-btn", "data-testid": `rate-${rating}` }, otMaybe(`rt_${rating}`, rating));
    b.addEventListener("click", () => {
      for (const x of row.querySelectorAll("button")) x.disabled = true;
      void post<OpinionDetail>(`/opinions/${o.id}/actions`, { action: "rate", rating, note: remark.value.trim(), version: o.version })
        .then((done) => openItem(done.id, done.status === "reopened" ? dt("reopenedNote") : ""))
        .catch((e) => {
          showError(error, e); // the remark stays as typed
          for (const x of row.querySelectorAll("button")) x.disabled = false;
        });
    });
    row.append(b);
  }
  return h("section", { class: "dp-rate", "data-testid": "rate-box" }, h("div", { class: "dp-label" }, dt("rateHeading")), row, remark, error);
}

async function dutyView(): Promise<HTMLElement> {
  const [home, records] = await Promise.all([get<Home>("/me/deputy"), get<Items<DutyRecord>>(`/duty/records${qs({ limit: 100 })}`)]);
  const head = h("div", { class: "dp-points" },
    h("div", {}, h("div", { class: "dp-big", "data-testid": "points-year" }, String(home.pointsYear)), h("div", { class: "dp-muted" }, dt("pointsYear"))),
    h("div", {}, h("div", { class: "dp-big", "data-testid": "points-total" }, String(home.pointsTotal)), h("div", { class: "dp-muted" }, dt("pointsTotal"))),
    home.pendingRecords ? h("div", { class: "dp-muted" }, dt("pendingRecords", { n: home.pendingRecords })) : null);
  const ul = h("ul", { class: "dp-list", "data-testid": "duty-list" });
  for (const r of records.items) {
    ul.append(h("li", { class: "dp-item", "data-testid": "duty-record", "data-kind": r.kind },
      h("div", { class: "dp-item-top" }, h("span", {}, r.kindName), h("span", { class: "dp-points-cell" }, `${r.points > 0 ? "+" : ""}${r.points}`)),
      h("div", { class: "dp-muted" }, `${r.occasion} · ${fmt(r.occurredAt)} · ${dtMaybe(`status_${r.status}`, r.status)}`)));
  }
  return h("div", {}, head, records.items.length ? ul : h("p", { class: "dp-muted" }, dt("dutyEmpty")));
}

async function sessionsView(): Promise<HTMLElement> {
  const list = await get<Items<Session>>(`/me/sessions${qs({ days: 30 })}`);
  const ul = h("ul", { class: "dp-list", "data-testid": "sessions-list" });
  for (const s of list.items.filter((x) => !x.standing)) {
    const state = s.nextOccurrence?.state ?? s.state;
    const open = state === "lobby" || state === "live";
    const join = open ? h("button", { type: "button", class: "btn-primary", "data-testid": "session-join" }, dt("join")) : null;
    const error = alertBox("session-error");
    join?.addEventListener("click", () => {
      join.disabled = true;
      join.textContent = dt("joining");
      void get<{ url: string }>(`/me/sessions/${s.id}/deputy-link`)
        .then((link) => window.location.assign(link.url))
        .catch((e) => {
          showError(error, e);
          join.disabled = false;
          join.textContent = dt("join");
        });
    });
    ul.append(h("li", { class: "dp-item", "data-testid": "session", "data-id": String(s.id), "data-state": state },
      h("div", { class: "dp-item-top" }, h("strong", {}, getLang() === "en" && s.titleEn ? s.titleEn : s.title), h("span", { class: "dp-badge" }, dtMaybe(`state_${state}`, state))),
      h("div", { class: "dp-muted" }, s.nextOccurrence ? fmt(s.nextOccurrence.start) : ""), join, error));
  }
  return ul.childElementCount ? ul : h("p", { class: "dp-muted", "data-testid": "sessions-empty" }, dt("sessionsEmpty"));
}

// --- start -----------------------------------------------------------------------------------

async function boot(): Promise<void> {
  screen = "loading";
  paint();
  try {
    await enter(await whoAmI());
  } catch (e) {
    if (signedOut(e)) {
      screen = setupToken() ? "setup" : "login";
    } else {
      screen = "error";
      errorMessage = (e as ApiError).message;
    }
    paint();
  }
}

onLangChange(() => {
  paint();
  if (screen === "home" && tab !== "capture") void loadTab();
});

declare global {
  interface Window {
    deputyApp: { account: () => Account | null };
  }
}
window.deputyApp = { account: () => account };

void boot();
