/** Strings of the department's page (承办单位), zh-CN first and English; the
 * language choice is the shared one (../common/i18n). Statuses and actions of
 * an opinion come from ../opinions/strings. */
import { getLang } from "../common/i18n";

const zh = {
  appTitle: "承办单位 · 民情办理",
  lang: "EN",
  logout: "退出",
  loading: "正在加载…",
  retry: "重试",
  loginHeading: "承办单位登录",
  loginHint: "用管理员为本单位开设的账号登录。",
  username: "用户名",
  password: "密码",
  login: "登录",
  loggingIn: "正在登录…",
  needLogin: "请填写用户名和密码",
  notDepartment: "这是承办单位的页面。调度员请使用调度台，代表请使用民情直通车。",
  held: "待办",
  done: "已答复",
  empty: "暂无交办给本单位的民情。",
  overdueBy: "超期 {n} 个工作日",
  dueToday: "今天到期",
  daysLeft: "剩 {n} 个工作日",
  noDeadline: "未定期限",
  back: "返回",
  raisedBy: "反映人",
  deputy: "代表",
  received: "收到",
  deadline: "办理期限",
  timeline: "办理进程",
  accept: "接收办理",
  returnIt: "退回",
  returnReason: "退回理由（必填）",
  answer: "答复",
  grade_A: "A 已解决",
  grade_B: "B 正在解决",
  grade_C: "C 列入计划",
  grade_D: "D 解释说明",
  answerText: "答复内容",
  attachments: "附件照片",
  confirm: "确定",
  needReason: "请填写理由",
  needAnswer: "请选择答复类别并填写答复内容",
};

type Key = keyof typeof zh;

const en: Record<Key, string> = {
  appTitle: "Department · Opinions",
  lang: "中文",
  logout: "Log out",
  loading: "Loading…",
  retry: "Retry",
  loginHeading: "Department login",
  loginHint: "Log in with the account the administrator opened for your department.",
  username: "User name",
  password: "Password",
  login: "Log in",
  loggingIn: "Logging in…",
  needLogin: "Give the user name and the password",
  notDepartment: "This page is for departments. Dispatchers use the console, deputies their direct line.",
  held: "To handle",
  done: "Answered",
  empty: "No opinions assigned to your department.",
  overdueBy: "{n} working days overdue",
  dueToday: "Due today",
  daysLeft: "{n} working days left",
  noDeadline: "No deadline",
  back: "Back",
  raisedBy: "Raised by",
  deputy: "Deputy",
  received: "Received",
  deadline: "Deadline",
  timeline: "Progress",
  accept: "Accept",
  returnIt: "Return",
  returnReason: "Why it is returned (required)",
  answer: "Answer",
  grade_A: "A Solved",
  grade_B: "B Being solved",
  grade_C: "C Planned",
  grade_D: "D Explained",
  answerText: "The answer",
  attachments: "Attached photos",
  confirm: "Confirm",
  needReason: "Give the reason",
  needAnswer: "Choose the grade and write the answer",
};

/** Both languages' tables (web/test/i18n.test.ts checks they hold the same keys). */
export const dicts = { "zh-CN": zh, en };

/** Translate `key`, replacing `{name}` placeholders with `vars`. */
export function pt(key: Key, vars?: Record<string, string | number>): string {
  let s = (getLang() === "en" ? en[key] : zh[key]) ?? zh[key] ?? key;
  if (vars) for (const [k, v] of Object.entries(vars)) s = s.split(`{${k}}`).join(String(v));
  return s;
}

/** A key built at run time (grade_…), falling back to the raw value. */
export function ptMaybe(key: string, fallback: string): string {
  return key in zh ? pt(key as Key) : fallback;
}
