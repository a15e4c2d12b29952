/** A session's deputy invitations: pick a deputy, create, show link + QR, revoke; the meeting
 * number (会议号) and a printable sheet of the QR codes of every active invitation. */
import { h } from "../common/dom";
import { ApiError, api, get, post } from "../common/api";
import { flash } from "../common/flash";
import { nodes } from "./shell";
import type { Stations } from "../common/stations";
import { ct, type ConsoleKey } from "./strings";
import { whenLabel } from "../common/time";
import type { Account, Deputy, Invitation, InvitationLink, Items, Session } from "../common/types";

const LEVELS = ["provincial", "jiaxing", "haining", "town", "street_rep"];

export class InvitationsPanel {
  readonly el = h("div", { class: "c-invites", "data-testid": "invitations" });
  private deputies: Deputy[] = [];
  private invitations: Invitation[] = [];
  private shown: InvitationLink | null = null;
  private error = "";

  constructor(
    private readonly session: Session,
    private readonly stations: Stations,
    private readonly account: Account,
  ) {
    this.el.append(h("p", { class: "c-muted" }, ct("loading")));
    void this.load();
  }

  private async load(): Promise<void> {
    try {
      const [d, i] = await Promise.all([
        get<Items<Deputy>>("/deputies"),
        get<Items<Invitation>>(`/sessions/${this.session.id}/invitations`),
      ]);
      this.deputies = d.items.filter((x) => x.active);
      this.invitations = i.items;
      this.error = "";
    } catch (e) {
      this.error = (e as ApiError).message;
    }
    this.render();
  }

  private render(): void {
    const closed = this.session.state === "ended" || this.session.state === "cancelled";
    const pick = h("select", { class: "c-input", "data-testid": "invite-deputy" }, h("option", { value: "" }, ct("pickDeputy")));
    for (const d of this.deputies) {
      pick.append(h("option", { value: d.id }, `${d.name} · ${this.stations.short(d.station)} · ${(d.levels?.length ? d.levels : [d.level]).map((l) => ct(`level_${l}` as ConsoleKey)).join("、")}`));
    }
    const invite = h("button", { type: "button", class: "btn-primary c-btn-sm", "data-testid": "invite-create", disabled: closed }, ct("invite"));
    invite.addEventListener("click", async () => {
      if (!pick.value) {
        pick.focus();
        return;
      }
      invite.disabled = true;
      try {
        this.shown = await post<InvitationLink>(`/sessions/${this.session.id}/invitations`, { deputyId: Number(pick.value) });
        await this.load();
      } catch (e) {
        flash((e as ApiError).message, "error");
      } finally {
        invite.disabled = false;
      }
    });

    const rows = h("ul", { class: "c-invite-list" });
    for (const inv of this.invitations) {
      const row = h(
        "li",
        { class: "c-invite-row", "data-testid": "invitation-row", "data-invitation-id": inv.id, "data-active": String(inv.active) },
        h("div", { class: "c-invite-who" },
          h("strong", {}, inv.deputyName),
          h("span", { class: "c-muted" }, inv.active ? ct("expires", { time: whenLabel(inv.expiresAt) }) : ct("revoked")),
        ),
      );
      if (inv.active) {
        const show = h("button", { type: "button", class: "c-btn c-btn-sm", "data-testid": "invitation-show" }, ct("showQr"));
        show.addEventListener("click", async () => {
          try {
            this.shown = await get<InvitationLink>(`/sessions/${this.session.id}/invitations/${inv.id}/link`);
            this.render();
          } catch (e) {
            flash((e as ApiError).message, "error");
          }
        });
        const revoke = h("button", { type: "button", class: "c-btn c-btn-sm c-btn-danger", "data-testid": "invitation-revoke" }, ct("revoke"));
        revoke.addEventListener("click", async () => {
          if (!window.confirm(ct("revokeConfirm", { name: inv.deputyName }))) return;
          try {
            await api("DELETE", `/sessions/${this.session.id}/invitations/${inv.id}`);
            if (this.shown?.invitation.id === inv.id) this.shown = null;
            await this.load();
          } catch (e) {
            flash((e as ApiError).message, "error");
          }
        });
        row.append(h("div", { class: "c-row-actions" }, show, revoke));
      }
      rows.append(row);
    }

    const active = this.invitations.filter((i) => i.active);
    const printSheet = h("button", { type: "button", class: "c-btn c-btn-sm", "data-testid": "invite-print-sheet" }, ct("printQrSheet", { n: active.length }));
    printSheet.addEventListener("click", () => void this.printSheet(active, printSheet));

    this.el.replaceChildren(...nodes(
      h("p", { class: "c-muted" }, ct("invitationsHint")),
      h("p", { class: "c-inline" }, h("strong", { "data-testid": "session-meeting-number" }, ct("meetingNumber", { n: meetingNumber(this.session) })), active.length ? printSheet : null),
      this.error ? h("div", { class: "notice", "data-tone": "error" }, this.error) : null,
      this.deputies.length
        ? h("div", { class: "c-inline" }, pick, invite)
        : h("p", { class: "c-muted" }, ct("noDeputies")),
      this.shown ? this.linkCard(this.shown) : null,
      this.invitations.length ? rows : h("p", { class: "c-muted" }, ct("invitationsEmpty")),
      this.addDeputyForm(),
    ));
  }

  /** The QR codes of every active invitation on A4 (two columns), printed from this page. */
  private async printSheet(active: Invitation[], button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    try {
      const links = await Promise.all(active.map((i) => get<InvitationLink>(`/sessions/${this.session.id}/invitations/${i.id}/link`)));
      const s = this.session;
      const sheet = h(
        "section",
        { class: "c-qr-sheet", "data-testid": "qr-sheet" },
        h("h1", { class: "c-qr-sheet-title" }, s.title),
        h("p", { class: "c-qr-sheet-meta" }, `${whenLabel(s.start)} · ${ct("meetingNumber", { n: meetingNumber(s) })}`),
        h("div", { class: "c-qr-sheet-grid" }, ...links.map((l) => h(
          "div",
          { class: "c-qr-sheet-card", "data-testid": "qr-sheet-card", "data-invitation-id": l.invitation.id },
          h("img", { src: l.qrSvg, alt: ct("qrAlt"), width: 170, height: 170 }),
          h("div", {}, h("strong", {}, l.invitation.deputyName), h("div", { class: "c-mono" }, l.shortUrl),
            h("div", { class: "c-muted" }, ct("qrSheetHint"))),
        ))),
      );
      document.querySelector(".c-qr-sheet")?.remove();
      document.body.append(sheet);
      document.body.classList.add("is-printing-qr");
      window.addEventListener("afterprint", () => {
        document.body.classList.remove("is-printing-qr");
        sheet.remove();
      }, { once: true });
      await Promise.all([...sheet.querySelectorAll("img")].map((img) => img.decode().catch(() => undefined)));
      window.print();
    } catch (e) {
      flash((e as ApiError).message, "error");
    } finally {
      button.disabled = false;
    }
  }

  private linkCard(link: InvitationLink): HTMLElement {
    // the short link (what the QR code carries): easy to read out and to type
    const url = h("input", { class: "c-input c-mono", readonly: true, "data-testid": "invite-url", value: link.shortUrl });
    const copy = h("button", { type: "button", class: "c-btn c-btn-sm" }, ct("copy"));
    copy.addEventListener("click", async () => {
      url.select();
      try {
        await navigator.clipboard.writeText(link.shortUrl);
      } catch {
        document.execCommand("copy");
      }
      copy.textContent = ct("copied");
    });
    return h(
      "div",
      { class: "c-qr-card", "data-testid": "invite-link", "data-invitation-id": link.invitation.id },
      h("img", { class: "c-qr", src: link.qrSvg, alt: ct("qrAlt"), "data-testid": "invite-qr", width: 180, height: 180 }),
      h("div", { class: "c-qr-side" },
        h("strong", {}, link.invitation.deputyName),
        h("span", { class: "c-muted" }, ct("expires", { time: whenLabel(link.expiresAt) })),
        h("span", { class: "c-muted", "data-testid": "meeting-number" }, ct("meetingNumber", { n: meetingNumber(this.session) })),
        h("label", { class: "c-field" }, h("span", {}, ct("inviteLink")), h("div", { class: "c-inline" }, url, copy)),
        h("a", { href: link.qrPng, download: `invitation-${link.invitation.id}.png`, class: "c-link-btn" }, "PNG"),
      ),
    );
  }

  private addDeputyForm(): HTMLElement {
    const scope = this.account.role === "administrator" ? null : this.account.station;
    const name = h("input", { class: "c-input", "data-testid": "deputy-name", maxlength: 100, placeholder: ct("deputyName") });
    const level = h("select", { class: "c-input", "data-testid": "deputy-level" });
    for (const l of LEVELS) level.append(h("option", { value: l }, ct(`level_${l}` as ConsoleKey)));
    level.value = "town";
    const station = h("select", { class: "c-input", "data-testid": "deputy-station" });
    for (const { node } of this.stations.flat()) {
      if (this.stations.inScope(node.code, scope)) station.append(h("option", { value: node.code }, this.stations.name(node.code)));
    }
    const preferred = this.session.stations.find((c) => c !== this.session.chair);
    if (preferred) station.value = preferred;
    const group = h("input", { class: "c-input", maxlength: 200, placeholder: ct("deputyGroup") });
    const add = h("button", { type: "submit", class: "c-btn", "data-testid": "deputy-add" }, ct("addDeputy"));
    const form = h("form", { class: "c-add-deputy" },
      h("div", { class: "c-grid-2" }, name, level, station, group),
      add,
    );
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      if (!name.value.trim()) {
        name.focus();
        return;
      }
      add.disabled = true;
      try {
        await post<Deputy>("/deputies", { name: name.value.trim(), level: level.value, station: station.value, group: group.value.trim() });
        await this.load();
      } catch (e) {
        flash((e as ApiError).message, "error");
        add.disabled = false;
      }
    });
    return h("details", { class: "c-details" }, h("summary", {}, ct("addDeputy")), form);
  }
}


/** 会议号: the session's number, six digits (what a deputy reads out on the phone). */
export function meetingNumber(s: Session): string {
  return String(s.id).padStart(6, "0");
}
