/** One remote participant's tile: video, station name, mic/camera indicators, level meter. */
import { t } from "../common/i18n";
import type { Participant } from "../live/protocol";
import type { RemoteMedia } from "../live/peer";
import { h, icon, setAttr, setText } from "../common/dom";
import { icons } from "../common/icons";
import { avatarText, levelLabel, participantName } from "./names";
import type { PausedBy } from "../live/receive";

/** RFC 6464 −dBov (0 loud … 127 silent) to a 0…1 meter fraction. */
export function levelFraction(level: number | undefined): number {
  if (level == null || level >= 127) return 0;
  return Math.max(0, Math.min(1, (90 - level) / 60));
}

export interface TileMarks {
  floor?: boolean;
  broadcast?: boolean;
  /** [position, count] when polling shows this participant. */
  polling?: [number, number] | null;
  hand?: boolean;
  muted?: boolean;
}

export class Tile {
  readonly el: HTMLElement;
  private readonly video = h("video", { class: "tile-video", autoplay: true, playsinline: true });
  private readonly placeholder = h("div", { class: "tile-placeholder" });
  private readonly avatar = h("div", { class: "avatar" });
  private readonly name = h("span", { class: "tile-name", "data-testid": "tile-name" });
  private readonly level = h("span", { class: "tile-level" });
  private readonly micOff = icon(icons.micOff, "ind ind-mic-off");
  private readonly camOff = icon(icons.cameraOff, "ind ind-cam-off");
  private readonly meter = h("span", { class: "meter", "aria-hidden": "true" }, h("span", { class: "meter-fill" }));
  private readonly status = h("span", { class: "tile-status" });
  /** Over a picture the relay does not send: 网络较差，已暂停视频 or 仅音频模式. */
  private readonly paused = h("div", { class: "tile-paused", "data-testid": "tile-paused", role: "status" });
  private readonly speakingTag = h("span", { class: "speaking-tag" });
  private readonly badges = h("div", { class: "tile-badges" });
  private readonly markEls = {
    floor: h("span", { class: "mark mark-floor", "data-testid": "mark-floor" }),
    broadcast: h("span", { class: "mark mark-broadcast", "data-testid": "mark-broadcast" }),
    polling: h("span", { class: "mark mark-polling", "data-testid": "mark-polling" }),
    hand: h("span", { class: "mark mark-hand", "data-testid": "mark-hand" }),
    muted: h("span", { class: "mark mark-muted", "data-testid": "mark-muted" }),
  };
  private videoTrack: MediaStreamTrack | null = null;
  private readonly onTrackMute = () => this.refreshVideo();
  private p: Participant;

  constructor(p: Participant) {
    this.p = p;
    this.video.muted = true; // sound is played by the AudioSink
    this.micOff.dataset.testid = "tile-mic-off";
    this.camOff.dataset.testid = "tile-camera-off";
    this.placeholder.append(this.avatar);
    this.badges.append(this.markEls.floor, this.markEls.broadcast, this.markEls.polling, this.markEls.hand, this.markEls.muted, this.speakingTag);
    this.el = h(
      "div",
      { class: "tile", "data-testid": "tile", "data-participant-id": p.id, "data-speaking": "false" },
      this.video,
      this.placeholder,
      this.paused,
      this.badges,
      this.status,
      h(
        "div",
        { class: "tile-footer" },
        this.meter,
        h("div", { class: "tile-names" }, this.name, this.level),
        this.micOff,
        this.camOff,
      ),
    );
    this.update(p, undefined);
    this.setMarks({});
    this.setPaused(null);
  }

  /** The relay sends none of this camera (`layers`): why, over the picture; null: it does. */
  setPaused(by: PausedBy): void {
    this.paused.hidden = by === null;
    setText(this.paused, by === "network" ? t("videoPausedNetwork") : by === "limits" ? t("videoPausedLimits") : "");
    setAttr(this.el, "data-paused", by ?? "");
  }

  update(p: Participant, remote: RemoteMedia | undefined): void {
    this.p = p;
    setAttr(this.el, "data-identity", p.identity);
    setAttr(this.el, "data-station", p.station?.code ?? "");
    const name = participantName(p);
    setText(this.name, name);
    this.name.title = name;
    setText(this.level, levelLabel(p));
    setText(this.avatar, avatarText(p));
    setText(this.speakingTag, t("speaking"));

    const micOff = p.media?.mic === false || !(p.publishing ?? []).includes("audio");
    const camOff = p.media?.camera === false;
    this.micOff.hidden = !micOff;
    this.camOff.hidden = !camOff;
    setAttr(this.el, "data-mic", String(!micOff));
    setAttr(this.el, "data-camera", String(!camOff));
    this.micOff.title = t("micOff");
    this.camOff.title = t("cameraOff");

    const conn = p.connection;
    let status = "";
    if (conn === "new" || conn === "connecting") status = t("peerConnecting");
    else if (conn === "disconnected" || conn === "failed") status = t("peerLost");
    else if (conn === "reconnecting") status = t("peerReconnecting");
    setText(this.status, status);
    this.status.hidden = !status;
    setAttr(this.el, "data-connection", String(conn ?? ""));

    const track = remote?.video ?? null;
    if (track !== this.videoTrack) {
      this.videoTrack?.removeEventListener("mute", this.onTrackMute);
      this.videoTrack?.removeEventListener("unmute", this.onTrackMute);
      this.videoTrack = track;
      this.video.srcObject = track ? new MediaStream([track]) : null;
      track?.addEventListener("mute", this.onTrackMute);
      track?.addEventListener("unmute", this.onTrackMute);
    }
    this.refreshVideo();
  }

  private refreshVideo(): void {
    const p = this.p;
    const show =
      !!this.videoTrack &&
      this.videoTrack.readyState === "live" &&
      !this.videoTrack.muted &&
      p.media?.camera !== false &&
      (p.publishing ?? ["video"]).includes("video");
    this.video.hidden = !show;
    this.placeholder.hidden = show;
    setAttr(this.el, "data-video", String(show));
    if (show && this.video.paused) void this.video.play().catch(() => undefined);
  }

  /** The dispatcher's marks on this tile: floor, broadcast, polling position, hand, muted. */
  setMarks(m: TileMarks): void {
    const put = (el: HTMLElement, on: boolean, text: string, attr: string) => {
      el.hidden = !on;
      if (on) setText(el, text);
      setAttr(this.el, attr, String(on));
    };
    put(this.markEls.floor, !!m.floor, t("stageFloor"), "data-floor");
    put(this.markEls.broadcast, !!m.broadcast, t("stageBroadcast"), "data-broadcast");
    put(this.markEls.polling, !!m.polling, m.polling ? t("stagePolling", { n: m.polling[0], m: m.polling[1] }) : "", "data-polling");
    put(this.markEls.hand, !!m.hand, t("stageHand"), "data-hand");
    put(this.markEls.muted, !!m.muted, t("stageMuted"), "data-muted-by-dispatcher");
    if (m.muted) this.markEls.muted.prepend(icon(icons.micOff, "icon mark-icon"));
    setAttr(this.el, "data-role", this.p.role);
  }

  setLevel(level: number | undefined, speaking: boolean): void {
    this.el.style.setProperty("--level", levelFraction(level).toFixed(2));
    setAttr(this.el, "data-speaking", String(speaking));
    setAttr(this.el, "data-level", level == null ? "" : String(level));
  }

  destroy(): void {
    this.videoTrack?.removeEventListener("mute", this.onTrackMute);
    this.videoTrack?.removeEventListener("unmute", this.onTrackMute);
    this.video.srcObject = null;
    this.el.remove();
  }
}
