/**
 * Pre-join screen: who joins which meeting when (`GET /api/join-info`), the 等候室 of an early
 * arrival (it joins by itself once the lobby opens), the device check (preview, camera and
 * microphone choice with a level meter, speaker choice with a test sound, network check) and
 * the Join button.
 */
import type { HubClient } from "../live/client";
import { getLang, t } from "../common/i18n";
import { hm, rangeLabel } from "../common/time";
import { canJoin, fetchJoinInfo, isOver, nextCheckMs, type JoinInfo } from "../live/joininfo";
import { MicMeter, NetCheck, SpeakerCheck } from "./devicecheck";
import type { MediaKind } from "../live/media";
import { MediaToggle } from "./controls";
import { h, icon, setText } from "../common/dom";
import { icons } from "../common/icons";
import { sessionTitle } from "./names";

export class PrejoinView {
  readonly el: HTMLElement;
  private readonly video = h("video", {
    class: "preview-video mirror",
    autoplay: true,
    playsinline: true,
    "data-testid": "prejoin-preview",
  });
  private readonly off = h("div", { class: "preview-off" });
  private readonly camToggle: MediaToggle;
  private readonly micToggle: MediaToggle;
  private readonly heading = h("h1", { class: "prejoin-heading" });
  private readonly session = h("p", { class: "prejoin-session", "data-testid": "prejoin-session" });
  private readonly hint = h("p", { class: "prejoin-hint" });
  private readonly camLabel = h("span", { class: "field-label" });
  private readonly micLabel = h("span", { class: "field-label" });
  private readonly camSelect = h("select", { "data-testid": "camera-select" });
  private readonly micSelect = h("select", { "data-testid": "mic-select" });
  private readonly when = h("p", { class: "prejoin-when", "data-testid": "prejoin-when" });
  private readonly who = h("p", { class: "prejoin-who", "data-testid": "prejoin-who" });
  private readonly unit = h("p", { class: "prejoin-unit", "data-testid": "prejoin-unit" });
  private readonly waiting = h("div", { class: "notice waiting-room", "data-testid": "waiting-room", role: "status" });
  private readonly over = h("div", { class: "notice", "data-testid": "session-over", "data-tone": "warn", role: "status" });
  private readonly spkLabel = h("span", { class: "field-label" });
  private readonly netLabel = h("span", { class: "field-label" });
  private readonly meter = new MicMeter();
  private readonly speaker = new SpeakerCheck();
  private readonly net: NetCheck;
  private info: JoinInfo | null = null;
  private pollTimer = 0;
  private joinTimer = 0;
  private readonly ring = h("div", { class: "notice ring-banner", "data-testid": "ring", role: "alert" });
  private readonly ringText = h("span", { class: "ring-text" });
  private readonly ringAccept = h("button", { type: "button", class: "btn-primary btn-small", "data-testid": "ring-accept" });
  private ringTone: { stop: () => void } | null = null;
  private readonly notice = h("div", { class: "notice", "data-testid": "prejoin-message", role: "alert" });
  private readonly joinBtn = h("button", { type: "button", class: "btn-primary btn-join", "data-testid": "join-button" });
  private mediaMessage: { key: "mediaDenied" | "mediaPartial" | "mediaNone" | "mediaLoading"; vars?: Record<string, string> } | null = null;
  /** A deputy's invitation also opens its phone page 民情直通车 (/deputy), where it sets up its account once. */
  private readonly deputyLink: HTMLAnchorElement | null;
  private disposers: Array<() => void> = [];
  private loading = true;

  constructor(private readonly client: HubClient) {
    this.video.muted = true;
    this.net = new NetCheck(client.token);
    this.camToggle = new MediaToggle("camera", (on) => void this.toggle("video", on));
    this.micToggle = new MediaToggle("mic", (on) => void this.toggle("audio", on));
    this.camSelect.addEventListener("change", () => void this.pick("video", this.camSelect.value));
    this.micSelect.addEventListener("change", () => void this.pick("audio", this.micSelect.value));
    this.joinBtn.addEventListener("click", () => void this.client.join());
    const token = client.token;
    this.deputyLink = token && tokenRole(token) === "deputy"
      ? h("a", { class: "prejoin-hint", href: `/deputy#token=${encodeURIComponent(token)}`, "data-testid": "deputy-home-link" })
      : null;

    this.el = h(
      "section",
      { class: "prejoin", "data-testid": "prejoin" },
      h(
        "div",
        { class: "prejoin-card" },
        h(
          "div",
          { class: "preview" },
          this.video,
          this.off,
          h("div", { class: "preview-controls" }, this.micToggle.el, this.camToggle.el),
        ),
        h(
          "div",
          { class: "prejoin-side" },
          this.ring,
          this.heading,
          this.session,
          this.when,
          this.who,
          this.unit,
          this.waiting,
          this.over,
          this.hint,
          h("label", { class: "field" }, this.camLabel, this.camSelect),
          h("label", { class: "field" }, this.micLabel, this.micSelect, this.meter.el),
          h("div", { class: "field" }, h("label", { class: "field" }, this.spkLabel, this.speaker.select), h("div", { class: "field-row" }, this.speaker.test)),
          h("div", { class: "field" }, this.netLabel, h("div", { class: "field-row" }, this.net.button, this.net.result)),
          this.notice,
          this.joinBtn,
          this.deputyLink,
        ),
      ),
    );
    this.ring.append(this.ringText, this.ringAccept);
    this.ringAccept.addEventListener("click", () => {
      this.stopTone();
      void this.client.join();
    });
    this.disposers.push(
      client.on("ring", () => {
        this.startTone();
        this.render();
      }),
    );
    this.disposers.push(client.on("local", () => this.render()));
    this.disposers.push(client.on("state", () => this.render()));
    const onDev = () => void this.refreshDevices();
    navigator.mediaDevices?.addEventListener?.("devicechange", onDev);
    this.disposers.push(() => navigator.mediaDevices?.removeEventListener?.("devicechange", onDev));
    this.render();
    void this.start();
  }

  /** Ask the hub about the meeting; in the waiting room, again until the lobby opens. */
  private async loadInfo(): Promise<void> {
    const token = this.client.token;
    if (!token) return;
    window.clearTimeout(this.pollTimer);
    try {
      this.info = await fetchJoinInfo(token);
    } catch (err) {
      console.warn("[hub] join-info failed", err);
      this.pollTimer = window.setTimeout(() => void this.loadInfo(), 10_000);
      return;
    }
    const info = this.info;
    // a station's page waits to be called (呼叫) while open; deputies and consoles are not called
    if (info.joining.kind === "station" && info.joining.admitted && !isOver(info)) this.client.watch();
    if (info.session.state === "scheduled") {
      this.client.waitingRoom = true;
      this.pollTimer = window.setTimeout(() => void this.loadInfo(), nextCheckMs(info));
    } else if (canJoin(info) && this.client.waitingRoom && info.joining.admitted) {
      this.enterWhenReady();
    }
    this.render();
  }

  /** A ring tone while called: two short tones every two seconds, for a minute at most. */
  private startTone(): void {
    if (this.ringTone) return;
    let audio: AudioContext;
    try {
      audio = new AudioContext();
    } catch {
      return;
    }
    const beep = () => {
      const t0 = audio.currentTime;
      for (const at of [0, 0.4]) {
        const osc = audio.createOscillator();
        const gain = audio.createGain();
        gain.gain.value = 0.15;
        osc.frequency.value = 880;
        osc.connect(gain).connect(audio.destination);
        osc.start(t0 + at);
        osc.stop(t0 + at + 0.25);
      }
    };
    beep();
    const timer = window.setInterval(beep, 2000);
    const until = window.setTimeout(() => this.stopTone(), 60_000);
    this.ringTone = {
      stop: () => {
        window.clearInterval(timer);
        window.clearTimeout(until);
        void audio.close().catch(() => undefined);
      },
    };
  }

  private stopTone(): void {
    this.ringTone?.stop();
    this.ringTone = null;
  }

  /** The waiting room's end: join by itself (once the devices are open). */
  private enterWhenReady(): void {
    window.clearTimeout(this.joinTimer);
    const delay = this.loading ? 300 : this.client.waitingRetries > 0 ? 2000 : 0;
    this.joinTimer = window.setTimeout(() => {
      if (this.loading) return this.enterWhenReady();
      if (this.client.state === "prejoin") void this.client.join();
    }, delay);
  }

  private async start(): Promise<void> {
    if (!this.client.token) {
      this.loading = false;
      this.render();
      return;
    }
    void this.loadInfo();
    this.mediaMessage = { key: "mediaLoading" };
    this.render();
    const res = await this.client.prepareMedia();
    this.loading = false;
    const errs = res.errors;
    if (errs.audio && (errs.video || !this.client.media.cameraOn)) {
      this.mediaMessage = { key: "mediaDenied", vars: { reason: errs.audio } };
    } else if (errs.video && errs.audio) {
      this.mediaMessage = { key: "mediaDenied", vars: { reason: errs.video } };
    } else if (errs.audio) {
      this.mediaMessage = { key: "mediaPartial", vars: { kind: "microphone", reason: errs.audio } };
    } else if (errs.video) {
      this.mediaMessage = { key: "mediaPartial", vars: { kind: "camera", reason: errs.video } };
    } else {
      this.mediaMessage = null;
    }
    await this.refreshDevices();
    this.render();
    void this.net.run();
  }

  private async toggle(kind: MediaKind, on: boolean): Promise<void> {
    if (kind === "video") await this.client.setCamera(on);
    else await this.client.setMic(on);
    if (on && this.client.media.track(kind)) {
      if (this.mediaMessage?.key !== "mediaLoading") this.mediaMessage = null;
      await this.refreshDevices();
    }
    this.render();
  }

  private async pick(kind: MediaKind, id: string): Promise<void> {
    await this.client.selectDevice(kind, id);
    this.render();
  }

  private async refreshDevices(): Promise<void> {
    const { audio, video } = await this.client.media.devices();
    this.fillSelect(this.camSelect, video, this.client.media.currentDeviceId("video"));
    this.fillSelect(this.micSelect, audio, this.client.media.currentDeviceId("audio"));
    await this.speaker.refresh();
  }

  private fillSelect(sel: HTMLSelectElement, devices: MediaDeviceInfo[], current: string | undefined): void {
    sel.replaceChildren();
    if (devices.length === 0) {
      sel.append(h("option", { value: "" }, t("noDevices")));
      sel.disabled = true;
      return;
    }
    sel.disabled = false;
    devices.forEach((d, i) => {
      const label = d.label || (d.deviceId === "default" ? t("defaultDevice") : `${sel === this.camSelect ? t("camera") : t("microphone")} ${i + 1}`);
      sel.append(h("option", { value: d.deviceId, selected: d.deviceId === current }, label));
    });
  }

  render(): void {
    const c = this.client;
    setText(this.heading, t("prejoinHeading"));
    const info = this.info;
    const en = getLang() === "en";
    const r = c.ringing;
    this.ring.hidden = !r;
    this.ring.dataset.station = r?.station ?? "";
    if (r) {
      setText(this.ringText, t("ringCalling", { by: r.by, title: en ? r.session.titleEn || r.session.title : r.session.title }));
      setText(this.ringAccept, t("ringAccept"));
      this.ringAccept.disabled = c.state === "joining";
    }
    setText(this.session, info ? sessionTitle(info.session, c.sessionId) : sessionTitle(c.session, c.sessionId));
    const s = info?.session;
    setText(this.when, s?.start && s.end ? t("prejoinWhen", { range: rangeLabel(s.start, s.end) }) : s?.standing ? t("prejoinStanding") : "");
    const j = info?.joining;
    setText(this.who, j ? t(`joinAs_${j.kind}`, { name: (en ? j.nameEn : j.name) || j.name }) : "");
    setText(this.unit, info?.unit ? t("prejoinUnit", { unit: en ? info.unit.nameEn || info.unit.name : info.unit.name }) : "");
    const waiting = s?.state === "scheduled";
    this.waiting.hidden = !waiting;
    this.waiting.dataset.state = s?.state ?? "";
    if (waiting && s) {
      this.waiting.replaceChildren(
        h("strong", {}, t("waitingRoom")),
        h("span", { class: "notice-detail" }, s.start && s.lobbyOpens ? t("waitingBody", { start: rangeLabel(s.start, s.end ?? s.start), lobby: hm(s.lobbyOpens) }) : t("waitingBodyNoTime")),
      );
    }
    const over = !!info && isOver(info);
    this.over.hidden = !over;
    this.over.dataset.state = over ? s?.state ?? "" : "";
    setText(this.over, over ? (s?.state === "cancelled" ? t("overCancelled") : t("overEnded")) : "");
    setText(this.hint, t("prejoinHint"));
    if (this.deputyLink) setText(this.deputyLink, t("deputyHomeLink"));
    setText(this.camLabel, t("camera"));
    setText(this.micLabel, t("microphone"));
    setText(this.spkLabel, t("speaker"));
    setText(this.netLabel, t("network"));
    this.meter.attach(c.media.micOn ? c.media.audioTrack : null);
    this.speaker.render();
    this.net.render();

    const vt = c.media.videoTrack;
    const showVideo = !!vt && c.media.cameraOn;
    if (showVideo) {
      const cur = this.video.srcObject as MediaStream | null;
      if (!cur || cur.getVideoTracks()[0] !== vt) this.video.srcObject = new MediaStream([vt]);
    } else if (this.video.srcObject) {
      this.video.srcObject = null;
    }
    this.video.hidden = !showVideo;
    this.off.hidden = showVideo;
    this.off.replaceChildren(icon(icons.cameraOff, "icon icon-lg"), h("span", {}, t("previewOff")));

    this.camToggle.set(c.media.cameraOn && !!vt, this.loading);
    this.micToggle.set(c.media.micOn && !!c.media.audioTrack, this.loading);

    let msg = "";
    let tone = "info";
    if (!c.token) {
      msg = t("noToken");
      tone = "error";
    } else if (j && !j.admitted) {
      msg = t("joinNotAdmitted");
      tone = "error";
    } else if (this.mediaMessage) {
      const vars = { ...this.mediaMessage.vars };
      if (vars.kind) vars.kind = vars.kind === "camera" ? t("camera") : t("microphone");
      msg = t(this.mediaMessage.key, vars);
      tone = this.mediaMessage.key === "mediaLoading" ? "info" : "warn";
    }
    setText(this.notice, msg);
    this.notice.hidden = !msg;
    this.notice.dataset.tone = tone;

    const joining = c.state === "joining";
    setText(this.joinBtn, joining ? t("joining") : waiting ? t("waitingForStart") : t("join"));
    this.joinBtn.disabled = !c.token || joining || this.loading || waiting || over || (!!j && !j.admitted);
    this.el.dataset.sessionState = s?.state ?? "";
  }

  destroy(): void {
    this.stopTone();
    window.clearTimeout(this.pollTimer);
    window.clearTimeout(this.joinTimer);
    this.meter.destroy();
    for (const d of this.disposers) d();
    this.video.srcObject = null;
  }
}

/** The role a join token was signed for (its body is base64url JSON; the hub checks the signature). */
function tokenRole(token: string): string | null {
  try {
    const body = token.split(".")[0].replace(/-/g, "+").replace(/_/g, "/");
    const payload = JSON.parse(atob(body + "===".slice((body.length + 3) % 4))) as { role?: unknown };
    return typeof payload.role === "string" ? payload.role : null;
  } catch {
    return null;
  }
}
