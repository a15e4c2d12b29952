/** The sign-in QR overlay a station's screen shows (issue 13): the station's code of the
 * day (GET /api/stations/{code}/reception-code, the console's #reception) or a live
 * session's code (GET /api/sessions/{id}/signin-code?station=, the operator's console and
 * the station's live page with its join token). The QR image carries the deputy page's
 * link ({base}/deputy#signin={code}), also in the overlay's data-url attribute. The code
 * is fetched again every minute (the day's code changes at midnight China time). */
import { ApiError, apiHeaders, readResponse } from "./api";
import { h, setText } from "./dom";
import { getLang } from "./i18n";
import { hm } from "./time";

const zh = {
  sessionCode: "签到二维码",
  qrTitleSession: "{title} · {station} · 会议签到",
  qrHint: "代表请用手机扫描二维码签到（需登录代表账号）。",
  qrValid: "有效期至 {time}",
  qrClose: "关闭",
  qrAlt: "签到二维码",
  offline: "无法连接服务器",
};

const en: typeof zh = {
  sessionCode: "Sign-in QR code",
  qrTitleSession: "{title} · {station} · sign-in",
  qrHint: "Deputies: scan the code with your phone to sign in (logged in as a deputy).",
  qrValid: "Valid until {time}",
  qrClose: "Close",
  qrAlt: "Sign-in QR code",
  offline: "The hub cannot be reached",
};

/** Both languages' tables (web/test/i18n.test.ts checks they hold the same keys). */
export const dicts = { "zh-CN": zh, en };

export function qt(key: keyof typeof zh, vars?: Record<string, string | number>): string {
  let s = (getLang() === "en" ? en[key] : zh[key]) ?? zh[key];
  if (vars) for (const [k, v] of Object.entries(vars)) s = s.split(`{${k}}`).join(String(v));
  return s;
}

async function fetchCode(path: string, token: string | null): Promise<SigninCode> {
  let res: Response;
  try {
    res = await fetch(`/api${path}`, { headers: apiHeaders(token), credentials: "same-origin", cache: "no-store" });
  } catch {
    throw new ApiError(0, "offline", qt("offline"));
  }
  return readResponse<SigninCode>(res);
}

export interface SigninCode {
  code: string;
  url: string;
  qrSvg: string;
  validFrom: string;
  validUntil: string;
}

const REFRESH_MS = 60_000;

/** Open the overlay; closing it (button or Escape) stops the refresh. ``token``: a live page's
 * join token (no login cookie there). */
export function showSigninQr(title: string, path: string, token: string | null = null): void {
  document.querySelector(".c-signin-overlay")?.remove();
  const img = h("img", { class: "c-signin-qr", alt: qt("qrAlt"), width: 320, height: 320, "data-testid": "signin-qr-img" });
  const valid = h("p", { class: "c-muted", "data-testid": "signin-qr-valid" });
  const error = h("div", { class: "notice", "data-tone": "error", role: "alert", hidden: true, "data-testid": "signin-qr-error" });
  const close = h("button", { type: "button", class: "btn-primary", "data-testid": "signin-qr-close" }, qt("qrClose"));
  const box = h("div", { class: "c-signin-box", role: "dialog", "aria-modal": "true", "aria-label": title, "data-testid": "signin-qr" },
    h("h2", { class: "c-signin-title" }, title), img, h("p", { class: "c-signin-hint" }, qt("qrHint")), valid, error, close);
  const overlay = h("div", { class: "c-signin-overlay" }, box);
  let timer = 0;
  const load = async (): Promise<void> => {
    try {
      const out = await fetchCode(path, token);
      if (img.getAttribute("src") !== out.qrSvg) img.src = out.qrSvg;
      box.dataset.url = out.url;
      box.dataset.code = out.code;
      setText(valid, qt("qrValid", { time: `${out.validUntil.slice(0, 10)} ${hm(out.validUntil)}` }));
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
