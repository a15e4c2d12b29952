/** Round camera / microphone toggle buttons, shared by the pre-join and live views. */
import { t } from "../common/i18n";
import { h, icon, setAttr } from "../common/dom";
import { icons } from "../common/icons";

export class MediaToggle {
  readonly el: HTMLButtonElement;
  private on = false;

  constructor(
    private readonly kind: "camera" | "mic",
    onClick: (next: boolean) => void,
  ) {
    this.el = h("button", {
      type: "button",
      class: "round-btn",
      "data-testid": kind === "camera" ? "camera-toggle" : "mic-toggle",
    });
    this.el.addEventListener("click", () => onClick(!this.on));
    this.set(false);
  }

  set(on: boolean, busy = false): void {
    this.on = on;
    this.el.replaceChildren(
      icon(this.kind === "camera" ? (on ? icons.camera : icons.cameraOff) : on ? icons.mic : icons.micOff),
      h("span", { class: "round-btn-label" }, this.kind === "camera" ? t("camera") : t("microphone")),
    );
    const label = this.kind === "camera" ? t(on ? "cameraOn" : "cameraOff") : t(on ? "micOn" : "micOff");
    this.el.title = label;
    this.el.setAttribute("aria-label", `${this.kind === "camera" ? t("toggleCamera") : t("toggleMic")}: ${label}`);
    setAttr(this.el, "aria-pressed", String(on));
    setAttr(this.el, "data-on", String(on));
    this.el.classList.toggle("off", !on);
    this.el.disabled = busy;
  }
}
