/** The notification centre of every signed-in page (issue 13): a bell with the
 * count of the caller's reminders and their list, from GET /api/me/notifications
 * (derived by the hub when asked, opinions/reminders.py). Polled every 30 s and
 * when the page comes back into focus; one bell per page, moved into whichever
 * top bar is drawn, polling only while it is in the document. */
import { get } from "./api";
import { h, icon, setAttr, setText } from "./dom";
import { onLangChange, t, tMaybe } from "./i18n";
import { icons } from "./icons";
import { dateValue, hm } from "./time";

export const POLL_MS = 30_000;

export interface Reminder {
  kind: string;
  at: string;
  title: string;
  opinionId: number | null;
  reference: string | null;
  sessionId: number | null;
}

/** A reminder's line: what happened, then the item's reference and title. */
export function reminderText(r: Reminder): string {
  return [tMaybe(`remind_${r.kind}`, r.kind), r.reference, r.title].filter(Boolean).join(" · ");
}

/** Drawing the top bar again asks again, at most this often (a new sign-in is seen at once). */
const REDRAW_MS = 5_000;

let bell: HTMLElement | null = null;
let polled = 0;

export function notificationBell(): HTMLElement {
  if (bell) {
    if (Date.now() - polled > REDRAW_MS) window.setTimeout(() => bell?.dispatchEvent(new Event("bell:refresh")), 0);
    return bell;
  }
  let items: Reminder[] = [];
  const count = h("span", { class: "bell-count", "data-testid": "bell-count", hidden: true }, "0");
  const list = h("ul", { class: "bell-list", "data-testid": "bell-list", hidden: true });
  const button = h(
    "button",
    { class: "lang-toggle bell-button", type: "button", "data-testid": "bell", "aria-expanded": "false" },
    icon(icons.bell),
    count,
  );
  const root = h("div", { class: "bell" }, button, list);

  const draw = (): void => {
    setText(count, String(items.length));
    count.hidden = items.length === 0;
    const label = items.length ? t("bellCount", { n: items.length }) : t("bellLabel");
    setAttr(button, "title", label);
    setAttr(button, "aria-label", label);
    setAttr(button, "data-count", String(items.length));
    list.replaceChildren(
      ...(items.length
        ? items.map((r) =>
            h(
              "li",
              { class: `bell-item bell-${r.kind}`, "data-testid": "bell-item", "data-kind": r.kind },
              h("span", { class: "bell-text" }, reminderText(r)),
              h("span", { class: "bell-at" }, `${dateValue(r.at)} ${hm(r.at)}`),
            ),
          )
        : [h("li", { class: "bell-empty" }, t("bellEmpty"))]),
    );
  };

  const poll = async (): Promise<void> => {
    if (!root.isConnected) return;
    polled = Date.now();
    try {
      items = (await get<{ items: Reminder[] }>("/me/notifications")).items;
    } catch {
      return; // offline or signed out: keep what is shown; the next poll tries again
    }
    draw();
  };

  button.addEventListener("click", () => {
    list.hidden = !list.hidden;
    setAttr(button, "aria-expanded", String(!list.hidden));
  });
  window.setInterval(() => void poll(), POLL_MS);
  window.addEventListener("focus", () => void poll());
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") void poll();
  });
  root.addEventListener("bell:refresh", () => void poll());
  onLangChange(() => draw());
  draw();
  bell = root;
  window.setTimeout(() => void poll(), 0); // once it is placed in a top bar
  return root;
}

/** Poll now (after an action that may change the reminders). */
export function refreshBell(): void {
  if (bell) bell.dispatchEvent(new Event("bell:refresh"));
}
