/** Live view: the grid of other stations, own preview, controls and connection banners. */
import type { HubClient } from "../live/client";
import { t, tMaybe } from "../common/i18n";
import { AudioSink } from "./audio";
import { MediaToggle } from "./controls";
import { h, icon, place, setAttr, setText } from "../common/dom";
import { icons } from "../common/icons";
import { participantName } from "./names";
import { Tile, levelFraction } from "./tile";
import { ConsolePanel } from "./dispatch-panel";
import { ContentView } from "./content";
import type { Participant } from "../live/protocol";
import { pausedBy } from "../live/receive";

/** How the stage is shown: focus (big + strip or single), an equal grid, or everyone (no stage). */
type Mode = "focus" | "grid" | "all";
const GRID_CELLS: Record<string, number> = { "2x2": 4, "3x3": 9, "4x4": 16 };

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
  /** 民情: the opinion capture drawer (stations and dispatchers). */
  private readonly opinionBtn = h("button", { type: "button", class: "round-btn", "data-testid": "opinion-button", "aria-expanded": "false", "aria-controls": "opinion-drawer" });
  private readonly opinionDrawer = h("aside", { class: "opinion-drawer", id: "opinion-drawer", "data-testid": "opinion-drawer" });
  private opinionPanel: { destroy(): void } | null = null;
  private readonly tiles = new Map<string, Tile>();
  private readonly sink = new AudioSink();
  private disposers: Array<() => void> = [];
  private busy = false;
  private readonly stage = h("div", { class: "stage" });
  /** The main slot: holds the stage participant's tile (data-participant-id). */
  private readonly mainSlot = h("div", { class: "main-slot", "data-testid": "stage", "data-participant-id": "" });
  private readonly strip = h("div", { class: "strip", "data-testid": "strip" });
  private readonly parking = h("div", { class: "parking", hidden: true });
  private readonly ctlbar = h("div", { class: "ctlbar", "data-testid": "control-bar" });
  private readonly chipLayout = h("span", { class: "chip", "data-testid": "layout-chip" });
  private readonly chipPolling = h("span", { class: "chip chip-polling", "data-testid": "polling-chip" });
  private readonly chipBroadcast = h("span", { class: "chip chip-broadcast", "data-testid": "broadcast-chip" });
  private readonly lockBadge = h("span", { class: "chip chip-lock", "data-testid": "lock-badge" });
  private readonly recBadge = h("span", { class: "chip chip-rec", "data-testid": "recording-badge" });
  private readonly notices = h("div", { class: "notices" });
  private readonly mutedNotice = h("div", { class: "notice-bar tone-muted", "data-testid": "dispatcher-muted", role: "status" });
  private readonly floorNotice = h("div", { class: "notice-bar tone-floor", "data-testid": "floor-notice", role: "status" });
  private readonly handNotice = h("div", { class: "notice-bar tone-hand", "data-testid": "hand-notice", role: "status" });
  private readonly handBtn = h("button", { type: "button", class: "round-btn hand-btn", "data-testid": "hand-button" });
  private readonly main = h("div", { class: "live-main" });
  /** 双流: the shared screen or document, and this page's share button. */
  private readonly content: ContentView;
  private readonly shareBtn = h("button", { type: "button", class: "round-btn", "data-testid": "share-button" });
  private panel: ConsolePanel | null = null;
  private mode: Mode = "all";
  private tick = 0;
  private readonly resize = new ResizeObserver(() => this.layout());

  constructor(private readonly client: HubClient) {
    this.selfVideo.muted = true;
    this.content = new ContentView(client);
    this.shareBtn.addEventListener("click", () => {
      if (this.client.sharing) void this.client.stopShare();
      else void this.client.startShare();
    });
    // phones and browsers without screen capture have nothing to share
    this.shareBtn.hidden = typeof navigator.mediaDevices?.getDisplayMedia !== "function";
    this.camToggle = new MediaToggle("camera", (on) => void this.toggle("camera", on));
    this.micToggle = new MediaToggle("mic", (on) => void this.toggle("mic", on));
    this.leaveBtn.addEventListener("click", () => void this.client.leave());
    this.opinionBtn.addEventListener("click", () => void this.toggleOpinions());
    this.opinionDrawer.hidden = true;
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

    this.handBtn.addEventListener("click", () => {
      const c = this.client;
      if (c.hand === "waiting") void c.lowerHand();
      else if (c.hand !== "floor") void c.raiseHand();
    });
    this.ctlbar.append(this.recBadge, this.chipLayout, this.chipPolling, this.chipBroadcast, this.lockBadge);
    this.notices.append(this.mutedNotice, this.floorNotice, this.handNotice);
    this.main.append(
      h("div", { class: "banners" }, this.banner, this.audioBanner),
      this.ctlbar,
      this.notices,
      this.stage,
      this.content.el,
      this.selfView,
    );
    this.el = h(
      "section",
      { class: "live", "data-testid": "live" },
      h("div", { class: "live-body" }, this.main),
      h(
        "nav",
        { class: "controls", "aria-label": "controls" },
        h("div", { class: "controls-left" }, this.count),
        h("div", { class: "controls-center" }, this.micToggle.el, this.camToggle.el, this.handBtn, this.shareBtn, this.opinionBtn, this.leaveBtn),
        h("div", { class: "controls-right" }),
      ),
      this.opinionDrawer,
      this.sink.el,
    );

    this.stage.append(this.mainSlot, this.strip, this.grid, this.empty, this.parking);
    this.resize.observe(this.stage);
    this.disposers.push(() => this.resize.disconnect());
    const c = client;
    this.disposers.push(
      c.on("participants", () => this.renderTiles()),
      c.on("remote", () => {
        this.renderTiles();
        this.sink.sync(c.remote);
        this.renderContent();
      }),
      c.on("content", () => this.renderContent()),
      c.on("levels", () => this.renderLevels()),
      // The role comes with `self`: a control event answered before the join's ack found no role
      // yet, so the console panel is decided again here.
      c.on("self", () => {
        this.renderSelf();
        this.renderControl();
      }),
      c.on("local", () => this.renderSelf()),
      c.on("connection", () => this.renderBanner()),
      c.on("state", () => {
        this.renderBanner();
        this.renderSelf();
      }),
      c.on("control", () => {
        this.renderTiles();
        this.renderControl();
        this.renderContent();
      }),
      c.on("hand", () => this.renderControl()),
      c.on("layers", () => this.renderPaused()),
    );
    this.tick = window.setInterval(() => this.panel?.tick(), 1000);
    this.disposers.push(() => window.clearInterval(this.tick));
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

  private renderContent(): void {
    this.content.render();
    const c = this.client;
    const busy = !!c.controlState?.content && c.controlState.content !== c.self?.id;
    this.shareBtn.replaceChildren(icon(icons.screen, "icon"), h("span", {}, c.sharing ? t("shareStop") : t("share")));
    setAttr(this.shareBtn, "data-on", String(c.sharing));
    setAttr(this.shareBtn, "aria-pressed", String(c.sharing));
    this.shareBtn.classList.toggle("on", c.sharing);
    this.shareBtn.disabled = busy && !c.sharing;
    this.shareBtn.title = busy ? t("shareBusy") : "";
  }

  render(): void {
    this.renderContent();
    this.renderTiles();
    this.sink.sync(this.client.remote);
    this.renderSelf();
    this.renderBanner();
    this.renderLevels();
    this.renderControl();
  }

  /** Opens or closes the 民情 capture drawer; the form is loaded on first use. The page's
   * join token is its REST credential for capture (docs/protocol.md). */
  private async toggleOpinions(): Promise<void> {
    const open = this.opinionDrawer.hidden === true;
    this.opinionDrawer.hidden = !open;
    this.opinionBtn.classList.toggle("on", open);
    this.opinionBtn.setAttribute("aria-expanded", String(open));
    if (!open || this.opinionPanel) return;
    const { mountCapturePanel } = await import("../opinions/capture");
    this.opinionPanel = mountCapturePanel(this.opinionDrawer, {
      sessionId: this.client.session?.number ?? null,
      stationCode: this.client.self?.station?.code ?? null,
      token: this.client.token,
      compact: true,
    });
  }

  /** Dispatchers switch the page to console mode: the control panel beside / below the video. */
  private ensurePanel(): void {
    const want = this.client.isDispatcher;
    if (want && !this.panel) {
      this.panel = new ConsolePanel(this.client);
      this.el.querySelector(".live-body")!.append(this.panel.el);
      this.el.classList.add("console-mode");
      this.resize.observe(this.panel.el);
    } else if (!want && this.panel) {
      this.panel.destroy();
      this.panel = null;
      this.el.classList.remove("console-mode");
    }
  }

  private renderControl(): void {
    this.ensurePanel();
    const c = this.client;
    const cs = c.controlState;
    const me = c.self?.id ?? "";
    const dispatcher = c.isDispatcher;
    setAttr(this.el, "data-role", c.self?.role ?? "");
    // status chips
    const layout = cs?.layout ?? "";
    setText(this.chipLayout, layout ? `${t("layoutLabel")} · ${tLayout(layout)}` : "");
    this.chipLayout.hidden = !layout;
    const pol = cs?.polling;
    if (pol && pol.current) {
      const i = pol.order.indexOf(pol.current);
      const name = this.nameOf(pol.current);
      setText(this.chipPolling, pol.paused
        ? t("pollingPaused", { name, n: i + 1, m: pol.order.length })
        : t("pollingStatus", { name, n: i + 1, m: pol.order.length, s: pol.interval }));
    }
    this.chipPolling.hidden = !(pol && pol.current);
    if (cs?.broadcast) setText(this.chipBroadcast, `${t("stageBroadcast")} · ${this.nameOf(cs.broadcast)}`);
    this.chipBroadcast.hidden = !cs?.broadcast;
    this.lockBadge.replaceChildren(icon(icons.lock, "icon"), h("span", {}, t("locked")));
    this.lockBadge.title = t("lockedTitle");
    this.lockBadge.hidden = !cs?.locked;
    this.recBadge.replaceChildren(h("span", { class: "rec-dot", "aria-hidden": "true" }), h("span", {}, t("recording")));
    this.recBadge.title = t("recordingTitle");
    this.recBadge.hidden = !cs?.recording;
    this.ctlbar.hidden = !cs;

    // own state: muted by the dispatcher, the floor, the request to speak
    const heard = cs?.heard;
    const mutedByDispatcher = !!cs && !!heard && !!me && !heard.includes(me) && !dispatcher;
    setAttr(this.el, "data-muted-by-dispatcher", String(mutedByDispatcher));
    setAttr(this.selfView, "data-muted-by-dispatcher", String(mutedByDispatcher));
    if (mutedByDispatcher) {
      const explicit = cs!.muted.includes(me) || cs!.muteAll;
      const detail = !explicit && cs!.floor && cs!.floor !== me
        ? t("mutedFloorOther", { name: this.nameOf(cs!.floor) })
        : t("mutedHint");
      this.mutedNotice.replaceChildren(
        icon(icons.micOff, "icon"),
        h("div", {}, h("strong", {}, t("mutedByDispatcher")), h("span", { class: "notice-detail" }, detail)),
      );
    }
    this.mutedNotice.hidden = !mutedByDispatcher;
    const hasFloor = !!cs && cs.floor === me && !!me;
    if (hasFloor) {
      this.floorNotice.replaceChildren(
        icon(icons.mic, "icon"),
        h("div", {}, h("strong", {}, t("youHaveFloor")), h("span", { class: "notice-detail" }, t("youHaveFloorHint"))),
      );
    }
    this.floorNotice.hidden = !hasFloor;
    const hand = c.hand;
    let handMsg = "";
    if (hand === "waiting") {
      const pos = (cs?.hands ?? []).findIndex((x) => x.participantId === me);
      handMsg = t("handWaiting", { n: pos >= 0 ? pos + 1 : 1 });
    } else if (hand === "declined") handMsg = t("handDeclined");
    setText(this.handNotice, handMsg);
    setAttr(this.handNotice, "data-state", hand);
    this.handNotice.hidden = !handMsg;

    // the hand button (stations and deputies)
    this.handBtn.hidden = dispatcher || !c.self;
    const label = hand === "waiting" ? t("handLower") : hand === "floor" ? t("handFloor") : t("handRaise");
    this.handBtn.replaceChildren(icon(icons.hand), h("span", { class: "round-btn-label" }, label));
    this.handBtn.title = label;
    this.handBtn.setAttribute("aria-label", label);
    this.handBtn.disabled = c.state !== "live" || hand === "floor";
    setAttr(this.handBtn, "data-state", hand);
    this.handBtn.classList.toggle("is-waiting", hand === "waiting");
    this.panel?.render();
  }

  private nameOf(id: string): string {
    const c = this.client;
    const p = c.participants[id] ?? (c.self?.id === id ? c.self : undefined);
    return p ? participantName(p) : id;
  }

  private renderTiles(): void {
    const c = this.client;
    const cs = c.controlState;
    // A receive-only dispatcher's console is not a picture: it is left out of the stations' view.
    const ps = Object.values(c.participants)
      .filter((p) => !(p.role === "dispatcher" && !(p.media?.camera && (p.publishing ?? []).includes("video"))))
      .sort((a, b) => rank(a.station?.level) - rank(b.station?.level) || participantName(a).localeCompare(participantName(b), "zh-CN"));
    const seen = new Set<string>();
    for (const p of ps) {
      seen.add(p.id);
      let tile = this.tiles.get(p.id);
      if (!tile) {
        tile = new Tile(p);
        this.tiles.set(p.id, tile);
      }
      tile.update(p, c.remote.get(p.id));
    }
    for (const [id, tile] of this.tiles) {
      if (!seen.has(id)) {
        tile.destroy();
        this.tiles.delete(id);
      }
    }

    // Stage first, then the floor and raised hands, then the matrix order.
    const stageId = cs?.stage ?? null;
    const stageP = ps.find((p) => p.id === stageId) ?? null;
    const first = [stageP?.id, cs?.floor, ...(cs?.hands ?? []).map((x) => x.participantId)];
    const order: Participant[] = [];
    for (const id of first) {
      const p = id ? ps.find((x) => x.id === id) : undefined;
      if (p && !order.includes(p)) order.push(p);
    }
    for (const p of ps) if (!order.includes(p)) order.push(p);
    const tilesOf = (list: Participant[]) => list.map((p) => this.tiles.get(p.id)!.el);

    const layout = cs?.layout ?? "1+N";
    const mode: Mode = !cs || !stageP ? "all" : layout in GRID_CELLS ? "grid" : "focus";
    const stageTile = stageP ? this.tiles.get(stageP.id)! : null;
    this.mode = mode;
    const rest = order.filter((p) => p !== stageP);
    if (mode === "all") {
      place(this.mainSlot, []);
      place(this.strip, []);
      place(this.grid, tilesOf(order));
      place(this.parking, [this.mainSlot]);
    } else if (mode === "focus") {
      place(this.mainSlot, [stageTile!.el]);
      const shown = layout === "single" ? [] : tilesOf(rest);
      place(this.grid, []);
      place(this.strip, shown);
      place(this.parking, layout === "single" ? tilesOf(rest) : []);
      if (this.mainSlot.parentElement !== this.stage || this.stage.firstChild !== this.mainSlot) this.stage.prepend(this.mainSlot);
    } else {
      const cells = GRID_CELLS[layout];
      place(this.mainSlot, [stageTile!.el]);
      place(this.strip, []);
      place(this.grid, [this.mainSlot, ...tilesOf(rest.slice(0, cells - 1))]);
      place(this.parking, tilesOf(rest.slice(cells - 1)));
    }
    this.mainSlot.hidden = mode === "all";
    this.strip.hidden = mode !== "focus" || layout === "single";
    setAttr(this.mainSlot, "data-participant-id", mode === "all" ? "" : stageP!.id);
    setAttr(this.stage, "data-mode", mode);
    setAttr(this.stage, "data-layout", cs ? layout : "");
    setAttr(this.el, "data-stage", stageId ?? "");
    setAttr(this.el, "data-stage-self", String(!!stageId && stageId === c.self?.id));
    this.stage.classList.toggle("is-focus", mode === "focus");

    // marks
    const heard = cs?.heard;
    const pol = cs?.polling;
    for (const [id, tile] of this.tiles) {
      const pi = pol?.current === id ? pol.order.indexOf(id) : -1;
      tile.setMarks({
        floor: cs?.floor === id,
        broadcast: cs?.broadcast === id,
        polling: pi >= 0 ? [pi + 1, pol!.order.length] : null,
        hand: !!cs?.hands.some((x) => x.participantId === id),
        muted: !!cs && (cs.muted.includes(id) || (cs.muteAll && cs.floor !== id)) && (!heard || !heard.includes(id)),
      });
      tile.el.classList.toggle("is-stage", tile === stageTile && mode !== "all");
    }

    this.renderPaused();
    const n = ps.length;
    setAttr(this.grid, "data-count", String(Math.min(this.grid.children.length, 16)));
    this.layout();
    this.empty.hidden = n > 0;
    setText(this.empty, c.state === "joining" ? t("joining") : t("noOthers"));
    setText(this.count, t("participantsCount", { n: n + (c.self && !c.isDispatcher ? 1 : 0) }));
    this.renderLevels();
  }

  /** A placeholder over each picture the relay pauses (its downlink, or this page's 画质). */
  private renderPaused(): void {
    for (const [id, tile] of this.tiles) tile.setPaused(pausedBy(this.client.layers[id]));
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
    // A receive-only console has no picture of its own to preview.
    this.selfView.hidden = c.isDispatcher && !show;
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
    this.opinionBtn.replaceChildren(icon(icons.opinion), h("span", { class: "round-btn-label" }, t("opinions")));
    this.opinionBtn.title = t("opinions");
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

  /** Size the main picture, the strip and the grid so every tile fits the stage. */
  private layout(): void {
    // Only the main picture is sized by hand; a tile that left the main slot fits its cell again.
    const mainTile = this.mode === "focus" ? (this.mainSlot.firstElementChild as HTMLElement | null) : null;
    for (const tile of this.tiles.values()) if (tile.el !== mainTile && tile.el.style.width) tile.el.style.width = "";
    const cs = getComputedStyle(this.stage);
    const W = this.stage.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
    const H = this.stage.clientHeight - parseFloat(cs.paddingTop) - parseFloat(cs.paddingBottom);
    const phone = W < 560;
    if (this.mode === "focus") {
      const stripH = this.strip.hidden ? 0 : this.strip.offsetHeight + GAP;
      const mw = Math.max(0, Math.floor(Math.min(W, (H - stripH) * ASPECT)));
      const tile = this.mainSlot.firstElementChild as HTMLElement | null;
      if (tile) tile.style.width = `${mw}px`;
      this.grid.style.gridTemplateColumns = "";
      setAttr(this.grid, "data-cols", "0");
      return;
    }
    const n = this.grid.children.length;
    const layout = this.client.controlState?.layout ?? "";
    let cols: number;
    let width: number;
    if (this.mode === "grid") {
      const want = Math.min(n, Math.round(Math.sqrt(GRID_CELLS[layout] ?? 4)));
      cols = phone ? Math.min(2, want) : Math.max(1, want);
      const rows = Math.ceil(n / cols);
      const byW = (W - GAP * (cols - 1)) / cols;
      const byH = ((H - GAP * (rows - 1)) / rows) * ASPECT;
      width = Math.floor(phone ? byW : Math.max(Math.min(byW, byH), Math.min(byW, 160)));
    } else {
      const best = bestLayout(n, W, H, phone ? 150 : 220);
      cols = phone ? (n <= 2 ? 1 : 2) : best.cols;
      width = phone ? Math.floor((W - GAP * (cols - 1)) / cols) : best.width;
    }
    this.grid.style.gridTemplateColumns = `repeat(${cols}, ${Math.max(0, width)}px)`;
    setAttr(this.grid, "data-cols", String(cols));
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
    this.panel?.destroy();
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

function tLayout(layout: string): string {
  return tMaybe(`layout_${layout}`, layout);
}
