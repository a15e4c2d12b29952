/** The matrix tree picker: a checkbox per station (data-code); a node with
 * children has a button that takes its subtree ("全部12个镇（街道）"). */
import { h } from "../common/dom";
import { ct } from "./strings";
import type { Stations } from "../common/stations";
import type { StationNode } from "../common/types";

export class TreePicker {
  readonly el = h("div", { class: "c-tree", "data-testid": "station-tree", role: "group" });
  private readonly boxes = new Map<string, HTMLInputElement>();
  private readonly count = h("span", { class: "c-tree-count", "data-testid": "station-count" });

  constructor(
    private readonly stations: Stations,
    readonly picked: Set<string>,
    private chair: string,
    private readonly scope: string | null,
    private readonly onChange: () => void,
    private readonly disabled = false,
  ) {
    this.build();
  }

  setChair(code: string): void {
    this.chair = code;
    this.sync();
  }

  private targets(node: StationNode): StationNode[] {
    const all = this.stations.descendants(node.code).filter((n) => this.stations.inScope(n.code, this.scope));
    // a branch's button takes its towns / sub-districts; a town's takes its rooms
    const towns = all.filter((n) => n.level === "town");
    return towns.length && node.level !== "town" ? towns : all;
  }

  private subtreeLabel(targets: StationNode[]): string {
    if (targets.every((n) => n.level === "town")) return ct("allTowns", { n: targets.length });
    if (targets.every((n) => n.level === "room")) return ct("withRooms", { n: targets.length });
    return ct("allBelow", { n: targets.length });
  }

  private build(): void {
    const list = h("ul", { class: "c-tree-list" });
    for (const { node, depth } of this.stations.flat()) {
      const inScope = this.stations.inScope(node.code, this.scope);
      const box = h("input", {
        type: "checkbox",
        "data-testid": "station-checkbox",
        "data-code": node.code,
        disabled: !inScope || this.disabled,
      });
      box.addEventListener("change", () => {
        if (box.checked) this.picked.add(node.code);
        else this.picked.delete(node.code);
        this.sync();
        this.onChange();
      });
      this.boxes.set(node.code, box);
      const label = h(
        "label",
        { class: "c-tree-label" },
        box,
        h("span", { class: "c-tree-name" }, this.stations.name(node.code)),
        node.example ? h("span", { class: "c-tag" }, ct("exampleTag")) : null,
      );
      const row = h("li", { class: `c-tree-row level-${node.level}`, style: `--depth:${depth}`, "data-code": node.code }, label);
      const targets = this.targets(node);
      if (targets.length > 1 || (targets.length === 1 && node.level === "town")) {
        const btn = h(
          "button",
          {
            type: "button",
            class: "c-chip-btn",
            "data-testid": "station-subtree",
            "data-code": node.code,
            disabled: this.disabled,
          },
          this.subtreeLabel(targets),
        );
        btn.addEventListener("click", () => {
          const all = targets.every((n) => this.picked.has(n.code) || n.code === this.chair);
          for (const n of targets) {
            if (all) this.picked.delete(n.code);
            else this.picked.add(n.code);
          }
          this.sync();
          this.onChange();
        });
        row.append(btn);
      }
      list.append(row);
    }
    const clear = h("button", { type: "button", class: "c-link-btn", disabled: this.disabled }, ct("clear"));
    clear.addEventListener("click", () => {
      this.picked.clear();
      this.sync();
      this.onChange();
    });
    this.el.append(h("div", { class: "c-tree-head" }, this.count, clear), list);
    this.sync();
  }

  sync(): void {
    for (const [code, box] of this.boxes) {
      const isChair = code === this.chair;
      box.checked = isChair || this.picked.has(code);
      box.closest("li")?.classList.toggle("is-chair", isChair);
      if (isChair) box.disabled = true;
      else box.disabled = this.disabled || !this.stations.inScope(code, this.scope);
    }
    const n = new Set([...this.picked, this.chair]).size;
    this.count.textContent = ct("selectedN", { n });
    this.count.dataset.count = String(n);
  }
}
