"""lambdactl package: deterministic zips, modes, excludes, symlinks, handler check, target-platform
dependencies (from a tiny wheel built here, no network), caches, limits, CodeSha256 vs moto."""
from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import stat
import sys
import time
import zipfile
from pathlib import Path

import pytest

from lambdactl.core.build import deps, packaging, sourcetree, zipbuild
from tests.conftest import assert_clean_error

HANDLER = "def handler(event, context):\n    return {'ok': True}\n"


# --- helpers ---------------------------------------------------------------------------------

def write(root: Path, files: dict[str, str | bytes], mode: int | None = None) -> None:
    for rel, content in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            content = content.encode()
        p.write_bytes(content)
        if mode is not None:
            p.chmod(mode)


def project(root: Path, *, source: str = "src", extra: str = "", handler: str = "app.handler",
            runtime: str = "python3.12", **function_keys) -> None:
    lines = ['[function]', 'name = "pkgfn"', f'runtime = "{runtime}"', f'handler = "{handler}"',
             f'source = "{source}"']
    for k, v in function_keys.items():
        lines.append(f"{k} = {json.dumps(v)}")
    (root / "lambdactl.toml").write_text("\n".join(lines) + "\n" + extra)


def names(path) -> list[str]:
    with zipfile.ZipFile(path) as z:
        return z.namelist()


def b64sha(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def make_wheel(directory: Path, name: str = "tinypkg", version: str = "0.1", tag: str = "py3-none-any",
               files: dict[str, str] | None = None) -> Path:
    """A minimal wheel, by hand: the package, METADATA, WHEEL and RECORD."""
    directory.mkdir(parents=True, exist_ok=True)
    dist = f"{name}-{version}.dist-info"
    contents = dict(files or {f"{name}/__init__.py": f"VALUE = 42\nNAME = {name!r}\n"})
    contents[f"{dist}/METADATA"] = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    purelib = "true" if tag.endswith("-none-any") else "false"
    contents[f"{dist}/WHEEL"] = f"Wheel-Version: 1.0\nGenerator: lambdactl-tests\nRoot-Is-Purelib: {purelib}\nTag: {tag}\n"
    record = []
    for path, text in contents.items():
        data = text.encode()
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{dist}/RECORD,,")
    contents[f"{dist}/RECORD"] = "\n".join(record) + "\n"
    whl = directory / f"{name}-{version}-{tag}.whl"
    with zipfile.ZipFile(whl, "w", zipfile.ZIP_DEFLATED) as z:
        for path, text in contents.items():
            z.writestr(path, text)
    return whl


@pytest.fixture
def fn_project(project_dir):
    write(project_dir / "src", {"app.py": HANDLER, "lib/util.py": "X = 1\n"})
    project(project_dir)
    return project_dir


# --- determinism and modes -------------------------------------------------------------------

def _make_tree(root: Path, umask: int, mtime: float) -> None:
    old = os.umask(umask)
    try:
        write(root, {"app.py": HANDLER, "pkg/__init__.py": "", "pkg/data.json": '{"a": 1}\n' * 500,
                     "pkg/deep/er/mod.py": "def f():\n    return 'x' * 10\n" * 200,
                     "bin/tool": "#!/bin/sh\necho hi\n", "big.txt": "lambda " * 900_000})
        (root / "bin/tool").chmod(0o755 & ~umask | 0o100)
    finally:
        os.umask(old)
    for dirpath, dirnames, filenames in os.walk(root):
        for n in filenames + dirnames:
            os.utime(os.path.join(dirpath, n), (mtime, mtime))


def test_byte_identical_across_mtimes_umasks_and_caches(tmp_path, invoke_cli, monkeypatch):
    a, b = tmp_path / "a" / "src", tmp_path / "b" / "src"
    _make_tree(a, 0o022, 1_600_000_000)
    _make_tree(b, 0o077, 1_700_000_000.5)
    assert stat.S_IMODE((b / "app.py").stat().st_mode) == 0o600
    ra = packaging.build_package(a, out=tmp_path / "a.zip", cache_dir=tmp_path / "cache-a")
    rb = packaging.build_package(b, out=tmp_path / "b.zip", use_cache=False, jobs=1)
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()
    assert ra.sha256 == rb.sha256 == b64sha(ra.data)
    # a cached rebuild (nothing read) and the CLI give the same bytes again
    rc = packaging.build_package(a, out=tmp_path / "a.zip", cache_dir=tmp_path / "cache-a")
    assert rc.reused == rc.files and rc.compressed == 0 and rc.status == "unchanged"
    assert rc.data == ra.data
    r = invoke_cli("package", "--source", str(b), "--out", str(tmp_path / "c.zip"), "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["code_sha256"] == ra.sha256
    assert (tmp_path / "c.zip").read_bytes() == ra.data
    # the big file (> 4 MiB) was deflated in parallel blocks and still round-trips
    with zipfile.ZipFile(tmp_path / "a.zip") as z:
        assert z.testzip() is None
        assert z.read("big.txt") == (a / "big.txt").read_bytes()
        assert z.getinfo("big.txt").compress_size < 100_000


def test_modes_timestamps_and_order_inside_the_zip(tmp_path):
    src = tmp_path / "src"
    write(src, {"app.py": HANDLER, "secret_umask.py": "A = 1\n", "run.sh": "#!/bin/sh\n",
                "sub/x.py": "", "sub/zz/y.py": "", "Z.py": ""})
    (src / "secret_umask.py").chmod(0o600)
    (src / "run.sh").chmod(0o700)
    (src / "sub").chmod(0o700)
    # owner-only files in a tree that is otherwise readable by others are left out (credentials)
    held = packaging.build_package(src, handler="app.handler", runtime="python3.12")
    assert held.withheld == [{"path": "run.sh", "reason": packaging.OWNER_ONLY},
                             {"path": "secret_umask.py", "reason": packaging.OWNER_ONLY}]
    # brought back on purpose, they get the normal modes inside the zip
    res = packaging.build_package(src, handler="app.handler", runtime="python3.12",
                                  include=["secret_umask.py", "run.sh"])
    assert res.withheld == []
    z = zipfile.ZipFile(io.BytesIO(res.data))
    infos = {i.filename: i for i in z.infolist()}
    assert z.namelist() == sorted(z.namelist())
    assert set(infos) == {"app.py", "secret_umask.py", "run.sh", "sub/", "sub/x.py", "sub/zz/", "sub/zz/y.py", "Z.py"}
    for i in z.infolist():
        assert i.date_time == (1980, 1, 1, 0, 0, 0)
        assert i.create_system == 3
        assert not i.extra and not i.comment
    mode = lambda n: infos[n].external_attr >> 16  # noqa: E731
    assert mode("secret_umask.py") == 0o100644
    assert mode("app.py") == 0o100644
    assert mode("run.sh") == 0o100755
    assert mode("sub/") == 0o040755 and infos["sub/"].external_attr & 0x10
    assert res.files == 6 and res.entries == 8
    assert res.uncompressed_size == sum((src / n).stat().st_size for n in infos if not n.endswith("/"))


# --- excludes ----------------------------------------------------------------------------------

def test_builtin_project_lambdaignore_and_flag_excludes(project_dir, invoke_cli):
    src = project_dir / "src"
    write(src, {
        "app.py": HANDLER, "keep/mod.py": "", "README.md": "", "docs/guide.md": "", "notes.txt": "",
        "__pycache__/app.cpython-312.pyc": "", "keep/__pycache__/m.pyc": "", "stray.pyc": "",
        ".git/config": "", ".env": "SECRET=1", ".env.prod": "", ".DS_Store": "",
        ".pytest_cache/v": "", ".mypy_cache/x": "", "lambdactl.toml": "[function]\n",
        "tests/test_app.py": "", "tests/fixtures/data.json": "",
        "myvenv/pyvenv.cfg": "home = /usr", "myvenv/lib/site.py": "", ".venv/lib/x.py": "",
        "scratch/a.tmp": "", "scratch/important.tmp": "", "build/out.o": "", "nested/build/keep.py": "",
        "drop_me.py": "",
        ".lambdaignore": "# comments and blank lines are ignored\n\n*.tmp\n!important.tmp\n/build/\n",
    })
    project(project_dir, exclude=["tests/**", "*.md"])
    (project_dir / "src" / "old.zip").write_bytes(b"PK")        # an unrelated zip stays
    (src / "myvenv" / "bin").mkdir()                            # a venv's links point outside: no error
    (src / "myvenv" / "bin" / "python").symlink_to(sys.executable)
    (src / "myvenv" / "lib64").symlink_to("/usr", target_is_directory=True)
    r = invoke_cli("package", "--exclude", "drop_me.py", "--out", "src/out.zip", "-o", "json")
    assert r.exit_code == 0, r.stderr
    got = set(names(src / "out.zip"))
    assert got == {"app.py", "keep/", "keep/mod.py", "notes.txt", "scratch/", "scratch/important.tmp",
                   "nested/", "nested/build/", "nested/build/keep.py", "old.zip"}
    # second build: the previous output inside the source is not packaged into itself
    r = invoke_cli("package", "--exclude", "drop_me.py", "--out", "src/out.zip", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert "out.zip" not in names(src / "out.zip")
    assert r.json()["status"] == "unchanged"


def test_ignore_rule_semantics():
    rules = sourcetree.IgnoreRules()
    for p in ["*.log", "/top.txt", "docs/", "a/**/z.py", "data/*.csv", "!keep.log"]:
        rules.add(p)
    ex = rules.excluded
    assert ex("x.log", False) and ex("deep/er/x.log", False) and not ex("keep.log", False)
    assert ex("top.txt", False) and not ex("sub/top.txt", False)
    assert ex("docs", True) and not ex("docs", False)
    assert ex("a/z.py", False) and ex("a/b/c/z.py", False) and not ex("b/z.py", False)
    assert ex("data/x.csv", False) and not ex("data/sub/x.csv", False)
    with pytest.raises(Exception):
        bad = sourcetree.IgnoreRules()
        bad.add("[z-a]")


# --- symlinks ------------------------------------------------------------------------------------

def test_symlinks_inside_are_followed(tmp_path):
    src = tmp_path / "src"
    write(src, {"app.py": HANDLER, "shared/util.py": "U = 1\n", "shared/run.sh": "#!/bin/sh\n"})
    (src / "shared/run.sh").chmod(0o755)
    (src / "util_link.py").symlink_to("shared/util.py")
    (src / "alias").symlink_to("shared", target_is_directory=True)
    res = packaging.build_package(src)
    z = zipfile.ZipFile(io.BytesIO(res.data))
    assert z.read("util_link.py") == b"U = 1\n"
    assert z.read("alias/util.py") == b"U = 1\n"
    assert z.getinfo("alias/run.sh").external_attr >> 16 == 0o100755


@pytest.mark.parametrize("case", ["outside-file", "outside-dir", "loop-dir", "loop-file", "dangling"])
def test_bad_symlinks_exit_2_naming_the_link(project_dir, invoke_cli, case):
    src = project_dir / "src"
    write(src, {"app.py": HANDLER, "sub/x.py": ""})
    write(project_dir, {"outside/secret.txt": "s"})
    project(project_dir)
    link = {"outside-file": src / "sub" / "evil.txt", "outside-dir": src / "ext",
            "loop-dir": src / "sub" / "again", "loop-file": src / "l1", "dangling": src / "gone.py"}[case]
    if case == "outside-file":
        link.symlink_to(project_dir / "outside" / "secret.txt")
    elif case == "outside-dir":
        link.symlink_to(project_dir / "outside", target_is_directory=True)
    elif case == "loop-dir":
        link.symlink_to("..", target_is_directory=True)
    elif case == "loop-file":
        (src / "l2").symlink_to("l1")
        link.symlink_to("l2")
    else:
        link.symlink_to("missing.py")
    r = invoke_cli("package")
    assert_clean_error(r, 2, contains=str(link.relative_to(project_dir)))
    assert not (project_dir / ".lambdactl" / "pkgfn.zip").exists()
    # excluding the link makes the build work
    r = invoke_cli("package", "--exclude", link.name, "--exclude", "l2", "-o", "json")
    assert r.exit_code == 0, r.stderr


# --- handler check -------------------------------------------------------------------------------

def test_missing_handler_exits_2_before_writing(fn_project, invoke_cli):
    r = invoke_cli("package", "--handler", "main.handler")
    assert_clean_error(r, 2, contains="main.py is not in the package")
    assert "app.py" in r.stderr                     # lists what is at the top level
    assert not (fn_project / ".lambdactl" / "pkgfn.zip").exists()
    project(fn_project, handler="lib.util.handler")
    assert invoke_cli("package").exit_code == 0     # a module inside a package
    project(fn_project, handler="lib/util.handler")
    assert invoke_cli("package").exit_code == 0
    project(fn_project, handler="lib.nothere.handler")
    assert_clean_error(invoke_cli("package"), 2, contains="lib/nothere.py")
    project(fn_project, handler="index.handler", runtime="nodejs22.x")
    assert_clean_error(invoke_cli("package"), 2, contains="index.js")
    write(fn_project / "src", {"index.mjs": "export const handler = async () => 1;\n"})
    assert invoke_cli("package").exit_code == 0


# --- dependencies for the target platform ---------------------------------------------------------

def test_pip_command_targets_the_lambda_platform():
    cmd = deps.pip_command(Path("requirements.txt"), Path("/t"), "python3.12", "arm64", python="py")
    joined = " ".join(cmd)
    assert cmd[:5] == ["py", "-m", "pip", "install", "--target"]
    assert "--platform manylinux2014_aarch64" in joined
    assert "--platform manylinux_2_28_aarch64" in joined and "--platform manylinux_2_34_aarch64" in joined
    assert "--only-binary=:all: --implementation cp --python-version 3.12" in joined
    cmd = deps.pip_command(Path("r.txt"), Path("/t"), "python3.11", "x86_64")
    plats = [cmd[i + 1] for i, a in enumerate(cmd) if a == "--platform"]
    assert plats[0] == "manylinux2014_x86_64" and "manylinux_2_26_x86_64" in plats
    assert "manylinux_2_28_x86_64" not in plats             # AL2 has glibc 2.26
    assert "--python-version" in cmd and cmd[cmd.index("--python-version") + 1] == "3.11"


def test_requirements_vendored_from_a_local_wheel_and_cached(fn_project, invoke_cli, tmp_path):
    make_wheel(fn_project / "wheels")
    (fn_project / "requirements.txt").write_text("--no-index\n--find-links wheels\ntinypkg==0.1\n")
    project(fn_project, requirements="requirements.txt", architecture="arm64")
    r = invoke_cli("package", "-o", "json")
    assert r.exit_code == 0, r.stderr
    d = r.json()
    assert d["dependencies"]["packages"] == ["tinypkg"] and d["dependencies"]["cached"] is False
    assert d["architecture"] == "arm64"
    zpath = fn_project / d["path"]
    with zipfile.ZipFile(zpath) as z:
        assert z.read("tinypkg/__init__.py").startswith(b"VALUE = 42")
        assert "tinypkg-0.1.dist-info/METADATA" in z.namelist()
        assert "app.py" in z.namelist()
        assert not any("__pycache__" in n for n in z.namelist())
    cache = Path(os.environ["LAMBDACTL_CACHE_DIR"]) / "deps"
    assert len([p for p in cache.iterdir() if not p.name.startswith(".")]) == 1
    # second run: from the cache. Proof that pip did not run: the wheel is gone, so pip would fail.
    (fn_project / "wheels" / "tinypkg-0.1-py3-none-any.whl").unlink()
    r2 = invoke_cli("package", "-o", "json")
    assert r2.exit_code == 0, r2.stderr
    d2 = r2.json()
    assert d2["dependencies"]["cached"] is True
    assert d2["code_sha256"] == d["code_sha256"] and d2["status"] == "unchanged"
    # the key includes the architecture: x86_64 needs a new install (and now fails: no wheel)
    r3 = invoke_cli("package", "--arch", "x86_64")
    assert_clean_error(r3, 2, contains="tinypkg")


def test_missing_wheel_for_the_target_names_the_package(fn_project, invoke_cli):
    make_wheel(fn_project / "wheels", name="winonly", tag="cp312-cp312-win_amd64")
    (fn_project / "requirements.txt").write_text("--no-index\n--find-links wheels\nwinonly==0.1\n")
    project(fn_project, requirements="requirements.txt")
    r = invoke_cli("package")
    assert_clean_error(r, 2, contains="no wheel of winonly==0.1 for python3.12 on x86_64")
    assert "hint:" in r.stderr and "manylinux" in r.stderr
    assert not (fn_project / ".lambdactl" / "pkgfn.zip").exists()
    assert not any(p.name.startswith(".tmp") for p in (Path(os.environ["LAMBDACTL_CACHE_DIR"]) / "deps").iterdir())


def test_missing_version_lists_the_versions_that_have_a_wheel(fn_project, invoke_cli):
    """Review fix: a pin with no wheel names the versions that do have one, and the hint names the project."""
    make_wheel(fn_project / "wheels", name="tinypkg", version="0.1")
    make_wheel(fn_project / "wheels", name="tinypkg", version="0.2")
    (fn_project / "requirements.txt").write_text("--no-index\n--find-links wheels\ntinypkg==9.9\n")
    project(fn_project, requirements="requirements.txt")
    r = invoke_cli("package")
    assert_clean_error(r, 2, contains="no wheel of tinypkg==9.9")
    assert "versions with a wheel for it: 0.1, 0.2" in r.stderr
    assert "hint: pin tinypkg to one of those versions" in r.stderr
    # no version at all for the target: the hint names the project, not the pinned spec
    err = deps.pip_error("ERROR: Could not find a version that satisfies the requirement pycrypto==2.6.1 "
                         "(from versions: none)\nERROR: No matching distribution found for pycrypto==2.6.1\n",
                         "python3.12", "arm64")
    assert "no wheel of pycrypto==2.6.1 for python3.12 on arm64" in str(err)
    assert err.hint.startswith("pin a version of pycrypto that publishes a manylinux aarch64 wheel")


def test_requirements_need_a_python_runtime(fn_project, invoke_cli):
    (fn_project / "requirements.txt").write_text("requests\n")
    r = invoke_cli("package", "--requirements", "requirements.txt", "--runtime", "nodejs22.x",
                   "--handler", "app.handler")
    assert_clean_error(r, 2, contains="Python runtime")
    r = invoke_cli("package", "--requirements", "nope.txt")
    assert_clean_error(r, 2, contains="nope.txt")


# --- incremental entry cache ----------------------------------------------------------------------

def test_one_file_change_recompresses_one_file(tmp_path):
    src = tmp_path / "src"
    write(src, {f"m{i:03d}.py": f"value = {i}\n" * 50 for i in range(60)})
    cache = tmp_path / "cache"
    r1 = packaging.build_package(src, cache_dir=cache)
    assert r1.compressed == 60 and r1.reused == 0
    time.sleep(0.01)
    (src / "m007.py").write_text("value = 'changed'\n" * 50)
    r2 = packaging.build_package(src, cache_dir=cache)
    assert (r2.compressed, r2.hashed, r2.reused) == (1, 0, 59)
    os.utime(src / "m008.py")                       # touched: read and hashed, not recompressed
    r3 = packaging.build_package(src, cache_dir=cache)
    assert (r3.compressed, r3.hashed, r3.reused) == (0, 1, 59)
    (src / "m009.py").rename(src / "renamed.py")    # content-addressed: no recompression
    r4 = packaging.build_package(src, cache_dir=cache)
    assert r4.compressed == 0
    fresh = packaging.build_package(src, use_cache=False)
    assert r4.data == fresh.data
    # keep_data=False (what the CLI uses): same file, no bytes kept; with and without the cache
    r5 = packaging.build_package(src, cache_dir=cache, out=tmp_path / "k.zip", keep_data=False)
    r6 = packaging.build_package(src, use_cache=False, out=tmp_path / "n.zip", keep_data=False)
    r7 = packaging.build_package(src, cache_dir=cache, out=tmp_path / "k.zip", keep_data=False)
    assert r5.data is None and r6.data is None and r7.status == "unchanged"
    assert (tmp_path / "k.zip").read_bytes() == (tmp_path / "n.zip").read_bytes() == fresh.data
    assert r5.sha256 == r6.sha256 == r7.sha256 == fresh.sha256 and r7.size == len(fresh.data)
    assert zipfile.ZipFile(io.BytesIO(r4.data)).read("m007.py").startswith(b"value = 'changed'")


def test_zip64_when_more_than_65535_entries():
    entries = [zipbuild.Entry(f"f{i:05d}", crc=0, usize=0) for i in range(70_000)]
    data = b"".join(zipbuild.write_zip(entries))
    z = zipfile.ZipFile(io.BytesIO(data))
    assert len(z.infolist()) == 70_000 and z.namelist()[-1] == "f69999"


# --- limits ----------------------------------------------------------------------------------------

def test_over_250_mb_unzipped_names_the_five_largest(tmp_path, project_dir, invoke_cli):
    src = tmp_path / "src"
    write(src, {"app.py": HANDLER})
    for i, mb in enumerate([90, 80, 40, 30, 20, 10]):
        p = src / f"big{i}" / "blob.bin"
        p.parent.mkdir()
        with open(p, "wb") as f:           # sparse: nothing is read before the check
            f.truncate(mb * 1024 * 1024)
    r = invoke_cli("package", "--source", str(src), "--out", str(tmp_path / "x.zip"))
    assert_clean_error(r, 2, contains="over Lambda's 250 MB limit")
    err = r.stderr
    for i in range(5):
        assert f"big{i}/" in err
    assert "big5/" not in err
    assert err.index("big0/ 90.0 MB") < err.index("big1/ 80.0 MB")


def test_over_50_mb_zipped_warns(tmp_path, project_dir, invoke_cli, monkeypatch):
    monkeypatch.setattr(packaging, "MAX_ZIPPED", 1000)
    src = tmp_path / "src"
    write(src, {"app.py": HANDLER, "noise.bin": os.urandom(4000)})
    r = invoke_cli("package", "--source", str(src), "--out", str(tmp_path / "x.zip"), "-o", "json")
    assert r.exit_code == 0
    assert "warning:" in r.stderr and "S3" in r.stderr
    assert r.json()["warnings"] and "direct-upload" in r.json()["warnings"][0]


# --- CLI output and CodeSha256 ---------------------------------------------------------------------

def test_code_sha256_matches_moto_after_create_function(fn_project, invoke_cli, boto, iam_role):
    r = invoke_cli("package", "-o", "json")
    assert r.exit_code == 0, r.stderr
    d = r.json()
    data = (fn_project / d["path"]).read_bytes()
    assert d["code_sha256"] == b64sha(data) and d["size"] == len(data)
    resp = boto("lambda").create_function(FunctionName="pkgfn", Runtime="python3.12", Role=iam_role,
                                          Handler="app.handler", Code={"ZipFile": data})
    assert resp["CodeSha256"] == d["code_sha256"]
    assert boto("lambda").get_function(FunctionName="pkgfn")["Configuration"]["CodeSha256"] == d["code_sha256"]
    info = invoke_cli("info", "pkgfn", "-o", "json")
    assert info.json()["code_sha256"] == d["code_sha256"]


def test_output_formats(fn_project, invoke_cli):
    r = invoke_cli("package", "-o", "json")
    assert r.exit_code == 0, r.stderr
    d = r.json()
    assert set(d) >= {"path", "files", "size", "uncompressed_size", "code_sha256", "runtime", "architecture",
                      "dependencies", "status", "cache", "seconds", "warnings"}
    assert d["path"] == os.path.join(".lambdactl", "pkgfn.zip") and d["files"] == 2
    assert d["runtime"] == "python3.12" and d["dependencies"] is None and d["status"] == "written"
    assert isinstance(d["size"], int) and isinstance(d["uncompressed_size"], int)
    r = invoke_cli("package")
    assert r.exit_code == 0
    assert "code sha256" in r.stdout and d["code_sha256"] in r.stdout and "unchanged" in r.stdout
    assert "files" in r.stdout and "uncompressed" in r.stdout
    r = invoke_cli("package", "-o", "text")
    rows = dict(line.split("\t", 1) for line in r.stdout.strip().splitlines())
    assert rows["code_sha256"] == d["code_sha256"] and rows["files"] == "2"
    r = invoke_cli("-q", "package")
    assert r.stdout.strip() == d["path"]
    assert r.stderr == ""                      # no progress bar without a TTY


def test_requirements_file_that_lists_nothing_says_so(fn_project, invoke_cli):
    """Review fix: a comments-only requirements.txt (what init writes) is not 'installed with pip'."""
    (fn_project / "requirements.txt").write_text("# nothing yet\n\n")
    project(fn_project, requirements="requirements.txt")
    r = invoke_cli("package")
    assert r.exit_code == 0, r.stderr
    line = next(ln for ln in r.stdout.splitlines() if ln.startswith("dependencies"))
    assert "none (requirements.txt lists no package)" in line and "pip" not in line
    d = invoke_cli("package", "-o", "json").json()
    assert d["dependencies"]["packages"] == [] and d["dependencies"]["files"] == 0
    assert names(fn_project / ".lambdactl" / "pkgfn.zip") == ["app.py", "lib/", "lib/util.py"]


@pytest.mark.parametrize("args,contains", [
    (["--arch", "sparc"], "x86_64, arm64"),
    (["--runtime", "python2.7"], "python3.12"),
    (["--jobs", "0"], "--jobs"),
    (["--source", "no/such/dir"], "no/such/dir"),
    (["--handler", "not a handler"], "module.function"),
    (["--no-such-flag"], "--no-such-flag"),
])
def test_bad_flags_exit_2(fn_project, invoke_cli, args, contains):
    r = invoke_cli("package", *args)
    assert_clean_error(r, 2, contains=contains)


def test_no_project_file_packages_the_current_directory(project_dir, invoke_cli):
    write(project_dir, {"handler.py": HANDLER})
    r = invoke_cli("package", "--out", "fn.zip", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert names(project_dir / "fn.zip") == ["handler.py"]
    assert r.json()["files"] == 1


def test_progress_bar_only_on_a_tty_and_only_when_slow(monkeypatch):
    from lambdactl.cli import package as cli_package

    bar = cli_package._Progress(enabled=False)
    bar(10, 100)
    assert bar.bar is None
    bar = cli_package._Progress(enabled=True)
    bar(10, 100)                                   # too early: no bar yet
    assert bar.bar is None
    bar.start -= cli_package.PROGRESS_AFTER + 0.1
    bar(20, 100)
    assert bar.bar is not None
    bar(100, 100)
    bar.close()
    assert bar.bar is None
    monkeypatch.setattr("sys.stderr.isatty", lambda: False, raising=False)
    assert cli_package._want_progress() is False


def test_verbose_prints_timings_on_stderr(fn_project, invoke_cli):
    r = invoke_cli("package", "-v", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert "timings: walk" in r.stderr
    assert r.json()["files"] == 2


# --- issue 17: the syntax check ---------------------------------------------------------------------

BROKEN = "def handler(event, context):\n    return {'ok': True\n"


def test_syntax_error_fails_package_with_file_line_and_no_check_skips_it(fn_project, invoke_cli):
    write(fn_project / "src", {"lib/broken.py": "x = 1\nif x\n    pass\n"})
    r = invoke_cli("package")
    assert_clean_error(r, 2, contains=os.path.join("src", "lib", "broken.py") + ":2:")
    assert "expected ':'" in r.stderr and "hint:" in r.stderr and "--no-check" in r.stderr
    assert not (fn_project / ".lambdactl" / "pkgfn.zip").exists()      # nothing written
    r = invoke_cli("package", "--no-check", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert "lib/broken.py" in names(fn_project / r.json()["path"]) and r.json()["syntax_check"] is None


def test_syntax_check_names_the_handler_and_counts_other_errors(fn_project, invoke_cli):
    write(fn_project / "src", {"app.py": BROKEN, "z1.py": "def (:\n", "z2.py": "\tx = 1\n  y = 2\n"})
    r = invoke_cli("package")
    assert_clean_error(r, 2, contains=os.path.join("src", "app.py") + ":2: '{' was never closed")
    assert "2 more files with errors" in r.stderr and "z1.py:1" in r.stderr


def test_syntax_check_results_are_cached_by_content(fn_project, invoke_cli):
    write(fn_project / "src", {f"m{i}.py": f"V = {i}\n" for i in range(30)})
    d = invoke_cli("package", "-o", "json").json()
    assert d["syntax_check"]["compiled"] == 32                 # every .py, once
    assert d["syntax_check"]["grammar"].startswith("python3.")
    assert invoke_cli("package", "-o", "json").json()["syntax_check"]["compiled"] == 0
    time.sleep(0.01)
    (fn_project / "src" / "m3.py").write_text("V = 'edited'\n")
    os.utime(fn_project / "src" / "m4.py")                     # touched, same content
    assert invoke_cli("package", "-o", "json").json()["syntax_check"]["compiled"] == 2
    assert invoke_cli("package", "-o", "json").json()["syntax_check"]["compiled"] == 0
    (fn_project / "src" / "m5.py").write_text("V = (\n")
    assert_clean_error(invoke_cli("package"), 2, contains="m5.py:1")
    # a broken file is never remembered as checked: fixing it makes the build pass, breaking it fails
    (fn_project / "src" / "m5.py").write_text("V = 5\n")
    assert invoke_cli("package").exit_code == 0
    (fn_project / "src" / "m5.py").write_text("V = (\n")
    assert_clean_error(invoke_cli("package"), 2, contains="m5.py:1")


def test_dependencies_and_vendored_packages_are_not_checked(fn_project, invoke_cli):
    """Only the function's own code is compiled: not the requirements' files, nor packages
    vendored into the source with pip install -t (listed by a *.dist-info RECORD)."""
    make_wheel(fn_project / "wheels", name="py2pkg", files={"py2pkg/__init__.py": "print 'old'\n"})
    (fn_project / "requirements.txt").write_text("--no-index\n--find-links wheels\npy2pkg==0.1\n")
    project(fn_project, requirements="requirements.txt")
    write(fn_project / "src", {"vend/__init__.py": "print 'py2'\n",
                               "vend-1.0.dist-info/RECORD": "vend/__init__.py,,\nvend-1.0.dist-info/RECORD,,\n"})
    r = invoke_cli("package", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert {"py2pkg/__init__.py", "vend/__init__.py"} <= set(names(fn_project / r.json()["path"]))
    (fn_project / "src" / "vend-1.0.dist-info" / "RECORD").unlink()    # now it is own code
    assert_clean_error(invoke_cli("package"), 2, contains="vend/__init__.py:1")


def _fake_python(bindir: Path, version: str, log: Path, *, broken: bool = False) -> None:
    bindir.mkdir(parents=True, exist_ok=True)
    exe = bindir / f"python{version}"
    body = "echo 'pyenv: version not installed' >&2; exit 127" if broken else f'exec "{sys.executable}" "$@"'
    exe.write_text(f"#!/bin/sh\necho \"$@\" >> '{log}'\n{body}\n")
    exe.chmod(0o755)


def test_the_runtimes_python_from_path_checks_the_grammar(fn_project, invoke_cli, monkeypatch, tmp_path):
    """python3.X on PATH (here a wrapper that logs its use) compiles for a runtime that is not
    the running interpreter's version; without it, the running interpreter does, and says so."""
    target = "3.13" if sys.version_info[:2] != (3, 13) else "3.12"
    project(fn_project, runtime=f"python{target}")
    log = tmp_path / "calls.log"
    _fake_python(tmp_path / "bin", target, log)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    d = invoke_cli("package", "-o", "json").json()
    assert d["syntax_check"] == {"grammar": f"python{target}", "compiled": 2}
    assert "-I -S -c" in log.read_text()
    write(fn_project / "src", {"bad.py": "def f(:\n"})
    r = invoke_cli("package")
    assert_clean_error(r, 2, contains=f"bad.py:1: invalid syntax (python{target} grammar)")
    # a shim that cannot run (pyenv without that version): the running interpreter checks instead
    log.unlink()
    _fake_python(tmp_path / "bin", target, log, broken=True)
    r = invoke_cli("package")
    running = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    assert_clean_error(r, 2, contains=f"({running} grammar: no python{target} on PATH)")
    assert log.exists()
    # no python3.X at all
    monkeypatch.setenv("PATH", "/nonexistent")
    (fn_project / "src" / "bad.py").unlink()
    d = invoke_cli("package", "-o", "json").json()
    assert d["syntax_check"]["grammar"] == running


def test_big_check_runs_in_subprocesses_and_finds_every_error(tmp_path):
    src = tmp_path / "src"
    body = "def f(x):\n    return [i * x for i in range(10)]\n" * 400
    write(src, {f"p{i:03d}.py": body for i in range(120)})
    write(src, {"p007.py": body + "def g(:\n", "p099.py": "x = )\n"})
    with pytest.raises(Exception) as err:
        packaging.build_package(src, cache_dir=tmp_path / "c")
    assert "p007.py:801" in str(err.value) and "p099.py:1" in str(err.value)
    (src / "p007.py").write_text(body)
    (src / "p099.py").write_text(body)
    res = packaging.build_package(src, cache_dir=tmp_path / "c")
    assert res.checked == 2 and res.files == 120                # the 118 others passed before


def test_deploy_refuses_a_syntax_error_before_any_aws_call(fn_project, invoke_cli, boto):
    from lambdactl.aws import CALLS

    write(fn_project / "src", {"app.py": BROKEN})
    CALLS.clear()
    r = invoke_cli("deploy")
    assert_clean_error(r, 2, contains=os.path.join("src", "app.py") + ":2")
    assert not CALLS.calls
    assert boto("lambda").list_functions()["Functions"] == []
    r = invoke_cli("deploy", "--no-check")
    assert r.exit_code == 0, r.stderr
    assert boto("lambda").get_function(FunctionName="pkgfn")["Configuration"]["Handler"] == "app.handler"


# --- issue 17: local-path requirements, requirement messages -----------------------------------------

TINY_BACKEND = '''\
"""An in-tree PEP 517 backend (no setuptools, no network): a pure-Python wheel of ./<name>/."""
import base64, hashlib, os, zipfile

NAME, VERSION = open("NAME").read().split()


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    dist = f"{NAME}-{VERSION}.dist-info"
    files = {}
    for dirpath, _, filenames in os.walk(NAME):
        for f in sorted(filenames):
            if not f.endswith(".pyc"):
                p = os.path.join(dirpath, f)
                files[p.replace(os.sep, "/")] = open(p, "rb").read()
    files[f"{dist}/METADATA"] = f"Metadata-Version: 2.1\\nName: {NAME}\\nVersion: {VERSION}\\n".encode()
    files[f"{dist}/WHEEL"] = b"Wheel-Version: 1.0\\nGenerator: tiny\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"
    record = [f"{p},sha256={base64.urlsafe_b64encode(hashlib.sha256(d).digest()).rstrip(b'=').decode()},{len(d)}"
              for p, d in files.items()] + [f"{dist}/RECORD,,"]
    files[f"{dist}/RECORD"] = ("\\n".join(record) + "\\n").encode()
    name = f"{NAME}-{VERSION}-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as z:
        for p, d in files.items():
            z.writestr(p, d)
    return name
'''


def make_local_lib(root: Path, name: str = "mylib", value: str = "1") -> Path:
    """A local library directory that pip builds offline (in-tree backend, no requirements)."""
    write(root, {"pyproject.toml": '[build-system]\nrequires = []\nbuild-backend = "tinybackend"\n'
                                   'backend-path = ["."]\n',
                 "tinybackend.py": TINY_BACKEND, "NAME": f"{name} 0.1",
                 f"{name}/__init__.py": f"VALUE = {value}\n"})
    return root


def test_local_library_edits_are_not_served_stale_from_the_cache(fn_project, invoke_cli):
    make_local_lib(fn_project / "libs" / "mylib", value="1")
    (fn_project / "requirements.txt").write_text("--no-index\n./libs/mylib\n")
    project(fn_project, requirements="requirements.txt")
    d = invoke_cli("package", "-o", "json").json()
    zpath = fn_project / d["path"]
    assert zipfile.ZipFile(zpath).read("mylib/__init__.py") == b"VALUE = 1\n"
    d = invoke_cli("package", "-o", "json").json()
    assert d["dependencies"]["cached"] is True                         # unchanged: pip did not run
    (fn_project / "libs" / "mylib" / "mylib" / "__init__.py").write_text("VALUE = 2\n")
    d2 = invoke_cli("package", "-o", "json").json()
    assert d2["dependencies"]["cached"] is False
    assert zipfile.ZipFile(zpath).read("mylib/__init__.py") == b"VALUE = 2\n"
    assert d2["code_sha256"] != d["code_sha256"]
    # pip's own build output in the library (build/, *.egg-info) is not part of its content
    write(fn_project / "libs" / "mylib", {"build/lib/junk.py": "", "mylib.egg-info/PKG-INFO": "x"})
    assert invoke_cli("package", "-o", "json").json()["dependencies"]["cached"] is True


@pytest.mark.parametrize("line", ["./wheels/tinypkg-0.1-py3-none-any.whl",
                                  "tinypkg @ file://{root}/wheels/tinypkg-0.1-py3-none-any.whl",
                                  "file://{root}/wheels/tinypkg-0.1-py3-none-any.whl"])
def test_local_wheel_and_file_urls_are_part_of_the_cache_key(fn_project, invoke_cli, line):
    make_wheel(fn_project / "wheels", files={"tinypkg/__init__.py": "VALUE = 'first'\n"})
    (fn_project / "requirements.txt").write_text("--no-index\n" + line.format(root=fn_project) + "\n")
    project(fn_project, requirements="requirements.txt")
    d = invoke_cli("package", "-o", "json").json()
    assert zipfile.ZipFile(fn_project / d["path"]).read("tinypkg/__init__.py") == b"VALUE = 'first'\n"
    make_wheel(fn_project / "wheels", files={"tinypkg/__init__.py": "VALUE = 'second'\n"})
    d = invoke_cli("package", "-o", "json").json()
    assert d["dependencies"]["cached"] is False
    assert zipfile.ZipFile(fn_project / d["path"]).read("tinypkg/__init__.py") == b"VALUE = 'second'\n"


def test_deploy_ships_the_edited_local_library_and_has_no_cache(fn_project, invoke_cli, boto):
    make_local_lib(fn_project / "libs" / "mylib", value="1")
    (fn_project / "requirements.txt").write_text("--no-index\n-e ./libs/mylib\n" if False else "--no-index\n./libs/mylib\n")
    project(fn_project, requirements="requirements.txt")
    assert invoke_cli("deploy").exit_code == 0
    sha1 = boto("lambda").get_function(FunctionName="pkgfn")["Configuration"]["CodeSha256"]
    (fn_project / "libs" / "mylib" / "mylib" / "__init__.py").write_text("VALUE = 2\n")
    r = invoke_cli("deploy", "-o", "json")
    assert r.exit_code == 0, r.stderr
    sha2 = boto("lambda").get_function(FunctionName="pkgfn")["Configuration"]["CodeSha256"]
    built = packaging.build_package(fn_project / "src", requirements=fn_project / "requirements.txt",
                                    runtime="python3.12", use_cache=False)
    assert sha2 != sha1 and sha2 == built.sha256
    assert zipfile.ZipFile(io.BytesIO(built.data)).read("mylib/__init__.py") == b"VALUE = 2\n"
    # --no-cache: the dependency cache is not used (proof: the library is gone, so pip must fail)
    assert invoke_cli("deploy").exit_code == 0
    import shutil
    shutil.rmtree(fn_project / "libs")
    (fn_project / "requirements.txt").write_text("--no-index\n--find-links wheels\ntinypkg==0.1\n")
    make_wheel(fn_project / "wheels")
    assert invoke_cli("deploy").exit_code == 0                          # installs, caches
    (fn_project / "wheels" / "tinypkg-0.1-py3-none-any.whl").unlink()
    assert invoke_cli("deploy").exit_code == 0                          # from the cache
    assert_clean_error(invoke_cli("deploy", "--no-cache"), 2, contains="tinypkg")


def test_cache_key_sees_editable_and_nested_local_paths(tmp_path):
    make_local_lib(tmp_path / "libs" / "a")
    (tmp_path / "more.txt").write_text("-e ./libs/a\n")
    req = tmp_path / "requirements.txt"
    req.write_text("-r more.txt\n")
    k1 = deps.cache_key(req, "python3.12", "x86_64")
    (tmp_path / "libs" / "a" / "mylib" / "__init__.py").write_text("VALUE = 9\n")
    assert deps.cache_key(req, "python3.12", "x86_64") != k1


@pytest.mark.parametrize("line,needle", [
    ("requests==", "requirements.txt:3: 'requests==' is not a valid requirement"),
    ("flask[async >= 2", "requirements.txt:3: 'flask[async >= 2' is not a valid requirement"),
    ("ok-pkg ; python_version >", "requirements.txt:3:"),
])
def test_malformed_requirement_line_is_named_before_pip_runs(fn_project, invoke_cli, line, needle):
    (fn_project / "requirements.txt").write_text(f"--no-index\n--find-links /nonexistent\n{line}\n")
    project(fn_project, requirements="requirements.txt")
    r = invoke_cli("package")
    assert_clean_error(r, 2, contains=needle)
    assert "hint: fix that line" in r.stderr
    assert "wheel" not in r.stderr and "pip" not in r.stderr
    cache = Path(os.environ["LAMBDACTL_CACHE_DIR"]) / "deps"
    assert not cache.exists() or not any(cache.iterdir())


def test_malformed_line_in_an_included_file_names_that_file(fn_project, invoke_cli):
    (fn_project / "base.txt").write_text("six\nrequests>=\n")
    (fn_project / "requirements.txt").write_text("--no-index\n-r base.txt\n")
    project(fn_project, requirements="requirements.txt")
    assert_clean_error(invoke_cli("package"), 2, contains="base.txt:2: 'requests>=' is not a valid requirement")


def test_a_package_that_does_not_exist_is_reported_as_such(fn_project, invoke_cli):
    make_wheel(fn_project / "wheels", name="tinypkg")
    make_wheel(fn_project / "wheels", name="winonly", tag="cp312-cp312-win_amd64")
    (fn_project / "requirements.txt").write_text("--no-index\n--find-links wheels\ntinypkg==0.1\n"
                                                 "no-such-package-xyz>=1.0\n")
    project(fn_project, requirements="requirements.txt", architecture="arm64")
    r = invoke_cli("package")
    assert_clean_error(r, 2, contains="requirements.txt:4: no-such-package-xyz was not found on the package index")
    error = next(ln for ln in r.stderr.splitlines() if ln.startswith("error:"))
    assert "no wheel" not in error and "python3.12" not in error
    assert "hint: check the spelling" in r.stderr
    # a project that exists without a wheel for the target keeps its own message
    (fn_project / "requirements.txt").write_text("--no-index\n--find-links wheels\nwinonly\n")
    assert_clean_error(invoke_cli("package"), 2, contains="no wheel of winonly for python3.12 on arm64")


@pytest.fixture
def simple_index(tmp_path):
    """A PEP 503 package index on 127.0.0.1 (http.server): tinypkg (any platform) and winonly
    (a Windows-only wheel)."""
    import http.server
    import threading

    root = tmp_path / "index"
    for name, tag in (("tinypkg", "py3-none-any"), ("winonly", "cp312-cp312-win_amd64")):
        whl = make_wheel(root / "simple" / name, name=name, tag=tag)
        (root / "simple" / name / "index.html").write_text(f'<a href="{whl.name}">{whl.name}</a>\n')

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **kw):
            super().__init__(*a, directory=str(root), **kw)

        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/simple/"
    server.shutdown()


def test_not_found_on_an_http_index(fn_project, invoke_cli, simple_index, monkeypatch):
    for k in ("PIP_FIND_LINKS", "PIP_EXTRA_INDEX_URL", "PIP_INDEX_URL"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    (fn_project / "requirements.txt").write_text(f"--index-url {simple_index}\ntinypkg\nnosuchpkg\n")
    project(fn_project, requirements="requirements.txt")
    assert_clean_error(invoke_cli("package"), 2, contains="requirements.txt:3: nosuchpkg was not found on the package index")
    (fn_project / "requirements.txt").write_text(f"--index-url {simple_index}\ntinypkg\nwinonly\n")
    assert_clean_error(invoke_cli("package"), 2, contains="no wheel of winonly for python3.12 on x86_64")
    (fn_project / "requirements.txt").write_text(f"--index-url {simple_index}\ntinypkg\n")
    r = invoke_cli("package", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["dependencies"]["packages"] == ["tinypkg"]


# --- issue 17: the deflate backend ---------------------------------------------------------------

def _tree_for_backends(src: Path) -> None:
    write(src, {"app.py": HANDLER, "data/big.json": '{"k": [1, 2, 3]}\n' * 400_000,       # > 4 MiB
                "data/text.txt": "lambda " * 5000, "noise.bin": os.urandom(300_000), "empty.py": ""})


def test_libdeflate_backend_is_used_and_output_is_byte_identical(tmp_path):
    assert zipbuild.backend().name == "libdeflate"           # the declared dependency is installed
    src = tmp_path / "src"
    _tree_for_backends(src)
    a = packaging.build_package(src, use_cache=False, jobs=2)
    b = packaging.build_package(src, cache_dir=tmp_path / "c", jobs=1)
    c = packaging.build_package(src, cache_dir=tmp_path / "c", jobs=2)          # from the cache
    assert a.data == b.data == c.data and c.reused == c.files
    z = zipfile.ZipFile(io.BytesIO(a.data))
    assert z.testzip() is None
    assert z.read("data/big.json") == (src / "data/big.json").read_bytes()
    assert z.getinfo("noise.bin").compress_type == zipfile.ZIP_STORED
    assert z.getinfo("data/big.json").compress_type == zipfile.ZIP_DEFLATED


def test_zlib_fallback_gives_other_bytes_and_the_caches_never_mix(tmp_path, monkeypatch):
    src = tmp_path / "src"
    _tree_for_backends(src)
    cache = tmp_path / "cache"
    ld = packaging.build_package(src, cache_dir=cache)
    monkeypatch.setenv(zipbuild.BACKEND_ENV, "zlib")
    assert zipbuild.backend().name == "zlib"
    zl = packaging.build_package(src, cache_dir=cache)
    assert zl.reused == 0 and zl.compressed == zl.files              # nothing taken from libdeflate's entries
    assert zl.data != ld.data
    assert zl.data == packaging.build_package(src, use_cache=False, jobs=1).data
    assert zipfile.ZipFile(io.BytesIO(zl.data)).testzip() is None
    monkeypatch.delenv(zipbuild.BACKEND_ENV)
    again = packaging.build_package(src, cache_dir=cache)
    assert again.data == ld.data


def test_help_does_not_import_the_compressor():
    code = ("import sys\nfrom lambdactl.cli.app import app\n"
            "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('deflate', 'lambdactl.core.build.zipbuild', 'lambdactl.core.build.packaging') "
            "if m in sys.modules))")
    import subprocess
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_deflate_is_a_declared_dependency():
    import tomllib
    data = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())
    declared = {re.split(r"[<>=!~ ;\[]", d, maxsplit=1)[0].lower() for d in data["project"]["dependencies"]}
    assert {"deflate", "packaging"} <= declared


# --- issue 21: credential files ------------------------------------------------------------------------

CREDENTIALS = {".aws/credentials": "[default]\naws_secret_access_key = x\n", ".aws/config": "[default]\n",
               "keys/.ssh/id_ed25519": "KEY", "id_rsa": "KEY", "id_rsa.pub": "ssh-rsa AAA",
               "certs/server.pem": "PEM", "tls.KEY": "KEY", ".npmrc": "//registry/:_authToken=x",
               ".pypirc": "[pypi]\npassword = x\n", "sub/.netrc": "machine x password y\n"}


def test_credential_files_are_left_out_with_one_note(fn_project, invoke_cli):
    write(fn_project / "src", CREDENTIALS)
    write(fn_project / "src", {"private.txt": "mine"}, mode=0o600)
    r = invoke_cli("package", "-o", "json")
    assert r.exit_code == 0, r.stderr
    got = set(names(fn_project / r.json()["path"]))
    assert got == {"app.py", "lib/", "lib/util.py"}
    held = {w["path"]: w["reason"] for w in r.json()["withheld"]}
    assert set(held) == set(CREDENTIALS) | {"private.txt"}
    assert held["private.txt"] == "readable only by its owner" and held[".aws/config"] == "in .aws/"
    notes = [ln for ln in r.stderr.splitlines() if "credentials" in ln]
    assert len(notes) == 1 and notes[0].startswith("note: left out 11 files that may hold credentials: ")
    assert ".aws/config" in notes[0] and "and 6 more" in notes[0] and "--include" in notes[0]
    # the table view says it too, on stderr only
    r = invoke_cli("package")
    assert "note: left out 11 files" in r.stderr and "note:" not in r.stdout


def test_include_and_lambdaignore_negation_bring_one_back(fn_project, invoke_cli):
    write(fn_project / "src", CREDENTIALS)
    write(fn_project / "src", {"private.txt": "mine"}, mode=0o600)
    write(fn_project / "src", {".lambdaignore": "!private.txt\n"})
    r = invoke_cli("package", "--include", "certs/server.pem", "--include", ".aws/config", "-o", "json")
    assert r.exit_code == 0, r.stderr
    got = set(names(fn_project / r.json()["path"]))
    assert {"certs/server.pem", ".aws/config", "private.txt"} <= got
    assert ".aws/credentials" not in got and "id_rsa" not in got
    assert len(r.json()["withheld"]) == 8
    # a directory pattern brings back what is under it; --include also wins over an exclude
    r = invoke_cli("package", "--include", ".aws/", "--exclude", "lib/", "--include", "lib/util.py",
                   "-o", "json")
    got = set(names(fn_project / r.json()["path"]))
    assert {".aws/config", ".aws/credentials"} <= got
    assert_clean_error(invoke_cli("package", "--include", "!x"), 2, contains="--include")


def test_owner_only_tree_from_umask_077_is_not_withheld(fn_project, invoke_cli):
    for p in (fn_project / "src").rglob("*"):
        p.chmod(0o700 if p.is_dir() else 0o600)
    write(fn_project / "src", {"server.pem": "PEM"}, mode=0o600)
    r = invoke_cli("package", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert [w["path"] for w in r.json()["withheld"]] == ["server.pem"]     # the name still counts
    assert set(names(fn_project / r.json()["path"])) == {"app.py", "lib/", "lib/util.py"}


def test_owner_only_handler_says_why_it_is_missing(fn_project, invoke_cli):
    (fn_project / "src" / "app.py").chmod(0o600)
    r = invoke_cli("package")
    assert_clean_error(r, 2, contains="app.py was left out of the package as a possible credential")
    assert "chmod 644" in r.stderr and "--include app.py" in r.stderr
    assert invoke_cli("package", "--include", "app.py").exit_code == 0


def test_dependencies_keep_their_pem_files_and_deploy_leaves_credentials_out(fn_project, invoke_cli, boto):
    make_wheel(fn_project / "wheels", name="certpkg", files={"certpkg/__init__.py": "", "certpkg/cacert.pem": "CA"})
    (fn_project / "requirements.txt").write_text("--no-index\n--find-links wheels\ncertpkg==0.1\n")
    project(fn_project, requirements="requirements.txt")
    write(fn_project / "src", {"deploy.pem": "SECRET", ".aws/credentials": "x"})
    r = invoke_cli("deploy", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert "note: left out 2 files that may hold credentials: .aws/credentials, deploy.pem" in r.stderr
    expected = packaging.build_package(fn_project / "src", requirements=fn_project / "requirements.txt",
                                       runtime="python3.12", exclude=[".aws/", "deploy.pem"], credentials=False)
    assert "certpkg/cacert.pem" in zipfile.ZipFile(io.BytesIO(expected.data)).namelist()
    sha = boto("lambda").get_function(FunctionName="pkgfn")["Configuration"]["CodeSha256"]
    assert sha == expected.sha256
    r = invoke_cli("deploy", "--include", "deploy.pem")
    assert r.exit_code == 0, r.stderr
    assert boto("lambda").get_function(FunctionName="pkgfn")["Configuration"]["CodeSha256"] != sha


# --- issue 21: private caches, safe output files -----------------------------------------------------

def _modes(root: Path) -> dict[str, int]:
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for n in dirnames + filenames:
            p = Path(dirpath) / n
            if not p.is_symlink():
                out[str(p.relative_to(root))] = stat.S_IMODE(p.stat().st_mode)
    return out


def test_caches_are_created_private(fn_project, invoke_cli, monkeypatch):
    os.umask(0o022)
    make_wheel(fn_project / "wheels")
    (fn_project / "requirements.txt").write_text("--no-index\n--find-links wheels\ntinypkg==0.1\n")
    project(fn_project, requirements="requirements.txt")
    cache = Path(os.environ["LAMBDACTL_CACHE_DIR"])
    assert invoke_cli("package").exit_code == 0
    modes = _modes(cache)
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    assert any(k.startswith("entries") and k.endswith("blob.bin") for k in modes)
    assert any(k.startswith("deps") and k.endswith("tinypkg/__init__.py") for k in modes)
    for path, mode in modes.items():
        full = cache / path
        if full.is_dir():
            assert mode == 0o700, path
        else:
            assert mode & 0o077 == 0, (path, oct(mode))
            if not mode & 0o100:
                assert mode == 0o600, (path, oct(mode))
    # a cache directory left looser by an older version is tightened
    entries = cache / "entries"
    entries.chmod(0o755)
    assert invoke_cli("package").exit_code == 0
    assert stat.S_IMODE(entries.stat().st_mode) == 0o700


def test_output_zip_is_written_through_mkstemp_and_renamed(fn_project, invoke_cli, tmp_path, monkeypatch):
    import tempfile
    made = []
    real = tempfile.mkstemp

    def spy(*a, **kw):
        fd, path = real(*a, **kw)
        made.append((path, stat.S_IMODE(os.fstat(fd).st_mode)))
        return fd, path
    monkeypatch.setattr(tempfile, "mkstemp", spy)
    os.umask(0o022)
    out = fn_project / "build" / "fn.zip"
    victim = tmp_path / "victim.txt"
    victim.write_text("do not touch")
    out.parent.mkdir()
    out.symlink_to(victim)                       # an existing link at the target is replaced, not followed
    r = invoke_cli("package", "--out", str(out), "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert victim.read_text() == "do not touch"
    assert out.is_file() and not out.is_symlink() and zipfile.is_zipfile(out)
    assert stat.S_IMODE(out.stat().st_mode) == 0o644
    assert len(made) == 1 and Path(made[0][0]).parent == out.parent and made[0][1] == 0o600
    assert sorted(p.name for p in out.parent.iterdir()) == ["fn.zip"]   # no temporary left


def test_small_edits_update_the_previous_zip_in_place_byte_for_byte(tmp_path, monkeypatch):
    """Issue 17 (rebuild speed): an edit to a few files patches the zip the cache wrote (only
    from the first changed member on); the result is always the zip a from-scratch build gives."""
    import random

    patches = []
    real_patch = zipbuild.patch_zip
    monkeypatch.setattr(zipbuild, "patch_zip", lambda *a, **kw: patches.append(len(a[2])) or real_patch(*a, **kw))
    rnd = random.Random(5)
    src = tmp_path / "src"
    write(src, {f"d{i % 7}/f{i:03d}.py": f"V = {i}\n" * rnd.randint(1, 400) for i in range(150)})
    write(src, {"big.bin": os.urandom(5000), "app.py": HANDLER})
    out, cache = tmp_path / "out.zip", tmp_path / "cache"
    packaging.build_package(src, out=out, cache_dir=cache, keep_data=False)
    files = sorted(p for p in src.rglob("*.py"))
    for step in range(12):
        for p in rnd.sample(files, rnd.choice([1, 1, 2, 5])):
            p.write_text(f"V = {step}\n" * rnd.randint(0, 900))     # shorter, longer, empty
        ino = out.stat().st_ino
        res = packaging.build_package(src, out=out, cache_dir=cache, keep_data=False)
        fresh = packaging.build_package(src, use_cache=False)
        assert out.read_bytes() == fresh.data, step
        assert res.sha256 == fresh.sha256 == b64sha(fresh.data) and res.size == len(fresh.data)
        assert out.stat().st_ino == ino                  # updated where it is
    assert zipfile.ZipFile(out).testzip() is None
    assert len(patches) == 12 and set(patches) <= {1, 2, 5}
    # a changed name set (a new file) or mode assembles the zip anew, still identical
    write(src, {"d1/new.py": "N = 1\n"})
    (src / "d2" / "f002.py").chmod(0o755)
    packaging.build_package(src, out=out, cache_dir=cache, keep_data=False)
    assert out.read_bytes() == packaging.build_package(src, use_cache=False).data
    # a zip changed behind the cache's back is never patched
    packaging.build_package(src, out=out, cache_dir=cache, keep_data=False)
    out.write_bytes(out.read_bytes())                    # same bytes, new mtime
    (src / "d3" / "f003.py").write_text("V = 'x'\n")
    packaging.build_package(src, out=out, cache_dir=cache, keep_data=False)
    assert out.read_bytes() == packaging.build_package(src, use_cache=False).data
    assert len(patches) == 12
