"""The architecture, enforced: no import cycles and no import from a lower layer to a higher one.

Layers, lowest first (ARCHITECTURE.md explains them):

    foundation   lambdactl.errors, settings, fmt, secrets, sandbox_state   (import nothing above them)
    aws/model    lambdactl.aws (talks to AWS); lambdactl.config (the project file) and
                 lambdactl.core.model (the state model, naming, runtimes: pure, no AWS)
    core         lambdactl.core.build < resources < observe < run
    cli          lambdactl.cli.*  (the only layer that renders and prints; imports anything below)

Every ``import`` counts, including the lazy ones inside functions (they are still dependencies);
only ``if TYPE_CHECKING:`` blocks are skipped. Pure AST: no new dependency.
"""
from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / "lambdactl"
FOUNDATION = {"lambdactl", "lambdactl.errors", "lambdactl.settings", "lambdactl.fmt", "lambdactl.secrets", "lambdactl.files",
              "lambdactl.sandbox_state"}
CORE_ORDER = ["model", "build", "resources", "observe", "run"]
AWS_TALKERS = ("boto3", "botocore", "lambdactl.aws")
UI_LIBS = ("typer", "click", "rich", "questionary", "tabulate", "lambdactl.output", "lambdactl.cli")


def _modules() -> dict[str, Path]:
    mods = {}
    for p in PKG.rglob("*.py"):
        parts = p.relative_to(PKG.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods[".".join(parts)] = p
    return mods


def _is_type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or \
        (isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING")


def _imports(mod: str, path: Path, mods: dict[str, Path]) -> set[str]:
    """Every module name ``mod`` imports (lambdactl modules resolved to the module, others kept)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_pkg = path.name == "__init__.py"
    out: set[str] = set()

    def visit(node):
        if isinstance(node, ast.If) and _is_type_checking(node):
            for n in node.orelse:
                visit(n)
            return
        if isinstance(node, ast.Import):
            for a in node.names:
                out.add(a.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = mod.split(".")
                base = base if is_pkg else base[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for a in node.names:
                cand = f"{target}.{a.name}"
                out.add(cand if cand in mods else target)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return out


def _graph():
    mods = _modules()
    return mods, {m: _imports(m, p, mods) for m, p in mods.items()}


def _layer(mod: str) -> tuple[int, int]:
    """(layer, core sub-layer) of a lambdactl module; higher numbers sit higher."""
    if mod in FOUNDATION:
        return (0, 0)
    if mod in ("lambdactl.aws", "lambdactl.config") or mod.startswith("lambdactl.core.model"):
        return (1, 0)
    if mod.startswith("lambdactl.core"):
        parts = mod.split(".")
        if len(parts) < 3:
            return (2, -1)
        sub = parts[2]
        assert sub in CORE_ORDER, f"{mod}: core modules live in one of {CORE_ORDER}"
        return (2, CORE_ORDER.index(sub))
    return (3, 0)  # cli, output, __main__


def _starts(name: str, prefixes) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def test_core_modules_live_in_named_folders():
    stray = [m for m in _modules() if m.startswith("lambdactl.core.") and m.count(".") == 2
             and m.split(".")[2] not in CORE_ORDER]
    assert not stray, f"modules directly under core/ (put them in one of {CORE_ORDER}): {stray}"


def test_no_import_cycles():
    mods, graph = _graph()
    internal = {m: {d for d in deps if d in mods and d != m} for m, deps in graph.items()}
    # Tarjan's strongly connected components
    index, low, stack, on, sccs, counter = {}, {}, [], set(), [], [0]

    def strong(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in internal[v]:
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                sccs.append(sorted(comp))

    import sys
    sys.setrecursionlimit(10000)
    for v in internal:
        if v not in index:
            strong(v)
    # a package's __init__ importing its own submodules is not a cycle worth reporting
    sccs = [c for c in sccs if not all(x.startswith(min(c, key=len)) for x in c)]
    assert not sccs, f"import cycles: {sccs}"


def test_no_upward_imports():
    mods, graph = _graph()
    bad = []
    for m, deps in graph.items():
        for d in deps:
            if d in mods and d != m and _layer(d) > _layer(m) and not d.startswith(m + "."):
                bad.append(f"{m} -> {d}")
    assert not bad, "imports from a lower layer to a higher one:\n" + "\n".join(sorted(bad))


def test_core_does_not_render_or_prompt():
    _, graph = _graph()
    bad = [f"{m} -> {d}" for m, deps in graph.items() if m.startswith("lambdactl.core")
           for d in deps if _starts(d, UI_LIBS)]
    assert not bad, "core imports a UI library or the renderer (only cli renders):\n" + "\n".join(sorted(bad))


def test_model_and_project_file_do_not_talk_to_aws():
    _, graph = _graph()
    bad = [f"{m} -> {d}" for m, deps in graph.items()
           if (m == "lambdactl.config" or m.startswith("lambdactl.core.model"))
           for d in deps if _starts(d, AWS_TALKERS)]
    assert not bad, "the model/project file import something that talks to AWS:\n" + "\n".join(bad)


def test_no_file_over_800_lines():
    big = {str(p.relative_to(PKG.parent)): n for p in PKG.rglob("*.py")
           if (n := len(p.read_text(encoding="utf-8").splitlines())) > 800}
    assert not big, f"files over ~800 lines: {big}"
