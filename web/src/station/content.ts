/**
 * 双流: the shared screen or document of one participant (docs/protocol.md, `share`). Shown
 * as a picture beside the stage, over the whole stage when the dispatcher puts it there
 * (`contentOnStage`), and full screen with pinch-zoom on demand (phones). The sharer sees its
 * own share from the local track.
 */
import type { HubClient } from "../live/client";
import { t } from "../common/i18n";
import { h, setAttr, setText } from "../common/dom";
import { participantName } from "./names";

export class ContentView {
  readonly el: HTMLElement;
  private readonly video = h("video", { class: "content-video", autoplay: true, playsinline: true, "data-testid": "content-video" });
  private readonly label = h("span", { class: "content-label", "data-testid": "content-label" });
  private readonly expand = h("button", { type: "button", class: "content-btn", "data-testid": "content-expand" });
  private full = false;

  constructor(private readonly client: HubClient) {
    this.video.muted = true;
    this.el = h(
      "div",
      { class: "content-view", "data-testid": "content", hidden: true },
      h("div", { class: "content-scroll" }, this.video),
      h("div", { class: "content-bar" }, this.label, this.expand),
    );
    this.expand.addEventListener("click", () => {
      this.full = !this.full;
      this.render();
    });
    this.video.addEventListener("dblclick", () => {
      this.full = !this.full;
      this.render();
    });
  }

  /** The shared track now: this page's own share, or the sharer's content track. */
  private track(): { from: string; track: MediaStreamTrack | null } | null {
    const c = this.client;
    const from = c.controlState?.content ?? null;
    if (!from) return null;
    if (from === c.self?.id) return { from, track: c.contentTrack };
    return { from, track: c.remote.get(from)?.content ?? null };
  }

  render(): void {
    const c = this.client;
    const shown = this.track();
    this.el.hidden = !shown;
    if (!shown) {
      this.full = false;
      if (this.video.srcObject) this.video.srcObject = null;
      return;
    }
    const cur = this.video.srcObject as MediaStream | null;
    if (shown.track) {
      if (!cur || cur.getVideoTracks()[0] !== shown.track) this.video.srcObject = new MediaStream([shown.track]);
    } else if (cur) this.video.srcObject = null;
    const onStage = !!c.controlState?.contentOnStage;
    const mine = shown.from === c.self?.id;
    const p = c.participants[shown.from];
    setText(this.label, mine ? t("contentMine") : t("contentBy", { name: p ? participantName(p) : shown.from }));
    setText(this.expand, this.full ? t("contentClose") : t("contentFull"));
    setAttr(this.el, "data-participant-id", shown.from);
    setAttr(this.el, "data-on-stage", String(onStage));
    setAttr(this.el, "data-full", String(this.full));
    setAttr(this.el, "data-has-track", String(!!shown.track));
    this.el.classList.toggle("is-stage", onStage && !this.full);
    this.el.classList.toggle("is-full", this.full);
  }

  destroy(): void {
    this.video.srcObject = null;
  }
}
