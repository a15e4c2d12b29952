/** Periods (Shanghai calendar) and the period + scope picker of the reports and ledgers. */
import { h } from "../common/dom";
import { dateValue, instant, wall } from "../common/time";
import type { Refs } from "./data";
import { ot } from "./strings";
import { field, select } from "./util";

export type Preset = "thisMonth" | "lastMonth" | "thisQuarter" | "thisYear" | "custom";

export interface PeriodState {
  preset: Preset;
  from: string; // yyyy-mm-dd, inclusive
  to: string; // yyyy-mm-dd, inclusive
  scope: string; // "" = the caller's whole scope
}

function lastDay(y: number, m: number): string {
  return dateValue(new Date(instant(y, m + 1, 1).getTime() - 3600_000));
}

export function presetRange(p: Preset, now = new Date()): { from: string; to: string } {
  const w = wall(now);
  const first = (y: number, m: number) => dateValue(instant(y, m, 1));
  switch (p) {
    case "lastMonth": {
      const y = w.m === 1 ? w.y - 1 : w.y;
      const m = w.m === 1 ? 12 : w.m - 1;
      return { from: first(y, m), to: lastDay(y, m) };
    }
    case "thisQuarter": {
      const m0 = Math.floor((w.m - 1) / 3) * 3 + 1;
      return { from: first(w.y, m0), to: lastDay(w.y, m0 + 2) };
    }
    case "thisYear":
      return { from: first(w.y, 1), to: lastDay(w.y, 12) };
    default:
      return { from: first(w.y, w.m), to: lastDay(w.y, w.m) };
  }
}

export function defaultPeriod(): PeriodState {
  return { preset: "thisMonth", ...presetRange("thisMonth"), scope: "" };
}

/** The API's half-open window [from, to) as ISO instants. */
export function apiWindow(p: PeriodState): { from: string; to: string } {
  const from = `${p.from}T00:00:00+08:00`;
  const to = new Date(new Date(`${p.to}T00:00:00+08:00`).getTime() + 86400_000);
  return { from, to: `${dateValue(to)}T00:00:00+08:00` };
}

/** The period presets, the custom dates and the scope. Calls onChange with a new state. */
export function periodPicker(refs: Refs, p: PeriodState, onChange: (p: PeriodState) => void, testid = "period"): HTMLElement {
  const { stations, account } = refs;
  const presets: [string, string][] = (["thisMonth", "lastMonth", "thisQuarter", "thisYear", "custom"] as Preset[]).map((x) => [x, ot(x)]);
  const preset = select(`${testid}-preset`, presets, p.preset, (v) => {
    const next = v as Preset;
    onChange(next === "custom" ? { ...p, preset: next } : { ...p, preset: next, ...presetRange(next) });
  });
  const from = h("input", { type: "date", class: "op-input", value: p.from, "data-testid": `${testid}-from` });
  const to = h("input", { type: "date", class: "op-input", value: p.to, "data-testid": `${testid}-to` });
  const custom = () => {
    if (from.value && to.value && from.value <= to.value) onChange({ ...p, preset: "custom", from: from.value, to: to.value });
  };
  from.addEventListener("change", custom);
  to.addEventListener("change", custom);
  const scopes: [string, string][] = [["", account.station ? stations.short(account.station) : ot("scopeAll")]];
  for (const { node } of stations.flat()) {
    if (node.code === account.station) continue;
    if (account.station && !stations.inScope(node.code, account.station)) continue;
    scopes.push([node.code, stations.short(node.code)]);
  }
  const scope = select(`${testid}-scope`, scopes, p.scope, (v) => onChange({ ...p, scope: v }));
  if (account.role === "operator") scope.disabled = true;
  return h(
    "div",
    { class: "op-period", "data-testid": testid },
    field(ot("period"), preset),
    field(ot("from"), from),
    field(ot("to"), to),
    h("div", { class: "op-field op-wide" }, h("span", { class: "op-label" }, ot("scope")), scope),
  );
}
