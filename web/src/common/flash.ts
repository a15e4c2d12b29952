/** Transient messages at the bottom of the screen, for the console page and its
 * 民情 views (styled by console/console.css, .c-flash). */
import { h } from "./dom";

/** A transient message at the bottom of the screen. */
export function flash(message: string, tone: "ok" | "error" = "ok"): void {
  let box = document.querySelector<HTMLElement>(".c-flashes");
  if (!box) {
    box = h("div", { class: "c-flashes" });
    document.body.append(box);
  }
  const el = h("div", { class: `c-flash tone-${tone}`, role: "status", "data-testid": "flash", "data-tone": tone }, message);
  box.append(el);
  window.setTimeout(() => el.remove(), 4000);
}
