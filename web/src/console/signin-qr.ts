/** The sign-in QR overlay a station's screen shows: the station's code of the day
 * (GET /api/stations/{code}/reception-code) or a live session's code
 * (GET /api/sessions/{id}/signin-code?station=). The QR image carries the deputy page's
 * link ({base}/deputy#signin={code}), also in the overlay's data-url attribute. The code
 * is fetched again every minute (the day's code changes at midnight China time). */
import { ApiError, get } from "../common/api";
import { h, setText } from "../common/dom";
import { hm } from "../common/time";
import { rt } from "./reception-strings";

export interface SigninCode {
  code: string;
  url: string;
  qrSvg: string;
  validFrom: string;
  validUntil: string;
}

const REFRESH_MS = 60_000;

/** Open the overlay; closing it (button or Escape) stops the refresh. */
export function showSigninQr(title: string, path: string): void {
  document.querySelector(".c-signin-overlay")?.remove();
  const img = h("img", { class: "c-signin-qr", alt: rt("qrAlt"), width: 320, height: 320, "data-testid": "signin-qr-img" });
  const valid = h("p", { class: "c-muted", "data-testid": "signin-qr-valid" });
  const error = h("div", { class: "notice", "data-tone": "error", role: "alert", hidden: true, "data-testid": "signin-qr-error" });
  const close = h("button", { type: "button", class: "c-btn", "data-testid": "signin-qr-close" }, rt("qrClose"));
  const box = h("div", { class: "c-signin-box", role: "dialog", "aria-modal": "true", "aria-label": title, "data-testid": "signin-qr" },
    h("h2", { class: "c-signin-title" }, title), img, h("p", { class: "c-signin-hint" }, rt("qrHint")), valid, error, close);
  const overlay = h("div", { class: "c-signin-overlay" }, box);
  let timer = 0;
  const load = async (): Promise<void> => {
    try {
      const out = await get<SigninCode>(path);
      if (img.getAttribute("src") !== out.qrSvg) img.src = out.qrSvg;
      box.dataset.url = out.url;
      box.dataset.code = out.code;
      setText(valid, rt("qrValid", { time: `${out.validUntil.slice(0, 10)} ${hm(out.validUntil)}` }));
      error.hidden = true;
    } catch (e) {
      error.textContent = (e as ApiError).message;
      error.hidden = false;
    }
  };
  const done = (): void => {
    window.clearInterval(timer);
    document.removeEventListener("keydown", onKey);
    overlay.remove();
  };
  const onKey = (e: KeyboardEvent): void => {
    if (e.key === "Escape") done();
  };
  close.addEventListener("click", done);
  document.addEventListener("keydown", onKey);
  document.body.append(overlay);
  close.focus();
  void load();
  timer = window.setInterval(() => void load(), REFRESH_MS);
}
