"""The structure figures of issue 11, measured from the source (the appendix of the structure
review, adapted to today's folders): the folder import graph, folder pairs that import each
other, import circles between files, the largest production modules, the most complex
functions, and how many times the opinion summary's shape is declared.

    .venv/bin/python scripts/structure_report.py            # this tree
    .venv/bin/python scripts/structure_report.py OTHER_TREE  # e.g. an exported older commit

Reads files only (the AST; ruff for the complexity); imports nothing of the project.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

#: The Python packages of the hub (pyproject.toml), whichever exist in the tree.
PACKAGES = ("core", "api", "duty", "hub", "media", "opinions", "recordings", "scheduler", "signaling", "store")
#: Alembic's command-line wiring, allowed to read the hub's configuration.
MIGRATIONS = ("store", "migrations")


def python_files(root: Path) -> list[Path]:
    return sorted(p for pkg in PACKAGES if (root / pkg).is_dir() for p in (root / pkg).rglob("*.py"))


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported(tree: ast.AST, me: str, is_package: bool, top_level_only: bool, modules: set[str]) -> set[str]:
    """The modules a file imports (absolute names; relative imports resolved).  ``from pkg import
    mod`` of submodules only is an import of those submodules, not of the package's ``__init__``."""
    nodes = tree.body if top_level_only else list(ast.walk(tree))  # type: ignore[attr-defined]
    if top_level_only:  # also the bodies of module-level if/try blocks
        stack, nodes = list(nodes), []
        while stack:
            node = stack.pop()
            nodes.append(node)
            if isinstance(node, (ast.If, ast.Try)):
                for field in ("body", "orelse", "finalbody", "handlers"):
                    stack.extend(getattr(node, field, []))
            if isinstance(node, ast.ExceptHandler):
                stack.extend(node.body)
    out: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = me.split(".") if is_package else me.split(".")[:-1]
                package = package[: len(package) - (node.level - 1)]
                base = ".".join(package + ([base] if base else []))
            names = {f"{base}.{a.name}" for a in node.names}
            out |= names
            if not names <= modules:
                out.add(base)
    return out


def graphs(root: Path, top_level_only: bool) -> tuple[dict[str, set[str]], dict[str, set[str]], dict[str, set[str]]]:
    """(folder graph without migrations, folder edges from migrations, file graph)."""
    files = python_files(root)
    modules = {module_name(root, p): p for p in files}
    folders: dict[str, set[str]] = defaultdict(set)
    from_migrations: dict[str, set[str]] = defaultdict(set)
    file_graph: dict[str, set[str]] = defaultdict(set)
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        me = name.split(".")[0]
        targets = {t for t in imported(tree, name, path.name == "__init__.py", top_level_only, set(modules)) if t}
        heads = {t.split(".")[0] for t in targets if t.split(".")[0] in PACKAGES} - {me}
        in_migrations = path.relative_to(root).parts[:2] == MIGRATIONS
        (from_migrations if in_migrations else folders)[me] |= heads
        for target in targets:
            if target in modules and target != name:
                file_graph[name].add(target)
    return folders, from_migrations, file_graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one file (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10000)
    for v in sorted(set(graph) | {w for ws in graph.values() for w in ws}):
        if v not in index:
            visit(v)
    return sorted(found)


def mutual(folders: dict[str, set[str]]) -> list[tuple[str, str]]:
    return sorted({tuple(sorted((a, b))) for a, bs in folders.items() for b in bs if a in folders.get(b, set())})  # type: ignore[misc]


def largest(root: Path, n: int = 5) -> list[tuple[int, str]]:
    sizes = [
        (len(p.read_text(encoding="utf-8").splitlines()), str(p.relative_to(root)))
        for p in python_files(root) if p.relative_to(root).parts[:2] != MIGRATIONS
    ]
    return sorted(sizes, reverse=True)[:n]


def most_complex(root: Path, n: int = 3) -> list[tuple[int, str]]:
    """McCabe complexity of every production function, by ruff (C901 with a threshold of 0,
    counting the functions marked ``noqa`` too)."""
    packages = [pkg for pkg in PACKAGES if (root / pkg).is_dir()]
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--isolated", "--ignore-noqa", "--select", "C901", "--config",
         "lint.mccabe.max-complexity = 0", "--output-format", "json", "--exclude", "store/migrations", *packages],
        cwd=root, capture_output=True, text=True,
    )
    if done.returncode not in (0, 1):
        raise SystemExit(f"ruff failed: {done.stderr}")
    found = []
    for item in json.loads(done.stdout or "[]"):
        m = re.match(r"`(.+)` is too complex \((\d+) > 0\)", item["message"])
        if m:
            where = f"{Path(item['filename']).relative_to(root.resolve())}:{item['location']['row']} {m.group(1)}"
            found.append((int(m.group(2)), where))
    return sorted(found, reverse=True)[:n]


def summary_shapes(root: Path) -> tuple[list[str], list[str]]:
    """Where the opinion summary (the live console's item: it names its raiser) is declared: Python
    classes with a ``raiser_name`` field or dicts built with a ``raiserName`` key, and TypeScript
    interfaces or object types with a ``raiserName`` member."""
    server: list[str] = []
    for path in python_files(root):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and any(
                isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name) and s.target.id == "raiser_name"
                for s in node.body
            ):
                server.append(f"{path.relative_to(root)}: class {node.name}")
            elif isinstance(node, ast.Dict) and any(
                isinstance(k, ast.Constant) and k.value == "raiserName" for k in node.keys
            ):
                server.append(f"{path.relative_to(root)}:{node.lineno}: a dict")
    client: list[str] = []
    src = root / "web" / "src"
    declaration = re.compile(r"(?:interface\s+(\w+)[^{]*|type\s+(\w+)\s*=\s*)\{([^{}]*)\}", re.S)
    for path in sorted(src.rglob("*.ts")) if src.is_dir() else []:
        for m in declaration.finditer(path.read_text(encoding="utf-8")):
            if re.search(r"\braiserName\??\s*:", m.group(3)):
                client.append(f"{path.relative_to(root)}: {m.group(1) or m.group(2)}")
    return server, client


def report(root: Path) -> str:
    lines: list[str] = []
    folders, from_migrations, file_graph = graphs(root, top_level_only=False)
    lines.append("folder import graph (every import, in functions too; store/migrations apart):")
    for folder in sorted(set(folders) | set(from_migrations)):
        lines.append(f"  {folder} -> {', '.join(sorted(folders.get(folder, ()))) or '(nothing)'}")
    for folder, targets in sorted(from_migrations.items()):
        if targets:
            lines.append(f"  ({folder}/migrations -> {', '.join(sorted(targets))})")
    pairs = mutual(folders)
    lines.append(f"folder pairs importing each other (migrations aside): {len(pairs)}"
                 + (": " + ", ".join(f"{a}<->{b}" for a, b in pairs) if pairs else ""))
    with_migrations = {k: folders.get(k, set()) | from_migrations.get(k, set()) for k in set(folders) | set(from_migrations)}
    extra = sorted(set(mutual(with_migrations)) - set(pairs))
    if extra:
        lines.append("  with store/migrations: " + ", ".join(f"{a}<->{b}" for a, b in extra))
    _, _, top_graph = graphs(root, top_level_only=True)
    top_circles = circles(top_graph)
    all_circles = circles(file_graph)
    lines.append(f"import circles between files (module-level imports): {len(top_circles)}")
    lines.extend(f"  {' -> '.join(c)}" for c in top_circles)
    lines.append(f"import circles between files (counting imports inside functions): {len(all_circles)}")
    lines.extend(f"  {' / '.join(c)}" for c in all_circles)
    lines.append("largest production modules (lines):")
    lines.extend(f"  {n:5d} {name}" for n, name in largest(root))
    lines.append("most complex production functions (McCabe, ruff C901):")
    lines.extend(f"  {n:5d} {where}" for n, where in most_complex(root))
    server, client = summary_shapes(root)
    lines.append(f"opinion summary shape declared: {len(server)} server, {len(client)} TypeScript")
    lines.extend(f"  {s}" for s in server + client)
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()))
