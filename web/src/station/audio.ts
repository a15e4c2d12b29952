/**
 * Remote sound: one hidden <audio> element per remote audio track. Tile videos stay muted,
 * so every voice is played exactly once.
 */
import type { RemoteMedia } from "../live/peer";

export class AudioSink {
  readonly el: HTMLDivElement;
  private readonly players = new Map<string, { audio: HTMLAudioElement; track: MediaStreamTrack }>();
  blocked = false;
  onBlockedChange: (blocked: boolean) => void = () => {};

  constructor() {
    this.el = document.createElement("div");
    this.el.className = "audio-sink";
    this.el.hidden = true;
  }

  sync(remote: Map<string, RemoteMedia>): void {
    for (const [id, r] of remote) {
      const track = r.audio;
      const cur = this.players.get(id);
      if (!track) {
        if (cur) this.drop(id);
        continue;
      }
      if (cur && cur.track === track) continue;
      if (cur) this.drop(id);
      const audio = document.createElement("audio");
      audio.autoplay = true;
      audio.dataset.participantId = id;
      audio.dataset.testid = "remote-audio";
      audio.srcObject = new MediaStream([track]);
      this.el.append(audio);
      this.players.set(id, { audio, track });
      this.play(audio);
    }
    for (const id of [...this.players.keys()]) if (!remote.has(id) || !remote.get(id)?.audio) this.drop(id);
  }

  private drop(id: string): void {
    const p = this.players.get(id);
    if (!p) return;
    p.audio.srcObject = null;
    p.audio.remove();
    this.players.delete(id);
  }

  private play(audio: HTMLAudioElement): void {
    audio.play().then(
      () => this.setBlocked(false),
      (err: DOMException) => {
        if (err?.name === "NotAllowedError") this.setBlocked(true);
      },
    );
  }

  /** Retry playback after a user gesture (autoplay policy). */
  unlock(): void {
    for (const { audio } of this.players.values()) this.play(audio);
    if (this.players.size === 0) this.setBlocked(false);
  }

  private setBlocked(b: boolean): void {
    if (this.blocked === b) return;
    this.blocked = b;
    this.onBlockedChange(b);
  }

  clear(): void {
    for (const id of [...this.players.keys()]) this.drop(id);
  }
}
