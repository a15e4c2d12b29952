/** Strings of the residents' online liaison station (网上联络站), zh-CN first and
 * English; the language choice is the shared one (../common/i18n). Statuses and
 * actions of an opinion come from ../opinions/strings. */
import { getLang } from "../common/i18n";

const zh = {
  appTitle: "海宁人大 · 网上联络站",
  lang: "EN",
  loading: "正在加载…",
  tabSend: "反映问题",
  tabLookup: "查询进度",
  intro: "向您所在镇（街道）的人大代表联络站反映问题。提交后请记下编号，凭编号和手机号后四位查询办理进度。",
  town: "镇（街道）",
  station: "联络站",
  locate: "按位置选择",
  locating: "正在定位…",
  located: "已选择离您最近的联络站：{name}（约 {km} 公里），可以改选。",
  locateFailed: "无法获取您的位置，请从列表中选择联络站。",
  chooseTown: "请选择镇（街道）",
  category: "问题分类",
  requestType: "诉求类型",
  choose: "请选择",
  summary: "问题摘要",
  details: "详细情况",
  photos: "照片（最多 3 张）",
  name: "姓名",
  phone: "手机号",
  privacy: "姓名和手机号仅用于联系您，列表和查询中均做遮挡处理。",
  send: "提交",
  sending: "正在提交…",
  sentHeading: "已收到您反映的问题",
  sentRef: "编号：{ref}",
  sentHint: "请记下编号。凭编号和手机号后四位可随时查询办理进度。",
  another: "再反映一个问题",
  needFields: "请填写：{fields}",
  reference: "编号（如 MQ2026-000017）",
  digits: "手机号后四位",
  lookup: "查询",
  status: "办理状态",
  answer: "承办单位答复",
  steps: "办理进程",
  deadline: "办理期限",
};

type Key = keyof typeof zh;

const en: Record<Key, string> = {
  appTitle: "Haining People's Congress · Online Liaison Station",
  lang: "中文",
  loading: "Loading…",
  tabSend: "Report a matter",
  tabLookup: "Follow it",
  intro: "Report a matter to the deputies' liaison station of your town. Keep the reference number you get: with it and the last four digits of your phone you can follow its progress.",
  town: "Town",
  station: "Station",
  locate: "Choose by location",
  locating: "Locating…",
  located: "The station nearest to you was chosen: {name} (about {km} km); you may change it.",
  locateFailed: "Your location is not available: choose the station from the list.",
  chooseTown: "Choose your town",
  category: "Category",
  requestType: "Kind of request",
  choose: "Choose",
  summary: "In one sentence",
  details: "Details",
  photos: "Photos (at most 3)",
  name: "Name",
  phone: "Mobile number",
  privacy: "Your name and number serve only to contact you; lists and lookups mask them.",
  send: "Send",
  sending: "Sending…",
  sentHeading: "Your matter was received",
  sentRef: "Reference: {ref}",
  sentHint: "Keep the reference number. With it and the last four digits of your phone you can follow the progress.",
  another: "Report another matter",
  needFields: "Please fill in: {fields}",
  reference: "Reference (e.g. MQ2026-000017)",
  digits: "Last four digits of the phone",
  lookup: "Look up",
  status: "Status",
  answer: "The department's answer",
  steps: "Progress",
  deadline: "Deadline",
};

/** Both languages' tables (web/test/i18n.test.ts checks they hold the same keys). */
export const dicts = { "zh-CN": zh, en };

/** Translate `key`, replacing `{name}` placeholders with `vars`. */
export function rt(key: Key, vars?: Record<string, string | number>): string {
  let s = (getLang() === "en" ? en[key] : zh[key]) ?? zh[key] ?? key;
  if (vars) for (const [k, v] of Object.entries(vars)) s = s.split(`{${k}}`).join(String(v));
  return s;
}
