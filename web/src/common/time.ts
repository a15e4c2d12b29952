/** Wall-clock time in Asia/Shanghai (UTC+8 all year, no daylight saving), whatever
 * the browser's own zone is. */
import { getLang, tList } from "./i18n";

/** The hub's zone (hub/zone.py TIME_ZONE), as series are stored and repeated. */
export const TIME_ZONE = "Asia/Shanghai";
const OFFSET_MS = 8 * 3600 * 1000;
export const DAY_MS = 24 * 3600 * 1000;

export interface Wall {
  y: number;
  m: number; // 1-12
  d: number;
  hh: number;
  mm: number;
  dow: number; // 0 = Monday … 6 = Sunday
}

export function wall(t: Date | string | number): Wall {
  const x = new Date(new Date(t).getTime() + OFFSET_MS);
  return {
    y: x.getUTCFullYear(),
    m: x.getUTCMonth() + 1,
    d: x.getUTCDate(),
    hh: x.getUTCHours(),
    mm: x.getUTCMinutes(),
    dow: (x.getUTCDay() + 6) % 7,
  };
}

/** The instant of a Shanghai wall-clock time. */
export function instant(y: number, m: number, d: number, hh = 0, mm = 0): Date {
  return new Date(Date.UTC(y, m - 1, d, hh, mm) - OFFSET_MS);
}

const p2 = (n: number) => String(n).padStart(2, "0");

export function dateValue(t: Date | string): string {
  const w = wall(t);
  return `${w.y}-${p2(w.m)}-${p2(w.d)}`;
}

export function timeValue(t: Date | string): string {
  const w = wall(t);
  return `${p2(w.hh)}:${p2(w.mm)}`;
}

/** "2025-03-07" + "14:00" → "2025-03-07T14:00:00+08:00" (or null if malformed). */
export function isoOf(date: string, time: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || !/^\d{2}:\d{2}$/.test(time)) return null;
  return `${date}T${time}:00+08:00`;
}

export function parseDateValue(date: string): { y: number; m: number; d: number } | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  return m ? { y: +m[1], m: +m[2], d: +m[3] } : null;
}

/** Midnight (Shanghai) of the day containing t. */
export function dayStart(t: Date | string | number): Date {
  const w = wall(t);
  return instant(w.y, w.m, w.d);
}

export function weekStart(t: Date | string | number): Date {
  const w = wall(t);
  return instant(w.y, w.m, w.d - w.dow);
}

export function addDays(t: Date, n: number): Date {
  return new Date(t.getTime() + n * DAY_MS);
}

export function hm(t: Date | string): string {
  return timeValue(t);
}

const MONTHS_EN = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

export function monthName(m: number): string {
  return MONTHS_EN[m - 1];
}

/** "3月7日 周五" / "Fri 7 Mar". */
export function dayLabel(t: Date | string): string {
  const w = wall(t);
  const wd = tList("weekdays")[w.dow];
  return getLang() === "en" ? `${wd} ${w.d} ${MONTHS_EN[w.m - 1]}` : `${w.m}月${w.d}日 周${wd}`;
}

/** "3月7日 周五 14:00–15:30" */
export function rangeLabel(start: Date | string, end: Date | string): string {
  const same = dateValue(start) === dateValue(end);
  return same
    ? `${dayLabel(start)} ${hm(start)}–${hm(end)}`
    : `${dayLabel(start)} ${hm(start)} – ${dayLabel(end)} ${hm(end)}`;
}

export function whenLabel(t: Date | string): string {
  return `${dayLabel(t)} ${hm(t)}`;
}

export function minutesUntil(t: Date | string): number {
  return Math.round((new Date(t).getTime() - Date.now()) / 60000);
}

export function clockNow(): string {
  const w = wall(Date.now());
  return `${p2(w.hh)}:${p2(w.mm)}:${p2(new Date().getUTCSeconds())}`;
}
