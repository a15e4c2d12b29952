/** The "you left" and "could not join / kicked" screens. */
import type { HubClient } from "../live/client";
import { t, tMaybe } from "../common/i18n";
import { h, icon } from "../common/dom";
import { icons } from "../common/icons";

function card(testid: string, tone: string, heading: string, body: string, actions: HTMLElement[]): HTMLElement {
  return h(
    "section",
    { class: "screen", "data-testid": testid },
    h(
      "div",
      { class: `screen-card tone-${tone}` },
      icon(tone === "info" ? icons.info : icons.warn, "icon icon-xl"),
      h("h1", {}, heading),
      h("p", { class: "screen-body", "data-testid": `${testid}-message` }, body),
      h("div", { class: "screen-actions" }, ...actions),
    ),
  );
}

export function leftScreen(client: HubClient): HTMLElement {
  const rejoin = h("button", { type: "button", class: "btn-primary", "data-testid": "rejoin-button" }, t("rejoin"));
  rejoin.addEventListener("click", () => void client.join());
  return card("left", "info", t("leftHeading"), t("leftBody"), [rejoin]);
}

export function errorScreen(client: HubClient): HTMLElement {
  const f = client.fatal;
  let heading = t("errorHeading");
  let body = "";
  const actions: HTMLElement[] = [];
  if (f?.kind === "token" || !client.token) {
    body = t("noToken");
  } else if (f?.kind === "ended") {
    heading = t("endedHeading");
    body = f.endStatus === "cancelled" ? t("ended_cancelled") : t("ended_ended");
  } else if (f?.kind === "kicked") {
    heading = f.kickReason === "removed" || f.kickReason === "revoked" ? t("kickedRemovedHeading") : t("kickedHeading");
    body = f.kickReason === "replaced" ? t("kicked_replaced") : tMaybe(`kicked_${f.kickReason}`, t("kicked_other", { reason: f.kickReason ?? "" }));
  } else if (f?.error) {
    body = f.error.message || f.error.code;
  }
  if (client.token && f?.kind !== "ended") {
    const retry = h(
      "button",
      { type: "button", class: "btn-primary", "data-testid": "rejoin-button" },
      f?.kind === "kicked" ? t("rejoin") : t("retry"),
    );
    retry.addEventListener("click", () => void client.join());
    actions.push(retry);
  }
  const el = card("error", "warn", heading, body, actions);
  el.dataset.code = f?.error?.code ?? f?.kickReason ?? (f?.kind === "ended" ? "sessionEnded" : f?.kind) ?? "";
  return el;
}
