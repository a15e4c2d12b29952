/** The console's station page (联络站与基层联络室, issue 13), #stations: the 1+12+X matrix read-only
 * (GET /api/stations), each station with its level, kind, code, whether it is an example, and the
 * deputies serving there (GET /api/deputies, within the account's scope). The matrix is
 * configuration (configs/matrix.yaml), validated when the hub starts: the page says so. */
import { ApiError, get } from "../common/api";
import { h, setText } from "../common/dom";
import type { Account, StationNode } from "../common/types";
import type { Stations } from "../common/stations";
import { rt } from "./roster-strings";

export interface MatrixRow {
  code: string;
  depth: number;
  level: string;
  kind: string | null;
  example: boolean;
  deputies: number | null;
}

/** The tree as rows in tree order, with the serving deputies counted per station (null: out of scope). */
export function matrixRows(roots: StationNode[], deputies: { station: string }[] | null, scope: string | null = null): MatrixRow[] {
  const counts = new Map<string, number>();
  for (const d of deputies ?? []) counts.set(d.station, (counts.get(d.station) ?? 0) + 1);
  const out: MatrixRow[] = [];
  const walk = (n: StationNode, depth: number, inside: boolean) => {
    const mine = inside || scope === null || n.code === scope;
    out.push({ code: n.code, depth, level: n.level, kind: n.kind, example: n.example, deputies: deputies && mine ? counts.get(n.code) ?? 0 : null });
    for (const c of n.children) walk(c, depth + 1, mine);
  };
  for (const r of roots) walk(r, 0, false);
  return out;
}

export class MatrixView {
  readonly el = h("section", { class: "c-audit c-matrix", "data-testid": "matrix" });
  private readonly rows = h("tbody", { "data-testid": "matrix-rows" });
  private readonly status = h("p", { class: "c-muted", "data-testid": "matrix-status", role: "status" });
  private deputies: { station: string }[] | null = null;

  constructor(private readonly account: Account, private readonly stations: Stations) {
    this.render();
    void this.load();
  }

  async load(): Promise<void> {
    try {
      this.deputies = (await get<{ items: { station: string }[] }>("/deputies")).items;
    } catch (e) {
      setText(this.status, (e as ApiError).message);
    }
    this.drawRows();
  }

  private drawRows(): void {
    this.rows.replaceChildren(
      ...matrixRows(this.stations.roots, this.deputies, this.account.role === "administrator" ? null : this.account.station).map((r) =>
        h(
          "tr",
          { "data-testid": "matrix-row", "data-code": r.code, "data-level": r.level },
          h("td", {}, `${"\u3000".repeat(r.depth)}${this.stations.name(r.code)}`),
          h("td", {}, r.code),
          h("td", {}, rt(`matrix_${r.level}` as "matrix_town")),
          h("td", {}, r.kind === "street" ? rt("matrix_street") : r.kind === "town" ? rt("matrix_townKind") : "—"),
          h("td", {}, r.example ? rt("matrixIsExample") : ""),
          h("td", { "data-testid": "matrix-deputies" }, r.deputies == null ? "—" : String(r.deputies)),
        ),
      ),
    );
  }

  render(): void {
    const head = ["matrixName", "matrixCode", "matrixLevel", "matrixKind", "matrixExample", "matrixDeputies"] as const;
    this.el.replaceChildren(
      h("h2", { class: "c-heading" }, rt("matrixHeading")),
      h("p", { class: "c-note", "data-testid": "matrix-note" }, rt("matrixNote")),
      this.status,
      h("table", { class: "c-audit-table" }, h("thead", {}, h("tr", {}, ...head.map((k) => h("th", {}, rt(k))))), this.rows),
    );
    this.drawRows();
  }

  destroy(): void {
    this.el.remove();
  }
}
