/** Pre-join screen: preview, device choice, camera/mic toggles and the Join button. */
import type { HubClient } from "../live/client";
import { t } from "../common/i18n";
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
  private readonly notice = h("div", { class: "notice", "data-testid": "prejoin-message", role: "alert" });
  private readonly joinBtn = h("button", { type: "button", class: "btn-primary btn-join", "data-testid": "join-button" });
  private mediaMessage: { key: "mediaDenied" | "mediaPartial" | "mediaNone" | "mediaLoading"; vars?: Record<string, string> } | null = null;
  private disposers: Array<() => void> = [];
  private loading = true;

  constructor(private readonly client: HubClient) {
    this.video.muted = true;
    this.camToggle = new MediaToggle("camera", (on) => void this.toggle("video", on));
    this.micToggle = new MediaToggle("mic", (on) => void this.toggle("audio", on));
    this.camSelect.addEventListener("change", () => void this.pick("video", this.camSelect.value));
    this.micSelect.addEventListener("change", () => void this.pick("audio", this.micSelect.value));
    this.joinBtn.addEventListener("click", () => void this.client.join());

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
          this.heading,
          this.session,
          this.hint,
          h("label", { class: "field" }, this.camLabel, this.camSelect),
          h("label", { class: "field" }, this.micLabel, this.micSelect),
          this.notice,
          this.joinBtn,
        ),
      ),
    );
    this.disposers.push(client.on("local", () => this.render()));
    this.disposers.push(client.on("state", () => this.render()));
    const onDev = () => void this.refreshDevices();
    navigator.mediaDevices?.addEventListener?.("devicechange", onDev);
    this.disposers.push(() => navigator.mediaDevices?.removeEventListener?.("devicechange", onDev));
    this.render();
    void this.start();
  }

  private async start(): Promise<void> {
    if (!this.client.token) {
      this.loading = false;
      this.render();
      return;
    }
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
    setText(this.session, sessionTitle(c.session, c.sessionId));
    setText(this.hint, t("prejoinHint"));
    setText(this.camLabel, t("camera"));
    setText(this.micLabel, t("microphone"));

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
    setText(this.joinBtn, joining ? t("joining") : t("join"));
    this.joinBtn.disabled = !c.token || joining || this.loading;
  }

  destroy(): void {
    for (const d of this.disposers) d();
    this.video.srcObject = null;
  }
}
