/**
 * The top bar's signal bars (this page's own connection quality, like Tencent Meeting) and,
 * behind them, the 画质 setting: 自动 / 省流量(手机) / 仅音频 / 最高 360p, 540p, 720p.
 */
import type { HubClient } from "../live/client";
import { t, type MessageKey } from "../common/i18n";
import { h, setAttr, setText } from "../common/dom";
import { QualityMeter, fmtRate, qualityFigures } from "../live/quality";
import type { MonitorDownlink } from "../live/protocol";
import { QUALITIES, isQuality } from "../live/receive";

export class SignalPanel {
  readonly el: HTMLElement;
  private readonly button = h("button", {
    type: "button", class: "signal", "data-testid": "signal-bars", "aria-expanded": "false", "aria-controls": "signal-panel",
  });
  private readonly bars = [1, 2, 3, 4].map((i) => h("span", { class: `signal-bar signal-bar-${i}`, "aria-hidden": "true" }));
  private readonly panel = h("div", { class: "signal-panel", id: "signal-panel", "data-testid": "signal-panel" });
  private readonly figures = h("p", { class: "signal-figures", "data-testid": "signal-figures" });
  private readonly selectLabel = h("label", { class: "signal-label", for: "quality-select" });
  private readonly select = h("select", { id: "quality-select", class: "signal-select", "data-testid": "quality-select" });
  private readonly hint = h("p", { class: "signal-hint" });
  private readonly meter: QualityMeter;

  constructor(private readonly client: HubClient) {
    this.button.append(h("span", { class: "signal-bars" }, ...this.bars));
    this.panel.append(this.figures, this.selectLabel, this.select, this.hint);
    this.panel.hidden = true;
    this.el = h("div", { class: "signal-wrap" }, this.button, this.panel);
    this.button.addEventListener("click", () => this.toggle(this.panel.hidden === true));
    this.select.addEventListener("change", () => {
      if (isQuality(this.select.value)) client.receive.choose(this.select.value);
    });
    document.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && this.panel.hidden !== true) this.toggle(false);
    });
    this.meter = new QualityMeter(() => ({ publish: client.publishPc, subscribe: client.subscribePc }));
    this.meter.onSample = () => this.render();
    this.meter.start();
    this.render();
  }

  private toggle(open: boolean): void {
    this.panel.hidden = !open;
    setAttr(this.button, "aria-expanded", String(open));
    if (open) this.select.focus();
  }

  render(): void {
    const bars = this.meter.bars;
    const sample = this.meter.sample;
    const label = bars === null ? t("signalUnknown") : t("signalBars", { bars });
    const figures = sample ? qualityFigures(sample, { rtt: t("rtt"), loss: t("loss"), jitter: t("jitter") }) : "";
    const full = figures ? `${label} · ${figures}` : label;
    this.button.title = `${full} · ${t("signalButton")}`;
    setAttr(this.button, "aria-label", `${full} · ${t("signalButton")}`);
    setAttr(this.button, "data-bars", bars === null ? "" : String(bars));
    setAttr(this.button, "data-level", bars === null ? "unknown" : bars <= 1 ? "bad" : bars === 2 ? "fair" : "good");
    this.bars.forEach((el, i) => el.classList.toggle("on", bars !== null && i < bars));
    setText(this.figures, full);
    setText(this.selectLabel, t("quality"));
    setText(this.hint, t("qualityHint"));
    const current = this.client.receive.quality;
    if (this.select.options.length !== QUALITIES.length) {
      this.select.replaceChildren(...QUALITIES.map((q) => h("option", { value: q })));
    }
    for (const opt of Array.from(this.select.options)) {
      setText(opt, t(`quality_${opt.value}` as MessageKey));
      opt.selected = opt.value === current;
    }
  }

  destroy(): void {
    this.meter.stop();
  }
}

/** A station's downlink on the dispatcher's rows: `↓1.2 Mb/s · 大1 小3 停2`, `↓≥2.5 Mb/s` while
 * no limit is known (the relay has seen no lasting loss), empty without figures. */
export function downlinkSummary(d: MonitorDownlink | undefined): string {
  if (!d) return "";
  const rate = d.estimate === null ? "↓–" : `↓${d.limited === false ? "≥" : ""}${fmtRate(d.estimate)}`;
  const { big, small, paused } = d.layers;
  return big + small + paused > 0 ? `${rate} · ${t("layerCounts", { big, small, paused })}` : rate;
}
