/** The roster page's pure parts (console/roster.ts): the list's query from the filters, an edit's
 * PATCH body (only what changed), and an import report (POST /api/deputies/import) in words. */

export const LEVELS = ["provincial", "jiaxing", "haining", "town", "street_rep"] as const;

export interface RosterDeputy {
  id: number;
  name: string;
  level: string;
  levels: string[];
  station: string;
  group: string;
  phone: string | null;
  active: boolean;
}

export interface ImportProblem {
  reason: string;
  message: string;
  messages: Record<string, string>;
}

export interface ImportReport {
  fileName: string;
  rows: number;
  good: number;
  bad: number;
  created: number;
  updated: number;
  unchanged: number;
  imported: boolean;
  badRows: { row: number; name: string; problems: ImportProblem[] }[];
}

export interface RosterFilters {
  station: string;
  level: string;
  group: string;
  active: "true" | "false" | "";
  q: string;
}

/** GET /api/deputies's (and the export's) query: blank filters left out; "" state: both. */
export function rosterQuery(f: RosterFilters): Record<string, string> {
  const out: Record<string, string> = {};
  if (f.station) out.station = f.station;
  if (f.level) out.level = f.level;
  if (f.group.trim()) out.group = f.group.trim();
  if (f.active) out.active = f.active;
  else out.includeInactive = "true";
  if (f.q.trim()) out.q = f.q.trim();
  return out;
}

/** Levels highest first, as the hub keeps them. */
export function orderedLevels(levels: Iterable<string>): string[] {
  const given = new Set(levels);
  return LEVELS.filter((l) => given.has(l));
}

export interface DeputyForm {
  name: string;
  phone: string;
  levels: string[];
  station: string;
  group: string;
}

/** The PATCH body: the fields that differ from the deputy as listed (a cleared phone is ""). */
export function patchBody(d: RosterDeputy, f: DeputyForm): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (f.name.trim() !== d.name) out.name = f.name.trim();
  if (f.phone.trim() !== (d.phone ?? "")) out.phone = f.phone.trim();
  const levels = orderedLevels(f.levels);
  if (levels.join(",") !== orderedLevels(d.levels.length ? d.levels : [d.level]).join(",")) out.levels = levels;
  if (f.station !== d.station) out.station = f.station;
  if (f.group.trim() !== d.group) out.group = f.group.trim();
  return out;
}

/** A bad row's reasons in one language (the hub gives zh-CN and en; the request's as message). */
export function problemText(problems: ImportProblem[], lang: string): string {
  return problems.map((p) => p.messages[lang] ?? p.message).join("；");
}

/** The report as lines: one per bad row, in sheet order. */
export function badRowLines(report: ImportReport, lang: string): { row: number; name: string; text: string }[] {
  return [...report.badRows].sort((a, b) => a.row - b.row).map((b) => ({ row: b.row, name: b.name, text: problemText(b.problems, lang) }));
}

/** Which confirmation the page offers: none (nothing good), all rows (clean), or the good rows only. */
export function confirmKind(report: ImportReport): "none" | "all" | "good" {
  if (report.imported || report.good === 0) return "none";
  return report.bad === 0 ? "all" : "good";
}
