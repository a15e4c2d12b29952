/** Non-blocking toasts for hub errors and local failures. */
import { h, icon } from "../common/dom";
import { icons } from "../common/icons";
import { t } from "../common/i18n";
import type { HubError } from "../live/protocol";

export class Toaster {
  readonly el = h("div", { class: "toasts", role: "status", "aria-live": "polite", "data-testid": "toasts" });

  show(e: HubError, ttlMs = 7000): void {
    const msg = e.message || e.code;
    const item = h(
      "div",
      { class: "toast", "data-testid": "toast", "data-code": e.code, "data-event": e.event ?? "" },
      icon(icons.warn, "icon toast-icon"),
      h("span", { class: "toast-msg" }, msg),
      h("button", { class: "toast-close", type: "button", "aria-label": t("dismiss"), title: t("dismiss") }, "×"),
    );
    const remove = () => {
      item.classList.add("leaving");
      window.setTimeout(() => item.remove(), 250);
    };
    item.querySelector("button")!.addEventListener("click", remove);
    this.el.append(item);
    while (this.el.children.length > 4) this.el.firstElementChild?.remove();
    window.setTimeout(remove, ttlMs);
  }

  /** A piece of news (not an error): a new opinion in the dispatcher's session. */
  info(message: string, code: string, ttlMs = 6000): void {
    const item = h("div", { class: "toast toast-info", "data-testid": "toast", "data-code": code }, icon(icons.opinion, "icon toast-icon"), h("span", { class: "toast-msg" }, message));
    item.addEventListener("click", () => item.remove());
    this.el.append(item);
    while (this.el.children.length > 4) this.el.firstElementChild?.remove();
    window.setTimeout(() => item.remove(), ttlMs);
  }
}
