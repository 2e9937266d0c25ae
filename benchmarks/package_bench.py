"""Benchmark ``lambdactl package`` against ``zip -q -r -X`` on a generated 53 MB / 10,000-file tree.

    python benchmarks/package_bench.py              # the goals below, printed with their figures
    python benchmarks/package_bench.py --repeat 5   # more runs of each measurement (best shown)
    python benchmarks/package_bench.py --keep       # keep the generated tree

The tree (deterministic: a seeded generator) looks like a big Lambda source directory: the
function's own code (``app/``, 200 modules, checked by the syntax check) next to 40 packages
vendored with ``pip install -t`` (each with its ``*.dist-info/RECORD``: dependencies, not
checked), holding Python modules, JSON, text, compiled-extension-like binaries, already
compressed blobs and one 4.5 MB library (deflated whole by libdeflate, in blocks by zlib).

Everything that is timed runs the installed CLI as a user does: ``lambdactl package --source
TREE --out ZIP --no-deps -o json`` in a new process (start-up included), each cache state
prepared first. Goals (2 cores):

  1. cold build (empty cache) <= 0.5x the wall time of ``zip -q -r -X`` on the same tree;
  2. rebuild after editing one file <= 0.25 s wall-clock for the whole command;
  3. output byte-identical across runs (two cold builds, and the incremental build against a
     build from scratch);
  4. compressed size within 1 % of ``zip -6`` (zip's default level).

Also printed: the deflate backend, the phases of the in-process build, the rebuild with nothing
changed, the cold build with ``--no-check``, and the cost of checking the whole tree as if all of
it were the function's own code. Start-up uses byte-compiled modules, as a pip install has them:
the script writes them once (``compileall``) when ``PYTHONDONTWRITEBYTECODE`` kept them away.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lambdactl.core.build import packaging, syntaxcheck, zipbuild  # noqa: E402

MB = 1024 * 1024
FILES = 10_000
TOTAL = 53 * 1000 * 1000
OWN_FILES = 200
PACKAGES = 40
BIG = 4_500_000

WORDS = ("request response event context handler value result items data config logger error "
         "status token user order payment invoice customer record batch stream queue topic table "
         "bucket object key prefix region account retry timeout limit offset cursor page").split()


def _ident(rnd: random.Random) -> str:
    return "_".join(rnd.choice(WORDS) for _ in range(rnd.randint(1, 3)))


def python_module(rnd: random.Random, size: int) -> bytes:
    """Valid Python of about ``size`` bytes (functions, classes, docstrings, comments)."""
    out = [f'"""{" ".join(rnd.choice(WORDS) for _ in range(8)).capitalize()}."""\n'
           "import json\nimport os\n\n"]
    n = len(out[0])
    while n < size:
        a, f = _ident(rnd), _ident(rnd)
        b = a + "_" + rnd.choice(WORDS)
        if rnd.random() < 0.3:
            text = (f"class {f.title().replace('_', '')}:\n"
                    f'    """{" ".join(rnd.choice(WORDS) for _ in range(rnd.randint(4, 12)))}."""\n\n'
                    f"    def __init__(self, {a}, {b}=None):\n"
                    f"        self.{a} = {a}\n        self.{b} = {b} or {{}}\n\n"
                    f"    def {_ident(rnd)}(self):\n"
                    f"        return json.dumps({{'{a}': self.{a}, '{b}': self.{b}}})\n\n\n")
        else:
            text = (f"def {f}({a}, {b}=None):\n"
                    f'    """{" ".join(rnd.choice(WORDS) for _ in range(rnd.randint(4, 12)))}."""\n'
                    f"    result = {a} * {rnd.randint(1, 999)} + len({b} or [])\n"
                    f"    if result > {rnd.randint(1, 10**6)}:  # {' '.join(rnd.choice(WORDS) for _ in range(3))}\n"
                    f"        return {{'{_ident(rnd)}': result, 'items': [{a}, {b}]}}\n"
                    f"    for i in range({rnd.randint(2, 64)}):\n"
                    f"        result += i * {rnd.random():.6f}\n"
                    f"    return os.environ.get('{_ident(rnd).upper()}', result)\n\n\n")
        out.append(text)
        n += len(text)
    return "".join(out).encode()


def json_doc(rnd: random.Random, size: int) -> bytes:
    parts, n = [], 2
    while n < size:
        p = f'"{_ident(rnd)}_{rnd.randint(0, 9999)}": {{"id": {rnd.randint(0, 10**9)}, "ok": {str(rnd.random() < .5).lower()}}}'
        parts.append(p)
        n += len(p) + 2
    return ("{" + ", ".join(parts) + "}").encode()


def binary(rnd: random.Random, size: int) -> bytes:
    """Like a compiled extension: repeated instruction-ish blocks with random bytes in between."""
    block = bytes(rnd.getrandbits(8) for _ in range(512))
    parts, n = [], 0
    while n < size:
        k = rnd.randint(16, 512)
        piece = block[:k] + rnd.randbytes(rnd.randint(8, 48)) + bytes(rnd.randint(4, 40))
        parts.append(piece)
        n += len(piece)
    return b"".join(parts)[:size]


def generate(dest: Path, seed: int = 17) -> tuple[int, int, int]:
    """(files, bytes, bytes of the function's own .py files) of the generated tree."""
    rnd = random.Random(seed)
    dest.mkdir(parents=True)
    files = total = own = 0

    def put(rel: str, data: bytes) -> None:
        nonlocal files, total
        p = dest / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
        files += 1
        total += len(data)

    for i in range(OWN_FILES):
        data = python_module(rnd, int(rnd.expovariate(1 / 3000)) + 300)
        put(f"app/{['api', 'core', 'models', 'jobs'][i % 4]}/m{i:03d}.py", data)
        own += len(data)
    put("app/handler.py", b"def handler(event, context):\n    return {'ok': True}\n")
    rest_files = FILES - files - PACKAGES - 1      # one RECORD per package, one big library
    per = int((TOTAL - total - BIG) / rest_files * 0.975)   # the generators overshoot a little
    records: dict[int, list[str]] = {k: [] for k in range(PACKAGES)}
    for i in range(rest_files):
        k = i % PACKAGES
        kind = rnd.random()
        size = max(64, int(rnd.expovariate(1 / per)))
        sub = f"pkg{k:02d}/sub{(i // PACKAGES) % 6}"
        if kind < 0.62:
            rel, data = f"{sub}/mod{i}.py", python_module(rnd, size)
        elif kind < 0.74:
            rel, data = f"{sub}/data{i}.json", json_doc(rnd, size)
        elif kind < 0.80:
            rel, data = f"{sub}/README{i}.txt", " ".join(rnd.choice(WORDS) for _ in range(size // 7)).encode()
        elif kind < 0.93:
            rel, data = f"{sub}/_ext{i}.so", binary(rnd, size)
        else:
            rel, data = f"{sub}/asset{i}.png", rnd.randbytes(size)
        put(rel, data)
        records[k].append(rel)
    put("pkg00/_native/libbig.so", binary(rnd, BIG))
    records[0].append("pkg00/_native/libbig.so")
    for k, rels in records.items():
        put(f"pkg{k:02d}-1.0.dist-info/RECORD",
            ("\n".join(f"{r},," for r in rels) + f"\npkg{k:02d}-1.0.dist-info/RECORD,,\n").encode())
    return files, total, own


def settle() -> None:
    """Flush the previous run's written files so that their write-back does not slow the next."""
    if hasattr(os, "sync"):
        os.sync()


def _children_cpu() -> float:
    import resource

    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_zip(tree: Path, out: Path, level: str | None = None) -> tuple[float, float]:
    """(wall, cpu) seconds of ``zip -q -r -X``."""
    out.unlink(missing_ok=True)
    settle()
    c = _children_cpu()
    t = time.perf_counter()
    subprocess.run(["zip", "-q", "-r", "-X", *([level] if level else []), str(out), "."], cwd=tree, check=True)
    return time.perf_counter() - t, _children_cpu() - c


class Cli:
    """``lambdactl package`` in a new process, as a user runs it."""

    def __init__(self, tree: Path, out: Path, cache: Path):
        exe = Path(sys.executable).with_name("lambdactl")
        self.base = [str(exe)] if exe.exists() else [sys.executable, "-m", "lambdactl"]
        self.tree, self.out, self.cache = tree, out, cache

    def run(self, *extra: str, cache: Path | None = None) -> tuple[float, dict]:
        """(wall seconds, the JSON record with "cpu" added: user+sys seconds of the process)."""
        env = {**os.environ, "LAMBDACTL_CACHE_DIR": str(cache or self.cache)}
        cmd = [*self.base, "package", "--source", str(self.tree), "--out", str(self.out), "--no-deps",
               "-o", "json", *extra]
        settle()
        c = _children_cpu()
        t = time.perf_counter()
        p = subprocess.run(cmd, env=env, capture_output=True, text=True)
        dt = time.perf_counter() - t
        if p.returncode != 0:
            raise SystemExit(f"lambdactl package failed ({p.returncode}): {p.stderr.strip()}")
        d = json.loads(p.stdout)
        d["cpu"] = _children_cpu() - c
        return dt, d


def _timed(cmd: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, capture_output=True)
    return time.perf_counter() - t


def ensure_bytecode() -> str:
    """Byte-compile lambdactl as an install would (the environment may forbid writing .pyc)."""
    import compileall

    pkg = ROOT / "lambdactl"
    missing = not any(pkg.glob("__pycache__/*.pyc"))
    if missing:
        compileall.compile_dir(str(pkg), quiet=1)
        return "lambdactl byte-compiled for this run (as pip install does)"
    return "lambdactl's modules already byte-compiled"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=3, help="runs of each measurement; the best counts (default 3)")
    ap.add_argument("--keep", action="store_true", help="keep the generated tree")
    args = ap.parse_args()
    if not shutil.which("zip"):
        raise SystemExit("zip is needed for the comparison (apt-get install zip)")

    work = Path(tempfile.mkdtemp(prefix="lambdactl-bench-"))
    try:
        tree = work / "tree"
        files, total, own = generate(tree)
        assert files == FILES, files
        be = zipbuild.backend()
        print(f"tree: {files} files, {total / 1e6:.1f} MB (own code {OWN_FILES + 1} modules, "
              f"{own / 1e6:.2f} MB; {PACKAGES} vendored packages); {os.cpu_count()} CPUs; "
              f"load average {os.getloadavg()[0]:.2f}")
        print(f"deflate backend: {be.name} ({be.ident}), level {be.level}; {ensure_bytecode()}")
        for dirpath, _, fs in os.walk(tree):             # warm the page cache for both tools
            for f in fs:
                Path(dirpath, f).read_bytes()

        out = work / "out.zip"
        cli = Cli(tree, out, work / "cache")
        zips, colds, nochecks = [], [], []         # (wall, cpu) / (wall, record) / (wall, cpu)
        shas = set()
        for i in range(args.repeat):
            zips.append(run_zip(tree, work / "zip6.zip"))
            shutil.rmtree(work / "cache", ignore_errors=True)
            out.unlink(missing_ok=True)
            t, d = cli.run()
            colds.append((t, d))
            shas.add(d["code_sha256"])
            shutil.rmtree(work / "nc-cache", ignore_errors=True)
            t, d = cli.run("--no-check", cache=work / "nc-cache")
            nochecks.append((t, d["cpu"]))
        cold_sha = colds[-1][1]["code_sha256"]

        victims = sorted((tree / "app").rglob("*.py"))
        edits, sames = [], []
        for i in range(args.repeat):
            victim = victims[(len(victims) // 2 + i) % len(victims)]
            with open(victim, "a") as f:
                f.write(f"\nEDITED_{i} = {i}\n")
            edits.append(cli.run())
            sames.append(cli.run())
        edit_t, edit_d = min(edits, key=lambda r: r[0])
        same_t, same_d = min(sames, key=lambda r: r[0])

        # correctness of the incremental result: a from-scratch build of the edited tree
        fresh = packaging.build_package(tree, use_cache=False, check=False)
        incremental_ok = fresh.sha256 == sames[-1][1]["code_sha256"]
        t_own = time.perf_counter()
        checker = syntaxcheck.syntax_checker(None)
        pys = [str(p) for p in tree.rglob("*.py")]
        run = syntaxcheck._CheckRun(checker, pys, [os.path.getsize(p) for p in pys], None)
        bad = [r for r in run.wait() if r[2] is not None]
        t_own = time.perf_counter() - t_own
        inproc = packaging.build_package(tree, out=work / "inproc.zip", cache_dir=work / "ip-cache",
                                         keep_data=False)

        zip_size = (work / "zip6.zip").stat().st_size
        size = colds[-1][1]["size"]
        z, zc = min(zips)
        c, cd = min(colds, key=lambda r: r[0])
        nc, ncc = min(nochecks)
        print(f"{'':44}{'wall':>9} {'cpu':>8}")
        print(f"{'zip -q -r -X (level 6)':44}{z:8.3f}s {zc:7.3f}s   {zip_size / 1e6:.2f} MB")
        print(f"{'lambdactl package, cold (empty cache)':44}{c:8.3f}s {cd['cpu']:7.3f}s   {size / 1e6:.2f} MB  "
              f"(syntax check compiled {cd['syntax_check']['compiled']} files)")
        print(f"{'lambdactl package --no-check, cold':44}{nc:8.3f}s {ncc:7.3f}s")
        print(f"{'rebuild after editing one file':44}{edit_t:8.3f}s {edit_d['cpu']:7.3f}s   "
              f"(cache: {edit_d['cache']}, compiled {edit_d['syntax_check']['compiled']})")
        print(f"{'rebuild, nothing changed':44}{same_t:8.3f}s {same_d['cpu']:7.3f}s   ({same_d['status']})")
        t_ver = min(_timed([*cli.base, "--version"]) for _ in range(3))
        print(f"{'lambdactl --version (start-up alone)':44}{t_ver:8.3f}s")
        print(f"  in-process cold build phases: "
              + ", ".join(f"{k} {v:.3f}" for k, v in inproc.timings.items() if v >= 0.0005))
        print(f"  checking every .py of the tree as own code ({len(pys)} files, "
              f"{sum(os.path.getsize(p) for p in pys) / 1e6:.1f} MB): {t_own:.2f} s on {os.cpu_count()} CPUs "
              f"({len(bad)} errors)")
        print("  all runs (wall s): zip " + " ".join(f"{t:.3f}" for t, _ in zips)
              + " | cold " + " ".join(f"{t:.3f}" for t, _ in colds)
              + " | edited " + " ".join(f"{t:.3f}" for t, _ in edits))
        ratio = c / z
        dsize = (size - zip_size) / zip_size * 100
        results = [
            (f"cold build / zip -r -X = {ratio:.2f}", "<= 0.50", ratio <= 0.5),
            (f"one-file rebuild = {edit_t:.3f} s", "<= 0.25 s", edit_t <= 0.25),
            (f"byte-identical: {len(shas)} distinct zip(s) from {len(colds)} cold builds; "
             f"incremental = from scratch: {incremental_ok}", "identical",
             len(shas) == 1 and incremental_ok),
            (f"size vs zip -6 = {dsize:+.2f} %", "within 1 %", abs(dsize) <= 1.0),
        ]
        print("goals:")
        for text, target, ok in results:
            print(f"  {text:70} (target {target}): {'ok' if ok else 'MISSED'}")
        del cold_sha
    finally:
        if args.keep:
            print(f"kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
