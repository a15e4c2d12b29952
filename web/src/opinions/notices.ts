/** Department @-notices 部门通知: what assignments told each department's
 * liaison, read / unread, with the webhook's delivery state (staff only). */
import { h } from "../common/dom";
import { type ApiError, get, post, qs } from "../common/api";
import type { Refs } from "./data";
import { ot, isEn } from "./strings";
import type { Notice } from "./types";
import { departmentName, field, select, when } from "./util";

export class NoticesView {
  readonly el = h("section", { class: "op-card", "data-testid": "notices" });
  private items: Notice[] = [];
  private error = "";
  private loaded = false;
  private department = "";
  private unread = false;

  constructor(
    private readonly refs: Refs,
    private readonly onOpen: (opinionId: number) => void,
  ) {
    this.render();
    void this.load();
  }

  async load(): Promise<void> {
    try {
      this.items = (await get<{ items: Notice[] }>(`/notices${qs({ department: this.department || null, unread: this.unread ? "true" : null })}`)).items;
      this.error = "";
    } catch (e) {
      this.error = (e as ApiError).message;
    }
    this.loaded = true;
    this.render();
  }

  render(): void {
    const { options } = this.refs;
    const depts: [string, string][] = [["", isEn() ? "All departments" : "全部承办单位"], ...options.departments.map((d): [string, string] => [d.code, isEn() ? d.nameEn : d.name])];
    const unread = h("input", { type: "checkbox", "data-testid": "notices-unread" });
    unread.checked = this.unread;
    unread.addEventListener("change", () => {
      this.unread = unread.checked;
      void this.load();
    });
    const list = h("div", { style: "display:flex;flex-direction:column;gap:8px", "data-testid": "notice-list" });
    for (const n of this.items) {
      const open = h("button", { type: "button", class: "op-btn op-btn-sm" }, `${ot("open")} #${n.opinionId}`);
      open.addEventListener("click", () => this.onOpen(n.opinionId));
      const mark = n.readAt ? h("span", { class: "op-hint" }, `${ot("read")} ${when(n.readAt)}`) : h("button", { type: "button", class: "op-btn op-btn-sm", "data-testid": "notice-read" }, ot("markRead"));
      if (!n.readAt)
        mark.addEventListener("click", () => {
          post<Notice>(`/notices/${n.id}/read`)
            .then(() => this.load())
            .catch((e: ApiError) => {
              this.error = e.message;
              this.render();
            });
        });
      list.append(
        h(
          "div",
          { class: `op-notice${n.readAt ? "" : " is-unread"}`, "data-testid": "notice", "data-opinion": String(n.opinionId) },
          h(
            "div",
            { class: "op-notice-text" },
            h("strong", {}, `@${departmentName(options, n.department)}`),
            ` · ${ot("liaison")} ${n.liaisonName} ${n.liaisonContact}`,
            h("div", { class: "op-hint" }, n.message),
          ),
          h("span", { class: "op-hint" }, when(n.createdAt)),
          n.webhookStatus && n.webhookStatus !== "none" ? h("span", { class: "op-hint" }, ot("webhook", { s: n.webhookStatus })) : null,
          mark,
          open,
        ),
      );
    }
    this.el.replaceChildren(
      h("h3", { class: "op-card-title" }, ot("noticesTitle")),
      h("div", { class: "op-filters-2", style: "margin:0 0 12px" }, h("div", { class: "op-field", style: "width:260px;max-width:100%" }, field(ot("department"), select("notices-department", depts, this.department, (v) => {
        this.department = v;
        void this.load();
      }))), h("label", { class: "op-check" }, unread, ot("unreadOnly"))),
      this.error ? h("div", { class: "op-msg", "data-tone": "error" }, ot("errorLoad", { message: this.error })) : "",
      this.loaded && !this.items.length ? h("p", { class: "op-muted" }, ot("noticesEmpty")) : "",
      list,
    );
  }
}
