/** Strings of the console's reception duty page (#reception) and of the sign-in QR
 * overlay (station reception and a live session's 签到), zh-CN first and English. */
import { getLang } from "../common/i18n";

const zh = {
  navReception: "进站接待",
  heading: "进站接待排班",
  hint: "安排每天在联络站接待选民的代表。代表到站后用手机扫描本站当天的签到二维码签到，系统记入履职。",
  station: "联络站",
  day: "日期",
  roster: "排班代表",
  rosterSave: "保存排班",
  rosterSaved: "排班已保存。",
  noCandidates: "本镇（街道）还没有代表。",
  signedIn: "已签到 {time}",
  notSignedIn: "未签到",
  walkIn: "临时",
  walkInHint: "未排班、扫码签到的代表（临时），履职记录待审核。",
  received: "接待群众 {n} 人次",
  noShifts: "这一天还没有排班或签到。",
  showCode: "显示今日签到二维码",
  qrTitleReception: "{station} · 进站接待签到",
  recordPending: "待审核",
  recordApproved: "已确认",
  recordRejected: "未通过",
};

const en: typeof zh = {
  navReception: "Reception duty",
  heading: "Station reception duty roster",
  hint: "Plan the deputies who receive residents at the station each day. At the station a deputy scans the day's sign-in QR code with the phone; the hub records the duty.",
  station: "Station",
  day: "Date",
  roster: "Deputies on duty",
  rosterSave: "Save roster",
  rosterSaved: "The roster was saved.",
  noCandidates: "No deputies in this town yet.",
  signedIn: "Signed in {time}",
  notSignedIn: "Not signed in",
  walkIn: "Walk-in",
  walkInHint: "Deputies not on the roster who signed in (walk-in): their records await review.",
  received: "{n} residents received",
  noShifts: "Nobody is on the roster or signed in this day.",
  showCode: "Show today's sign-in QR code",
  qrTitleReception: "{station} · reception duty sign-in",
  recordPending: "Pending review",
  recordApproved: "Approved",
  recordRejected: "Rejected",
};

type Key = keyof typeof zh;

/** Both languages' tables (web/test/i18n.test.ts checks they hold the same keys). */
export const dicts = { "zh-CN": zh, en };

export function rt(key: Key, vars?: Record<string, string | number>): string {
  let s = (getLang() === "en" ? en[key] : zh[key]) ?? zh[key];
  if (vars) for (const [k, v] of Object.entries(vars)) s = s.split(`{${k}}`).join(String(v));
  return s;
}
