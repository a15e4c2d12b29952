/**
 * Console mode of the station page (a dispatcher's token): the live control panel.
 * A compact station table for 1+12+X (one line per station: status icons for online,
 * publishing, muted, hand and network quality; 点名, 广播, 静音, 移出; the relay's monitor
 * figures on demand; a filter; multi-select for mute, broadcast and the polling list), global actions (全场静音, 允许自由发言, 声控, 锁定, 多画面), polling, the queue
 * of requests to speak with ticking waiting times, and the live control log.
 * Every element is kept and updated in place so a click is never lost to a re-render.
 */
import type { HubClient } from "../live/client";
import { getLang, t, tMaybe, type MessageKey } from "../common/i18n";
import { otMaybe } from "../opinions/strings";
import { LAYOUTS, type ControlAction, type ControlPayload, type LiveOpinion, type MonitorTile, type Participant } from "../live/protocol";
import { h, icon, place, setAttr, setText } from "../common/dom";
import { icons } from "../common/icons";
import { participantName, shortName } from "./names";
import { ApiError, apiHeaders, readResponse } from "../common/api";
import { hm } from "../common/time";
import { downlinkSummary } from "./signal";

const BAD = new Set(["offline", "packet_loss", "no_video"]);

function btn(testid: string, cls = "cp-btn"): HTMLButtonElement {
  return h("button", { type: "button", class: cls, "data-testid": testid });
}

function label(b: HTMLButtonElement, text: string, on?: boolean): void {
  setText(b, text);
  if (on !== undefined) {
    setAttr(b, "aria-pressed", String(on));
    setAttr(b, "data-on", String(on));
    b.classList.toggle("is-on", on);
  }
}

function rank(level: string | undefined): number {
  return { general: 0, branch: 1, town: 2, room: 3 }[level ?? ""] ?? 4;
}

function fmtSeconds(s: number): string {
  const v = Math.max(0, Math.floor(s));
  const m = Math.floor(v / 60);
  return m > 0 ? `${m}:${String(v % 60).padStart(2, "0")}` : getLang() === "en" ? `${v} s` : `${v} 秒`;
}

/** Seconds into the session as 12:34 (or 1:02:03). */
export function fmtOffset(s: number): string {
  const v = Math.max(0, Math.floor(s));
  const hh = Math.floor(v / 3600);
  const mm = Math.floor((v % 3600) / 60);
  const ss = String(v % 60).padStart(2, "0");
  return hh > 0 ? `${hh}:${String(mm).padStart(2, "0")}:${ss}` : `${mm}:${ss}`;
}

function fmtClock(at: number): string {
  const d = new Date(at * 1000);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((x) => String(x).padStart(2, "0")).join(":");
}

/** A station's network quality from the monitor's warnings: good, fair, poor, or unknown. */
export function netQuality(m: MonitorTile | undefined): "good" | "fair" | "poor" | "unknown" {
  if (!m) return "unknown";
  const warn = m.warnings ?? [];
  if (!m.online || warn.some((w) => BAD.has(w))) return "poor";
  return warn.length ? "fair" : "good";
}

/** Does a row pass the panel's filter (a part of its name, and a status)? */
export function rowMatches(
  name: string,
  text: string,
  status: string,
  s: { online: boolean; publishing: boolean; muted: boolean; hand: boolean; net: string },
): boolean {
  const q = text.trim().toLowerCase();
  if (q && !name.toLowerCase().includes(q)) return false;
  switch (status) {
    case "online":
      return s.online;
    case "offline":
      return !s.online;
    case "publishing":
      return s.publishing;
    case "muted":
      return s.muted;
    case "hand":
      return s.hand;
    case "poor":
      return s.net === "poor" || s.net === "fair";
    default:
      return true;
  }
}

/** One station in the compact station table: a single line (select, status icons, name,
 * 点名 · 广播 · 静音 · 移出); its monitor figures and warnings open under it on demand. */
class Row {
  readonly el: HTMLElement;
  private readonly check = h("input", { type: "checkbox", class: "cp-check", "data-testid": "cp-select" });
  private readonly dot = h("span", { class: "cp-dot" });
  private readonly name = h("button", { type: "button", class: "cp-name", "data-testid": "cp-name", "aria-expanded": "false" });
  private readonly marks = h("span", { class: "cp-marks" });
  private readonly media = h("span", { class: "cp-media" });
  private readonly net = h("span", { class: "cp-net", role: "img", "data-testid": "cp-net" });
  private readonly details = h("div", { class: "cp-details" });
  private readonly figures = h("div", { class: "cp-figures", "data-testid": "cp-figures" });
  private readonly warnings = h("div", { class: "cp-warnings", "data-testid": "cp-warnings" });
  private readonly rollCall = btn("cp-rollcall", "cp-btn cp-btn-main");
  private readonly broadcast = btn("cp-broadcast");
  private readonly mute = btn("cp-mute");
  private readonly remove = btn("cp-remove", "cp-btn cp-btn-danger");
  private readonly confirmBox = h("div", { class: "cp-confirm", "data-testid": "cp-confirm", role: "alertdialog" });
  private readonly confirmText = h("span", { class: "cp-confirm-text" });
  private readonly confirmYes = btn("cp-remove-confirm", "cp-btn cp-btn-danger");
  private readonly confirmNo = btn("cp-remove-cancel");
  private confirming = false;
  private open = false;
  /** What the filter looks at, kept by update(). */
  state = { name: "", online: false, publishing: false, muted: false, hand: false, net: "unknown" };

  constructor(
    readonly id: string,
    private readonly panel: ConsolePanel,
  ) {
    this.el = h(
      "li",
      { class: "cp-row", "data-testid": "cp-row", "data-participant-id": id },
      h(
        "div",
        { class: "cp-row-line" },
        this.check,
        this.dot,
        this.name,
        this.marks,
        h("span", { class: "cp-icons" }, this.media, this.net),
        h("span", { class: "cp-actions" }, this.rollCall, this.broadcast, this.mute, this.remove),
      ),
      this.details,
      this.confirmBox,
    );
    this.details.append(this.figures, this.warnings);
    this.details.hidden = true;
    this.confirmBox.append(this.confirmText, h("span", { class: "cp-confirm-btns" }, this.confirmYes, this.confirmNo));
    this.confirmBox.hidden = true;
    const cs = () => panel.client.controlState;
    this.check.addEventListener("change", () => panel.select(id, this.check.checked));
    this.name.addEventListener("click", () => {
      this.open = !this.open;
      this.update();
    });
    this.rollCall.addEventListener("click", () =>
      panel.act("rollCall", { participantId: cs()?.floor === id ? null : id }),
    );
    this.broadcast.addEventListener("click", () =>
      panel.act("broadcast", { participantId: cs()?.broadcast === id ? null : id }),
    );
    this.mute.addEventListener("click", () => panel.act("mute", { participantId: id, on: !cs()?.muted.includes(id) }));
    this.remove.addEventListener("click", () => {
      this.confirming = true;
      this.update();
      this.confirmNo.focus();
    });
    this.confirmNo.addEventListener("click", () => {
      this.confirming = false;
      this.update();
    });
    this.confirmYes.addEventListener("click", () => {
      this.confirming = false;
      this.update();
      panel.act("remove", { participantId: id });
    });
  }

  update(): void {
    const c = this.panel.client;
    const p = c.participants[this.id];
    const cs = c.controlState;
    const m = c.monitor?.participants.find((x) => x.participantId === this.id);
    if (!p) return;
    const nm = participantName(p);
    setText(this.name, shortName(p));
    this.name.title = nm;
    setAttr(this.name, "aria-label", nm);
    setAttr(this.name, "aria-expanded", String(this.open));
    this.check.checked = this.panel.selected.has(this.id);
    setAttr(this.check, "aria-label", t("selectStation", { name: nm }));
    const online = m ? m.online : p.connection === "connected";
    // Lost its network, coming back as the same participant (not a leave): 重连中.
    const reconnecting = p.connection === "reconnecting";
    setAttr(this.dot, "data-online", reconnecting ? "reconnecting" : String(online));
    this.dot.title = reconnecting ? t("peerReconnecting") : online ? t("online") : t("offlineShort");
    setAttr(this.el, "data-online", String(online));

    const floor = cs?.floor === this.id;
    const bc = cs?.broadcast === this.id;
    const stage = cs?.stage === this.id;
    const muted = !!cs?.muted.includes(this.id);
    const heard = cs?.heard ? cs.heard.includes(this.id) : true;
    const hand = !!cs?.hands.some((x) => x.participantId === this.id);
    const marks: Array<[string, string]> = [];
    if (stage) marks.push(["stage", t("stageMain")]);
    if (floor) marks.push(["floor", t("stageFloor")]);
    if (bc) marks.push(["broadcast", t("stageBroadcast")]);
    if (hand) marks.push(["hand", t("stageHand")]);
    if (reconnecting) marks.push(["reconnecting", t("peerReconnecting")]);
    if (muted) marks.push(["muted", t("stageMuted")]);
    else if (!heard) marks.push(["unheard", t("stageNotHeard")]);
    const key = marks.map((x) => x.join(":")).join("|");
    if (this.marks.dataset.key !== key) {
      this.marks.dataset.key = key;
      this.marks.replaceChildren(...marks.map(([k, v]) => h("span", { class: `cp-mark cp-mark-${k}`, "data-mark": k }, v)));
    }
    setAttr(this.el, "data-floor", String(floor));
    setAttr(this.el, "data-stage", String(stage));
    setAttr(this.el, "data-heard", String(heard));
    setAttr(this.el, "data-muted", String(muted));
    setAttr(this.el, "data-hand", String(hand));
    setAttr(this.el, "data-selected", String(this.check.checked));

    const cam = m ? m.camera : p.media.camera;
    const mic = m ? m.mic : p.media.mic;
    const mediaKey = `${cam}${mic}`;
    if (this.media.dataset.key !== mediaKey) {
      this.media.dataset.key = mediaKey;
      this.media.replaceChildren(
        icon(cam ? icons.camera : icons.cameraOff, `icon cp-ind${cam ? "" : " is-off"}`),
        icon(mic ? icons.mic : icons.micOff, `icon cp-ind${mic ? "" : " is-off"}`),
      );
      this.media.title = `${t(cam ? "cameraOn" : "cameraOff")} · ${t(mic ? "micOn" : "micOff")}`;
    }
    setAttr(this.el, "data-camera", String(cam));
    setAttr(this.el, "data-mic", String(mic));
    const net = netQuality(m);
    setAttr(this.el, "data-net", net);
    this.net.dataset.net = net;
    this.net.title = `${t(`net_q_${net}`)}${m ? ` · ${this.figureText(m)}` : ""}`;
    setAttr(this.net, "aria-label", this.net.title);
    this.renderFigures(m);
    this.details.hidden = !this.open;
    this.state = { name: nm, online, publishing: cam || mic, muted, hand, net };

    label(this.rollCall, floor ? t("rollCallBack") : t("rollCall"), floor);
    label(this.broadcast, bc ? t("broadcastOff") : t("broadcast"), bc);
    label(this.mute, muted ? t("unmute") : t("mute"), muted);
    label(this.remove, t("remove"));
    setText(this.confirmText, t("removeConfirm", { name: nm }));
    label(this.confirmYes, t("confirm"));
    label(this.confirmNo, t("cancel"));
    this.confirmBox.hidden = !this.confirming;
    this.remove.hidden = this.confirming;
  }

  private figureText(m: MonitorTile): string {
    const kbps = Math.round(((m.bitrate?.audio ?? 0) + (m.bitrate?.video ?? 0)) / 1000);
    const rtt = m.roundTripTime == null || m.roundTripTime < 0 ? "–" : `${Math.round(m.roundTripTime * 1000)} ms`;
    const loss = m.packetLoss == null ? "–" : `${(m.packetLoss * 100).toFixed(1)}%`;
    const down = downlinkSummary(m.downlink);
    return `${kbps} kbps · ${t("loss")} ${loss} · ${t("rtt")} ${rtt}${down ? ` · ${t("downlink")} ${down}` : ""}`;
  }

  private renderFigures(m: MonitorTile | undefined): void {
    if (!m) {
      setText(this.figures, t("noFigures"));
      this.warnings.replaceChildren();
      setAttr(this.el, "data-warn", "");
      return;
    }
    const kbps = Math.round(((m.bitrate?.audio ?? 0) + (m.bitrate?.video ?? 0)) / 1000);
    const loss = m.packetLoss == null ? "–" : `${(m.packetLoss * 100).toFixed(1)}%`;
    // (a negative round-trip time is a measuring artefact: shown as unknown)
    const rtt = m.roundTripTime == null || m.roundTripTime < 0 ? "–" : `${Math.round(m.roundTripTime * 1000)} ms`;
    const res = m.resolution ? `${m.resolution[0]}×${m.resolution[1]}` : "–";
    const warn = new Set(m.warnings ?? []);
    const fig = (key: MessageKey, value: string, flag: string) =>
      h("span", { class: `cp-fig${warn.has(flag) ? (BAD.has(flag) ? " is-bad" : " is-warn") : ""}` }, h("span", { class: "cp-fig-k" }, t(key)), " ", h("b", {}, value));
    this.figures.replaceChildren(
      fig("bitrate", `${kbps} kbps`, "low_bitrate"),
      fig("loss", loss, "packet_loss"),
      fig("rtt", rtt, "high_rtt"),
      fig("resolution", res, "no_video"),
      fig("downlink", downlinkSummary(m.downlink) || "–", ""),
    );
    this.warnings.replaceChildren(
      ...[...warn].map((w) =>
        h("span", { class: `cp-warn ${BAD.has(w) ? "is-bad" : "is-warn"}`, "data-warning": w }, tMaybe(`warn_${w}`, w)),
      ),
    );
    setAttr(this.el, "data-warn", [...warn].some((w) => BAD.has(w)) ? "bad" : warn.size ? "warn" : "");
    setAttr(this.el, "data-warnings", [...warn].join(" "));
    setAttr(this.el, "data-downlink", downlinkSummary(m.downlink));
  }
}

class HandRow {
  readonly el: HTMLElement;
  private readonly name = h("span", { class: "cp-name" });
  private readonly pos = h("span", { class: "cp-hand-pos" });
  readonly waiting = h("span", { class: "cp-hand-wait", "data-testid": "hand-waiting" });
  private readonly approve = btn("hand-approve", "cp-btn cp-btn-main");
  private readonly decline = btn("hand-decline");

  constructor(
    readonly id: string,
    private readonly panel: ConsolePanel,
  ) {
    this.el = h(
      "li",
      { class: "cp-hand", "data-testid": "hand-row", "data-participant-id": id },
      this.pos,
      h("div", { class: "cp-hand-main" }, this.name, this.waiting),
      h("span", { class: "cp-hand-btns" }, this.approve, this.decline),
    );
    this.approve.addEventListener("click", () => panel.act("approveHand", { participantId: id }));
    this.decline.addEventListener("click", () => panel.act("declineHand", { participantId: id }));
  }

  update(i: number): void {
    const c = this.panel.client;
    const p = c.participants[this.id];
    setText(this.pos, String(i + 1));
    setText(this.name, p ? participantName(p) : this.id);
    label(this.approve, t("approve"));
    label(this.decline, t("decline"));
    this.tick();
  }

  tick(): void {
    const s = this.panel.client.handWaiting(this.id);
    setText(this.waiting, s == null ? "" : t("waitingFor", { t: fmtSeconds(s) }));
    setAttr(this.el, "data-waiting", s == null ? "" : String(Math.floor(s)));
  }
}

export class ConsolePanel {
  readonly el = h("aside", { class: "console-panel", "data-testid": "console-panel" });
  private readonly heading = h("h2", { class: "cp-title" });
  // global
  private readonly globalTitle = h("h3", { class: "cp-h" });
  private readonly muteAll = btn("cp-mute-all", "cp-btn cp-btn-main");
  private readonly allow = btn("cp-allow-others");
  private readonly voice = btn("cp-voice");
  private readonly lock = btn("cp-lock");
  private readonly record = btn("cp-record");
  private readonly takeBack = btn("cp-take-back");
  private readonly endBroadcast = btn("cp-end-broadcast");
  /** Ends the session for all; a first click arms it, a second within 5 s confirms. */
  private readonly endSession = btn("cp-end-session", "cp-btn cp-btn-danger");
  private endArmedUntil = 0;
  /** 延长会议: the minutes and the button; the answer (new end or refusal) beside them. */
  private readonly extendMinutes = h("select", { class: "cp-input cp-extend-minutes", "data-testid": "cp-extend-minutes" });
  private readonly extendBtn = btn("cp-extend");
  private readonly extendStatus = h("span", { class: "cp-hint cp-extend-status", "data-testid": "cp-extend-status", role: "status" });
  /** 双流: shown while someone shares: put it on the stage, or stop it. */
  private readonly contentLine = h("div", { class: "cp-line cp-content", "data-testid": "cp-content" });
  private readonly contentStage = btn("cp-content-stage");
  private readonly contentStop = btn("cp-content-stop", "cp-btn cp-btn-danger");
  private readonly layoutTitle = h("span", { class: "cp-k" });
  private readonly layoutBtns = new Map<string, HTMLButtonElement>();
  // polling
  private readonly pollTitle = h("h3", { class: "cp-h" });
  private readonly pollHint = h("p", { class: "cp-hint" });
  private readonly pollPicks = h("div", { class: "cp-picks", "data-testid": "poll-picks" });
  private readonly pickBtns = new Map<string, HTMLButtonElement>();
  private pick: string[] = [];
  private readonly intervalLabel = h("span", { class: "cp-k" });
  private readonly interval = h("input", { type: "number", min: 3, step: 1, value: 10, class: "cp-input", "data-testid": "poll-interval", inputmode: "numeric" });
  private readonly pollStart = btn("poll-start", "cp-btn cp-btn-main");
  private readonly pollPause = btn("poll-pause");
  private readonly pollSkip = btn("poll-skip");
  private readonly pollStop = btn("poll-stop");
  private readonly pollClear = btn("poll-clear", "cp-btn cp-btn-ghost");
  private readonly pollStatus = h("div", { class: "cp-status", "data-testid": "poll-status" });
  // hands
  private readonly handsTitle = h("h3", { class: "cp-h" });
  private readonly handsList = h("ol", { class: "cp-hands", "data-testid": "hands-queue" });
  private readonly handsEmpty = h("p", { class: "cp-hint" });
  private readonly hands = new Map<string, HandRow>();
  /** Hidden while nobody asks to speak (the station table needs the room). */
  private readonly handsSec = h("section", { class: "cp-sec cp-hands-sec", "data-testid": "cp-hands-sec" }, this.handsTitle, this.handsList, this.handsEmpty);
  // stations
  private readonly rowsTitle = h("h3", { class: "cp-h" });
  private readonly rowsList = h("ul", { class: "cp-rows", "data-testid": "cp-rows" });
  private readonly rowsEmpty = h("p", { class: "cp-hint" });
  private readonly rows = new Map<string, Row>();
  private readonly filterText = h("input", { type: "search", class: "cp-input cp-filter", "data-testid": "cp-filter" });
  private readonly filterStatus = h("select", { class: "cp-input cp-filter-status", "data-testid": "cp-filter-status" });
  private readonly selectAll = h("input", { type: "checkbox", class: "cp-check", "data-testid": "cp-select-all" });
  private readonly batch = h("div", { class: "cp-batch", "data-testid": "cp-batch" });
  private readonly batchCount = h("span", { class: "cp-k", "data-testid": "cp-batch-count" });
  private readonly batchMute = btn("cp-batch-mute");
  private readonly batchUnmute = btn("cp-batch-unmute");
  private readonly batchBroadcast = btn("cp-batch-broadcast");
  private readonly batchPoll = btn("cp-batch-poll");
  private readonly batchClear = btn("cp-batch-clear", "cp-btn cp-btn-ghost");
  /** The stations ticked in the table, in the order they were ticked (a polling list keeps it). */
  readonly selected = new Set<string>();
  // stations of the session not in it: 呼叫
  private readonly absentTitle = h("h3", { class: "cp-h" });
  private readonly absentList = h("ul", { class: "cp-absent", "data-testid": "cp-absent" });
  private readonly absentSec = h("section", { class: "cp-sec cp-absent-sec" }, this.absentTitle, this.absentList);
  private readonly called = new Map<string, number>();
  // opinions of this session, as they are taken and handled
  private readonly opinionsTitle = h("h3", { class: "cp-h" });
  private readonly opinionsList = h("ol", { class: "cp-opinions", "data-testid": "cp-opinions", "aria-live": "polite" });
  private readonly fresh = new Set<number>();
  // log
  private readonly logTitle = h("h3", { class: "cp-h" });
  private readonly logList = h("ol", { class: "cp-log", "data-testid": "control-log" });
  private readonly disposers: Array<() => void> = [];

  constructor(readonly client: HubClient) {
    for (const l of LAYOUTS) {
      const b = btn(`layout-${l}`, "cp-seg");
      b.dataset.layout = l;
      b.addEventListener("click", () => this.act("layout", { layout: l }));
      this.layoutBtns.set(l, b);
    }
    const cs = () => client.controlState;
    this.muteAll.addEventListener("click", () => this.act("muteAll", { on: !cs()?.muteAll }));
    this.allow.addEventListener("click", () => this.act("allowOthers", { on: !cs()?.othersMaySpeak }));
    this.voice.addEventListener("click", () => this.act("voiceActivated", { on: !cs()?.voiceActivated }));
    this.lock.addEventListener("click", () => this.act("lock", { on: !cs()?.locked }));
    this.record.addEventListener("click", () => this.act("record", { on: !cs()?.recording }));
    this.takeBack.addEventListener("click", () => this.act("rollCall", { participantId: null }));
    this.endBroadcast.addEventListener("click", () => this.act("broadcast", { participantId: null }));
    this.endSession.addEventListener("click", () => {
      if (Date.now() < this.endArmedUntil) {
        this.endArmedUntil = 0;
        this.act("end", {});
      } else {
        this.endArmedUntil = Date.now() + 5000;
        window.setTimeout(() => this.render(), 5100);
      }
      this.render();
    });
    for (const m of [15, 30, 60]) this.extendMinutes.append(h("option", { value: String(m) }, String(m)));
    this.extendBtn.addEventListener("click", () => void this.extend());
    this.contentLine.append(this.contentStage, this.contentStop);
    this.contentStage.addEventListener("click", () => this.act("contentStage", { on: !cs()?.contentOnStage }));
    this.contentStop.addEventListener("click", () => this.act("stopContent", {}));
    this.pollStart.addEventListener("click", () => {
      const v = Math.max(3, Number(this.interval.value) || 10);
      this.interval.value = String(v);
      this.act("startPolling", { order: this.pick.filter((id) => client.participants[id]), interval: v });
    });
    this.pollPause.addEventListener("click", () => this.act("pausePolling", { on: !cs()?.polling?.paused }));
    this.pollSkip.addEventListener("click", () => this.act("skipPolling", {}));
    this.pollStop.addEventListener("click", () => this.act("stopPolling", {}));
    this.pollClear.addEventListener("click", () => {
      this.pick = [];
      this.render();
    });

    for (const f of ["all", "online", "offline", "publishing", "muted", "hand", "poor"]) {
      this.filterStatus.append(h("option", { value: f }));
    }
    this.filterText.addEventListener("input", () => this.renderRows());
    this.filterStatus.addEventListener("change", () => this.renderRows());
    this.selectAll.addEventListener("change", () => {
      const shown = [...this.rows.values()].filter((r) => !r.el.hidden).map((r) => r.id);
      for (const id of shown) {
        if (this.selectAll.checked) this.selected.add(id);
        else this.selected.delete(id);
      }
      this.renderRows();
    });
    const chosen = () => [...this.selected].filter((id) => client.participants[id]);
    this.batchMute.addEventListener("click", () => {
      for (const id of chosen()) if (!cs()?.muted.includes(id)) this.act("mute", { participantId: id, on: true });
    });
    this.batchUnmute.addEventListener("click", () => {
      for (const id of chosen()) if (cs()?.muted.includes(id)) this.act("mute", { participantId: id, on: false });
    });
    this.batchBroadcast.addEventListener("click", () => {
      const [id] = chosen();
      if (id) this.act("broadcast", { participantId: id });
    });
    this.batchPoll.addEventListener("click", () => {
      this.pick = chosen();
      this.render();
      this.pollPicks.scrollIntoView({ block: "nearest" });
    });
    this.batchClear.addEventListener("click", () => {
      this.selected.clear();
      this.renderRows();
    });
    this.batch.append(this.batchCount, this.batchMute, this.batchUnmute, this.batchBroadcast, this.batchPoll, this.batchClear);

    this.el.append(
      this.heading,
      h(
        "section",
        { class: "cp-sec cp-global", "data-testid": "cp-global" },
        this.globalTitle,
        h("div", { class: "cp-btns" }, this.muteAll, this.allow, this.voice, this.lock, this.record, this.takeBack, this.endBroadcast, this.endSession),
        h("div", { class: "cp-line" }, this.layoutTitle, h("div", { class: "cp-segs", "data-testid": "layout-select" }, ...this.layoutBtns.values())),
        h("div", { class: "cp-line cp-extend" }, this.extendBtn, this.extendMinutes, this.extendStatus),
        this.contentLine,
      ),
      this.handsSec,
      h(
        "section",
        { class: "cp-sec cp-rows-sec" },
        h("div", { class: "cp-rows-head" }, this.selectAll, this.rowsTitle, this.filterText, this.filterStatus),
        this.batch,
        this.rowsList,
        this.rowsEmpty,
      ),
      this.absentSec,
      h("section", { class: "cp-sec cp-opinions-sec" }, this.opinionsTitle, this.opinionsList),
      h(
        "section",
        { class: "cp-sec cp-poll" },
        this.pollTitle,
        this.pollHint,
        this.pollPicks,
        h("div", { class: "cp-line" }, h("label", { class: "cp-inline" }, this.intervalLabel, this.interval), this.pollStart, this.pollPause, this.pollSkip, this.pollStop, this.pollClear),
        this.pollStatus,
      ),
      h("section", { class: "cp-sec cp-log-sec" }, this.logTitle, this.logList),
    );
    this.disposers.push(
      client.on("participants", () => this.render()),
      client.on("session", () => this.renderAbsent()),
      client.on("monitor", () => this.renderRows()),
      client.on("controlLog", () => this.renderLog()),
      client.on("opinions", () => this.renderOpinions()),
      client.on("opinion", (e, kind) => {
        if (kind === "captured") {
          // marked new for a while, so a glance at the panel finds it
          const id = e.opinion.id;
          this.fresh.add(id);
          window.setTimeout(() => {
            this.fresh.delete(id);
            this.renderOpinions();
          }, 30_000);
        }
        this.renderOpinions();
      }),
    );
    this.render();
  }

  /** 延长会议 over REST with the console's join token (`POST /api/sessions/{number}/extend`). */
  private async extend(): Promise<void> {
    const c = this.client;
    const number = c.session?.number;
    if (number == null || !c.token) return;
    this.extendBtn.disabled = true;
    try {
      const res = await fetch(`/api/sessions/${number}/extend`, {
        method: "POST",
        headers: apiHeaders(c.token, { "Content-Type": "application/json" }),
        body: JSON.stringify({ minutes: Number(this.extendMinutes.value) }),
        credentials: "omit",
        cache: "no-store",
      });
      const out = await readResponse<{ end: string; nextOccurrence: { end: string } | null }>(res);
      const end = out.nextOccurrence?.end ?? out.end;
      setText(this.extendStatus, t("extendedTo", { end: hm(end) }));
      this.extendStatus.dataset.state = "ok";
      this.extendStatus.dataset.end = end;
    } catch (e) {
      setText(this.extendStatus, e instanceof ApiError ? e.message : String(e));
      this.extendStatus.dataset.state = "error";
    } finally {
      this.extendBtn.disabled = false;
    }
  }

  /** Tick or untick a station in the table. */
  select(id: string, on: boolean): void {
    if (on) this.selected.add(id);
    else this.selected.delete(id);
    this.renderRows();
  }

  /** Send a control action; failures are toasted by the client. */
  act(action: ControlAction, fields: Omit<ControlPayload, "action">): void {
    void this.client.control(action, fields);
  }

  /** Once a second: the hands' waiting times. */
  tick(): void {
    for (const r of this.hands.values()) r.tick();
  }

  private people(): Participant[] {
    return Object.values(this.client.participants)
      .filter((p) => p.role !== "dispatcher")
      .sort((a, b) => rank(a.station?.level) - rank(b.station?.level) || participantName(a).localeCompare(participantName(b), "zh-CN"));
  }

  render(): void {
    const c = this.client;
    const cs = c.controlState;
    setText(this.heading, t("consoleHeading"));
    setText(this.globalTitle, t("consoleGlobal"));
    label(this.muteAll, cs?.muteAll ? t("unmuteAll") : t("muteAll"), !!cs?.muteAll);
    label(this.allow, t("allowOthers"), !!cs?.othersMaySpeak);
    label(this.voice, t("voiceActivated"), !!cs?.voiceActivated);
    label(this.lock, cs?.locked ? t("unlock") : t("lock"), !!cs?.locked);
    label(this.record, cs?.recording ? t("recordStop") : t("recordStart"), !!cs?.recording);
    label(this.takeBack, t("takeBackFloor"));
    this.takeBack.hidden = !cs?.floor;
    label(this.endBroadcast, t("endBroadcast"));
    label(this.endSession, Date.now() < this.endArmedUntil ? t("endSessionConfirm") : t("endSession"));
    this.endBroadcast.hidden = !cs?.broadcast;
    setText(this.layoutTitle, t("layoutLabel"));
    label(this.extendBtn, t("extendMeeting"));
    this.contentLine.hidden = !cs?.content;
    label(this.contentStage, t("contentOnStage"), !!cs?.contentOnStage);
    label(this.contentStop, t("contentStop"));
    setAttr(this.extendMinutes, "aria-label", t("extendMinutes"));
    for (const o of this.extendMinutes.options) setText(o, getLang() === "en" ? `${o.value} min` : `${o.value} 分钟`);
    for (const [l, b] of this.layoutBtns) label(b, tMaybe(`layout_${l}`, l), cs?.layout === l);

    // polling
    const people = this.people();
    const ids = new Set(people.map((p) => p.id));
    this.pick = this.pick.filter((id) => ids.has(id));
    setText(this.pollTitle, t("pollingHeading"));
    setText(this.pollHint, t("pollingHint"));
    setText(this.intervalLabel, t("pollingInterval"));
    const pol = cs?.polling ?? null;
    const picks: HTMLElement[] = [];
    for (const p of people) {
      let b = this.pickBtns.get(p.id);
      if (!b) {
        b = btn("poll-pick", "cp-pick");
        b.dataset.participantId = p.id;
        const id = p.id;
        b.addEventListener("click", () => {
          this.pick = this.pick.includes(id) ? this.pick.filter((x) => x !== id) : [...this.pick, id];
          this.render();
        });
        this.pickBtns.set(p.id, b);
      }
      const i = this.pick.indexOf(p.id);
      b.replaceChildren(...(i >= 0 ? [h("span", { class: "cp-pick-n" }, String(i + 1))] : []), participantName(p));
      setAttr(b, "data-order", i >= 0 ? String(i + 1) : "");
      b.classList.toggle("is-on", i >= 0);
      b.classList.toggle("is-current", pol?.current === p.id);
      picks.push(b);
    }
    for (const id of [...this.pickBtns.keys()]) if (!ids.has(id)) this.pickBtns.delete(id);
    place(this.pollPicks, picks);
    label(this.pollStart, t("pollingStart"));
    this.pollStart.disabled = this.pick.length < 2;
    label(this.pollPause, pol?.paused ? t("pollingResume") : t("pollingPause"), !!pol?.paused);
    label(this.pollSkip, t("pollingSkip"));
    label(this.pollStop, t("pollingStop"));
    label(this.pollClear, t("pollingClear"));
    this.pollPause.hidden = this.pollSkip.hidden = this.pollStop.hidden = !pol;
    this.pollClear.hidden = this.pick.length === 0;
    if (pol && pol.current) {
      const n = pol.order.indexOf(pol.current) + 1;
      const name = c.participants[pol.current] ? participantName(c.participants[pol.current]) : pol.current;
      setText(this.pollStatus, pol.paused
        ? t("pollingPaused", { name, n, m: pol.order.length })
        : t("pollingStatus", { name, n, m: pol.order.length, s: pol.interval }));
    } else setText(this.pollStatus, "");
    this.pollStatus.hidden = !pol;
    setAttr(this.pollStatus, "data-current", pol?.current ?? "");

    // hands
    const queue = cs?.hands ?? [];
    setText(this.handsTitle, `${t("handsHeading")}${queue.length ? `（${queue.length}）` : ""}`);
    const handEls: HTMLElement[] = [];
    const seen = new Set<string>();
    queue.forEach((x, i) => {
      let r = this.hands.get(x.participantId);
      if (!r) {
        r = new HandRow(x.participantId, this);
        this.hands.set(x.participantId, r);
      }
      r.update(i);
      seen.add(x.participantId);
      handEls.push(r.el);
    });
    for (const id of [...this.hands.keys()]) if (!seen.has(id)) this.hands.delete(id);
    place(this.handsList, handEls);
    setText(this.handsEmpty, t("handsEmpty"));
    this.handsEmpty.hidden = queue.length > 0;
    this.handsList.hidden = queue.length === 0;
    this.el.classList.toggle("has-hands", queue.length > 0);
    setAttr(this.handsSec, "data-empty", String(queue.length === 0));

    this.renderRows();
    this.renderAbsent();
    this.renderOpinions();
    this.renderLog();
  }

  /** The session's stations that are not in it, each with 呼叫 (rings its open page). */
  private renderAbsent(): void {
    const c = this.client;
    const present = new Set(Object.values(c.participants).map((p) => p.station?.code).filter(Boolean));
    const absent = (c.session?.stations ?? []).filter((st) => !present.has(st.code));
    this.absentSec.hidden = absent.length === 0;
    setText(this.absentTitle, `${t("absentHeading")}（${absent.length}）`);
    const en = getLang() === "en";
    const now = Date.now();
    this.absentList.replaceChildren(
      ...absent.map((st) => {
        const b = btn("cp-call");
        b.dataset.station = st.code;
        const called = (this.called.get(st.code) ?? 0) > now;
        label(b, called ? t("calledStation") : t("callStation"), called);
        b.addEventListener("click", () => {
          this.called.set(st.code, Date.now() + 30_000);
          window.setTimeout(() => this.renderAbsent(), 30_100);
          this.act("call", { station: st.code });
          this.renderAbsent();
        });
        const name = en ? st.nameEn || st.name : st.name;
        return h("li", { class: "cp-absent-row", "data-testid": "cp-absent-row", "data-station": st.code },
          h("span", { class: "cp-name", title: name }, name), b);
      }),
    );
  }

  private renderOpinions(): void {
    const list = this.client.opinions;
    setText(this.opinionsTitle, `${t("opinionsHeading")}${list.length ? `（${list.length}）` : ""}`);
    if (!list.length) {
      this.opinionsList.replaceChildren(h("li", { class: "cp-hint" }, t("opinionsEmpty")));
      return;
    }
    this.opinionsList.replaceChildren(...list.map((o) => this.opinionItem(o)));
  }

  private opinionItem(o: LiveOpinion): HTMLElement {
    const isNew = this.fresh.has(o.id);
    const en = getLang() === "en";
    const deptName = en ? o.departmentNameEn || o.departmentName : o.departmentName;
    const dept = deptName ? ` · @${deptName}` : "";
    const station = en ? o.stationNameEn || o.stationName : o.stationName;
    const category = en ? o.categoryNameEn || o.categoryName : o.categoryName;
    return h(
      "li",
      { class: `cp-op${isNew ? " is-new" : ""}`, "data-testid": "cp-opinion", "data-opinion-id": String(o.id), "data-status": o.status, "data-offset": o.sessionOffset == null ? "" : String(o.sessionOffset) },
      h("time", { class: "cp-op-at", title: t("opinionOffset") }, o.sessionOffset == null ? "–" : fmtOffset(o.sessionOffset)),
      h(
        "div",
        { class: "cp-op-main" },
        h("div", { class: "cp-op-summary", "data-testid": "cp-opinion-summary" }, isNew ? h("span", { class: "cp-op-new" }, t("opinionNew")) : null, h("span", { class: "cp-op-ref", "data-testid": "cp-opinion-reference" }, o.reference), ` ${o.summary}`),
        h("div", { class: "cp-op-meta", "data-category": o.category }, `${station} · ${category} · ${o.raiserName}${dept}`),
      ),
      h("span", { class: "cp-op-status", "data-testid": "cp-opinion-status" }, otMaybe(`st_${o.status}`, o.status)),
    );
  }

  private renderRows(): void {
    const people = this.people();
    const els: HTMLElement[] = [];
    const seen = new Set<string>();
    for (const id of [...this.selected]) if (!this.client.participants[id]) this.selected.delete(id);
    let shown = 0;
    let shownSelected = 0;
    for (const p of people) {
      let r = this.rows.get(p.id);
      if (!r) {
        r = new Row(p.id, this);
        this.rows.set(p.id, r);
      }
      r.update();
      const s = r.state;
      r.el.hidden = !rowMatches(s.name, this.filterText.value, this.filterStatus.value, s);
      if (!r.el.hidden) {
        shown++;
        if (this.selected.has(p.id)) shownSelected++;
      }
      seen.add(p.id);
      els.push(r.el);
    }
    for (const id of [...this.rows.keys()]) if (!seen.has(id)) this.rows.delete(id);
    place(this.rowsList, els);
    setText(this.rowsTitle, shown === people.length
      ? `${t("stationsHeading")}（${people.length}）`
      : `${t("stationsHeading")}（${shown}/${people.length}）`);
    setText(this.rowsEmpty, people.length ? t("stationsNoMatch") : t("stationsEmpty"));
    this.rowsEmpty.hidden = shown > 0;
    this.selectAll.checked = shown > 0 && shownSelected === shown;
    this.selectAll.indeterminate = shownSelected > 0 && shownSelected < shown;
    setAttr(this.selectAll, "aria-label", t("selectAllStations"));
    this.filterText.placeholder = t("stationsFilter");
    setAttr(this.filterText, "aria-label", t("stationsFilter"));
    setAttr(this.filterStatus, "aria-label", t("stationsFilterStatus"));
    for (const o of this.filterStatus.options) setText(o, tMaybe(`filter_${o.value}`, o.value));
    const n = this.selected.size;
    this.batch.hidden = n === 0;
    setText(this.batchCount, t("selectedCount", { n }));
    label(this.batchMute, t("batchMute"));
    label(this.batchUnmute, t("batchUnmute"));
    label(this.batchBroadcast, t("broadcast"));
    this.batchBroadcast.disabled = n !== 1;
    label(this.batchPoll, t("batchPoll"));
    this.batchPoll.disabled = n < 2;
    label(this.batchClear, t("batchClear"));
  }

  private renderLog(): void {
    const c = this.client;
    setText(this.logTitle, t("logHeading"));
    const entries = c.controlLog.slice(-60).reverse();
    if (!entries.length) {
      this.logList.replaceChildren(h("li", { class: "cp-hint" }, t("logEmpty")));
      return;
    }
    const nameOf = (id: string | null) => {
      if (!id) return "";
      const p = c.participants[id];
      return p ? participantName(p) : id;
    };
    this.logList.replaceChildren(
      ...entries.map((e) => {
        let what = tMaybe(`log_${e.action}`, e.action);
        const target = nameOf(e.participantId);
        if (target) what += ` · ${target}`;
        else if (e.action === "rollCall" || e.action === "broadcast") what += ` · ${t("noneLabel")}`;
        if (e.layout) what += ` · ${tMaybe(`layout_${e.layout}`, e.layout)}`;
        if (e.station) {
          const st = c.session?.stations?.find((x) => x.code === e.station);
          what += ` · ${st ? (getLang() === "en" ? st.nameEn || st.name : st.name) : e.station}`;
        }
        if (e.on != null) what += ` · ${e.on ? t("on") : t("off")}`;
        return h(
          "li",
          { class: "cp-log-entry", "data-testid": "log-entry", "data-action": e.action },
          h("time", {}, fmtClock(e.at)),
          h("span", { class: "cp-log-what" }, what),
          h("span", { class: "cp-log-by" }, e.by),
        );
      }),
    );
  }

  destroy(): void {
    for (const d of this.disposers) d();
    this.el.remove();
  }
}
