/** The top bar: emblem, title, session, connection badge and language toggle. */
import type { HubClient } from "../live/client";
import { getLang, t, toggleLang } from "../common/i18n";
import { h, icon, setAttr, setText } from "../common/dom";
import { icons } from "../common/icons";
import { sessionTitle } from "./names";
import { SignalPanel } from "./signal";

function pcLabel(pc: RTCPeerConnection | null): string {
  if (!pc) return t("pcNone");
  return t(`pc_${pc.connectionState}` as "pc_new");
}

export class Header {
  readonly el: HTMLElement;
  private readonly title = h("span", { class: "brand-title" });
  private readonly subtitle = h("span", { class: "brand-sub" });
  private readonly session = h("span", { class: "session-title", "data-testid": "session-title" });
  private readonly badge = h("div", { class: "conn-badge", "data-testid": "connection-state", role: "status" });
  private readonly badgeMain = h("span", { class: "conn-main" });
  private readonly badgeDetail = h("span", { class: "conn-detail" });
  private readonly lang = h("button", { class: "lang-toggle", type: "button", "data-testid": "lang-toggle" });
  /** Signal bars (this page's own connection) and the 画质 setting behind them. */
  private readonly signal: SignalPanel;

  constructor(private readonly client: HubClient) {
    this.signal = new SignalPanel(client);
    this.badge.append(h("span", { class: "conn-dot" }), this.badgeMain, this.badgeDetail);
    this.lang.prepend(icon(icons.globe));
    this.lang.append(h("span", { class: "lang-label" }));
    this.lang.addEventListener("click", () => toggleLang());
    this.el = h(
      "header",
      { class: "topbar" },
      h(
        "div",
        { class: "brand" },
        icon(icons.emblem, "emblem"),
        h("div", { class: "brand-text" }, this.title, this.subtitle),
      ),
      h("div", { class: "topbar-center" }, this.session),
      h("div", { class: "topbar-right" }, this.signal.el, this.badge, this.lang),
    );
    this.render();
  }

  render(): void {
    const c = this.client;
    setText(this.title, t("appTitle"));
    setText(this.subtitle, t("appSubtitle"));
    const st = sessionTitle(c.session, c.sessionId);
    setText(this.session, st);
    document.title = st ? `${st} · ${t("appTitle")}` : t("appTitle");
    setText(this.lang.querySelector(".lang-label")!, t("langToggle"));
    this.lang.setAttribute("aria-label", t("langToggleLabel"));
    this.lang.title = t("langToggleLabel");
    setAttr(this.lang, "data-lang", getLang());
    this.signal.render();
    this.renderBadge();
  }

  renderBadge(): void {
    const c = this.client;
    let main: string;
    let tone: "ok" | "warn" | "bad" | "idle";
    switch (c.socketState) {
      case "connected":
        main = t("stateConnected");
        tone = "ok";
        break;
      case "connecting":
        main = t("stateConnecting");
        tone = "warn";
        break;
      case "reconnecting":
        main = c.reconnectAttempt > 0 ? t("stateReconnectingN", { n: c.reconnectAttempt }) : t("stateReconnecting");
        tone = "warn";
        break;
      default:
        main = t("stateDisconnected");
        tone = "idle";
    }
    const pub = c.publishPc;
    const sub = c.subscribePc;
    if (tone === "ok" && [pub, sub].some((pc) => pc && (pc.connectionState === "failed" || pc.connectionState === "disconnected"))) {
      tone = "bad";
    }
    setText(this.badgeMain, main);
    const detail = c.socketState === "connected" || pub || sub
      ? `${t("statePublish")} ${pcLabel(pub)} · ${t("stateSubscribe")} ${pcLabel(sub)}`
      : "";
    setText(this.badgeDetail, detail);
    this.badge.title = `${main}${detail ? " — " + detail : ""}`;
    setAttr(this.badge, "data-tone", tone);
    setAttr(this.badge, "data-socket", c.socketState);
    setAttr(this.badge, "data-publish", pub?.connectionState ?? "none");
    setAttr(this.badge, "data-subscribe", sub?.connectionState ?? "none");
    setAttr(this.badge, "data-attempt", String(c.reconnectAttempt));
  }
}
