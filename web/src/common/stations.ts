/** The matrix tree (GET /api/stations), indexed for pickers and labels. */
import { getLang } from "./i18n";
import { get } from "./api";
import type { Items, StationNode } from "./types";

export class Stations {
  readonly byCode = new Map<string, StationNode>();
  readonly parent = new Map<string, string>();
  constructor(readonly roots: StationNode[]) {
    const walk = (n: StationNode, parent: string | null) => {
      this.byCode.set(n.code, n);
      if (parent) this.parent.set(n.code, parent);
      for (const c of n.children) walk(c, n.code);
    };
    for (const r of roots) walk(r, null);
  }

  static async load(): Promise<Stations> {
    const tree = await get<Items<StationNode>>("/stations");
    return new Stations(tree.items);
  }

  /** Full name in the UI's language. */
  name(code: string): string {
    const n = this.byCode.get(code);
    if (!n) return code;
    return getLang() === "en" ? n.nameEn : n.name;
  }

  /** Compact name: 许村镇 / Xucun. */
  short(code: string): string {
    const n = this.byCode.get(code);
    if (!n) return code;
    if (getLang() === "en") {
      return n.nameEn.replace(/ (General Liaison Station|Branch Liaison Station|Sub-district Station|Town Station|Station)$/, "");
    }
    return n.name.replace(/人大代表联络(总站|分站|站)$/, "");
  }

  descendants(code: string): StationNode[] {
    const out: StationNode[] = [];
    const walk = (n: StationNode) => {
      for (const c of n.children) {
        out.push(c);
        walk(c);
      }
    };
    const n = this.byCode.get(code);
    if (n) walk(n);
    return out;
  }

  /** Every node in tree order (depth-first). */
  flat(): { node: StationNode; depth: number }[] {
    const out: { node: StationNode; depth: number }[] = [];
    const walk = (n: StationNode, depth: number) => {
      out.push({ node: n, depth });
      for (const c of n.children) walk(c, depth + 1);
    };
    for (const r of this.roots) walk(r, 0);
    return out;
  }

  /** Within `scope` (a station and its subtree)? */
  inScope(code: string, scope: string | null): boolean {
    if (!scope) return true;
    for (let c: string | undefined = code; c; c = this.parent.get(c)) if (c === scope) return true;
    return false;
  }

  /** A short summary of a station list: "海宁市、许村镇、长安镇" or "…等 14 个站点". */
  summary(codes: string[], max = 4): string {
    const names = codes.map((c) => this.short(c));
    const sep = getLang() === "en" ? ", " : "、";
    if (names.length <= max) return names.join(sep);
    return getLang() === "en"
      ? `${names.slice(0, max).join(sep)} +${names.length - max}`
      : `${names.slice(0, max).join(sep)} 等 ${names.length} 个站点`;
  }
}
