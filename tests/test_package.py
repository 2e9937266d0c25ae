"""lambdactl package: deterministic zips, modes, excludes, symlinks, handler check, target-platform
dependencies (from a tiny wheel built here, no network), caches, limits, CodeSha256 vs moto."""
from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import stat
import sys
import time
import zipfile
from pathlib import Path

import pytest

from lambdactl.core import deps, packaging, zipbuild
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
    res = packaging.build_package(src, handler="app.handler", runtime="python3.12")
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
    rules = packaging.IgnoreRules()
    for p in ["*.log", "/top.txt", "docs/", "a/**/z.py", "data/*.csv", "!keep.log"]:
        rules.add(p)
    ex = rules.excluded
    assert ex("x.log", False) and ex("deep/er/x.log", False) and not ex("keep.log", False)
    assert ex("top.txt", False) and not ex("sub/top.txt", False)
    assert ex("docs", True) and not ex("docs", False)
    assert ex("a/z.py", False) and ex("a/b/c/z.py", False) and not ex("b/z.py", False)
    assert ex("data/x.csv", False) and not ex("data/sub/x.csv", False)
    with pytest.raises(Exception):
        bad = packaging.IgnoreRules()
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
