"""The package as a user installs it: every third-party import is declared in pyproject.toml, and a
fresh venv with ``pip install`` of the checkout — no extras, real dependency resolution — runs
``--help``, completion, ``package`` and ``invoke --local``.

The install test needs pip to reach the package index (it reuses pip's cache, so a warm cache makes
it fast, but pip still asks the index to resolve versions): it fails, it does not skip, when the
index is unreachable — CI must run it.
"""
from __future__ import annotations

import ast
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import tomllib
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
# Modules that run only inside the sandbox: their imports belong to the "sandbox" extra.
SANDBOX_ONLY = {"lambdactl/core/run/sandbox.py", "lambdactl/core/run/motofixes.py"}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_names(reqs: list[str]) -> set[str]:
    return {_norm(re.match(r"[A-Za-z0-9_.-]+", r).group(0)) for r in reqs}


def _is_optional(node: ast.AST, parents: dict) -> bool:
    """An import inside ``try: ... except ImportError:`` (a fallback) is not a requirement."""
    while node in parents:
        parent = parents[node]
        if isinstance(parent, ast.Try) and node in parent.body and any(
                isinstance(h.type, ast.Name) and h.type.id in ("ImportError", "ModuleNotFoundError")
                for h in parent.handlers):
            return True
        node = parent
    return False


def third_party_imports() -> dict[str, set[str]]:
    """Top-level module → the files (relative to the repo) that import it, for every non-stdlib,
    non-lambdactl absolute import under lambdactl/ (fallback imports excluded)."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / "lambdactl").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        tree = ast.parse(path.read_text(), filename=rel)
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            if _is_optional(node, parents):
                continue
            for name in names:
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top in ("lambdactl", "__future__"):
                    continue
                found.setdefault(top, set()).add(rel)
    return found


def test_every_third_party_import_is_declared():
    """rich, botocore, ... are imported directly, so they are declared (not just pulled in by typer
    or boto3); what only the sandbox imports is declared in the sandbox extra."""
    dists = importlib.metadata.packages_distributions()
    core = _requirement_names(PYPROJECT["dependencies"])
    sandbox = core | _requirement_names(PYPROJECT["optional-dependencies"]["sandbox"])
    missing = []
    for module, files in sorted(third_party_imports().items()):
        names = {_norm(d) for d in dists.get(module, [module])}
        declared = sandbox if files <= SANDBOX_ONLY else core
        if not names & declared:
            where = "the sandbox extra" if files <= SANDBOX_ONLY else "dependencies"
            missing.append(f"{module} ({', '.join(sorted(names))}) imported by {', '.join(sorted(files))}: "
                           f"not in {where}")
    assert not missing, "\n".join(missing)


def test_moto_is_capped_below_the_next_minor_in_both_extras():
    """The fidelity layer (lambdactl.core.run.motofixes) patches moto internals: a new minor may break it."""
    major, minor = (int(x) for x in importlib.metadata.version("moto").split(".")[:2])
    for extra in ("sandbox", "test"):
        (req,) = [r for r in PYPROJECT["optional-dependencies"][extra] if _norm(r).startswith("moto")]
        assert f"<{major}.{minor + 1}" in req.replace(" ", ""), (extra, req)


# --- a fresh venv, as a user installs it -------------------------------------------------------------

def _copy_checkout(dest: Path) -> Path:
    """The files a build needs (so pip never writes build/ or *.egg-info into the shared checkout)."""
    src = dest / "lambdactl-src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(ROOT / "lambdactl", src / "lambdactl",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info"))
    return src


TINY_APP = '''\
import json

def handler(event, context):
    print("hello from the handler")
    return {"ok": True, "name": event.get("name"), "fn": context.function_name}
'''


@pytest.mark.slow
def test_fresh_install_without_extras_runs_help_completion_package_and_local_invoke(tmp_path, create_function):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    py = env_dir / "bin" / "python"
    src = _copy_checkout(tmp_path)
    pip_env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_NO_CACHE", "VIRTUAL_ENV"))}
    pip_env.pop("PYTHONPATH", None)
    r = subprocess.run([str(py), "-m", "pip", "install", "--disable-pip-version-check", "-q", str(src)],
                       capture_output=True, text=True, env=pip_env, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    # Only what the package declares is installed: no test or sandbox extras leaked in.
    r = subprocess.run([str(py), "-m", "pip", "list", "--format", "json"], capture_output=True, text=True)
    installed = {_norm(d["name"]) for d in json.loads(r.stdout)}
    assert "lambdactl" in installed and not {"moto", "pytest", "flask"} & installed, installed

    exe = env_dir / "bin" / "lambdactl"
    project = tmp_path / "proj"
    (project / "src").mkdir(parents=True)
    (project / "src" / "app.py").write_text(TINY_APP)
    (project / "lambdactl.toml").write_text(textwrap.dedent('''\
        [function]
        name = "installed-fn"
        runtime = "python3.12"
        handler = "app.handler"
        source = "src"
        '''))
    create_function("installed-fn")                    # so that completion has a name to offer
    run_env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    run_env["PATH"] = f"{env_dir / 'bin'}{os.pathsep}{run_env.get('PATH', '')}"
    run_env["LAMBDACTL_CACHE_DIR"] = str(tmp_path / "cache")

    def run(*args: str, extra_env: dict | None = None) -> subprocess.CompletedProcess:
        p = subprocess.run([str(exe), *args], cwd=project, capture_output=True, text=True,
                           env={**run_env, **(extra_env or {})}, timeout=120)
        assert "Traceback" not in p.stdout + p.stderr, (args, p.stdout, p.stderr)
        assert p.returncode == 0, (args, p.returncode, p.stdout, p.stderr)
        return p

    assert "Usage: lambdactl" in run("--help").stdout
    # `lambdactl logs <TAB>`, exactly as the generated bash completion script asks for it.
    comp = run(extra_env={"_LAMBDACTL_COMPLETE": "complete_bash", "COMP_WORDS": "lambdactl logs ",
                          "COMP_CWORD": "2"})
    offered = comp.stdout.split()
    assert "tail" in offered and "installed-fn" in offered, comp.stdout
    built = run("package", "-o", "json")
    assert (project / json.loads(built.stdout)["path"]).is_file(), built.stdout
    out = run("invoke", "--local", '{"name": "ada"}')
    assert json.loads(out.stdout) == {"ok": True, "name": "ada", "fn": "installed-fn"}
    assert "hello from the handler" in out.stderr
