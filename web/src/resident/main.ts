/**
 * The residents' online liaison station 网上联络站, served by the hub at /liaison
 * (issue 13): no login, phone-sized. A resident chooses the town (and its
 * station or a grassroots room), writes the matter with photos, a name and a
 * phone number, and gets the reference number (POST /api/public/opinions; the
 * photos follow with the reply's one-time key). 查询进度 looks the matter up by
 * reference number and the last four digits of the phone (GET /api/public/progress).
 * A refused form shows the hub's reason in the page's language and keeps what
 * was typed.
 */
import "../common/styles.css";
import "../common/phone.css";
import { getLang, onLangChange } from "../common/i18n";
import { h } from "../common/dom";
import { ApiError, apiHeaders, get, post, qs, readResponse } from "../common/api";
import { dataUrlBlob } from "../common/blob";
import { resizePhoto } from "../opinions/capture";
import { newClientKey } from "../opinions/queue";
import { otMaybe } from "../opinions/strings";
import { frame, shortTime, topBar } from "../common/phone-shell";
import { rt } from "./strings";

interface PublicStation { code: string; name: string; nameEn: string; level: "town" | "room"; town: string }
interface CodeName { code: string; name: string; nameEn: string }
interface Options { stations: PublicStation[]; categories: CodeName[]; requestTypes: CodeName[] }
interface Sent { id: number; reference: string; uploadKey: string | null; maskedName: string; maskedPhone: string }
interface Progress {
  reference: string; status: string; stationName: string; summary: string; receivedAt: string; maskedName: string;
  maskedPhone: string; deadline: string | null; answer: string | null; grade: string | null;
  steps: { action: string; status: string; at: string }[];
}

const root = document.getElementById("resident")!;
let tab: "send" | "lookup" = "send";
let options: Options | null = null;
let sent: Sent | null = null;
// the form's state survives re-renders (language switch) and refusals
const form = { town: "", station: "", category: "", requestType: "", summary: "", details: "", name: "", phone: "", clientKey: newClientKey() };
const photos: string[] = [];
const lookupState = { reference: "", digits: "" };
let lookupResult: Progress | null = null;

const en = (): boolean => getLang() === "en";
const nameOf = (x: { name: string; nameEn: string }): string => (en() ? x.nameEn || x.name : x.name);

const fmt = (t: string): string => shortTime(t, true);

function errorBox(testid: string, e?: unknown, text?: string): HTMLElement {
  const el = h("div", { class: "notice", "data-tone": "error", "data-testid": testid, role: "alert" }, text ?? (e as ApiError)?.message ?? "");
  if (e) el.dataset.code = (e as ApiError).code ?? "";
  return el;
}

function field(label: string, control: HTMLElement): HTMLElement {
  return h("label", { class: "dp-field" }, h("span", {}, label), control);
}

function input(key: keyof typeof form, attrs: Record<string, string | number | boolean>): HTMLInputElement {
  const el = h("input", { class: "c-input", value: form[key], ...attrs });
  el.addEventListener("input", () => (form[key] = el.value));
  return el;
}

function select(key: keyof typeof form, items: [string, string][], placeholder: string, testid: string, onChange?: () => void): HTMLSelectElement {
  const el = h("select", { class: "c-input", "data-testid": testid }, h("option", { value: "" }, placeholder));
  for (const [value, label] of items) {
    const o = h("option", { value }, label);
    o.selected = value === form[key];
    el.append(o);
  }
  el.addEventListener("change", () => {
    form[key] = el.value;
    onChange?.();
  });
  return el;
}

let problem: HTMLElement | null = null;

function sendView(): HTMLElement {
  if (!options) return h("p", { class: "dp-muted" }, rt("loading"));
  if (sent) {
    const again = h("button", { type: "button", class: "btn-primary dp-block", "data-testid": "send-another" }, rt("another"));
    again.addEventListener("click", () => {
      sent = null;
      Object.assign(form, { summary: "", details: "", category: "", requestType: "", clientKey: newClientKey() });
      photos.length = 0;
      paint();
    });
    return h("div", { class: "dp-card", "data-testid": "sent" }, h("h2", { class: "dp-heading" }, rt("sentHeading")),
      h("p", { class: "dp-big", "data-testid": "sent-reference" }, sent.reference), h("p", { class: "dp-muted" }, rt("sentHint")), again);
  }
  const towns = options.stations.filter((s) => s.level === "town");
  const inTown = options.stations.filter((s) => s.town === form.town);
  const townSel = select("town", towns.map((s) => [s.code, nameOf(s)]), rt("chooseTown"), "res-town", () => {
    form.station = form.town;
    paint();
  });
  const stationSel = select("station", inTown.map((s) => [s.code, nameOf(s)]), rt("choose"), "res-station");
  const category = select("category", options.categories.map((c) => [c.code, nameOf(c)]), rt("choose"), "res-category");
  const requestType = select("requestType", options.requestTypes.map((c) => [c.code, otMaybe(`rq_${c.code}`, c.name)]), rt("choose"), "res-request-type");
  const details = h("textarea", { class: "c-input", rows: 4, maxlength: 5000, "data-testid": "res-details" });
  details.value = form.details;
  details.addEventListener("input", () => (form.details = details.value));
  const file = h("input", { type: "file", accept: "image/*", multiple: true, "data-testid": "res-file" });
  const count = h("span", { class: "dp-muted", "data-testid": "res-photos", "data-count": String(photos.length) }, photos.length ? `${photos.length}` : "");
  file.addEventListener("change", () => {
    void (async () => {
      for (const f of [...(file.files ?? [])].slice(0, 3 - photos.length)) photos.push(await resizePhoto(f));
      count.dataset.count = String(photos.length);
      count.textContent = `${photos.length}`;
    })();
  });
  const button = h("button", { type: "submit", class: "btn-primary dp-block", "data-testid": "res-send" }, rt("send"));
  const el = h("form", { class: "dp-card", novalidate: true, "data-testid": "res-form" },
    h("p", { class: "dp-muted" }, rt("intro")),
    field(rt("town"), townSel), form.town ? field(rt("station"), stationSel) : null,
    field(rt("category"), category), field(rt("requestType"), requestType),
    field(rt("summary"), input("summary", { maxlength: 200, "data-testid": "res-summary" })),
    field(rt("details"), details),
    field(rt("photos"), h("div", {}, file, count)),
    field(rt("name"), input("name", { maxlength: 50, autocomplete: "name", "data-testid": "res-name" })),
    field(rt("phone"), input("phone", { type: "tel", inputmode: "tel", autocomplete: "tel", maxlength: 32, "data-testid": "res-phone" })),
    h("p", { class: "dp-muted" }, rt("privacy")),
    problem, button);
  el.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const missing = ([["station", rt("station")], ["category", rt("category")], ["requestType", rt("requestType")], ["summary", rt("summary")], ["name", rt("name")], ["phone", rt("phone")]] as const)
      .filter(([k]) => !form[k].trim()).map(([, label]) => label);
    if (missing.length) {
      problem = errorBox("res-error", undefined, rt("needFields", { fields: missing.join(en() ? ", " : "、") }));
      problem.dataset.code = "local";
      paint();
      return;
    }
    button.disabled = true;
    button.textContent = rt("sending");
    void (async () => {
      try {
        const out = await post<Sent>("/public/opinions", { station: form.station, category: form.category, requestType: form.requestType, summary: form.summary.trim(), details: form.details.trim(), name: form.name.trim(), phone: form.phone.trim(), clientKey: form.clientKey });
        for (const [i, url] of photos.entries()) {
          if (!out.uploadKey) break;
          const blob = dataUrlBlob(url);
          await readResponse(await fetch(`/api/public/opinions/${out.id}/photos/${i}`, { method: "PUT", body: blob, headers: apiHeaders(null, { "Content-Type": blob.type || "image/jpeg", "X-Upload-Key": out.uploadKey }) }));
        }
        sent = out;
        problem = null;
      } catch (e) {
        problem = errorBox("res-error", e); // what was typed stays
      }
      paint();
    })();
  });
  return el;
}

function lookupView(): HTMLElement {
  const ref = h("input", { class: "c-input", value: lookupState.reference, autocapitalize: "characters", "data-testid": "lookup-reference" });
  ref.addEventListener("input", () => (lookupState.reference = ref.value));
  const digits = h("input", { class: "c-input", value: lookupState.digits, inputmode: "numeric", maxlength: 4, "data-testid": "lookup-digits" });
  digits.addEventListener("input", () => (lookupState.digits = digits.value));
  const button = h("button", { type: "submit", class: "btn-primary dp-block", "data-testid": "lookup-submit" }, rt("lookup"));
  const out = h("div", { "data-testid": "lookup-out" });
  const el = h("form", { class: "dp-card", novalidate: true }, field(rt("reference"), ref), field(rt("digits"), digits), button, out);
  const show = (p: Progress) => {
    const steps = h("ol", { class: "dp-timeline", "data-testid": "lookup-steps" });
    for (const st of p.steps) steps.append(h("li", {}, h("span", { class: "dp-when" }, fmt(st.at)), ` ${otMaybe(`ac_${st.action}`, st.action)} → ${otMaybe(`st_${st.status}`, st.status)}`));
    out.replaceChildren(h("article", { class: "dp-detail", "data-testid": "lookup-result", "data-status": p.status },
      h("div", { class: "dp-item-top" }, h("span", { class: "dp-ref" }, p.reference), h("span", { class: "dp-badge", "data-status": p.status }, otMaybe(`st_${p.status}`, p.status))),
      h("h2", { class: "dp-item-title" }, p.summary),
      h("p", { class: "dp-muted" }, `${p.stationName} · ${p.maskedName} · ${p.maskedPhone} · ${fmt(p.receivedAt)}`),
      p.answer ? h("div", { class: "dp-answer", "data-testid": "lookup-answer" }, h("div", { class: "dp-label" }, rt("answer")), h("p", {}, p.answer)) : null,
      h("h3", { class: "dp-label" }, rt("steps")), steps));
  };
  if (lookupResult) show(lookupResult);
  el.addEventListener("submit", (ev) => {
    ev.preventDefault();
    void get<Progress>(`/public/progress${qs({ reference: lookupState.reference.trim(), digits: lookupState.digits.trim() })}`)
      .then((p) => {
        lookupResult = p;
        show(p);
      })
      .catch((e) => {
        lookupResult = null;
        out.replaceChildren(errorBox("lookup-error", e));
      });
  });
  return el;
}

function paint(): void {
  document.title = rt("appTitle");
  const nav = h("nav", { class: "dp-tabs dp-tabs-2", role: "tablist" });
  for (const t of ["send", "lookup"] as const) {
    const b = h("button", { type: "button", class: "dp-tab", role: "tab", "aria-selected": String(t === tab), "data-testid": `tab-${t}` }, t === "send" ? rt("tabSend") : rt("tabLookup"));
    b.addEventListener("click", () => {
      tab = t;
      paint();
    });
    nav.append(b);
  }
  frame(root, topBar({ title: rt("appTitle"), langLabel: rt("lang") }), h("div", { class: "dp-home" }, nav, tab === "send" ? sendView() : lookupView()));
}

onLangChange(() => paint());
paint();
get<Options>("/public/options")
  .then((o) => {
    options = o;
    paint();
  })
  .catch((e) => root.append(errorBox("res-error", e)));
