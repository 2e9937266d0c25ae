"""lambdactl layer build|publish|list|versions|delete against the moto server.

Layers built from requirements install a tiny wheel made in the test (no network: the
requirements file says --no-index / --find-links wheels).
"""
from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from tests.conftest import assert_clean_error

ACCOUNT_REGION = "us-east-1:123456789012"


def make_wheel(directory: Path, pkg: str, version: str, body: str) -> Path:
    """A minimal pure-Python wheel (py3-none-any) built by hand."""
    directory.mkdir(parents=True, exist_ok=True)
    info = f"{pkg}-{version}.dist-info"
    files = {
        f"{pkg}/__init__.py": body,
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {pkg}\nVersion: {version}\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for name, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(text.encode())}")
    record.append(f"{info}/RECORD,,")
    files[f"{info}/RECORD"] = "\n".join(record) + "\n"
    path = directory / f"{pkg}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return path


def requirements(path: Path, *lines: str) -> Path:
    path.write_text("--no-index\n--find-links wheels\n" + "\n".join(lines) + "\n")
    return path


def sha(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def aws_calls() -> list[str]:
    from lambdactl.aws import CALLS

    return CALLS.names()


@pytest.fixture
def layer_project(project_dir):
    """A project with [[layers.build]] shared-libs → layer-requirements.txt (tinylib 1.0)."""
    make_wheel(project_dir / "wheels", "tinylib", "1.0", "VALUE = 1\n")
    make_wheel(project_dir / "wheels", "tinylib", "2.0", "VALUE = 2\n")
    requirements(project_dir / "layer-requirements.txt", "tinylib==1.0")
    (project_dir / "lambdactl.toml").write_text(
        '[function]\nname = "orders"\nruntime = "python3.12"\nhandler = "app.handler"\n'
        'architecture = "arm64"\n\n'
        '[[layers.build]]\nname = "shared-libs"\nrequirements = "layer-requirements.txt"\n'
        'description = "shared libraries"\n')
    return project_dir


def test_publish_skips_unchanged_and_publishes_changes(invoke_cli, boto, layer_project):
    lam = boto("lambda")
    r = invoke_cli("layer", "publish", "-o", "json")
    assert r.exit_code == 0, r.stderr
    first = r.json()
    assert first["status"] == "published" and first["version"] == 1
    assert first["layer_version_arn"] == f"arn:aws:lambda:{ACCOUNT_REGION}:layer:shared-libs:1"
    # defaults: [[layers.build]] description, [function] runtime and architecture
    got = lam.get_layer_version(LayerName="shared-libs", VersionNumber=1)
    assert got["Description"] == "shared libraries"
    assert got["CompatibleRuntimes"] == ["python3.12"]
    assert got["CompatibleArchitectures"] == ["arm64"]
    assert got["Content"]["CodeSha256"] == first["code_sha256"]

    # the zip `layer build` writes is byte-identical (same CodeSha256), with libraries under python/
    r = invoke_cli("layer", "build", "--out", "build/layer.zip", "-o", "json")
    assert r.exit_code == 0, r.stderr
    built = r.json()
    data = Path("build/layer.zip").read_bytes()
    assert built["code_sha256"] == sha(data) == first["code_sha256"]
    assert built["deps_cached"] is True            # pip did not run again
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert "python/tinylib/__init__.py" in names
    assert all(n.startswith("python/") for n in names)
    # deterministic without any cache too
    r = invoke_cli("layer", "build", "--no-cache", "--out", "build/fresh.zip", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert Path("build/fresh.zip").read_bytes() == data

    # same inputs again: nothing published, the same ARN printed
    r = invoke_cli("layer", "publish", "shared-libs")
    assert r.exit_code == 0, r.stderr
    assert "unchanged" in r.stderr and first["layer_version_arn"] in r.stdout
    r = invoke_cli("layer", "publish", "shared-libs", "-q")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.strip() == first["layer_version_arn"]
    assert len(lam.list_layer_versions(LayerName="shared-libs")["LayerVersions"]) == 1
    assert aws_calls().count("lambda.PublishLayerVersion") == 1

    # changed requirements: version 2
    requirements(layer_project / "layer-requirements.txt", "tinylib==2.0")
    r = invoke_cli("layer", "publish", "-o", "json")
    assert r.exit_code == 0, r.stderr
    second = r.json()
    assert second["status"] == "published" and second["version"] == 2
    assert second["previous_version"] == 1 and "code changed" in second["reason"]
    assert second["code_sha256"] != first["code_sha256"]
    versions = lam.list_layer_versions(LayerName="shared-libs")["LayerVersions"]
    assert sorted(v["Version"] for v in versions) == [1, 2]
    r = invoke_cli("layer", "versions", "-o", "json")     # the name from [[layers.build]]
    assert r.exit_code == 0, r.stderr
    assert [(v["version"], v["code_sha256"]) for v in r.json()] == \
        [(2, second["code_sha256"]), (1, first["code_sha256"])]


def test_publish_zip_metadata_change_and_s3_upload(invoke_cli, boto, project_dir, make_zip, monkeypatch):
    lam = boto("lambda")
    Path("layer.zip").write_bytes(make_zip({"python/util.py": "X = 1\n"}))
    args = ("layer", "publish", "utils", "--zip", "layer.zip", "--runtime", "python3.12",
            "--runtime", "python3.13", "--arch", "x86_64", "-o", "json")
    r = invoke_cli(*args)
    assert r.exit_code == 0, r.stderr
    assert r.json()["version"] == 1 and r.json()["upload"] == "direct"
    r = invoke_cli(*args)
    assert r.json()["status"] == "unchanged" and r.json()["version"] == 1
    # same code, new description: a layer version is immutable, so a new one
    r = invoke_cli(*args, "--description", "v2")
    assert r.exit_code == 0, r.stderr
    assert r.json()["version"] == 2 and r.json()["reason"] == "description changed"
    assert lam.get_layer_version(LayerName="utils", VersionNumber=2)["CompatibleRuntimes"] == \
        ["python3.12", "python3.13"]
    # a zip over the direct-upload limit goes through S3
    monkeypatch.setenv("LAMBDACTL_DIRECT_UPLOAD_LIMIT", "10")
    Path("big.zip").write_bytes(make_zip({"python/util.py": "X = 2\n"}))
    r = invoke_cli("layer", "publish", "utils", "--zip", "big.zip", "--runtime", "python3.12",
                   "--runtime", "python3.13", "--arch", "x86_64", "--description", "v2", "-o", "json")
    assert r.exit_code == 0, r.stderr
    out = r.json()
    assert out["version"] == 3 and out["upload"].startswith("s3://lambdactl-artifacts-")
    got = lam.get_layer_version(LayerName="utils", VersionNumber=3)
    assert got["Content"]["CodeSha256"] == sha(Path("big.zip").read_bytes())


def test_list_and_versions_show_usage(invoke_cli, boto, create_function, make_zip):
    lam = boto("lambda")
    z1, z2 = make_zip({"python/a.py": "A = 1\n"}), make_zip({"python/a.py": "A = 2\n"})
    v1 = lam.publish_layer_version(LayerName="libs", Content={"ZipFile": z1},
                                   CompatibleRuntimes=["python3.12"])
    v2 = lam.publish_layer_version(LayerName="libs", Content={"ZipFile": z2},
                                   CompatibleRuntimes=["python3.12"], CompatibleArchitectures=["arm64"])
    lam.publish_layer_version(LayerName="other", Content={"ZipFile": z1})
    create_function("api", Layers=[v1["LayerVersionArn"]])
    create_function("worker", Layers=[v2["LayerVersionArn"]])
    create_function("plain")

    r = invoke_cli("layer", "list", "-o", "json")
    assert r.exit_code == 0, r.stderr
    layers = {x["name"]: x for x in r.json()}
    assert set(layers) == {"libs", "other"}
    libs = layers["libs"]
    assert libs["latest_version"] == 2 and libs["architectures"] == ["arm64"]
    assert [(u["function"], u["layer_version"]) for u in libs["used_by"]] == [("api", 1), ("worker", 2)]
    assert layers["other"]["used_by"] == []
    r = invoke_cli("layer", "list")
    assert r.exit_code == 0
    assert "api (v1), worker (v2)" in r.stdout and "USED BY" in r.stdout

    r = invoke_cli("layer", "versions", "libs", "-o", "json")
    assert r.exit_code == 0, r.stderr
    versions = r.json()
    assert [v["version"] for v in versions] == [2, 1]
    assert versions[1]["code_sha256"] == sha(z1) and versions[1]["size"] == len(z1)
    assert [u["function"] for u in versions[0]["used_by"]] == ["worker"]
    assert versions[0]["created"].endswith("Z")
    r = invoke_cli("layer", "versions", "libs")
    assert r.exit_code == 0 and "worker" in r.stdout and sha(z2) in r.stdout

    assert_clean_error(invoke_cli("layer", "versions", "missing"), 3, contains="missing")


def test_delete_confirms_warns_and_reports_missing(invoke_cli, boto, create_function, make_zip):
    lam = boto("lambda")
    v1 = lam.publish_layer_version(LayerName="libs", Content={"ZipFile": make_zip({"python/a.py": "1"})})
    lam.publish_layer_version(LayerName="libs", Content={"ZipFile": make_zip({"python/a.py": "2"})})
    create_function("api", Layers=[v1["LayerVersionArn"]])

    r = invoke_cli("layer", "delete", "libs", "--version", "1")     # not a TTY, no --yes
    assert_clean_error(r, 2, contains="--yes")
    assert aws_calls().count("lambda.DeleteLayerVersion") == 0

    r = invoke_cli("layer", "delete", "libs:1", "--yes")
    assert r.exit_code == 0, r.stderr
    assert "still used by api" in r.stderr
    assert [v["Version"] for v in lam.list_layer_versions(LayerName="libs")["LayerVersions"]] == [2]

    assert_clean_error(invoke_cli("layer", "delete", "libs", "--version", "1", "--yes"), 3,
                       contains="libs:1")
    r = invoke_cli("layer", "delete", "libs", "--version", "2", "-y", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["status"] == "deleted" and r.json()["used_by"] == []
    assert lam.list_layer_versions(LayerName="libs")["LayerVersions"] == []


BAD_INPUT = [
    (("publish", "bad name!", "--zip", "x.zip"), "invalid layer name"),
    (("publish", "x" * 141, "--zip", "x.zip"), "invalid layer name"),
    (("publish", "libs", "--requirements", "nope.txt"), "requirements file not found"),
    (("publish", "libs", "--zip", "nope.zip"), "zip file not found"),
    (("publish", "libs", "--zip", "notzip.zip"), "not a zip file"),
    (("publish", "libs", "--zip", "x.zip", "--requirements", "req.txt"), "cannot be combined"),
    (("publish", "libs", "--requirements", "req.txt", "--runtime", "python2.7"), "python2.7"),
    (("publish", "libs", "--requirements", "req.txt", "--runtime", "nodejs22.x"), "Python runtime"),
    (("publish", "libs", "--zip", "x.zip", "--arch", "sparc"), "sparc"),
    (("publish", "libs", "--zip", "x.zip", "--description", "d" * 300), "description"),
    (("publish", "--zip", "x.zip"), "no layer NAME"),
    (("build", "--runtime", "python3.12"), "nothing to build"),
    (("delete", "libs"), "which version"),
    (("delete", "libs:0", "--yes"), "invalid layer version"),
    (("delete", "libs:1", "--version", "2", "--yes"), "different versions"),
    (("delete", "bad/name:1", "--yes"), "invalid layer name"),
    (("versions", "libs:3"), "without a version"),
]


def test_validation_errors_exit_2_before_any_aws_call(invoke_cli, project_dir, make_zip):
    """Every bad value is exit 2 with a message, and no AWS call is made (one moto reset for all)."""
    from lambdactl.aws import CALLS

    Path("x.zip").write_bytes(make_zip({"python/a.py": "1"}))
    Path("notzip.zip").write_text("not a zip")
    Path("req.txt").write_text("tinylib\n")
    for args, contains in BAD_INPUT:
        CALLS.clear()
        r = invoke_cli("layer", *args)
        assert_clean_error(r, 2, contains=contains)
        assert aws_calls() == [], args


def test_bad_layers_build_entry_in_project_file(invoke_cli, project_dir):
    Path("req.txt").write_text("tinylib\n")
    Path("lambdactl.toml").write_text(
        '[function]\nname = "fn"\nruntime = "python3.12"\nhandler = "app.handler"\n\n[[layers.build]]\nname = "a"\nrequirements = "req.txt"\n'
        'architectures = ["mips"]\n\n[[layers.build]]\nname = "b"\nrequirements = "missing.txt"\n')
    assert_clean_error(invoke_cli("layer", "publish"), 2, contains="defines 2 layers")
    assert_clean_error(invoke_cli("layer", "publish", "a"), 2, contains="mips")
    assert_clean_error(invoke_cli("layer", "build", "b"), 2, contains="missing.txt")
    assert aws_calls() == []


def test_deploy_publishes_built_layers_and_attaches_them(invoke_cli, boto, layer_project, iam_role):
    """[[layers.build]] is reconciled by deploy: the layer is published (once) and the function
    uses its newest version; a changed requirement publishes a new version and re-points it."""
    (layer_project / "src").mkdir()
    (layer_project / "src" / "app.py").write_text("def handler(e, c):\n    return e\n")
    toml = (layer_project / "lambdactl.toml").read_text().replace(
        'architecture = "arm64"\n', f'architecture = "arm64"\nrole = "{iam_role}"\n')
    (layer_project / "lambdactl.toml").write_text(toml)
    r = invoke_cli("deploy", "--dry-run", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert boto("lambda").list_layers()["Layers"] == []          # dry run changed nothing
    r = invoke_cli("deploy")
    assert r.exit_code == 0, r.stderr
    layers = boto("lambda").get_function_configuration(FunctionName="orders")["Layers"]
    assert [x["Arn"].rsplit(":", 2)[-2:] for x in layers] == [["shared-libs", "1"]]
    r = invoke_cli("deploy", "--dry-run", "--exit-code")
    assert r.exit_code == 0, r.stdout + r.stderr                  # unchanged: no new version
    requirements(layer_project / "layer-requirements.txt", "tinylib==2.0")
    r = invoke_cli("deploy")
    assert r.exit_code == 0, r.stderr
    layers = boto("lambda").get_function_configuration(FunctionName="orders")["Layers"]
    assert [x["Arn"].rsplit(":", 2)[-2:] for x in layers] == [["shared-libs", "2"]]
    versions = boto("lambda").list_layer_versions(LayerName="shared-libs")["LayerVersions"]
    assert len(versions) == 2


def test_layer_build_cache_is_private_and_keeps_dependency_pem_files(invoke_cli, layer_project):
    """Issue 21: the layer build cache (staged tree, marker), the dependency cache and the entry
    cache are 0700/0600; a layer is all dependencies, so a package's own *.pem stays in it (and
    its Python 2 files are not syntax-checked)."""
    import os
    import stat

    wheel = layer_project / "wheels" / "tinylib-3.0-py3-none-any.whl"
    make_wheel(layer_project / "wheels", "tinylib", "3.0", "print 'py2'\n")
    with zipfile.ZipFile(wheel, "a") as zf:
        zf.writestr("tinylib/cacert.pem", "CA")
    requirements(layer_project / "layer-requirements.txt", "tinylib==3.0")
    os.umask(0o022)
    r = invoke_cli("layer", "build", "-o", "json")
    assert r.exit_code == 0, r.stderr
    out = layer_project / r.json()["path"]
    assert "python/tinylib/cacert.pem" in zipfile.ZipFile(out).namelist()
    cache = Path(os.environ["LAMBDACTL_CACHE_DIR"])
    layers = [p for p in (cache / "layers").iterdir() if not p.name.startswith(".")]
    assert layers and (layers[0] / "done").is_file()
    seen = 0
    for root in (cache / "layers", cache / "deps", cache / "entries"):
        for dirpath, dirnames, filenames in os.walk(root):
            assert stat.S_IMODE(os.stat(dirpath).st_mode) == 0o700, dirpath
            for f in filenames:
                mode = stat.S_IMODE(os.stat(os.path.join(dirpath, f)).st_mode)
                assert mode & 0o077 == 0, (dirpath, f, oct(mode))
                seen += 1
    assert seen > 5
