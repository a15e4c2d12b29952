/** Non-blocking toasts for hub errors and local failures. */
import { h, icon } from "./dom";
import { icons } from "./icons";
import { t } from "../i18n";
import type { HubError } from "../protocol";

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
}
