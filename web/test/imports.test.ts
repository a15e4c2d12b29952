/** web/src by page over one common floor (issue 11): each folder imports only the folders
 * below it, so no folder loop, and no circle between files either. */
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";

const SRC = join(dirname(fileURLToPath(import.meta.url)), "..", "src");

/** Who may import whom: the pages on top, common/ at the bottom. */
const FLOORS: Record<string, string[]> = {
  station: ["live", "opinions", "common"],
  console: ["opinions", "recordings", "common"],
  deputy: ["opinions", "common"],
  department: ["opinions", "common"],
  resident: ["opinions", "common"],
  recordings: ["common"],
  live: ["opinions", "common"], // the live console merges opinion news as the 民情 page does
  opinions: ["common"],
  common: [],
  apidocs: [],
};

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

/** file (relative to src/) → the project files it imports, static or lazy; comments ignored. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const path of sources(SRC)) {
    const code = readFileSync(path, "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
    const targets = [...code.matchAll(/(?:\bfrom|\bimport)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g)]
      .map((m) => normalize(join(dirname(relative(SRC, path)), m[1])))
      .filter((t) => !t.endsWith(".css"))
      .map((t) => `${t}.ts`);
    graph.set(relative(SRC, path), targets);
  }
  return graph;
}

test("every file sits in a page folder or common/", () => {
  const outside = [...importGraph().keys()].filter((f) => !(f.split("/")[0] in FLOORS) || !f.includes("/"));
  expect(outside).toEqual([]);
});

test("each folder imports only the folders below it", () => {
  const wrong: string[] = [];
  for (const [file, targets] of importGraph()) {
    const from = file.split("/")[0];
    for (const target of targets) {
      const to = target.split("/")[0];
      if (to !== from && !FLOORS[from]?.includes(to)) wrong.push(`${file} → ${target}`);
    }
  }
  expect(wrong).toEqual([]);
});

test("every import resolves and no file circle exists", () => {
  const graph = importGraph();
  const missing = [...graph].flatMap(([f, ts]) => ts.filter((t) => !graph.has(t)).map((t) => `${f} → ${t}`));
  expect(missing).toEqual([]);
  const circles: string[] = [];
  const state = new Map<string, "open" | "done">();
  const walk = (f: string, path: string[]): void => {
    state.set(f, "open");
    for (const t of graph.get(f) ?? []) {
      if (state.get(t) === "open") circles.push([...path.slice(path.indexOf(t)), t].join(" → "));
      else if (!state.has(t)) walk(t, [...path, t]);
    }
    state.set(f, "done");
  };
  for (const f of graph.keys()) if (!state.has(f)) walk(f, [f]);
  expect(circles).toEqual([]);
});
