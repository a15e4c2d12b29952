/**
 * All user-visible strings, in Simplified Chinese (default) and English.
 * The choice is remembered in localStorage; `?lang=en` overrides it for one visit.
 */
import type { Lang } from "./protocol";

const zh = {
  appTitle: "人大代表联络站 · 视频联络",
  appSubtitle: "海宁“1+12+X”代表联络矩阵",
  langToggle: "EN",
  langToggleLabel: "Switch to English",
  sessionLabel: "会话",
  sessionUnknown: "会话 {id}",
  prejoinHeading: "加入视频联络",
  prejoinHint: "请检查摄像头和麦克风，确认后点击“加入”。",
  camera: "摄像头",
  microphone: "麦克风",
  cameraOn: "摄像头已开启",
  cameraOff: "摄像头已关闭",
  micOn: "麦克风已开启",
  micOff: "麦克风已关闭",
  toggleCamera: "开关摄像头",
  toggleMic: "开关麦克风",
  noDevices: "未检测到设备",
  defaultDevice: "默认设备",
  join: "加入",
  joining: "正在加入…",
  rejoin: "重新加入",
  retry: "重试",
  backToPrejoin: "返回",
  leave: "离开",
  leaveConfirm: "确定离开本次视频联络？",
  noToken: "链接缺少加入令牌，无法加入。请向联络分站索取完整的加入链接。",
  mediaDenied: "无法使用摄像头或麦克风（{reason}）。仍可以“仅接收”方式加入，只看和听其他联络站。",
  mediaPartial: "未能打开{kind}（{reason}），将在没有{kind}的情况下加入。",
  mediaNone: "未取得摄像头和麦克风：将以“仅接收”方式加入。",
  mediaLoading: "正在打开摄像头和麦克风…",
  receiveOnly: "仅接收",
  previewOff: "摄像头未开启",
  you: "本站",
  youSuffix: "（本站）",
  noOthers: "暂无其他联络站在线，请稍候…",
  participantsCount: "在线 {n} 个站点",
  speaking: "正在发言",
  stateConnecting: "正在连接…",
  stateConnected: "已连接",
  stateReconnecting: "正在重新连接…",
  stateReconnectingN: "正在重新连接…（第 {n} 次）",
  stateDisconnected: "未连接",
  statePublish: "发送",
  stateSubscribe: "接收",
  pcNone: "未建立",
  pc_new: "新建",
  pc_connecting: "连接中",
  pc_connected: "已连通",
  pc_disconnected: "中断",
  pc_failed: "失败",
  pc_closed: "已关闭",
  peerConnecting: "连接中",
  peerLost: "连接中断",
  leftHeading: "您已离开视频联络",
  leftBody: "本站的音视频已停止发送。如需继续，请点击“重新加入”。",
  errorHeading: "无法加入视频联络",
  kickedHeading: "本站已在其他窗口加入",
  kicked_replaced: "同一联络站在另一个窗口或设备上重新加入，本窗口已断开。",
  kicked_other: "已被主持方移出会话（{reason}）。",
  audioBlocked: "浏览器阻止了自动播放声音，点击此处开启声音",
  cameraFailed: "无法打开摄像头：{reason}",
  micFailed: "无法打开麦克风：{reason}",
  joinFailed: "加入失败：{reason}",
  timeout: "服务器无响应",
  offline: "无法连接到联络平台服务器",
  level_general: "总站",
  level_branch: "分站",
  level_town: "镇（街道）联络站",
  level_room: "基层联络室",
  dismiss: "关闭",
};

export type MessageKey = keyof typeof zh;

const en: Record<MessageKey, string> = {
  appTitle: "Deputy Liaison Station · Video Link",
  appSubtitle: "Haining “1+12+X” deputy liaison network",
  langToggle: "中文",
  langToggleLabel: "切换到中文",
  sessionLabel: "Session",
  sessionUnknown: "Session {id}",
  prejoinHeading: "Join the video session",
  prejoinHint: "Check your camera and microphone, then press Join.",
  camera: "Camera",
  microphone: "Microphone",
  cameraOn: "Camera on",
  cameraOff: "Camera off",
  micOn: "Microphone on",
  micOff: "Microphone off",
  toggleCamera: "Toggle camera",
  toggleMic: "Toggle microphone",
  noDevices: "No device found",
  defaultDevice: "Default device",
  join: "Join",
  joining: "Joining…",
  rejoin: "Rejoin",
  retry: "Retry",
  backToPrejoin: "Back",
  leave: "Leave",
  leaveConfirm: "Leave this video session?",
  noToken: "The link has no join token. Please ask the branch station for the complete join link.",
  mediaDenied: "Camera or microphone unavailable ({reason}). You can still join receive-only to see and hear the other stations.",
  mediaPartial: "Could not open the {kind} ({reason}); joining without it.",
  mediaNone: "No camera or microphone: joining receive-only.",
  mediaLoading: "Opening camera and microphone…",
  receiveOnly: "Receive only",
  previewOff: "Camera is off",
  you: "This station",
  youSuffix: " (you)",
  noOthers: "No other station is online yet. Please wait…",
  participantsCount: "{n} stations online",
  speaking: "Speaking",
  stateConnecting: "Connecting…",
  stateConnected: "Connected",
  stateReconnecting: "Reconnecting…",
  stateReconnectingN: "Reconnecting… (attempt {n})",
  stateDisconnected: "Disconnected",
  statePublish: "Send",
  stateSubscribe: "Receive",
  pcNone: "none",
  pc_new: "new",
  pc_connecting: "connecting",
  pc_connected: "connected",
  pc_disconnected: "interrupted",
  pc_failed: "failed",
  pc_closed: "closed",
  peerConnecting: "Connecting",
  peerLost: "Connection lost",
  leftHeading: "You have left the session",
  leftBody: "This station no longer sends audio or video. Press Rejoin to continue.",
  errorHeading: "Could not join the session",
  kickedHeading: "This station joined from another window",
  kicked_replaced: "The same station joined again from another window or device, so this window was disconnected.",
  kicked_other: "Removed from the session ({reason}).",
  audioBlocked: "The browser blocked sound autoplay. Click here to enable sound",
  cameraFailed: "Could not open the camera: {reason}",
  micFailed: "Could not open the microphone: {reason}",
  joinFailed: "Join failed: {reason}",
  timeout: "The server did not answer",
  offline: "Cannot reach the liaison hub server",
  level_general: "General station",
  level_branch: "Branch station",
  level_town: "Town station",
  level_room: "Grassroots room",
  dismiss: "Dismiss",
};

const dicts: Record<Lang, Record<MessageKey, string>> = { "zh-CN": zh, en };
const STORAGE_KEY = "liaisonHub.lang";

function initialLang(): Lang {
  const q = new URLSearchParams(window.location.search).get("lang");
  if (q === "en" || q === "zh-CN" || q === "zh") return q === "en" ? "en" : "zh-CN";
  try {
    const saved = window.localStorage.getItem(STORAGE_KEY);
    if (saved === "en" || saved === "zh-CN") return saved;
  } catch {
    /* storage unavailable */
  }
  return "zh-CN";
}

let current: Lang = initialLang();
const listeners = new Set<(lang: Lang) => void>();
document.documentElement.lang = current;

export function getLang(): Lang {
  return current;
}

export function setLang(lang: Lang): void {
  if (lang === current) return;
  current = lang;
  document.documentElement.lang = lang;
  try {
    window.localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    /* ignore */
  }
  for (const l of [...listeners]) l(lang);
}

export function toggleLang(): void {
  setLang(current === "zh-CN" ? "en" : "zh-CN");
}

export function onLangChange(cb: (lang: Lang) => void): () => void {
  listeners.add(cb);
  return () => listeners.delete(cb);
}

/** Translate `key`, replacing `{name}` placeholders with `vars`. */
export function t(key: MessageKey, vars?: Record<string, string | number>): string {
  let s = dicts[current][key] ?? zh[key] ?? key;
  if (vars) {
    for (const [k, v] of Object.entries(vars)) s = s.split(`{${k}}`).join(String(v));
  }
  return s;
}

/** Translate if `key` is a known message key, else return `fallback`. */
export function tMaybe(key: string, fallback: string, vars?: Record<string, string | number>): string {
  return key in zh ? t(key as MessageKey, vars) : fallback;
}
