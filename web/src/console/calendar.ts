/** Week view (time grid; an agenda list on phones) and month overview. */
import { getLang, tList } from "../common/i18n";
import { h } from "../common/dom";
import type { Stations } from "../common/stations";
import { ct } from "./strings";
import { DAY_MS, addDays, dateValue, dayLabel, hm, instant, monthName, wall, weekStart } from "../common/time";
import type { Session, SessionState } from "../common/types";

export interface CalEvent {
  session: Session;
  start: Date;
  end: Date;
  state: SessionState;
}

const HOUR_PX = 44;

function eventChip(ev: CalEvent, stations: Stations, onOpen: (s: Session) => void, cls: string): HTMLElement {
  const el = h(
    "button",
    {
      type: "button",
      class: `${cls} state-${ev.state}`,
      "data-testid": "calendar-event",
      "data-session-id": ev.session.id,
      "data-state": ev.state,
      title: `${ev.session.title}\n${hm(ev.start)}–${hm(ev.end)}\n${stations.summary(ev.session.stations, 20)}`,
    },
    h("span", { class: "cal-ev-time" }, `${hm(ev.start)}–${hm(ev.end)}`),
    h("span", { class: "cal-ev-title" }, ev.session.title),
  );
  el.addEventListener("click", () => onOpen(ev.session));
  return el;
}

export function weekView(anchor: Date, events: CalEvent[], stations: Stations, onOpen: (s: Session) => void, onNewAt: (d: Date) => void): HTMLElement {
  const start = weekStart(anchor);
  const days = Array.from({ length: 7 }, (_, i) => addDays(start, i));
  const today = dateValue(new Date());
  let first = 8;
  let last = 20;
  for (const ev of events) {
    const ws = wall(ev.start);
    const we = wall(ev.end);
    first = Math.min(first, ws.hh);
    last = Math.max(last, dateValue(ev.end) !== dateValue(ev.start) ? 24 : we.hh + (we.mm ? 1 : 0));
  }
  const hours = Array.from({ length: last - first }, (_, i) => first + i);

  const head = h("div", { class: "cal-week-head" }, h("div", { class: "cal-gutter" }));
  const body = h("div", { class: "cal-week-body", style: `--hours:${hours.length};--hour:${HOUR_PX}px` });
  const gutter = h("div", { class: "cal-gutter" });
  for (const hr of hours) gutter.append(h("div", { class: "cal-hour-label" }, `${String(hr).padStart(2, "0")}:00`));
  body.append(gutter);
  const agenda = h("div", { class: "cal-agenda" });

  for (const day of days) {
    const dv = dateValue(day);
    const w = wall(day);
    head.append(
      h("div", { class: `cal-day-head${dv === today ? " is-today" : ""}` },
        h("span", { class: "cal-dow" }, tList("weekdays")[w.dow]),
        h("span", { class: "cal-dnum" }, String(w.d)),
      ),
    );
    const col = h("div", { class: `cal-col${dv === today ? " is-today" : ""}`, "data-date": dv });
    col.addEventListener("dblclick", (e) => {
      if (e.target !== col) return;
      const hr = first + Math.floor((e as MouseEvent).offsetY / HOUR_PX);
      onNewAt(instant(w.y, w.m, w.d, hr));
    });
    const dayEvents = events
      .filter((ev) => ev.start.getTime() < day.getTime() + DAY_MS && ev.end.getTime() > day.getTime())
      .sort((a, b) => a.start.getTime() - b.start.getTime());
    // lanes for overlapping events
    const lanes: number[] = [];
    const laneOf = new Map<CalEvent, number>();
    for (const ev of dayEvents) {
      let lane = lanes.findIndex((endT) => endT <= ev.start.getTime());
      if (lane < 0) {
        lane = lanes.length;
        lanes.push(0);
      }
      lanes[lane] = ev.end.getTime();
      laneOf.set(ev, lane);
    }
    for (const ev of dayEvents) {
      const s = Math.max(ev.start.getTime(), day.getTime());
      const e = Math.min(ev.end.getTime(), day.getTime() + DAY_MS);
      const top = ((s - day.getTime()) / 3600000 - first) * HOUR_PX;
      const height = Math.max(((e - s) / 3600000) * HOUR_PX, 22);
      const chip = eventChip(ev, stations, onOpen, "cal-ev");
      const lane = laneOf.get(ev)!;
      chip.style.cssText = `top:${top}px;height:${height}px;left:calc(${(lane / lanes.length) * 100}% + 2px);width:calc(${100 / lanes.length}% - 4px)`;
      col.append(chip);
    }
    body.append(col);

    const agendaDay = h("div", { class: `cal-agenda-day${dv === today ? " is-today" : ""}` }, h("div", { class: "cal-agenda-date" }, dayLabel(day)));
    if (!dayEvents.length) agendaDay.append(h("div", { class: "c-muted cal-agenda-empty" }, ct("noEventsDay")));
    for (const ev of dayEvents) agendaDay.append(eventChip(ev, stations, onOpen, "cal-agenda-ev"));
    agenda.append(agendaDay);
  }
  return h("div", { class: "cal-week", "data-testid": "calendar-week" }, h("div", { class: "cal-week-grid" }, head, body), agenda);
}

export function monthGridStart(anchor: Date): Date {
  const w = wall(anchor);
  return weekStart(instant(w.y, w.m, 1, 12));
}

export function monthView(anchor: Date, events: CalEvent[], stations: Stations, onOpen: (s: Session) => void, onDay: (d: Date) => void): HTMLElement {
  const aw = wall(anchor);
  const start = monthGridStart(anchor);
  const today = dateValue(new Date());
  const grid = h("div", { class: "cal-month", "data-testid": "calendar-month" });
  for (const name of tList("weekdays")) grid.append(h("div", { class: "cal-month-dow" }, name));
  for (let i = 0; i < 42; i++) {
    const day = addDays(start, i);
    const w = wall(day);
    const dv = dateValue(day);
    const cell = h("div", {
      class: `cal-month-cell${w.m !== aw.m ? " is-other" : ""}${dv === today ? " is-today" : ""}`,
      "data-date": dv,
    });
    const num = h("button", { type: "button", class: "cal-month-num" }, String(w.d));
    num.addEventListener("click", () => onDay(day));
    cell.append(num);
    const dayEvents = events
      .filter((ev) => ev.start.getTime() < day.getTime() + DAY_MS && ev.end.getTime() > day.getTime())
      .sort((a, b) => a.start.getTime() - b.start.getTime());
    for (const ev of dayEvents.slice(0, 3)) cell.append(eventChip(ev, stations, onOpen, "cal-month-ev"));
    if (dayEvents.length > 3) {
      const more = h("button", { type: "button", class: "cal-more" }, ct("more", { n: dayEvents.length - 3 }));
      more.addEventListener("click", () => onDay(day));
      cell.append(more);
    }
    if (dayEvents.length) cell.append(h("span", { class: "cal-dot", "aria-hidden": "true" }));
    grid.append(cell);
  }
  return grid;
}

export function periodLabel(mode: "week" | "month", anchor: Date): string {
  const en = getLang() === "en";
  if (mode === "month") {
    const w = wall(anchor);
    return ct("monthOf", { y: w.y, m: w.m, mn: en ? monthName(w.m) : String(w.m) });
  }
  const s = wall(weekStart(anchor));
  const e = wall(addDays(weekStart(anchor), 6));
  return ct("weekOf", { y: s.y, m: s.m, d: s.d, m2: e.m, d2: e.d, mn: monthName(s.m), mn2: monthName(e.m) });
}
