/** The opinion capture form 采集民情, with the offline queue (./queue).
 *
 *   import { mountCapturePanel } from "../opinions/capture";
 *   const panel = mountCapturePanel(el, { sessionId: 12, stationCode: "xucun" });
 *   …
 *   panel.destroy();
 *
 * Works in the console and (as a side panel) in the live station page: it
 * brings its own CSS (./opinions.css, prefix op-) and needs only styles.css's
 * variables. It calls the API with the console's login cookie, or with a
 * bearer token given as `token`.
 */
import "./opinions.css";
import { onLangChange } from "../common/i18n";
import { h } from "../common/dom";
import { setApiToken } from "../common/api";
import { type Refs, loadRefs } from "./data";
import { ot, isEn } from "./strings";
import { discard, enqueue, entries, flush, newClientKey, onQueue, pendingCount, setQueueAuth, startQueue } from "./queue";
import type { OpinionDetail, OpinionIn } from "./types";

export interface CaptureOptions {
  /** a live session: the hub records the time into it */
  sessionId?: number | null;
  /** the station preselected (and fixed for operators) */
  stationCode?: string | null;
  /** a bearer token when the page has no console login cookie */
  token?: string | null;
  /** called when an opinion taken here (or queued earlier) reached the hub */
  onSent?: (opinion: OpinionDetail) => void;
  /** compact layout (side panel) */
  compact?: boolean;
}

export interface CapturePanel {
  el: HTMLElement;
  destroy(): void;
}

const MAX_PHOTOS = 6;
const MAX_EDGE = 1600;

/** A photo, shrunk to at most 1600 px on its longer edge, as a JPEG data: URL. */
export async function resizePhoto(file: Blob, maxEdge = MAX_EDGE, quality = 0.82): Promise<string> {
  let source: CanvasImageSource & { width: number; height: number };
  let close: () => void;
  if (typeof createImageBitmap === "function") {
    const bmp = await createImageBitmap(file, { imageOrientation: "from-image" });
    source = bmp;
    close = () => bmp.close();
  } else {
    const url = URL.createObjectURL(file);
    const img = new Image();
    img.src = url;
    await img.decode();
    source = img;
    close = () => URL.revokeObjectURL(url);
  }
  const w0 = source.width || 1;
  const h0 = source.height || 1;
  const scale = Math.min(1, maxEdge / Math.max(w0, h0));
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(w0 * scale));
  canvas.height = Math.max(1, Math.round(h0 * scale));
  const ctx = canvas.getContext("2d")!;
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(source, 0, 0, canvas.width, canvas.height);
  close();
  return canvas.toDataURL("image/jpeg", quality);
}

function field(label: string, control: HTMLElement, hint?: string): HTMLElement {
  return h("label", { class: "op-field" }, h("span", { class: "op-label" }, label), control, hint ? h("span", { class: "op-hint" }, hint) : null);
}

function option(value: string, label: string, selected = false): HTMLOptionElement {
  const o = h("option", { value }, label);
  o.selected = selected;
  return o;
}

export function mountCapturePanel(el: HTMLElement, opts: CaptureOptions = {}): CapturePanel {
  startQueue();
  if (opts.token) {
    setQueueAuth(opts.token);
    setApiToken(opts.token);
  }
  const root = h("section", { class: `op-capture${opts.compact ? " op-compact" : ""}`, "data-testid": "capture-panel" });
  el.append(root);

  let refs: Refs | null = null;
  let loadError = "";
  let busy = false;
  let message: { text: string; tone: "ok" | "warn" | "error" } | null = null;
  // the form's state survives re-renders (language switch, queue changes)
  const state = {
    who: "resident" as "deputy" | "resident",
    deputyId: "",
    residentName: "",
    residentContact: "",
    station: opts.stationCode ?? "",
    category: "",
    requestType: "",
    summary: "",
    details: "",
    photos: [] as string[],
  };

  const pendingEl = h("div", { class: "op-pending", "data-testid": "capture-pending", "data-count": "0", role: "status" });
  const form = h("form", { class: "op-form", novalidate: true });

  function renderPending(): void {
    const list = entries();
    const n = list.length;
    pendingEl.dataset.count = String(n);
    pendingEl.dataset.state = n === 0 ? "empty" : navigator.onLine ? "waiting" : "offline";
    pendingEl.replaceChildren();
    if (n === 0) {
      pendingEl.append(h("span", { class: "op-pending-text" }, ot("pendingNone")));
      return;
    }
    const text = navigator.onLine ? ot("pending", { n }) : ot("pendingOffline", { n });
    const send = h("button", { type: "button", class: "op-btn op-btn-sm", "data-testid": "capture-send-now", disabled: !navigator.onLine }, ot("sendNow"));
    send.addEventListener("click", () => void flush());
    pendingEl.append(h("span", { class: "op-dot" }), h("span", { class: "op-pending-text" }, text), send);
    const failed = list.filter((e) => e.failed || e.error);
    if (failed.length) {
      const ul = h("ul", { class: "op-failed" });
      for (const e of failed) {
        const drop = h("button", { type: "button", class: "op-link" }, ot("discard"));
        drop.addEventListener("click", () => discard(e.clientKey));
        ul.append(h("li", {}, h("span", {}, `${e.body.summary} — ${ot("queueFailed", { message: e.error ?? "" })}`), e.failed ? drop : null));
      }
      pendingEl.append(ul);
    }
  }

  function renderForm(): void {
    form.replaceChildren();
    if (!refs) {
      form.append(h("p", { class: "op-muted" }, loadError ? ot("errorLoad", { message: loadError }) : ot("loading")));
      return;
    }
    const { account, options, stations, deputies } = refs;
    const en = isEn();

    const fixed = account.role === "operator" || account.role === "deputy";
    // A deputy (on its phone, with its invitation) raises opinions itself.
    const selfDeputy = account.role === "deputy" && account.deputyId != null;
    if (selfDeputy) {
      state.who = "deputy";
      state.deputyId = String(account.deputyId);
    }
    // --- raised by
    const whoSeg = h("div", { class: "op-seg", role: "radiogroup", hidden: selfDeputy });
    for (const w of selfDeputy ? [] : (["resident", "deputy"] as const)) {
      const b = h("button", { type: "button", class: "op-seg-btn", role: "radio", "aria-checked": String(state.who === w), "data-testid": `capture-who-${w}` }, w === "deputy" ? ot("raisedDeputy") : ot("raisedResident"));
      b.addEventListener("click", () => {
        state.who = w;
        renderForm();
      });
      whoSeg.append(b);
    }
    const whoBox = h("div", { class: "op-who" });
    if (selfDeputy) {
      whoBox.append(field(ot("deputy"), h("div", { class: "op-input", "data-testid": "capture-self-deputy" }, account.displayName)));
    } else if (state.who === "deputy") {
      const sel = h("select", { class: "op-input", "data-testid": "capture-deputy" }, option("", ot("deputyPick")));
      const inScope = deputies.filter((d) => !state.station || stations.inScope(d.station, state.station) || stations.inScope(state.station, d.station));
      for (const d of inScope.length ? inScope : deputies) sel.append(option(String(d.id), `${d.name} · ${stations.short(d.station)}${d.group ? ` · ${d.group}` : ""}`, String(d.id) === state.deputyId));
      sel.addEventListener("change", () => {
        state.deputyId = sel.value;
        // a deputy raises it at (by default) the deputy's own station
        const d = deputies.find((x) => String(x.id) === sel.value);
        if (d && !fixed && state.station !== d.station) {
          state.station = d.station;
          renderForm();
        }
      });
      whoBox.append(field(ot("deputy"), sel, deputies.length ? undefined : ot("noDeputies")));
    } else {
      const name = h("input", { class: "op-input", type: "text", maxlength: 100, autocomplete: "name", "data-testid": "capture-resident-name", value: state.residentName });
      name.addEventListener("input", () => (state.residentName = name.value));
      const contact = h("input", { class: "op-input", type: "text", maxlength: 100, inputmode: "tel", placeholder: ot("residentContactHint"), "data-testid": "capture-resident-contact", value: state.residentContact });
      contact.addEventListener("input", () => (state.residentContact = contact.value));
      whoBox.append(h("div", { class: "op-grid-2" }, field(ot("residentName"), name), field(ot("residentContact"), contact)));
    }

    // --- station
    if (!state.station) state.station = opts.stationCode ?? account.station ?? "";
    const stationSel = h("select", { class: "op-input", "data-testid": "capture-station", disabled: fixed }, option("", ot("choose")));
    const flat = stations.flat();
    const base = flat.find((x) => x.node.code === account.station)?.depth ?? 0;
    for (const { node, depth } of flat) {
      if (account.station && !stations.inScope(node.code, account.station)) continue;
      const indent = "\u3000".repeat(Math.max(0, depth - base));
      stationSel.append(option(node.code, `${indent}${stations.short(node.code)}`, node.code === state.station));
    }
    stationSel.addEventListener("change", () => (state.station = stationSel.value));

    // --- category, request type
    const catSel = h("select", { class: "op-input", "data-testid": "capture-category" }, option("", ot("choose")));
    for (const c of options.categories) catSel.append(option(c.code, `${c.code} ${en ? c.nameEn : c.name}`, c.code === state.category));
    catSel.addEventListener("change", () => (state.category = catSel.value));
    const types = h("div", { class: "op-chips", role: "radiogroup", "data-testid": "capture-request-type" });
    for (const t of options.requestTypes) {
      const b = h("button", { type: "button", class: "op-chip", role: "radio", "aria-checked": String(t.code === state.requestType), "data-code": t.code }, en ? t.nameEn : t.name);
      b.addEventListener("click", () => {
        state.requestType = t.code;
        for (const x of types.querySelectorAll<HTMLElement>(".op-chip")) x.setAttribute("aria-checked", String(x === b));
      });
      types.append(b);
    }

    // --- text
    const summary = h("input", { class: "op-input", type: "text", maxlength: 200, placeholder: ot("summaryPlaceholder"), "data-testid": "capture-summary", value: state.summary });
    summary.addEventListener("input", () => (state.summary = summary.value));
    const details = h("textarea", { class: "op-input", rows: opts.compact ? 3 : 4, maxlength: 10000, placeholder: ot("detailsPlaceholder"), "data-testid": "capture-details" });
    details.value = state.details;
    details.addEventListener("input", () => (state.details = details.value));

    // --- photos
    const thumbs = h("div", { class: "op-thumbs", "data-testid": "capture-photos", "data-count": String(state.photos.length) });
    state.photos.forEach((url, i) => {
      const rm = h("button", { type: "button", class: "op-thumb-rm", "aria-label": ot("removePhoto"), title: ot("removePhoto") }, "×");
      rm.addEventListener("click", () => {
        state.photos.splice(i, 1);
        renderForm();
      });
      thumbs.append(h("div", { class: "op-thumb" }, h("img", { src: url, alt: "" }), rm));
    });
    const camera = h("input", { type: "file", accept: "image/*", capture: "environment", class: "op-file", "data-testid": "capture-camera" });
    const gallery = h("input", { type: "file", accept: "image/*", multiple: true, class: "op-file", "data-testid": "capture-file" });
    const onFiles = async (input: HTMLInputElement) => {
      const files = [...(input.files ?? [])].slice(0, MAX_PHOTOS - state.photos.length);
      input.value = "";
      for (const f of files) {
        try {
          state.photos.push(await resizePhoto(f));
        } catch {
          message = { text: ot("photoFailed"), tone: "error" };
        }
      }
      renderForm();
    };
    camera.addEventListener("change", () => void onFiles(camera));
    gallery.addEventListener("change", () => void onFiles(gallery));
    const full = state.photos.length >= MAX_PHOTOS;
    const photoRow = h(
      "div",
      { class: "op-photo-row" },
      h("label", { class: `op-btn op-btn-sm${full ? " is-disabled" : ""}` }, ot("takePhoto"), full ? null : camera),
      h("label", { class: `op-btn op-btn-sm${full ? " is-disabled" : ""}` }, ot("choosePhoto"), full ? null : gallery),
    );

    const submit = h("button", { type: "submit", class: "btn-primary op-submit", "data-testid": "capture-submit", disabled: busy }, busy ? ot("submitting") : ot("submit"));
    const msg = message ? h("div", { class: "op-msg", "data-tone": message.tone, "data-testid": "capture-message", role: "alert" }, message.text) : null;

    const parts: (Node | null)[] = [
      opts.sessionId ? h("div", { class: "op-live-tag" }, ot("liveSession", { id: opts.sessionId })) : null,
      h("div", { class: "op-field" }, h("span", { class: "op-label" }, ot("raisedBy")), whoSeg),
      whoBox,
      h("div", { class: "op-grid-2" }, field(ot("station"), stationSel), field(ot("category"), catSel)),
      h("div", { class: "op-field" }, h("span", { class: "op-label" }, ot("requestType")), types),
      field(ot("summary"), summary),
      field(ot("details"), details),
      h("div", { class: "op-field" }, h("span", { class: "op-label" }, ot("photos"), h("span", { class: "op-hint" }, ` ${ot("photosHint", { n: MAX_PHOTOS })}`)), photoRow, state.photos.length ? thumbs : null),
      msg,
      h("div", { class: "op-actions" }, submit),
    ];
    form.append(...parts.filter((x): x is Node => x != null));
  }

  function validate(): string | null {
    if (state.who === "deputy" && !state.deputyId) return ot("needWho");
    if (state.who === "resident" && !state.residentName.trim()) return ot("needWho");
    if (!state.station) return ot("needStation");
    if (!state.category) return ot("needCategory");
    if (!state.requestType) return ot("needRequestType");
    if (!state.summary.trim()) return ot("needSummary");
    return null;
  }

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    if (busy || !refs) return;
    const problem = validate();
    if (problem) {
      message = { text: problem, tone: "error" };
      renderForm();
      return;
    }
    const body: OpinionIn = {
      clientKey: newClientKey(),
      station: state.station,
      category: state.category,
      requestType: state.requestType,
      summary: state.summary.trim(),
      details: state.details.trim(),
      capturedAt: new Date().toISOString(),
    };
    if (state.who === "deputy") body.deputyId = Number(state.deputyId);
    else {
      body.residentName = state.residentName.trim();
      body.residentContact = state.residentContact.trim();
    }
    if (opts.sessionId) body.sessionId = opts.sessionId;
    busy = true;
    renderForm();
    void (async () => {
      let dropped: boolean;
      try {
        dropped = (await enqueue(body, state.photos.slice())).photosDropped;
      } catch {
        busy = false;
        message = { text: ot("storageFull"), tone: "error" };
        renderForm();
        return;
      }
      const key = body.clientKey;
      // the form is free for the next one at once; the queue does the sending
      Object.assign(state, { summary: "", details: "", photos: [], category: "", requestType: "", residentName: "", residentContact: "", deputyId: "" });
      message = { text: dropped ? ot("storageFull") : ot("queued"), tone: "warn" };
      busy = navigator.onLine;
      renderForm();
      renderPending();
      await flush();
      busy = false;
      if (entries().some((e) => e.clientKey === key)) message = { text: dropped ? ot("storageFull") : ot("queued"), tone: "warn" };
      renderForm();
    })();
  });

  const offQueue = onQueue((e) => {
    if (e.kind === "sent") {
      message = { text: ot("sent", { id: e.opinion.id }), tone: "ok" };
      renderForm();
      opts.onSent?.(e.opinion);
    }
    renderPending();
  });
  const onNet = () => renderPending();
  window.addEventListener("online", onNet);
  window.addEventListener("offline", onNet);
  const offLang = onLangChange(() => {
    root.replaceChildren(head(), pendingEl, form);
    renderPending();
    renderForm();
  });

  function head(): HTMLElement {
    return h("h2", { class: "op-capture-title" }, ot("captureTitle"));
  }

  root.append(head(), pendingEl, form);
  renderPending();
  renderForm();
  loadRefs()
    .then((r) => {
      refs = r;
      renderForm();
    })
    .catch((e: Error) => {
      loadError = e.message;
      renderForm();
    });

  return {
    el: root,
    destroy() {
      offQueue();
      offLang();
      window.removeEventListener("online", onNet);
      window.removeEventListener("offline", onNet);
      root.remove();
    },
  };
}

export { pendingCount };
