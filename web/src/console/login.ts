/** The sign-in screen: POST /api/auth/login, the API's message on failure
 * (wrong password, throttled: "登录失败次数过多，请 900 秒后再试"). */
import { h } from "../common/dom";
import { ApiError, post } from "../common/api";
import { ct } from "./strings";
import type { Account } from "../common/types";

export function loginScreen(onLoggedIn: (account: Account) => void, initialError = ""): HTMLElement {
  const user = h("input", {
    class: "c-input",
    name: "username",
    autocomplete: "username",
    required: true,
    "data-testid": "login-username",
    autocapitalize: "off",
    spellcheck: "false",
  });
  const pass = h("input", {
    class: "c-input",
    name: "password",
    type: "password",
    autocomplete: "current-password",
    required: true,
    "data-testid": "login-password",
  });
  const error = h("div", { class: "notice", "data-tone": "error", "data-testid": "login-error", role: "alert", hidden: !initialError }, initialError);
  const button = h("button", { class: "btn-primary c-block", type: "submit", "data-testid": "login-submit" }, ct("login"));
  const form = h(
    "form",
    { class: "c-login-card", novalidate: true },
    h("h1", { class: "c-login-heading" }, ct("loginHeading")),
    h("p", { class: "c-muted" }, ct("loginHint")),
    h("label", { class: "c-field" }, h("span", {}, ct("username")), user),
    h("label", { class: "c-field" }, h("span", {}, ct("password")), pass),
    error,
    button,
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!user.value.trim() || !pass.value) {
      (user.value.trim() ? pass : user).focus();
      return;
    }
    button.disabled = true;
    button.textContent = ct("loggingIn");
    error.hidden = true;
    try {
      const out = await post<{ account: Account }>("/auth/login", { username: user.value.trim(), password: pass.value });
      onLoggedIn(out.account);
    } catch (e) {
      const err = e as ApiError;
      error.textContent = err.message;
      error.dataset.code = err.code ?? "";
      error.hidden = false;
      pass.select();
    } finally {
      button.disabled = false;
      button.textContent = ct("login");
    }
  });
  queueMicrotask(() => user.focus());
  return h("div", { class: "c-login" }, form);
}
