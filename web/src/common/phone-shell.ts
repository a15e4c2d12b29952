/**
 * The shell of the phone-sized pages (the deputy's /deputy, the department's
 * /department, the residents' /liaison): the top bar (title, the bell once
 * signed in, the language switch, sign out), the frame the screens are drawn
 * in, and the error boxes that show the hub's reason (signing in: ./signin).
 * Each page keeps its own screens and strings; this is what they share.
 */
import type { ApiError } from "./api";
import { notificationBell } from "./bell";
import { h } from "./dom";
import { getLang, toggleLang } from "./i18n";
import { TIME_ZONE } from "./time";

/** A time for a list line: day and hour (with the year: ``withYear``), in the hub's zone. */
export function shortTime(t: string, withYear = false): string {
  return new Date(t).toLocaleString(getLang() === "en" ? "en-GB" : "zh-CN", {
    timeZone: TIME_ZONE, ...(withYear ? { year: "numeric" } : {}), month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
  });
}

/** A hidden alert for a form: :func:`showError` fills and shows it. */
export function alertBox(testid: string): HTMLElement {
  return h("div", { class: "notice", "data-tone": "error", "data-testid": testid, role: "alert", hidden: true });
}

/** The hub's refusal in an alert: its message (in the page's language) and its reason code. */
export function showError(el: HTMLElement, e: unknown): void {
  const err = e as ApiError;
  el.textContent = err.message;
  el.dataset.code = err.code ?? "";
  el.hidden = false;
}

/** A refusal found before asking the hub (a field left empty): reason code ``local``. */
export function localError(el: HTMLElement, text: string): void {
  el.textContent = text;
  el.dataset.code = "local";
  el.hidden = false;
}

export interface TopBar {
  title: string;
  /** The language switch's label (the other language's name). */
  langLabel: string;
  /** Signed in: the bell and the sign-out button. */
  signOut?: { label: string; onClick: () => void };
}

export function topBar(bar: TopBar): HTMLElement {
  const lang = h("button", { class: "lang-toggle", type: "button", "data-testid": "lang-toggle" }, bar.langLabel);
  lang.addEventListener("click", () => toggleLang());
  const out = bar.signOut ? h("button", { class: "lang-toggle", type: "button", "data-testid": "logout" }, bar.signOut.label) : null;
  if (out && bar.signOut) out.addEventListener("click", bar.signOut.onClick);
  return h("header", { class: "dp-top" }, h("div", { class: "dp-title" }, bar.title),
    h("div", { class: "dp-top-right" }, out ? notificationBell() : null, lang, out));
}

/** Draw a screen: the page's root holds the top bar and the main area. */
export function frame(root: HTMLElement, bar: HTMLElement, main: HTMLElement): void {
  root.replaceChildren(h("div", { class: "dp-app" }, bar, h("main", { class: "dp-main" }, main)));
}
