/** The console's frame: the station page's red top bar (emblem, title, language
 * toggle) plus the signed-in account and sign-out. */
import { getLang, toggleLang } from "../common/i18n";
import { h, icon } from "../common/dom";
import { notificationBell } from "../common/bell";
import { icons } from "../common/icons";
import { ct } from "./strings";
import type { Account } from "../common/types";

export function topbar(account: Account | null, stationName: string | null, onLogout?: () => void, nav?: HTMLElement | null): HTMLElement {
  const lang = h(
    "button",
    {
      class: "lang-toggle",
      type: "button",
      "data-testid": "lang-toggle",
      "data-lang": getLang(),
      title: ct("langToggleLabel"),
      "aria-label": ct("langToggleLabel"),
      onclick: () => toggleLang(),
    },
    icon(icons.globe),
    h("span", { class: "lang-label" }, ct("langToggle")),
  );
  const right = h("div", { class: "topbar-right" });
  if (account) {
    right.append(
      h(
        "div",
        { class: "who", "data-testid": "who", "data-role": account.role },
        h("span", { class: "who-name" }, account.displayName || account.username),
        h("span", { class: "who-role" }, [ct(`role_${account.role}`), stationName].filter(Boolean).join(" · ")),
      ),
    );
  }
  if (account) right.append(notificationBell());
  right.append(lang);
  if (account && onLogout) {
    right.append(
      h("button", { class: "lang-toggle", type: "button", "data-testid": "logout", onclick: () => onLogout() }, ct("logout")),
    );
  }
  return h(
    "header",
    { class: "topbar" },
    h(
      "div",
      { class: "brand" },
      icon(icons.emblem, "emblem"),
      h(
        "div",
        { class: "brand-text" },
        h("span", { class: "brand-title" }, ct("appTitle")),
        h("span", { class: "brand-sub" }, ct("appSubtitle")),
      ),
    ),
    h("div", { class: "topbar-center" }, nav ?? null),
    right,
  );
}

/** Children for append(): drops null / false. */
export function nodes(...xs: (Node | string | null | undefined | false)[]): (Node | string)[] {
  return xs.filter((x): x is Node | string => x != null && x !== false);
}

/** A session's (or occurrence's) state as a coloured badge. */
export function stateBadge(state: string, standing = false): HTMLElement {
  return h(
    "span",
    { class: `c-badge state-${state}`, "data-testid": "state-badge", "data-state": state },
    standing ? `${ct("standing")} · ${ct(`state_${state}` as "state_live")}` : ct(`state_${state}` as "state_live"),
  );
}
