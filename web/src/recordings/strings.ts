/** Strings of the recordings 录像 section of the console, zh-CN first and English;
 * the language choice is the shared one (../common/i18n). */
import { getLang } from "../common/i18n";

const zh = {
  listTitle: "会议录像",
  filterStation: "联络站代码",
  filterTitle: "标题",
  filterFrom: "开始日期",
  search: "查询",
  none: "暂无录像",
  colDate: "日期",
  colTitle: "会议",
  colStations: "联络站",
  colLength: "时长",
  colReason: "结束",
  open: "回放",
  back: "返回列表",
  play: "播放",
  pause: "暂停",
  speed: "倍速",
  prevMarker: "上一标记",
  nextMarker: "下一标记",
  downloads: "下载",
  downloadTimeline: "时间线（JSON）",
  exportStart: "导出 MP4",
  exportRunning: "正在导出 {p}%",
  exportDone: "下载 MP4",
  exportFailed: "导出失败，可重试",
  downloadTrack: "{name} 的音视频",
  markerOpinion: "民情 {label}",
  markerStage: "主画面：{label}",
  markerHands: "申请发言：{label}",
  stageNobody: "此时无人发言",
  reason_stopped: "手动停止",
  reason_ended: "会议结束",
  reason_disk: "存储故障",
  reason_budget: "空间用完",
  reason_shutdown: "服务停止",
  reason_interrupted: "意外中断",
  reason_running: "录制中",
  loadFailed: "读取录像失败：{message}",
  startedBy: "由 {name} 开始录制",
  startedBySchedule: "按会议安排自动录制",
};

const en: typeof zh = {
  listTitle: "Session recordings",
  filterStation: "Station code",
  filterTitle: "Title",
  filterFrom: "From",
  search: "Search",
  none: "No recordings",
  colDate: "Date",
  colTitle: "Session",
  colStations: "Stations",
  colLength: "Length",
  colReason: "Ended",
  open: "Play",
  back: "Back to the list",
  play: "Play",
  pause: "Pause",
  speed: "Speed",
  prevMarker: "Previous marker",
  nextMarker: "Next marker",
  downloads: "Downloads",
  downloadTimeline: "Timeline (JSON)",
  exportStart: "Export MP4",
  exportRunning: "Exporting {p}%",
  exportDone: "Download MP4",
  exportFailed: "The export failed; try again",
  downloadTrack: "{name}: audio and video",
  markerOpinion: "Opinion {label}",
  markerStage: "Stage: {label}",
  markerHands: "Asks to speak: {label}",
  stageNobody: "Nobody on the stage",
  reason_stopped: "stopped",
  reason_ended: "session ended",
  reason_disk: "storage failure",
  reason_budget: "budget used up",
  reason_shutdown: "hub stopped",
  reason_interrupted: "interrupted",
  reason_running: "recording",
  loadFailed: "The recording could not be read: {message}",
  startedBy: "Recording started by {name}",
  startedBySchedule: "Recorded by the session's schedule",
};

type Key = keyof typeof zh;

export const dicts = { "zh-CN": zh, en };

export function rt(key: Key, vars?: Record<string, string | number>): string {
  let s = (getLang() === "en" ? en : zh)[key] ?? key;
  if (vars) for (const [k, v] of Object.entries(vars)) s = s.split(`{${k}}`).join(String(v));
  return s;
}

export function rtMaybe(key: string, fallback: string): string {
  return key in zh ? rt(key as Key) : fallback;
}
