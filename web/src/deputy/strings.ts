/** Strings of the deputy's phone page (民情直通车), zh-CN first and English; the
 * language choice is the shared one (../common/i18n). Statuses, actions and
 * ratings of an opinion come from ../opinions/strings (one wording of them). */
import { getLang } from "../common/i18n";

const zh = {
  appTitle: "人大代表 · 民情直通车",
  lang: "EN",
  logout: "退出",
  loading: "正在加载…",
  retry: "重试",
  // login and set-up
  loginHeading: "代表登录",
  loginHint: "用手机号和密码登录。第一次使用，请从邀请链接打开本页设置密码。",
  phone: "手机号",
  password: "密码",
  passwordAgain: "再输一次密码",
  login: "登录",
  loggingIn: "正在登录…",
  setupHeading: "设置代表账号",
  setupHint: "以后用手机号和这个密码登录本页，不必再找邀请链接。",
  setupSubmit: "设置并登录",
  setupBusy: "正在设置…",
  needPhone: "请填写手机号",
  needPassword: "请填写密码",
  passwordsDiffer: "两次输入的密码不一致",
  notDeputy: "这是代表的页面。调度员和联络站请使用调度台。",
  toConsole: "打开调度台",
  // tabs
  tabCapture: "采集民情",
  tabItems: "我的民情",
  tabDuty: "我的履职",
  tabSessions: "我的会议",
  // items
  itemsEmpty: "还没有提交过民情。",
  awaitingRating: "{n} 件待评价",
  openItems: "{n} 件在办",
  back: "返回",
  timeline: "办理进程",
  answer: "承办单位答复",
  grade: "答复类别",
  noAnswer: "承办单位尚未答复。",
  rateHeading: "请评价办理结果",
  rateNote: "补充意见（可选；不满意将重新交办）",
  rated: "已评价：{rating}",
  reopenedNote: "已重新交办，承办单位将再次办理。",
  deadline: "办理期限",
  overdue: "已超期",
  department: "承办单位",
  resident: "群众",
  // duty
  pointsYear: "今年积分",
  pointsTotal: "累计积分",
  pendingRecords: "{n} 条待审核",
  dutyEmpty: "还没有履职记录。",
  status_approved: "已确认",
  status_pending: "待审核",
  status_rejected: "未通过",
  // sessions
  sessionsEmpty: "近期没有邀请您参加的会议。",
  join: "进入会议",
  joining: "正在打开…",
  state_scheduled: "未开始",
  state_lobby: "候场中",
  state_live: "进行中",
  state_ended: "已结束",
  state_cancelled: "已取消",
  // sign-in by QR (进站接待, a session's 签到)
  signinAfterLogin: "登录后将自动完成签到。",
  signinBusy: "正在签到…",
  signinReception: "签到成功：{station} 进站接待（{day}）",
  signinSession: "会议签到成功：{title}",
  signinAlready: "已签到：{station}（{time}），无需重复签到",
  signinAlreadySession: "已签到：{title}，无需重复签到",
  signinWalkIn: "您不在今天的排班中，已按临时接待记录，待联络站审核。",
  signinRecord: "履职记录：{kind} {points} 分（{status}）",
  signinDismiss: "知道了",
  bindDevice: "绑定本机，以后免密码登录（解除：退出登录）",
};

type Key = keyof typeof zh;

const en: Record<Key, string> = {
  appTitle: "Deputy · Direct line",
  lang: "中文",
  logout: "Log out",
  loading: "Loading…",
  retry: "Retry",
  loginHeading: "Deputy login",
  loginHint: "Log in with your phone number and password. The first time, open this page from your invitation link to set a password.",
  phone: "Phone number",
  password: "Password",
  passwordAgain: "Password again",
  login: "Log in",
  loggingIn: "Logging in…",
  setupHeading: "Set up your deputy account",
  setupHint: "From now on you log in here with your phone number and this password; no invitation link needed.",
  setupSubmit: "Set up and log in",
  setupBusy: "Setting up…",
  needPhone: "Give your phone number",
  needPassword: "Give a password",
  passwordsDiffer: "The two passwords differ",
  notDeputy: "This page is for deputies. Dispatchers and stations use the console.",
  toConsole: "Open the console",
  tabCapture: "Capture",
  tabItems: "My items",
  tabDuty: "My duty",
  tabSessions: "My sessions",
  itemsEmpty: "No opinions submitted yet.",
  awaitingRating: "{n} awaiting your rating",
  openItems: "{n} being handled",
  back: "Back",
  timeline: "Progress",
  answer: "The department's answer",
  grade: "Answer grade",
  noAnswer: "The department has not answered yet.",
  rateHeading: "Rate the result",
  rateNote: "Remark (optional; unsatisfied sends it back for handling)",
  rated: "Rated: {rating}",
  reopenedNote: "Sent back; the department will handle it again.",
  deadline: "Deadline",
  overdue: "Overdue",
  department: "Department",
  resident: "Resident",
  pointsYear: "Points this year",
  pointsTotal: "Points in all",
  pendingRecords: "{n} awaiting review",
  dutyEmpty: "No duty records yet.",
  status_approved: "Approved",
  status_pending: "Pending",
  status_rejected: "Rejected",
  sessionsEmpty: "No upcoming sessions you are invited to.",
  join: "Join",
  joining: "Opening…",
  state_scheduled: "Scheduled",
  state_lobby: "Lobby open",
  state_live: "Live",
  state_ended: "Ended",
  state_cancelled: "Cancelled",
  signinAfterLogin: "After you log in, the sign-in completes by itself.",
  signinBusy: "Signing in…",
  signinReception: "Signed in: reception duty at {station} ({day})",
  signinSession: "Signed in to the session: {title}",
  signinAlready: "Already signed in: {station} ({time}); nothing more to do",
  signinAlreadySession: "Already signed in: {title}; nothing more to do",
  signinWalkIn: "You are not on today's roster: recorded as a walk-in, pending the station's review.",
  signinRecord: "Duty record: {kind} {points} points ({status})",
  signinDismiss: "OK",
  bindDevice: "Bind this phone: no password needed (log out to unbind)",
};

/** Both languages' tables (web/test/i18n.test.ts checks they hold the same keys). */
export const dicts = { "zh-CN": zh, en };

/** Translate `key`, replacing `{name}` placeholders with `vars`. */
export function dt(key: Key, vars?: Record<string, string | number>): string {
  let s = (getLang() === "en" ? en[key] : zh[key]) ?? zh[key] ?? key;
  if (vars) for (const [k, v] of Object.entries(vars)) s = s.split(`{${k}}`).join(String(v));
  return s;
}

/** A key built at run time (state_…, status_…), falling back to the raw value. */
export function dtMaybe(key: string, fallback: string): string {
  return key in zh ? dt(key as Key) : fallback;
}
