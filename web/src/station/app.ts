/** Mounts the page and switches views as the client's state changes. */
import type { ClientState, HubClient } from "../live/client";
import { getLang, onLangChange, t } from "../common/i18n";
import { Header } from "./header";
import { LiveView } from "./stage";
import { PrejoinView } from "./prejoin";
import { errorScreen, leftScreen } from "./screens";
import { Toaster } from "./toast";
import { h } from "../common/dom";

type ViewName = "prejoin" | "live" | "left" | "error";

function viewFor(s: ClientState): ViewName {
  switch (s) {
    case "prejoin":
      return "prejoin";
    case "joining":
    case "live":
    case "reconnecting":
      return "live";
    case "left":
      return "left";
    case "error":
      return "error";
  }
}

export function mountApp(root: HTMLElement, client: HubClient, opts: { autojoin: boolean }): void {
  const header = new Header(client);
  const toaster = new Toaster();
  const main = h("main", { class: "main" });
  root.replaceChildren(h("div", { class: "app" }, header.el, main, toaster.el));

  let current: ViewName | null = null;
  let prejoin: PrejoinView | null = null;
  let live: LiveView | null = null;

  const show = (force = false) => {
    const want = viewFor(client.state);
    document.body.dataset.state = client.state;
    if (want === current && !force) return;
    prejoin?.destroy();
    live?.destroy();
    prejoin = null;
    live = null;
    current = want;
    let el: HTMLElement;
    switch (want) {
      case "prejoin":
        prejoin = new PrejoinView(client);
        el = prejoin.el;
        break;
      case "live":
        live = new LiveView(client);
        el = live.el;
        break;
      case "left":
        el = leftScreen(client);
        break;
      case "error":
        el = errorScreen(client);
        break;
    }
    main.replaceChildren(el);
  };

  client.on("state", (s) => {
    // The waiting room joined as the lobby opened by the hub's clock, a moment before the
    // hub's scheduler opened it: back to the waiting room, which tries again.
    if (s === "error" && client.waitingRoom && client.fatal?.kind === "join" && client.fatal.error?.code === "session_closed") {
      client.waitingRetries++;
      client.backToPrejoin();
      return;
    }
    show();
  });
  client.on("connection", () => header.renderBadge());
  client.on("self", () => header.render()); // the 签到 code button: a station's page once joined
  client.on("session", () => {
    header.render();
    prejoin?.render();
  });
  client.on("toast", (e) => toaster.show(e));
  client.on("opinion", (e, kind) => {
    if (kind === "captured") toaster.info(t("opinionToast", { id: e.opinion.reference, station: getLang() === "en" ? e.opinion.stationNameEn || e.opinion.stationName : e.opinion.stationName, summary: e.opinion.summary }), "opinion_captured");
  });
  onLangChange(() => {
    header.render();
    if (current === "prejoin") prejoin?.render();
    else if (current === "live") live?.relabel();
    else show(true);
  });

  if (opts.autojoin) {
    // Kiosk / test mode: no pre-join screen; open the default devices and join.
    if (client.state === "prejoin") {
      void (async () => {
        await client.prepareMedia();
        await client.join();
      })();
    }
  }
  show();
}
