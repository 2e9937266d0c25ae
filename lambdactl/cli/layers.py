"""lambdactl layer build|publish|list|versions|delete: shared libraries as Lambda layers."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, List, Optional

import typer

from lambdactl.cli.common import aws, confirm, project
from lambdactl.cli.package import relative_to_cwd
from lambdactl.errors import UsageError
from lambdactl.output import emit, human_bytes, info as say, warn
from lambdactl.settings import current

layer_app = typer.Typer(
    help="Layers: build from requirements for the target platform, publish (skipped when unchanged), "
         "list where each is used, delete.\n\n"
         "Defaults come from [[layers.build]] in lambdactl.toml (name, requirements, description, "
         "runtimes, architectures), then from [function] runtime/architecture.",
    no_args_is_help=True, rich_markup_mode=None)

NameArg = Annotated[Optional[str], typer.Argument(
    metavar="NAME", help="Layer name [default: the only [[layers.build]] entry of lambdactl.toml].",
    show_default=False)]
RequirementsOpt = Annotated[Optional[str], typer.Option(
    "--requirements", "-r", metavar="FILE",
    help="requirements.txt with the libraries of the layer [default: [[layers.build]] requirements].")]
RuntimeOpt = Annotated[Optional[List[str]], typer.Option(
    "--runtime", metavar="RUNTIME",
    help="Compatible runtime (repeatable); dependencies are installed for the first "
         "[default: [[layers.build]] runtimes, else [function] runtime, else python3.13].")]
ArchOpt = Annotated[Optional[List[str]], typer.Option(
    "--arch", "--architecture", metavar="x86_64|arm64",
    help="Compatible architecture (repeatable); dependencies are installed for the first "
         "[default: [[layers.build]] architectures, else [function] architecture, else x86_64].")]
NoCacheOpt = Annotated[bool, typer.Option("--no-cache", help="Ignore the dependency and zip caches.")]


def _users(users: list[dict], with_layer_version: bool) -> str:
    from lambdactl.core.resources.layers import function_ref

    if not users:
        return "-"
    if with_layer_version:
        return ", ".join(f"{function_ref(u)} (v{u['layer_version']})" for u in users)
    return ", ".join(function_ref(u) for u in users)


def build(
    name: NameArg = None,
    requirements: RequirementsOpt = None,
    runtime: RuntimeOpt = None,
    arch: ArchOpt = None,
    out: Annotated[Optional[str], typer.Option("--out", metavar="FILE",
                                               help="Zip to write [default: .lambdactl/layers/<name>.zip].")] = None,
    no_cache: NoCacheOpt = False,
) -> None:
    """Build a layer zip: the requirements installed for the target platform under python/.

    Deterministic (the same inputs give the same bytes, so the printed code_sha256 is the
    CodeSha256 Lambda will report) and cached (a rebuild with the same requirements does not run
    pip). Only wheels for Lambda's OS/CPU/Python are used.

    Examples:

      lambdactl layer build

      lambdactl layer build shared-libs --requirements layer-requirements.txt --runtime python3.12 --arch arm64

      lambdactl layer build shared-libs --out build/layer.zip -o json | jq -r .code_sha256
    """
    from lambdactl.core.build.layers import build_layer, resolve_spec

    s = current()
    spec = resolve_spec(name, requirements=requirements, runtimes=runtime, architectures=arch,
                        project=project(), need_name=False)
    out_path = Path(out) if out else relative_to_cwd(spec.default_out())
    if out_path.is_dir():
        raise UsageError(f"--out {out_path} is a directory", hint="name the zip file, e.g. --out build/layer.zip")
    res = build_layer(spec, out=out_path, use_cache=not no_cache, log=say, verbose=s.verbose)
    for w in res.warnings:
        warn(w)
    record = res.to_dict()
    record["runtimes"] = spec.runtimes
    record["architectures"] = spec.architectures
    if s.output_format != "table" or s.quiet:
        emit(record, quiet_field="path")
        return
    emit({
        "name": res.name,
        "path": str(res.path),
        "files": res.files,
        "size": f"{human_bytes(res.size)} ({res.size:,} bytes)",
        "uncompressed": f"{human_bytes(res.uncompressed_size)} ({res.uncompressed_size:,} bytes)",
        "code_sha256": res.sha256,
        "runtimes": spec.runtimes,
        "architectures": spec.architectures,
        "dependencies": f"{', '.join(res.dependencies) or '-'} "
                        f"({'cached' if res.deps_cached else 'installed with pip'})",
        "status": res.status,
        "time": f"{res.seconds:.2f} s",
    })


def publish(
    name: NameArg = None,
    requirements: RequirementsOpt = None,
    zip_file: Annotated[Optional[str], typer.Option("--zip", metavar="FILE",
                                                    help="Publish this zip instead of building one.")] = None,
    description: Annotated[Optional[str], typer.Option("--description", "-d",
                                                       help="Version description [default: [[layers.build]] description].")] = None,
    runtime: RuntimeOpt = None,
    arch: ArchOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Publish a new version even when nothing changed.")] = False,
    s3_bucket: Annotated[Optional[str], typer.Option(
        "--s3-bucket", metavar="BUCKET",
        help="Upload the zip through this bucket [default: direct upload; zips over 50 MB go through "
             "lambdactl's artifacts bucket].")] = None,
    no_cache: NoCacheOpt = False,
) -> None:
    """Build (or take a zip) and publish a new layer version, unless nothing changed.

    When the newest version already has the same CodeSha256 (and the same compatible runtimes,
    architectures and description), nothing is published and that version is reported as
    "unchanged". Either way the layer version ARN is printed (alone with -q).

    Examples:

      lambdactl layer publish

      lambdactl layer publish shared-libs -r layer-requirements.txt --runtime python3.12 --runtime python3.13

      lambdactl layer publish shared-libs --zip build/layer.zip --description "requests 2.32"

      ARN=$(lambdactl layer publish -q)
    """
    from lambdactl.core.build.layers import build_layer, resolve_spec
    from lambdactl.core.resources.layers import publish_layer

    s = current()
    if s3_bucket is not None and not s3_bucket.strip():
        raise UsageError("--s3-bucket is empty", hint="name a bucket you own, or leave the option out")
    spec = resolve_spec(name, requirements=requirements, zip_file=zip_file, description=description,
                        runtimes=runtime, architectures=arch, project=project(), need_name=True)
    res = build_layer(spec, use_cache=not no_cache, log=say, verbose=s.verbose)
    result = publish_layer(aws(), spec, res, force=force, s3_bucket=s3_bucket, log=say)
    for w in result["warnings"]:
        warn(w)
    if result["status"] == "unchanged":
        say(f"layer {spec.name}: unchanged (version {result['version']} has the same code)")
    else:
        say(f"layer {spec.name}: published version {result['version']} ({result['reason']})")
    if s.output_format != "table" or s.quiet:
        emit(result, quiet_field="layer_version_arn")
        return
    emit({k: result[k] for k in ("name", "status", "version", "layer_version_arn", "code_sha256")}
         | {"size": f"{human_bytes(result['size'])} ({result['size']:,} bytes)",
            "runtimes": result["runtimes"], "architectures": result["architectures"],
            "description": result["description"] or None, "reason": result["reason"]})


def list_cmd() -> None:
    """List layers: latest version, compatible runtimes/architectures, and the functions using them.

    USED BY names each function (name:version for published versions) and the layer version it uses.

    Examples:

      lambdactl layer list

      lambdactl layer list -o json | jq '.[] | {name, used_by}'
    """
    from lambdactl.core.resources.layers import list_layers

    s = current()
    records = list_layers(aws())
    if s.output_format == "json" or s.quiet:
        emit(records, quiet_field="name")
        return
    emit([{**r, "used_by": _users(r["used_by"], True)} for r in records],
         columns=["name", "latest_version", "created", "runtimes", "architectures", "used_by"])


def versions(name: NameArg = None) -> None:
    """List a layer's versions: created, code sha256, size, runtimes, architectures, used by.

    Examples:

      lambdactl layer versions shared-libs

      lambdactl layer versions shared-libs -o json | jq -r '.[0].arn'
    """
    from lambdactl.core.build.layers import parse_layer_ref
    from lambdactl.core.resources.layers import list_layer_versions

    s = current()
    if name:
        layer, version = parse_layer_ref(name)
        if version is not None:
            raise UsageError(f"{name!r}: give the layer name without a version",
                             hint=f"lambdactl layer versions {layer}")
    else:
        proj = project()
        builds = proj.layer_builds if proj else []
        if len(builds) != 1:
            raise UsageError("no layer NAME given" + (f" and {len(builds)} layers in [[layers.build]]" if builds
                                                      else " and no [[layers.build]] in the project file"),
                             hint="lambdactl layer versions NAME ('lambdactl layer list' lists them)")
        layer = builds[0].name
    records = list_layer_versions(aws(), layer)
    if s.output_format == "json" or s.quiet:
        emit(records, quiet_field="arn")
        return
    emit([{**r, "size": human_bytes(r["size"]), "used_by": _users(r["used_by"], False)} for r in records],
         columns=["version", "created", "code_sha256", "size", "runtimes", "architectures", "used_by"])


def delete(
    name: Annotated[str, typer.Argument(metavar="NAME[:VERSION]", help="Layer name, NAME:VERSION or a layer version ARN.",
                                        show_default=False)],
    version: Annotated[Optional[int], typer.Option("--version", metavar="N", help="The version to delete.")] = None,
) -> None:
    """Delete one layer version. Asks first unless --yes; warns when functions still use it.

    Functions that use the version keep working (Lambda keeps a copy for them), but no new
    function or update can reference it.

    Examples:

      lambdactl layer delete shared-libs --version 3 --yes

      lambdactl layer delete shared-libs:3
    """
    from lambdactl.core.build.layers import parse_layer_ref, validate_version
    from lambdactl.core.resources.layers import delete_layer_version, describe_version, function_ref

    layer, ref_version = parse_layer_ref(name)
    if version is not None:
        version = validate_version(version)
        if ref_version is not None and ref_version != version:
            raise UsageError(f"{name!r} and --version {version} name different versions", hint="give one of them")
    version = version or ref_version
    if version is None:
        raise UsageError(f"which version of {layer}?",
                         hint=f"lambdactl layer delete {layer} --version N ('lambdactl layer versions {layer}' lists them)")
    session = aws()
    rec = describe_version(session, layer, version)
    if rec["used_by"]:
        users = ", ".join(function_ref(u) for u in rec["used_by"])
        warn(f"{layer}:{version} is still used by {users}: they keep working, but new deployments "
             f"cannot reference {rec['arn']}")
    if not confirm(f"Delete layer version {layer}:{version}?"):
        say("not deleted")
        raise typer.Exit(1)
    result = delete_layer_version(session, layer, version)
    result["arn"] = rec["arn"]
    result["used_by"] = rec["used_by"]
    if current().output_format == "json":
        emit(result)
    else:
        say(f"deleted layer version {layer}:{version}")


layer_app.command("build")(build)
layer_app.command("publish")(publish)
layer_app.command("list")(list_cmd)
layer_app.command("ls", hidden=True)(list_cmd)
layer_app.command("versions")(versions)
layer_app.command("delete")(delete)


def register(app: typer.Typer) -> None:
    app.add_typer(layer_app, name="layer")
    app.add_typer(layer_app, name="layers", hidden=True)
