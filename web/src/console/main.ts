/**
 * The console for dispatchers and station operators, served by the hub at
 * /console. Signs in against /api/auth (HttpOnly cookie), then shows the
 * dispatcher's calendar and session editor or the operator's upcoming sessions.
 * Query: ?lang=en|zh-CN (one visit).
 */
import "../common/styles.css";
import "./console.css";
import { onLangChange } from "../common/i18n";
import { h } from "../common/dom";
import type { ApiError } from "../common/api";
import { signOut, signedOut, whoAmI } from "../common/signin";
import { DispatcherView } from "./dispatcher";
import { loginScreen } from "./login";
import { type SetupState, setupNotice, setupScreen, setupState, setupTokenOfHash } from "./setup";
import { OperatorView } from "./operator";
import { RecordingsView } from "../recordings/view";
import { AuditView } from "./audit";
import { AccountsView } from "./accounts";
import { OpinionsView, canSeeOpinions, sectionNav, sectionOfHash } from "../opinions/page";
import { topbar } from "./shell";
import { Stations } from "../common/stations";
import { ct } from "./strings";
import type { Account } from "../common/types";

interface View {
  el: HTMLElement;
  render(): void;
  destroy(): void;
}

const root = document.getElementById("console")!;
let account: Account | null = null;
let stations: Stations | null = null;
let view: View | null = null;
let section: string = currentSection();
let screen: "loading" | "login" | "error" | "app" = "loading";
let errorMessage = "";
let setup: SetupState = { needed: false };

function paint(): void {
  document.title = ct("appTitle");
  document.body.dataset.screen = screen;
  document.body.dataset.role = account?.role ?? "";
  const stationName = account?.station && stations ? stations.name(account.station) : null;
  const nav = screen === "app" && canSeeOpinions(account) ? withAdminNav(sectionNav(sectionOfHash()), account) : null;
  const bar = topbar(screen === "app" ? account : null, stationName, screen === "app" ? () => void logout() : undefined, nav);
  let main: HTMLElement;
  if (screen === "login" && setup.needed && setupTokenOfHash()) {
    main = setupScreen(setupTokenOfHash(), (a) => {
      setup = { needed: false };
      void enter(a);
    });
  } else if (screen === "login") {
    main = loginScreen((a) => void enter(a), errorMessage);
    const notice = setupNotice(setup);
    if (notice) main.querySelector("form")?.prepend(notice);
  } else if (screen === "error") {
    const retry = h("button", { type: "button", class: "btn-primary" }, ct("retry"));
    retry.addEventListener("click", () => void boot());
    main = h("div", { class: "screen" }, h("div", { class: "screen-card" }, h("p", { class: "screen-body", "data-testid": "console-error" }, errorMessage), retry));
  } else if (screen === "app" && view) {
    main = view.el;
  } else {
    main = h("div", { class: "screen" }, h("p", { class: "c-muted" }, ct("loading")));
  }
  root.replaceChildren(h("div", { class: "c-app" }, bar, h("main", { class: "c-main" }, main)));
}

/** The section the address names: the opinions page's three, or the administration's. */
function currentSection(): string {
  return location.hash.startsWith("#audit") ? "audit" : location.hash.startsWith("#accounts") ? "accounts" : sectionOfHash();
}

function canAudit(a: Account | null): boolean {
  return !!a && (a.role === "administrator" || a.role === "dispatcher");
}

/** The administration's links after the sections' (审计日志: administrators, dispatchers;
 * 账号: administrators). */
function withAdminNav(nav: HTMLElement, a: Account | null): HTMLElement {
  if (!canAudit(a)) return nav;
  const current = currentSection();
  const here = current === "audit" || current === "accounts";
  if (here) {
    nav.querySelectorAll("[aria-current]").forEach((el) => el.removeAttribute("aria-current"));
    // the sections' switch takes "no hash" for the sessions it believes shown: leave #audit for them
    nav.querySelector("[data-testid=nav-sessions]")?.addEventListener("click", () => {
      history.pushState(null, "", location.pathname + location.search);
      window.dispatchEvent(new HashChangeEvent("hashchange"));
    });
  }
  const links: ["audit" | "accounts", string][] = [["audit", ct("navAudit")]];
  if (a?.role === "administrator") links.push(["accounts", ct("navAccounts")]);
  for (const [name, label] of links) {
    const link = h("a", { class: "op-nav-link", href: `#${name}`, "aria-current": current === name ? "page" : null, "data-testid": `nav-${name}` }, label);
    link.addEventListener("click", (e) => {
      e.preventDefault();
      if (current !== name) location.hash = `#${name}`;
    });
    nav.append(link);
  }
  return nav;
}

async function enter(a: Account): Promise<void> {
  account = a;
  errorMessage = "";
  try {
    stations = stations ?? (await Stations.load());
  } catch (e) {
    screen = "error";
    errorMessage = (e as ApiError).message;
    paint();
    return;
  }
  view?.destroy();
  section = currentSection();
  view =
    section === "audit" && canAudit(a)
      ? new AuditView()
      : section === "accounts" && a.role === "administrator"
      ? new AccountsView(stations)
      : section === "opinions" && canSeeOpinions(a)
      ? new OpinionsView(a)
      : section === "recordings" && canSeeOpinions(a)
        ? new RecordingsView()
        : a.role === "operator" || a.role === "deputy"
        ? new OperatorView(a, stations)
        : new DispatcherView(a, stations);
  screen = "app";
  paint();
}

async function logout(): Promise<void> {
  await signOut();
  view?.destroy();
  view = null;
  account = null;
  screen = "login";
  paint();
}

async function boot(): Promise<void> {
  screen = "loading";
  paint();
  try {
    await enter(await whoAmI());
  } catch (e) {
    if (signedOut(e)) {
      setup = await setupState();
      screen = "login";
      errorMessage = "";
    } else {
      screen = "error";
      errorMessage = (e as ApiError).message;
    }
    paint();
  }
}

// the sessions, 民情 and 录像 sections share the page: #opinions…, #recordings… switch
window.addEventListener("hashchange", () => {
  if (screen === "login" && setup.needed) return paint(); // the one-time link was followed
  if (screen !== "app" || !account || section === currentSection()) return;
  void enter(account);
});

onLangChange(() => {
  view?.render();
  paint();
});

declare global {
  interface Window {
    consoleApp: { account: () => Account | null; reload: () => void };
  }
}
window.consoleApp = { account: () => account, reload: () => void (view as { load?: () => void } | null)?.load?.() };

void boot();
