/** The REST API under /api: JSON in and out, errors as {error: {code, message}}
 * in the UI's language (Accept-Language). Logged in by the HttpOnly cookie. */
import { getLang, t } from "./i18n";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfter: number | null = null,
  ) {
    super(message);
  }
}

/** A bearer token for pages without a login cookie (a live page's join token). */
let bearer: string | null = null;
export function setApiToken(token: string | null): void {
  bearer = token;
}

/** The headers of every API request: JSON, the UI's language, the bearer token if any. */
export function apiHeaders(token: string | null, extra: Record<string, string> = {}): Record<string, string> {
  const headers: Record<string, string> = {
    Accept: "application/json",
    "Accept-Language": getLang() === "en" ? "en" : "zh-CN",
    ...extra,
  };
  if (token) headers.Authorization = `Bearer ${token}`;
  return headers;
}

/** The JSON body of a reply, or an ApiError with the hub's code and message. */
export async function readResponse<T>(res: Response): Promise<T> {
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let data: unknown;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) {
    const err = (data as { error?: { code?: string; message?: string } } | null)?.error;
    const retry = Number(res.headers.get("Retry-After"));
    throw new ApiError(
      res.status,
      err?.code ?? `http_${res.status}`,
      err?.message ?? t("httpError", { status: res.status }),
      Number.isFinite(retry) && retry > 0 ? retry : null,
    );
  }
  return data as T;
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers = apiHeaders(bearer, body !== undefined ? { "Content-Type": "application/json" } : {});
  let res: Response;
  try {
    res = await fetch(`/api${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch {
    throw new ApiError(0, "offline", t("offline"));
  }
  return readResponse<T>(res);
}

export const get = <T>(path: string) => api<T>("GET", path);
export const post = <T>(path: string, body?: unknown) => api<T>("POST", path, body ?? {});

export function qs(params: Record<string, string | number | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v != null && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}
