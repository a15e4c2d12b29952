/** Small shared pieces of the opinion pages: labels, badges, the side sheet, times. */
import { h } from "../common/dom";
import { dateValue, timeValue } from "../common/time";
import { ot, otMaybe, isEn } from "./strings";
import type { Department, Opinion, OpinionOptions } from "./types";

export const statusName = (s: string) => otMaybe(`st_${s}`, s);
export const actionName = (a: string) => otMaybe(`ac_${a}`, a);
export const levelName = (l: string) => otMaybe(`lv_${l}`, l);
export const roleName = (r: string) => otMaybe(`role_${r}`, r);

/** "2025-03-07 14:05" in Shanghai time. */
export function when(t: string | Date): string {
  return `${dateValue(t)} ${timeValue(t)}`;
}

export function categoryName(options: OpinionOptions | null, code: string, fallback = code): string {
  const c = options?.categories.find((x) => x.code === code);
  return c ? (isEn() ? c.nameEn : c.name) : fallback;
}

export function requestTypeName(options: OpinionOptions | null, code: string, fallback = code): string {
  const c = options?.requestTypes.find((x) => x.code === code);
  return c ? (isEn() ? c.nameEn : c.name) : fallback;
}

export function department(options: OpinionOptions | null, code: string | null): Department | undefined {
  return code ? options?.departments.find((d) => d.code === code) : undefined;
}

export function departmentName(options: OpinionOptions | null, code: string | null): string {
  const d = department(options, code);
  if (!d) return code ?? "";
  return isEn() ? d.nameEn : d.name;
}

export function statusBadge(o: Pick<Opinion, "status">): HTMLElement {
  return h("span", { class: "op-badge", "data-status": o.status, "data-testid": "opinion-status" }, statusName(o.status));
}

export function overdueBadge(o: Opinion): HTMLElement | null {
  if (!o.overdue) return null;
  return h(
    "span",
    { class: "op-badge is-overdue", "data-testid": "overdue-badge" },
    o.overdueWorkingDays > 0 ? ot("overdueDays", { n: o.overdueWorkingDays }) : ot("overdue"),
  );
}

export function pct(x: number | null): string {
  return x == null ? "—" : `${(x * 100).toFixed(1)}%`;
}

/** A side sheet (full screen on phones). Escape and the backdrop close it. */
export function openSheet(title: string, body: HTMLElement, onClose: () => void, testid = "opinion-sheet"): { el: HTMLElement; setTitle(t: string): void; close(): void } {
  const titleEl = h("h2", { class: "op-sheet-title" }, title);
  const closeBtn = h("button", { type: "button", class: "op-sheet-close", "aria-label": ot("close"), "data-testid": "sheet-close" }, "×");
  const panel = h("div", { class: "op-sheet-panel", role: "dialog", "aria-modal": "true" }, h("div", { class: "op-sheet-head" }, titleEl, closeBtn), h("div", { class: "op-sheet-body" }, body));
  const el = h("div", { class: "op-sheet", "data-testid": testid }, panel);
  const close = () => {
    document.removeEventListener("keydown", onKey);
    document.body.classList.remove("has-sheet");
    el.remove();
    onClose();
  };
  const onKey = (e: KeyboardEvent) => {
    if (e.key === "Escape") close();
  };
  closeBtn.addEventListener("click", close);
  el.addEventListener("click", (e) => {
    if (e.target === el) close();
  });
  document.addEventListener("keydown", onKey);
  document.body.classList.add("has-sheet");
  document.body.append(el);
  return { el, setTitle: (t) => (titleEl.textContent = t), close };
}

/** A select from [value, label] pairs. */
export function select(testid: string, items: [string, string][], value: string, onChange: (v: string) => void): HTMLSelectElement {
  const s = h("select", { class: "op-input", "data-testid": testid });
  for (const [v, label] of items) {
    const o = h("option", { value: v }, label);
    o.selected = v === value;
    s.append(o);
  }
  s.addEventListener("change", () => onChange(s.value));
  return s;
}

export function field(label: string, control: HTMLElement): HTMLElement {
  return h("label", { class: "op-field" }, h("span", { class: "op-label" }, label), control);
}

/** Triggers a download of an authenticated GET (the cookie goes along with a plain link). */
export function downloadLink(href: string, label: string, testid: string): HTMLAnchorElement {
  return h("a", { class: "op-btn", href, download: "", "data-testid": testid }, "⬇ ", label);
}
