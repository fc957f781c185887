"""The installed layout: subpackages that cannot collide, no import cycle, no path hacks."""
import ast
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_a_users_own_models_and_analysis_modules_do_not_shadow_hee_brians(tmp_path):
    (tmp_path / "models.py").write_text("raise SystemExit('the user models.py was imported')\n")
    (tmp_path / "analysis.py").write_text("raise SystemExit('the user analysis.py was imported')\n")
    code = textwrap.dedent("""
        import hee_brian.models, hee_brian.analysis
        from hee_brian import models
        from hee_brian.analysis import posterior
        print(models.available())
    """)
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                         text=True, timeout=300, env=dict(os.environ))
    assert out.returncode == 0, out.stderr[-2000:]
    assert "'demo'" in out.stdout


def _imports(path, package):
    """Modules of ``package`` that ``path`` imports, anywhere in it (absolute names)."""
    tree = ast.parse(path.read_text())
    here = path.relative_to(ROOT).with_suffix("").parts
    pkg = list(here[:-1]) if here[-1] != "__init__" else list(here[:-1])
    names = set()
    for node in ast.walk(tree):  # function-level imports count too
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg[: len(pkg) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
                names.add(mod)
                for alias in node.names:
                    names.add(f"{mod}.{alias.name}")
            elif node.module and node.module.startswith(package):
                names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names if a.name.startswith(package))
    return names


def test_the_library_has_no_import_cycle():
    modules = {}
    for path in (ROOT / "hee_brian").rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = path
    graph = {name: {m for m in _imports(path, "hee_brian") if m in modules and m != name}
             for name, path in modules.items()}
    # a package's __init__ importing its own submodules is how packages work;
    # a cycle is a submodule importing back into a module that imports it
    for name in graph:
        graph[name] = {m for m in graph[name] if not name.startswith(m + ".")}
    state = {}

    def visit(node, stack):
        state[node] = "open"
        for nxt in graph[node]:
            if state.get(nxt) == "open":
                raise AssertionError("import cycle: " + " -> ".join(stack + [node, nxt]))
            if nxt not in state:
                visit(nxt, stack + [node])
        state[node] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [])


def test_no_file_manipulates_sys_path():
    offenders = []
    for folder in ("hee_brian", "models", "analysis", "simulations", "tests", "benchmarks",
                   "examples"):
        for path in (ROOT / folder).rglob("*.py"):
            if path.name == "test_layout.py":
                continue
            if "sys.path" in path.read_text():
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
