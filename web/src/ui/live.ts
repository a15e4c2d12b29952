/** Live view: the grid of other stations, own preview, controls and connection banners. */
import type { HubClient } from "../client";
import { t } from "../i18n";
import { AudioSink } from "./audio";
import { MediaToggle } from "./controls";
import { h, icon, setAttr, setText } from "./dom";
import { icons } from "./icons";
import { participantName } from "./names";
import { Tile, levelFraction } from "./tile";

export class LiveView {
  readonly el: HTMLElement;
  private readonly grid = h("div", { class: "grid", "data-testid": "grid" });
  private readonly empty = h("div", { class: "empty", "data-testid": "empty" });
  private readonly banner = h("div", { class: "banner", "data-testid": "reconnect-banner", role: "status" });
  private readonly audioBanner = h("button", { type: "button", class: "banner banner-action", "data-testid": "audio-unlock" });
  private readonly selfVideo = h("video", { class: "self-video mirror", autoplay: true, playsinline: true });
  private readonly selfOff = h("div", { class: "self-off" });
  private readonly selfName = h("span", { class: "self-name" });
  private readonly selfMeter = h("span", { class: "meter", "aria-hidden": "true" }, h("span", { class: "meter-fill" }));
  private readonly selfView = h("div", { class: "self-view", "data-testid": "self-preview" });
  private readonly count = h("span", { class: "count", "data-testid": "participant-count" });
  private readonly camToggle: MediaToggle;
  private readonly micToggle: MediaToggle;
  private readonly leaveBtn = h("button", { type: "button", class: "round-btn leave-btn", "data-testid": "leave-button" });
  private readonly tiles = new Map<string, Tile>();
  private readonly sink = new AudioSink();
  private disposers: Array<() => void> = [];
  private busy = false;
  private readonly stage = h("div", { class: "stage" });
  private readonly resize = new ResizeObserver(() => this.layout());

  constructor(private readonly client: HubClient) {
    this.selfVideo.muted = true;
    this.camToggle = new MediaToggle("camera", (on) => void this.toggle("camera", on));
    this.micToggle = new MediaToggle("mic", (on) => void this.toggle("mic", on));
    this.leaveBtn.addEventListener("click", () => void this.client.leave());
    this.audioBanner.addEventListener("click", () => this.sink.unlock());
    this.audioBanner.hidden = true;
    this.sink.onBlockedChange = (b) => {
      this.audioBanner.hidden = !b;
    };
    this.selfView.append(
      this.selfVideo,
      this.selfOff,
      h("div", { class: "self-footer" }, this.selfMeter, this.selfName),
    );

    this.el = h(
      "section",
      { class: "live", "data-testid": "live" },
      h("div", { class: "banners" }, this.banner, this.audioBanner),
      this.stage,
      this.selfView,
      h(
        "nav",
        { class: "controls", "aria-label": "controls" },
        h("div", { class: "controls-left" }, this.count),
        h("div", { class: "controls-center" }, this.micToggle.el, this.camToggle.el, this.leaveBtn),
        h("div", { class: "controls-right" }),
      ),
      this.sink.el,
    );

    this.stage.append(this.grid, this.empty);
    this.resize.observe(this.stage);
    this.disposers.push(() => this.resize.disconnect());
    const c = client;
    this.disposers.push(
      c.on("participants", () => this.renderTiles()),
      c.on("remote", () => {
        this.renderTiles();
        this.sink.sync(c.remote);
      }),
      c.on("levels", () => this.renderLevels()),
      c.on("self", () => this.renderSelf()),
      c.on("local", () => this.renderSelf()),
      c.on("connection", () => this.renderBanner()),
      c.on("state", () => {
        this.renderBanner();
        this.renderSelf();
      }),
    );
    this.render();
  }

  private async toggle(kind: "camera" | "mic", on: boolean): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    this.renderSelf();
    try {
      if (kind === "camera") await this.client.setCamera(on);
      else await this.client.setMic(on);
    } finally {
      this.busy = false;
      this.renderSelf();
    }
  }

  render(): void {
    this.renderTiles();
    this.sink.sync(this.client.remote);
    this.renderSelf();
    this.renderBanner();
    this.renderLevels();
  }

  private renderTiles(): void {
    const c = this.client;
    const ps = Object.values(c.participants).sort((a, b) => rank(a.station?.level) - rank(b.station?.level) || participantName(a).localeCompare(participantName(b), "zh-CN"));
    const seen = new Set<string>();
    ps.forEach((p, i) => {
      seen.add(p.id);
      let tile = this.tiles.get(p.id);
      if (!tile) {
        tile = new Tile(p);
        this.tiles.set(p.id, tile);
      }
      tile.update(p, c.remote.get(p.id));
      if (this.grid.children[i] !== tile.el) this.grid.insertBefore(tile.el, this.grid.children[i] ?? null);
    });
    for (const [id, tile] of this.tiles) {
      if (!seen.has(id)) {
        tile.destroy();
        this.tiles.delete(id);
      }
    }
    const n = ps.length;
    setAttr(this.grid, "data-count", String(Math.min(n, 13)));
    this.layout();
    this.empty.hidden = n > 0;
    setText(this.empty, c.state === "joining" ? t("joining") : t("noOthers"));
    setText(this.count, t("participantsCount", { n: n + (c.self ? 1 : 0) }));
    this.renderLevels();
  }

  private renderLevels(): void {
    const c = this.client;
    for (const [id, tile] of this.tiles) tile.setLevel(c.levels[id], c.speaking === id);
    const selfId = c.self?.id;
    const selfLevel = selfId ? c.levels[selfId] : undefined;
    this.selfView.style.setProperty("--level", levelFraction(c.mic ? selfLevel : undefined).toFixed(2));
    setAttr(this.selfView, "data-speaking", String(!!selfId && c.speaking === selfId));
  }

  private renderSelf(): void {
    const c = this.client;
    const vt = c.media.videoTrack;
    const show = !!vt && c.media.cameraOn && vt.readyState === "live";
    if (show) {
      const cur = this.selfVideo.srcObject as MediaStream | null;
      if (!cur || cur.getVideoTracks()[0] !== vt) this.selfVideo.srcObject = new MediaStream([vt]);
    } else if (this.selfVideo.srcObject) {
      this.selfVideo.srcObject = null;
    }
    this.selfVideo.hidden = !show;
    this.selfOff.hidden = show;
    this.selfOff.replaceChildren(icon(icons.cameraOff, "icon"));
    const name = c.self ? participantName(c.self) : "";
    setText(this.selfName, name ? `${name}${t("youSuffix")}` : t("you"));
    this.camToggle.set(c.camera, this.busy);
    this.micToggle.set(c.mic, this.busy);
    const disabled = c.state !== "live";
    if (disabled) {
      this.camToggle.el.disabled = true;
      this.micToggle.el.disabled = true;
    }
    this.leaveBtn.replaceChildren(icon(icons.leave), h("span", { class: "round-btn-label" }, t("leave")));
    this.leaveBtn.title = t("leave");
    this.leaveBtn.setAttribute("aria-label", t("leave"));
    setAttr(this.selfView, "data-camera", String(c.camera));
    setAttr(this.selfView, "data-mic", String(c.mic));
  }

  private renderBanner(): void {
    const c = this.client;
    let msg = "";
    if (c.state === "reconnecting" || (c.state === "joining" && c.socketState === "reconnecting")) {
      msg = c.reconnectAttempt > 0 ? t("stateReconnectingN", { n: c.reconnectAttempt }) : t("stateReconnecting");
    } else if (c.state === "joining") {
      msg = t("joining");
    }
    setText(this.banner, msg);
    this.banner.hidden = !msg;
    setAttr(this.banner, "data-attempt", String(c.reconnectAttempt));
    setText(this.audioBanner, t("audioBlocked"));
    this.audioBanner.prepend(icon(icons.speaker));
    this.el.classList.toggle("is-reconnecting", c.state === "reconnecting");
  }

  /** Size the grid so every tile fits the stage (scrolls only when tiles would get too small). */
  private layout(): void {
    const n = this.tiles.size;
    const cs = getComputedStyle(this.stage);
    const W = this.stage.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
    const H = this.stage.clientHeight - parseFloat(cs.paddingTop) - parseFloat(cs.paddingBottom);
    const phone = W < 560;
    const { cols, width } = bestLayout(n, W, H, phone ? 150 : 220);
    // On a phone, one or two columns at most.
    const c = phone ? (n <= 2 ? 1 : 2) : cols;
    const w = phone ? Math.floor((W - GAP * (c - 1)) / c) : width;
    this.grid.style.gridTemplateColumns = `repeat(${c}, ${Math.max(0, w)}px)`;
    setAttr(this.grid, "data-cols", String(c));
  }

  /** Re-render every text after a language switch. */
  relabel(): void {
    for (const [id, tile] of this.tiles) {
      const p = this.client.participants[id];
      if (p) tile.update(p, this.client.remote.get(id));
    }
    this.render();
  }

  destroy(): void {
    for (const d of this.disposers) d();
    for (const tile of this.tiles.values()) tile.destroy();
    this.tiles.clear();
    this.sink.clear();
    this.selfVideo.srcObject = null;
  }
}

function rank(level: string | undefined): number {
  return { general: 0, branch: 1, town: 2, room: 3 }[level ?? ""] ?? 4;
}

const GAP = 10;
const ASPECT = 16 / 9;

/**
 * The column count that gives the largest 16:9 tiles for `n` tiles in a W×H box; below a
 * minimum tile width the grid keeps fewer columns and scrolls instead of shrinking further.
 */
export function bestLayout(n: number, W: number, H: number, minW: number): { cols: number; width: number } {
  if (n <= 0 || W <= 0) return { cols: 1, width: Math.max(0, W) };
  let best = { cols: 1, width: 0 };
  for (let cols = 1; cols <= n; cols++) {
    const rows = Math.ceil(n / cols);
    const byW = (W - GAP * (cols - 1)) / cols;
    const byH = ((H - GAP * (rows - 1)) / rows) * ASPECT;
    const width = Math.floor(Math.min(byW, H > 0 ? byH : byW));
    if (width > best.width) best = { cols, width };
  }
  if (best.width < minW) {
    // Too small to fit on screen: as many columns of at least minW as the width allows, scroll.
    const cols = Math.max(1, Math.min(n, Math.floor((W + GAP) / (minW + GAP))));
    return { cols, width: Math.floor((W - GAP * (cols - 1)) / cols) };
  }
  return best;
}
