/** The form's recurrence choices ↔ RFC 5545 RRULE (repeats in Asia/Shanghai). */
import { getLang, tList } from "../common/i18n";
import { ct, ctList } from "./strings";
import { parseDateValue, wall, instant } from "../common/time";

export const BYDAY = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];

export interface Recurrence {
  freq: "none" | "weekly" | "monthly";
  weekdays: number[]; // 0 = Monday, for weekly
  until: string; // YYYY-MM-DD (Shanghai) or ""
}

/** The Nth weekday of the month for a date: {n: 1..5, last, dow}. */
export function nthOfDate(date: string): { n: number; last: boolean; dow: number } | null {
  const p = parseDateValue(date);
  if (!p) return null;
  const w = wall(instant(p.y, p.m, p.d, 12));
  const n = Math.floor((p.d - 1) / 7) + 1;
  const next = wall(instant(p.y, p.m, p.d + 7, 12));
  return { n, last: next.m !== p.m, dow: w.dow };
}

export function buildRrule(r: Recurrence, date: string): string | null {
  if (r.freq === "none") return null;
  let rule: string;
  if (r.freq === "weekly") {
    const days = r.weekdays.length ? [...r.weekdays].sort() : [nthOfDate(date)?.dow ?? 0];
    rule = `FREQ=WEEKLY;BYDAY=${days.map((d) => BYDAY[d]).join(",")}`;
  } else {
    const nth = nthOfDate(date);
    if (!nth) return null;
    const n = nth.n >= 5 ? -1 : nth.n;
    rule = `FREQ=MONTHLY;BYDAY=${n}${BYDAY[nth.dow]}`;
  }
  const u = parseDateValue(r.until);
  if (u) {
    // the end of that day in Shanghai, as UTC
    const end = new Date(instant(u.y, u.m, u.d, 23, 59).getTime() + 59000);
    const iso = end.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
    rule += `;UNTIL=${iso}`;
  }
  return rule;
}

export function parseRrule(rule: string | null): Recurrence {
  const out: Recurrence = { freq: "none", weekdays: [], until: "" };
  if (!rule) return out;
  const parts = new Map(rule.replace(/^RRULE:/i, "").split(";").map((kv) => kv.split("=") as [string, string]));
  const freq = parts.get("FREQ");
  if (freq === "WEEKLY") {
    out.freq = "weekly";
    out.weekdays = (parts.get("BYDAY") ?? "").split(",").map((d) => BYDAY.indexOf(d)).filter((i) => i >= 0);
  } else if (freq === "MONTHLY") {
    out.freq = "monthly";
  }
  const until = parts.get("UNTIL");
  if (until) {
    const m = /^(\d{4})(\d{2})(\d{2})(T(\d{2})(\d{2})(\d{2})Z?)?/.exec(until);
    if (m) {
      const t = m[4] ? new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[5], +m[6], +m[7])) : instant(+m[1], +m[2], +m[3]);
      const w = wall(t);
      out.until = `${w.y}-${String(w.m).padStart(2, "0")}-${String(w.d).padStart(2, "0")}`;
    }
  }
  return out;
}

function monthlyLabel(n: number, dow: number): string {
  const wd = ctList("weekdayLong")[dow];
  if (n < 0) return ct("recurMonthlyLast", { wd });
  return ct("recurMonthlyNth", { n: ctList("nth")[n - 1] ?? String(n), wd });
}

/** "每月第一个星期二" for the form's monthly option on this date. */
export function monthlyOptionLabel(date: string): string {
  const nth = nthOfDate(date);
  if (!nth) return ct("recurMonthly");
  return monthlyLabel(nth.n >= 5 ? -1 : nth.n, nth.dow);
}

/** A human description of an RRULE: 每周一、三 / 每月第一个星期二. */
export function describeRrule(rule: string | null): string {
  if (!rule) return "";
  const parts = new Map(rule.replace(/^RRULE:/i, "").split(";").map((kv) => kv.split("=") as [string, string]));
  const freq = parts.get("FREQ");
  const byday = (parts.get("BYDAY") ?? "").split(",").filter(Boolean);
  const short = tList("weekdays");
  const sep = getLang() === "en" ? ", " : "、";
  if (freq === "WEEKLY") {
    const days = byday.map((d) => BYDAY.indexOf(d)).filter((i) => i >= 0).map((i) => short[i]);
    return ct("recurWeeklyOn", { days: days.join(sep) || "" });
  }
  if (freq === "MONTHLY" && byday.length) {
    const m = /^(-?\d)?([A-Z]{2})$/.exec(byday[0]);
    if (m) return monthlyLabel(m[1] ? Number(m[1]) : 1, BYDAY.indexOf(m[2]));
  }
  if (freq === "MONTHLY") return ct("recurMonthly");
  if (freq === "WEEKLY") return ct("recurWeekly");
  return rule;
}
