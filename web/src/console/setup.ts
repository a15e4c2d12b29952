/** First start (hub/firststart.py): while no account exists, the sign-in screen says so and shows
 * the one-time link the hub printed (to a browser on the hub's machine); the link itself
 * (/console#setup=…) opens a form that creates the administrator and signs in with it. */
import { h } from "../common/dom";
import { ApiError, get, post } from "../common/api";
import { ct } from "./strings";
import type { Account } from "../common/types";

export interface SetupState {
  needed: boolean;
  link?: string | null;
}

/** GET /api/setup; a hub that does not answer it needs no setup screen. */
export async function setupState(): Promise<SetupState> {
  try {
    return await get<SetupState>("/setup");
  } catch {
    return { needed: false };
  }
}

/** The token of a /console#setup=… address, or "". */
export function setupTokenOfHash(hash: string = window.location.hash): string {
  const m = /^#setup=([\w-]+)$/.exec(hash);
  return m ? m[1] : "";
}

/** The notice above the sign-in form while no account exists. */
export function setupNotice(state: SetupState): HTMLElement | null {
  if (!state.needed) return null;
  return h(
    "div",
    { class: "notice c-setup-notice", "data-testid": "setup-notice" },
    h("strong", {}, ct("setupNeeded")),
    " ",
    state.link
      ? h("a", { href: state.link, "data-testid": "setup-link" }, ct("setupOpenLink"))
      : ct("setupUseLink"),
  );
}

export function setupScreen(token: string, onDone: (account: Account) => void): HTMLElement {
  const input = (name: string, type: string, autocomplete: string, testid: string) =>
    h("input", { class: "c-input", name, type, autocomplete, required: true, "data-testid": testid, autocapitalize: "off", spellcheck: "false" });
  const user = input("username", "text", "username", "setup-username");
  user.value = "admin";
  const display = h("input", { class: "c-input", name: "display-name", autocomplete: "name", "data-testid": "setup-display-name" });
  const pass = input("password", "password", "new-password", "setup-password");
  const again = input("password-again", "password", "new-password", "setup-password-again");
  const error = h("div", { class: "notice", "data-tone": "error", "data-testid": "setup-error", role: "alert", hidden: true });
  const button = h("button", { class: "btn-primary c-block", type: "submit", "data-testid": "setup-submit" }, ct("setupCreate"));
  const form = h(
    "form",
    { class: "c-login-card", novalidate: true, "data-testid": "setup-form" },
    h("h1", { class: "c-login-heading" }, ct("setupHeading")),
    h("p", { class: "c-muted" }, ct("setupHint")),
    h("label", { class: "c-field" }, h("span", {}, ct("username")), user),
    h("label", { class: "c-field" }, h("span", {}, ct("setupDisplayName")), display),
    h("label", { class: "c-field" }, h("span", {}, ct("password")), pass),
    h("label", { class: "c-field" }, h("span", {}, ct("setupPasswordAgain")), again),
    error,
    button,
  );
  const fail = (message: string) => {
    error.textContent = message;
    error.hidden = false;
  };
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    error.hidden = true;
    if (!user.value.trim() || !pass.value) return fail(ct("setupMissing"));
    if (pass.value !== again.value) return fail(ct("setupPasswordsDiffer"));
    button.disabled = true;
    try {
      const body = { token, username: user.value.trim(), password: pass.value, displayName: display.value.trim() };
      await post<Account>("/setup", body);
      const out = await post<{ account: Account }>("/auth/login", { username: body.username, password: body.password });
      history.replaceState(null, "", window.location.pathname + window.location.search);
      onDone(out.account);
    } catch (e) {
      fail((e as ApiError).message);
    } finally {
      button.disabled = false;
    }
  });
  queueMicrotask(() => pass.focus());
  return h("div", { class: "c-login" }, form);
}
