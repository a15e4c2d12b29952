/** The recordings 录像 section of the console (issue 12): the list (#recordings), and the
 * player (#recordings/{id}[@seconds]) that replays a session as it ran — the stage follows
 * the recorded timeline, the others are thumbnails, every recorded track plays at once
 * (the browser mixes their audio), the timeline bar carries the opinions, stage changes and
 * hands as markers (click: jump there; hover: what it was), with speed and jump by marker. */
import "./recordings.css";
import { ApiError, get, post, qs } from "../common/api";
import { h, setText } from "../common/dom";
import { dateValue, hm } from "../common/time";
import { getLang } from "../common/i18n";
import { rt, rtMaybe } from "./strings";
import {
  duration,
  fileTime,
  markers,
  names,
  nextMarker,
  parseHash,
  presentAt,
  stageAt,
  type Entry,
  type Marker,
  type RecordedFile,
  type Recording,
} from "./timeline";

const SPEEDS = [0.5, 1, 1.5, 2, 4];

function clock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const hh = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, "0");
  const ss = String(s % 60).padStart(2, "0");
  return hh ? `${hh}:${mm}:${ss}` : `${mm}:${ss}`;
}

export class RecordingsView {
  readonly el = h("section", { class: "rec-view", "data-testid": "recordings" });
  private player: Player | null = null;
  private readonly onHash = (): void => this.route();

  constructor() {
    window.addEventListener("hashchange", this.onHash);
    this.route();
  }

  render(): void {
    if (this.player) this.player.render();
    else void this.showList();
  }

  destroy(): void {
    window.removeEventListener("hashchange", this.onHash);
    this.player?.destroy();
  }

  private route(): void {
    const { id, t } = parseHash(location.hash);
    if (id && this.player?.id === id) {
      if (t != null) this.player.seek(t);
      return;
    }
    this.player?.destroy();
    this.player = null;
    if (id) {
      this.player = new Player(id, t ?? 0);
      this.el.replaceChildren(this.player.el);
    } else {
      void this.showList();
    }
  }

  private readonly station = h("input", { class: "c-input", "data-testid": "rec-filter-station", placeholder: "xucun" });
  private readonly title = h("input", { class: "c-input", "data-testid": "rec-filter-title" });
  private readonly from = h("input", { class: "c-input", type: "date", "data-testid": "rec-filter-from" });

  private async showList(): Promise<void> {
    const searchBtn = h("button", { type: "button", class: "btn-primary", "data-testid": "rec-search" }, rt("search"));
    searchBtn.addEventListener("click", () => void this.showList());
    const table = h("div", { class: "rec-list", "data-testid": "rec-list" });
    this.el.replaceChildren(
      h("h2", { class: "rec-h" }, rt("listTitle")),
      h("div", { class: "rec-filters" },
        h("label", {}, rt("filterStation"), " ", this.station),
        h("label", {}, rt("filterTitle"), " ", this.title),
        h("label", {}, rt("filterFrom"), " ", this.from),
        searchBtn),
      table,
    );
    try {
      const from = this.from.value ? new Date(`${this.from.value}T00:00:00+08:00`).toISOString() : null;
      const list = await get<{ items: Recording[] }>(`/recordings${qs({ station: this.station.value.trim(), q: this.title.value.trim(), from })}`);
      if (!list.items.length) {
        table.replaceChildren(h("p", { class: "c-muted" }, rt("none")));
        return;
      }
      const head = h("tr", {}, ...["colDate", "colTitle", "colStations", "colLength", "colReason", ""].map((k) => h("th", {}, k ? rt(k as "colDate") : "")));
      const rows = list.items.map((r) => {
        const started = new Date(r.startedAt * 1000);
        const open = h("a", { class: "btn-link", href: `#recordings/${r.id}`, "data-testid": "rec-open" }, rt("open"));
        return h("tr", { "data-testid": "rec-row", "data-id": r.id },
          h("td", {}, `${dateValue(started)} ${hm(started)}`),
          h("td", {}, getLang() === "en" && r.titleEn ? r.titleEn : r.title),
          h("td", {}, r.stations.join(", ")),
          h("td", {}, r.endedAt ? clock(r.endedAt - r.startedAt) : "—"),
          h("td", {}, rtMaybe(`reason_${r.stoppedReason ?? "running"}`, r.stoppedReason ?? "")),
          h("td", {}, open));
      });
      table.replaceChildren(h("table", { class: "rec-table" }, h("thead", {}, head), h("tbody", {}, ...rows)));
    } catch (e) {
      table.replaceChildren(h("p", { class: "c-error" }, rt("loadFailed", { message: (e as ApiError).message })));
    }
  }
}

interface ExportState {
  state: "none" | "running" | "done" | "failed";
  progress: number;
  url: string | null;
}

interface Track {
  file: RecordedFile;
  video: HTMLVideoElement;
  tile: HTMLElement;
}

/** One recording played back. Session time `t` runs on its own clock; every track follows it. */
class Player {
  readonly el = h("div", { class: "rec-player", "data-testid": "player" });
  private rec: Recording | null = null;
  private entries: Entry[] = [];
  private marks: Marker[] = [];
  private who = new Map<string, string>();
  private tracks: Track[] = [];
  private length = 0;
  private t: number;
  private playing = false;
  private speed = 1;
  private wallAt = 0;
  private timer = 0;
  private readonly stageName = h("div", { class: "rec-stage-name", "data-testid": "player-stage-name" });
  private readonly grid = h("div", { class: "rec-grid", "data-testid": "player-grid" });
  private readonly playBtn = h("button", { type: "button", class: "btn-primary", "data-testid": "player-play" });
  private readonly time = h("span", { class: "rec-time", "data-testid": "player-time" });
  private readonly range = h("input", { type: "range", class: "rec-range", min: 0, step: 0.1, "data-testid": "player-range" });
  private readonly marksEl = h("div", { class: "rec-marks", "data-testid": "player-markers" });
  private readonly speedSel = h("select", { class: "c-input", "data-testid": "player-speed" });
  private readonly prev = h("button", { type: "button", class: "btn", "data-testid": "player-prev" });
  private readonly next = h("button", { type: "button", class: "btn", "data-testid": "player-next" });
  private readonly downloads = h("div", { class: "rec-downloads", "data-testid": "player-downloads" });
  private readonly heading = h("h2", { class: "rec-h" });
  private readonly exportBox = h("div", { class: "rec-export", "data-testid": "player-export" });
  private exportState: ExportState = { state: "none", progress: 0, url: null };
  private exportTimer = 0;
  private readonly sub = h("p", { class: "c-muted" });

  constructor(readonly id: string, start: number) {
    this.t = start;
    for (const s of SPEEDS) this.speedSel.append(h("option", { value: String(s), selected: s === 1 }, `${s}×`));
    this.speedSel.addEventListener("change", () => {
      this.anchor();
      this.speed = Number(this.speedSel.value) || 1;
      this.sync(true);
    });
    this.playBtn.addEventListener("click", () => (this.playing ? this.pause() : this.play()));
    this.range.addEventListener("input", () => this.seek(Number(this.range.value)));
    this.prev.addEventListener("click", () => this.jump(-1));
    this.next.addEventListener("click", () => this.jump(1));
    const back = h("a", { class: "btn-link", href: "#recordings", "data-testid": "player-back" }, rt("back"));
    this.el.append(
      h("div", { class: "rec-top" }, back, this.heading), this.sub,
      h("div", { class: "rec-stagebox" }, this.stageName, this.grid),
      h("div", { class: "rec-controls" }, this.playBtn, this.prev, this.next, this.time,
        h("label", {}, rt("speed"), " ", this.speedSel)),
      h("div", { class: "rec-bar" }, this.range, this.marksEl),
      this.downloads,
      this.exportBox,
    );
    void this.load();
    void this.pollExport();
  }

  private async load(): Promise<void> {
    try {
      const got = await get<{ recording: Recording; entries: Entry[] }>(`/recordings/${this.id}`);
      this.rec = got.recording;
      this.entries = got.entries;
    } catch (e) {
      this.el.replaceChildren(h("p", { class: "c-error" }, rt("loadFailed", { message: (e as ApiError).message })));
      return;
    }
    const rec = this.rec;
    this.who = names(this.entries);
    this.length = duration(rec, this.entries);
    this.range.max = String(this.length);
    this.marks = markers(this.entries, (id) => this.nameOf(id));
    for (const file of rec.files) {
      if (!file.kinds?.includes("video") && !file.kinds?.includes("audio")) continue;
      const video = h("video", { class: "rec-video", preload: "auto", playsinline: true, src: `/api/recordings/${rec.id}/files/${file.name}` }) as HTMLVideoElement;
      const tile = h("figure", { class: "rec-tile", "data-participant": file.participantId ?? "", "data-file": file.name },
        video, h("figcaption", {}, this.nameOf(file.participantId ?? "")));
      tile.hidden = true;
      this.grid.append(tile);
      this.tracks.push({ file, video, tile });
    }
    this.render();
    this.sync(true);
    this.timer = window.setInterval(() => this.tick(), 100);
  }

  nameOf(id: string): string {
    return this.who.get(id) ?? id;
  }

  render(): void {
    const rec = this.rec;
    if (!rec) return;
    setText(this.heading, getLang() === "en" && rec.titleEn ? rec.titleEn : rec.title);
    const started = new Date(rec.startedAt * 1000);
    setText(this.sub, `${dateValue(started)} ${hm(started)} · ${rec.startedBy ? rt("startedBy", { name: rec.startedBy }) : rt("startedBySchedule")}`);
    setText(this.playBtn, this.playing ? rt("pause") : rt("play"));
    setText(this.prev, rt("prevMarker"));
    setText(this.next, rt("nextMarker"));
    this.marksEl.replaceChildren(...this.marks.map((m) => {
      const title = m.kind === "opinion" ? rt("markerOpinion", { label: m.label }) : m.kind === "stage" ? rt("markerStage", { label: m.label }) : rt("markerHands", { label: m.label });
      const b = h("button", {
        type: "button", class: `rec-mark rec-mark-${m.kind}`, title, "aria-label": title,
        "data-testid": `marker-${m.kind}`, "data-t": String(m.t),
        style: `left: ${this.length ? (100 * m.t) / this.length : 0}%`,
      });
      b.addEventListener("click", () => this.seek(m.t));
      return b;
    }));
    this.downloads.replaceChildren(
      h("span", {}, rt("downloads"), ": "),
      h("a", { href: `/api/recordings/${rec.id}/timeline.json`, download: "", "data-testid": "download-timeline" }, rt("downloadTimeline")),
      ...this.tracks.map((tr) => h("a", { href: `/api/recordings/${rec.id}/files/${tr.file.name}?download=true`, download: "", "data-testid": "download-track" },
        rt("downloadTrack", { name: this.nameOf(tr.file.participantId ?? "") }))),
    );
    this.paintExport();
    this.paintTime();
  }

  /** The MP4 export job: a button, then a progress bar, then the download. */
  private paintExport(): void {
    const e = this.exportState;
    if (e.state === "running") {
      const bar = h("progress", { max: 1, value: e.progress, "data-testid": "export-progress" });
      this.exportBox.replaceChildren(bar, h("span", {}, rt("exportRunning", { p: Math.round(e.progress * 100) })));
      return;
    }
    const start = h("button", { type: "button", class: "btn", "data-testid": "export-start" }, rt("exportStart"));
    start.addEventListener("click", () => void this.startExport());
    this.exportBox.replaceChildren(
      start,
      e.state === "done" && e.url ? h("a", { href: e.url, download: "", "data-testid": "export-download" }, rt("exportDone")) : "",
      e.state === "failed" ? h("span", { class: "c-error" }, rt("exportFailed")) : "",
    );
  }

  private async startExport(): Promise<void> {
    try {
      this.exportState = await post<ExportState>(`/recordings/${this.id}/export`);
    } catch {
      this.exportState = { state: "failed", progress: 0, url: null };
    }
    this.paintExport();
    this.scheduleExportPoll();
  }

  private async pollExport(): Promise<void> {
    try {
      this.exportState = await get<ExportState>(`/recordings/${this.id}/export`);
    } catch {
      return;
    }
    this.paintExport();
    this.scheduleExportPoll();
  }

  private scheduleExportPoll(): void {
    window.clearTimeout(this.exportTimer);
    if (this.exportState.state === "running") this.exportTimer = window.setTimeout(() => void this.pollExport(), 1000);
  }

  destroy(): void {
    window.clearInterval(this.timer);
    window.clearTimeout(this.exportTimer);
    for (const tr of this.tracks) {
      tr.video.pause();
      tr.video.removeAttribute("src");
      tr.video.load();
    }
  }

  /** Session time now. */
  private now(): number {
    if (!this.playing) return this.t;
    return Math.min(this.length, this.t + ((performance.now() - this.wallAt) / 1000) * this.speed);
  }

  private anchor(): void {
    this.t = this.now();
    this.wallAt = performance.now();
  }

  play(): void {
    if (this.t >= this.length) this.t = 0;
    this.wallAt = performance.now();
    this.playing = true;
    this.sync(true);
    this.render();
  }

  pause(): void {
    this.anchor();
    this.playing = false;
    this.sync(true);
    this.render();
  }

  seek(t: number): void {
    this.t = Math.max(0, Math.min(this.length || t, t));
    this.wallAt = performance.now();
    this.sync(true);
    this.paintTime();
  }

  private jump(dir: 1 | -1): void {
    const m = nextMarker(this.marks, this.now(), dir);
    if (m) this.seek(m.t);
  }

  private tick(): void {
    if (this.playing && this.now() >= this.length) {
      this.pause();
      return;
    }
    this.sync(false);
    this.paintTime();
  }

  private paintTime(): void {
    const t = this.now();
    setText(this.time, `${clock(t)} / ${clock(this.length)}`);
    if (document.activeElement !== this.range) this.range.value = String(t);
    this.el.dataset.t = t.toFixed(1);
  }

  /** Every track to session time: shown or hidden, playing or paused, seeked when it drifted. */
  private sync(hard: boolean): void {
    const rec = this.rec;
    if (!rec) return;
    const t = this.now();
    const stage = stageAt(this.entries, t);
    const present = presentAt(this.entries, t);
    setText(this.stageName, stage ? this.nameOf(stage) : rt("stageNobody"));
    this.el.dataset.stage = stage ?? "";
    const shown = new Set<string>();
    for (const tr of this.tracks) {
      const local = fileTime(rec, tr.file, t);
      const pid = tr.file.participantId ?? "";
      const visible = local != null && !shown.has(pid);
      tr.tile.hidden = !visible;
      if (!visible) {
        if (!tr.video.paused) tr.video.pause();
        continue;
      }
      shown.add(pid);
      const onStage = pid === stage;
      tr.tile.classList.toggle("is-stage", onStage);
      tr.tile.dataset.testid = onStage ? "player-stage" : "player-thumb";
      tr.tile.style.order = onStage ? "-1" : String(present.indexOf(pid) + 1);
      tr.video.playbackRate = this.speed;
      if (hard || Math.abs(tr.video.currentTime - local) > 0.4) tr.video.currentTime = local;
      if (this.playing && tr.video.paused) void tr.video.play().catch(() => undefined);
      if (!this.playing && !tr.video.paused) tr.video.pause();
    }
  }
}
